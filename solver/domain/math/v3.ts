// Exact ports of Uniswap V3's TickMath, SqrtPriceMath, SwapMath and the pool's swap loop
// (v3-core 1.0.1), in bigint, so that a quote here equals the pool's own result to the wei.
// Every overflow check of the Solidity code is reproduced as a thrown error (the pool reverts).

const U256 = (1n << 256n) - 1n;
const U160 = (1n << 160n) - 1n;
const Q96 = 1n << 96n;

export const MIN_TICK = -887272;
export const MAX_TICK = 887272;
export const MIN_SQRT_RATIO = 4295128739n;
export const MAX_SQRT_RATIO = 1461446703485210103287273052203988822378723970342n;

export class V3MathError extends Error {}
const req = (cond: boolean, what: string): void => {
  if (!cond) throw new V3MathError(what);
};

function mulDiv(a: bigint, b: bigint, d: bigint): bigint {
  req(d > 0n, 'mulDiv: zero denominator');
  const r = (a * b) / d;
  req(r <= U256, 'mulDiv: overflow');
  return r;
}

function mulDivRoundingUp(a: bigint, b: bigint, d: bigint): bigint {
  const r = mulDiv(a, b, d);
  if ((a * b) % d > 0n) {
    req(r < U256, 'mulDivRoundingUp: overflow');
    return r + 1n;
  }
  return r;
}

const divRoundingUp = (a: bigint, b: bigint): bigint => a / b + (a % b > 0n ? 1n : 0n);

const TICK_FACTORS: [number, bigint][] = [
  [0x2, 0xfff97272373d413259a46990580e213an],
  [0x4, 0xfff2e50f5f656932ef12357cf3c7fdccn],
  [0x8, 0xffe5caca7e10e4e61c3624eaa0941cd0n],
  [0x10, 0xffcb9843d60f6159c9db58835c926644n],
  [0x20, 0xff973b41fa98c081472e6896dfb254c0n],
  [0x40, 0xff2ea16466c96a3843ec78b326b52861n],
  [0x80, 0xfe5dee046a99a2a811c461f1969c3053n],
  [0x100, 0xfcbe86c7900a88aedcffc83b479aa3a4n],
  [0x200, 0xf987a7253ac413176f2b074cf7815e54n],
  [0x400, 0xf3392b0822b70005940c7a398e4b70f3n],
  [0x800, 0xe7159475a2c29b7443b29c7fa6e889d9n],
  [0x1000, 0xd097f3bdfd2022b8845ad8f792aa5825n],
  [0x2000, 0xa9f746462d870fdf8a65dc1f90e061e5n],
  [0x4000, 0x70d869a156d2a1b890bb3df62baf32f7n],
  [0x8000, 0x31be135f97d08fd981231505542fcfa6n],
  [0x10000, 0x9aa508b5b7a84e1c677de54f3e99bc9n],
  [0x20000, 0x5d6af8dedb81196699c329225ee604n],
  [0x40000, 0x2216e584f5fa1ea926041bedfe98n],
  [0x80000, 0x48a170391f7dc42444e8fa2n],
];

const sqrtRatioCache = new Map<number, bigint>();

/** TickMath.getSqrtRatioAtTick. */
export function getSqrtRatioAtTick(tick: number): bigint {
  const cached = sqrtRatioCache.get(tick);
  if (cached !== undefined) return cached;
  const absTick = Math.abs(tick);
  req(Number.isInteger(tick) && absTick <= MAX_TICK, 'T');
  let ratio = absTick & 0x1 ? 0xfffcb933bd6fad37aa2d162d1a594001n : 0x100000000000000000000000000000000n;
  for (const [bit, factor] of TICK_FACTORS) if (absTick & bit) ratio = (ratio * factor) >> 128n;
  if (tick > 0) ratio = U256 / ratio;
  const out = (ratio >> 32n) + (ratio % (1n << 32n) === 0n ? 0n : 1n);
  if (sqrtRatioCache.size < 1 << 16) sqrtRatioCache.set(tick, out);
  return out;
}

