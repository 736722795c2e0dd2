// The solving engine's entry: an auction's swap intents solved by the chosen strategy. The
// optimal strategy runs the joint solve (joint/solve.ts) and, as a safety net, the baseline
// (baseline/solve.ts), and returns the higher score (protocol/score.ts); `stats.source` says
// which one won, and `stats.jointFailure` why the joint solve had no candidate when it had none.
import { scoreSolution, type Auction } from '../../protocol/score.ts';
import { solveBaseline } from './baseline/solve.ts';
import { solveJoint } from './joint/solve.ts';
import type { LiquidityAdapter } from './liquidity/adapter.ts';
import type { SolveOptions } from './options.ts';
import type { SolveResult } from './result.ts';

const emptyResult = (auction: Auction, opts: SolveOptions, intents: number): SolveResult => ({
  solution: { auctionId: auction.id, solver: opts.solver, prices: [], marketPrices: [], trades: [], interactions: [] },
  legs: [],
  stats: { intents, filled: 0, matched: 0, matchedVolumeShare: 0, interactions: 0, gasEstimate: 0, ms: 0 },
});

/** Solves an auction against the given pool states (not mutated). */
export function solve(auction: Auction, pools: LiquidityAdapter[], opts: SolveOptions): SolveResult {
  if (opts.strategy === 'baseline') return solveBaseline(auction, pools, opts);
  const t0 = performance.now();
  const outcome = solveJoint(auction, pools, opts);
  const joint = outcome.ok ? outcome.result : undefined;
  const scoreOf = (r: SolveResult | undefined): bigint | undefined => {
    if (!r?.solution.trades.length) return undefined;
    const s = scoreSolution(r.solution, auction);
    return s.ok ? s.value.score : undefined;
  };
  let jointScore: bigint | undefined;
  let jointFailure = outcome.ok ? undefined : outcome.failure;
  if (joint) {
    const s = scoreSolution(joint.solution, auction);
    if (s.ok) jointScore = s.value.score;
    else jointFailure = { cause: 'score_invalid', detail: `${s.error.field}: ${s.error.reason}` };
  }
  let best = jointScore !== undefined ? joint : undefined;
  let source: 'joint' | 'baseline' = 'joint';
  const candidates: { joint?: bigint; baseline?: bigint } = {};
  if (jointScore !== undefined) candidates.joint = jointScore;
  if (!opts.noFallback) {
    const base = solveBaseline(auction, pools, opts);
    const baseScore = scoreOf(base);
    if (baseScore !== undefined) {
      candidates.baseline = baseScore;
      if (jointScore === undefined || baseScore > jointScore) {
        best = base;
        source = 'baseline';
      }
    }
  }
  const intents = [...auction.intents.values()].filter((e) => e.intent.type === 'swap').length;
  const out = best ?? emptyResult(auction, opts, intents);
  out.stats.ms = performance.now() - t0;
  out.stats.source = source;
  out.stats.candidates = candidates;
  if (jointFailure) out.stats.jointFailure = jointFailure;
  return out;
}
