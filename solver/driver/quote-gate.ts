// How much of the solver's time quotes may take. A quote's engine call is synchronous on the
// solver's event loop, the one its auction pipeline runs on; unbounded, quote traffic starves the
// auctions (bench:e2e with a fifth of the intents quoted at 25/s: submission-to-settlement p99
// 12-15 s against 3.2 s without quotes). The gate is a token bucket of engine time: it refills at
// `shareMs` per second and holds at most `burstMs`, a quote starts only while the bucket is not
// empty, and its engine time is taken out when it ends. Sustained quoting is so held to the share
// (10% by default), while a few quotes in a row still pass on an idle solver however slow the
// machine makes each one. Refused quotes are answered at once (503 busy): the node takes another
// solver's answer or says no quote. Only the engine's synchronous time counts (time()): a quote
// waiting on a chain read blocks nothing.
export class QuoteGate {
  private readonly shareMs: number;
  private readonly burstMs: number;
  private readonly now: () => number;
  private tokens: number;
  private at: number;

  /** `shareMs` of engine time per second, up to `burstMs` (default 5x the share) saved up. */
  constructor(shareMs: number, opts: { burstMs?: number; now?: () => number } = {}) {
    this.shareMs = shareMs;
    this.burstMs = opts.burstMs ?? 5 * shareMs;
    this.now = opts.now ?? (() => performance.now());
    this.tokens = this.burstMs;
    this.at = this.now();
  }

  /** Engine time (ms) quotes may still take now. */
  available(): number {
    const t = this.now();
    this.tokens = Math.min(this.burstMs, this.tokens + ((t - this.at) * this.shareMs) / 1000);
    this.at = t;
    return this.tokens;
  }

  /** Whether a quote may start now. */
  admits(): boolean {
    return this.available() > 0;
  }

  /** Runs one synchronous engine call and takes its duration out of the bucket. */
  time<T>(solve: () => T): T {
    const t0 = this.now();
    try {
      return solve();
    } finally {
      this.available();
      this.tokens -= this.now() - t0;
    }
  }
}
