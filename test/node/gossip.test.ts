// Multi-node gossip over real TCP sockets on 127.0.0.1 with real level pools.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeSignedIntent } from '../../protocol/codec.ts';
import { encodeCancel, signCancel } from '../../protocol/cancel.ts';
import { NodeApi } from '../../protocol/client.ts';
import { silentLogger } from '../../node/log.ts';
import { IntentNode } from '../../node/node.ts';
import { intentFactory, tempDir, testConfig, testKey, waitFor } from '../helpers/node.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Every gossip verdict of every node started here, by the node's peer id. */
const verdicts: { node: string; topic: string; verdict: string; code: string }[] = [];

async function startNode(over: Parameters<typeof testConfig>[1] = {}): Promise<IntentNode> {
  const dir = tempDir();
  const node: IntentNode = new IntentNode(testConfig(dir.path, over), {
    log: silentLogger(),
    onGossipVerdict: (topic, _peer, o) => verdicts.push({ node: node.peerId, topic, verdict: o.verdict, code: o.code }),
  });
  await node.start();
  cleanups.push(dir.cleanup, () => node.stop());
  return node;
}

/**
 * Waits until `a` has `b` in its topic mesh. Knowing the subscription is not enough: a relay
 * forwards only to mesh peers, and a peer grafted after the forward never gets an IHAVE for it.
 */
async function meshed(a: IntentNode, b: IntentNode): Promise<void> {
  await waitFor(() => a.host.pubsub.getMeshPeers(a.intentsTopic).includes(b.peerId));
}

describe('gossip between nodes', () => {
  it('relays API-submitted intents (a swap and an option) through a line of three nodes, stored at each', async () => {
    const a = await startNode();
    const b = await startNode({ bootstrap: [a.multiaddrs[0]!] });
    const c = await startNode({ bootstrap: [b.multiaddrs[0]!] });
    await meshed(a, b);
    await meshed(b, a);
    await meshed(c, b);
    await meshed(b, c);
    const f = intentFactory(testKey(1));
    for (const signed of [f.swap(), f.option({ size: -(10n ** 18n) })]) {
      const out = await a.submit(signed);
      expect(out.verdict).toBe('accept');
      const digest = f.digestOf(signed);
      await waitFor(async () => (await c.pool.get(digest))?.state === 'open');
      expect((await b.pool.get(digest))?.source).toBe('gossip');
      expect((await c.pool.get(digest))?.type).toBe(signed.type);
      expect((await c.pool.get(digest))?.bytes).toBe(`0x${Buffer.from(encodeSignedIntent(signed)).toString('hex')}`);
    }
  });
});

describe('pool resync', () => {
  it('a node that joins late (or restarts) pulls the live intents it missed from its peers', async () => {
    const a = await startNode({ maxOpenPerOwner: 1000 });
    const f = intentFactory(testKey(2));
    const digests: string[] = [];
    for (let k = 0; k < 150; k++) {
      const s = f.swap();
      expect((await a.submit(s)).verdict).toBe('accept');
      digests.push(f.digestOf(s));
    }
    // Published to nobody: a had no peers. b learns them only through the sync protocol.
    const b = await startNode({ bootstrap: [a.multiaddrs[0]!], maxOpenPerOwner: 1000 });
    await waitFor(() => b.pool.size === 150);
    for (const d of digests.slice(0, 5)) expect((await b.pool.get(d as `0x${string}`))?.source).toBe('gossip');
  });

  it('a restarted node re-syncing hundreds of intents it already holds does not count them against its honest peer', async () => {
    const a = await startNode({ maxOpenPerOwner: 1000 });
    const f = intentFactory(testKey(3));
    for (let k = 0; k < 600; k++) expect((await a.submit(f.swap())).verdict).toBe('accept');
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const config = testConfig(dir.path, { bootstrap: [a.multiaddrs[0]!], maxOpenPerOwner: 1000 });
    const first = new IntentNode(config, { log: silentLogger() });
    await first.start();
    await waitFor(() => first.pool.size === 600);
    await first.stop();
    // Same pool, new process (and a new peer key: a serves one full sync per peer per minute):
    // the sync on connect carries 600 intents it already holds, three times the free ignore
    // budget. They are duplicates, not refusals: a stays in good standing.
    rmSync(join(dir.path, 'peer.key'));
    const b = new IntentNode(config, { log: silentLogger() });
    await b.start();
    cleanups.push(() => b.stop());
    await waitFor(() => b.host.libp2p.getPeers().map(String).includes(a.peerId));
    await waitFor(async () => /node_intents_total\{[^}]*code="duplicate"[^}]*\} 600/.test(await new NodeApi(b.apiUrl).metrics()));
    expect(b.budget.score(a.peerId)).toBe(0);
    expect(b.host.isBanned(a.peerId)).toBe(false);
    expect(b.host.libp2p.getPeers().map(String)).toContain(a.peerId);
  });
});

describe('cancel gossip', () => {
  it('a signed cancel at one node cancels the intent at its peers; a forged one is rejected', async () => {
    const a = await startNode();
    const b = await startNode({ bootstrap: [a.multiaddrs[0]!] });
    await meshed(a, b);
    await meshed(b, a);
    await waitFor(() => a.host.pubsub.getMeshPeers(a.cancelsTopic).includes(b.peerId));
    const f = intentFactory(testKey(5));
    const s = f.swap();
    const id = f.digestOf(s);
    expect((await a.submit(s)).verdict).toBe('accept');
    await waitFor(async () => (await b.pool.get(id))?.state === 'open');
    // Forged: signed by someone else. B refuses it (and A's API refuses it before that).
    const forged = signCancel(id, a.validator.separator, testKey(6));
    a.publish(a.cancelsTopic, encodeCancel(id, forged));
    // B has judged it (not a pause that a loaded machine may outlast): rejected, intent still open
    await waitFor(() => verdicts.some((v) => v.node === b.peerId && v.topic === b.cancelsTopic));
    expect(verdicts.filter((v) => v.node === b.peerId && v.topic === b.cancelsTopic)).toEqual([
      { node: b.peerId, topic: b.cancelsTopic, verdict: 'reject', code: 'wrong_signer' },
    ]);
    expect((await b.pool.get(id))?.state).toBe('open');
    expect(await new NodeApi(a.apiUrl).cancelIntent(id, signCancel(id, a.validator.separator, testKey(5)))).toEqual({
      id,
      state: 'cancelled',
    });
    await waitFor(async () => (await b.pool.get(id))?.state === 'cancelled');
    expect(b.pool.liveByOwner(f.owner)).toEqual([]);
  });
});
