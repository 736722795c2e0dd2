// StableSwap adapter: the third liquidity source (contracts/src/liquidity/StableSwapPool.sol, a
// two-token Curve-style pool behind ILiquiditySource).
//
// Exact view: a line-for-line bigint port of the pool's `_getD`, `_getY` and `_getAmountOut`
// (Newton iterations with the same integer divisions, the same "-1" rounding of the output, the
// fee taken from the output), with Solidity's checked arithmetic: whenever the contract would
// revert (overflow, underflow, division by zero, no convergence) the quote is 0n.
//
// Float view: the invariant D is computed once per state; the output balance y(x) then has a
// closed form (the quadratic `_getY` iterates on), and so do its derivatives, so the optimal
// arbitrage against a price r is a monotone 1-D search on the marginal rate (bisection).
//
// Interactions (ILiquiditySource's pre-transfer model, no approvals):
//   tokenIn.transfer(pool, amountIn); pool.swap(tokenIn, tokenOut, amountIn, amountOut, settlement)
import { encodeFunctionData, parseAbi, prepareEncodeFunctionData, type Address } from 'viem';
import type { Interaction } from '../../../protocol/solution.ts';
import { lower } from '../address.ts';
import { payThenCall } from './pre-transfer.ts';
import type { ArbBuffer, LiquidityAdapter } from './adapter.ts';

// prepared once (viem would hash the signature on every call)
const stableSwapSwap = prepareEncodeFunctionData({
  abi: parseAbi([
    'function swap(address tokenIn, address tokenOut, uint256 amountIn, uint256 minAmountOut, address recipient) returns (uint256 amountOut)',
  ]),
  functionName: 'swap',
});

/** Gas of one swap inside settle: its share of a settle with one trade routed through a StableSwap pool (bench:gas). */
const STABLE_SWAP_GAS = 95_000;
const FEE_DENOMINATOR = 10_000_000_000n;
const N = 2n;
const MAX_UINT256 = (1n << 256n) - 1n;
const MAX_UINT128 = (1n << 128n) - 1n;

/** The pool would revert (Solidity panic or custom error). */
class StableSwapMathError extends Error {}

const chk = (v: bigint): bigint => {
  if (v < 0n || v > MAX_UINT256) throw new StableSwapMathError(v < 0n ? 'underflow' : 'overflow');
  return v;
};
const div = (a: bigint, b: bigint): bigint => {
  if (b === 0n) throw new StableSwapMathError('division by zero');
  return a / b;
};

/** `_getD`: Newton's method for D from normalised balances x0, x1. */
function getD(amp: bigint, x0: bigint, x1: bigint): bigint {
  const s = chk(x0 + x1);
  if (s === 0n) return 0n;
  const ann = chk(amp * N);
  let d = s;
  for (let k = 0; k < 255; k++) {
    const dP = div(chk(div(chk(d * d), chk(x0 * N)) * d), chk(x1 * N));
    const prev = d;
    d = div(chk(chk(chk(ann * s) + chk(dP * N)) * d), chk(chk(chk(ann - 1n) * d) + chk((N + 1n) * dP)));
    if (d > prev ? d - prev <= 1n : prev - d <= 1n) return d;
  }
  throw new StableSwapMathError('ConvergenceFailed');
}

/** `_getY`: Newton's method for the other balance given one balance x and D. */
function getY(amp: bigint, x: bigint, d: bigint): bigint {
  const ann = chk(amp * N);
  const c = div(chk(div(chk(d * d), chk(x * N)) * d), chk(ann * N));
  const b = chk(x + div(d, ann));
  let y = d;
  for (let k = 0; k < 255; k++) {
    const prev = y;
    y = div(chk(chk(y * y) + c), chk(chk(chk(2n * y) + b) - d));
    if (y > prev ? y - prev <= 1n : prev - y <= 1n) return y;
  }
  throw new StableSwapMathError('ConvergenceFailed');
}

type StableSwapParams = { amp: bigint; fee: bigint; rate0: bigint; rate1: bigint };

/** `_getAmountOut`: output in tokenOut units (fee deducted, rounded down) for amountIn at reserves r0/r1. */
function stableAmountOut(p: StableSwapParams, zeroIn: boolean, r0: bigint, r1: bigint, amountIn: bigint): bigint {
  if (r0 === 0n || r1 === 0n) throw new StableSwapMathError('InsufficientLiquidity');
  const [rateIn, rateOut] = zeroIn ? [p.rate0, p.rate1] : [p.rate1, p.rate0];
  const xIn = chk((zeroIn ? r0 : r1) * rateIn);
  const xOut = chk((zeroIn ? r1 : r0) * rateOut);
  const d = getD(p.amp, xIn, xOut);
  const y = getY(p.amp, chk(xIn + chk(amountIn * rateIn)), d);
  if (y + 1n >= xOut) return 0n;
  const dy = xOut - y - 1n;
  const feeAmount = chk(dy * p.fee) / FEE_DENOMINATOR;
  return (dy - feeAmount) / rateOut;
}

