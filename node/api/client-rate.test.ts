import { describe, expect, it } from 'vitest';
import { ClientRate } from './client-rate.ts';

describe('ClientRate', () => {
  it('admits a burst, then the sustained rate, per client, with the wait until the next token', () => {
    let t = 1_000_000;
    const r = new ClientRate({ perSecond: 2, burst: 3, now: () => t });
    expect([r.take('a'), r.take('a'), r.take('a')]).toEqual([undefined, undefined, undefined]);
    expect(r.take('a')).toBe(1); // empty: half a second to the next token, rounded up to 1 s
    expect(r.take('b')).toBeUndefined(); // another client is not affected
    t += 500; // one token back
    expect(r.take('a')).toBeUndefined();
    expect(r.take('a')).toBe(1);
    t += 10_000; // refills to the burst, not beyond
    expect([r.take('a'), r.take('a'), r.take('a'), r.take('a')]).toEqual([undefined, undefined, undefined, 1]);
  });

  it('remembers at most maxClients, forgetting the least recently seen', () => {
    const t = 0;
    const r = new ClientRate({ perSecond: 1, burst: 1, maxClients: 2, now: () => t });
    expect(r.take('a')).toBeUndefined();
    expect(r.take('b')).toBeUndefined();
    expect(r.take('a')).toBe(1); // a seen again: now most recent
    expect(r.take('c')).toBeUndefined(); // evicts b, not a
    expect(r.clients).toBe(2);
    expect(r.take('a')).toBe(1); // a still limited
    expect(r.take('b')).toBeUndefined(); // b was forgotten: a fresh burst
  });
});
