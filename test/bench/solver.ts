// bench:solver: the optimal and baseline strategies against the certified reference, per instance
// family, over many seeds, on the tuning seeds and (separately) on the held-out seeds.
//
// Instances: test/solver/families.ts (its own generator and PRNG, not the one the solver was
// developed on). Reference: test/solver/certified.ts, which builds an actual solution (MILP at
// fixed clearing prices over the pools' supporting lines, exact replay, scored by
// protocol/score.ts) and so is a valid LOWER bound on the optimum; the UPPER bound is
// test/solver/reference.ts (uniform prices and fill-or-kill relaxed). Per family:
//   - optimal / certified: min and median (>= 1 means the solver matched or beat the reference);
//   - baseline / certified;
//   - certified / bound: how far the reference itself might be from the optimum;
//   - solve ms of the optimal strategy (median, max) and certify ms.
// Goals (issue 13): optimal >= 0.999 of certified where every intent is partially fillable, >= 0.99
// with fill-or-kill mixed in, never below baseline; and the large instance (50 tokens, 1,000
// pools, 200 intents) solved in under a second (3 seeds, 3 timed repeats each after a warm-up,
// min / median / max).
//
// The optimal strategy runs twice: as in production (its default time budget, HiGHS loaded), whose
// figures depend on the machine's speed, and capped (no deadline; the MILP stage's evaluation cap
// ends its search, as in the tests), which does not. `source` counts say which stage won each
// production instance (joint solve, MILP stage, baseline safety net).
//
// BENCH_SEEDS sets the seeds per family and set (default 20).
import { writeFileSync } from 'node:fs';
import type { Address } from 'viem';
import { scoreSolution } from '../../protocol/score.ts';
import type { Strategy } from '../../solver/domain/options.ts';
import { loadMilp } from '../../solver/domain/milp/highs.ts';
import { solve } from '../../solver/domain/solve.ts';
import { certify } from '../solver/certified.ts';
import { CONVEX_FAMILIES, type Family, type FamilyInstance, HELD_OUT_SEEDS, makeFamilyInstance, TUNING_SEEDS } from '../solver/families.ts';
import { referenceOptimum } from '../solver/reference.ts';

const SETTLEMENT = '0x00000000000000000000000000000000000000ee' as Address;
const SOLVER = '0x00000000000000000000000000000000000000ff' as Address;
const SEEDS = Number(process.env.BENCH_SEEDS ?? 20);
const FAMILIES: Family[] = ['twoSided', 'ring', 'fokMix', 'routing', 'mixedAmm', 'tiny', 'small'];

/** A strategy's score on an instance; a solver that throws scores 0 and the error is recorded. */
const run = (
  inst: FamilyInstance,
  strategy: Strategy,
  capped = false,
): { value: number; ms: number; milpMs?: number; milpSkipped?: string; source?: string; error?: string } => {
  const t = performance.now();
  let res: ReturnType<typeof solve>;
  try {
    // capped: a budget no machine reaches, so only the MILP stage's evaluation cap ends it (as in
    // the tests); otherwise the production budget
    res = solve(inst.auction, inst.pools, { strategy, settlement: SETTLEMENT, solver: SOLVER, ...(capped ? { budgetMs: 600_000 } : {}) });
  } catch (e) {
    return { value: 0, ms: performance.now() - t, error: e instanceof Error ? e.message : String(e) };
  }
  const ms = performance.now() - t;
  let value = 0;
  if (res.solution.trades.length) {
    const s = scoreSolution(res.solution, inst.auction);
    if (!s.ok) throw new Error(`${strategy} solution invalid on ${inst.family} seed ${inst.seed}: ${s.error.reason}`);
    value = Number(s.value.score) / 1e18;
  }
  return {
    value,
    ms,
    source: res.stats.source,
    ...(res.stats.milp ? { milpMs: res.stats.milp.ms } : {}),
    ...(res.stats.milp?.skipped ? { milpSkipped: res.stats.milp.skipped } : {}),
  };
};

const quantile = (xs: number[], q: number): number => {
  if (!xs.length) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))]!;
};
const fmt = (x: number, d = 4) => (Number.isFinite(x) ? x.toFixed(d) : '-');
/** a / b with an empty reference counting as matched. */
const ratio = (a: number, b: number) => (b > 0 ? a / b : a >= 0 ? 1 : 0);

