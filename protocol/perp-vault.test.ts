import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { vaultLeverageSizeCap, vaultQuote, vaultWithinLeverage } from './perp-vault.ts';

const WAD = 10n ** 18n;
const E = (x: number): bigint => BigInt(Math.round(x * 1e6)) * 10n ** 12n;

const params = { skewScale: 1000n * WAD, feeFraction: E(0.001), maxPosition: 500n * WAD };

const arbParams = fc.record({
  skewScale: fc.bigInt(1n, 10n ** 24n),
  feeFraction: fc.bigInt(0n, WAD / 100n),
  maxPosition: fc.bigInt(0n, 10n ** 24n),
});
const arbMark = fc.bigInt(1n, 10n ** 24n);
const arbSize = fc.bigInt(-(10n ** 24n), 10n ** 24n);
const arbPos = fc.bigInt(1n, 10n ** 24n);

/** The curve without any rounding, as a fraction num / den. */
function exactQuote(p: typeof params, mark: bigint, v: bigint, d: bigint): { num: bigint; den: bigint } {
  const skewSum = -2n * v - d;
  const fee = d < 0n ? WAD + p.feeFraction : WAD - p.feeFraction;
  // m * (1 + skewSum / (2S)) * fee / WAD = m * (2S + skewSum) * fee / (2S * WAD)
  return { num: mark * (2n * p.skewScale + skewSum) * fee, den: 2n * p.skewScale * WAD };
}

describe('vaultQuote', () => {
  it('matches a hand-computed vector to the wei', () => {
    // v = 0, traders buy 10: skew 0 -> 10, premium = 10e18 * 1e18 / 2000e18 = 0.005e18 exactly
    // ask = 2000e18 * 1.005 = 2010e18, then * 1.001 = 2012.01e18
    expect(vaultQuote(params, 2000n * WAD, 0n, -10n * WAD)).toBe(2012010000000000000000n);
    // traders sell 10: premium -0.005e18; bid = 2000e18 * 0.995 * 0.999 = 1988.01e18
    expect(vaultQuote(params, 2000n * WAD, 0n, 10n * WAD)).toBe(1988010000000000000000n);
    // 1 wei of skew: premium 1e18 / 2000e18 = 0.0005 -> rounds up to 1 for an ask, down to 0 for a bid
    expect(vaultQuote(params, WAD, 0n, -1n)).toBe(((WAD + 1n) * (WAD + E(0.001)) + WAD - 1n) / WAD);
    expect(vaultQuote(params, WAD, 0n, 1n)).toBe(((WAD - 1n) * (WAD - E(0.001))) / WAD);
  });

  it('is undefined where the contract refuses', () => {
    expect(vaultQuote(params, WAD, 0n, 0n)).toBeUndefined();
    expect(vaultQuote(params, WAD, 0n, -501n * WAD)).toBeUndefined();
    expect(vaultQuote(params, WAD, 0n, -500n * WAD)).toBeDefined();
    expect(vaultQuote(params, WAD, 400n * WAD, 101n * WAD)).toBeUndefined();
    // a bid's premium rounds down, so it reaches -100% one wei of skew early
    const tight = { ...params, skewScale: WAD, maxPosition: 10n ** 30n };
    expect(vaultQuote(tight, WAD, 0n, 2n * WAD)).toBeUndefined(); // premium = -1e18
    expect(vaultQuote(tight, WAD, 0n, 2n * WAD - 1n)).toBeUndefined(); // floor(-1e18 + 0.5)
    expect(vaultQuote(tight, WAD, 0n, 2n * WAD - 2n)).toBe(0n); // premium -1e18 + 1: bid floors to 0
    expect(vaultQuote({ ...params, skewScale: 0n }, WAD, 0n, 1n)).toBeUndefined();
  });

  it('rounds toward the vault against the exact rational curve', () => {
    fc.assert(
      fc.property(arbParams, arbMark, arbSize, arbSize, (p, m, v, d) => {
        const q = vaultQuote(p, m, v, d);
        if (q === undefined) return;
        const { num, den } = exactQuote(p, m, v, d);
        // the three roundings together move the price by at most (m / WAD + 1) * (1 + fee) + 1
        const slack = ((m + WAD) * (WAD + p.feeFraction)) / (WAD * WAD) + 2n;
        if (d < 0n) {
          expect(q * den >= num).toBe(true);
          expect((q - slack) * den <= num).toBe(true);
        } else {
          expect(q * den <= num).toBe(true);
          expect((q + slack) * den >= num).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never quotes a bigger trader buy lower, nor a bigger trader sell higher', () => {
    fc.assert(
      fc.property(arbParams, arbMark, arbSize, arbPos, arbPos, (p, m, v, a, b) => {
        const [lo, hi] = a < b ? [a, b] : [b, a];
        const askLo = vaultQuote(p, m, v, -lo);
        const askHi = vaultQuote(p, m, v, -hi);
        if (askLo !== undefined && askHi !== undefined) expect(askHi >= askLo).toBe(true);
        const bidLo = vaultQuote(p, m, v, lo);
        const bidHi = vaultQuote(p, m, v, hi);
        if (bidLo !== undefined && bidHi !== undefined) expect(bidHi <= bidLo).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('asks at least what it bids in the same state, and the fee widens both sides', () => {
    fc.assert(
      fc.property(arbParams, arbMark, arbSize, arbPos, arbPos, (p, m, v, a, b) => {
        const ask = vaultQuote(p, m, v, -a);
        const bid = vaultQuote(p, m, v, b);
        if (ask !== undefined && bid !== undefined) expect(ask >= bid).toBe(true);
        const noFee = { ...p, feeFraction: 0n };
        const midAsk = vaultQuote(noFee, m, v, -a);
        const midBid = vaultQuote(noFee, m, v, b);
        if (ask !== undefined) expect(ask >= midAsk!).toBe(true);
        if (bid !== undefined) expect(bid <= midBid!).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('vault leverage', () => {
  it('caps the sum of notionals at maxLeverage * NAV', () => {
    const nav = 1000n * WAD;
    expect(vaultWithinLeverage(2n * WAD, nav, [{ size: -WAD, mark: 2000n * WAD }])).toBe(true);
    expect(vaultWithinLeverage(2n * WAD, nav, [{ size: -WAD, mark: 2000n * WAD + 1n }])).toBe(false);
    expect(vaultWithinLeverage(2n * WAD, -5n, [{ size: 1n, mark: 1n }])).toBe(false);
  });

  it('gives the largest size the leverage check accepts', () => {
    fc.assert(
      fc.property(fc.bigInt(1n, 10n * WAD), fc.bigInt(0n, 10n ** 24n), fc.bigInt(0n, 10n ** 23n), arbMark, (lev, nav, other, m) => {
        const cap = vaultLeverageSizeCap(lev, nav, other, m);
        const within = (s: bigint) =>
          vaultWithinLeverage(lev, nav, [
            { size: s, mark: m },
            { size: other, mark: WAD },
          ]);
        if (cap > 0n || within(0n)) {
          expect(within(cap)).toBe(true);
          expect(within(cap + 1n)).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });
});
