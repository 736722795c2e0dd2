// Memory of the auction clock with a large pool: retained auctions hold intent ids, not decoded
// copies of the pool; decoded intents live in one cache bounded by configuration; the number of
// retained auctions is bounded. Scoring still works when the intents it needs were evicted.
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import type { Address, Hex } from 'viem';
import { encodeSignedIntent } from '../../protocol/codec.ts';
import { toHex } from '../../protocol/bytes.ts';
import type { SignedIntent } from '../../protocol/intent.ts';
import { silentLogger } from '../../node/log.ts';
import { IntentNode } from '../../node/node.ts';
import { intentFactory, signTestSolution, tempDir, testConfig, testKey } from '../helpers/node.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const heap = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const X: Address = '0x1111111111111111111111111111111111111111';
const Y: Address = '0x2222222222222222222222222222222222222222';

describe('auction memory', () => {
  it('retained auctions share one bounded decoded cache and are bounded by count; scoring decodes on demand', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const interval = 500;
    const RETAIN = 8;
    const CACHE = 100;
    let now = 0; // set once the pool is filled
    const node = new IntentNode(testConfig(dir.path), {
      log: silentLogger(),
      auction: { intervalMs: interval, retainAuctions: RETAIN, decodedCacheSize: CACHE, now: () => now, manual: true },
    });
    const clock = node.auction!;
    await node.db.open();
    await node.pool.load();
    cleanups.push(() => node.db.close());

    // 3,000 live filler intents (structurally valid bytes; the auction decodes, it does not verify)
    // plus two real ones a solver will trade.
    const filler = intentFactory(testKey(200));
    const template = filler.swap();
    if (template.type !== 'swap') throw new Error('unreachable');
    const swap = template.intent;
    const validTo = Math.floor(Date.now() / 1000) + 3600;
    const receivedAt = Date.now() - 1000;
    const LIVE = 3000;
    await Promise.all(
      Array.from({ length: LIVE }, (_, k) => {
        const s: SignedIntent = { ...template, type: 'swap', intent: { ...swap, nonce: BigInt(k + 1), validTo } };
        const digest = `0x${'e'.repeat(24)}${(k + 1).toString(16).padStart(40, '0')}` as Hex;
        return node.pool.add(
          {
            digest,
            owner: filler.owner,
            type: 'swap',
            validTo,
            bytes: toHex(encodeSignedIntent(s)) as Hex,
            source: 'api',
            receivedAt,
            needsChainCheck: false,
          },
          1e9,
        );
      }),
    );
    const alice = intentFactory(testKey(201));
    const bob = intentFactory(testKey(202));
    const i1 = alice.swap({ sellToken: X, buyToken: Y, sellAmount: 10n ** 18n, buyAmount: 2000n * 10n ** 6n });
    const i2 = bob.swap({ sellToken: Y, buyToken: X, sellAmount: 2100n * 10n ** 6n, buyAmount: 10n ** 18n });
    for (const [f, s] of [
      [alice, i1],
      [bob, i2],
    ] as const) {
      await node.pool.add(
        {
          digest: f.digestOf(s),
          owner: f.owner,
          type: 'swap',
          validTo: s.intent.validTo,
          bytes: toHex(encodeSignedIntent(s)) as Hex,
          source: 'api',
          receivedAt,
          needsChainCheck: false,
        },
        1e9,
      );
    }
    expect(node.pool.size).toBe(LIVE + 2);

    // on an interval boundary: each tick then closes the auction that just ended, and its solve
    // window (half an interval from the boundary) is still open when the solution below arrives
    now = (Math.floor(Date.now() / interval) + 1) * interval;
    const before = heap();
    const AUCTIONS = 60;
    for (let k = 0; k < AUCTIONS; k++) {
      now += interval;
      await clock.tick();
    }
    const grown = heap() - before;
    // 60 decoded copies of a 3,000-intent pool take well over 100 MB; ids and the cache, a few MB.
    expect(grown).toBeLessThan(30 * 2 ** 20);
    const stats = clock.stats();
    // the solving auction and the one being finalized may exceed the retained (finalized) count by one each
    expect(stats.auctions).toBeLessThanOrEqual(RETAIN + 2);
    expect(stats.decoded).toBeLessThanOrEqual(CACHE);
    expect(stats.lastIntents).toBe(LIVE + 2);

    // A solution for the open auction is scored from intents decoded on demand.
    const auctionId = clock.idAt(now) - 1;
    const trades = [
      { intentId: alice.digestOf(i1), executed: 10n ** 18n },
      { intentId: bob.digestOf(i2), executed: 2100n * 10n ** 6n },
    ].sort((p, q) => (p.intentId < q.intentId ? -1 : 1));
    const sol = signTestSolution(
      {
        auctionId: BigInt(auctionId),
        marketPrices: [],
        trades,
        interactions: [],
        prices: [
          { token: X, price: 2050n * 10n ** 6n },
          { token: Y, price: 10n ** 18n },
        ],
      },
      testKey(210),
    );
    expect(await clock.ingestSolution(sol)).toMatchObject({ verdict: 'accept', code: 'ranked' });
    // and the view of it still lists every intent with its signed form
    const view = (await clock.view(auctionId)) as {
      intents: { id: Hex; signedIntent: unknown }[];
      referencePrices: Record<string, string>;
    };
    expect(view.intents).toHaveLength(LIVE + 2);
    expect(view.intents.every((i) => i.signedIntent !== null)).toBe(true);
    expect(Object.keys(view.referencePrices).sort()).toEqual([X, Y]);
    expect(clock.stats().decoded).toBeLessThanOrEqual(CACHE);
  }, 60_000);
});