type InstanceRow = {
  family: Family;
  set: 'tuning' | 'heldOut';
  seed: number;
  shape: string;
  optimal: number;
  /** The optimal strategy with no deadline, only the MILP stage's evaluation cap (as in the tests). */
  capped: number;
  baseline: number;
  certified: number;
  bound: number;
  source: string | undefined;
  /** 0.999 if every intent is partially fillable, 0.99 with fill-or-kill intents. */
  goal: number;
  error?: string;
  ms: { optimal: number; baseline: number; certify: number; milp: number };
};

await loadMilp();
const instances: InstanceRow[] = [];
const summaries = [];
console.log(
  'family | set | n | optimal/certified min median | capped/certified min median (below goal) | baseline/certified min median | certified/bound min median | below goal | won by joint/milp/baseline | optimal ms median max | MILP share of time | certify ms median',
);
for (const family of FAMILIES) {
  for (const set of ['tuning', 'heldOut'] as const) {
    const seeds = (set === 'tuning' ? TUNING_SEEDS : HELD_OUT_SEEDS).slice(0, SEEDS);
    const rows: InstanceRow[] = [];
    for (const seed of seeds) {
      const inst = makeFamilyInstance(family, seed);
      const optimal = run(inst, 'optimal');
      const capped = run(inst, 'optimal', true);
      const baseline = run(inst, 'baseline');
      const c = await certify(inst.auction, inst.pools, { settlement: SETTLEMENT, solver: SOLVER });
      rows.push({
        family,
        set,
        seed,
        shape: `${inst.tokens.length}/${inst.pools.length}/${inst.intents.length}`,
        optimal: optimal.value,
        capped: capped.value,
        baseline: baseline.value,
        certified: c.value,
        bound: c.bound,
        source: optimal.source,
        goal: inst.intents.some((i) => !i.intent.partiallyFillable) ? 0.99 : 0.999,
        ...(optimal.error || baseline.error ? { error: optimal.error ?? `baseline: ${baseline.error}` } : {}),
        ms: { optimal: optimal.ms, baseline: baseline.ms, certify: c.ms, milp: optimal.milpMs ?? 0 },
      });
    }
    instances.push(...rows);
    const goal = CONVEX_FAMILIES.includes(family) ? 0.999 : 0.99;
    const goalText = [...new Set(rows.map((r) => r.goal))].sort().reverse().join('/');
    const opt = rows.map((r) => ratio(r.optimal, r.certified));
    const cap = rows.map((r) => ratio(r.capped, r.certified));
    const base = rows.map((r) => ratio(r.baseline, r.certified));
    const ref = rows.map((r) => ratio(r.certified, r.bound));
    const summary = {
      family,
      set,
      n: rows.length,
      goal,
      optimalOverCertified: { min: Math.min(...opt), median: quantile(opt, 0.5) },
      cappedOverCertified: { min: Math.min(...cap), median: quantile(cap, 0.5) },
      cappedBelowGoal: rows.filter((r) => ratio(r.capped, r.certified) < r.goal).length,
      baselineOverCertified: { min: Math.min(...base), median: quantile(base, 0.5) },
      certifiedOverBound: { min: Math.min(...ref), median: quantile(ref, 0.5) },
      belowGoal: rows.filter((r) => ratio(r.optimal, r.certified) < r.goal).length,
      belowBaseline: rows.filter((r) => r.optimal < r.baseline).length,
      /** Which stage's candidate the optimal strategy returned, per instance. */
      source: {
        joint: rows.filter((r) => r.source === 'joint').length,
        milp: rows.filter((r) => r.source === 'milp').length,
        baseline: rows.filter((r) => r.source === 'baseline').length,
      },
      solverThrew: rows.filter((r) => r.error).map((r) => ({ seed: r.seed, error: r.error })),
      optimalMs: {
        median: quantile(
          rows.map((r) => r.ms.optimal),
          0.5,
        ),
        max: Math.max(...rows.map((r) => r.ms.optimal)),
      },
      /** The MILP stage's share of the optimal strategy's solve time (median over instances). */
      milpShareOfTime: quantile(
        rows.map((r) => r.ms.milp / r.ms.optimal),
        0.5,
      ),
      certifyMs: {
        median: quantile(
          rows.map((r) => r.ms.certify),
          0.5,
        ),
      },
    };
    summaries.push(summary);
    console.log(
      `${family} | ${set} | ${summary.n} | ${fmt(summary.optimalOverCertified.min)} ${fmt(summary.optimalOverCertified.median)}` +
        ` | ${fmt(summary.cappedOverCertified.min)} ${fmt(summary.cappedOverCertified.median)} (${summary.cappedBelowGoal})` +
        ` | ${fmt(summary.baselineOverCertified.min)} ${fmt(summary.baselineOverCertified.median)}` +
        ` | ${fmt(summary.certifiedOverBound.min)} ${fmt(summary.certifiedOverBound.median)}` +
        ` | ${summary.belowGoal} (< ${goalText})${summary.belowBaseline ? `, ${summary.belowBaseline} below baseline` : ''}` +
        `${summary.solverThrew.length ? `, solver threw on seeds ${summary.solverThrew.map((x) => x.seed).join(' ')}` : ''}` +
        ` | ${summary.source.joint}/${summary.source.milp}/${summary.source.baseline}` +
        ` | ${fmt(summary.optimalMs.median, 0)} ${fmt(summary.optimalMs.max, 0)} | ${fmt(summary.milpShareOfTime * 100, 0)}%` +
        ` | ${fmt(summary.certifyMs.median, 0)}`,
    );
  }
}