type StableSwapPoolState = {
  address: Address;
  token0: Address;
  token1: Address;
  decimals0: number;
  decimals1: number;
  /** Amplification A (the pool's `A()`). */
  amp: bigint;
  /** Fee in units of 1e-10 (the pool's `fee()`). */
  fee: bigint;
  reserve0: bigint;
  reserve1: bigint;
};

export class StableSwapPool implements LiquidityAdapter {
  readonly kind = 'stableSwap';
  readonly gas = STABLE_SWAP_GAS;
  readonly address: Address;
  readonly token0: Address;
  readonly token1: Address;
  readonly decimals0: number;
  readonly decimals1: number;
  readonly amp: bigint;
  readonly fee: bigint;
  reserve0: bigint;
  reserve1: bigint;
  private readonly params: StableSwapParams;
  // float model
  private readonly r0f: number;
  private readonly r1f: number;
  private readonly annf: number;
  private readonly g: number;
  private x0 = 0;
  private x1 = 0;
  private df = 0;

  constructor(s: StableSwapPoolState) {
    this.address = lower(s.address);
    this.token0 = lower(s.token0);
    this.token1 = lower(s.token1);
    if (this.token0 >= this.token1) throw new Error('token0 must sort below token1');
    if (s.decimals0 > 18 || s.decimals1 > 18) throw new Error('decimals above 18');
    this.decimals0 = s.decimals0;
    this.decimals1 = s.decimals1;
    this.amp = s.amp;
    this.fee = s.fee;
    this.reserve0 = s.reserve0;
    this.reserve1 = s.reserve1;
    this.params = { amp: s.amp, fee: s.fee, rate0: 10n ** BigInt(18 - s.decimals0), rate1: 10n ** BigInt(18 - s.decimals1) };
    this.r0f = Number(this.params.rate0);
    this.r1f = Number(this.params.rate1);
    this.annf = Number(s.amp * N);
    this.g = 1 - Number(s.fee) / 1e10;
    this.syncFloats();
  }

  /** Refresh: the pool's reserves as read on chain (after a Swap / AddLiquidity / RemoveLiquidity event). */
  applyReserves(reserve0: bigint, reserve1: bigint): void {
    this.reserve0 = reserve0;
    this.reserve1 = reserve1;
    this.syncFloats();
  }

  private syncFloats(): void {
    this.x0 = Number(this.reserve0) * this.r0f;
    this.x1 = Number(this.reserve1) * this.r1f;
    this.df = floatD(this.annf, this.x0, this.x1);
  }

  quote(zeroForOne: boolean, amountIn: bigint): bigint {
    if (amountIn <= 0n) return 0n;
    try {
      return stableAmountOut(this.params, zeroForOne, this.reserve0, this.reserve1, amountIn);
    } catch (e) {
      if (e instanceof StableSwapMathError) return 0n;
      throw e;
    }
  }

  swap(zeroForOne: boolean, amountIn: bigint): bigint {
    if (amountIn <= 0n) throw new StableSwapMathError('ZeroAmount');
    const out = stableAmountOut(this.params, zeroForOne, this.reserve0, this.reserve1, amountIn);
    if (out === 0n) throw new StableSwapMathError('zero output');
    const [n0, n1] = zeroForOne ? [this.reserve0 + amountIn, this.reserve1 - out] : [this.reserve0 - out, this.reserve1 + amountIn];
    if (n0 > MAX_UINT128 || n1 > MAX_UINT128) throw new StableSwapMathError('BalanceOverflow');
    this.applyReserves(n0, n1);
    return out;
  }

  encodeSwap(zeroForOne: boolean, amountIn: bigint, amountOut: bigint, settlement: Address): Interaction[] {
    const [tokenIn, tokenOut] = zeroForOne ? [this.token0, this.token1] : [this.token1, this.token0];
    // minAmountOut = the exact quote: the swap reverts (rather than underpays) if the pool moved.
    const swap = encodeFunctionData({
      ...stableSwapSwap,
      args: [tokenIn, tokenOut, amountIn, amountOut, settlement],
    });
    return payThenCall(tokenIn, this.address, amountIn, swap);
  }

