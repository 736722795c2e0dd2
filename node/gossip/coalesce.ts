// Write coalescing for a connection: the frames its stream muxer emits within one turn of the event
// loop go to the encrypter as one chunk, so they cost one noise encryption, one pass through the
// async pipeline and one socket write instead of one each.
//
// Why: gossipsub sends every message to every mesh peer as its own RPC, and yamux turns each RPC
// into its own frame; with mesh degree 6 a node writes up to 5 frames per intent, and per-frame
// work (encryption, it-* iterator hops, syscalls) was most of an intent's CPU. Frames produced
// while the node handles one batch of socket reads or one group commit (a batch of validated
// intents forwarded together) now share a write. The bytes on the wire are the same frames in the
// same order; the receiver's yamux decoder already handles several frames per chunk.
//
// Latency: a frame waits at most until the event loop's check phase (setImmediate) of the turn
// that produced it: nothing when the node is idle, more batching when it is busy.
import type { StreamMuxer, StreamMuxerFactory, StreamMuxerInit } from '@libp2p/interface';

/** What yamux emits: a header alone, or a header and its data as a Uint8ArrayList. */
type Chunk = Uint8Array | { subarray(): Uint8Array };

const bytesOf = (c: Chunk): Uint8Array => (c instanceof Uint8Array ? c : c.subarray());

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let n = 0;
  for (const p of parts) n += p.byteLength;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** Frames handed to the encrypter and the writes they went out in, process-wide (bench:gossip reads them). */
export const coalesceStats = { frames: 0, writes: 0 };

/**
 * Yields the chunks of `source`, joined: after each chunk it keeps reading until the current event
 * loop turn ends (setImmediate), then yields what it has as one byte array. Never reorders,
 * never holds a chunk past the turn it arrived in, ends when the source ends.
 */
export async function* coalesceChunks(source: AsyncIterable<Chunk>): AsyncGenerator<Uint8Array> {
  const it = source[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<Chunk>> | undefined;
  try {
    for (;;) {
      const first = await (pending ?? it.next());
      pending = undefined;
      if (first.done) return;
      const parts = [bytesOf(first.value)];
      // Read on until the turn's check phase: each read that wins the race joins this write.
      let turnOver = false;
      const tick = new Promise<'tick'>((resolve) =>
        setImmediate(() => {
          turnOver = true;
          resolve('tick');
        }),
      );
      while (!turnOver) {
        const next = it.next();
        const r = await Promise.race([next, tick]);
        if (r === 'tick') {
          pending = next;
          break;
        }
        if (r.done) {
          coalesceStats.frames += parts.length;
          coalesceStats.writes++;
          yield concat(parts);
          return;
        }
        parts.push(bytesOf(r.value));
      }
      coalesceStats.frames += parts.length;
      coalesceStats.writes++;
      yield concat(parts);
    }
  } finally {
    // The reader stopped (the connection closed): stop the muxer's source too.
    void it.return?.();
  }
}

/** A stream muxer factory whose muxers' outgoing frames are coalesced per event-loop turn. */
export function coalescingMuxer<C>(inner: (components: C) => StreamMuxerFactory): (components: C) => StreamMuxerFactory {
  return (components) => {
    const factory = inner(components);
    return {
      protocol: factory.protocol,
      createStreamMuxer(init?: StreamMuxerInit): StreamMuxer {
        const muxer = factory.createStreamMuxer(init);
        // The muxer keeps pushing frames into its own source (a pushable: it calls only push and
        // end on it); the reader libp2p's upgrader pipes to the encrypter gets the joined chunks.
        const original = muxer.source as AsyncGenerator<Chunk> & { push(c: Chunk): unknown; end(err?: Error): unknown };
        muxer.source = Object.assign(coalesceChunks(original), {
          push: (c: Chunk) => original.push(c),
          end: (err?: Error) => original.end(err),
        });
        return muxer;
      },
    };
  };
}
