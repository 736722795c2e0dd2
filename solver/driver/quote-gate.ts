// How much of the solver's time quotes may take. A quote is solved synchronously on the solver's
// event loop, the one its auction pipeline runs on; unbounded, quote traffic starves the auctions
// (bench:e2e with a fifth of the intents quoted at 25/s: submission-to-settlement p99 15 s against
// 3.2 s without quotes). The gate admits a quote only while the quotes of the last second used less
// than `shareMs` of it; others are refused at once (503 busy), and the node takes another
// solver's answer or says no quote.
export class QuoteGate {
  private readonly shareMs: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  /** (end time, duration) of the quotes within the window. */
  private readonly spent: { at: number; ms: number }[] = [];

  /** `shareMs` of every `windowMs` (default 1,000) may go to quotes. */
  constructor(shareMs: number, opts: { windowMs?: number; now?: () => number } = {}) {
    this.shareMs = shareMs;
    this.windowMs = opts.windowMs ?? 1000;
    this.now = opts.now ?? (() => performance.now());
  }

  /** Time quotes used within the last window. */
  used(): number {
    const from = this.now() - this.windowMs;
    while (this.spent.length && this.spent[0]!.at < from) this.spent.shift();
    return this.spent.reduce((a, s) => a + s.ms, 0);
  }

  /** Runs `work` if the window has room, recording its duration; `undefined` when refused. */
  async run<T>(work: () => Promise<T>): Promise<T | undefined> {
    if (this.used() >= this.shareMs) return undefined;
    const t0 = this.now();
    try {
      return await work();
    } finally {
      const end = this.now();
      this.spent.push({ at: end, ms: end - t0 });
    }
  }
}
