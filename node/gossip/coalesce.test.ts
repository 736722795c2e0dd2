import { pushable } from 'it-pushable';
import { describe, expect, it } from 'vitest';
import { coalesceChunks } from './coalesce.ts';

const bytes = (...xs: number[]): Uint8Array => Uint8Array.from(xs);
/** A Uint8ArrayList stand-in: yamux pushes header + data as one list. */
const list = (...xs: number[]) => ({ subarray: () => Uint8Array.from(xs) });
const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('coalesceChunks', () => {
  it('joins the frames pushed within one event-loop turn into one write, in order', async () => {
    const src = pushable<Uint8Array | { subarray(): Uint8Array }>({ objectMode: true });
    const out = coalesceChunks(src);
    src.push(bytes(1, 2));
    src.push(list(3));
    src.push(bytes(4, 5, 6));
    expect([...(await out.next()).value!]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('does not hold a frame past the turn it was pushed in', async () => {
    const src = pushable<Uint8Array>({ objectMode: true });
    const out = coalesceChunks(src);
    src.push(bytes(1));
    const first = await out.next();
    expect([...first.value!]).toEqual([1]);
    // The next turn's frames make the next write: nothing waits for a later frame to arrive.
    const second = out.next();
    await nextTurn();
    src.push(bytes(2));
    src.push(bytes(3));
    expect([...(await second).value!]).toEqual([2, 3]);
    let resolved = false;
    const third = out.next().then((r) => {
      resolved = true;
      return r;
    });
    await nextTurn();
    await nextTurn();
    expect(resolved).toBe(false);
    src.push(bytes(4));
    expect([...(await third).value!]).toEqual([4]);
  });

  it('flushes what it holds and ends when the source ends', async () => {
    const src = pushable<Uint8Array>({ objectMode: true });
    const out = coalesceChunks(src);
    src.push(bytes(7));
    src.push(bytes(8));
    src.end();
    expect([...(await out.next()).value!]).toEqual([7, 8]);
    expect((await out.next()).done).toBe(true);
  });

  it('keeps every byte of many frames across many turns', async () => {
    const src = pushable<Uint8Array>({ objectMode: true });
    const out = coalesceChunks(src);
    const sent: number[] = [];
    const got: number[] = [];
    const reader = (async () => {
      for await (const chunk of out) got.push(...chunk);
    })();
    for (let turn = 0; turn < 50; turn++) {
      for (let k = 0; k < (turn % 5) + 1; k++) {
        const b = (turn * 7 + k) & 0xff;
        sent.push(b);
        src.push(bytes(b));
      }
      await nextTurn();
    }
    src.end();
    await reader;
    expect(got).toEqual(sent);
  });
});
