// The option book's account valuation (OptionBook.optionHealth, with OptionMarginEngine.evaluate),
// in bigint and to the wei: what an account's options add to its clearing-house health. Per
// underlying the account holds options on:
//   value      += each live leg's model value (long floor(size x price), counted only while the mark
//                 is fresh; short -ceil(|size| x price); outside Black-Scholes' domain a long at a
//                 lower and a short at an upper bound, PortfolioMargin.value), plus each expired
//                 leg's intrinsic value (at the settlement price once fixed, else at the mark);
//   initial    += the portfolio requirement of the perp and the live legs together, less the
//                 perp's own standalone requirement ceil(ceil(|size| x mark) x IMF);
//   maintenance likewise (the requirement's maintenance fraction, less ceil(notional x MMF)).
// Each leg's vol is the surface's at k = ln(strike / mark) and the time left, clamped into
// Black-Scholes' range, as the book reads VolatilityFeed.impliedVol. A strict valuation (withdrawals)
// refuses a stale mark or surface, as the contract reverts.
import { BS_MAX_VOL, BS_MIN_VOL, ln } from './black-scholes.ts';
import { legValue, type MarginParams, type OptionLeg, portfolioMargin } from './portfolio-margin.ts';
import { impliedVol, type VolSurface } from './vol-surface.ts';

const WAD = 10n ** 18n;
/** OptionBook.MAX_ACCOUNT_OPTIONS: open series per account. */
export const MAX_ACCOUNT_OPTIONS = 4;

/** One of the account's option positions, with its series' terms. */
export type HeldOption = {
  market: number;
  strike: bigint;
  /** Unix seconds. */
  expiry: bigint;
  isCall: boolean;
  /** Contracts, wad, signed. */
  size: bigint;
  /** The registry's settlement price (0n until the series settles). */
  settlementPrice: bigint;
};

/** What the book reads per underlying. */
export type UnderlyingState = {
  /** The clearing house's oracle mark and whether it is fresh. */
  mark: bigint;
  fresh: boolean;
  /** The account's perp size on this market (wad, signed). */
  perpSize: bigint;
  initialMarginFraction: bigint;
  maintenanceMarginFraction: bigint;
  /** The market's published vol surface and whether it is fresh. */
  surface: VolSurface;
  surfaceFresh: boolean;
};

export type OptionHealth = { value: bigint; initialDelta: bigint; maintenanceDelta: bigint };

/** Strict valuations refuse what the contract refuses: named as its errors. */
export class OptionHealthRefused extends Error {
  readonly reason: 'StaleMark' | 'StaleVolSurface';
  constructor(reason: 'StaleMark' | 'StaleVolSurface', market: number) {
    super(`option valuation refused: ${reason}(${market})`);
    this.reason = reason;
  }
}

const ceilDiv = (a: bigint, b: bigint): bigint => (a === 0n ? 0n : (a - 1n) / b + 1n);
const abs = (x: bigint): bigint => (x < 0n ? -x : x);

/** An expired leg's intrinsic value (long floor, short -ceil). */
function expiredValue(o: HeldOption, mark: bigint): bigint {
  const price = o.settlementPrice === 0n ? mark : o.settlementPrice;
  const intrinsic = o.isCall ? (price > o.strike ? price - o.strike : 0n) : o.strike > price ? o.strike - price : 0n;
  return o.size > 0n ? (o.size * intrinsic) / WAD : -ceilDiv(-o.size * intrinsic, WAD);
}

/** The vol the book prices a leg at: the surface's, clamped into Black-Scholes' range. */
export function legVolatility(surface: VolSurface, strike: bigint, mark: bigint, secondsToExpiry: bigint): bigint {
  const vol = impliedVol(surface, ln((strike * WAD) / mark), secondsToExpiry);
  return vol < BS_MIN_VOL ? BS_MIN_VOL : vol > BS_MAX_VOL ? BS_MAX_VOL : vol;
}

