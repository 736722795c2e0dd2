// bench:solver: seeded random batches on the devnet pool shapes; baseline vs optimal vs an
// independent reference (single-pair instances: bisection on the common marginal price).
import { writeFileSync } from 'node:fs';
import type { Address } from 'viem';
import { scoreSolution } from '../../protocol/score.ts';
import { Router } from '../../solver/router.ts';
import { solve } from '../../solver/solve.ts';
import { makeInstance, type InstanceSpec } from '../solver/instances.ts';

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

const rows = [];
for (const spec of specs) {
  const inst = makeInstance(spec);
  const score = (strategy: 'optimal' | 'baseline') => {
    const t = performance.now();
    const res = solve(inst.auction, inst.pools, { strategy, settlement: SETTLEMENT, solver: SOLVER });
    const ms = performance.now() - t;
    const s = scoreSolution(res.solution, inst.auction);
    if (!s.ok) throw new Error(`${strategy} solution invalid: ${JSON.stringify(s)}`);
    return { surplus: Number(s.value.score) / 1e18, ms, stats: res.stats };
  };
  const optimal = score('optimal');
  const baseline = score('baseline');
  let reference: number | undefined;
  if (spec.singlePair && spec.intents === 1) {
    // reference: one SELL intent over parallel pools; bisection on the common marginal price.
    const i = inst.intents[0]!.intent;
    const router = new Router(inst.pools.map((p) => p.clone()));
    const zeroForOne = i.sellToken === router.pools[0]!.token0;
    const x = Number(i.sellAmount);
    const buf = new Float64Array(3);
    const at = (r: number) => {
      let input = 0;
      let out = 0;
      for (const p of router.pools) {
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
    const minBuy = Number(i.buyAmount);
    const ref = Number(inst.auction.referencePrices.get(i.buyToken)!) / 1e18;
    reference = Math.max(0, out - minBuy) * ref / 1e18 * 1e18 / 1e18;
  }
  const row = {
    spec,
    surplus: { baseline: baseline.surplus, optimal: optimal.surplus, reference: reference ?? null },
    ratio: {
      optimalOverReference: reference ? optimal.surplus / reference : null,
      optimalOverBaseline: baseline.surplus > 0 ? optimal.surplus / baseline.surplus : null,
    },
    filled: { optimal: optimal.stats.filled, baseline: baseline.stats.filled, intents: optimal.stats.intents },
    matchedFraction: optimal.stats.filled ? optimal.stats.matched / optimal.stats.filled : 0,
    matchedVolumeShare: optimal.stats.matchedVolumeShare,
    ms: { optimal: optimal.ms, baseline: baseline.ms },
  };
  rows.push(row);
  console.log(
    `${spec.tokens} tokens ${spec.pools} pools ${spec.intents} intents: surplus baseline ${baseline.surplus.toFixed(2)} optimal ${optimal.surplus.toFixed(2)}` +
      (reference ? ` reference ${reference.toFixed(2)} (ratio ${(optimal.surplus / reference).toFixed(6)})` : '') +
      ` | filled ${optimal.stats.filled}/${baseline.stats.filled} of ${optimal.stats.intents}, matched ${(row.matchedFraction * 100).toFixed(0)}% | ${optimal.ms.toFixed(0)} ms (baseline ${baseline.ms.toFixed(0)} ms)`,
  );
}
writeFileSync(new URL('./results/solver.json', import.meta.url), JSON.stringify({ date: new Date().toISOString(), node: process.version, rows }, null, 2) + '\n');
