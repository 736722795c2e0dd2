// How much of the solver's time quotes may take. A quote's engine call is synchronous on the
// solver's event loop, the one its auction pipeline runs on; unbounded, quote traffic starves the
// auctions (bench:e2e with a fifth of the intents quoted at 25/s: submission-to-settlement p99
// 12-15 s against 3.2 s without quotes). The gate admits a quote only while the engine time quotes
// used in the last second is under `shareMs`; others are refused at once (503 busy), and the node
// takes another solver's answer or says no quote. Only the engine's synchronous time counts
// (time()): a quote waiting on a chain read blocks nothing.
export class QuoteGate {
  private readonly shareMs: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  /** (end time, duration) of the engine calls within the window. */
  private readonly spent: { at: number; ms: number }[] = [];

  /** `shareMs` of every `windowMs` (default 1,000) may go to quotes. */
  constructor(shareMs: number, opts: { windowMs?: number; now?: () => number } = {}) {
    this.shareMs = shareMs;
    this.windowMs = opts.windowMs ?? 1000;
    this.now = opts.now ?? (() => performance.now());
  }

  /** Engine time quotes used within the last window. */
  used(): number {
    const from = this.now() - this.windowMs;
    while (this.spent.length && this.spent[0]!.at < from) this.spent.shift();
    return this.spent.reduce((a, s) => a + s.ms, 0);
  }

  /** Whether a quote may start now. */
  admits(): boolean {
    return this.used() < this.shareMs;
  }

  /** Runs one synchronous engine call and records its duration. */
  time<T>(solve: () => T): T {
    const t0 = this.now();
    try {
      return solve();
    } finally {
      const end = this.now();
      this.spent.push({ at: end, ms: end - t0 });
    }
  }
}
