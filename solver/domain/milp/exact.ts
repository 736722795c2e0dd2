// The MILP stage's exact pass: a fixed-price plan (pools as lines) made into a solution that holds
// to the wei. The lines are optimistic, so the plan is re-solved with the pools as fixed exact
// quotes (fixed-price-lp.ts's `quotes` model: several input sizes around the plan's, and small ones
// each way so a batch that nets internally can win back the users' roundings); then fills are
// rounded down, pool inputs up, the legs are ordered so each one's input is already in the
// settlement contract, executed on copies of the pools with the adapters' exact `swap`, and every
// token's balance is checked in bigint. A margin that proves too thin is widened and the pass retried.
import type { Hex } from 'viem';
import { tradeAmounts } from '../../../protocol/clearing.ts';
import type { Solution } from '../../../protocol/solution.ts';
import { settleGas } from '../gas.ts';
import { matchStats } from '../match-stats.ts';
import type { LiquidityAdapter } from '../liquidity/adapter.ts';
import type { SolveOptions } from '../options.ts';
import type { SolveResult } from '../result.ts';
import { type ExecutedLeg, swapInteractions } from '../routing/execute.ts';
import type { FixedPricePlan, FixedPrices, Quote } from './fixed-price-lp.ts';
import type { Highs } from './highs.ts';

/** Least time left for the exact pass's MILP fallback. */
const MILP_FALLBACK_SECONDS = 0.1;
/** Input sizes offered around the plan's input on a side it trades (a piecewise-linear inner model of the curve). */
const AROUND = [0.5, 0.8, 0.9, 0.95, 0.99, 1, 1.01, 1.05, 1.1, 1.25, 1.5];
/** Small inputs offered on every side, as shares of the batch's traded value. */
const SMALL = [1e-6, 1e-4, 1e-3, 1e-2, 0.1];
/**
 * Margins per token (value units) tried in turn, on top of a wei per trade: absolute, because a
 * batch that nets almost entirely internally may gain only a few millionths from its pool trade
 * (twoSided seed 6: a margin of 1e-3 cut its value from 1,569 to 154).
 */
const MARGINS = [1e-6, 1e-4, 1e-2];

export function exactSolution(
  highs: Highs,
  seconds: number,
  at: FixedPrices,
  plan: FixedPricePlan,
  opts: SolveOptions,
): SolveResult | undefined {
  const m = at.model;
  let volume = 0;
  m.orders.forEach((_, k) => {
    if (at.eligible[k]) volume += at.coefficients(k).value;
  });
  const quotes: Quote[] = [];
  m.sides.forEach((side, k) => {
    const pool = m.pools[side.pool]!;
    const sizes = new Set<number>();
    const u = plan.inputs[k]!;
    if (u >= 1) for (const x of AROUND) sizes.add(Math.floor(u * x));
    for (const x of SMALL) sizes.add(Math.floor((volume * x) / at.unit[side.tin]!));
    for (const input of sizes) {
      if (!(input >= 1) || !Number.isFinite(input)) continue;
      const output = Number(pool.quote(side.zeroForOne, BigInt(input)));
      if (output > 0) quotes.push({ side: k, input, output });
    }
  });
  // first with the plan's own choices fixed (which fill-or-kill orders fill, which way each pool
  // it uses trades): an LP; failing that, the MILP that chooses them again
  const fok = m.orders.map((o, k) => o.fok && plan.fills[k]! > 0.5);
  const oneWay = quotes.filter((q) => {
    const side = m.sides[q.side]!;
    const mine = plan.inputs[q.side]! * at.unit[side.tin]!;
    const otherSide = q.side ^ 1;
    const other = plan.inputs[otherSide]! * at.unit[m.sides[otherSide]!.tin]!;
    return mine >= other;
  });
  const t0 = performance.now();
  for (const [q, fixed] of [
    [oneWay, fok],
    [quotes, undefined],
  ] as const) {
    // the MILP fallback only with time for it (it costs ten times the LP)
    if (!fixed && seconds - (performance.now() - t0) / 1000 < MILP_FALLBACK_SECONDS) break;
    for (const margin of MARGINS) {
      const left = seconds - (performance.now() - t0) / 1000;
      if (left <= 0) return undefined;
      const inner = at.solve(highs, left, margin, q, fixed);
      if (!inner) break;
      const out = execute(at, inner, opts);
      if (out === 'empty') break;
      if (out !== 'short') return out;
    }
  }
  return undefined;
}

