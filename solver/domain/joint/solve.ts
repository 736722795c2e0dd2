// The joint solve (the optimal strategy): the whole batch solved at once, one price vector for
// all tokens.
//
// Every intent trades at the batch's uniform prices p (amountA·p_A = amountB·p_B). At prices p the
// users' net flow of each token is e_j(p) = (what users pay in) − (what users take out): opposite
// intents cancel inside the batch (coincidence of wants, across any number of tokens: rings
// included), and only the net excess meets the pools. Tokens with e_j > 0 are supplied to the
// pools, tokens with e_j < 0 must be delivered by them. The pools' part is one convex problem over
// all pools at once (Angeris et al., dual decomposition; Router.solveDual): convert the supply into
// the demanded tokens, maximising their value at p. The prices then move until the pools deliver
// exactly what the users take (a fixed point, like the single-pair rate π = out(n)/n): demanded
// tokens whose delivery falls short get dearer, those over-delivered cheaper. The total surplus of
// a clearing batch is (value the users put in) − (what the pools cost) − (limits), so at the fixed
// point the only choices left are which intents fill (limits at p; partially fillable intents are
// filled up to where the pools' marginal price reaches their limit) and the routing, which is the
// convex optimum for the net flows.
//
// Phases, one file each:
//   batch.ts     the auction's swap intents as entries, over the pools that can matter (prune.ts)
//   clear.ts     the price fixed point for the current fills
//   search.ts    which intents fill: the fixed point driven by the limits, gas, and flow cycles
//   legs.ts      the plan's pool legs in execution order
//   rounding.ts  what integer rounding of the legs can cost each demanded token
//   exact.ts     the plan at exact amounts (integer prices, bigint pool state)
//   scan.ts      a coarse search over the prices, past the intents' limits (polish.ts runs it)
//   polish.ts    a final ascent over the price vector
// The search is float; the final amounts are exact. The float plan asks for every demanded token
// with a margin; when the exact pass still finds a token short (float model error, rounding), the
// margin grows and the plan is re-solved warm.
// The fixed point can settle on a poor price (or on none) when many limits sit inside the pools'
// no-trade band, so the same ascent also runs from the pools' own prices after a coarse scan, and
// the better of the two exact results is kept. Every way the joint solve can come up empty is
// returned as a typed failure (the engine has no I/O: the driver logs it).
import { scoreSolution, type Auction } from '../../../protocol/score.ts';
import type { LiquidityAdapter } from '../liquidity/adapter.ts';
import type { SolveOptions } from '../options.ts';
import type { JointFailure, SolveResult } from '../result.ts';
import { collectBatch, fillsOf, type JointBatch } from './batch.ts';
import type { JointPlan } from './clear.ts';
import { toExact } from './exact.ts';
import { polish } from './polish.ts';
import { roundingAllowance } from './rounding.ts';
import { search, startingPoint, type SearchState } from './search.ts';

const MARGINS = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4];
/** SolveOptions.budgetMs's default; the scan's own share of it, and the least worth starting it for. */
const DEFAULT_BUDGET_MS = 600;
const SCAN_MS = 200;
/** The fixed point's ascent's own cap (polish.ts). */
const POLISH_MS = 200;
/** Share of the budget after which the fixed point's fill-or-kill selection stops going one intent at a time. */
const FIXED_POINT_SHARE = 0.25;
const MIN_SCAN_MS = 40;
/**
 * The scan evaluates V (a dual solve over every pool) hundreds of times: on batches above these
 * sizes it would not fit the budget, and the fixed point alone keeps them under a second.
 */
const SCAN_MAX_POOLS = 200;
const SCAN_MAX_ENTRIES = 120;

export type JointOutcome = { ok: true; result: SolveResult } | { ok: false; failure: JointFailure };