/** TickMath.getTickAtSqrtRatio, bit for bit (msb, then 14 squarings of the log2 fraction). */
export function getTickAtSqrtRatio(sqrtPriceX96: bigint): number {
  req(sqrtPriceX96 >= MIN_SQRT_RATIO && sqrtPriceX96 < MAX_SQRT_RATIO, 'R');
  const ratio = sqrtPriceX96 << 32n;
  let r = ratio;
  let msb = 0n;
  for (const [shift, bound] of [
    [7n, 0xffffffffffffffffffffffffffffffffn],
    [6n, 0xffffffffffffffffn],
    [5n, 0xffffffffn],
    [4n, 0xffffn],
    [3n, 0xffn],
    [2n, 0xfn],
    [1n, 0x3n],
  ] as const) {
    const f = r > bound ? 1n << shift : 0n;
    msb |= f;
    r >>= f;
  }
  if (r > 1n) msb |= 1n;
  r = msb >= 128n ? ratio >> (msb - 127n) : ratio << (127n - msb);
  let log2 = (msb - 128n) << 64n;
  for (let bit = 63n; bit >= 50n; bit--) {
    r = (r * r) >> 127n;
    const f = r >> 128n;
    log2 |= f << bit;
    r >>= f;
  }
  const logSqrt10001 = log2 * 255738958999603826347141n;
  const tickLow = Number((logSqrt10001 - 3402992956809132418596140100660247210n) >> 128n);
  const tickHi = Number((logSqrt10001 + 291339464771989622907027621153398088495n) >> 128n);
  return tickLow === tickHi ? tickLow : getSqrtRatioAtTick(tickHi) <= sqrtPriceX96 ? tickHi : tickLow;
}

function nextSqrtPriceFromAmount0RoundingUp(sqrtP: bigint, liquidity: bigint, amount: bigint, add: boolean): bigint {
  if (amount === 0n) return sqrtP;
  const numerator1 = liquidity << 96n;
  const product = amount * sqrtP;
  if (add) {
    if (product <= U256) {
      const denominator = numerator1 + product;
      if (denominator <= U256) return mulDivRoundingUp(numerator1, sqrtP, denominator);
    }
    const d = numerator1 / sqrtP + amount;
    req(d <= U256, 'add overflow');
    return divRoundingUp(numerator1, d);
  }
  req(product <= U256 && numerator1 > product, 'amount0 out of range');
  const r = mulDivRoundingUp(numerator1, sqrtP, numerator1 - product);
  req(r <= U160, 'toUint160');
  return r;
}

function nextSqrtPriceFromAmount1RoundingDown(sqrtP: bigint, liquidity: bigint, amount: bigint, add: boolean): bigint {
  if (add) {
    const quotient = amount <= U160 ? (amount << 96n) / liquidity : mulDiv(amount, Q96, liquidity);
    const r = sqrtP + quotient;
    req(r <= U160, 'toUint160');
    return r;
  }
  const quotient = amount <= U160 ? divRoundingUp(amount << 96n, liquidity) : mulDivRoundingUp(amount, Q96, liquidity);
  req(sqrtP > quotient, 'amount1 out of range');
  return sqrtP - quotient;
}

function nextSqrtPriceFromInput(sqrtP: bigint, liquidity: bigint, amountIn: bigint, zeroForOne: boolean): bigint {
  req(sqrtP > 0n && liquidity > 0n, 'input');
  return zeroForOne
    ? nextSqrtPriceFromAmount0RoundingUp(sqrtP, liquidity, amountIn, true)
    : nextSqrtPriceFromAmount1RoundingDown(sqrtP, liquidity, amountIn, true);
}

function nextSqrtPriceFromOutput(sqrtP: bigint, liquidity: bigint, amountOut: bigint, zeroForOne: boolean): bigint {
  req(sqrtP > 0n && liquidity > 0n, 'output');
  return zeroForOne
    ? nextSqrtPriceFromAmount1RoundingDown(sqrtP, liquidity, amountOut, false)
    : nextSqrtPriceFromAmount0RoundingUp(sqrtP, liquidity, amountOut, false);
}

