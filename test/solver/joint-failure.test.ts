// The joint solve never fails silently: every way it can come up empty is a typed failure in
// the solve's stats, and non-finite float plans never reach BigInt.
import type { Address, Hex } from 'viem';
import { describe, expect, it } from 'vitest';
import type { Auction } from '../../protocol/score.ts';
import { collectBatch } from '../../solver/domain/joint/batch.ts';
import type { JointPlan } from '../../solver/domain/joint/clear.ts';
import { toExact } from '../../solver/domain/joint/exact.ts';
import { solveJoint } from '../../solver/domain/joint/solve.ts';
import { solve } from '../../solver/domain/solve.ts';
import { makeInstance } from './instances.ts';

const SETTLEMENT = '0x00000000000000000000000000000000000000ee' as Address;
const SOLVER = '0x00000000000000000000000000000000000000ff' as Address;
const opts = { strategy: 'optimal' as const, settlement: SETTLEMENT, solver: SOLVER };

describe('joint solve failures', () => {
  it('solves the instance whose plan once had a leg with amountIn = Infinity, without throwing', () => {
    const inst = makeInstance({ seed: 12, tokens: 7, pools: 14, intents: 16 });
    const res = solve(inst.auction, inst.pools, opts);
    expect(res.stats.source).toBeDefined();
    // either the joint solve produced a candidate, or it says why not
    expect(res.stats.candidates?.joint !== undefined || res.stats.jointFailure !== undefined).toBe(true);
  });

  it('the exact pass rejects a non-finite plan with cause non_finite instead of throwing', () => {
    const inst = makeInstance({ seed: 3, tokens: 2, pools: 3, intents: 4, singlePair: true });
    const batch = collectBatch(inst.auction, inst.pools, opts);
    const n = batch.router.tokens.length;
    const flows = new Float64Array(batch.router.pools.length * 2);
    flows[0] = -Infinity;
    flows[1] = Infinity;
    const plan: JointPlan = {
      p: new Float64Array(n).fill(1),
      nu: new Float64Array(n).fill(1),
      flows,
      supply: new Float64Array(n),
      fills: new Float64Array(batch.entries.length).fill(1),
      excluded: new Uint8Array(batch.router.pools.length),
    };
    const legs = [{ pool: 0, zeroForOne: true, tokenIn: batch.router.t0[0]!, tokenOut: batch.router.t1[0]!, amountIn: Infinity }];
    const res = toExact(batch, plan, legs);
    expect('solution' in res).toBe(false);
    expect('cause' in res && res.cause).toBe('non_finite');
  });

  it('an auction whose tokens have no pool is a no_entries failure, reported in the stats', () => {
    const inst = makeInstance({ seed: 5, tokens: 2, pools: 2, intents: 3, singlePair: true });
    const out = solveJoint(inst.auction, [], opts);
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.failure.cause).toBe('no_entries');
    const res = solve(inst.auction, [], opts);
    expect(res.stats.jointFailure?.cause).toBe('no_entries');
  });

  it('an exception inside the joint solve is caught with its cause', () => {
    const inst = makeInstance({ seed: 5, tokens: 2, pools: 2, intents: 3, singlePair: true });
    const broken: Auction = { ...inst.auction, intents: new Map([['0x01' as Hex, { id: '0x01' as Hex, intent: null as never }]]) };
    const out = solveJoint(broken, inst.pools, opts);
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.failure.cause).toBe('exception');
  });
});
