// The solving engine's entry: an auction's swap intents solved by the chosen strategy. The
// optimal strategy runs the joint solve (joint/solve.ts: fast, the convex core), then the MILP
// stage (milp/solve.ts: fixed-price mixed-integer programs and a price search, started from the
// joint solve's prices, in the time left), and as a safety net the baseline (baseline/solve.ts);
// it returns the highest score (protocol/score.ts). `stats.source` says which one won,
// `stats.candidates` what each scored, `stats.jointFailure` why the joint solve had no candidate
// when it had none, and `stats.milp` what the MILP stage did.
import type { Address } from 'viem';
import { scoreSolution, type Auction } from '../../protocol/score.ts';
import { lower } from './address.ts';
import { solveBaseline } from './baseline/solve.ts';
import { solveJoint } from './joint/solve.ts';
import type { LiquidityAdapter } from './liquidity/adapter.ts';
import { solveMilp } from './milp/solve.ts';
import type { SolveOptions } from './options.ts';
import type { SolveResult } from './result.ts';

/** SolveOptions.budgetMs's default: the whole optimal solve's improvement time. */
export const DEFAULT_BUDGET_MS = 1000;
/**
 * Time kept for the baseline safety net at the end of the budget: about what it costs (a path
 * search per intent over the pools), so the MILP stage stops early enough for it.
 */
const baselineReserveMs = (intents: number, pools: number): number => 0.5 * intents + 0.05 * pools;
/**
 * Below this expected cost the safety net always runs, even late (the MILP stage may overrun its
 * deadline by a few milliseconds making its first point exact): skipping it there saved nothing and
 * let a tiny batch score below the baseline.
 */
const SKIPPABLE_BASELINE_MS = 50;
/** The joint solve's share of the budget; the MILP stage has the rest. */
const JOINT_SHARE = 0.4;

const emptyResult = (auction: Auction, opts: SolveOptions, intents: number): SolveResult => ({
  solution: { auctionId: auction.id, solver: opts.solver, prices: [], marketPrices: [], trades: [], interactions: [] },
  legs: [],
  stats: { intents, filled: 0, matched: 0, matchedVolumeShare: 0, interactions: 0, gasEstimate: 0, ms: 0 },
});

/** Solves an auction against the given pool states (not mutated). */
export function solve(auction: Auction, pools: LiquidityAdapter[], opts: SolveOptions): SolveResult {
  if (opts.strategy === 'baseline') return solveBaseline(auction, pools, opts);
  const t0 = performance.now();
  const budget = opts.budgetMs ?? DEFAULT_BUDGET_MS;
  const scoreOf = (r: SolveResult | undefined): bigint | undefined => {
    if (!r?.solution.trades.length) return undefined;
    const s = scoreSolution(r.solution, auction);
    return s.ok ? s.value.score : undefined;
  };
  const outcome = solveJoint(auction, pools, { ...opts, budgetMs: budget * JOINT_SHARE });
  const joint = outcome.ok ? outcome.result : undefined;
  let jointFailure = outcome.ok ? undefined : outcome.failure;
  let jointScore: bigint | undefined;
  if (joint) {
    const s = scoreSolution(joint.solution, auction);
    if (s.ok) jointScore = s.value.score;
    else jointFailure = { cause: 'score_invalid', detail: `${s.error.field}: ${s.error.reason}` };
  }
  const candidates: { joint?: bigint; milp?: bigint; baseline?: bigint } = {};
  let best = jointScore !== undefined ? joint : undefined;
  let bestScore = jointScore;
  let source: 'joint' | 'milp' | 'baseline' = 'joint';
  if (jointScore !== undefined) candidates.joint = jointScore;
  const consider = (r: SolveResult | undefined, s: bigint | undefined, from: 'milp' | 'baseline') => {
    if (s === undefined) return;
    candidates[from] = s;
    if (bestScore === undefined || s > bestScore) {
      best = r;
      bestScore = s;
      source = from;
    }
  };
  const intents = [...auction.intents.values()].filter((e) => e.intent.type === 'swap').length;
  const reserve = opts.noFallback ? 0 : baselineReserveMs(intents, pools.length);
  const milp = opts.noMilp ? undefined : solveMilp(auction, pools, opts, best ? [pricesOf(best)] : [], t0 + budget - reserve);
  if (milp?.result) consider(milp.result, scoreOf(milp.result), 'milp');
  // the safety net, unless a candidate exists and what is left of the budget would not cover it
  // (on the largest batches it costs a few hundred milliseconds, and the joint solve's candidate
  // is far ahead of it there)
  const late = performance.now() - t0 + reserve > budget;
  if (!opts.noFallback && !(late && best && reserve >= SKIPPABLE_BASELINE_MS)) {
    const base = solveBaseline(auction, pools, opts);
    consider(base, scoreOf(base), 'baseline');
  }
  const out: SolveResult = best ?? emptyResult(auction, opts, intents);
  out.stats.ms = performance.now() - t0;
  out.stats.source = source;
  out.stats.candidates = candidates;
  if (milp) out.stats.milp = milp.stats;
  if (jointFailure) out.stats.jointFailure = jointFailure;
  return out;
}

const pricesOf = (r: SolveResult): Map<Address, bigint> => new Map(r.solution.prices.map((p) => [lower(p.token), p.price]));
