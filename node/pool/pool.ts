// The intent pool on level. Every accepted intent is written with a synchronous (fsync'd) batch
// before the caller may acknowledge or relay it. Concurrent writers share one fsync: writes that
// arrive while a batch is being flushed are grouped into the next batch (group commit), so
// durability costs one fsync per batch, not per intent.
//
// Keys (utf8):
//   i:<digest>                   -> JSON PoolRecord (the intent's bytes and state)
//   o:<owner>:<digest>           -> '' (owner index, every state)
//   x:<validTo, 10 digits>:<digest> -> '' (expiry index, open intents only)
// In memory, rebuilt from the records on open: open intents per owner (quota) and the open set.
import { Level } from 'level';
import type { Address, Hex } from 'viem';

export type IntentState = 'open' | 'partially_filled' | 'filled' | 'cancelled' | 'expired';

/** Settled or dead: such an intent is never re-admitted (replay). */
export const isFinal = (s: IntentState): boolean => s === 'filled' || s === 'cancelled' || s === 'expired';
/** Can still be (further) filled. */
export const isLive = (s: IntentState): boolean => s === 'open' || s === 'partially_filled';

export type PoolRecord = {
  digest: Hex;
  owner: Address;
  type: 'swap' | 'position';
  validTo: number;
  state: IntentState;
  /** The canonical encoding (protocol/codec.ts) of the signed intent. */
  bytes: Hex;
  source: 'api' | 'gossip';
  receivedAt: number;
  updatedAt: number;
  needsChainCheck: boolean;
  /** Filled amount so far (decimal string, in the intent's fill unit) when the chain watcher knows it. */
  filled?: string;
  /** Settlement transaction and block of the last fill / cancel seen on chain. */
  txHash?: Hex;
  blockNumber?: number;
  blockHash?: Hex;
};

export type AddResult =
  | { status: 'added'; record: PoolRecord }
  | { status: 'duplicate'; record: PoolRecord }
  | { status: 'over_quota'; open: number };

type Op = { type: 'put'; key: string; value: string } | { type: 'del'; key: string };

const pad10 = (n: number): string => n.toString().padStart(10, '0');
const recordKey = (digest: string): string => `i:${digest}`;
const ownerKey = (owner: string, digest: string): string => `o:${owner}:${digest}`;
const expiryKey = (validTo: number, digest: string): string => `x:${pad10(validTo)}:${digest}`;

