import { describe, expect, it } from 'vitest';
import { QuoteGate } from './quote-gate.ts';

describe('QuoteGate', () => {
  it('admits quotes while the engine time of the last window is under the share, then refuses until it slides', () => {
    let t = 0;
    const gate = new QuoteGate(100, { now: () => t });
    const engine = (ms: number) => () => {
      t += ms;
      return ms;
    };
    expect(gate.admits()).toBe(true);
    expect(gate.time(engine(60))).toBe(60);
    t += 500; // waiting (a chain read) is not counted
    expect(gate.admits()).toBe(true);
    expect(gate.time(engine(60))).toBe(60);
    expect(gate.used()).toBe(120);
    expect(gate.admits()).toBe(false);
    t = 1061; // the first call (ended at 60) leaves the window; the second (ended at 620) stays
    expect(gate.used()).toBe(60);
    expect(gate.admits()).toBe(true);
    t += 2000;
    expect(gate.used()).toBe(0);
  });

  it('counts an engine call that threw', () => {
    let t = 0;
    const gate = new QuoteGate(50, { now: () => t });
    expect(() =>
      gate.time(() => {
        t += 80;
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(gate.admits()).toBe(false);
  });
});
