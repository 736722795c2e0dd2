// Black-Scholes prices and greeks in wad (1e18) bigint fixed point: the same arithmetic as
// contracts/src/options/BlackScholes.sol, operation for operation with the same truncating
// divisions, so an off-chain quote equals the on-chain one to the wei. The rate is zero (options
// are cash-settled in a stablecoin that earns nothing). Read the Solidity library for the domain,
// accuracy and rounding notes; this file only mirrors it. bigint `/` truncates toward zero like
// the EVM's sdiv/div, which is what makes the mirror exact.
import { isqrt } from '../isqrt.ts';
import { CDF_DEGREE, CDF_SEGMENTS } from './normal-cdf-table.ts';

const WAD = 10n ** 18n;
const YEAR = 365n * 24n * 3600n;

export const BS_MIN_PRICE = 10n ** 9n;
export const BS_MAX_PRICE = 10n ** 36n;
export const BS_MIN_VOL = WAD / 100n;
export const BS_MAX_VOL = 5n * WAD;
export const BS_MIN_EXPIRY = 60n;
export const BS_MAX_EXPIRY = 2n * YEAR;

const LN2 = 693147180559945309n;
const SQRT2 = 1414213562373095049n;
const SQRT1_2 = 707106781186547524n;
const INV_SQRT_2PI = 398942280401432678n;
const CDF_CUTOFF = 8n * WAD;
const SEGMENT = WAD / 2n;

export type BlackScholesResult = {
  call: bigint;
  put: bigint;
  /** N(d1) in [0, 1e18]; the put's delta is callDelta - 1e18. */
  callDelta: bigint;
  /** dPrice/dVolatility, price units per 1.0 (100%) of volatility. */
  vega: bigint;
};

/** Why an input is outside the domain; the names are the contract's custom errors. */
export type BlackScholesDomainError = 'PriceOutOfRange' | 'MoneynessOutOfRange' | 'VolatilityOutOfRange' | 'ExpiryOutOfRange';

export class BlackScholesDomain extends Error {
  readonly reason: BlackScholesDomainError;
  constructor(reason: BlackScholesDomainError) {
    super(`Black-Scholes input outside the domain: ${reason}`);
    this.reason = reason;
  }
}

export function blackScholes(spot: bigint, strike: bigint, secondsToExpiry: bigint, volatility: bigint): BlackScholesResult {
  const { d1, d2 } = d(spot, strike, secondsToExpiry, volatility);
  const nd1 = cdf(d1);
  const nd2 = cdf(d2);
  const { call, put } = prices(spot, strike, nd1, nd2);
  return { call, put, callDelta: nd1, vega: (((spot * pdf(d1)) / WAD) * (d1 - d2)) / volatility };
}

/** d1 and d2 (wad) as BlackScholes._d computes them; throws BlackScholesDomain outside the domain. */
export function d(spot: bigint, strike: bigint, secondsToExpiry: bigint, volatility: bigint): { d1: bigint; d2: bigint } {
  if (spot < BS_MIN_PRICE || spot > BS_MAX_PRICE || strike < BS_MIN_PRICE || strike > BS_MAX_PRICE) {
    throw new BlackScholesDomain('PriceOutOfRange');
  }
  if (spot > 4n * strike || 4n * spot < strike) throw new BlackScholesDomain('MoneynessOutOfRange');
  if (volatility < BS_MIN_VOL || volatility > BS_MAX_VOL) throw new BlackScholesDomain('VolatilityOutOfRange');
  if (secondsToExpiry < BS_MIN_EXPIRY || secondsToExpiry > BS_MAX_EXPIRY) throw new BlackScholesDomain('ExpiryOutOfRange');

  const lnRatio = ln((spot * WAD) / strike);
  const variance36 = (volatility * volatility * secondsToExpiry) / YEAR;
  const sd = isqrt(variance36);
  const halfVariance = variance36 / (2n * WAD);
  const d1 = ((lnRatio + halfVariance) * WAD) / sd;
  return { d1, d2: d1 - sd };
}

