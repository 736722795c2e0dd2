// Backpressure on real nodes: the API refuses (503, Retry-After, a JSON code) an intent that would
// expire in the backlog or that finds the pool at its hard cap, stores nothing for it, and accepts
// again once fills clear the backlog; gossip at the hard cap is ignored without costing the
// relaying peer anything.
import { afterEach, describe, expect, it } from 'vitest';
import type { Hex } from 'viem';
import type { SignedIntent } from '../../protocol/intent.ts';
import { NodeApi } from '../../protocol/client.ts';
import { signedIntentToJson } from '../../protocol/json.ts';
import { silentLogger } from '../../node/log.ts';
import { IntentNode } from '../../node/node.ts';
import { refusal } from '../helpers/api.ts';
import { intentFactory, tempDir, testConfig, testKey, waitFor } from '../helpers/node.ts';

type Verdicts = { peer: string; verdict: string; code: string }[];

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startNode(over: Parameters<typeof testConfig>[1] = {}): Promise<{ node: IntentNode; verdicts: Verdicts }> {
  const dir = tempDir('backpressure-');
  const verdicts: Verdicts = [];
  const node = new IntentNode(testConfig(dir.path, over), {
    log: silentLogger(),
    auction: false,
    onGossipVerdict: (_topic, peer, o) => verdicts.push({ peer, verdict: o.verdict, code: o.code }),
  });
  await node.start();
  cleanups.push(dir.cleanup, () => node.stop());
  return { node, verdicts };
}

const api = (node: IntentNode): NodeApi => new NodeApi(node.apiUrl);
const post = (node: IntentNode, s: SignedIntent) => api(node).submitIntent(signedIntentToJson(s));
const backlog = (node: IntentNode) => api(node).backlog();
const metric = async (node: IntentNode, line: string): Promise<number | undefined> => {
  const text = await api(node).metrics();
  const hit = text.split('\n').find((l) => l.startsWith(`${line} `));
  return hit === undefined ? undefined : Number(hit.slice(line.length + 1));
};
const nowSec = (): number => Math.floor(Date.now() / 1000);

describe('backpressure', () => {
  it('the API refuses an intent that would expire in the backlog, with 503 and Retry-After, and accepts again once fills clear it', async () => {
    // 1 intent/s until fills show more; two auction intervals are 2 s
    const { node } = await startNode({ settleCapacity: 1, auctionIntervalMs: 1000 });
    const f = intentFactory(testKey(501));
    const queued: Hex[] = [];
    for (let k = 0; k < 20; k++) {
      const s = f.swap();
      expect((await node.submit(s)).verdict).toBe('accept');
      queued.push(f.digestOf(s));
    }
    expect(await backlog(node)).toEqual({
      open: 20,
      waiting: 20,
      saturated: false,
      capacityPerSec: 1,
      measuredPerSec: null,
      estimatedWaitSec: 20,
      maxOpen: 20_000,
    });

    // 20 s of backlog + 2 s > 15 s of lifetime
    const late = f.swap({ validTo: nowSec() + 15 });
    const res = await refusal(post(node, late));
    expect({ status: res.status, code: res.code, retryAfterSec: res.retryAfterSec }).toEqual({
      status: 503,
      code: 'backlog',
      retryAfterSec: 20,
    });
    expect(res.message).toMatch(/estimated wait 20 s .* remaining lifetime of 1[45] s/);
    // nothing stored
    expect((await refusal(api(node).intent(f.digestOf(late)))).status).toBe(404);
    expect(node.pool.size).toBe(20);
    // an intent that outlives the backlog is taken
    const outlives = f.swap({ validTo: nowSec() + 600 });
    expect(await post(node, outlives)).toEqual({ id: f.digestOf(outlives), state: 'open' });
    expect(await metric(node, 'node_backlog_refusals_total{source="api",reason="backlog"}')).toBe(1);
    expect(await metric(node, 'node_backlog_open_intents')).toBe(21);
    expect(await metric(node, 'node_backlog_wait_seconds')).toBe(21);

    // The chain watcher marks 16 of them filled: 5 left, and the measured rate is above the floor.
    for (const id of queued.slice(0, 16)) await node.pool.update(id, 'filled');
    const after = await backlog(node);
    expect(after.open).toBe(5);
    expect(after.measuredPerSec).toBeGreaterThan(0);
    expect(after.capacityPerSec).toBeGreaterThanOrEqual(1);
    expect(after.estimatedWaitSec).toBeLessThanOrEqual(5);
    expect(await post(node, late)).toEqual({ id: f.digestOf(late), state: 'open' });
    expect((await node.pool.get(f.digestOf(late)))?.state).toBe('open');
  });

  it('at the hard cap the API answers pool_full, and gossip is ignored without penalising the relaying peer', async () => {
    // The victim holds 3 intents at most, and every ignore it counts against a peer costs that peer.
    const { node: victim, verdicts } = await startNode({ maxOpenIntents: 3, peerIgnoreBudget: 0 });
    const { node: relay } = await startNode({ bootstrap: [victim.multiaddrs[0]!] });
    await waitFor(
      () =>
        victim.host.pubsub.getMeshPeers(victim.intentsTopic).includes(relay.peerId) &&
        relay.host.pubsub.getMeshPeers(relay.intentsTopic).includes(victim.peerId),
      30_000,
    );
    const f = intentFactory(testKey(502));
    const mine: Hex[] = [];
    for (let k = 0; k < 3; k++) {
      const s = f.swap();
      expect((await victim.submit(s)).verdict).toBe('accept');
      mine.push(f.digestOf(s));
    }
    const refused = f.swap();
    const res = await refusal(post(victim, refused));
    expect({ status: res.status, code: res.code }).toEqual({ status: 503, code: 'pool_full' });
    expect(res.retryAfterSec).toBeGreaterThanOrEqual(1);

    // Three new intents reach the victim by gossip from the relay: each ignored, none stored.
    const g = intentFactory(testKey(503));
    const relayed: Hex[] = [];
    for (let k = 0; k < 3; k++) {
      const s = g.swap();
      expect((await relay.submit(s)).verdict).toBe('accept');
      relayed.push(g.digestOf(s));
    }
    await waitFor(() => verdicts.filter((v) => v.code === 'pool_full').length === 3, 30_000);
    expect(verdicts.filter((v) => v.code === 'pool_full').every((v) => v.peer === relay.peerId && v.verdict === 'ignore')).toBe(true);
    for (const id of relayed) expect(await victim.pool.get(id)).toBeUndefined();
    expect(victim.pool.size).toBe(3);
    expect(victim.budget.score(relay.peerId)).toBe(0);
    expect(victim.host.isBanned(relay.peerId)).toBe(false);
    expect(await metric(victim, 'node_backlog_refusals_total{source="gossip",reason="pool_full"}')).toBe(3);
    expect(await metric(victim, 'node_backlog_refusals_total{source="api",reason="pool_full"}')).toBe(1);

    // One settles: there is room again.
    await victim.pool.update(mine[0]!, 'filled');
    expect(await post(victim, refused)).toEqual({ id: f.digestOf(refused), state: 'open' });
  });
});
