// The MILP stage of the optimal strategy: the batch at fixed uniform prices as a mixed-integer
// program (fixed-price-lp.ts: fill-or-kill orders are binaries, partially fillable ones fractions,
// pools linearised by supporting lines), a search over the prices (price-search.ts) in one
// persistent HiGHS model (search-model.ts), the pools' lines tightened where the best plans
// trade, and the best plans made exact (exact.ts). It runs
// after the joint solve and starts from its prices as well as the pools' own, so it refines
// rather than replaces: the optimal strategy keeps the better-scoring candidate. Anytime: it
// stops at its evaluation cap or its deadline with the best exact solution so far.
import type { Address } from 'viem';
import { scoreSolution, type Auction } from '../../../protocol/score.ts';
import type { LiquidityAdapter } from '../liquidity/adapter.ts';
import type { SolveOptions } from '../options.ts';
import type { MilpStats, SolveResult } from '../result.ts';
import { BatchModel } from './batch-model.ts';
import { exactSolution } from './exact.ts';
import { type Highs, milpSolver } from './highs.ts';
import { type Evaluated, FINE_STEPS, PriceSearch, SEARCH_MARGIN, STEPS } from './price-search.ts';
import { SearchModel } from './search-model.ts';

/**
 * Default caps on the fixed-price models the search solves: LPs re-solve warm in about a
 * millisecond, MILPs (batches with fill-or-kill orders) take ten to thirty.
 */
export const DEFAULT_MAX_EVALUATIONS = { lp: 1500, milp: 400 };
/**
 * Batches above these sizes skip the stage: one fixed-price model there has tens of thousands of
 * rows (two dozen lines per pool side), more than a solve deadline allows to write and solve a
 * few dozen times; the joint solve's convex core handles them alone.
 */
const MAX_POOLS = 150;
const MAX_ORDERS = 250;
/** Share of the evaluation cap the first (wide) search may use. */
const FIRST_PHASE = 0.75;
/** With fill-or-kill orders, the relaxation's share of the wide search (evaluations and time). */
const RELAXED_PHASE = 0.2;
const RELAXED_PHASE_TIME = 0.15;
/** Shares of the stage's time: the wide search, and the exact pass (the search on tightened lines has the rest). */
const FIRST_PHASE_TIME = 0.55;
const EXACT_TIME = 0.3;
/** Rounds of tightening the lines and searching again. */
const TIGHTEN_ROUNDS = 4;
/** Points of each earlier round that are also tried exactly. */
const EARLIER = 2;
/** The best points of the search that are tightened and tried exactly. */
const TOP = 6;

export type MilpOutcome = { result?: SolveResult; stats: MilpStats };

/**
 * The MILP stage. `starts` are price vectors (clearing prices by token, any scale) to search from,
 * besides the pools' own prices; `deadline` is a performance.now() time.
 */
export function solveMilp(
  auction: Auction,
  pools: LiquidityAdapter[],
  opts: SolveOptions,
  starts: ReadonlyMap<Address, bigint>[],
  deadline: number,
): MilpOutcome {
  const t0 = performance.now();
  const stats: MilpStats = { evaluations: 0, exactTried: 0, exactValid: 0, ms: 0 };
  const done = (result?: SolveResult): MilpOutcome => {
    stats.ms = performance.now() - t0;
    return result ? { result, stats } : { stats };
  };
  const highs = milpSolver();
  if (!highs) {
    stats.skipped = 'HiGHS is not loaded (loadMilp)';
    return done();
  }
  const model = new BatchModel(auction, pools, opts.now ?? 0);
  if (!model.orders.length || !model.pools.length) {
    stats.skipped = 'no order with a pool for both its tokens';
    return done();
  }
  if (model.pools.length > MAX_POOLS || model.orders.length > MAX_ORDERS) {
    stats.skipped = `batch too large (${model.orders.length} orders, ${model.pools.length} pools)`;
    return done();
  }
  model.linearise();
  const pool = poolPrices(model);
  const models: SearchModel[] = [];
  try {
    return done(searchAndExecute({ auction, opts, highs, model, pool, starts, deadline, stats, models }));
  } finally {
    // persistent HiGHS instances live in WebAssembly memory, which garbage collection does not free
    for (const m of models) m.dispose();
  }
}

