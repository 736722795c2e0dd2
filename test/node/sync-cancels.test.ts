// Off-chain cancels survive pool resynchronisation (/intent-sync/2/<chainId>), over real TCP on
// 127.0.0.1 with real level pools. A node that missed a cancel while it was down, and a node that
// joins late and pulls the intent from such a stale peer, both end with the intent cancelled: the
// responder serves only live intents plus the signed cancels it holds, and the requester never
// revives an intent it has recorded as cancelled.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Hex } from 'viem';
import { signCancel } from '../../protocol/cancel.ts';
import { NodeApi, NodeApiError } from '../../protocol/client.ts';
import { encodeSignedIntent } from '../../protocol/codec.ts';
import { silentLogger } from '../../node/log.ts';
import { IntentNode } from '../../node/node.ts';
import type { NodeConfig } from '../../node/config.ts';
import { intentFactory, tempDir, testConfig, testKey, waitFor } from '../helpers/node.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A node on its own data dir; `stop` keeps the dir so it can restart on it. */
async function startNode(path: string, over: Partial<NodeConfig> = {}): Promise<IntentNode> {
  const node = new IntentNode(testConfig(path, over), { log: silentLogger() });
  await node.start();
  cleanups.push(() => node.stop().catch(() => undefined));
  return node;
}

function dirFor(): string {
  const d = tempDir('sync-cancel-');
  cleanups.push(d.cleanup);
  return d.path;
}

/** The HTTP status of a cancel at the node: 200, or the NodeApiError's. */
const cancelAt = (node: IntentNode, id: Hex, key: Hex): Promise<number> =>
  new NodeApi(node.apiUrl).cancelIntent(id, signCancel(id, node.validator.separator, key)).then(
    () => 200,
    (e: unknown) => {
      if (e instanceof NodeApiError) return e.status;
      throw e;
    },
  );

describe('cancels in pool sync', () => {
  it('a node that missed a cancel while down, and a late joiner syncing from it, end with the intent cancelled', async () => {
    const key = testKey(70);
    const alice = intentFactory(key);
    const a = await startNode(dirFor());
    const staleDir = dirFor();
    let stale = await startNode(staleDir, { bootstrap: [a.multiaddrs[0]!] });
    const s = alice.swap();
    const keep = alice.swap();
    const id = alice.digestOf(s);
    for (const x of [s, keep]) expect((await a.submit(x)).verdict).toBe('accept');
    await waitFor(
      async () => (await stale.pool.get(id))?.state === 'open' && (await stale.pool.get(alice.digestOf(keep)))?.state === 'open',
    );

    // the stale node is down while the owner cancels at `a`
    await stale.stop();
    expect(await cancelAt(a, id, key)).toBe(200);
    expect((await a.pool.get(id))?.state).toBe('cancelled');
    // `a` serves only live intents: the cancelled one is not among them
    expect(a.pool.liveRecords().map((r) => r.digest)).not.toContain(id);

    // it restarts with no peers: still holds the intent as open (it never heard the cancel)
    stale = await startNode(staleDir);
    expect((await stale.pool.get(id))?.state).toBe('open');

    // a late joiner that syncs from the stale node (which offers the intent) and from `a` (which
    // offers the signed cancel), whatever the order, ends with it cancelled and the other intent open
    const late = await startNode(dirFor(), { bootstrap: [stale.multiaddrs[0]!, a.multiaddrs[0]!] });
    await waitFor(
      async () => (await late.pool.get(id))?.state === 'cancelled' && (await late.pool.get(alice.digestOf(keep)))?.state === 'open',
      15_000,
    );
    expect(late.pool.liveRecords().map((r) => r.digest)).not.toContain(id);
    // and the late joiner's cancel (published after it applied the synced one) or the stale node's own
    // sync with it heals the stale node
    await waitFor(async () => (await stale.pool.get(id))?.state === 'cancelled', 15_000);
    // replaying the intent to any of them is refused as cancelled, never revived
    for (const n of [a, stale, late]) {
      const out = await n.validator.ingestBytes(encodeSignedIntent(s), 'gossip');
      expect(out.code).toBe('replay_cancelled');
    }
  }, 60_000);

  it('a restarting node pulls the cancel it missed from a peer that holds it', async () => {
    const key = testKey(71);
    const bob = intentFactory(key);
    const a = await startNode(dirFor());
    const bDir = dirFor();
    let b = await startNode(bDir, { bootstrap: [a.multiaddrs[0]!] });
    const s = bob.swap();
    const id = bob.digestOf(s);
    expect((await a.submit(s)).verdict).toBe('accept');
    await waitFor(async () => (await b.pool.get(id))?.state === 'open');
    await b.stop();
    expect(await cancelAt(a, id, key)).toBe(200);
    // A responder serves one full dump per peer id per minute (sync.ts); rather than wait a minute,
    // b comes back under a new peer id: same pool on disk, new peer.key.
    rmSync(join(bDir, 'peer.key'));
    b = await startNode(bDir, { bootstrap: [a.multiaddrs[0]!] });
    await waitFor(async () => (await b.pool.get(id))?.state === 'cancelled', 15_000);
  }, 60_000);

  it('a forged cancel frame is refused: a cancel signed by someone else never cancels (gossip path stays the judge)', async () => {
    // the responder only stores cancels it verified; a forged one never reaches its store
    const key = testKey(72);
    const carol = intentFactory(key);
    const a = await startNode(dirFor());
    const s = carol.swap();
    const id = carol.digestOf(s);
    expect((await a.submit(s)).verdict).toBe('accept');
    expect(await cancelAt(a, id, testKey(73))).toBe(403);
    expect(await a.db.cancels.get(id)).toBeUndefined();
    expect((await a.pool.get(id))?.state).toBe('open');
  });
});
