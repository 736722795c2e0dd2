// The randomized sweep (issue 13), shared by the sweep test files (one file per slice of seeds, so
// vitest runs the slices in parallel): the optimal strategy against the certified reference on
// small random instances of every shape (families.ts's `small` family: 2-4 tokens, V2, V3 and
// StableSwap pools, 2-12 intents between any tokens, with and without fill-or-kill), on TUNING
// seeds past the ones optimality.test.ts uses. Fails on any instance below its goal (0.999 of the
// best certified solution when every intent is partially fillable, 0.99 otherwise) and on any
// instance where the optimal strategy scores below the baseline. Each solve is capped by its
// evaluation count, not by time, so a loaded machine only makes the files slower.
import type { Address } from 'viem';
import { beforeAll, describe, expect, it } from 'vitest';
import { scoreSolution } from '../../protocol/score.ts';
import { loadMilp } from '../../solver/domain/milp/highs.ts';
import type { Strategy } from '../../solver/domain/options.ts';
import { solve } from '../../solver/domain/solve.ts';
import { certify, checkCertified } from './certified.ts';
import { type FamilyInstance, makeFamilyInstance, TUNING_SEEDS } from './families.ts';

const SETTLEMENT = '0x00000000000000000000000000000000000000ee' as Address;
const SOLVER = '0x00000000000000000000000000000000000000ff' as Address;
/** optimality.test.ts's seeds come first in TUNING_SEEDS; the sweep starts after them. */
const FIRST = 100;

const value = (inst: FamilyInstance, strategy: Strategy): number => {
  // a budget no machine reaches: the MILP stage's evaluation cap ends its search
  const res = solve(inst.auction, inst.pools, { strategy, settlement: SETTLEMENT, solver: SOLVER, budgetMs: 600_000 });
  if (!res.solution.trades.length) return 0;
  const s = scoreSolution(res.solution, inst.auction);
  if (!s.ok) throw new Error(`${strategy} solution invalid on small seed ${inst.seed}: ${s.error.reason}`);
  return Number(s.value.score) / 1e18;
};

/** Defines the sweep over `count` seeds starting `offset` seeds into the sweep's range. */
export function defineSweep(offset: number, count: number): void {
  const seeds = TUNING_SEEDS.slice(FIRST + offset, FIRST + offset + count);
  describe(`optimal strategy vs the certified reference on ${seeds.length} small random instances (seeds ${seeds[0]}-${seeds.at(-1)})`, () => {
    const failures: string[] = [];
    let fillOrKill = 0;
    beforeAll(async () => {
      await loadMilp();
      for (const seed of seeds) {
        const inst = makeFamilyInstance('small', seed);
        const certified = await certify(inst.auction, inst.pools, { settlement: SETTLEMENT, solver: SOLVER, noBound: true });
        const valid = checkCertified(inst.auction, inst.pools, certified);
        if (!valid.ok) failures.push(`seed ${seed}: certified solution invalid: ${valid.error.reason}`);
        const fok = inst.intents.some((i) => !i.intent.partiallyFillable);
        if (fok) fillOrKill++;
        const goal = fok ? 0.99 : 0.999;
        const optimal = value(inst, 'optimal');
        const baseline = value(inst, 'baseline');
        const ratio = certified.value > 0 ? optimal / certified.value : 1;
        const shape = `${inst.tokens.length}/${inst.pools.length}/${inst.intents.length}${fok ? ' fok' : ''}`;
        if (ratio < goal)
          failures.push(`seed ${seed} (${shape}): ${ratio.toFixed(5)} < ${goal} (optimal ${optimal}, certified ${certified.value})`);
        if (optimal < baseline) failures.push(`seed ${seed} (${shape}): optimal ${optimal} below baseline ${baseline}`);
      }
    }, 1_800_000);

    it('every instance meets its goal and the optimal strategy is never below the baseline', () => {
      expect(failures).toEqual([]);
    });

    it('the slice holds both kinds of instance', () => {
      // the goals differ by kind: a slice of only one kind would test half the claim
      expect(fillOrKill).toBeGreaterThan(seeds.length / 5);
      expect(seeds.length - fillOrKill).toBeGreaterThan(seeds.length / 5);
    });
  });
}
