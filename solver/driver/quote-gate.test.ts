import { describe, expect, it } from 'vitest';
import { QuoteGate } from './quote-gate.ts';

describe('QuoteGate', () => {
  it('admits quotes while the last window used less than the share, then refuses until it slides', async () => {
    let t = 0;
    const gate = new QuoteGate(100, { now: () => t });
    const work = (ms: number) => async () => {
      t += ms;
      return ms;
    };
    expect(await gate.run(work(60))).toBe(60);
    expect(await gate.run(work(60))).toBe(60); // 60 < 100 admitted; now 120 used
    expect(await gate.run(work(10))).toBeUndefined();
    expect(gate.used()).toBe(120);
    t += 1000 - 60 + 1; // the first quote (ended at 60) leaves the window
    expect(gate.used()).toBe(60);
    expect(await gate.run(work(10))).toBe(10);
    t += 2000;
    expect(gate.used()).toBe(0);
  });

  it('counts a quote that threw', async () => {
    let t = 0;
    const gate = new QuoteGate(50, { now: () => t });
    await expect(
      gate.run(async () => {
        t += 80;
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await gate.run(async () => 1)).toBeUndefined();
  });
});
