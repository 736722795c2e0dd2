// bench:solver: seeded random batches on the devnet pool shapes; baseline vs optimal vs an
// independent reference optimum on every instance.
//
// Reference: test/solver/reference.ts, an upper bound on any valid solution's score (the Lagrange
// dual of the batch with the uniform-price rule and fill-or-kill relaxed, minimised by coordinate
// bisection; written separately from the router). On single-pair single-intent instances the
// bench also checks it against a bisection on the common marginal price.
//
// The optimal strategy also builds the baseline's plan and returns the higher score; `source`
// says which plan it returned (and `jointScore` what its own joint solve scored).
import { writeFileSync } from 'node:fs';
import type { Address } from 'viem';
import { scoreSolution } from '../../protocol/score.ts';
import { solve, type Strategy } from '../../solver/solve.ts';
import { makeInstance, type InstanceSpec } from '../solver/instances.ts';
import { referenceOptimum } from '../solver/reference.ts';

const SETTLEMENT = '0x00000000000000000000000000000000000000ee' as Address;
const SOLVER = '0x00000000000000000000000000000000000000ff' as Address;

const specs: InstanceSpec[] = [
  { seed: 11, tokens: 2, pools: 10, intents: 1, singlePair: true, oppositeShare: 0 },
  { seed: 12, tokens: 2, pools: 30, intents: 1, singlePair: true, oppositeShare: 0 },
  { seed: 13, tokens: 2, pools: 50, intents: 1, singlePair: true, oppositeShare: 0 },
  { seed: 14, tokens: 2, pools: 20, intents: 20, singlePair: true },
  { seed: 21, tokens: 5, pools: 40, intents: 20 },
  { seed: 22, tokens: 10, pools: 100, intents: 50 },
  { seed: 23, tokens: 20, pools: 300, intents: 100 },
  { seed: 24, tokens: 50, pools: 1000, intents: 200 },
];

/** Bisection on the common marginal price: one SELL intent over parallel pools. */
function bisectionReference(inst: ReturnType<typeof makeInstance>): number {
  const i = inst.intents[0]!.intent;
  const zeroForOne = i.sellToken === inst.pools[0]!.token0;
  const x = Number(i.sellAmount);
  const buf = new Float64Array(3);
  const at = (r: number) => {
    let input = 0;
    let out = 0;
    for (const p of inst.pools) {
      p.arb(r, buf);
      input += Math.max(0, zeroForOne ? -buf[0]! : -buf[1]!);
      out += Math.max(0, zeroForOne ? buf[1]! : buf[0]!);
    }
    return { input, out };
  };
  let lo = 1e-30;
  let hi = 1e30;
  for (let k = 0; k < 200; k++) {
    const mid = Math.sqrt(lo * hi);
    const tooMuch = at(mid).input > x;
    if (zeroForOne ? tooMuch : !tooMuch) lo = mid;
    else hi = mid;
  }
  const out = at(Math.sqrt(lo * hi)).out;
  const ref = Number(inst.auction.referencePrices.get(i.buyToken)!) / 1e18;
  return (Math.max(0, out - Number(i.buyAmount)) * ref) / 1e18;
}

const rows = [];
const fmt = (x: number | null, d = 2) => (x === null ? '-' : x.toFixed(d));
console.log('instance (tokens/pools/intents) | baseline | optimal (source) | reference | opt/ref | opt/base | filled opt/base | matched | optimal ms | baseline ms');
for (const spec of specs) {
  const inst = makeInstance(spec);
  const run = (strategy: Strategy) => {
    // warm the JIT on a first run, time the second (both are the same deterministic solve)
    solve(inst.auction, inst.pools, { strategy, settlement: SETTLEMENT, solver: SOLVER });
    const t = performance.now();
    const res = solve(inst.auction, inst.pools, { strategy, settlement: SETTLEMENT, solver: SOLVER });
    const ms = performance.now() - t;
    const s = scoreSolution(res.solution, inst.auction);
    if (!s.ok) throw new Error(`${strategy} solution invalid: ${JSON.stringify(s)}`);
    return { surplus: Number(s.value.score) / 1e18, ms, stats: res.stats };
  };
  const optimal = run('optimal');
  const baseline = run('baseline');
  const tRef = performance.now();
  const reference = referenceOptimum(inst.auction, inst.pools);
  const refMs = performance.now() - tRef;
  const bisection = spec.singlePair && spec.intents === 1 ? bisectionReference(inst) : null;
  const jointScore = optimal.stats.candidates?.joint;
  const row = {
    spec,
    surplus: {
      baseline: baseline.surplus,
      optimal: optimal.surplus,
      reference: reference.bound,
      bisectionReference: bisection,
      optimalJointOnly: jointScore === undefined ? 0 : Number(jointScore) / 1e18,
    },
    source: optimal.stats.source,
    ratio: {
      optimalOverReference: reference.bound > 0 ? optimal.surplus / reference.bound : null,
      optimalOverBaseline: baseline.surplus > 0 ? optimal.surplus / baseline.surplus : null,
    },
    filled: { optimal: optimal.stats.filled, baseline: baseline.stats.filled, intents: optimal.stats.intents },
    matchedFraction: optimal.stats.filled ? optimal.stats.matched / optimal.stats.filled : 0,
    matchedVolumeShare: optimal.stats.matchedVolumeShare,
    ms: { optimal: optimal.ms, baseline: baseline.ms, reference: refMs },
  };
  rows.push(row);
  console.log(
    `${spec.tokens}/${spec.pools}/${spec.intents} | ${fmt(baseline.surplus)} | ${fmt(optimal.surplus)} (${optimal.stats.source}) | ${fmt(reference.bound)}` +
      (bisection !== null ? ` [bisection ${fmt(bisection)}]` : '') +
      ` | ${fmt(row.ratio.optimalOverReference, 5)} | ${fmt(row.ratio.optimalOverBaseline, 3)} | ${optimal.stats.filled}/${baseline.stats.filled} of ${optimal.stats.intents}` +
      ` | ${(row.matchedVolumeShare * 100).toFixed(0)}% vol | ${optimal.ms.toFixed(0)} | ${baseline.ms.toFixed(0)}`,
  );
}
const goals = {
  optimalOver999OfReference: rows.every((r) => (r.ratio.optimalOverReference ?? 1) >= 0.999),
  neverBelowBaseline: rows.every((r) => r.surplus.optimal >= r.surplus.baseline),
  strictlyAboveBaselineWhereMatchingOrSplittingHelps: rows.every((r) => r.surplus.optimal > r.surplus.baseline || r.surplus.reference <= r.surplus.baseline * (1 + 1e-6)),
  largestUnderOneSecond: rows.at(-1)!.ms.optimal < 1000,
};
console.log(`goals: ${JSON.stringify(goals)}`);
console.log('reference = upper bound (uniform prices and fill-or-kill relaxed), so opt/ref < 1 also measures the relaxation gap');
writeFileSync(new URL('./results/solver.json', import.meta.url), JSON.stringify({ date: new Date().toISOString(), node: process.version, goals, rows }, null, 2) + '\n');
