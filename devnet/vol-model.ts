// The devnet's implied-volatility surfaces: what its vol feeder publishes to the VolatilityFeed for
// each perp market. A smile per tenor, vol(k) = atm(t) * (1 + skew * k + curvature * k^2) in
// log-moneyness k, with the at-the-money level following a random walk pulled back towards the
// market's base (as the price feeder does for spot). Skew is negative (downside strikes richer, as
// in crypto and equity markets) and the term structure slightly inverted, but every node's total
// variance vol^2 * t still rises with t, so the published grid has no calendar arbitrage.
import { WAD, type VolSurface } from '../protocol/options/vol-surface.ts';

const DAY = 86_400n;
/** 1 day, 1 week, 30 days, 90 days, 1 year. */
export const DEVNET_TENORS: readonly bigint[] = [DAY, 7n * DAY, 30n * DAY, 90n * DAY, 365n * DAY];
/** Log-moneyness -0.6 .. 0.6 in steps of 0.15 (strikes from 55% to 182% of the forward). */
export const DEVNET_NODES: readonly bigint[] = Array.from({ length: 9 }, (_, j) => (BigInt(j - 4) * 15n * WAD) / 100n);

/** Each market's base at-the-money vol (a year's), the level the walk is pulled back towards. */
export const DEVNET_BASE_VOL: Readonly<Record<number, number>> = { 1: 0.6, 2: 0.5, 3: 0.9 };

export type SmileParams = { atm: number; skew: number; curvature: number; termSlope: number };

export function smileParams(market: number, atm?: number): SmileParams {
  return { atm: atm ?? DEVNET_BASE_VOL[market] ?? 0.6, skew: -0.25, curvature: 0.9, termSlope: -0.04 };
}

/** The surface for `p` on the devnet grid, vols rounded to 1e-6 (the feed stores WAD). */
export function devnetSurface(p: SmileParams): VolSurface {
  const vols: bigint[] = [];
  for (const [i] of DEVNET_TENORS.entries()) {
    // a gently inverted term structure: each tenor 4% under the one before
    const atm = p.atm * (1 + p.termSlope * i);
    for (const node of DEVNET_NODES) {
      const k = Number(node) / 1e18;
      const v = atm * (1 + p.skew * k + p.curvature * k * k);
      vols.push(BigInt(Math.round(v * 1e6)) * 10n ** 12n);
    }
  }
  return { tenors: DEVNET_TENORS, nodes: DEVNET_NODES, vols };
}

/**
 * One step of the at-the-money walk: a relative move of at most `step` either way plus a pull of a
 * tenth of the distance back to `base`, kept within 10%..300% a year.
 */
export function nextAtm(atm: number, base: number, step: number, random: () => number = Math.random): number {
  const moved = atm * (1 + (random() * 2 - 1) * step) + 0.1 * (base - atm);
  return Math.min(3, Math.max(0.1, moved));
}
