// Attack 1 (censorship by a high-s twin) and the >1 MiB message case, by a foreign peer against
// real node processes on 127.0.0.1.
import { afterEach, describe, expect, it } from 'vitest';
import {
  bans,
  peerScore,
  cleanup,
  health,
  intentState,
  key,
  metric,
  onCleanup,
  report,
  startNode,
  submit,
  waitFor,
  type RealNode,
} from './harness.ts';
import { CHAIN_ID, foreignPeer, SETTLEMENT, TOPICS } from './peer.ts';
import { encodeIntent, highS, signedSwap } from './wire.ts';

afterEach(cleanup);

/** Polls for `bad` during `ms`; true if it was ever seen. Absence can only be observed over a window. */
async function seenWithin(ms: number, bad: () => boolean | Promise<boolean>): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await bad()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/** Two honest nodes, B bootstrapping from A, with a first intent relayed A -> B as proof of the path. */
async function honestPair(): Promise<{ a: RealNode; b: RealNode }> {
  const a = await startNode();
  const b = await startNode(['--bootstrap', a.addr]);
  const probe = signedSwap(key(900), CHAIN_ID, SETTLEMENT, { nonce: 1n });
  expect((await submit(a, probe.intent)).status).toBe(201);
  // A publishes to B only once it knows B's subscription: resubmitting is a duplicate, so use fresh intents until one lands
  let n = 2n;
  await waitFor('a first intent relayed from A to B', async () => {
    if ((await intentState(b, probe.id)) === 'open') return true;
    const again = signedSwap(key(900), CHAIN_ID, SETTLEMENT, { nonce: n++ });
    await submit(a, again.intent);
    return (await intentState(b, again.id)) === 'open';
  });
  return { a, b };
}

describe('hostile foreign peer: censorship', () => {
  it('attack 1: a high-s twin gossiped first neither shadows the genuine intent nor gets honest relays penalised', async () => {
    const { a, b } = await honestPair();
    const x = await foreignPeer();
    onCleanup(() => x.stop());
    await x.dial(b.addr);
    await x.sees(b.peerId);
    const rounds = 3;
    const genuine: `0x${string}`[] = [];
    const storedAtB: boolean[] = [];
    for (let k = 0; k < rounds; k++) {
      const g = signedSwap(key(901), CHAIN_ID, SETTLEMENT, { nonce: BigInt(100 + k) });
      genuine.push(g.id);
      const twin = encodeIntent({ ...g.intent, sig: { scheme: 0, data: highS(g.intent.sig.data) } });
      const rejected = await metric(b, 'node_intents_total', { source: 'gossip', verdict: 'reject' });
      await x.publish(TOPICS.intents, twin);
      // the twin has been judged at B before the genuine intent exists anywhere else
      await waitFor(
        `B judged twin ${k}`,
        async () => (await metric(b, 'node_intents_total', { source: 'gossip', verdict: 'reject' })) > rejected,
      );
      expect((await submit(a, g.intent)).status).toBe(201);
      storedAtB.push(
        await waitFor(`genuine intent ${k} stored at B`, async () => (await intentState(b, g.id)) === 'open', 8000).then(
          () => true,
          () => false,
        ),
      );
    }
    // A ban happens at a heartbeat (1 s) after the score falls: watch for one over three heartbeats.
    const aBannedAtB = await seenWithin(3500, () => bans(b).some((x) => x.peer === a.peerId));
    const probe = signedSwap(key(902), CHAIN_ID, SETTLEMENT, { nonce: 7n });
    expect((await submit(a, probe.intent)).status).toBe(201);
    const probeArrived = await waitFor(
      'probe relayed A -> B after the attack',
      async () => (await intentState(b, probe.id)) === 'open',
      8000,
    ).then(
      () => true,
      () => false,
    );
    const [ha, hb] = [await health(a), await health(b)];
    report('attack 1 (high-s twin)', {
      storedAtB,
      aBannedAtB,
      banScoreOfA: bans(b).find((x) => x.peer === a.peerId)?.score,
      bansAtB: bans(b),
      peersA: ha.peers,
      peersB: hb.peers,
      probeArrived,
    });
    for (const id of genuine) expect.soft(await intentState(a, id)).toBe('open');
    expect.soft(storedAtB, 'every genuine intent stored at B').toEqual(Array(rounds).fill(true));
    expect.soft(aBannedAtB, 'honest relayer A banned at B').toBe(false);
    // The node's own accounting never charged the honest relayer (gossipsub's part: no bans above).
    expect.soft((await peerScore(b, a.peerId))?.appScore, 'A penalised at B').toBe(0);
    expect
      .soft(
        bans(a).map((x) => x.peer),
        'B banned at A',
      )
      .not.toContain(b.peerId);
    expect.soft(ha.peers, 'A still has a peer (B)').toBeGreaterThanOrEqual(1);
    expect.soft(probeArrived, 'A and B still relay to each other').toBe(true);
  }, 90_000);

  it('a message over 1 MiB does not cost the sender its next valid intent', async () => {
    const v = await startNode();
    const x = await foreignPeer();
    onCleanup(() => x.stop());
    await x.dial(v.addr);
    await x.sees(v.peerId);
    // control: this peer's gossip reaches the node before the oversized message
    const first = signedSwap(key(910), CHAIN_ID, SETTLEMENT, { nonce: 0n });
    await x.publish(TOPICS.intents, first.bytes);
    await waitFor('an intent from the foreign peer stored', async () => (await intentState(v, first.id)) === 'open');
    const big = new Uint8Array((1 << 20) + 4096).fill(7);
    big[0] = 1;
    big[1] = 1;
    const next = signedSwap(key(910), CHAIN_ID, SETTLEMENT, { nonce: 1n });
    await x.publish(TOPICS.intents, big);
    await x.publish(TOPICS.intents, next.bytes);
    const arrived = await waitFor(
      'the intent after the oversized message stored',
      async () => (await intentState(v, next.id)) === 'open',
      10_000,
    ).then(
      () => true,
      () => false,
    );
    // and a later one from the same peer (the stream is usable again, not only one message after)
    const later = signedSwap(key(910), CHAIN_ID, SETTLEMENT, { nonce: 2n });
    await x.publish(TOPICS.intents, later.bytes);
    const laterArrived = await waitFor('a later intent stored', async () => (await intentState(v, later.id)) === 'open', 10_000).then(
      () => true,
      () => false,
    );
    report('>1 MiB message', { nextArrived: arrived, laterArrived, rejects: await metric(v, 'node_intents_total', { verdict: 'reject' }) });
    expect.soft(arrived, 'next valid intent after a >1 MiB message').toBe(true);
    expect.soft(laterArrived, 'a later valid intent from the same peer').toBe(true);
  }, 60_000);
});
