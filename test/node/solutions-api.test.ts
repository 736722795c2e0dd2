// POST /v1/solutions: a solver without a libp2p host hands its signed solution to a node over
// HTTP; the node checks it like a gossiped one, ranks it, and gossips it on, so another node ranks
// the same set. Bad input: not hex, garbage bytes, a limit-violating solution (422, solver marked),
// an unknown auction (409), and the duplicate (200).
import { afterEach, describe, expect, it } from 'vitest';
import type { AuctionResponse } from '../../protocol/api.ts';
import type { Address, Hex } from 'viem';
import { NodeApi } from '../../protocol/client.ts';
import { toHex } from '../../protocol/bytes.ts';
import { privateKeyToAddress } from '../../protocol/signature.ts';
import { solutionHash } from '../../protocol/solution.ts';
import type { AuctionClock } from '../../node/auction/clock.ts';
import { silentLogger } from '../../node/log.ts';
import { IntentNode } from '../../node/node.ts';
import { refusal } from '../helpers/api.ts';
import { intentFactory, tempDir, testConfig, testKey, waitFor, signTestSolution } from '../helpers/node.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const X: Address = '0x1111111111111111111111111111111111111111';
const Y: Address = '0x2222222222222222222222222222222222222222';

describe('POST /v1/solutions', () => {
  it('ranks a posted solution, gossips it to another node, and refuses bad ones with JSON errors', async () => {
    let now = Date.now();
    const clocks: AuctionClock[] = [];
    const nodes: IntentNode[] = [];
    for (let k = 0; k < 2; k++) {
      const dir = tempDir();
      const node = new IntentNode(testConfig(dir.path, k === 1 ? { bootstrap: [nodes[0]!.multiaddrs[0]!] } : {}), {
        log: silentLogger(),
        auction: { intervalMs: 1000, solveWindowMs: 1000, now: () => now, manual: true },
      });
      clocks.push(node.auction!);
      await node.start();
      cleanups.push(dir.cleanup, () => node.stop());
      nodes.push(node);
    }
    const [a, b] = nodes as [IntentNode, IntentNode];
    await waitFor(
      () => a.host.pubsub.getSubscribers(a.solutionsTopic).length > 0 && b.host.pubsub.getSubscribers(b.solutionsTopic).length > 0,
      15_000,
    );

    const alice = intentFactory(testKey(70));
    const bob = intentFactory(testKey(71));
    const i1 = alice.swap({ sellToken: X, buyToken: Y, sellAmount: 10n ** 18n, buyAmount: 2000n * 10n ** 6n });
    const i2 = bob.swap({ sellToken: Y, buyToken: X, sellAmount: 2100n * 10n ** 6n, buyAmount: 10n ** 18n });
    for (const s of [i1, i2]) expect((await a.submit(s)).verdict).toBe('accept');
    const ids = [alice.digestOf(i1), bob.digestOf(i2)];
    await waitFor(async () => (await Promise.all(ids.map((id) => b.pool.get(id)))).every(Boolean), 15_000);

    now = Date.now();
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
    const good = signTestSolution({ ...base, prices: prices(2050n * 10n ** 6n) }, testKey(80));
    const broken = signTestSolution({ ...base, prices: prices(1900n * 10n ** 6n) }, testKey(81)); // alice's limit fails
    const elsewhere = signTestSolution({ ...base, auctionId: BigInt(auctionId + 1000), prices: prices(2050n * 10n ** 6n) }, testKey(82));

    const api = new NodeApi(a.apiUrl);
    const body = await api.submitSolution(toHex(good));
    expect(body).toMatchObject({ hash: solutionHash(good), state: 'ranked' });
    expect('score' in body && BigInt(body.score)).toBeGreaterThan(0n);
    // the other node got it over gossip and ranks the same set
    await waitFor(async () => ((await b.auction!.byId(auctionId)) as AuctionResponse).solutions === 1, 15_000);

    expect(await api.submitSolution(toHex(good))).toEqual({ hash: solutionHash(good), state: 'ranked', duplicate: true });

    const errorOf = async (solution: Hex): Promise<{ status: number; code: string }> => {
      const e = await refusal(api.submitSolution(solution));
      return { status: e.status, code: e.code };
    };
    expect(await errorOf(toHex(broken))).toEqual({ status: 422, code: 'invalid_solution' });
    expect((await a.auction!.solverRecord(privateKeyToAddress(testKey(81)).toLowerCase() as Address))?.invalid).toBe(1);
    expect(await errorOf(toHex(elsewhere))).toEqual({ status: 409, code: 'unknown_auction' });
    // not hex: what a typed caller would not send
    expect(await errorOf('zz' as Hex)).toEqual({ status: 400, code: 'malformed' });
    expect((await errorOf('0x0102')).status).toBe(422);

    now += 2000;
    for (const c of clocks) await c.tick();
    const ranked = await Promise.all(nodes.map(async (n) => ((await n.auction!.byId(auctionId))?.ranking ?? []).map((r) => r.hash)));
    expect(ranked[0]).toEqual([solutionHash(good)]);
    expect(ranked[1]).toEqual(ranked[0]);
  }, 60_000);
});
