// A bounded, fair work queue for validation. Each source (a peer id, or 'api') has its own FIFO
// with a depth cap; sources are served round-robin, so a peer flooding thousands of messages
// gets one turn per round like everyone else, and its overflow is refused at once (the caller
// reports it to gossipsub as IGNORE) instead of buffered. Total memory is bounded by
// `maxTotal` jobs. At most `concurrency` jobs run at a time; the loop yields to the event loop
// between turns so sockets keep being read while a backlog drains.

export type Job = () => Promise<void>;

export type QueueOptions = { maxPerSource: number; maxTotal: number; concurrency: number };

export class FairQueue {
  private readonly queues = new Map<string, Job[]>();
  /** Round-robin order of sources with queued work. */
  private ring: string[] = [];
  private ringPos = 0;
  private total = 0;
  private running = 0;
  private scheduled = false;
  dropped = 0;

  private readonly opts: QueueOptions;

  constructor(opts: QueueOptions) {
    this.opts = opts;
  }

  get depth(): number {
    return this.total;
  }

  get active(): number {
    return this.running;
  }

  /** Queues a job; false when the source's queue or the whole queue is full (job not queued). */
  push(source: string, job: Job): boolean {
    if (this.total >= this.opts.maxTotal) {
      this.dropped++;
      return false;
    }
    let q = this.queues.get(source);
    if (!q) {
      q = [];
      this.queues.set(source, q);
      this.ring.push(source);
    }
    if (q.length >= this.opts.maxPerSource) {
      this.dropped++;
      return false;
    }
    q.push(job);
    this.total++;
    this.schedule();
    return true;
  }

  /** Forgets a source's queued jobs (a banned peer); returns them so the caller can settle each. */
  drain(source: string): Job[] {
    const q = this.queues.get(source);
    if (!q) return [];
    this.queues.delete(source);
    this.ring = this.ring.filter((s) => s !== source);
    this.total -= q.length;
    return q;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private next(): Job | undefined {
    while (this.ring.length > 0) {
      if (this.ringPos >= this.ring.length) this.ringPos = 0;
      const source = this.ring[this.ringPos]!;
      const q = this.queues.get(source);
      const job = q?.shift();
      if (!q || q.length === 0) {
        this.queues.delete(source);
        this.ring.splice(this.ringPos, 1);
      } else {
        this.ringPos++;
      }
      if (job) {
        this.total--;
        return job;
      }
    }
    return undefined;
  }

  private pump(): void {
    // Start at most `concurrency` jobs per turn of the event loop.
    let started = 0;
    while (this.running < this.opts.concurrency && started < this.opts.concurrency) {
      const job = this.next();
      if (!job) break;
      this.running++;
      started++;
      job()
        .catch(() => undefined)
        .finally(() => {
          this.running--;
          if (this.total > 0) this.schedule();
        });
    }
    if (this.total > 0 && this.running < this.opts.concurrency) this.schedule();
  }
}
