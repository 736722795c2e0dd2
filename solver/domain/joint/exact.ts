// The joint solve's exact pass: the float plan made exact. The search is float; a solution must hold
// to the wei: integer prices, the contract's rounding (protocol/clearing.ts), every swap executed
// on bigint pool state, and every token's balance non-negative (a tiny shading of the short
// tokens' prices covers float error and rounding).
import type { Hex } from 'viem';
import { limitHolds, tradeAmounts } from '../../../protocol/clearing.ts';
import { settleGas } from '../gas.ts';
import { matchStats } from '../match-stats.ts';
import type { LiquidityAdapter } from '../liquidity/adapter.ts';
import type { JointFailure, SolveResult } from '../result.ts';
import { swapInteractions, type ExecutedLeg } from '../routing/execute.ts';
import type { PlanLeg } from '../routing/plan.ts';
import { referenceValue, type Entry, type JointBatch } from './batch.ts';
import type { JointPlan } from './clear.ts';

/**
 * The plan at exact amounts: integer prices (the cheapest traded token at about 2^80), the
 * contract's rounding, every leg executed on bigint copies of the pools; a failure if some token
 * stays short, nothing trades, or the float plan is not finite (a price, fill or leg amount that
 * is NaN or infinite would otherwise reach BigInt and throw).
 */
export function toExact(batch: JointBatch, plan: JointPlan, legs: readonly PlanLeg[]): SolveResult | JointFailure {
  const r = batch.router;
  const n = r.tokens.length;
  const bad = nonFinite(batch, plan, legs);
  if (bad) return { cause: 'non_finite', detail: bad };
  // integer prices: the cheapest traded token at ~2^80
  let pmin = Infinity;
  for (const [idx, en] of batch.entries.entries()) if (plan.fills[idx]! > 0) pmin = Math.min(pmin, plan.p[en.s]!, plan.p[en.t]!);
  if (!(pmin < Infinity)) return { cause: 'exact_failed', detail: 'the plan fills no intent' };
  // A token left short (float error, rounding) is made up by the partially fillable intents
  // that take it out: the largest gives back exactly the shortfall. At uniform prices every trade
  // is value-neutral and every rounding favours the settlement, so what that intent then pays in
  // less of another token is covered by that token's own rounding slack; a batch that nets
  // internally has no other slack (no pool margin), and shading prices alone can only move its
  // deficit from one token to the other. Where no partial fill takes the short token out, the
  // token gets a little dearer instead (its buyers receive a little less). Failing all that,
  // shading alone, from the plan's own prices (some plans pass one way, some the other).
  let last: bigint[] = [];
  for (const withCuts of [true, false]) {
    const mult = new Float64Array(n).fill(1);
    const cuts = new Map<number, bigint>();
    for (let round = 0; round < (withCuts ? 8 : 4); round++) {
      const P: bigint[] = [];
      for (let j = 0; j < n; j++) P.push(BigInt(Math.round((plan.p[j]! / pmin) * 2 ** 80 * mult[j]!)));
      const res = exactAt(batch, plan, legs, P, cuts);
      if ('solution' in res) return res;
      if (!res.short.some((d) => d > 0n)) {
        if (withCuts) break; // the other way from the plan's own prices
        return { cause: 'exact_failed', detail: 'no trade keeps its limit at the integer prices' };
      }
      last = res.short;
      for (let j = 0; j < n; j++) {
        const d = res.short[j]!;
        if (d <= 0n) continue;
        const taker = withCuts ? largestPartialTaker(batch, plan, cuts, j) : undefined;
        if (taker) {
          const cut = smallestCut(batch.entries[taker.idx]!, taker.executed, d, P);
          if (cut !== undefined) {
            cuts.set(taker.idx, (cuts.get(taker.idx) ?? 0n) + cut);
            continue;
          }
        }
        if (res.sens[j]! > 0) mult[j] = mult[j]! * (1 + (1.5 * Number(d) + 1) / res.sens[j]! + 1e-15);
      }
    }
  }
  const short = last.flatMap((d, j) => (d > 0n ? [`${r.tokens[j]} short ${d}`] : []));
  return { cause: 'exact_failed', detail: short.join(', ') };
}