function getAmount0Delta(a: bigint, b: bigint, liquidity: bigint, roundUp: boolean): bigint {
  if (a > b) [a, b] = [b, a];
  const numerator1 = liquidity << 96n;
  const numerator2 = b - a;
  req(a > 0n, 'amount0 delta');
  return roundUp ? divRoundingUp(mulDivRoundingUp(numerator1, numerator2, b), a) : mulDiv(numerator1, numerator2, b) / a;
}

function getAmount1Delta(a: bigint, b: bigint, liquidity: bigint, roundUp: boolean): bigint {
  if (a > b) [a, b] = [b, a];
  return roundUp ? mulDivRoundingUp(liquidity, b - a, Q96) : mulDiv(liquidity, b - a, Q96);
}

type SwapStep = { sqrtRatioNextX96: bigint; amountIn: bigint; amountOut: bigint; feeAmount: bigint };

/** SwapMath.computeSwapStep. `amountRemaining` >= 0 is exact input, < 0 exact output. */
function computeSwapStep(current: bigint, target: bigint, liquidity: bigint, amountRemaining: bigint, feePips: number): SwapStep {
  const fee = BigInt(feePips);
  const zeroForOne = current >= target;
  const exactIn = amountRemaining >= 0n;
  let next: bigint;
  let amountIn = 0n;
  let amountOut = 0n;
  if (exactIn) {
    const lessFee = mulDiv(amountRemaining, 1_000_000n - fee, 1_000_000n);
    amountIn = zeroForOne ? getAmount0Delta(target, current, liquidity, true) : getAmount1Delta(current, target, liquidity, true);
    next = lessFee >= amountIn ? target : nextSqrtPriceFromInput(current, liquidity, lessFee, zeroForOne);
  } else {
    amountOut = zeroForOne ? getAmount1Delta(target, current, liquidity, false) : getAmount0Delta(current, target, liquidity, false);
    next = -amountRemaining >= amountOut ? target : nextSqrtPriceFromOutput(current, liquidity, -amountRemaining, zeroForOne);
  }
  const max = target === next;
  if (zeroForOne) {
    if (!(max && exactIn)) amountIn = getAmount0Delta(next, current, liquidity, true);
    if (!(max && !exactIn)) amountOut = getAmount1Delta(next, current, liquidity, false);
  } else {
    if (!(max && exactIn)) amountIn = getAmount1Delta(current, next, liquidity, true);
    if (!(max && !exactIn)) amountOut = getAmount0Delta(current, next, liquidity, false);
  }
  if (!exactIn && amountOut > -amountRemaining) amountOut = -amountRemaining;
  const feeAmount = exactIn && next !== target ? amountRemaining - amountIn : mulDivRoundingUp(amountIn, fee, 1_000_000n - fee);
  return { sqrtRatioNextX96: next, amountIn, amountOut, feeAmount };
}

/** Pool state the swap loop reads and writes. `ticks` holds the initialised ticks, ascending. */
export type V3State = {
  sqrtPriceX96: bigint;
  tick: number;
  liquidity: bigint;
  fee: number;
  tickSpacing: number;
  /** Initialised ticks (ascending) with their liquidityNet. */
  ticks: { index: number; liquidityNet: bigint }[];
};

/** Binary search: position of the first initialised tick with index > `tick` (ticks ascending). */
function upperBound(ticks: V3State['ticks'], tick: number): number {
  let lo = 0;
  let hi = ticks.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ticks[mid]!.index <= tick) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * TickBitmap.nextInitializedTickWithinOneWord, answered from the sorted tick list: the search stops
 * at the 256-tick word boundary exactly as the bitmap does (a step ends there even if nothing is
 * initialised), which matters because every step rounds.
 */
