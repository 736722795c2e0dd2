import { describe, expect, it } from 'vitest';
import { QuoteGate } from './quote-gate.ts';

describe('QuoteGate', () => {
  const engine = (clock: { t: number }, ms: number) => () => {
    clock.t += ms;
    return ms;
  };

  it('lets a burst through on an idle solver, then holds sustained quoting to the share', () => {
    const clock = { t: 0 };
    const gate = new QuoteGate(100, { burstMs: 500, now: () => clock.t });
    // three slow quotes in a row (a loaded machine): the saved-up 500 ms covers them
    for (let k = 0; k < 3; k++) {
      expect(gate.admits()).toBe(true);
      gate.time(engine(clock, 150));
    }
    // 500 + 45 refilled - 450 used: ~95 ms left, one more passes and empties the bucket
    expect(gate.admits()).toBe(true);
    gate.time(engine(clock, 150));
    expect(gate.admits()).toBe(false);
    // refills at 100 ms per second: quoting continues at about a tenth of the time
    clock.t += 1000;
    expect(gate.available()).toBeGreaterThan(0);
    expect(gate.available()).toBeLessThan(100);
    clock.t += 100_000;
    expect(gate.available()).toBe(500);
  });

  it('waiting (a chain read) costs nothing; a call that threw still counts', () => {
    const clock = { t: 0 };
    const gate = new QuoteGate(50, { burstMs: 50, now: () => clock.t });
    clock.t += 10; // a read between admits() and the engine call
    expect(gate.available()).toBe(50);
    expect(() =>
      gate.time(() => {
        clock.t += 80;
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(gate.admits()).toBe(false);
  });
});
