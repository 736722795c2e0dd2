// The fair validation queue: a flooding source cannot starve others, and overflow is refused.
import { describe, expect, it } from 'vitest';
import { FairQueue } from './fair-queue.ts';

describe('FairQueue', () => {
  it('serves sources round-robin: a flood of 1000 from one peer delays another peer by a few jobs only', async () => {
    const q = new FairQueue({ maxPerSource: 10_000, maxTotal: 100_000, concurrency: 1 });
    const order: string[] = [];
    const job = (tag: string) => async () => {
      order.push(tag);
    };
    for (let k = 0; k < 1000; k++) q.push('flooder', job('f'));
    for (let k = 0; k < 10; k++) q.push('honest', job('h'));
    while (order.length < 1010) await new Promise((r) => setImmediate(r));
    const lastHonest = order.lastIndexOf('h');
    expect(lastHonest).toBeLessThan(25); // interleaved f,h,f,h…: all ten honest jobs in the first ~20
  });

  it('refuses work beyond the per-source and total bounds instead of buffering it', () => {
    const q = new FairQueue({ maxPerSource: 3, maxTotal: 5, concurrency: 1 });
    const noop = async () => {};
    expect([1, 2, 3, 4].map(() => q.push('a', noop))).toEqual([true, true, true, false]);
    expect([1, 2, 3].map(() => q.push('b', noop))).toEqual([true, true, false]);
    expect(q.depth).toBe(5);
    expect(q.dropped).toBe(2);
    expect(q.drain('a')).toHaveLength(3);
    expect(q.depth).toBe(2);
  });
});
