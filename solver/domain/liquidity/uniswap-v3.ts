// Uniswap V3 pool adapter: the exact swap loop (solver/math/v3.ts) for quotes, and a float model of
// the tick ranges (piecewise constant-product in sqrt price) for the router's closed-form arbitrage.
import { encodeFunctionData, parseAbi, prepareEncodeFunctionData, type Address } from 'viem';
import type { Interaction } from '../../../protocol/solution.ts';
import { getSqrtRatioAtTick, MAX_SQRT_RATIO, MIN_SQRT_RATIO, V3MathError, v3Swap, type V3State } from '../math/v3.ts';
import { lower } from '../address.ts';
import type { ArbBuffer, LiquidityAdapter } from './adapter.ts';

// prepared once (viem would hash the signature on every call)
const v3PoolSwap = prepareEncodeFunctionData({
  abi: parseAbi([
    'function swap(address recipient, bool zeroForOne, int256 amountSpecified, uint160 sqrtPriceLimitX96, bytes data) returns (int256 amount0, int256 amount1)',
  ]),
  functionName: 'swap',
});

/** Gas of one swap inside settle: a direct pool swap through the callback (95.5k on anvil), plus margin for tick crossings. */
const V3_SWAP_GAS = 110_000;
const Q96 = 2 ** 96;

export type V3Tick = { index: number; liquidityNet: bigint; liquidityGross: bigint };
type V3PoolState = {
  address: Address;
  token0: Address;
  token1: Address;
  fee: number;
  tickSpacing: number;
  sqrtPriceX96: bigint;
  tick: number;
  liquidity: bigint;
  ticks: V3Tick[];
};

/** Float segments on one side of the current price: boundaries, liquidity inside, cumulative amounts. */
type Side = { s: Float64Array; l: Float64Array; c0: Float64Array; c1: Float64Array };

export class UniswapV3Pool implements LiquidityAdapter {
  readonly kind = 'uniswapV3';
  readonly gas = V3_SWAP_GAS;
  readonly address: Address;
  readonly token0: Address;
  readonly token1: Address;
  readonly fee: number;
  readonly tickSpacing: number;
  sqrtPriceX96: bigint;
  tick: number;
  liquidity: bigint;
  ticks: V3Tick[];
  private gamma: number;
  private sf = 0;
  private up!: Side;
  private down!: Side;

  constructor(s: V3PoolState) {
    this.address = lower(s.address);
    this.token0 = lower(s.token0);
    this.token1 = lower(s.token1);
    if (this.token0 >= this.token1) throw new Error('token0 must sort below token1');
    this.fee = s.fee;
    this.tickSpacing = s.tickSpacing;
    this.sqrtPriceX96 = s.sqrtPriceX96;
    this.tick = s.tick;
    this.liquidity = s.liquidity;
    this.ticks = s.ticks.map((t) => ({ ...t })).sort((a, b) => a.index - b.index);
    this.gamma = 1 - s.fee / 1e6;
    this.invalidate();
  }

  private state(): V3State {
    return {
      sqrtPriceX96: this.sqrtPriceX96,
      tick: this.tick,
      liquidity: this.liquidity,
      fee: this.fee,
      tickSpacing: this.tickSpacing,
      ticks: this.ticks,
    };
  }

  /**
   * The float model is rebuilt lazily, when a float view is asked for after the exact state
   * changed: exact swaps in a row (the solver's exact pass) skip it.
   */
  private dirty = true;

  /** The exact state changed: the float model is stale. */
  private invalidate(): void {
    this.dirty = true;
  }

  /** Rebuilds the float model from the exact state, if it is stale. */
  private model(): void {
    if (!this.dirty) return;
    this.dirty = false;
    const s = Number(this.sqrtPriceX96) / Q96;
    this.sf = s;
    const above = this.ticks.filter((t) => t.index > this.tick);
    const below = this.ticks.filter((t) => t.index <= this.tick).reverse();
    const build = (list: V3Tick[], dir: 1 | -1): Side => {
      const n = list.length + 1;
      const side: Side = { s: new Float64Array(n), l: new Float64Array(n), c0: new Float64Array(n), c1: new Float64Array(n) };
      let prev = s;
      let liq = this.liquidity;
      let c0 = 0;
      let c1 = 0;
      for (let k = 0; k < n; k++) {
        const bound =
          k < list.length ? Number(getSqrtRatioAtTick(list[k]!.index)) / Q96 : Number(dir > 0 ? MAX_SQRT_RATIO : MIN_SQRT_RATIO) / Q96;
        const L = Number(liq);
        side.s[k] = bound;
        side.l[k] = L;
        // token0 and token1 moved (net of fee) between prev and bound, as positive numbers
        c0 += L * Math.abs(1 / prev - 1 / bound);
        c1 += L * Math.abs(bound - prev);
        side.c0[k] = c0;
        side.c1[k] = c1;
        prev = bound;
        if (k < list.length) liq += dir > 0 ? list[k]!.liquidityNet : -list[k]!.liquidityNet;
        if (liq < 0n) liq = 0n;
      }
      return side;
    };
    this.up = build(above, 1);
    this.down = build(below, -1);
  }

  /** Swap event: the pool's state after the swap, as logged. */
  applySwapEvent(sqrtPriceX96: bigint, liquidity: bigint, tick: number): void {
    this.sqrtPriceX96 = sqrtPriceX96;
    this.liquidity = liquidity;
    this.tick = tick;
    this.invalidate();
  }