function nextInitializedTickWithinOneWord(s: V3State, tick: number, lte: boolean): { next: number; initialized: boolean } {
  const spacing = s.tickSpacing;
  let compressed = Math.trunc(tick / spacing);
  if (tick < 0 && tick % spacing !== 0) compressed--;
  if (lte) {
    const bitPos = compressed & 0xff;
    const wordStart = compressed - bitPos;
    // largest initialised compressed tick c with wordStart <= c <= compressed
    const k = upperBound(s.ticks, compressed * spacing) - 1;
    if (k >= 0) {
      const c = s.ticks[k]!.index / spacing;
      if (c >= wordStart) return { next: c * spacing, initialized: true };
    }
    return { next: wordStart * spacing, initialized: false };
  }
  const start = compressed + 1;
  const bitPos = start & 0xff;
  const wordEnd = start + (255 - bitPos);
  const k = upperBound(s.ticks, compressed * spacing);
  if (k < s.ticks.length) {
    const c = s.ticks[k]!.index / spacing;
    if (c <= wordEnd) return { next: c * spacing, initialized: true };
  }
  return { next: wordEnd * spacing, initialized: false };
}

type V3SwapResult = { amount0: bigint; amount1: bigint; state: Omit<V3State, 'ticks' | 'fee' | 'tickSpacing'> };

/**
 * UniswapV3Pool.swap's loop without the token transfers, with no price limit (the limit the
 * settlement's swap interaction passes: MIN_SQRT_RATIO + 1 or MAX_SQRT_RATIO - 1): returns the
 * pool's signed deltas (positive = paid into the pool) and the state after. `amountSpecified` > 0
 * exact input, < 0 exact output.
 */
export function v3Swap(s: V3State, zeroForOne: boolean, amountSpecified: bigint): V3SwapResult {
  req(amountSpecified !== 0n, 'AS');
  const limit = zeroForOne ? MIN_SQRT_RATIO + 1n : MAX_SQRT_RATIO - 1n;
  req(zeroForOne ? limit < s.sqrtPriceX96 && limit > MIN_SQRT_RATIO : limit > s.sqrtPriceX96 && limit < MAX_SQRT_RATIO, 'SPL');
  const exactInput = amountSpecified > 0n;
  let remaining = amountSpecified;
  let calculated = 0n;
  let sqrtPrice = s.sqrtPriceX96;
  let tick = s.tick;
  let liquidity = s.liquidity;
  while (remaining !== 0n && sqrtPrice !== limit) {
    const start = sqrtPrice;
    let { next, initialized } = nextInitializedTickWithinOneWord(s, tick, zeroForOne);
    if (next < MIN_TICK) next = MIN_TICK;
    else if (next > MAX_TICK) next = MAX_TICK;
    const sqrtNext = getSqrtRatioAtTick(next);
    const target = (zeroForOne ? sqrtNext < limit : sqrtNext > limit) ? limit : sqrtNext;
    const step = computeSwapStep(sqrtPrice, target, liquidity, remaining, s.fee);
    sqrtPrice = step.sqrtRatioNextX96;
    if (exactInput) {
      remaining -= step.amountIn + step.feeAmount;
      calculated -= step.amountOut;
    } else {
      remaining += step.amountOut;
      calculated += step.amountIn + step.feeAmount;
    }
    if (sqrtPrice === sqrtNext) {
      if (initialized) {
        const k = upperBound(s.ticks, next) - 1;
        let net = s.ticks[k]!.liquidityNet;
        if (zeroForOne) net = -net;
        liquidity += net;
        req(liquidity >= 0n, net < 0n ? 'LS' : 'LA');
      }
      tick = zeroForOne ? next - 1 : next;
    } else if (sqrtPrice !== start) {
      tick = getTickAtSqrtRatio(sqrtPrice);
    }
  }
  const [amount0, amount1] =
    zeroForOne === exactInput ? [amountSpecified - remaining, calculated] : [calculated, amountSpecified - remaining];
  return { amount0, amount1, state: { sqrtPriceX96: sqrtPrice, tick, liquidity } };
}