/** The joint solve of an auction against the given pool states (not mutated); a failure (with its cause) if it has no candidate. */
export function solveJoint(auction: Auction, pools: LiquidityAdapter[], opts: SolveOptions): JointOutcome {
  const t0 = performance.now();
  try {
    const batch = collectBatch(auction, pools, opts);
    if (!batch.entries.length || !batch.router.pools.length) {
      return { ok: false, failure: { cause: 'no_entries', detail: `${batch.intents} swap intents, none with a pool for both tokens` } };
    }
    const budget = opts.budgetMs ?? DEFAULT_BUDGET_MS;
    const fixedPoint = viaFixedPoint(batch, t0 + budget * FIXED_POINT_SHARE, t0 + budget);
    // the scan only in the time left (anytime: the fixed point's candidate stands meanwhile)
    const left = budget - (performance.now() - t0);
    const small = batch.router.pools.length <= SCAN_MAX_POOLS && batch.entries.length <= SCAN_MAX_ENTRIES;
    const scanned =
      small && left >= MIN_SCAN_MS ? viaScan(batch, 'result' in fixedPoint ? fixedPoint : undefined, Math.min(left, SCAN_MS)) : undefined;
    const best = better(batch, 'result' in fixedPoint ? fixedPoint.result : undefined, scanned);
    if (!best) {
      const scanNote = scanned
        ? 'the scan candidate does not score'
        : !small
          ? 'the batch is too large for the scan'
          : left >= MIN_SCAN_MS
            ? 'the scan found no exact candidate'
            : 'no time left for the scan';
      const failure: JointFailure =
        'failure' in fixedPoint
          ? { cause: fixedPoint.failure.cause, detail: `${fixedPoint.failure.detail}; ${scanNote}` }
          : { cause: 'score_invalid', detail: `the fixed point's candidate does not score; ${scanNote}` };
      return { ok: false, failure };
    }
    best.stats.ms = performance.now() - t0;
    return { ok: true, result: best };
  } catch (e) {
    return { ok: false, failure: { cause: 'exception', detail: (e as Error).stack ?? String(e) } };
  }
}

type FixedPointOutcome = { result: SolveResult; plan: JointPlan; margin: number; extra: Float64Array } | { failure: JointFailure };

/** The fixed point's search and exact pass, the margin growing while a token stays short; then polish's ascent. */
function viaFixedPoint(batch: JointBatch, deadline: number, polishBy: number): FixedPointOutcome {
  let state: SearchState | undefined;
  let extra: Float64Array | undefined;
  const run = (margin: number) => {
    state ??= startingPoint(batch);
    return search(batch, state, margin, extra, deadline);
  };
  const searchFailed: JointFailure = { cause: 'search_failed', detail: 'the fill and price search settled no plan' };
  let found = run(MARGINS[0]!);
  let failure: JointFailure = searchFailed;
  for (const margin of MARGINS) {
    if (!found) return { failure: searchFailed };
    extra = roundingAllowance(batch.router, found.plan, found.legs);
    found = run(margin);
    if (!found) return { failure: searchFailed };
    const res = toExact(batch, found.plan, found.legs);
    if ('solution' in res) {
      // the ascent in the budget left (its own cap still applies): on the largest batches the
      // fixed point alone can use it all
      const left = polishBy - performance.now();
      const out = (left > MIN_SCAN_MS && polish(batch, found.plan, margin, res, extra, { budgetMs: Math.min(left, POLISH_MS) })) || res;
      return { result: out, plan: found.plan, margin, extra };
    }
    failure = { cause: res.cause, detail: `margin ${margin}: ${res.detail}` };
  }
  return { failure };
}

/**
 * The ascent from a coarse scan over the prices (scan.ts), started at the pools' own prices (the
 * best uniform price of a batch lies near them, while the fixed point can settle far off). Which
 * fill-or-kill intents fill: the relaxation (every intent fills fractionally) is scanned and
 * climbed first, and its fractional fill-or-kill fills are rounded at its prices (at 1/2, and at
 * nearly 1); each selection, and the fixed point's where its limits hold at the pools' prices, is
 * then scanned and climbed with those intents filled whole. The best exact result is returned.
 */