export class IntentPool {
  readonly db: Level<string, string>;
  private readonly openByOwner = new Map<string, Set<string>>();
  /** Live intents (open or partially filled), digest -> record. */
  private readonly live = new Map<string, PoolRecord>();
  /**
   * Every digest stored (any state), so the hot path answers "never seen" without a disk read.
   * About 100 bytes per intent; a pruner for old final records would bound it (not written yet).
   */
  private readonly known = new Set<string>();
  /** Digests being written right now: keeps concurrent adds of one intent (API + gossip) from both winning. */
  private readonly inflight = new Map<string, Promise<AddResult>>();
  private pending: { ops: Op[]; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private flushing = false;
  private closed = false;
  /** Number of fsync'd batches and records written (metrics, benches). */
  stats = { batches: 0, writes: 0, flushMs: 0, maxFlushMs: 0 };

  constructor(path: string) {
    this.db = new Level<string, string>(path, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  }

  async open(): Promise<void> {
    await this.db.open();
    for await (const [key, value] of this.db.iterator({ gte: 'i:', lt: 'i;' })) {
      this.known.add(key.slice(2));
      const rec = JSON.parse(value) as PoolRecord;
      if (isLive(rec.state)) this.trackLive(rec);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing) await new Promise((r) => setTimeout(r, 1));
    await this.db.close();
  }

  get size(): number {
    return this.live.size;
  }

  openCount(owner: Address): number {
    return this.openByOwner.get(owner.toLowerCase())?.size ?? 0;
  }

  /** Live intents, in no particular order (auction snapshots sort them). */
  liveRecords(): PoolRecord[] {
    return [...this.live.values()];
  }

  liveByOwner(owner: Address): PoolRecord[] {
    const set = this.openByOwner.get(owner.toLowerCase());
    if (!set) return [];
    return [...set].map((d) => this.live.get(d)).filter((r): r is PoolRecord => r !== undefined);
  }

  async get(digest: Hex): Promise<PoolRecord | undefined> {
    const d = digest.toLowerCase();
    const live = this.live.get(d);
    if (live) return live;
    if (!this.known.has(d)) return undefined;
    const v = await this.db.get(recordKey(d));
    return v === undefined ? undefined : (JSON.parse(v) as PoolRecord);
  }

  /** Whether a digest is already known (any state) without touching disk for live ones. */
  has(digest: Hex): boolean {
    const d = digest.toLowerCase();
    return this.known.has(d) || this.inflight.has(d);
  }

  /**
   * Adds a verified intent, durably. Resolves only after the fsync'd batch holding it is on disk.
   * A known digest (any state) returns `duplicate`; an owner at `maxOpen` returns `over_quota`.
   */
  add(rec: Omit<PoolRecord, 'state' | 'updatedAt'>, maxOpen: number): Promise<AddResult> {
    const digest = rec.digest.toLowerCase() as Hex;
    const running = this.inflight.get(digest);
    if (running) return running.then((r) => (r.status === 'added' ? { status: 'duplicate', record: r.record } : r));
    const p = this.addInner({ ...rec, digest, owner: rec.owner.toLowerCase() as Address }, maxOpen);
    this.inflight.set(digest, p);
    const clear = (): void => {
      this.inflight.delete(digest);
    };
    p.then(clear, clear);
    return p;
  }

  private async addInner(rec: Omit<PoolRecord, 'state' | 'updatedAt'>, maxOpen: number): Promise<AddResult> {
    const live = this.live.get(rec.digest);
    if (live) return { status: 'duplicate', record: live };
    const existing = this.known.has(rec.digest) ? await this.get(rec.digest) : undefined;
    if (existing) return { status: 'duplicate', record: existing };
    // Count in-flight adds of this owner too, so a burst cannot overshoot the quota.
    const open = this.openCount(rec.owner) + this.inflightFor(rec.owner);
    if (open >= maxOpen) return { status: 'over_quota', open };
    const full: PoolRecord = { ...rec, state: 'open', updatedAt: rec.receivedAt };
    this.reservedOwners.set(rec.owner, (this.reservedOwners.get(rec.owner) ?? 0) + 1);
    try {
      await this.write([
        { type: 'put', key: recordKey(full.digest), value: JSON.stringify(full) },
        { type: 'put', key: ownerKey(full.owner, full.digest), value: '' },
        { type: 'put', key: expiryKey(full.validTo, full.digest), value: '' },
      ]);
    } finally {
      const n = (this.reservedOwners.get(rec.owner) ?? 1) - 1;
      if (n === 0) this.reservedOwners.delete(rec.owner);
      else this.reservedOwners.set(rec.owner, n);
    }
    this.known.add(full.digest);
    this.trackLive(full);
    return { status: 'added', record: full };
  }

  private readonly reservedOwners = new Map<string, number>();
  private inflightFor(owner: string): number {
    return this.reservedOwners.get(owner) ?? 0;
  }

  /** Moves an intent to a new state (durably), with optional chain details. */
  async update(digest: Hex, state: IntentState, extra: Partial<Pick<PoolRecord, 'filled' | 'txHash' | 'blockNumber' | 'blockHash'>> = {}, now = Date.now()): Promise<PoolRecord | undefined> {
    const d = digest.toLowerCase() as Hex;
    const rec = this.live.get(d) ?? (await this.get(d));
    if (!rec) return undefined;
    const next: PoolRecord = { ...rec, ...extra, state, updatedAt: now };
    const ops: Op[] = [{ type: 'put', key: recordKey(d), value: JSON.stringify(next) }];
    if (isLive(state)) ops.push({ type: 'put', key: expiryKey(rec.validTo, d), value: '' });
    else ops.push({ type: 'del', key: expiryKey(rec.validTo, d) });
    await this.write(ops);
    if (isLive(state)) this.trackLive(next);
    else this.untrackLive(next);
    return next;
  }

  /** Writes a record back exactly as it was (chain watcher reorg rollback). */
  async restore(rec: PoolRecord): Promise<void> {
    const ops: Op[] = [{ type: 'put', key: recordKey(rec.digest), value: JSON.stringify(rec) }];
    if (isLive(rec.state)) ops.push({ type: 'put', key: expiryKey(rec.validTo, rec.digest), value: '' });
    else ops.push({ type: 'del', key: expiryKey(rec.validTo, rec.digest) });
    await this.write(ops);
    if (isLive(rec.state)) this.trackLive(rec);
    else this.untrackLive(rec);
  }

  /** Marks every live intent whose validTo is before `nowSec` as expired; returns their digests. */
  async expire(nowSec: number): Promise<Hex[]> {
    const due: Hex[] = [];
    for await (const key of this.db.keys({ gte: 'x:', lt: `x:${pad10(nowSec)}` })) {
      due.push(key.slice(2 + 10 + 1) as Hex);
    }
    for (const d of due) await this.update(d, 'expired');
    return due;
  }

  /**
   * Deletes records that can never matter again: final (filled / cancelled / expired) and past
   * their validTo by `graceSec`. Safe against replays: a pruned intent re-sent later fails the
   * expiry check before the pool is asked. Bounds the disk and the in-memory digest set.
   */
  async prune(nowSec: number, graceSec = 3600, limit = 10_000): Promise<number> {
    const ops: Op[] = [];
    const gone: string[] = [];
    for await (const [key, value] of this.db.iterator({ gte: 'i:', lt: 'i;' })) {
      const rec = JSON.parse(value) as PoolRecord;
      if (!isFinal(rec.state) || rec.validTo + graceSec >= nowSec) continue;
      ops.push({ type: 'del', key }, { type: 'del', key: ownerKey(rec.owner, rec.digest) }, { type: 'del', key: expiryKey(rec.validTo, rec.digest) });
      gone.push(rec.digest);
      if (gone.length >= limit) break;
    }
    if (ops.length === 0) return 0;
    await this.write(ops);
    for (const d of gone) this.known.delete(d);
    return gone.length;
  }

  /** All records of an owner (any state), newest first. */
  async byOwner(owner: Address, limit = 100): Promise<PoolRecord[]> {
    const o = owner.toLowerCase();
    const out: PoolRecord[] = [];
    for await (const key of this.db.keys({ gte: `o:${o}:`, lt: `o:${o};`, limit: 10_000 })) {
      const rec = await this.get(key.slice(2 + o.length + 1) as Hex);
      if (rec) out.push(rec);
    }
    out.sort((a, b) => b.receivedAt - a.receivedAt);
    return out.slice(0, limit);
  }

  private trackLive(rec: PoolRecord): void {
    this.live.set(rec.digest, rec);
    let set = this.openByOwner.get(rec.owner);
    if (!set) this.openByOwner.set(rec.owner, (set = new Set()));
    set.add(rec.digest);
  }

  private untrackLive(rec: PoolRecord): void {
    this.live.delete(rec.digest);
    const set = this.openByOwner.get(rec.owner);
    if (set) {
      set.delete(rec.digest);
      if (set.size === 0) this.openByOwner.delete(rec.owner);
    }
  }

  /** Group commit: queue ops, one fsync'd batch per flush. */
  private write(ops: Op[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('pool is closed'));
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ ops, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        const group = this.pending;
        this.pending = [];
        try {
          const t = performance.now();
          await this.db.batch(
            group.flatMap((g) => g.ops),
            { sync: true },
          );
          const ms = performance.now() - t;
          this.stats.flushMs += ms;
          if (ms > this.stats.maxFlushMs) this.stats.maxFlushMs = ms;
          this.stats.batches++;
          this.stats.writes += group.length;
          for (const g of group) g.resolve();
        } catch (err) {
          for (const g of group) g.reject(err);
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