  /** Mint (positive amount) or Burn (negative) event on [tickLower, tickUpper). */
  applyLiquidityEvent(tickLower: number, tickUpper: number, amount: bigint): void {
    const bump = (index: number, net: bigint, gross: bigint): void => {
      let t = this.ticks.find((x) => x.index === index);
      if (!t) {
        t = { index, liquidityNet: 0n, liquidityGross: 0n };
        this.ticks.push(t);
        this.ticks.sort((a, b) => a.index - b.index);
      }
      t.liquidityNet += net;
      t.liquidityGross += gross;
      if (t.liquidityGross === 0n) this.ticks = this.ticks.filter((x) => x !== t);
    };
    bump(tickLower, amount, amount);
    bump(tickUpper, -amount, amount);
    if (tickLower <= this.tick && this.tick < tickUpper) this.liquidity += amount;
    this.invalidate();
  }

  private run(zeroForOne: boolean, amountIn: bigint) {
    if (amountIn <= 0n) throw new V3MathError('AS');
    return v3Swap(this.state(), zeroForOne, amountIn);
  }

  quote(zeroForOne: boolean, amountIn: bigint): bigint {
    try {
      const r = this.run(zeroForOne, amountIn);
      return zeroForOne ? -r.amount1 : -r.amount0;
    } catch (e) {
      if (e instanceof V3MathError) return 0n;
      throw e;
    }
  }

  swap(zeroForOne: boolean, amountIn: bigint): bigint {
    const r = this.run(zeroForOne, amountIn);
    this.sqrtPriceX96 = r.state.sqrtPriceX96;
    this.tick = r.state.tick;
    this.liquidity = r.state.liquidity;
    this.invalidate();
    return zeroForOne ? -r.amount1 : -r.amount0;
  }

  encodeSwap(zeroForOne: boolean, amountIn: bigint, _amountOut: bigint, settlement: Address): Interaction[] {
    // The pool pulls its input through Settlement.uniswapV3SwapCallback; the end-of-batch balance
    // check (and the quote being exact) bound the output.
    const limit = zeroForOne ? MIN_SQRT_RATIO + 1n : MAX_SQRT_RATIO - 1n;
    return [
      {
        target: this.address,
        value: 0n,
        callData: encodeFunctionData({ ...v3PoolSwap, args: [settlement, zeroForOne, amountIn, limit, '0x'] }),
      },
    ];
  }

  clone(): UniswapV3Pool {
    return new UniswapV3Pool(this);
  }

  spotPrice(): number {
    this.model();
    return this.sf * this.sf;
  }

  quoteFloat(zeroForOne: boolean, amountIn: number): number {
    if (!(amountIn > 0)) return 0;
    this.model();
    const net = amountIn * this.gamma;
    // selling token0 walks the price down (cumulative token0 in, c0), token1 the other way
    const side = zeroForOne ? this.down : this.up;
    const cin = zeroForOne ? side.c0 : side.c1;
    const cout = zeroForOne ? side.c1 : side.c0;
    let lo = 0;
    let hi = cin.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cin[mid]! < net) lo = mid + 1;
      else hi = mid;
    }
    if (lo === cin.length) return cout[cin.length - 1]!;
    const prev = lo > 0 ? side.s[lo - 1]! : this.sf;
    const L = side.l[lo]!;
    const bin = lo > 0 ? cin[lo - 1]! : 0;
    const bout = lo > 0 ? cout[lo - 1]! : 0;
    if (!(L > 0)) return bout;
    if (zeroForOne) {
      const st = 1 / (1 / prev + (net - bin) / L);
      return bout + L * (prev - st);
    }
    const st = prev + (net - bin) / L;
    return bout + L * (1 / prev - 1 / st);
  }

  noTradeBand(): [number, number] {
    this.model();
    const p = this.sf * this.sf;
    return [p * this.gamma, p / this.gamma];
  }

  arb(r: number, out: ArbBuffer): void {
    if (this.dirty) this.model();
    const s = this.sf;
    const g = this.gamma;
    if (r > (s * s) / g) {
      const st = Math.sqrt(g * r);
      const side = this.up;
      const k = search(side.s, st, true);
      if (k === side.s.length) {
        const last = k - 1;
        out[0] = side.c0[last]!;
        out[1] = -side.c1[last]! / g;
        out[2] = 0;
        return;
      }
      const prev = k > 0 ? side.s[k - 1]! : s;
      const L = side.l[k]!;
      const b0 = k > 0 ? side.c0[k - 1]! : 0;
      const b1 = k > 0 ? side.c1[k - 1]! : 0;
      out[0] = b0 + L * (1 / prev - 1 / st);
      out[1] = -(b1 + L * (st - prev)) / g;
      out[2] = (L * g) / (2 * st * st * st);
    } else if (r < s * s * g) {
      const st = Math.sqrt(r / g);
      const side = this.down;
      const k = search(side.s, st, false);
      if (k === side.s.length) {
        const last = k - 1;
        out[0] = -side.c0[last]! / g;
        out[1] = side.c1[last]!;
        out[2] = 0;
        return;
      }
      const prev = k > 0 ? side.s[k - 1]! : s;
      const L = side.l[k]!;
      const b0 = k > 0 ? side.c0[k - 1]! : 0;
      const b1 = k > 0 ? side.c1[k - 1]! : 0;
      out[0] = -(b0 + L * (1 / st - 1 / prev)) / g;
      out[1] = b1 + L * (prev - st);
      out[2] = L / (2 * g * g * st * st * st);
    } else {
      out[0] = 0;
      out[1] = 0;
      out[2] = 0;
    }
  }
}

/** First k with bounds[k] >= x (ascending) or bounds[k] <= x (descending); length if none. */
function search(bounds: Float64Array, x: number, ascending: boolean): number {
  let lo = 0;
  let hi = bounds.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const b = bounds[mid]!;
    if (ascending ? b < x : b > x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
