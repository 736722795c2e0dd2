// The intent pool: the live intents in memory over their durable records (node/db/intents.ts).
// Every accepted intent is written with a synchronous (fsync'd) batch before `add` resolves, so the
// caller may acknowledge or relay it only once it is on disk. In memory, rebuilt from the records
// on load: the live set, open intents per owner (the quota), and every digest ever stored (so the
// hot path answers "never seen" without a disk read).
import type { Address, Hex } from 'viem';
import type { IntentRepository } from '../db/intents.ts';
import { isFinal, isLive, type ChainMark, type IntentState, type PoolRecord } from './record.ts';

export type AddResult =
  | { status: 'added'; record: PoolRecord }
  | { status: 'duplicate'; record: PoolRecord }
  | { status: 'over_quota'; open: number };

export class IntentPool {
  private readonly repo: IntentRepository;
  private readonly openByOwner = new Map<string, Set<string>>();
  /** Live intents (open or partially filled), digest -> record. */
  private readonly live = new Map<string, PoolRecord>();
  /** Every digest stored (any state), about 100 bytes per intent; `prune` bounds it. */
  private readonly known = new Set<string>();
  /** Digests being written right now: keeps concurrent adds of one intent (API + gossip) from both winning. */
  private readonly inflight = new Map<string, Promise<AddResult>>();
  /** Adds per owner being written right now, so a burst cannot overshoot the quota. */
  private readonly reservedOwners = new Map<string, number>();
  /** Called when a live intent becomes filled (the chain watcher's fills; the backlog measures capacity from them). */
  private readonly fillListeners: ((rec: PoolRecord) => void)[] = [];

  constructor(repo: IntentRepository) {
    this.repo = repo;
  }

  /** Rebuilds the in-memory indexes from the stored records (the database must be open). */
  async load(): Promise<void> {
    for await (const rec of this.repo.all()) {
      this.known.add(rec.digest);
      if (isLive(rec.state)) this.trackLive(rec);
    }
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
    const d = digest.toLowerCase() as Hex;
    const live = this.live.get(d);
    if (live) return live;
    if (!this.known.has(d)) return undefined;
    return this.repo.get(d);
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
    const open = this.openCount(rec.owner) + (this.reservedOwners.get(rec.owner) ?? 0);
    if (open >= maxOpen) return { status: 'over_quota', open };
    const full: PoolRecord = { ...rec, state: 'open', updatedAt: rec.receivedAt };
    this.reservedOwners.set(rec.owner, (this.reservedOwners.get(rec.owner) ?? 0) + 1);
    try {
      await this.repo.insert(full);
    } finally {
      const n = (this.reservedOwners.get(rec.owner) ?? 1) - 1;
      if (n === 0) this.reservedOwners.delete(rec.owner);
      else this.reservedOwners.set(rec.owner, n);
    }
    this.known.add(full.digest);
    this.trackLive(full);
    return { status: 'added', record: full };
  }

  /** Calls `listener` with each intent that goes from live to filled, once it is stored so. */
  onFilled(listener: (rec: PoolRecord) => void): void {
    this.fillListeners.push(listener);
  }

  /** Moves an intent to a new state (durably), with optional chain details. */
  async update(digest: Hex, state: IntentState, extra: ChainMark = {}, now = Date.now()): Promise<PoolRecord | undefined> {
    const d = digest.toLowerCase() as Hex;
    const rec = this.live.get(d) ?? (await this.get(d));
    if (!rec) return undefined;
    const next: PoolRecord = { ...rec, ...extra, state, updatedAt: now };
    await this.restore(next);
    if (state === 'filled' && isLive(rec.state)) for (const l of this.fillListeners) l(next);
    return next;
  }

  /** Writes a record exactly as given (also the chain watcher's reorg rollback). */
  async restore(rec: PoolRecord): Promise<void> {
    await this.repo.save(rec);
    if (isLive(rec.state)) this.trackLive(rec);
    else this.untrackLive(rec);
  }

  /** Marks every live intent whose validTo is before `nowSec` as expired; returns their digests. */
  async expire(nowSec: number): Promise<Hex[]> {
    const due = await this.repo.expiringBefore(nowSec);
    for (const d of due) await this.update(d, 'expired');
    return due;
  }

  /**
   * Deletes records that can never matter again: final (filled / cancelled / expired) and past
   * their validTo by `graceSec`. Safe against replays: a pruned intent re-sent later fails the
   * expiry check before the pool is asked. Bounds the disk and the in-memory digest set.
   */
  async prune(nowSec: number, graceSec = 3600, limit = 10_000): Promise<number> {
    const gone: PoolRecord[] = [];
    for await (const rec of this.repo.all()) {
      if (!isFinal(rec.state) || rec.validTo + graceSec >= nowSec) continue;
      gone.push(rec);
      if (gone.length >= limit) break;
    }
    if (gone.length === 0) return 0;
    await this.repo.remove(gone);
    for (const r of gone) this.known.delete(r.digest);
    return gone.length;
  }

  /** All records of an owner (any state), newest first. */
  async byOwner(owner: Address, limit = 100): Promise<PoolRecord[]> {
    const out: PoolRecord[] = [];
    for (const d of await this.repo.digestsOf(owner.toLowerCase() as Address, 10_000)) {
      const rec = await this.get(d);
      if (rec) out.push(rec);
    }
    out.sort((a, b) => b.receivedAt - a.receivedAt);
    return out.slice(0, limit);
  }

  private trackLive(rec: PoolRecord): void {
    this.live.set(rec.digest, rec);
    let set = this.openByOwner.get(rec.owner);
    if (!set) {
      set = new Set();
      this.openByOwner.set(rec.owner, set);
    }
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
}