/** The plan executed exactly: a solution, 'empty' if it trades nothing, 'short' if a token's balance ends below zero. */
function execute(at: FixedPrices, plan: FixedPricePlan, opts: SolveOptions): SolveResult | 'empty' | 'short' {
  const m = at.model;
  const n = m.tokens.length;
  const paidIn: bigint[] = new Array(n).fill(0n);
  const takenOut: bigint[] = new Array(n).fill(0n);
  const trades: { intentId: Hex; executed: bigint }[] = [];
  const traded = new Set<number>();
  const filled: { s: number; t: number }[] = [];
  m.orders.forEach((o, k) => {
    const f = plan.fills[k]!;
    let executed: bigint;
    if (o.fok) executed = f > 0.5 ? o.amount : 0n;
    else if (f >= 1 - 1e-12) executed = o.amount;
    else executed = BigInt(Math.floor(Number(o.amount) * f * (1 - 1e-12)));
    if (executed > o.amount) executed = o.amount;
    if (executed <= 0n) return;
    const a = tradeAmounts(o.intent, executed, at.prices[o.s]!, at.prices[o.t]!);
    paidIn[o.s]! += a.sell;
    takenOut[o.t]! += a.buy;
    trades.push({ intentId: o.id, executed });
    filled.push(o);
    traded.add(o.s);
    traded.add(o.t);
  });
  if (!trades.length) return 'empty';
  // the contract holds what the users paid in (and its own buffers) before any interaction runs
  const held = paidIn.map((x, t) => x + (opts.buffers?.get(m.tokens[t]!) ?? 0n));
  const pending: { side: number; amountIn: bigint }[] = [];
  plan.inputs.forEach((u, k) => {
    // rounded up: the output then covers what the plan counted on
    const amountIn = BigInt(Math.ceil(u - 1e-6));
    if (amountIn > 0n) pending.push({ side: k, amountIn });
  });
  const legs: ExecutedLeg[] = [];
  const copies = new Map<number, LiquidityAdapter>();
  while (pending.length) {
    // a leg whose input is already held (a route's second hop waits for its first)
    const next = pending.findIndex((l) => held[m.sides[l.side]!.tin]! >= l.amountIn);
    if (next < 0) return 'short';
    const { side: k, amountIn } = pending.splice(next, 1)[0]!;
    const side = m.sides[k]!;
    let copy = copies.get(side.pool);
    if (!copy) {
      copy = m.pools[side.pool]!.clone();
      copies.set(side.pool, copy);
    }
    let amountOut: bigint;
    try {
      amountOut = copy.swap(side.zeroForOne, amountIn);
    } catch {
      return 'short';
    }
    held[side.tin]! -= amountIn;
    held[side.tout]! += amountOut;
    legs.push({ pool: m.pools[side.pool]!, zeroForOne: side.zeroForOne, amountIn, amountOut });
  }
  if (held.some((h, t) => h < takenOut[t]!)) {
    return 'short';
  }
  const prices = [...traded].map((t) => ({ token: m.tokens[t]!, price: at.prices[t]! })).sort((a, b) => (a.token < b.token ? -1 : 1));
  const interactions = swapInteractions(legs, opts.settlement);
  const solution: Solution = { auctionId: m.auction.id, solver: opts.solver, prices, marketPrices: [], trades, interactions };
  const { matched, matchedVolumeShare } = matchStats(paidIn, takenOut, (t) => m.refUnit[t]!, filled);
  return {
    solution,
    legs,
    stats: {
      intents: m.intents,
      filled: trades.length,
      matched,
      matchedVolumeShare,
      interactions: interactions.length,
      gasEstimate: settleGas(trades.length, legs),
      ms: 0,
    },
  };
}
