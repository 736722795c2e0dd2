// The backlog estimator and its gate on an injected clock: capacity from the floor until fills are
// measured, the peak per-window rate within the horizon, the estimated wait, and the API's and
// gossip's refusals.
import { describe, expect, it } from 'vitest';
import { BacklogEstimator, BacklogGate } from './backlog.ts';

function setup(o: { floor?: number; maxOpen?: number; open?: number } = {}) {
  const clock = { ms: 1_000_000_000 }; // a window boundary (10 s windows)
  const pool = { open: o.open ?? 0 };
  const est = new BacklogEstimator(() => pool.open, { floorPerSec: o.floor ?? 2, maxOpen: o.maxOpen ?? 1000, now: () => clock.ms });
  const gate = new BacklogGate(est, { auctionIntervalMs: 5000 });
  const at = (sec: number): void => {
    clock.ms = 1_000_000_000 + sec * 1000;
  };
  return { clock, pool, est, gate, at };
}

describe('BacklogEstimator', () => {
  it('uses the floor before any fill: wait = open / floor', () => {
    const { est, pool } = setup({ floor: 2, open: 100 });
    expect(est.measuredPerSec()).toBeNull();
    expect(est.capacityPerSec()).toBe(2);
    expect(est.estimatedWaitSec()).toBe(50);
    pool.open = 0;
    expect(est.snapshot()).toEqual({
      open: 0,
      waiting: 0,
      saturated: false,
      capacityPerSec: 2,
      measuredPerSec: null,
      estimatedWaitSec: 0,
      maxOpen: 1000,
    });
  });

  it('measures the peak fills per 10 s window over the last minute, and forgets it after', () => {
    const { est, at } = setup({ floor: 2, open: 500 });
    at(1);
    est.filled(30); // 3/s, but above the floor only once the window counts
    expect(est.measuredPerSec()).toBe(3);
    at(12);
    est.filled(80); // 8/s in the second window
    at(25);
    est.filled(40);
    expect(est.measuredPerSec()).toBe(8);
    expect(est.capacityPerSec()).toBe(8);
    expect(est.estimatedWaitSec()).toBe(500 / 8);
    // the 8/s window [10 s, 20 s) ends 60 s before 80 s: still counted at 79 s, gone at 81 s
    at(79);
    expect(est.measuredPerSec()).toBe(8);
    at(81);
    expect(est.measuredPerSec()).toBe(4);
    at(200);
    expect(est.measuredPerSec()).toBeNull();
    expect(est.capacityPerSec()).toBe(2);
  });

  it('never estimates below the floor: a slow measurement only says the network did at least that much', () => {
    const { est, at } = setup({ floor: 5, open: 10 });
    at(3);
    est.filled(10);
    expect(est.measuredPerSec()).toBe(1);
    expect(est.capacityPerSec()).toBe(5);
  });

  it('counts a window the pool ran dry in: its fills are still a lower bound of the capacity', () => {
    const { est, pool, at } = setup({ floor: 1, open: 20 });
    at(2);
    est.filled(20);
    pool.open = 0;
    expect(est.measuredPerSec()).toBe(2);
    expect(est.estimatedWaitSec()).toBe(0);
  });
});

describe('BacklogEstimator: saturation and unfillable intents', () => {
  it('takes the measured peak, below the floor, once an auction was saturated; the floor again after the horizon', () => {
    const { est, pool, at, gate } = setup({ floor: 50, open: 400 });
    at(5);
    est.filled(100); // 10/s measured, the floor (50/s) still stands
    expect(est.capacityPerSec()).toBe(50);
    expect(gate.admitApi(1_000_000 + 60, 1_000_000)).toBeUndefined(); // 400 / 50 = 8 s
    est.auctionRanked({ saturated: true, unfillable: 0 });
    expect(est.saturated()).toBe(true);
    expect(est.capacityPerSec()).toBe(10);
    expect(est.estimatedWaitSec()).toBe(40);
    expect(gate.admitApi(1_000_000 + 40, 1_000_000)?.code).toBe('backlog'); // 40 s + 10 s > 40 s
    // a saturated network that settled nothing: every API intent waits out its lifetime
    at(200);
    est.auctionRanked({ saturated: true, unfillable: 0 });
    expect(est.measuredPerSec()).toBeNull();
    expect(est.capacityPerSec()).toBeLessThan(1);
    expect(gate.admitApi(1_000_000 + 3600, 1_000_000)?.code).toBe('backlog');
    // a minute with no saturated auction: the floor is back
    at(300);
    expect(est.saturated()).toBe(false);
    expect(est.capacityPerSec()).toBe(50);
    pool.open = 0;
  });

  it('does not count intents no solution could fill as waiting for capacity', () => {
    const { est, pool, at, gate } = setup({ floor: 1, open: 100 });
    at(1);
    expect(est.estimatedWaitSec()).toBe(100);
    est.auctionRanked({ saturated: false, unfillable: 90 }); // limits away from the market
    expect(est.waiting()).toBe(10);
    expect(est.estimatedWaitSec()).toBe(10);
    expect(gate.admitApi(1_000_000 + 30, 1_000_000)).toBeUndefined();
    expect(est.snapshot()).toMatchObject({ open: 100, waiting: 10, saturated: false });
    pool.open = 50; // some expired before the next auction counts again
    expect(est.waiting()).toBe(0);
  });
});

describe('BacklogGate', () => {
  it('refuses an API intent whose remaining lifetime is below the wait plus two auction intervals', () => {
    const { gate, pool } = setup({ floor: 2, open: 100 }); // wait 50 s, plus 10 s
    const now = 1_000_000;
    expect(gate.admitApi(now + 60, now)).toBeUndefined();
    const r = gate.admitApi(now + 59, now);
    expect(r).toMatchObject({ code: 'backlog', retryAfterSec: 50 });
    expect(r?.reason).toContain('estimated wait 50 s');
    expect(r?.reason).toContain('remaining lifetime of 59 s');
    // Retry-After rounds the wait up, and is at least one second
    pool.open = 101;
    expect(gate.admitApi(now + 20, now)?.retryAfterSec).toBe(51);
    pool.open = 0;
    expect(gate.admitApi(now + 5, now)?.retryAfterSec).toBe(1);
    // gossip is not held to lifetimes
    pool.open = 101;
    expect(gate.admitGossip()).toBeUndefined();
  });

  it('refuses everything at the hard cap, gossip included, until the pool is below it', () => {
    const { gate, pool } = setup({ floor: 2, maxOpen: 100, open: 100 });
    const now = 1_000_000;
    expect(gate.admitGossip()).toMatchObject({ code: 'pool_full', retryAfterSec: 1 });
    expect(gate.admitApi(now + 1_000_000, now)?.code).toBe('pool_full');
    pool.open = 110; // 11 over: 5.5 s at 2/s
    expect(gate.admitGossip()?.retryAfterSec).toBe(6);
    pool.open = 99;
    expect(gate.admitGossip()).toBeUndefined();
    expect(gate.admitApi(now + 1_000_000, now)).toBeUndefined();
  });
});
