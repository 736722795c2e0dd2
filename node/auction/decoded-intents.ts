// Decoded signed intents by digest, least recently used first; one per auction clock, shared by
// all its auctions. An auction holds only the ids of its intents; scoring and views decode on
// demand through this cache, so memory stays bounded by `capacity`, not by auctions x pool size.
import type { Hex } from 'viem';
import { fromHex } from '../../protocol/bytes.ts';
import { decodeSignedIntent } from '../../protocol/codec.ts';
import type { SignedIntent } from '../../protocol/intent.ts';
import type { PoolRecord } from '../pool/record.ts';

/** Where a miss reads the intent's record from (the pool). */
export type RecordSource = { get(digest: Hex): Promise<PoolRecord | undefined> };

export class DecodedIntents {
  private readonly m = new Map<Hex, SignedIntent>();
  private readonly capacity: number;
  private readonly source: RecordSource;

  constructor(capacity: number, source: RecordSource) {
    this.capacity = capacity;
    this.source = source;
  }

  get size(): number {
    return this.m.size;
  }

  async get(id: Hex): Promise<SignedIntent | undefined> {
    const hit = this.m.get(id);
    if (hit) {
      this.m.delete(id);
      this.m.set(id, hit);
      return hit;
    }
    const rec = await this.source.get(id);
    return rec ? this.fromRecord(rec) : undefined;
  }

  fromRecord(rec: PoolRecord): SignedIntent | undefined {
    const id = rec.digest;
    const hit = this.m.get(id);
    if (hit) return hit;
    const d = decodeSignedIntent(fromHex(rec.bytes));
    if (!d.ok) return undefined;
    if (this.capacity > 0) {
      this.m.set(id, d.value);
      while (this.m.size > this.capacity) this.m.delete(this.m.keys().next().value!);
    }
    return d.value;
  }
}