/** OptionBook.optionHealth(account, strict) for an account holding `held` at block time `now`. */
export function optionHealth(
  held: readonly HeldOption[],
  underlyings: ReadonlyMap<number, UnderlyingState>,
  now: bigint,
  p: MarginParams,
  strict = false,
): OptionHealth {
  const out: OptionHealth = { value: 0n, initialDelta: 0n, maintenanceDelta: 0n };
  for (const market of new Set(held.map((o) => o.market))) {
    const u = underlyings.get(market);
    if (!u) throw new Error(`no state for market ${market}`);
    if (strict && !u.fresh) throw new OptionHealthRefused('StaleMark', market);
    const legs: OptionLeg[] = [];
    for (const o of held) {
      if (o.market !== market) continue;
      if (o.expiry <= now) {
        out.value += expiredValue(o, u.mark);
        continue;
      }
      if (strict && !u.surfaceFresh) throw new OptionHealthRefused('StaleVolSurface', market);
      const secondsToExpiry = o.expiry - now;
      legs.push({
        strike: o.strike,
        secondsToExpiry,
        isCall: o.isCall,
        size: o.size,
        volatility: legVolatility(u.surface, o.strike, u.mark, secondsToExpiry),
      });
    }
    // OptionMarginEngine.evaluate: the legs' value, then the grid over the perp and the legs
    for (const leg of legs) {
      const unit = legValue(u.mark, leg, leg.volatility, leg.size < 0n);
      if (leg.size > 0n) {
        if (u.fresh) out.value += (leg.size * unit) / WAD;
      } else if (leg.size < 0n) out.value -= ceilDiv(-leg.size * unit, WAD);
    }
    const r = portfolioMargin(u.mark, u.perpSize, legs, p);
    const notional = ceilDiv(abs(u.perpSize) * u.mark, WAD);
    out.initialDelta += r.requirement - ceilDiv(notional * u.initialMarginFraction, WAD);
    out.maintenanceDelta += r.maintenance - ceilDiv(notional * u.maintenanceMarginFraction, WAD);
  }
  return out;
}

/**
 * The premium cash of `size` contracts at `premium` per contract as the option book moves it, before
 * fees: what a buyer pays, ceil(premium x size), or (negative) what a seller receives, floor.
 */
export function premiumCash(size: bigint, premium: bigint): bigint {
  return size > 0n ? ceilDiv(premium * size, WAD) : -((premium * -size) / WAD);
}

/** An account's health as the clearing house reports it (accountHealth), collateral units. */
export type AccountTotals = { equity: bigint; initialRequirement: bigint; maintenanceRequirement: bigint };

/**
 * The account's health after an option fill of `sizeDelta` contracts of a series at `premium` per
 * contract, from its health now: the option book's valuation with and without the fill (both
 * from the same inputs) and the premium cash as the book moves it (a buyer pays ceil(premium x
 * size), a seller receives floor, each pays `feeFraction` of it, rounded up). Throws
 * `TooManyOptionPositions` as the book would refuse a fifth series.
 */
export function healthAfterOptionFill(
  now: AccountTotals,
  held: readonly HeldOption[],
  fill: Omit<HeldOption, 'size' | 'settlementPrice'> & { sizeDelta: bigint; premium: bigint; feeFraction: bigint },
  underlyings: ReadonlyMap<number, UnderlyingState>,
  time: bigint,
  p: MarginParams,
): AccountTotals {
  const same = (o: HeldOption): boolean =>
    o.market === fill.market && o.strike === fill.strike && o.expiry === fill.expiry && o.isCall === fill.isCall;
  const after = held.map((o) => (same(o) ? { ...o, size: o.size + fill.sizeDelta } : o));
  if (!held.some(same)) after.push({ ...fill, size: fill.sizeDelta, settlementPrice: 0n });
  const open = after.filter((o) => o.size !== 0n);
  if (open.length > MAX_ACCOUNT_OPTIONS)
    throw new Error(`TooManyOptionPositions: at most ${MAX_ACCOUNT_OPTIONS} option series per account`);
  const before = optionHealth(held, underlyings, time, p);
  const then = optionHealth(open, underlyings, time, p);
  const paid = premiumCash(fill.sizeDelta, fill.premium);
  const fee = ceilDiv(abs(paid) * fill.feeFraction, WAD);
  const cash = -paid - fee;
  return {
    equity: now.equity + cash + then.value - before.value,
    initialRequirement: now.initialRequirement + then.initialDelta - before.initialDelta,
    maintenanceRequirement: now.maintenanceRequirement + then.maintenanceDelta - before.maintenanceDelta,
  };
}
