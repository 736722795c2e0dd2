// Several winners per auction across two real nodes: solutions on disjoint pairs both win and
// settle in the first window, a combined solution that gives one pair's users less than the
// best single-pair solution is not ranked (fairness), both nodes pick the same winners, and a
// solution whose settle would exceed the batch gas bound is refused.
import { afterEach, describe, expect, it } from 'vitest';
import type { Address, Hex } from 'viem';
import { solutionGas } from '../../protocol/batch-gas.ts';
import { solutionHash, type Solution } from '../../protocol/solution.ts';
import type { AuctionClock } from '../../node/auction/clock.ts';
import { silentLogger } from '../../node/log.ts';
import { IntentNode } from '../../node/node.ts';
import { intentFactory, signTestSolution, tempDir, testConfig, testKey, waitFor } from '../helpers/node.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const X: Address = '0x1111111111111111111111111111111111111111';
const Y: Address = '0x2222222222222222222222222222222222222222';
const Z: Address = '0x3333333333333333333333333333333333333333';
const POOL: Address = '0x4444444444444444444444444444444444444444';
const E18 = 10n ** 18n;
const E6 = 10n ** 6n;

describe('several winners per auction', () => {
  it('disjoint solutions win together, an unfair combination is dropped, every node agrees, the gas bound holds', async () => {
    let now = Date.now();
    const nodes: IntentNode[] = [];
    const verdicts: string[] = [];
    for (let k = 0; k < 2; k++) {
      const dir = tempDir();
      const node = new IntentNode(testConfig(dir.path, k === 1 ? { bootstrap: [nodes[0]!.multiaddrs[0]!] } : {}), {
        log: silentLogger(),
        onGossipVerdict: (topic, _p, o) => topic.startsWith('/solutions') && verdicts.push(`${o.verdict}:${o.code}`),
        auction: { intervalMs: 1000, solveWindowMs: 500, now: () => now, manual: true },
      });
      await node.start();
      cleanups.push(dir.cleanup, () => node.stop());
      nodes.push(node);
    }
    const [a, b] = nodes as [IntentNode, IntentNode];
    const clocks = nodes.map((n) => n.auction!) as [AuctionClock, AuctionClock];
    await waitFor(
      () => a.host.pubsub.getSubscribers(a.solutionsTopic).length > 0 && b.host.pubsub.getSubscribers(b.intentsTopic).length > 0,
    );

    // a CoW on X/Y and a CoW on Z/Y
    const [u1, u2, u3, u4] = [50, 51, 52, 53].map((n) => intentFactory(testKey(n))) as [
      ReturnType<typeof intentFactory>,
      ReturnType<typeof intentFactory>,
      ReturnType<typeof intentFactory>,
      ReturnType<typeof intentFactory>,
    ];
    const xy1 = u1.swap({ sellToken: X, buyToken: Y, sellAmount: E18, buyAmount: 2000n * E6 });
    const xy2 = u2.swap({ sellToken: Y, buyToken: X, sellAmount: 2100n * E6, buyAmount: E18 });
    const zy1 = u3.swap({ sellToken: Z, buyToken: Y, sellAmount: E18, buyAmount: 100n * E6 });
    const zy2 = u4.swap({ sellToken: Y, buyToken: Z, sellAmount: 110n * E6, buyAmount: E18 });
    for (const s of [xy1, xy2, zy1, zy2]) expect((await a.submit(s)).verdict).toBe('accept');
    const ids = [u1.digestOf(xy1), u2.digestOf(xy2), u3.digestOf(zy1), u4.digestOf(zy2)] as [Hex, Hex, Hex, Hex];
    await waitFor(async () => (await Promise.all(ids.map((id) => b.pool.get(id)))).every(Boolean));

    now = Date.now();
    const auctionId = clocks[0].idAt(now);
    for (const c of clocks) c.close(auctionId);
    const sorted = <T extends { intentId: Hex }>(ts: T[]) => ts.sort((p, q) => (p.intentId < q.intentId ? -1 : 1));
    const byToken = <T extends { token: Address }>(ps: T[]) => ps.sort((p, q) => (p.token < q.token ? -1 : 1));
    const xyTrades = [
      { intentId: ids[0], executed: E18 },
      { intentId: ids[1], executed: 2100n * E6 },
    ];
    const zyTrades = [
      { intentId: ids[2], executed: E18 },
      { intentId: ids[3], executed: 110n * E6 },
    ];
    const base = { auctionId: BigInt(auctionId), marketPrices: [], interactions: [] };
    // X/Y at 2050 and Z/Y at 105: the middle of both spreads
    const onlyXY = signTestSolution(
      {
        ...base,
        trades: sorted([...xyTrades]),
        prices: byToken([
          { token: X, price: 2050n * E6 },
          { token: Y, price: E18 },
        ]),
      },
      testKey(60),
    );
    const onlyZY = signTestSolution(
      {
        ...base,
        trades: sorted([...zyTrades]),
        prices: byToken([
          { token: Z, price: 105n * E6 },
          { token: Y, price: E18 },
        ]),
      },
      testKey(61),
    );
    // both pairs, X/Y at 2095 (seller of X gets more, buyer less: less X/Y surplus than onlyXY in
    // total) and Z/Y at 105: its total score is above each single-pair solution, not above both
    const combined = signTestSolution(
      {
        ...base,
        trades: sorted([...xyTrades, ...zyTrades]),
        prices: byToken([
          { token: X, price: 2099n * E6 },
          { token: Z, price: 105n * E6 },
          { token: Y, price: E18 },
        ]),
      },
      testKey(62),
    );
    const scores: bigint[] = [];
    for (const s of [onlyXY, onlyZY, combined]) {
      const out = await clocks[0].ingestSolution(s);
      if (out.verdict !== 'accept') throw new Error(`refused: ${out.reason}`);
      scores.push(BigInt(out.score));
      a.publish(a.solutionsTopic, s);
    }
    // without the fairness rule the combined solution would rank first
    expect(scores[2]).toBeGreaterThan(scores[0]!);
    expect(scores[2]).toBeGreaterThan(scores[1]!);
    await waitFor(() => verdicts.length >= 3);
    expect(verdicts).toEqual(['accept:ranked', 'accept:ranked', 'accept:ranked']);

    // a solution over the batch gas bound is refused (and counted against its solver)
    const heavy: Omit<Solution, 'solver'> = {
      ...base,
      trades: sorted([...xyTrades]),
      prices: byToken([
        { token: X, price: 2050n * E6 },
        { token: Y, price: E18 },
      ]),
      interactions: Array.from({ length: 3 }, () => ({ target: POOL, value: 0n, callData: '0x' as Hex })),
    };
    const bound = solutionGas({ ...heavy, solver: POOL }, new Set()) - 1n;
    clocks[0].setMaxBatchGas(bound);
    const refused = await clocks[0].ingestSolution(signTestSolution(heavy, testKey(63)));
    expect(refused).toMatchObject({ verdict: 'reject', code: 'invalid_solution', reason: expect.stringMatching(/above the batch bound/) });

    // the clock wakes at the solve deadline to rank, not at the next close
    const closedAt = (auctionId + 1) * 1000;
    expect(clocks[0].nextWake(closedAt + 1)).toBe(closedAt + 500);
    now += 2500;
    for (const c of clocks) await c.tick();
    const ra = clocks[0].ranking(auctionId)!;
    expect(clocks[1].ranking(auctionId)).toEqual(ra);
    const winners = ra.filter((r) => r.winner);
    expect(winners.map((r) => r.hash).sort()).toEqual([solutionHash(onlyXY), solutionHash(onlyZY)].sort());
    // the combined solution gives X/Y users less than onlyXY: unfair, not ranked at all
    expect(ra.map((r) => r.hash)).not.toContain(solutionHash(combined));
    expect(new Set(winners.map((r) => r.settleFrom)).size).toBe(1);
    expect(winners.map((r) => r.rank).sort()).toEqual([0, 1]);

    // the winners' intents sit out the next auction (they are being settled); nothing else is held
    now += 1000;
    const next = clocks[0].close(clocks[0].idAt(now) - 1);
    expect(next.intentIds.filter((id) => ids.includes(id))).toEqual([]);
  });
});
