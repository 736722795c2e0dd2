// Pool resynchronisation between peers: gossip only carries what is published while a node is
// listening, so a node that restarts or joins late asks each new peer for its live intents.
// Protocol `/intent-sync/2/<chainId>`: the responder writes frames `length u32 BE ‖ encoded
// signed intent` for every live intent it holds, then closes. The requester validates every
// frame through the full pipeline (same rules as gossip) in the responder's lane of the fair
// validation queue, so a long or hostile stream waits its turn like that peer's gossip and never
// crowds out other peers or the API; chunks let the pool's group commit batch the writes. A
// responder that sends an oversized frame or any provably invalid intent is cut off (stream
// aborted) and pays in score like a gossip reject; frames the pool refuses (an owner at its quota,
// expired) count against its ignore budget (intents the requester already holds are free: an
// honest responder cannot know which those are), and once its score is graylisted the sync
// stops. A sync is bounded in frames and bytes, and one whose responder stays silent for
// SYNC_IDLE_MS (time spent validating what it sent does not count), or that runs past
// SYNC_DEADLINE_MS, is aborted.
//
// Off-chain cancels travel in the same stream, after the live intents: for every intent the
// responder holds as cancelled with the owner's signed cancel (and not yet expired), a frame
// `0xCC ‖ cancel (intentId 32 ‖ signature 65, protocol/cancel.ts) ‖ encoded signed intent`. The
// requester validates the intent like any other, checks the intent id is its digest and the cancel
// is signed by its owner, and cancels it (publishing the cancel on the cancels topic, so a peer that
// had missed it hears it too). So a node that joins late gets the cancel from any peer that saw it,
// whichever peer it pulls the intent from first; and the requester never revives an intent it has
// recorded as cancelled (replay_cancelled). (A signed intent starts with its codec version, 1, so
// the 0xCC tag cannot be an intent frame.)
import type { Connection, Stream } from '@libp2p/interface';
import type { Hex } from 'viem';
import { fromHex } from '../../protocol/bytes.ts';
import { decodeCancel, recoverCanceller } from '../../protocol/cancel.ts';
import { describeError } from '../../protocol/result.ts';
import { intentSyncProtocol } from '../../protocol/topics.ts';
import type { CancelRepository } from '../db/cancels.ts';
import { ALREADY_HELD, OUR_OWN_STATE } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { IntentCancels } from '../pool/cancels.ts';
import type { IntentIntake } from '../pool/intake.ts';
import type { IntentPool } from '../pool/pool.ts';
import { isLive } from '../pool/record.ts';
import type { IntentOutcome } from '../pool/validator.ts';
import type { Host } from './host.ts';
import type { PeerBudget } from './peer-budget.ts';

export type SyncDeps = {
  chainId: number;
  /** Largest encoded intent accepted; bounds a frame. */
  maxMessageBytes: number;
  host: Host;
  pool: IntentPool;
  cancels: CancelRepository;
  intake: IntentIntake;
  cancelling: IntentCancels;
  budget: PeerBudget;
  log: Logger;
};

/** First byte of a cancel frame. */
export const CANCEL_FRAME_TAG = 0xcc;
const CANCEL_BYTES = 97;

const MAX_FRAMES = 100_000;
const CHUNK = 64;
export const SYNC_IDLE_MS = 10_000;
export const SYNC_DEADLINE_MS = 120_000;
/** Score a responder pays for a frame that aborts the sync (a gossip reject costs about as much). */
const BAD_FRAME_POINTS = 40;

/** An abort the responder is to blame for. */
class BadFrame extends Error {}

export type SyncResult = {
  peer: string;
  frames: number;
  accepted: number;
  ignored: number;
  rejected: number;
  cancelled: number;
  aborted?: string;
};