  clone(): StableSwapPool {
    return new StableSwapPool(this);
  }

  // ---------------------------------------------------------------- float model

  /** y(x) and dy/dx (normalised units) on the invariant with D fixed. */
  private yOf(x: number): { y: number; dy: number } {
    const D = this.df;
    const ann = this.annf;
    const c = (D * D * D) / (4 * x * ann);
    const b = x + D / ann;
    const bm = b - D;
    const y = (-bm + Math.sqrt(bm * bm + 4 * c)) / 2;
    // 2y y' + (b - D) y' + y = c', c' = -c / x
    const dy = (-c / x - y) / (2 * y + bm);
    return { y, dy };
  }

  /** Marginal rate (out base units per in base unit, after fee) after selling `a` base units. */
  private marginal(zeroIn: boolean, a: number): number {
    const [xIn, rIn, rOut] = zeroIn ? [this.x0, this.r0f, this.r1f] : [this.x1, this.r1f, this.r0f];
    const { dy } = this.yOf(xIn + a * rIn);
    return (-dy * rIn * this.g) / rOut;
  }

  /** Float output (base units) for selling `a` base units. */
  private outFloat(zeroIn: boolean, a: number): number {
    const [xIn, xOut, rIn, rOut] = zeroIn ? [this.x0, this.x1, this.r0f, this.r1f] : [this.x1, this.x0, this.r1f, this.r0f];
    const { y } = this.yOf(xIn + a * rIn);
    return Math.max(0, ((xOut - y) * this.g) / rOut);
  }

  spotPrice(): number {
    // before fees: token1 base units per token0 base unit
    return this.marginal(true, 0) / this.g;
  }

  /** Amount a >= 0 (base units) at which the marginal rate falls to `target`. */
  private solveMarginal(zeroIn: boolean, target: number): number {
    const reserveIn = zeroIn ? Number(this.reserve0) : Number(this.reserve1);
    let hi = Math.max(reserveIn, 1);
    for (let k = 0; k < 200 && this.marginal(zeroIn, hi) > target; k++) hi *= 2;
    let lo = 0;
    for (let k = 0; k < 200; k++) {
      const mid = (lo + hi) / 2;
      if (this.marginal(zeroIn, mid) > target) lo = mid;
      else hi = mid;
      if (hi - lo <= 1e-12 * hi) break;
    }
    return (lo + hi) / 2;
  }

  arb(r: number, out: ArbBuffer): void {
    if (!(this.df > 0)) {
      out[0] = 0;
      out[1] = 0;
      out[2] = 0;
      return;
    }
    const m0 = this.marginal(true, 0); // token1 per token0, selling token0
    const m1 = this.marginal(false, 0); // token0 per token1, selling token1
    if (r < m0) {
      // sell token0 until its marginal rate is r
      const a = this.solveMarginal(true, r);
      out[0] = -a;
      out[1] = this.outFloat(true, a);
      const h = Math.max(a * 1e-6, 1);
      const slope = (this.marginal(true, a + h) - this.marginal(true, Math.max(a - h, 0))) / (a + h - Math.max(a - h, 0));
      out[2] = slope < 0 ? -1 / slope : 0;
    } else if (r * m1 > 1) {
      // sell token1 until its marginal rate (token0 per token1) is 1/r
      const a = this.solveMarginal(false, 1 / r);
      out[0] = this.outFloat(false, a);
      out[1] = -a;
      const h = Math.max(a * 1e-6, 1);
      const lo = Math.max(a - h, 0);
      const slope = (this.marginal(false, a + h) - this.marginal(false, lo)) / (a + h - lo);
      const m = this.marginal(false, a);
      out[2] = slope < 0 ? (m * -1) / (r * r * slope) : 0;
    } else {
      out[0] = 0;
      out[1] = 0;
      out[2] = 0;
    }
  }
}

/** Float Newton for D (same iteration as the contract, in doubles). */
function floatD(ann: number, x0: number, x1: number): number {
  const s = x0 + x1;
  if (!(x0 > 0) || !(x1 > 0)) return 0;
  let d = s;
  for (let k = 0; k < 255; k++) {
    const dP = (((d * d) / (x0 * 2)) * d) / (x1 * 2);
    const prev = d;
    d = ((ann * s + dP * 2) * d) / ((ann - 1) * d + 3 * dP);
    if (Math.abs(d - prev) <= 1e-15 * d) break;
  }
  return d;
}
