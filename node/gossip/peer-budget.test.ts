import { describe, expect, it } from 'vitest';
import { PeerBudget } from './peer-budget.ts';

describe('PeerBudget', () => {
  it('admits a burst, then the rate, and charges a point per message over it', () => {
    let t = 0;
    const b = new PeerBudget({ ratePerSec: 10, burst: 5, now: () => t });
    for (let k = 0; k < 5; k++) expect(b.admit('p')).toBe(true);
    expect(b.admit('p')).toBe(false);
    expect(b.score('p')).toBe(-1);
    t += 100; // one token back
    expect(b.admit('p')).toBe(true);
    expect(b.admit('p')).toBe(false);
    expect(b.score('p')).toBeCloseTo(-2, 2); // the first point decayed a little over 100 ms
    expect(b.score('q')).toBe(0);
  });

  it('lets the ignore budget pass free and charges each ignore past it, per window', () => {
    let t = 0;
    const b = new PeerBudget({ ignoreBudget: 3, windowMs: 1000, now: () => t });
    for (let k = 0; k < 3; k++) b.ignored('p');
    expect(b.score('p')).toBe(0);
    b.ignored('p');
    b.ignored('p');
    expect(b.score('p')).toBe(-2);
    t += 1000; // a new window
    b.ignored('p');
    expect(b.score('p')).toBeGreaterThan(-2);
  });

  it('decays penalties with the half-life and forgets the stalest peer past maxPeers', () => {
    let t = 0;
    const b = new PeerBudget({ halfLifeMs: 1000, maxPeers: 2, now: () => t });
    b.charge('p', 100);
    t += 1000;
    expect(b.score('p')).toBeCloseTo(-50, 6);
    t += 10_000;
    expect(b.score('p')).toBeGreaterThan(-0.1);
    b.charge('q', 1);
    b.charge('r', 1); // p is the stalest: forgotten
    expect(b.size).toBe(2);
    expect(b.score('p')).toBe(0);
  });

  it('a sustained flood of ignored messages crosses the graylist threshold (-80) within its budget window', () => {
    let t = 0;
    const b = new PeerBudget({ now: () => t });
    let sent = 0;
    while (b.score('flooder') > -80 && sent < 10_000) {
      if (b.admit('flooder')) b.ignored('flooder');
      sent++;
      t += 1; // 1,000 messages a second
    }
    expect(b.score('flooder')).toBeLessThanOrEqual(-80);
    // An honest relay at 50 messages a second with an expiry race now and then never pays.
    const h = new PeerBudget({ now: () => t });
    for (let k = 0; k < 5000; k++) {
      expect(h.admit('honest')).toBe(true);
      if (k % 100 === 0) h.ignored('honest');
      t += 20;
    }
    expect(h.score('honest')).toBe(0);
  });
});