/** The cancel frames a responder serves: signed cancels of intents it holds cancelled and not expired. */
async function* cancelFrames(d: SyncDeps, limit: number): AsyncGenerator<Uint8Array> {
  const now = Math.floor(Date.now() / 1000);
  let n = 0;
  for await (const { digest, signature } of d.cancels.all()) {
    const rec = await d.pool.get(digest);
    if (!rec) {
      // pruned from the pool: the cancel has nothing left to protect
      await d.cancels.delete(digest).catch(() => undefined);
      continue;
    }
    if (rec.state !== 'cancelled' || rec.validTo <= now) continue;
    const intent = fromHex(rec.bytes);
    const out = new Uint8Array(1 + CANCEL_BYTES + intent.length);
    out[0] = CANCEL_FRAME_TAG;
    out.set(fromHex(digest), 1);
    out.set(fromHex(signature), 33);
    out.set(intent, 1 + CANCEL_BYTES);
    yield out;
    if (++n >= limit) return;
  }
}

function frame(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + bytes.length);
  new DataView(out.buffer).setUint32(0, bytes.length);
  out.set(bytes, 4);
  return out;
}

/** Serves the sync protocol and pulls from every new peer that speaks it. */
export async function installSync(d: SyncDeps): Promise<void> {
  const protocol = intentSyncProtocol(d.chainId);
  const libp2p = d.host.libp2p;
  const served = new Map<string, number>();
  await libp2p.handle(
    protocol,
    ({ stream, connection }) => {
      // One full dump per peer per minute: asking again is not an amplification lever.
      const peer = connection.remotePeer.toString();
      const last = served.get(peer);
      if ((last !== undefined && Date.now() - last < 60_000) || d.host.isBanned(peer)) {
        stream.abort(new Error('sync rate limited'));
        return;
      }
      served.set(peer, Date.now());
      if (served.size > 10_000) served.clear();
      const records = d.pool.liveRecords().slice(0, MAX_FRAMES);
      void stream
        .sink(
          (async function* () {
            for (const r of records) yield frame(fromHex(r.bytes as Hex));
            for await (const c of cancelFrames(d, MAX_FRAMES - records.length)) yield frame(c);
          })(),
        )
        .catch(() => undefined);
    },
    { maxInboundStreams: 4, runOnLimitedConnection: false },
  );
  const synced = new Map<string, number>();
  libp2p.addEventListener('peer:identify', (evt) => {
    const { peerId, protocols, connection } = evt.detail;
    if (!protocols.includes(protocol)) return;
    const id = peerId.toString();
    const last = synced.get(id);
    if (last !== undefined && Date.now() - last < 60_000) return;
    synced.set(id, Date.now());
    void syncFrom(d, connection, protocol).then(
      (r) => d.log.info({ event: 'pool_synced', ...r }),
      (err: Error) => d.log.warn({ event: 'pool_sync_failed', peer: id, err: err.message }),
    );
  });
}

