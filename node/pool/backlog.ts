// The open pool's backlog against what the network settles: how many live intents wait, how fast
// the network fills them, and so how long a new intent waits for its turn.
//
//   waiting    live intents that wait for settlement capacity: the pool's live intents less those
//              the latest auction offered that no valid solution could fill (a limit away from
//              the market waits for the price, not for the network; the auction clock counts them,
//              and only when that auction was not saturated: a solver that ran out of time or gas
//              leaves fillable intents out too).
//   capacity   intents/s the network is known to settle: the peak, over the last `horizonMs`, of
//              the intents the chain watcher marked filled per `windowMs` window (the current
//              window's fills so far count too). Every window's count is a lower bound of the
//              capacity (the network did settle that many). While no auction within the horizon
//              was saturated, the configured floor (`--settle-capacity`) stands in when it is
//              higher (the network has not been pushed to its limit, so its fills say only what was
//              offered). Once one was saturated (it offered more than one batch holds), the
//              measured peak is the capacity, even below the floor.
//   estimated wait = waiting / capacity (seconds).
//
// The gate turns that into refusals: the API refuses an intent that would expire before its turn
// (wait plus two auction intervals past its remaining lifetime) or arrives when the pool holds
// `maxOpen` intents; gossip only at `maxOpen` (the wait-vs-lifetime rule would make honest nodes
// diverge on what they hold, and a relay cannot tell the user to come back). All times come from
// an injected clock, so tests drive it without sleeping.

import type { BacklogResponse } from '../../protocol/api.ts';

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

type Window = { start: number; fills: number; saturated: boolean };

/** The capacity assumed when a saturated network measured no fill at all: a wait that refuses. */
const STALLED_PER_SEC = 0.01;

export class BacklogEstimator {
  readonly maxOpen: number;
  private readonly floor: number;
  private readonly windowMs: number;
  private readonly horizonMs: number;
  private readonly now: () => number;
  private readonly open: () => number;
  private unfillable = 0;
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

  /**
   * An auction was ranked: `saturated` when its valid solutions filled intents its winners left
   * out; `unfillable` the live intents it offered that no valid solution filled.
   */
  auctionRanked(o: { saturated: boolean; unfillable: number }): void {
    if (o.saturated) this.roll(this.now()).saturated = true;
    this.unfillable = o.unfillable;
  }

  /** Live intents waiting for settlement capacity. */
  waiting(): number {
    return Math.max(0, this.open() - this.unfillable);
  }

  /** Whether an auction within the horizon was saturated. */
  saturated(): boolean {
    const now = this.now();
    this.roll(now);
    return [...this.done, this.cur!].some((w) => w.saturated && w.start + this.windowMs >= now - this.horizonMs);
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
    return this.capacity(this.measuredPerSec(), this.saturated());
  }

  estimatedWaitSec(): number {
    return this.waiting() / this.capacityPerSec();
  }

  snapshot(): BacklogResponse {
    const measured = this.measuredPerSec();
    const saturated = this.saturated();
    const capacity = this.capacity(measured, saturated);
    const waiting = this.waiting();
    return {
      open: this.open(),
      waiting,
      saturated,
      capacityPerSec: capacity,
      measuredPerSec: measured,
      estimatedWaitSec: waiting / capacity,
      maxOpen: this.maxOpen,
    };
  }

  private capacity(measured: number | null, saturated: boolean): number {
    return saturated ? Math.max(STALLED_PER_SEC, measured ?? 0) : Math.max(this.floor, measured ?? 0);
  }

  /** The current window at `now`, closing finished ones and forgetting those past the horizon. */
  private roll(now: number): Window {
    const start = Math.floor(now / this.windowMs) * this.windowMs;
    if (!this.cur || this.cur.start !== start) {
      if (this.cur) this.done.push(this.cur);
      this.cur = { start, fills: 0, saturated: false };
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
      reason: `estimated wait ${fmt(s.estimatedWaitSec)} s (${s.waiting} intents waiting at ${fmt(s.capacityPerSec)}/s) plus two auction intervals (${fmt(2 * this.intervalSec)} s) exceeds the intent's remaining lifetime of ${lifetime} s`,
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