/**
 * Call and put at `spot` from a given lnRatio = ln(spot / strike) (wad): BlackScholes._d's steps
 * after its ln, then its prices, with no domain check (PortfolioMargin's scenario pricing, which
 * passes ln(spot0 / strike) + ln(1 + shock) for a shocked spot).
 */
export function pricesFromLn(
  spot: bigint,
  strike: bigint,
  lnRatio: bigint,
  secondsToExpiry: bigint,
  volatility: bigint,
): { call: bigint; put: bigint } {
  const variance36 = (volatility * volatility * secondsToExpiry) / YEAR;
  const sd = isqrt(variance36);
  const d1 = ((lnRatio + variance36 / (2n * WAD)) * WAD) / sd;
  return prices(spot, strike, cdf(d1), cdf(d1 - sd));
}

function prices(spot: bigint, strike: bigint, nd1: bigint, nd2: bigint): { call: bigint; put: bigint } {
  const a = (spot * nd1) / WAD;
  const b = (strike * nd2) / WAD;
  const c = (strike * (WAD - nd2)) / WAD;
  const e = (spot * (WAD - nd1)) / WAD;
  return { call: a > b ? a - b : 0n, put: c > e ? c - e : 0n };
}

/** Standard normal CDF, wad in and out (BlackScholes.cdf). */
export function cdf(x: bigint): bigint {
  const ax = x < 0n ? -x : x;
  let p: bigint;
  if (ax >= CDF_CUTOFF) {
    p = WAD;
  } else {
    const i = ax / SEGMENT;
    const t = ax - i * SEGMENT - SEGMENT / 2n;
    const c = CDF_SEGMENTS[Number(i)]!;
    p = c[CDF_DEGREE]!;
    for (let k = CDF_DEGREE - 1; k >= 0; k--) p = (p * t) / WAD + c[k]!;
    if (p > WAD) p = WAD;
  }
  return x < 0n ? WAD - p : p;
}

/** Standard normal density, wad (BlackScholes.pdf). */
export function pdf(x: bigint): bigint {
  if (x >= 9n * WAD || x <= -9n * WAD) return 0n;
  return (INV_SQRT_2PI * expNeg((x * x) / WAD / 2n)) / WAD;
}

/** round(1e18 / d): the contract's Horner coefficients, written there as literals. */
const wadReciprocal = (d: bigint): bigint => (2n * WAD + d) / (2n * d);
const factorial = (n: bigint): bigint => (n <= 1n ? 1n : n * factorial(n - 1n));
/** 1/n! for n = 18 down to 0. */
const EXP_COEFFICIENTS = Array.from({ length: 19 }, (_, i) => wadReciprocal(factorial(BigInt(18 - i))));
/** 1/j for odd j = 23 down to 1. */
const LN_COEFFICIENTS = Array.from({ length: 12 }, (_, i) => wadReciprocal(BigInt(23 - 2 * i)));

/** e^-y for 0 <= y <= 40.5e18 (BlackScholes.expNeg). */
export function expNeg(y: bigint): bigint {
  const k = y / LN2;
  const q = k * LN2 - y;
  let p = EXP_COEFFICIENTS[0]!;
  for (let i = 1; i < EXP_COEFFICIENTS.length; i++) p = (p * q) / WAD + EXP_COEFFICIENTS[i]!;
  return p >> k;
}

/** Natural log of a positive wad (BlackScholes.ln). */
export function ln(x: bigint): bigint {
  let k = 0n;
  let scale = WAD;
  let xs = x;
  while (xs >= (scale * SQRT2) / WAD) {
    scale *= 2n;
    k++;
  }
  while (xs * WAD < SQRT1_2 * scale) {
    xs *= 2n;
    k--;
  }
  const z = ((xs - scale) * WAD) / (xs + scale);
  const z2 = (z * z) / WAD;
  let p = LN_COEFFICIENTS[0]!;
  for (let i = 1; i < LN_COEFFICIENTS.length; i++) p = (p * z2) / WAD + LN_COEFFICIENTS[i]!;
  return k * LN2 + 2n * ((p * z) / WAD);
}
