// The intent records and their two indexes: by owner (every state, for "my intents") and by expiry
// (live intents only, so the expiry sweep reads just the ones that are due). Every write goes
// through the group commit: a record and its index entries land in the same fsync'd batch.
import type { Level } from 'level';
import type { Address, Hex } from 'viem';
import { isLive, type PoolRecord } from '../pool/record.ts';
import type { GroupCommit, Op } from './group-commit.ts';
import { idOf, keys, ranges } from './keys.ts';

export class IntentRepository {
  private readonly level: Level<string, string>;
  private readonly commit: GroupCommit;

  constructor(level: Level<string, string>, commit: GroupCommit) {
    this.level = level;
    this.commit = commit;
  }

  async get(digest: Hex): Promise<PoolRecord | undefined> {
    const v = await this.level.get(keys.intent(digest));
    return v === undefined ? undefined : (JSON.parse(v) as PoolRecord);
  }

  /** Every stored record, in digest order. */
  async *all(): AsyncGenerator<PoolRecord> {
    for await (const value of this.level.values(ranges.intents())) yield JSON.parse(value) as PoolRecord;
  }

  /** Stores a new record with its owner and expiry entries. */
  insert(rec: PoolRecord): Promise<void> {
    return this.commit.write([
      { type: 'put', key: keys.intent(rec.digest), value: JSON.stringify(rec) },
      { type: 'put', key: keys.intentByOwner(rec.owner, rec.digest), value: '' },
      { type: 'put', key: keys.intentByExpiry(rec.validTo, rec.digest), value: '' },
    ]);
  }

  /** Overwrites a record; its expiry entry exists exactly while it is live. */
  save(rec: PoolRecord): Promise<void> {
    const expiry = keys.intentByExpiry(rec.validTo, rec.digest);
    return this.commit.write([
      { type: 'put', key: keys.intent(rec.digest), value: JSON.stringify(rec) },
      isLive(rec.state) ? { type: 'put', key: expiry, value: '' } : { type: 'del', key: expiry },
    ]);
  }

  /** Deletes records and every index entry of theirs, in one batch. */
  remove(recs: PoolRecord[]): Promise<void> {
    const ops: Op[] = recs.flatMap((r): Op[] => [
      { type: 'del', key: keys.intent(r.digest) },
      { type: 'del', key: keys.intentByOwner(r.owner, r.digest) },
      { type: 'del', key: keys.intentByExpiry(r.validTo, r.digest) },
    ]);
    return ops.length === 0 ? Promise.resolve() : this.commit.write(ops);
  }

  /** Digests of live intents whose validTo is before `nowSec`. */
  async expiringBefore(nowSec: number): Promise<Hex[]> {
    const due: Hex[] = [];
    for await (const key of this.level.keys(ranges.expiringBefore(nowSec))) due.push(idOf.indexedDigest(key));
    return due;
  }

  /** Digests of an owner's intents (any state), at most `limit`. */
  async digestsOf(owner: Address, limit: number): Promise<Hex[]> {
    const out: Hex[] = [];
    for await (const key of this.level.keys({ ...ranges.intentsOf(owner), limit })) out.push(idOf.indexedDigest(key));
    return out;
  }
}