function viaScan(batch: JointBatch, from: { plan: JointPlan; margin: number } | undefined, budgetMs: number): SolveResult | undefined {
  const t0 = performance.now();
  const s = startingPoint(batch);
  const n = batch.router.tokens.length;
  const planAt = (p: Float64Array): JointPlan => ({
    p: Float64Array.from(p),
    nu: Float64Array.from(p),
    flows: new Float64Array(batch.router.pools.length * 2),
    // nothing demanded beyond the fills but the allowance below
    supply: new Float64Array(n),
    fills: fillsOf(batch.entries),
    excluded: new Uint8Array(batch.router.pools.length),
  });
  // every token is asked for a few base units per trade and leg more than the fills take out:
  // what integer prices and amounts can cost it (the scan does not know yet which tokens the
  // pools will deliver, and a batch that nets internally has no pool output to shave)
  const extra = new Float64Array(n).fill(4);
  for (const en of batch.entries) {
    extra[en.s] = extra[en.s]! + 2;
    extra[en.t] = extra[en.t]! + 2;
  }
  for (let i = 0; i < batch.router.pools.length; i++) {
    extra[batch.router.t0[i]!] = extra[batch.router.t0[i]!]! + 3;
    extra[batch.router.t1[i]!] = extra[batch.router.t1[i]!]! + 3;
  }
  const margin = from?.margin ?? MARGINS[0]!;
  const selections: { p: Float64Array; fok: (idx: number) => boolean }[] = [];
  const holds = (p: Float64Array, idx: number): boolean => {
    const en = batch.entries[idx]!;
    return p[en.s]! / p[en.t]! >= en.lim * (1 + 1e-9);
  };
  const anyFok = batch.entries.some((en) => !en.partial);
  if (anyFok) {
    for (const en of batch.entries) en.f = 1;
    let relaxed: { p: Float64Array; fills: Float64Array } | undefined;
    polish(batch, planAt(s.p), margin, undefined, extra, {
      scan: true,
      demandAll: true,
      budgetMs: budgetMs / 3,
      relaxFok: true,
      relaxed: (p, fills) => (relaxed = { p, fills }),
    });
    if (relaxed) {
      const rx = relaxed;
      for (const threshold of [0.5, 0.99]) selections.push({ p: rx.p, fok: (idx) => rx.fills[idx]! >= threshold && holds(rx.p, idx) });
    }
  }
  selections.push({ p: s.p, fok: (idx) => from !== undefined && from.plan.fills[idx]! > 0 && holds(s.p, idx) });
  let best: SolveResult | undefined;
  const seen = new Set<string>();
  for (const sel of selections) {
    const left = budgetMs - (performance.now() - t0);
    if (left < MIN_SCAN_MS / 2) break;
    batch.entries.forEach((en, idx) => {
      en.f = en.partial ? 1 : sel.fok(idx) ? 1 : 0;
    });
    const key = batch.entries.map((en) => (en.partial ? '' : en.f)).join();
    if (seen.has(key)) continue;
    seen.add(key);
    if (!batch.entries.some((en) => en.partial || en.f > 0)) continue;
    const res = polish(batch, planAt(sel.p), margin, undefined, extra, { scan: true, demandAll: true, budgetMs: left / 2 });
    best = better(batch, best, res);
  }
  return best;
}

/** The higher-scoring of two candidates (either may be missing or invalid). */
function better(batch: JointBatch, a: SolveResult | undefined, b: SolveResult | undefined): SolveResult | undefined {
  const score = (r: SolveResult | undefined): bigint | undefined => {
    if (!r?.solution.trades.length) return undefined;
    const s = scoreSolution(r.solution, batch.auction);
    return s.ok ? s.value.score : undefined;
  };
  const sa = score(a);
  const sb = score(b);
  if (sb !== undefined && (sa === undefined || sb > sa)) return b;
  return sa !== undefined ? a : undefined;
}
