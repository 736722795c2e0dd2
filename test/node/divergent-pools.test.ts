// Pools differ between honest nodes (an owner's quota split across nodes, propagation delay): a
// solution node A ranks may name an intent node B has not seen. That is not provably bad, so B
// must not REJECT it (gossipsub would penalise A, the honest relayer, and after three such
// messages ban it) nor mark the solver invalid. B ignores it, keeps it aside, and ranks it at the
// deadline if the missing intent reached it in time. What B can prove from its own intents (a
// broken limit) is still rejected.
import { afterEach, describe, expect, it } from 'vitest';
import type { Address, Hex } from 'viem';
import { toHex } from '../../protocol/bytes.ts';
import { encodeSignedIntent } from '../../protocol/codec.ts';
import { privateKeyToAddress } from '../../protocol/signature.ts';
import { solutionHash } from '../../protocol/solution.ts';
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

describe('divergent pools', () => {
  it('a solution naming an intent B never saw is ignored at B without penalty, and ranked once the intent arrives', async () => {
    // Long windows: the late-intent rule compares wall-clock receipt times with the deadline.
    const interval = 60_000;
    let now = Date.now();
    const clocks: AuctionClock[] = [];
    const nodes: IntentNode[] = [];
    const verdictsAtB: string[] = [];
    for (let k = 0; k < 2; k++) {
      const dir = tempDir();
      const node = new IntentNode(testConfig(dir.path, k === 1 ? { bootstrap: [nodes[0]!.multiaddrs[0]!] } : {}), {
        log: silentLogger(),
        onGossipVerdict: (topic, _p, o) => k === 1 && topic.startsWith('/solutions') && verdictsAtB.push(`${o.verdict}:${o.code}`),
        auction: { intervalMs: interval, solveWindowMs: interval, now: () => now, manual: true },
      });
      clocks.push(node.auction!);
      await node.start();
      cleanups.push(dir.cleanup, () => node.stop());
      nodes.push(node);
    }
    const [a, b] = nodes as [IntentNode, IntentNode];
    const [ca, cb] = clocks as [AuctionClock, AuctionClock];
    await waitFor(
      () => a.host.pubsub.getSubscribers(a.solutionsTopic).length > 0 && b.host.pubsub.getSubscribers(b.solutionsTopic).length > 0,
      15_000,
    );

    const alice = intentFactory(testKey(150));
    const bob = intentFactory(testKey(151));
    const i1 = alice.swap({ sellToken: X, buyToken: Y, sellAmount: 10n ** 18n, buyAmount: 2000n * 10n ** 6n });
    const i2 = bob.swap({ sellToken: Y, buyToken: X, sellAmount: 2100n * 10n ** 6n, buyAmount: 10n ** 18n });
    expect((await a.submit(i1)).verdict).toBe('accept'); // gossiped: B gets it
    // bob's intent reaches A only (stored, not published): B's pool lacks it
    expect((await a.validator.ingest(i2, encodeSignedIntent(i2), 'api')).verdict).toBe('accept');
    const [id1, id2] = [alice.digestOf(i1), bob.digestOf(i2)];
    await waitFor(async () => Boolean(await b.pool.get(id1)), 15_000);
    expect(await b.pool.get(id2)).toBeUndefined();

    const auctionId = ca.idAt(now);
    for (const c of clocks) c.close(auctionId);
    const trades = [
      { intentId: id1, executed: 10n ** 18n },
      { intentId: id2, executed: 2100n * 10n ** 6n },
    ].sort((p, q) => (p.intentId < q.intentId ? -1 : 1));
    const prices = (px: bigint) => [
      { token: X, price: px },
      { token: Y, price: 10n ** 18n },
    ];
    const base = { auctionId: BigInt(auctionId), marketPrices: [], trades, interactions: [] };
    const solverKeys = [160, 161, 162];
    const sols = solverKeys.map((k, n) => signTestSolution({ ...base, prices: prices((2050n + BigInt(n)) * 10n ** 6n) }, testKey(k)));

    // A ranks all three and relays them; three REJECTs at B would take A below the graylist threshold.
    for (const s of sols) {
      expect((await ca.ingestSolution(s)).verdict).toBe('accept');
      a.publish(a.solutionsTopic, s);
    }
    await waitFor(() => verdictsAtB.length >= sols.length, 15_000);
    expect(verdictsAtB).toEqual(sols.map(() => 'ignore:unknown_intent'));
    expect(b.host.isBanned(a.peerId)).toBe(false);
    expect(b.host.pubsub.getScore(a.peerId)).toBeGreaterThanOrEqual(0);
    expect(b.host.libp2p.getPeers().map(String)).toContain(a.peerId);
    for (const k of solverKeys) {
      const rec = await cb.solverRecord(privateKeyToAddress(testKey(k)));
      expect(rec?.invalid ?? 0).toBe(0);
    }
    // not ranked at B (yet)
    expect(((await b.auction!.byId(auctionId)) as { solutions: number }).solutions).toBe(0);

    // What B can prove from intents it knows is still rejected: alice's limit broken, whatever else is named.
    const broken = signTestSolution({ ...base, prices: prices(1900n * 10n ** 6n) }, testKey(163));
    expect(await cb.ingestSolution(broken)).toMatchObject({ verdict: 'reject', code: 'invalid_solution' });
    expect((await cb.solverRecord(privateKeyToAddress(testKey(163))))?.invalid).toBe(1);

    // bob's intent reaches B before the deadline: at the deadline B ranks the solutions it kept aside,
    // so both nodes end with the same ranking.
    expect((await b.validator.ingest(i2, encodeSignedIntent(i2), 'api')).verdict).toBe('accept');
    now += 2 * interval + 1;
    for (const c of clocks) await c.tick();
    const ra = ca.ranking(auctionId)!;
    expect(ra.map((r) => r.hash).sort()).toEqual(sols.map(solutionHash).sort());
    expect(cb.ranking(auctionId)).toEqual(ra);
    for (const k of solverKeys) expect(await cb.solverRecord(privateKeyToAddress(testKey(k)))).toMatchObject({ valid: 1, invalid: 0 });
  }, 60_000);

  it('a fill only this node saw on chain makes a solution ignored, not rejected; an overfill beyond the signed amount is rejected', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const now = Date.now();
    const node = new IntentNode(testConfig(dir.path), {
      log: silentLogger(),
      auction: { intervalMs: 60_000, now: () => now, manual: true },
    });
    const clock = node.auction!;
    await node.db.open();
    await node.pool.load();
    cleanups.push(() => node.db.close());
    const alice = intentFactory(testKey(180));
    const i1 = alice.swap({ sellToken: X, buyToken: Y, sellAmount: 10n ** 18n, buyAmount: 2000n * 10n ** 6n, partiallyFillable: true });
    const id = alice.digestOf(i1);
    await node.pool.add(
      {
        digest: id,
        owner: alice.owner,
        type: 'swap',
        validTo: i1.intent.validTo,
        bytes: toHex(encodeSignedIntent(i1)) as Hex,
        source: 'api',
        receivedAt: Date.now() - 1000,
        needsChainCheck: false,
      },
      100,
    );
    // this node's watcher saw 40% filled; a peer's may not have yet
    await node.pool.update(id, 'partially_filled', { filled: (4n * 10n ** 17n).toString() });
    const auctionId = clock.idAt(now);
    clock.close(auctionId);
    const sol = (executed: bigint, key: number) =>
      signTestSolution(
        {
          auctionId: BigInt(auctionId),
          marketPrices: [],
          interactions: [],
          trades: [{ intentId: id, executed }],
          prices: [
            { token: X, price: 2050n * 10n ** 6n },
            { token: Y, price: 10n ** 18n },
          ],
        },
        testKey(key),
      );
    expect(await clock.ingestSolution(sol(10n ** 18n, 181))).toMatchObject({ verdict: 'ignore', code: 'fill_view' });
    expect(await clock.solverRecord(privateKeyToAddress(testKey(181)))).toBeUndefined();
    expect(await clock.ingestSolution(sol(11n * 10n ** 17n, 182))).toMatchObject({ verdict: 'reject', code: 'invalid_solution' });
    expect((await clock.solverRecord(privateKeyToAddress(testKey(182))))?.invalid).toBe(1);
    expect(await clock.ingestSolution(sol(5n * 10n ** 17n, 183))).toMatchObject({ verdict: 'accept', code: 'ranked' });
  });

  it('an unbonded solver is recorded: log line, metric and its solver record', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const lines: Record<string, unknown>[] = [];
    const { pino } = await import('pino');
    const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
    const bonded = privateKeyToAddress(testKey(170)).toLowerCase() as Address;
    const now = Date.now();
    const node = new IntentNode(testConfig(dir.path), {
      log,
      auction: { intervalMs: 60_000, solvers: [bonded], now: () => now, manual: true },
    });
    const clock = node.auction!;
    await node.db.open();
    await node.pool.load();
    cleanups.push(() => node.db.close());
    const auctionId = clock.idAt(now);
    clock.close(auctionId);
    const stranger = privateKeyToAddress(testKey(171)).toLowerCase() as Address;
    const sol = signTestSolution(
      { auctionId: BigInt(auctionId), prices: [], marketPrices: [], trades: [], interactions: [] },
      testKey(171),
    );
    expect(await clock.ingestSolution(sol)).toMatchObject({ verdict: 'ignore', code: 'unknown_solver' });
    expect(lines.some((l) => l.event === 'solution_unbonded' && l.solver === stranger && l.auctionId === auctionId)).toBe(true);
    expect(await node.metrics.registry.getSingleMetricAsString('node_solutions_unbonded_total')).toMatch(
      /node_solutions_unbonded_total 1\b/,
    );
    expect(await clock.solverRecord(stranger)).toMatchObject({
      solver: stranger,
      unbonded: 1,
      lastUnbonded: { auctionId, hash: solutionHash(sol) },
    });
  });
});