/** Pulls `connection`'s peer's live intents and cancels through the validation pipeline. */
export async function syncFrom(d: SyncDeps, connection: Connection, protocol: string): Promise<SyncResult> {
  const peer = connection.remotePeer.toString();
  const stream: Stream = await connection.newStream(protocol, { runOnLimitedConnection: false });
  const res: SyncResult = { peer, frames: 0, accepted: 0, ignored: 0, rejected: 0, cancelled: 0 };
  const max = d.maxMessageBytes + 1 + CANCEL_BYTES;
  let buf = new Uint8Array(0);
  let batch: Uint8Array[] = [];
  const deadline = Date.now() + SYNC_DEADLINE_MS;
  const validate = async (b: Uint8Array): Promise<IntentOutcome> => {
    const out = await d.intake.fromPeer(peer, b, deadline);
    if (!out) throw new Error('validation queue full past the sync deadline');
    // A responder sends every live intent it holds without knowing which ones we have, so intents
    // we already hold (or hold as filled, cancelled, expired) are what an honest sync is mostly
    // made of after a reconnect: free, as is what our full pool drops. Anything else we had to refuse counts.
    if (out.verdict === 'ignore' && !ALREADY_HELD.has(out.code) && !OUR_OWN_STATE.has(out.code)) d.budget.ignored(peer);
    return out;
  };
  const flush = async (): Promise<void> => {
    const outs = await Promise.all(batch.map(validate));
    batch = [];
    for (const o of outs) res[o.verdict === 'accept' ? 'accepted' : o.verdict === 'ignore' ? 'ignored' : 'rejected']++;
    if (res.rejected > 0) throw new BadFrame('peer sent an invalid intent');
    if (d.host.enforceScore(peer)) throw new Error('responder graylisted');
  };
  /** A cancel frame: the intent through the pipeline, then the owner's cancel applied. */
  const applyCancel = async (f: Uint8Array): Promise<void> => {
    await flush(); // keep the stream's order
    if (f.length <= 1 + CANCEL_BYTES) throw new BadFrame('cancel frame without its intent');
    const c = decodeCancel(f.subarray(1, 1 + CANCEL_BYTES));
    if (!c.ok) throw new BadFrame(`malformed cancel: ${describeError(c.error)}`);
    const out = await validate(f.slice(1 + CANCEL_BYTES));
    if (out.verdict === 'reject') {
      res.rejected++;
      throw new BadFrame('peer sent an invalid intent with a cancel');
    }
    const id = c.value.intentId.toLowerCase() as Hex;
    if (out.digest && out.digest.toLowerCase() !== id) {
      res.rejected++;
      throw new BadFrame('cancel frame: the intent id is not the digest of the intent sent with it');
    }
    const rec = await d.pool.get(id);
    // expired, over quota, ... : nothing stored, nothing to cancel
    if (!rec) return void res.ignored++;
    const signer = recoverCanceller(id, c.value.signature, d.cancelling.separator);
    if (!signer.ok || signer.value !== rec.owner) {
      res.rejected++;
      throw new BadFrame(`cancel frame for ${id} not signed by its owner`);
    }
    if (!isLive(rec.state)) return void res.ignored++;
    await d.cancelling.apply(id, c.value.signature);
    res.cancelled++;
    d.log.info({ event: 'intent_cancelled_by_sync', id, peer });
  };
  // A responder that stops sending (but keeps the stream open) would hold this sync forever.
  let idle: NodeJS.Timeout | undefined;
  const armIdle = (): void => {
    clearTimeout(idle);
    idle = setTimeout(() => stream.abort(new Error(`sync stream idle for ${SYNC_IDLE_MS} ms`)), SYNC_IDLE_MS);
  };
  const overall = setTimeout(() => stream.abort(new Error(`sync past its ${SYNC_DEADLINE_MS} ms deadline`)), SYNC_DEADLINE_MS);
  armIdle();
  try {
    for await (const chunk of stream.source) {
      // Only time spent waiting for the responder counts as idle, not our own validation.
      clearTimeout(idle);
      const bytes = chunk.subarray();
      const joined = new Uint8Array(buf.length + bytes.length);
      joined.set(buf, 0);
      joined.set(bytes, buf.length);
      buf = joined;
      while (buf.length >= 4) {
        const len = new DataView(buf.buffer, buf.byteOffset, 4).getUint32(0);
        if (len > max) throw new BadFrame(`frame of ${len} bytes is above ${max}`);
        if (buf.length < 4 + len) break;
        const f = buf.slice(4, 4 + len);
        buf = buf.subarray(4 + len);
        if (++res.frames > MAX_FRAMES) throw new BadFrame('too many frames');
        if (f[0] === CANCEL_FRAME_TAG) await applyCancel(f);
        else {
          batch.push(f);
          if (batch.length >= CHUNK) await flush();
        }
      }
      armIdle();
    }
    if (buf.length > 0) throw new BadFrame('stream ended inside a frame');
    await flush();
    await stream.close().catch(() => undefined);
  } catch (err) {
    res.aborted = (err as Error).message;
    stream.abort(err as Error);
    if (err instanceof BadFrame) {
      d.budget.charge(peer, BAD_FRAME_POINTS);
      d.host.enforceScore(peer);
    }
  } finally {
    clearTimeout(idle);
    clearTimeout(overall);
  }
  return res;
}
