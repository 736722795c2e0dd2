// The optimal strategy's MILP stage (solver/domain/milp/) on its own: what it does without HiGHS,
// on batches above its size gate, and that its exact solutions replay (legs in an order the
// settlement can execute, every balance non-negative) and are what the strategy returns when
// they score best. Its optimality is measured by optimality.test.ts and the sweep.
import type { Address } from 'viem';
import { describe, expect, it } from 'vitest';
import { tradeAmounts } from '../../protocol/clearing.ts';
import { scoreSolution } from '../../protocol/score.ts';
import { loadMilp } from '../../solver/domain/milp/highs.ts';
import { solveMilp } from '../../solver/domain/milp/solve.ts';
import { solve } from '../../solver/domain/solve.ts';
import { checkCertified } from './certified.ts';
import { makeFamilyInstance } from './families.ts';

const SETTLEMENT = '0x00000000000000000000000000000000000000ee' as Address;
const SOLVER = '0x00000000000000000000000000000000000000ff' as Address;
const opts = { settlement: SETTLEMENT, solver: SOLVER, budgetMs: 600_000 };
const far = () => performance.now() + 600_000;

describe('MILP stage', () => {
  // first in the file: the module is fresh per test file, so HiGHS is not loaded yet
  it('says why it did not run when HiGHS is not loaded, and the strategy still answers', () => {
    const inst = makeFamilyInstance('twoSided', 3);
    const out = solveMilp(inst.auction, inst.pools, opts, [], far());
    expect(out.result).toBeUndefined();
    expect(out.stats.skipped).toMatch(/not loaded/);
    const res = solve(inst.auction, inst.pools, opts);
    expect(res.stats.milp?.skipped).toMatch(/not loaded/);
    expect(res.solution.trades.length).toBeGreaterThan(0);
  });

  it('skips batches above its size gate with the sizes in the reason', async () => {
    await loadMilp();
    const inst = makeFamilyInstance('large', 1);
    const out = solveMilp(inst.auction, inst.pools, opts, [], far());
    expect(out.stats.skipped).toMatch(/too large \(200 orders, \d+ pools\)/);
  });

  it('returns solutions that replay exactly, with every leg executable in order', async () => {
    await loadMilp();
    for (const [family, seed] of [
      ['fokMix', 3],
      ['fokMix', 10],
      ['ring', 7],
      ['mixedAmm', 1],
      ['small', 7],
      ['small', 9],
    ] as const) {
      const inst = makeFamilyInstance(family, seed);
      const out = solveMilp(inst.auction, inst.pools, opts, [], far());
      expect(out.result, `${family} ${seed}: ${out.stats.skipped ?? ''}`).toBeDefined();
      const res = out.result!;
      const legs = res.legs.map((l) => ({ pool: l.pool.address, zeroForOne: l.zeroForOne, amountIn: l.amountIn, amountOut: l.amountOut }));
      const checked = checkCertified(inst.auction, inst.pools, { solution: res.solution, legs });
      expect(checked.ok, `${family} ${seed}: ${checked.ok ? '' : checked.error.reason}`).toBe(true);
      // in execution order the settlement always holds each leg's input (users pay in first)
      const held = new Map<Address, bigint>();
      const prices = new Map(res.solution.prices.map((p) => [p.token, p.price]));
      for (const t of res.solution.trades) {
        const i = inst.auction.intents.get(t.intentId)!.intent;
        if (i.type !== 'swap') continue;
        const sell = i.intent.sellToken.toLowerCase() as Address;
        const amounts = tradeAmounts(i.intent, t.executed, prices.get(sell)!, prices.get(i.intent.buyToken.toLowerCase() as Address)!);
        held.set(sell, (held.get(sell) ?? 0n) + amounts.sell);
      }
      for (const l of res.legs) {
        const tin = l.zeroForOne ? l.pool.token0 : l.pool.token1;
        const tout = l.zeroForOne ? l.pool.token1 : l.pool.token0;
        expect(held.get(tin) ?? 0n, `${family} ${seed}: leg input held`).toBeGreaterThanOrEqual(l.amountIn);
        held.set(tin, (held.get(tin) ?? 0n) - l.amountIn);
        held.set(tout, (held.get(tout) ?? 0n) + l.amountOut);
      }
      expect(scoreSolution(res.solution, inst.auction).ok).toBe(true);
    }
  });
});
