import fc from 'fast-check';
import type { Address, Hex } from 'viem';
import { describe, expect, it } from 'vitest';
import { type Candidate, selectWinners } from './winners.ts';

const hash = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as Hex;
const addr = (n: number) => `0x${n.toString(16).padStart(40, '0')}` as Address;

function cand(n: number, byKey: Record<string, bigint>, o: { intents?: number[]; contracts?: number[] } = {}): Candidate {
  const keys = new Map(Object.entries(byKey));
  let score = 0n;
  for (const v of keys.values()) score += v;
  return {
    hash: hash(n),
    solver: addr(n),
    score,
    // by default each key is traded by intents that only this solution names
    intents: (o.intents ?? Object.keys(byKey).map((_, k) => 1000 * n + k)).map(hash),
    byKey: keys,
    contracts: (o.contracts ?? []).map(addr),
  };
}

describe('selectWinners', () => {
  it('picks disjoint solutions best first, several per auction', () => {
    const a = cand(1, { p1: 50n, p2: 40n });
    const b = cand(2, { p3: 30n });
    const c = cand(3, { p2: 45n }); // overlaps a on p2 and beats it there: a is unfair
    const s = selectWinners([a, b, c]);
    expect(s.unfair).toEqual([{ hash: a.hash, key: 'p2', value: 40n, reference: 45n }]);
    expect(s.winners.map((w) => w.hash)).toEqual([c.hash, b.hash]);
    expect(s.others).toEqual([]);
  });

  it('keeps a combined solution that is at least as good per key as every single-key one', () => {
    const a = cand(1, { p1: 50n, p2: 45n });
    const b = cand(2, { p2: 45n });
    const s = selectWinners([b, a]);
    expect(s.unfair).toEqual([]);
    expect(s.winners.map((w) => w.hash)).toEqual([a.hash]);
    expect(s.others.map((w) => w.hash)).toEqual([b.hash]);
  });

  it('never lets two winners call the same pool or fill the same intent', () => {
    const a = cand(1, { p1: 50n }, { contracts: [7] });
    const b = cand(2, { p2: 40n }, { contracts: [7, 8] });
    const c = cand(3, { p3: 30n }, { intents: [1000] }); // names a's intent under another key: a forged overlap
    const s = selectWinners([a, b, c]);
    expect(s.winners.map((w) => w.hash)).toEqual([a.hash]);
    expect(s.others.map((w) => w.hash)).toEqual([b.hash, c.hash]);
  });

  it('ties go to the lower hash; empty solutions never win; the cap holds', () => {
    const a = cand(2, { p1: 10n });
    const b = cand(1, { p2: 10n });
    const empty = { ...cand(0, {}), intents: [] };
    const s = selectWinners([a, empty, b], 1);
    expect(s.winners.map((w) => w.hash)).toEqual([b.hash]);
    expect(s.others.map((w) => w.hash)).toEqual([a.hash]);
  });

  it('is a function of the set of solutions: every order gives the same winners, pairwise disjoint and fair', () => {
    const keys = ['p1', 'p2', 'p3', 'p4', 'm1'];
    const arb = fc.array(
      fc.record({
        keys: fc.subarray(keys, { minLength: 1 }),
        values: fc.array(fc.bigInt({ min: 0n, max: 100n }), { minLength: 5, maxLength: 5 }),
        contracts: fc.subarray([1, 2, 3]),
      }),
      { minLength: 1, maxLength: 12 },
    );
    fc.assert(
      fc.property(arb, fc.integer({ min: 1, max: 5 }), fc.integer(), (specs, max, seed) => {
        const cands = specs.map((sp, n) =>
          cand(n + 1, Object.fromEntries(sp.keys.map((k, j) => [k, sp.values[j]!])), { contracts: sp.contracts }),
        );
        const s = selectWinners(cands, max);
        const shuffled = [...cands].sort(
          (x, y) => ((Number(BigInt(x.hash) % 97n) * seed) % 13) - ((Number(BigInt(y.hash) % 97n) * seed) % 13),
        );
        expect(selectWinners(shuffled, max).winners.map((w) => w.hash)).toEqual(s.winners.map((w) => w.hash));
        expect(s.winners.length).toBeLessThanOrEqual(max);
        const claimed = new Set<string>();
        for (const w of s.winners) {
          for (const x of [...w.byKey.keys(), ...w.contracts, ...w.intents]) {
            expect(claimed.has(x)).toBe(false);
            claimed.add(x);
          }
        }
        // fairness: no ranked multi-key solution gives a key less than a single-key solution offers
        for (const c of [...s.winners, ...s.others]) {
          if (c.byKey.size < 2) continue;
          for (const single of cands.filter((x) => x.byKey.size === 1 && x.intents.length > 0)) {
            const [k] = single.byKey.keys();
            if (c.byKey.has(k!)) expect(c.byKey.get(k!)!).toBeGreaterThanOrEqual(single.score);
          }
        }
        // the best fair solution always wins
        if (s.winners.length)
          expect(s.winners[0]!.score).toBe([...s.winners, ...s.others].reduce((m, c) => (c.score > m ? c.score : m), 0n));
      }),
      { numRuns: 300 },
    );
  });
});
