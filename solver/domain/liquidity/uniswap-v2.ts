// Uniswap V2 pair adapter: exact getAmountOut maths and the closed-form optimal arbitrage.
import { encodeFunctionData, parseAbi, prepareEncodeFunctionData, type Address } from 'viem';
import type { Interaction } from '../../../protocol/solution.ts';
import { getAmountOut, V2MathError } from '../math/v2.ts';
import { lower } from '../address.ts';
import { payThenCall } from './pre-transfer.ts';
import type { ArbBuffer, LiquidityAdapter } from './adapter.ts';

// prepared once (viem would hash the signature on every call)
const v2PairSwap = prepareEncodeFunctionData({
  abi: parseAbi(['function swap(uint256 amount0Out, uint256 amount1Out, address to, bytes data)']),
  functionName: 'swap',
});

/** Gas of one swap inside settle: pair.swap (63.2k on anvil) plus the token transfer into the pair. */
const V2_SWAP_GAS = 63_200 + 30_000;
const GAMMA = 0.997;

type V2PoolState = { address: Address; token0: Address; token1: Address; reserve0: bigint; reserve1: bigint };

export class UniswapV2Pool implements LiquidityAdapter {
  readonly kind = 'uniswapV2';
  readonly gas = V2_SWAP_GAS;
  readonly address: Address;
  readonly token0: Address;
  readonly token1: Address;
  reserve0: bigint;
  reserve1: bigint;
  private x0 = 0;
  private x1 = 0;

  constructor(s: V2PoolState) {
    this.address = lower(s.address);
    this.token0 = lower(s.token0);
    this.token1 = lower(s.token1);
    if (this.token0 >= this.token1) throw new Error('token0 must sort below token1');
    this.reserve0 = s.reserve0;
    this.reserve1 = s.reserve1;
    this.syncFloats();
  }

  private syncFloats(): void {
    this.x0 = Number(this.reserve0);
    this.x1 = Number(this.reserve1);
  }

  /** State refresh from the pair's Sync event (emitted on every reserve change). */
  applySync(reserve0: bigint, reserve1: bigint): void {
    this.reserve0 = reserve0;
    this.reserve1 = reserve1;
    this.syncFloats();
  }

  quote(zeroForOne: boolean, amountIn: bigint): bigint {
    try {
      const out = zeroForOne ? getAmountOut(amountIn, this.reserve0, this.reserve1) : getAmountOut(amountIn, this.reserve1, this.reserve0);
      return out;
    } catch (e) {
      if (e instanceof V2MathError) return 0n;
      throw e;
    }
  }

  swap(zeroForOne: boolean, amountIn: bigint): bigint {
    const out = this.quote(zeroForOne, amountIn);
    if (out === 0n) throw new V2MathError('INSUFFICIENT_OUTPUT_AMOUNT');
    if (zeroForOne) this.applySync(this.reserve0 + amountIn, this.reserve1 - out);
    else this.applySync(this.reserve0 - out, this.reserve1 + amountIn);
    return out;
  }

  encodeSwap(zeroForOne: boolean, amountIn: bigint, amountOut: bigint, settlement: Address): Interaction[] {
    const tokenIn = zeroForOne ? this.token0 : this.token1;
    const swap = encodeFunctionData({
      ...v2PairSwap,
      args: zeroForOne ? [0n, amountOut, settlement, '0x'] : [amountOut, 0n, settlement, '0x'],
    });
    return payThenCall(tokenIn, this.address, amountIn, swap);
  }

  clone(): UniswapV2Pool {
    return new UniswapV2Pool(this);
  }

  spotPrice(): number {
    return this.x1 / this.x0;
  }

  quoteFloat(zeroForOne: boolean, amountIn: number): number {
    if (!(amountIn > 0)) return 0;
    const [rin, rout] = zeroForOne ? [this.x0, this.x1] : [this.x1, this.x0];
    const a = GAMMA * amountIn;
    return (a * rout) / (rin + a);
  }

  noTradeBand(): [number, number] {
    const p = this.x1 / this.x0;
    return [p * GAMMA, p / GAMMA];
  }

  arb(r: number, out: ArbBuffer): void {
    const x0 = this.x0;
    const x1 = this.x1;
    const p = x1 / x0;
    if (r > p / GAMMA) {
      // buy token0 with token1: x1 + γΔ1 = sqrt(γ k r)
      const k = x0 * x1;
      const root = Math.sqrt((k * r) / GAMMA);
      out[0] = x0 - root / r;
      out[1] = (x1 - Math.sqrt(GAMMA * k * r)) / GAMMA;
      out[2] = (0.5 * Math.sqrt(k / GAMMA)) / (r * Math.sqrt(r));
    } else if (r < p * GAMMA) {
      // sell token0 for token1: x0 + γΔ0 = sqrt(γ k / r)
      const k = x0 * x1;
      out[0] = (x0 - Math.sqrt((GAMMA * k) / r)) / GAMMA;
      out[1] = x1 - Math.sqrt((k * r) / GAMMA);
      out[2] = (0.5 * Math.sqrt(k / GAMMA)) / (r * Math.sqrt(r));
    } else {
      out[0] = 0;
      out[1] = 0;
      out[2] = 0;
    }
  }
}
