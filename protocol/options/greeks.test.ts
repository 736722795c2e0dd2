import { describe, expect, it } from 'vitest';
import { blackScholes } from './black-scholes.ts';
import { greeks, positionGreeks } from './greeks.ts';

const WAD = 10n ** 18n;
const YEAR = 365 * 86_400;
const w = (x: number): bigint => BigInt(Math.round(x * 1e9)) * 10n ** 9n;
const f = (x: bigint): number => Number(x) / 1e18;

/** Float64 greeks from the textbook formulas (an independent computation of the same quantities). */
function reference(s: number, k: number, t: number, v: number) {
  const sd = v * Math.sqrt(t / YEAR);
  const d1 = (Math.log(s / k) + (sd * sd) / 2) / sd;
  const phi = Math.exp((-d1 * d1) / 2) / Math.sqrt(2 * Math.PI);
  return { gamma: phi / (s * sd), vega: (s * phi * sd) / v, theta: -(s * phi * v) / (2 * Math.sqrt(t / YEAR)) / 365 };
}

const cases = [
  { s: 3000, k: 3000, t: 30 * 86_400, v: 0.6 },
  { s: 3000, k: 3600, t: 7 * 86_400, v: 0.8 },
  { s: 100_000, k: 80_000, t: 90 * 86_400, v: 0.5 },
  { s: 150, k: 150, t: 86_400, v: 1.2 },
  { s: 1.5, k: 2, t: 365 * 86_400, v: 0.3 },
];

describe('greeks', () => {
  it('match the float64 formulas within 1e-9 relative (gamma, vega, theta) and N(d1) for delta', () => {
    for (const c of cases) {
      const g = greeks(w(c.s), w(c.k), BigInt(c.t), w(c.v));
      const r = reference(c.s, c.k, c.t, c.v);
      expect(Math.abs(f(g.gamma) / r.gamma - 1)).toBeLessThan(1e-9);
      expect(Math.abs(f(g.vega) / r.vega - 1)).toBeLessThan(1e-9);
      expect(Math.abs(f(g.theta) / r.theta - 1)).toBeLessThan(1e-9);
      expect(g.putDelta).toBe(g.callDelta - WAD);
      expect(g.theta < 0n && g.gamma > 0n && g.vega > 0n).toBe(true);
    }
  });

  it('are the derivatives of the fixed-point prices themselves (central differences)', () => {
    for (const c of cases) {
      const [s, k, t, v] = [w(c.s), w(c.k), BigInt(c.t), w(c.v)];
      const g = greeks(s, k, t, v);
      const h = s / 1000n;
      const call = (spot: bigint, secs = t) => f(blackScholes(spot, k, secs, v).call);
      const gammaFd = (call(s + h) - 2 * call(s) + call(s - h)) / f(h) ** 2;
      expect(Math.abs(gammaFd / f(g.gamma) - 1)).toBeLessThan(1e-3);
      const deltaFd = (call(s + h) - call(s - h)) / (2 * f(h));
      expect(Math.abs(deltaFd - f(g.callDelta))).toBeLessThan(1e-4);
      // theta: the price change over one hour of time passing, scaled to a day
      const thetaFd = ((call(s, t - 3600n) - call(s)) * 24) / 1;
      expect(Math.abs(thetaFd / f(g.theta) - 1)).toBeLessThan(0.05);
    }
  });

  it('scale with a signed position size (a short flips every sign)', () => {
    const g = greeks(w(3000), w(3000), 30n * 86_400n, w(0.6));
    const long = positionGreeks(g, true, 2n * WAD);
    const short = positionGreeks(g, false, -WAD);
    expect(long.delta).toBe(2n * g.callDelta);
    expect(long.gamma).toBe(2n * g.gamma);
    expect(short.delta).toBe(-g.putDelta);
    expect(short.vega).toBe(-g.vega);
    expect(short.theta).toBe(-g.theta);
  });

  it('refuse inputs outside the pricing domain with its named errors', () => {
    expect(() => greeks(w(3000), w(30_000), 86_400n, w(0.6))).toThrow('MoneynessOutOfRange');
    expect(() => greeks(w(3000), w(3000), 10n, w(0.6))).toThrow('ExpiryOutOfRange');
  });
});