// timing: the large family (too big to certify); the relaxation bound still says how far off it is
console.log('large (tokens/pools/intents) | optimal ms min median max | baseline ms median | optimal | baseline | bound | optimal/bound');
const timing = [];
for (const seed of TUNING_SEEDS.slice(0, 3)) {
  const inst = makeFamilyInstance('large', seed);
  run(inst, 'optimal'); // warm the JIT
  const times: number[] = [];
  let optimal: ReturnType<typeof run> = { value: 0, ms: 0 };
  for (let k = 0; k < 3; k++) {
    optimal = run(inst, 'optimal');
    times.push(optimal.ms);
  }
  const baseline = run(inst, 'baseline');
  const bound = referenceOptimum(inst.auction, inst.pools).bound;
  const row = {
    seed,
    shape: `${inst.tokens.length}/${inst.pools.length}/${inst.intents.length}`,
    optimalMs: { min: Math.min(...times), median: quantile(times, 0.5), max: Math.max(...times) },
    baselineMs: baseline.ms,
    optimal: optimal.value,
    baseline: baseline.value,
    bound,
  };
  timing.push(row);
  console.log(
    `seed ${seed} (${row.shape}) | ${fmt(row.optimalMs.min, 0)} ${fmt(row.optimalMs.median, 0)} ${fmt(row.optimalMs.max, 0)} | ${fmt(row.baselineMs, 0)}` +
      ` | ${fmt(row.optimal, 2)} | ${fmt(row.baseline, 2)} | ${fmt(bound, 2)} | ${fmt(ratio(row.optimal, bound))}`,
  );
}

const goals = {
  optimalOver999OfCertifiedOnConvexFamilies: summaries.filter((s) => s.goal === 0.999).every((s) => s.belowGoal === 0),
  optimalOver99OfCertifiedWithFillOrKill: summaries.filter((s) => s.goal === 0.99).every((s) => s.belowGoal === 0),
  neverBelowBaseline: summaries.every((s) => s.belowBaseline === 0),
  solverNeverThrew: summaries.every((s) => s.solverThrew.length === 0),
  largeUnderOneSecond: timing.every((t) => t.optimalMs.max < 1000),
};
console.log(`goals: ${JSON.stringify(goals)}`);
console.log(
  'certified = best valid solution found by test/solver/certified.ts (a lower bound on the optimum); bound = relaxation upper bound (test/solver/reference.ts)',
);
writeFileSync(
  new URL('./results/solver.json', import.meta.url),
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, seedsPerFamily: SEEDS, goals, summaries, timing, instances }, null, 2)}\n`,
);