type StageContext = {
  auction: Auction;
  opts: SolveOptions;
  highs: Highs;
  model: BatchModel;
  /** The pools' own prices (a start, and the value of tokens without a reference price). */
  pool: number[];
  starts: ReadonlyMap<Address, bigint>[];
  deadline: number;
  stats: MilpStats;
  /** Every persistent model created, for the caller to dispose. */
  models: SearchModel[];
};

/**
 * The search and the exact pass. Anytime: the wide search, the search on tightened lines and the
 * exact pass each have their share of the time (and of the evaluation cap), so a deadline that
 * cuts the search short still leaves time to make its best point exact.
 */
function searchAndExecute(c: StageContext): SolveResult | undefined {
  const { model, highs, deadline, stats } = c;
  const fok = model.orders.some((o) => o.fok);
  const cap = c.opts.maxEvaluations ?? (fok ? DEFAULT_MAX_EVALUATIONS.milp : DEFAULT_MAX_EVALUATIONS.lp);
  const span = deadline - performance.now();
  // rows in reference-value units; a token without a reference price is valued at the pools' price
  const valueUnit = model.refUnit.map((w, t) => (w > 0 ? w : c.pool[t]!));
  const searchModel = (relaxed: boolean) => {
    const m = new SearchModel(highs, model, valueUnit, SEARCH_MARGIN, relaxed);
    c.models.push(m);
    return m;
  };
  // starts: the pools' prices, the auction's reference prices (when every token has one) and the
  // joint solve's
  const starts = [c.pool, ...c.starts.map((s) => completed(model, s, c.pool))];
  if (model.refUnit.every((w) => w > 0)) starts.splice(1, 0, model.refUnit.slice());
  // with fill-or-kill orders the wide search runs first on the relaxation (they fill
  // fractionally: an LP, warm-started, about a millisecond per price), then on the MILP from the
  // relaxation's best point as well as the other starts: the relaxation is a cheap map of where
  // surplus is, but it can favour prices where whole fill-or-kill orders do not fit
  const now = performance.now();
  const search = fok
    ? new PriceSearch(model, searchModel(true), Math.ceil(cap * RELAXED_PHASE), now + span * RELAXED_PHASE_TIME)
    : new PriceSearch(model, searchModel(false), Math.ceil(cap * FIRST_PHASE), now + span * FIRST_PHASE_TIME);
  let best = search.run(starts);
  if (fok) {
    search.lp = searchModel(false);
    search.reset();
    search.maxEvaluations = Math.ceil(cap * FIRST_PHASE);
    search.deadline = now + span * FIRST_PHASE_TIME;
    best = search.run(best ? [best.map(Number), ...starts] : starts) ?? best;
  }
  stats.evaluations = search.evaluations;
  if (!best) {
    stats.skipped = performance.now() < deadline ? 'no price vector has a feasible model' : 'no time';
    return undefined;
  }
  // the lines are loose between samples, so the search can favour a point whose pools it
  // over-estimates: tighten them at the best plans' inputs and search again from the best point,
  // until the best value holds on tightened lines; then make the best few exact
  let ranked = search.best(TOP);
  // each round's best few stay candidates for the exact pass: tighter lines can push the search
  // away from a point whose exact solution was in fact better
  const earlier: Evaluated[] = [];
  search.maxEvaluations = cap;
  search.deadline = deadline - span * EXACT_TIME;
  for (let round = 0; round < TIGHTEN_ROUNDS && !search.exhausted; round++) {
    const top = ranked[0]?.plan?.value ?? 0;
    let added = false;
    for (const e of ranked.slice(0, 3)) if (e.plan && model.tighten(e.plan.inputs)) added = true;
    if (!added) break;
    search.lp = searchModel(false);
    search.reset();
    best = search.run([best.map(Number)], fok ? FINE_STEPS : STEPS) ?? best;
    const next = search.best(TOP);
    if (!next.length) break;
    earlier.push(...ranked.slice(0, EARLIER));
    ranked = next;
    // the best value barely moved on tighter lines: the lines were not the problem
    if (Math.abs((next[0]!.plan?.value ?? 0) - top) <= 1e-5 * Math.abs(top)) break;
  }
  stats.evaluations = search.evaluations;
  let result: SolveResult | undefined;
  let bestScore = -1n;
  const seen = new Set<string>();
  for (const e of [...ranked, ...earlier]) {
    if (seen.has(e.key)) continue;
    seen.add(e.key);
    // the first point is made exact even past the deadline: a candidate late beats none
    if (stats.exactTried && performance.now() >= deadline) break;
    // re-solved from scratch in the point's own units (the search's warm-started model picks any
    // of several equally good vertices; this one is the one the exact pass was built around), then
    // on lines tightened at its inputs
    let plan = e.at.solve(highs, secondsLeft(deadline), SEARCH_MARGIN) ?? e.plan!;
    for (let round = 0; round < 3 && model.tighten(plan.inputs); round++) {
      plan = e.at.solve(highs, secondsLeft(deadline), SEARCH_MARGIN) ?? plan;
    }
    stats.exactTried++;
    const res = exactSolution(highs, secondsLeft(deadline), e.at, plan, c.opts);
    if (!res) continue;
    const scored = scoreSolution(res.solution, c.auction);
    if (!scored.ok) continue;
    stats.exactValid++;
    if (scored.value.score > bestScore) {
      bestScore = scored.value.score;
      result = res;
    }
  }
  return result;
}

