// Durable writes with one fsync per group: writes that arrive while a batch is being flushed wait
// and go out together in the next batch, so durability costs one fsync per batch, not per write.
// A caller's promise resolves only once its operations are on disk; that is what lets the node
// acknowledge or relay an intent only after it is stored.
import type { Level } from 'level';

/** One write of a batch. */
export type Op = { type: 'put'; key: string; value: string } | { type: 'del'; key: string };

/** Batches and writes flushed so far, and flush times (metrics, benches). */
export type CommitStats = { batches: number; writes: number; flushMs: number; maxFlushMs: number };

export class GroupCommit {
  private readonly level: Level<string, string>;
  private pending: { ops: Op[]; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private flushing = false;
  private closed = false;
  readonly stats: CommitStats = { batches: 0, writes: 0, flushMs: 0, maxFlushMs: 0 };

  constructor(level: Level<string, string>) {
    this.level = level;
  }

  /** Queues `ops` as one unit; resolves once the fsync'd batch holding them is on disk. */
  write(ops: Op[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('database is closed'));
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ ops, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  /** Refuses new writes and waits for the batch in flight. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing) await new Promise((r) => setTimeout(r, 1));
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        const group = this.pending;
        this.pending = [];
        try {
          const t = performance.now();
          await this.level.batch(
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
