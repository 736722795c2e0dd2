// Auctions across two real nodes: both close the same auction, rank the same gossiped solutions
// the same way (score, then solution hash), reject a solution that breaks a limit and mark its solver.
import { afterEach, describe, expect, it } from 'vitest';
import type { Address } from 'viem';
import { NodeApi } from '../../protocol/client.ts';
import { privateKeyToAddress } from '../../protocol/signature.ts';
import { solutionHash } from '../../protocol/solution.ts';
import type { AuctionClock } from '../../node/auction/clock.ts';
import { silentLogger } from '../../node/log.ts';
import { IntentNode } from '../../node/node.ts';
import { intentFactory, tempDir, testConfig, testKey, waitFor, signTestSolution } from '../helpers/node.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const X: Address = '0x1111111111111111111111111111111111111111';
const Y: Address = '0x2222222222222222222222222222222222222222';

describe('auctions', () => {
  it('two nodes agree on the ranking of gossiped solutions; a limit-violating one is rejected and recorded', async () => {
    let now = Date.now();
    const clocks: AuctionClock[] = [];
    const nodes: IntentNode[] = [];
    const verdicts: string[] = [];
    for (let k = 0; k < 2; k++) {
      const dir = tempDir();
      const cfg = testConfig(dir.path, k === 1 ? { bootstrap: [nodes[0]!.multiaddrs[0]!] } : {});
      const node = new IntentNode(cfg, {
        log: silentLogger(),
        onGossipVerdict: (topic, _p, o) => topic.startsWith('/solutions') && verdicts.push(`${o.verdict}:${o.code}`),
        auction: { intervalMs: 1000, solveWindowMs: 1000, now: () => now, manual: true },
      });
      clocks.push(node.auction!);
      await node.start();
      cleanups.push(dir.cleanup, () => node.stop());
      nodes.push(node);
    }
    const [a, b] = nodes as [IntentNode, IntentNode];
    await waitFor(
      () => a.host.pubsub.getSubscribers(a.solutionsTopic).length > 0 && b.host.pubsub.getSubscribers(b.intentsTopic).length > 0,
    );

    const alice = intentFactory(testKey(50));
    const bob = intentFactory(testKey(51));
    const i1 = alice.swap({ sellToken: X, buyToken: Y, sellAmount: 10n ** 18n, buyAmount: 2000n * 10n ** 6n });
    const i2 = bob.swap({ sellToken: Y, buyToken: X, sellAmount: 2100n * 10n ** 6n, buyAmount: 10n ** 18n });
    for (const s of [i1, i2]) expect((await a.submit(s)).verdict).toBe('accept');
    const ids = [alice.digestOf(i1), bob.digestOf(i2)];
    await waitFor(async () => (await Promise.all(ids.map((id) => b.pool.get(id)))).every(Boolean));

    now = Date.now(); // the auction collecting now holds both intents
    const auctionId = clocks[0]!.idAt(now);
    for (const c of clocks) c.close(auctionId);
    const trades = [
      { intentId: ids[0]!, executed: 10n ** 18n },
      { intentId: ids[1]!, executed: 2100n * 10n ** 6n },
    ].sort((p, q) => (p.intentId < q.intentId ? -1 : 1));
    const prices = (px: bigint) => [
      { token: X, price: px },
      { token: Y, price: 10n ** 18n },
    ];
    const base = { auctionId: BigInt(auctionId), marketPrices: [], trades, interactions: [] };
    const good1 = signTestSolution({ ...base, prices: prices(2050n * 10n ** 6n) }, testKey(60));
    const good2 = signTestSolution({ ...base, prices: prices(2050n * 10n ** 6n) }, testKey(61)); // same score: tie on hash
    const lesser = signTestSolution({ ...base, prices: prices(2090n * 10n ** 6n) }, testKey(62));
    const broken = signTestSolution({ ...base, prices: prices(1900n * 10n ** 6n) }, testKey(63)); // alice's limit fails
    const results = [];
    for (const s of [good1, good2, lesser, broken]) {
      results.push(await clocks[0]!.ingestSolution(s));
      a.publish(a.solutionsTopic, s);
    }
    expect(results.map((r) => r.verdict)).toEqual(['accept', 'accept', 'accept', 'reject']);
    expect(results[3]!.code).toBe('invalid_solution');
    await waitFor(() => verdicts.length >= 4);
    expect(verdicts.sort()).toEqual(['accept:ranked', 'accept:ranked', 'accept:ranked', 'reject:invalid_solution']);

    // Past the solve deadline both finalize.
    now += 2500;
    for (const c of clocks) await c.tick();
    const ra = clocks[0]!.ranking(auctionId)!;
    const rb = clocks[1]!.ranking(auctionId)!;
    expect(ra).toHaveLength(3);
    expect(rb).toEqual(ra);
    const [h1, h2] = [solutionHash(good1), solutionHash(good2)];
    expect(ra[0]!.score).toBe(ra[1]!.score);
    expect(ra[0]!.hash).toBe(h1 < h2 ? h1 : h2);
    expect(BigInt(ra[1]!.score)).toBeGreaterThan(BigInt(ra[2]!.score));
    expect(ra[2]!.hash).toBe(solutionHash(lesser));
    for (const c of clocks) {
      const rec = await c.solverRecord(privateKeyToAddress(testKey(63)));
      expect(rec).toMatchObject({ invalid: 1, valid: 0 });
      expect(rec!.lastInvalid!.reason).toMatch(/limit/);
    }
    const view = await new NodeApi(b.apiUrl).auctionById(auctionId);
    // held in memory: the signed intents, not the stored record's ids
    expect('intents' in view ? view.intents.map((i) => i.id).sort() : view).toEqual([...ids].sort());
    expect(view.ranking).toHaveLength(3);
    expect(view.settlement).toBeNull();
    const rec = await new NodeApi(a.apiUrl).solver(privateKeyToAddress(testKey(63)));
    expect(rec).toMatchObject({ invalid: 1, lastInvalid: { code: 'invalid_solution' } });
    // Late solutions are ignored.
    expect((await clocks[1]!.ingestSolution(good1)).code).toBe('too_late');
  });
});