/** The first non-finite (or non-positive) number of a float plan that the exact pass would use, described; undefined if none. */
function nonFinite(batch: JointBatch, plan: JointPlan, legs: readonly PlanLeg[]): string | undefined {
  const r = batch.router;
  for (const [idx, en] of batch.entries.entries()) {
    const f = plan.fills[idx]!;
    if (!Number.isFinite(f)) return `fill of intent ${en.id} is ${f}`;
    if (f <= 0) continue;
    for (const j of [en.s, en.t]) {
      const p = plan.p[j]!;
      if (!(p > 0) || !Number.isFinite(p)) return `price of ${r.tokens[j]} is ${p}`;
    }
  }
  for (let j = 0; j < plan.supply.length; j++)
    if (!Number.isFinite(plan.supply[j]!)) return `users' net flow of ${r.tokens[j]} is ${plan.supply[j]}`;
  for (const l of legs) {
    if (!(l.amountIn >= 0) || !Number.isFinite(l.amountIn)) return `leg on pool ${r.pools[l.pool]!.address} has amountIn ${l.amountIn}`;
    const f0 = plan.flows[2 * l.pool]!;
    const f1 = plan.flows[2 * l.pool + 1]!;
    if (!Number.isFinite(f0) || !Number.isFinite(f1)) return `pool ${r.pools[l.pool]!.address} has flows ${f0}, ${f1}`;
  }
  return undefined;
}

/**
 * The smallest cut of an intent's executed amount (below all of it) that lowers what it takes
 * out by at least d, at integer prices P (bisection on the contract's rounding); undefined if
 * none. The smallest, because what it then pays in less must stay within another token's slack.
 */
