// The open pool's backlog against what the network settles: how many live intents wait, how fast
// the network fills them, and so how long a new intent waits for its turn.
//
//   capacity   intents/s the network is known to settle: the peak, over the last `horizonMs`, of
//              the intents the chain watcher marked filled per `windowMs` window (the current
//              window's fills so far count too), or the configured floor (`--settle-capacity`) when
//              that is higher, and alone before any fill. Every window's count is a lower bound of
//              the capacity (the network did settle that many), whether the pool ran dry in it or
//              not: so the larger bound wins, and windows the pool was empty in need no special case
//              (they could only lower an average, never the peak).
//   estimated wait = open / capacity (seconds).
//
// The gate turns that into refusals: the API refuses an intent that would expire before its turn
// (wait plus two auction intervals past its remaining lifetime) or arrives when the pool holds
// `maxOpen` intents; gossip only at `maxOpen` (the wait-vs-lifetime rule would make honest nodes
// diverge on what they hold, and a relay cannot tell the user to come back). All times come from
// an injected clock, so tests drive it without sleeping.

/** GET /v1/backlog. */
export type BacklogResponse = {
  /** Live (open or partially filled) intents in the pool. */
  open: number;
  /** Intents per second the network is estimated to settle. */
  capacityPerSec: number;
  /** The highest per-window fill rate measured within the horizon; null before any (the floor is used). */
  measuredPerSec: number | null;
  /** open / capacityPerSec. */
  estimatedWaitSec: number;
  /** The hard cap on live intents (`--max-open-intents`). */
  maxOpen: number;
};

export type BacklogOptions = {
  /** Capacity floor in intents/s (`--settle-capacity`). */
  floorPerSec: number;
  /** Hard cap on live intents (`--max-open-intents`). */
  maxOpen: number;
  /** Window fills are counted in. Default 10 s. */
  windowMs?: number;
  /** How far back the peak window rate is taken. Default 60 s. */
  horizonMs?: number;
  /** Milliseconds clock (tests move it). */
  now?: () => number;
};

type Window = { start: number; fills: number };

export class BacklogEstimator {
  readonly maxOpen: number;
  private readonly floor: number;
  private readonly windowMs: number;
  private readonly horizonMs: number;
  private readonly now: () => number;
  private readonly open: () => number;
  /** Finished windows within the horizon, oldest first. */
  private readonly done: Window[] = [];
  private cur?: Window;

  /** `open` reads the pool's live count. */
  constructor(open: () => number, o: BacklogOptions) {
    this.open = open;
    this.floor = o.floorPerSec;
    this.maxOpen = o.maxOpen;
    this.windowMs = o.windowMs ?? 10_000;
    this.horizonMs = o.horizonMs ?? 60_000;
    this.now = o.now ?? (() => Date.now());
  }

  /** The chain watcher marked `n` intents filled (IntentPool's fill listener). */
  filled(n = 1): void {
    this.roll(this.now()).fills += n;
  }

  /** The peak measured rate within the horizon (the current window's fills so far count), or null. */
  measuredPerSec(): number | null {
    const now = this.now();
    this.roll(now);
    let peak: number | null = null;
    for (const w of [...this.done, this.cur!]) {
      if (w.fills === 0 || w.start + this.windowMs < now - this.horizonMs) continue;
      const rate = w.fills / (this.windowMs / 1000);
      if (peak === null || rate > peak) peak = rate;
    }
    return peak;
  }

  capacityPerSec(): number {
    return Math.max(this.floor, this.measuredPerSec() ?? 0);
  }

  estimatedWaitSec(): number {
    return this.open() / this.capacityPerSec();
  }

  snapshot(): BacklogResponse {
    const measured = this.measuredPerSec();
    const capacity = Math.max(this.floor, measured ?? 0);
    const open = this.open();
    return { open, capacityPerSec: capacity, measuredPerSec: measured, estimatedWaitSec: open / capacity, maxOpen: this.maxOpen };
  }

  /** The current window at `now`, closing finished ones and forgetting those past the horizon. */
  private roll(now: number): Window {
    const start = Math.floor(now / this.windowMs) * this.windowMs;
    if (!this.cur || this.cur.start !== start) {
      if (this.cur) this.done.push(this.cur);
      this.cur = { start, fills: 0 };
      while (this.done.length > 0 && this.done[0]!.start + this.windowMs < now - this.horizonMs) this.done.shift();
    }
    return this.cur;
  }
}

/** Why an intent is refused for the backlog, and when to come back. */
export type BacklogRefusal = { code: 'backlog' | 'pool_full'; reason: string; retryAfterSec: number };

/**
 * The admission rules over an estimator. `intervalMs` is the auction interval: an intent needs at
 * least two (its auction's close, then the solve and settle) after its turn comes.
 */
export class BacklogGate {
  readonly estimator: BacklogEstimator;
  private readonly intervalSec: number;

  constructor(estimator: BacklogEstimator, o: { auctionIntervalMs: number }) {
    this.estimator = estimator;
    this.intervalSec = o.auctionIntervalMs / 1000;
  }

  /** An intent submitted over the API, valid until `validTo`, at `nowSec` (unix seconds). */
  admitApi(validTo: number, nowSec: number): BacklogRefusal | undefined {
    const full = this.admitGossip();
    if (full) return full;
    const s = this.estimator.snapshot();
    const lifetime = validTo - nowSec;
    const needed = s.estimatedWaitSec + 2 * this.intervalSec;
    if (needed <= lifetime) return undefined;
    return {
      code: 'backlog',
      reason: `estimated wait ${fmt(s.estimatedWaitSec)} s (${s.open} open intents at ${fmt(s.capacityPerSec)}/s) plus two auction intervals (${fmt(2 * this.intervalSec)} s) exceeds the intent's remaining lifetime of ${lifetime} s`,
      retryAfterSec: retryAfter(s.estimatedWaitSec),
    };
  }

  /** An intent arriving by gossip or sync: refused only at the hard cap. */
  admitGossip(): BacklogRefusal | undefined {
    const s = this.estimator.snapshot();
    if (s.open < s.maxOpen) return undefined;
    return {
      code: 'pool_full',
      reason: `the pool holds ${s.open} open intents (limit ${s.maxOpen}); estimated wait ${fmt(s.estimatedWaitSec)} s`,
      // until enough of the excess has settled to make room for one more
      retryAfterSec: retryAfter((s.open - s.maxOpen + 1) / s.capacityPerSec),
    };
  }
}

const fmt = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(1));
const retryAfter = (sec: number): number => Math.max(1, Math.ceil(sec));
