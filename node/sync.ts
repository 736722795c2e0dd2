// Pool resynchronisation between peers: gossip only carries what is published while a node is
// listening, so a node that restarts or joins late asks each new peer for its live intents.
// Protocol `/intent-sync/1/<chainId>`: the responder writes frames `length u32 BE ‖ encoded
// signed intent` for every live intent it holds, then closes. The requester validates every
// frame through the full pipeline (same rules as gossip), in chunks so the pool's group commit
// batches the writes. A peer that sends an oversized frame or any provably invalid intent is
// cut off (stream aborted) and reported to the caller; a sync is bounded in frames and bytes.
import type { Connection, Stream } from '@libp2p/interface';
import type { Hex } from 'viem';
import { fromHex } from '../protocol/bytes.ts';
import { intentSyncProtocol } from '../protocol/topics.ts';
import type { IntentNode } from './node.ts';


const MAX_FRAMES = 100_000;
const CHUNK = 64;

export type SyncResult = { peer: string; frames: number; accepted: number; ignored: number; rejected: number; aborted?: string };

function frame(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + bytes.length);
  new DataView(out.buffer).setUint32(0, bytes.length);
  out.set(bytes, 4);
  return out;
}

export async function installSync(node: IntentNode): Promise<void> {
  const protocol = intentSyncProtocol(node.config.chainId);
  const libp2p = node.host.libp2p;
  const served = new Map<string, number>();
  await libp2p.handle(
    protocol,
    ({ stream, connection }) => {
      // One full dump per peer per minute: asking again is not an amplification lever.
      const peer = connection.remotePeer.toString();
      const last = served.get(peer);
      if ((last !== undefined && Date.now() - last < 60_000) || node.host.isBanned(peer)) {
        stream.abort(new Error('sync rate limited'));
        return;
      }
      served.set(peer, Date.now());
      if (served.size > 10_000) served.clear();
      const records = node.pool.liveRecords().slice(0, MAX_FRAMES);
      void stream
        .sink(
          (async function* () {
            for (const r of records) yield frame(fromHex(r.bytes as Hex));
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
    void syncFrom(node, connection, protocol).then(
      (r) => node.log.info({ event: 'pool_synced', ...r }),
      (err: Error) => node.log.warn({ event: 'pool_sync_failed', peer: id, err: err.message }),
    );
  });
}

export async function syncFrom(node: IntentNode, connection: Connection, protocol: string): Promise<SyncResult> {
  const peer = connection.remotePeer.toString();
  const stream: Stream = await connection.newStream(protocol, { runOnLimitedConnection: false });
  const res: SyncResult = { peer, frames: 0, accepted: 0, ignored: 0, rejected: 0 };
  const max = node.config.maxMessageBytes;
  let buf = new Uint8Array(0);
  let batch: Uint8Array[] = [];
  const flush = async (): Promise<void> => {
    const outs = await Promise.all(batch.map((b) => node.validator.ingestBytes(b, 'gossip')));
    batch = [];
    for (const o of outs) res[o.verdict === 'accept' ? 'accepted' : o.verdict === 'ignore' ? 'ignored' : 'rejected']++;
    if (res.rejected > 0) throw new Error('peer sent an invalid intent');
  };
  try {
    for await (const chunk of stream.source) {
      const bytes = chunk.subarray();
      const joined = new Uint8Array(buf.length + bytes.length);
      joined.set(buf, 0);
      joined.set(bytes, buf.length);
      buf = joined;
      while (buf.length >= 4) {
        const len = new DataView(buf.buffer, buf.byteOffset, 4).getUint32(0);
        if (len > max) throw new Error(`frame of ${len} bytes is above ${max}`);
        if (buf.length < 4 + len) break;
        batch.push(buf.slice(4, 4 + len));
        buf = buf.subarray(4 + len);
        if (++res.frames > MAX_FRAMES) throw new Error('too many frames');
        if (batch.length >= CHUNK) await flush();
      }
    }
    if (buf.length > 0) throw new Error('stream ended inside a frame');
    await flush();
    await stream.close().catch(() => undefined);
  } catch (err) {
    res.aborted = (err as Error).message;
    stream.abort(err as Error);
  }
  return res;
}