function smallestCut(en: Entry, executed: bigint, d: bigint, P: bigint[]): bigint | undefined {
  const out = (x: bigint): bigint => (x <= 0n ? 0n : tradeAmounts(en.intent, x, P[en.s]!, P[en.t]!).buy);
  const full = out(executed);
  if (full - out(1n) < d) return undefined;
  let lo = 0n;
  let hi = executed - 1n;
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n;
    if (full - out(executed - mid) >= d) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The entry's executed amount before any cut: the float fill of the remaining amount. */
function planned(en: Entry, f: number): bigint {
  const executed = en.partial && f < 1 ? BigInt(Math.floor(f * en.x)) : en.amount;
  return executed > en.amount ? en.amount : executed;
}

/** The partially fillable entry taking out the most of token j (after `cuts`), with its executed amount. */
function largestPartialTaker(
  batch: JointBatch,
  plan: JointPlan,
  cuts: ReadonlyMap<number, bigint>,
  j: number,
): { idx: number; executed: bigint } | undefined {
  let best: { idx: number; executed: bigint; value: number } | undefined;
  for (const [idx, en] of batch.entries.entries()) {
    const f = plan.fills[idx]!;
    if (!en.partial || en.t !== j || f <= 0) continue;
    const executed = planned(en, f) - (cuts.get(idx) ?? 0n);
    if (executed <= 0n) continue;
    const value = Number(executed) * (en.sell ? plan.p[en.s]! : plan.p[en.t]!);
    if (!best || value > best.value) best = { idx, executed, value };
  }
  return best;
}

/** Exact amounts at integer prices P on fresh pool state, the entries' executed amounts less `cuts`; the shortfalls if some token would be short. */
function exactAt(
  batch: JointBatch,
  plan: JointPlan,
  legs: readonly PlanLeg[],
  P: bigint[],
  cuts: ReadonlyMap<number, bigint>,
): SolveResult | { short: bigint[]; sens: Float64Array } {
  const r = batch.router;
  const n = r.tokens.length;
  const bal: bigint[] = new Array(n).fill(0n);
  const paid: bigint[] = new Array(n).fill(0n);
  const recv: bigint[] = new Array(n).fill(0n);
  const sens = new Float64Array(n);
  const trades: { intentId: Hex; executed: bigint }[] = [];
  const filled: Entry[] = [];
  for (const [idx, en] of batch.entries.entries()) {
    const f = plan.fills[idx]!;
    if (f <= 0) continue;
    const executedClamped = planned(en, f) - (cuts.get(idx) ?? 0n);
    if (executedClamped <= 0n) continue;
    if (!limitHolds(en.intent, P[en.s]!, P[en.t]!)) {
      continue;
    }
    const a = tradeAmounts(en.intent, executedClamped, P[en.s]!, P[en.t]!);
    bal[en.s] = bal[en.s]! + a.sell;
    bal[en.t] = bal[en.t]! - a.buy;
    // how this token's balance moves when its price rises: SELL buyers get less of it, BUY
    // sellers pay less of it
    if (en.sell) sens[en.t] = sens[en.t]! + Number(a.buy);
    else sens[en.s] = sens[en.s]! - Number(a.sell);
    paid[en.s] = paid[en.s]! + a.sell;
    recv[en.t] = recv[en.t]! + a.buy;
    trades.push({ intentId: en.id, executed: executedClamped });
    filled.push(en);
  }
  if (!trades.length) return { short: new Array(n).fill(0n), sens };
  // pool legs, exactly, on copies of the original state
  const pools = new Map<number, LiquidityAdapter>();
  const poolOf = (i: number): LiquidityAdapter => {
    let p = pools.get(i);
    if (!p) {
      p = r.pools[i]!.clone();
      pools.set(i, p);
    }
    return p;
  };
  const planIn = new Float64Array(n);
  const planOut = new Float64Array(n);
  for (let j = 0; j < n; j++) planIn[j] = Math.max(0, plan.supply[j]!);
  for (const l of legs) {
    const f = plan.flows;
    planIn[l.tokenOut] = planIn[l.tokenOut]! + (l.zeroForOne ? f[2 * l.pool + 1]! : f[2 * l.pool]!);
    planOut[l.tokenIn] = planOut[l.tokenIn]! + l.amountIn;
  }
  const lastLeg = new Map<number, PlanLeg>();
  for (const l of legs) lastLeg.set(l.tokenIn, l);
  const actualIn: bigint[] = bal.map((b) => (b > 0n ? b : 0n));
  const spent: bigint[] = new Array(n).fill(0n);
  const executed: ExecutedLeg[] = [];
  for (const l of legs) {
    const j = l.tokenIn;
    const free = plan.supply[j]! >= 0;
    const lastOfToken = free && lastLeg.get(j) === l;
    const share = l.amountIn / Math.max(planIn[j]!, planOut[j]!);
    const scaled = Math.floor(share * 2 ** 52);
    if (!lastOfToken && !Number.isFinite(scaled)) continue; // (toExact rejects such plans first)
    let amt = lastOfToken ? actualIn[j]! - spent[j]! : (actualIn[j]! * BigInt(scaled)) >> 52n;
    if (amt > actualIn[j]! - spent[j]!) amt = actualIn[j]! - spent[j]!;
    if (amt <= 0n) continue;
    const pool = poolOf(l.pool);
    let out: bigint;
    try {
      out = pool.swap(l.zeroForOne, amt);
    } catch {
      continue; // the pool would revert: the leg is skipped and the balance check decides
    }
    if (out <= 0n) continue;
    spent[j] = spent[j]! + amt;
    actualIn[l.tokenOut] = actualIn[l.tokenOut]! + out;
    bal[j] = bal[j]! - amt;
    bal[l.tokenOut] = bal[l.tokenOut]! + out;
    executed.push({ pool: r.pools[l.pool]!, zeroForOne: l.zeroForOne, amountIn: amt, amountOut: out });
  }
  const short = bal.map((b, j) => {
    const d = -(b + (batch.opts.buffers?.get(r.tokens[j]!) ?? 0n));
    return d > 0n ? d : 0n;
  });
  if (short.some((d) => d > 0n)) return { short, sens };
  // report the legs against the caller's adapters (their state is the pre-batch state)
  const byAddress = new Map(batch.original.map((p) => [p.address, p]));
  for (const l of executed) l.pool = byAddress.get(l.pool.address) ?? l.pool;
  const traded = new Set<number>();
  for (const en of filled) {
    traded.add(en.s);
    traded.add(en.t);
  }
  const prices = [...traded].map((j) => ({ token: r.tokens[j]!, price: P[j]! })).sort((a, b) => (a.token < b.token ? -1 : 1));
  const interactions = swapInteractions(executed, batch.opts.settlement);
  const { matched, matchedVolumeShare } = matchStats(paid, recv, (j) => referenceValue(batch.auction, r.tokens[j]!), filled);
  return {
    solution: { auctionId: batch.auction.id, solver: batch.opts.solver, prices, marketPrices: [], trades, interactions },
    legs: executed,
    stats: {
      intents: batch.intents,
      filled: trades.length,
      matched,
      matchedVolumeShare,
      interactions: interactions.length,
      gasEstimate: settleGas(trades.length, executed),
      ms: 0,
    },
  };
}
