// Hostile peers over real sockets on 127.0.0.1: each kind of bad gossip gets the right verdict,
// and a peer flooding invalid messages is graylisted, disconnected and banned while an honest
// peer's intents keep arriving.
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { NodeApi } from '../../protocol/client.ts';
import { encodeSignedIntent } from '../../protocol/codec.ts';
import { intentsTopic } from '../../protocol/topics.ts';
import { createHost, type Host } from '../../node/gossip/host.ts';
import { silentLogger } from '../../node/log.ts';
import { IntentNode } from '../../node/node.ts';
import { intentFactory, tempDir, testConfig, testKey, TEST_CHAIN_ID, TEST_SETTLEMENT, waitFor } from '../helpers/node.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Verdicts = { topic: string; peer: string; verdict: string; code: string }[];

async function startNode(over: Parameters<typeof testConfig>[1] = {}): Promise<{ node: IntentNode; verdicts: Verdicts }> {
  const dir = tempDir();
  const verdicts: Verdicts = [];
  const node = new IntentNode(testConfig(dir.path, over), {
    log: silentLogger(),
    onGossipVerdict: (topic, peer, o) => verdicts.push({ topic, peer, verdict: o.verdict, code: o.code }),
  });
  await node.start();
  cleanups.push(dir.cleanup, () => node.stop());
  return { node, verdicts };
}

/** A bare gossipsub peer that publishes whatever bytes it is given and validates nothing. */
async function startAttacker(): Promise<Host> {
  const host = await createHost({
    privateKey: (await generateKeyPair('Ed25519')) as unknown as PrivateKey,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: [],
    topics: [intentsTopic(TEST_CHAIN_ID)],
    ipColocationPenalty: false,
    maxMessageBytes: 1 << 20,
    log: silentLogger(),
  });
  host.pubsub.addEventListener('gossipsub:message', (e) =>
    host.pubsub.reportMessageValidationResult(e.detail.msgId, e.detail.propagationSource.toString(), 'accept' as never),
  );
  cleanups.push(() => host.stop());
  return host;
}

const subscribed = (h: Host, topic: string, peer: string): boolean => h.pubsub.getSubscribers(topic).some((p) => p.toString() === peer);

/** The high-s twin of a 65-byte r ‖ s ‖ v signature: s -> n - s and v flipped (the same point, malleated). */
function highSTwin(sig: `0x${string}`): `0x${string}` {
  const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
  const r = sig.slice(2, 66);
  const s = BigInt(`0x${sig.slice(66, 130)}`);
  const v = Number.parseInt(sig.slice(130, 132), 16);
  return `0x${r}${(n - s).toString(16).padStart(64, '0')}${(v === 27 ? 28 : 27).toString(16)}`;
}

/** A victim node with an honest peer and an attacker connected, every subscription seen both ways. */
async function victimHonestAttacker(): Promise<{ victim: IntentNode; verdicts: Verdicts; honest: IntentNode; attacker: Host; me: string }> {
  const { node: victim, verdicts } = await startNode();
  const { node: honest } = await startNode({ bootstrap: [victim.multiaddrs[0]!] });
  await waitFor(
    () => subscribed(honest.host, honest.intentsTopic, victim.peerId) && subscribed(victim.host, victim.intentsTopic, honest.peerId),
  );
  const attacker = await startAttacker();
  await attacker.libp2p.dial(victim.host.libp2p.getMultiaddrs()[0]!);
  await waitFor(() => subscribed(attacker, victim.intentsTopic, victim.peerId));
  return { victim, verdicts, honest, attacker, me: attacker.libp2p.peerId.toString() };
}

