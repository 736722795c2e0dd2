// Attack 2: a flood of messages the node IGNOREs (expired intents; EIP-1271 intents at a node
// without an RPC endpoint) from one foreign identity. Neither needs a valid signature: the node
// ignores them before (or instead of) recovering one, so they cost the attacker nothing to mint.
import { afterEach, describe, expect, it } from 'vitest';
import {
  bans,
  cleanup,
  health,
  honestLatencies,
  intentState,
  key,
  latencyBound,
  median,
  metric,
  onCleanup,
  report,
  rssMiB,
  startNode,
  submit,
  waitFor,
} from './harness.ts';
import { CHAIN_ID, foreignPeer, SETTLEMENT, TOPICS } from './peer.ts';
import { encodeIntent, signedSwap, type WireIntent } from './wire.ts';

afterEach(cleanup);

const FLOOD = 30_000;
/** Paced so the flood lasts about this long (~3,000 messages/s): latency is sampled while it runs. */
const FLOOD_MS = 10_000;
const RSS_GROWTH_MIB = 200;

/** Message k of the flood: distinct bytes (so a distinct message id) and ignored, never rejected. */
function ignored(k: number): Uint8Array {
  const now = Math.floor(Date.now() / 1000);
  const sigData = `0x${'11'.repeat(32)}${'22'.repeat(32)}1b` as const;
  const i: WireIntent = {
    tag: 1,
    swap: {
      owner: `0x${(0xa000 + (k % 4096)).toString(16).padStart(40, '0')}`,
      sellToken: '0x1111111111111111111111111111111111111111',
      buyToken: '0x2222222222222222222222222222222222222222',
      receiver: '0x0000000000000000000000000000000000000000',
      sellAmount: 10n ** 18n,
      buyAmount: 1n,
      // even k: expired a minute ago; odd k: live, but signed by a contract wallet (EIP-1271)
      validTo: k % 2 === 0 ? now - 60 : now + 3600,
      nonce: BigInt(k),
      kind: 0,
      partiallyFillable: false,
      appData: `0x${'00'.repeat(32)}`,
    },
    sig: k % 2 === 0 ? { scheme: 0, data: sigData } : { scheme: 1, data: sigData },
  };
  return encodeIntent(i);
}

describe('hostile foreign peer: floods of ignored messages', () => {
  it('attack 2: 30,000 ignored messages from one identity leave honest latency, relaying and memory alone', async () => {
    const v = await startNode();
    const h = await startNode(['--bootstrap', v.addr]);
    await waitFor('honest peer connected', async () => (await health(v)).peers >= 1);
    // no-attack baseline, same node, same path
    await honestLatencies(v, 2000, 10); // warm-up (JIT, first fsyncs)
    const baseline = median(await honestLatencies(v, 2100, 40));
    const rssBefore = rssMiB(v);

    const x = await foreignPeer();
    onCleanup(() => x.stop());
    await x.dial(v.addr);
    await x.sees(v.peerId);
    const validatedBefore = await metric(v, 'node_intents_total', { source: 'gossip' });
    let sent = 0;
    let rssMax = rssBefore;
    const rssTimer = setInterval(() => (rssMax = Math.max(rssMax, rssMiB(v))), 200);
    onCleanup(() => clearInterval(rssTimer));
    const started = Date.now();
    let flooding = true;
    const flood = (async () => {
      while (sent < FLOOD && Date.now() - started < FLOOD_MS + 5000) {
        const due = Math.min(FLOOD, Math.ceil(((Date.now() - started) / FLOOD_MS) * FLOOD) + 250);
        while (sent < due) void x.publish(TOPICS.intents, ignored(sent++));
        await new Promise((r) => setTimeout(r, 50));
      }
      flooding = false;
    })();
    // honest traffic during the flood: wallets at V, and intents relayed from the honest peer H
    const during: number[] = [];
    const relayed: `0x${string}`[] = [];
    let k = 0;
    while (flooding) {
      during.push(...(await honestLatencies(v, 100_000 + k, 1))); // a fresh owner each time: no quota is hit however fast V answers
      if (k % 4 === 0) {
        const s = signedSwap(key(3000 + k), CHAIN_ID, SETTLEMENT, { nonce: 1n });
        if ((await submit(h, s.intent)).status === 201) relayed.push(s.id);
      }
      k++;
    }
    await flood;
    // the flood is far over any budget of ignored messages: its sender must be penalised, which
    // from outside shows only as a ban or a disconnect (scores are not exposed)
    const attackerCut = await waitFor(
      'attacker banned or disconnected',
      () => bans(v).some((b) => b.peer === x.id) || x.libp2p.getPeers().length === 0,
      10_000,
    ).then(
      () => true,
      () => false,
    );
    const allRelayed = await waitFor(
      'every honest intent relayed by H stored at V',
      async () => (await Promise.all(relayed.map((id) => intentState(v, id)))).every((s) => s === 'open'),
      20_000,
    ).then(
      () => true,
      () => false,
    );
    const queueDrained = await waitFor('V drains its validation queue', async () => (await health(v)).queueDepth === 0, 30_000).then(
      () => true,
      () => false,
    );
    clearInterval(rssTimer);
    rssMax = Math.max(rssMax, rssMiB(v));
    const validated = (await metric(v, 'node_intents_total', { source: 'gossip' })) - validatedBefore;
    const attackMedian = median(during);
    const hv = await health(v);
    const values = {
      sent,
      floodMs: Date.now() - started,
      baselineMedianMs: +baseline.toFixed(1),
      attackMedianMs: +attackMedian.toFixed(1),
      attackP90Ms: +[...during].sort((a, b) => a - b)[Math.floor(during.length * 0.9)]!.toFixed(1),
      samples: during.length,
      validatedFromFlood: validated,
      queueDropped: await metric(v, 'node_validation_queue_dropped_total'),
      rssBeforeMiB: Math.round(rssBefore),
      rssMaxMiB: Math.round(rssMax),
      relayed: relayed.length,
      allRelayed,
      queueDrained,
      attackerBanned: bans(v).some((b) => b.peer === x.id),
      attackerCut,
      peersV: hv.peers,
    };
    report('attack 2 (flood of ignored messages)', values);
    expect(sent).toBeGreaterThan(FLOOD / 2);
    expect(during.length, 'honest samples taken during the flood').toBeGreaterThanOrEqual(10);
    expect.soft(attackMedian, 'honest submission median under attack vs 2x baseline').toBeLessThanOrEqual(latencyBound(baseline));
    expect.soft(allRelayed, 'every intent relayed by the honest peer stored').toBe(true);
    expect
      .soft(
        bans(v).map((b) => b.peer),
        'honest peer never banned',
      )
      .not.toContain(h.peerId);
    expect
      .soft(
        bans(h).map((b) => b.peer),
        'victim never banned by the honest peer',
      )
      .not.toContain(v.peerId);
    expect.soft((await health(h)).peers, 'honest peer still connected').toBeGreaterThanOrEqual(1);
    expect.soft(rssMax - rssBefore, `RSS growth (MiB) within ${RSS_GROWTH_MIB}`).toBeLessThanOrEqual(RSS_GROWTH_MIB);
    // rate limits before validation: most of a free flood never reaches the validator
    expect.soft(validated, 'flood messages that reached validation').toBeLessThanOrEqual(sent / 2);
    expect.soft(attackerCut, 'flooding identity penalised (banned or disconnected)').toBe(true);
  }, 120_000);
});