const secondsLeft = (deadline: number) => Math.max(0.05, (deadline - performance.now()) / 1000);

/**
 * The pools' own prices as a start: from the token most pools touch, each neighbour priced by the
 * geometric mean of the spot prices of the pools between them (breadth first); tokens no pool
 * reaches keep their reference value.
 */
function poolPrices(model: BatchModel): number[] {
  const n = model.tokens.length;
  const p = new Array<number>(n).fill(0);
  const degree = new Array<number>(n).fill(0);
  const edges = new Map<string, { a: number; b: number; logSum: number; count: number }>();
  for (const pool of model.pools) {
    const a = model.index.get(pool.token0)!;
    const b = model.index.get(pool.token1)!;
    degree[a]!++;
    degree[b]!++;
    const key = `${a},${b}`;
    const e = edges.get(key) ?? { a, b, logSum: 0, count: 0 };
    e.logSum += Math.log(pool.spotPrice()); // token1 per token0
    e.count++;
    edges.set(key, e);
  }
  let root = 0;
  for (let t = 1; t < n; t++) if (degree[t]! > degree[root]!) root = t;
  p[root] = model.refUnit[root]! || 1;
  const queue = [root];
  while (queue.length) {
    const t = queue.shift()!;
    for (const e of edges.values()) {
      if (e.a !== t && e.b !== t) continue;
      const o = e.a === t ? e.b : e.a;
      if (p[o]! > 0) continue;
      const spot = Math.exp(e.logSum / e.count);
      // value(token0) = spot · value(token1)
      p[o] = e.a === t ? p[t]! / spot : p[t]! * spot;
      queue.push(o);
    }
  }
  return p.map((x, t) => (x > 0 && Number.isFinite(x) ? x : model.refUnit[t]! || 1));
}

/** A candidate's clearing prices (traded tokens only, any scale) completed with `fill`'s for the other tokens, on fill's scale. */
function completed(model: BatchModel, prices: ReadonlyMap<Address, bigint>, fill: number[]): number[] {
  let logScale = 0;
  let count = 0;
  const out = fill.slice();
  model.tokens.forEach((a, t) => {
    const p = prices.get(a);
    if (p && p > 0n) {
      logScale += Math.log(fill[t]!) - Math.log(Number(p));
      count++;
    }
  });
  if (!count) return out;
  const scale = Math.exp(logScale / count);
  model.tokens.forEach((a, t) => {
    const p = prices.get(a);
    if (p && p > 0n) out[t] = Number(p) * scale;
  });
  return out;
}