describe('hostile gossip', () => {
  it('gives each kind of bad message its verdict: reject invalid, ignore expired, dedupe by digest in the pool', async () => {
    const { node, verdicts } = await startNode();
    const attacker = await startAttacker();
    await attacker.libp2p.dial(node.host.libp2p.getMultiaddrs()[0]!);
    await waitFor(() => subscribed(attacker, node.intentsTopic, node.peerId));
    const me = attacker.libp2p.peerId.toString();
    const f = intentFactory(testKey(30));
    const good = f.swap();
    const cases: [string, Uint8Array][] = [
      ['valid', encodeSignedIntent(good)],
      // Same intent, other signature bytes (made for chain 1): another message id (ids hash the
      // bytes), so it is validated: a duplicate if the genuine one is stored by then, else a
      // wrong signer (it was signed for another chain).
      [
        'same digest, other bytes',
        encodeSignedIntent({ ...good, signature: intentFactory(testKey(30), 1, TEST_SETTLEMENT).swap({ ...good.intent }).signature }),
      ],
      ['expired', encodeSignedIntent(f.swap({ validTo: Math.floor(Date.now() / 1000) - 60 }))],
      ['malformed', Uint8Array.from([1, 1, 2, 3])],
      ['oversized', new Uint8Array(5000).fill(1)],
      ['wrong chain', encodeSignedIntent(intentFactory(testKey(30), 1, TEST_SETTLEMENT).swap({ nonce: 99n }))],
    ];
    for (const [, bytes] of cases) await attacker.pubsub.publish(node.intentsTopic, bytes).catch(() => undefined);
    await waitFor(() => verdicts.length >= 6);
    expect(verdicts).toHaveLength(6);
    const by = (code: string) => verdicts.filter((v) => v.peer === me && v.code === code);
    expect(by('accepted')).toHaveLength(1);
    expect(by('duplicate').length + by('wrong_signer').length).toBe(2);
    expect(by('duplicate').every((v) => v.verdict === 'ignore')).toBe(true);
    expect(by('expired')[0]?.verdict).toBe('ignore');
    expect(by('truncated')[0]?.verdict).toBe('reject');
    expect(by('oversized')[0]?.verdict).toBe('reject');
    expect(by('wrong_signer')[0]?.verdict).toBe('reject');
    expect((await node.pool.get(f.digestOf(good)))?.state).toBe('open');
    // After three rejections the attacker is below the graylist threshold: banned.
    await waitFor(() => node.host.isBanned(me));
  });

  it('graylists and bans a peer flooding thousands of invalid messages; honest intents keep flowing', async () => {
    const { victim, verdicts, honest, attacker, me } = await victimHonestAttacker();

    const f = intentFactory(testKey(31));
    let sent = 0;
    const started = Date.now();
    const flood = (async () => {
      while (Date.now() - started < 1500) {
        for (let k = 0; k < 200; k++) {
          // Garbage that decodes far enough to look like an intent: version 1, swap tag, random body.
          const b = randomBytes(2 + 213 + 66);
          b[0] = 1;
          b[1] = 1;
          b[2 + 213] = 0;
          void attacker.pubsub.publish(victim.intentsTopic, b).catch(() => undefined);
          sent++;
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    // While the flood runs, an honest peer submits intents; each must reach the victim.
    const honestIds: string[] = [];
    for (let k = 0; k < 5; k++) {
      const s = f.swap();
      honestIds.push(f.digestOf(s));
      expect((await honest.submit(s)).verdict).toBe('accept');
      await new Promise((r) => setTimeout(r, 100));
    }
    await flood;
    await waitFor(
      async () => (await Promise.all(honestIds.map((id) => victim.pool.get(id as `0x${string}`)))).every((r) => r?.state === 'open'),
      30_000,
    );
    expect(victim.host.isBanned(me)).toBe(true);
    expect(victim.host.libp2p.getPeers().map(String)).not.toContain(me);
    expect(victim.host.libp2p.getPeers().map(String)).toContain(honest.peerId);
    const rejectedFromAttacker = verdicts.filter((v) => v.peer === me && v.verdict === 'reject').length;
    // The ban stops the work: ten rejects ban the peer, and only what was already in flight
    // (at most the validation concurrency) is validated after that.
    expect(sent).toBeGreaterThan(1000);
    expect(rejectedFromAttacker).toBeLessThanOrEqual(10 + victim.config.validationConcurrency);
    if (process.env.REPORT)
      process.stdout.write(
        `flood: sent ${sent} in 1.5 s, validated (rejected) ${rejectedFromAttacker}, banned ${victim.host.isBanned(me)}\n`,
      );
    expect(victim.queue.depth).toBeLessThanOrEqual(victim.config.validationQueuePerPeer * 2);
    // Reconnecting is refused at the victim's connection gater (after the noise handshake).
    await attacker.libp2p.dial(victim.host.libp2p.getMultiaddrs()[0]!).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    expect(victim.host.libp2p.getPeers().map(String)).not.toContain(me);
  });

  it('a rejected high-s twin gossiped first never shadows the genuine intent, and no honest relayer pays for it', async () => {
    const { victim, verdicts, honest, attacker, me } = await victimHonestAttacker();
    const f = intentFactory(testKey(33));
    for (let k = 0; k < 3; k++) {
      const genuine = f.swap();
      const id = f.digestOf(genuine);
      await attacker.pubsub.publish(
        victim.intentsTopic,
        encodeSignedIntent({ ...genuine, signature: { ...genuine.signature, data: highSTwin(genuine.signature.data) } }),
      );
      await waitFor(() =>
        verdicts.some(
          (v) =>
            v.peer === me && v.code === 'high_s' && v.verdict === 'reject' && verdicts.filter((w) => w.code === 'high_s').length === k + 1,
        ),
      );
      expect((await honest.submit(genuine)).verdict).toBe('accept');
      await waitFor(async () => (await victim.pool.get(id as `0x${string}`))?.state === 'open');
    }
    expect(verdicts.filter((v) => v.peer === honest.peerId && v.verdict === 'reject')).toEqual([]);
    expect(victim.host.isBanned(honest.peerId)).toBe(false);
    expect(victim.host.pubsub.getScore(honest.peerId)).toBeGreaterThanOrEqual(0);
    expect(victim.host.libp2p.getPeers().map(String)).toContain(honest.peerId);
    // The same, as an operator sees it over the API.
    const seen = await new NodeApi(victim.apiUrl).peers();
    const h = seen.peers.find((p) => p.peerId === honest.peerId);
    expect(h?.score).toBeGreaterThanOrEqual(0);
    expect(h?.appScore).toBe(0);
    expect(seen.banned.map((b) => b.peerId)).not.toContain(honest.peerId);
  });

  it('keeps chains apart: a node for another chain id shares no topic, so its intents never arrive', async () => {
    const { node: mainnet, verdicts } = await startNode();
    const { node: other } = await startNode({ chainId: 1, bootstrap: [mainnet.multiaddrs[0]!] });
    await waitFor(() => mainnet.host.libp2p.getPeers().length > 0);
    expect(other.intentsTopic).toBe('/intents/1/1');
    expect(mainnet.host.pubsub.getSubscribers(other.intentsTopic)).toEqual([]);
    const s = intentFactory(testKey(32), 1, TEST_SETTLEMENT).swap();
    expect((await other.submit(s)).verdict).toBe('accept');
    // Nor does the pool sync protocol carry it: its id is chain-scoped too (/intent-sync/2/<chainId>).
    await new Promise((r) => setTimeout(r, 500));
    expect(verdicts).toEqual([]);
    expect(mainnet.pool.size).toBe(0);
  });
});
