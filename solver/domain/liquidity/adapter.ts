// The liquidity adapter interface: everything the router and the bundle builder need from a
// liquidity source, and nothing else. A new protocol plugs in by implementing it (see README).
//
// Two views of the same pool state:
//   - exact (bigint): `quote` and `swap` return what the pool itself pays, to the wei; `swap`
//     also moves the local state exactly as the on-chain call would, so several trades through the
//     same pool in one batch are simulated in order.
//   - float: `spotPrice` and `arb` are the router's model (the search runs in floats; final
//     amounts are always recomputed exactly).
import type { Address } from 'viem';
import type { Interaction } from '../../../protocol/solution.ts';

/** Output buffer for `arb`: [d0, d1, dd0], see LiquidityAdapter.arb. */
export type ArbBuffer = Float64Array;

export interface LiquidityAdapter {
  /** Unique id of the pool (its address). */
  readonly address: Address;
  /** 'uniswapV2' | 'uniswapV3' | 'stableSwap' | …, for logs and gas tables. */
  readonly kind: string;
  /** The two tokens, token0 < token1 (lower-case addresses). */
  readonly token0: Address;
  readonly token1: Address;
  /** Gas one swap through this source costs inside settle (steady state), interactions included. */
  readonly gas: number;

  /** Exact output of selling `amountIn` (token0 if `zeroForOne`, else token1); 0n if the pool would revert. */
  quote(zeroForOne: boolean, amountIn: bigint): bigint;
  /** Like `quote`, and moves this object's state as the swap would on chain. Throws if it would revert. */
  swap(zeroForOne: boolean, amountIn: bigint): bigint;
  /** Interactions that make the settlement contract perform exactly that swap, paying itself. */
  encodeSwap(zeroForOne: boolean, amountIn: bigint, amountOut: bigint, settlement: Address): Interaction[];
  /** An independent copy (the solver simulates on copies). */
  clone(): LiquidityAdapter;

  /** Marginal mid price: token1 base units per token0 base unit, before fees (float). */
  spotPrice(): number;
  /**
   * The optimal arbitrage against an external price `r` (value of one token0 base unit in token1
   * base units), i.e. the trade maximising r·d0 + d1 over what the pool allows. Writes, as floats:
   * out[0] = d0, token0 received from the pool (negative: paid into it); out[1] = d1, likewise
   * for token1; out[2] = d(d0)/dr >= 0. No trade inside the fee band: d0 = d1 = 0.
   * This single function is all the dual-decomposition router needs (Angeris et al.).
   */
  arb(r: number, out: ArbBuffer): void;
  /**
   * Optional speed-up: float output of selling `amountIn`, the closed form of `quote` in the
   * router's model. Without it, path search falls back to a bisection on `arb`.
   */
  quoteFloat?(zeroForOne: boolean, amountIn: number): number;
  /**
   * Optional speed-up: the open interval of outside prices r for which `arb` trades nothing (the
   * fee band around the spot price), so callers can skip the call. Without it `arb` is always called.
   */
  noTradeBand?(): [number, number];
}
