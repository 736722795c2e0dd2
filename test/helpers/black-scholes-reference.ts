// Shared by test/chain/black-scholes.test.ts and test/bench/options.ts: a seeded PRNG, input
// samplers for the Black-Scholes domain, and an independent float64 reference price built on
// @stdlib's erfc (code we did not write), which the fixed-point prices are measured against.
import erfc from '@stdlib/math-base-special-erfc';

export const WAD = 10n ** 18n;
export const YEAR_SECONDS = 365 * 24 * 3600;

export type BsInput = { spot: bigint; strike: bigint; secondsToExpiry: bigint; volatility: bigint };

/** mulberry32 (devnet/rng.ts): the same sequence on every run for a given seed. */
export { rng } from '../../devnet/rng.ts';

/** A wad from a float, rounded to 1e-12 so the float64 reference sees the same number. */
export function wad(x: number): bigint {
  return BigInt(Math.round(x * 1e6)) * 10n ** 12n;
}

/** The accuracy domain: moneyness 0.5-2, vol 10-200%, expiry 1 hour - 1 year; log-uniform. */
export function sampleAccuracyDomain(next: () => number): BsInput {
  const logUniform = (lo: number, hi: number): number => Math.exp(Math.log(lo) + next() * (Math.log(hi) - Math.log(lo)));
  const spot = logUniform(1, 100_000);
  const moneyness = logUniform(0.5, 2); // spot / strike
  return {
    spot: wad(spot),
    strike: wad(spot / moneyness),
    secondsToExpiry: BigInt(Math.round(logUniform(3600, YEAR_SECONDS))),
    volatility: wad(logUniform(0.1, 2)),
  };
}

/** The contract's whole domain (prices 1e9..1e36 wei, spot/strike 1/4..4, vol 1-500%, 60 s - 2 years). */
export function sampleFullDomain(next: () => number): BsInput {
  const logUniform = (lo: number, hi: number): number => Math.exp(Math.log(lo) + next() * (Math.log(hi) - Math.log(lo)));
  const spotExp = 9 + next() * 26; // 1e9 .. 1e35 wei, leaving room for a strike up to 4x
  const spot = BigInt(Math.floor(10 ** (spotExp - 9) * 1e9 * (1 + next())));
  const ratioPpm = BigInt(Math.round(logUniform(0.25, 4) * 1e6));
  let strike = (spot * 1_000_000n) / ratioPpm;
  if (strike * 4n < spot) strike = spot / 4n + 1n;
  if (strike > spot * 4n) strike = spot * 4n;
  if (strike < 10n ** 9n) strike = 10n ** 9n;
  return {
    spot,
    strike,
    secondsToExpiry: BigInt(Math.round(logUniform(60, 2 * YEAR_SECONDS))),
    volatility: BigInt(Math.round(logUniform(0.01, 5) * 1e6)) * 10n ** 12n,
  };
}

const normalCdf = (x: number): number => 0.5 * erfc(-x / Math.SQRT2);

/** Black-Scholes in float64 (rate zero) on the same inputs, in units of the quote. */
export function referencePrices(input: BsInput): { call: number; put: number; callDelta: number; vega: number } {
  const s = Number(input.spot) / 1e18;
  const k = Number(input.strike) / 1e18;
  const years = Number(input.secondsToExpiry) / YEAR_SECONDS;
  const sd = (Number(input.volatility) / 1e18) * Math.sqrt(years);
  const d1 = (Math.log(s / k) + (sd * sd) / 2) / sd;
  const d2 = d1 - sd;
  return {
    call: s * normalCdf(d1) - k * normalCdf(d2),
    put: k * normalCdf(-d2) - s * normalCdf(-d1),
    callDelta: normalCdf(d1),
    vega: (s * Math.exp((-d1 * d1) / 2) * Math.sqrt(years)) / Math.sqrt(2 * Math.PI),
  };
}
