// Portfolio margin of one account on one underlying in wad (1e18) bigint fixed point: the same
// arithmetic as contracts/src/options/PortfolioMargin.sol, equal to the wei
// (test/chain/portfolio-margin.test.ts). Read the Solidity library for the rules, bounds and
// rounding; this file mirrors it. Value now is BlackScholes.callPrice/putPrice to the wei
// (blackScholes() here); a scenario's price inside the domain takes ln(x / strike) as
// ln(spot / strike) + ln(1 + shock), as the contract does for gas (pricesFromLn).
import { BS_MAX_EXPIRY, BS_MAX_VOL, BS_MIN_EXPIRY, BS_MIN_VOL, blackScholes, ln, pricesFromLn } from './black-scholes.ts';

const WAD = 10n ** 18n;

export const PM_MAX_OPTION_LEGS = 4;
export const PM_NUM_SHOCKS = 9;
export const PM_MIN_SPOT = 10n ** 10n;
export const PM_MAX_SPOT = 10n ** 35n;
export const PM_MAX_PRICE_SHOCK = WAD / 2n;
export const PM_MIN_STRIKE = 4n * 10n ** 9n;
export const PM_MAX_STRIKE = 25n * 10n ** 34n;
export const PM_MAX_SIZE = 10n ** 36n;
export const PM_MAX_VOL_SHOCK_UP = 10n * WAD;
export const PM_MAX_VOL_SHOCK_DOWN = (99n * WAD) / 100n;

export type OptionLeg = {
  /** Strike, collateral units per 1e18 size (wad). */
  strike: bigint;
  /** Seconds from now to expiry, 1 .. 2 years. */
  secondsToExpiry: bigint;
  isCall: boolean;
  /** Contracts, wad, signed: + long, - short. */
  size: bigint;
  /** The surface's implied vol at this strike and expiry (wad). */
  volatility: bigint;
};

export type MarginParams = {
  /** PM_NUM_SHOCKS signed wad fractions of spot, each within +-50%. */
  priceShocks: readonly bigint[];
  volShockUp: bigint;
  volShockDown: bigint;
  /** Floor per short contract, wad fraction of spot. */
  shortFloor: bigint;
  /** Maintenance, wad fraction of the requirement. */
  maintenanceFraction: bigint;
};

export type MarginResult = {
  requirement: bigint;
  maintenance: bigint;
  worstLoss: bigint;
  shortFloorAmount: bigint;
  /** shock index * 2 + (1 when vol up). */
  worstScenario: bigint;
};

/** The parameters the bench and tests use: shocks 0, +-5, 10, 15, 20%; vol x1.3 / x0.7; floor 1% of spot per short contract; maintenance 60%. */
export const DEFAULT_MARGIN_PARAMS: MarginParams = {
  priceShocks: [0n, 5n, -5n, 10n, -10n, 15n, -15n, 20n, -20n].map((x) => (x * WAD) / 100n),
  volShockUp: (3n * WAD) / 10n,
  volShockDown: (3n * WAD) / 10n,
  shortFloor: WAD / 100n,
  maintenanceFraction: (6n * WAD) / 10n,
};

/** The contract's custom error names. */
export type PortfolioMarginError =
  | 'TooManyLegs'
  | 'SpotOutOfRange'
  | 'PerpSizeOutOfRange'
  | 'StrikeOutOfRange'
  | 'ExpiryOutOfRange'
  | 'VolatilityOutOfRange'
  | 'SizeOutOfRange'
  | 'InvalidParams';

export class PortfolioMarginInvalid extends Error {
  readonly reason: PortfolioMarginError;
  constructor(reason: PortfolioMarginError) {
    super(`portfolio margin input rejected: ${reason}`);
    this.reason = reason;
  }
}

const ceilDivWad = (x: bigint): bigint => {
  const q = x / WAD; // truncates toward zero, as sdiv
  return x > 0n && q * WAD !== x ? q + 1n : q;
};
const ceilWad = (x: bigint): bigint => (x + WAD - 1n) / WAD;

export function shockedSpot(spot: bigint, shock: bigint): bigint {
  return (spot * (WAD + shock)) / WAD;
}

export function shockedVol(vol: bigint, p: MarginParams, up: boolean): bigint {
  if (up) {
    const v = (vol * (WAD + p.volShockUp)) / WAD;
    return v > BS_MAX_VOL ? BS_MAX_VOL : v;
  }
  const v = (vol * (WAD - p.volShockDown)) / WAD;
  return v < BS_MIN_VOL ? BS_MIN_VOL : v;
}

function bs(spot: bigint, strike: bigint, t: bigint, vol: bigint, isCall: boolean): bigint {
  const r = blackScholes(spot, strike, t, vol);
  return isCall ? r.call : r.put;
}

/** One contract's value (PortfolioMargin.value): Black-Scholes inside its domain, else a bound on the `upper` side. */
export function legValue(spot: bigint, leg: OptionLeg, vol: bigint, upper: boolean): bigint {
  const k = leg.strike;
  let t = leg.secondsToExpiry;
  const inMoneyness = 4n * spot >= k && spot <= 4n * k;
  if (inMoneyness && t >= BS_MIN_EXPIRY) return bs(spot, k, t, vol, leg.isCall);
  if (!upper) {
    if (leg.isCall) return spot > k ? spot - k : 0n;
    return k > spot ? k - spot : 0n;
  }
  if (t < BS_MIN_EXPIRY) t = BS_MIN_EXPIRY;
  let clamped = spot;
  if (4n * spot < k) clamped = (k + 3n) / 4n;
  else if (spot > 4n * k) clamped = 4n * k;
  let bound = bs(clamped, k, t, vol, leg.isCall);
  if (leg.isCall && spot > clamped) bound += spot - clamped;
  if (!leg.isCall && clamped > spot) bound += clamped - spot;
  return bound;
}

/** ln(1 + shock), wad (PortfolioMargin._lnShock). */
const lnShock = (shock: bigint): bigint => (shock === 0n ? 0n : ln(WAD + shock));

/** ln(spot / strike), wad, for spot / strike within [1/16, 16], else 0 (PortfolioMargin._lnMoneyness: unused there). */
const lnMoneyness = (spot: bigint, strike: bigint): bigint => (16n * spot < strike || spot > 16n * strike ? 0n : ln((spot * WAD) / strike));

/** One contract's value in a scenario at shocked spot x (PortfolioMargin._scenarioValue): Black-Scholes from lnRatio inside the domain, else legValue's bound. */
function scenarioValue(x: bigint, lnRatio: bigint, leg: OptionLeg, vol: bigint, upper: boolean): bigint {
  const k = leg.strike;
  if (leg.secondsToExpiry < BS_MIN_EXPIRY || 4n * x < k || x > 4n * k) return legValue(x, leg, vol, upper);
  const r = pricesFromLn(x, k, lnRatio, leg.secondsToExpiry, vol);
  return leg.isCall ? r.call : r.put;
}

function validate(spot: bigint, perpSize: bigint, legs: readonly OptionLeg[], p: MarginParams): void {
  if (legs.length > PM_MAX_OPTION_LEGS) throw new PortfolioMarginInvalid('TooManyLegs');
  if (spot < PM_MIN_SPOT || spot > PM_MAX_SPOT) throw new PortfolioMarginInvalid('SpotOutOfRange');
  if (perpSize > PM_MAX_SIZE || perpSize < -PM_MAX_SIZE) throw new PortfolioMarginInvalid('PerpSizeOutOfRange');
  if (p.priceShocks.length !== PM_NUM_SHOCKS) throw new Error(`priceShocks must have ${PM_NUM_SHOCKS} entries`);
  for (const s of p.priceShocks) if (s > PM_MAX_PRICE_SHOCK || s < -PM_MAX_PRICE_SHOCK) throw new PortfolioMarginInvalid('InvalidParams');
  if (p.volShockUp > PM_MAX_VOL_SHOCK_UP || p.volShockDown > PM_MAX_VOL_SHOCK_DOWN || p.shortFloor > WAD || p.maintenanceFraction > WAD) {
    throw new PortfolioMarginInvalid('InvalidParams');
  }
  for (const leg of legs) {
    if (leg.strike < PM_MIN_STRIKE || leg.strike > PM_MAX_STRIKE) throw new PortfolioMarginInvalid('StrikeOutOfRange');
    if (leg.secondsToExpiry === 0n || leg.secondsToExpiry > BS_MAX_EXPIRY) throw new PortfolioMarginInvalid('ExpiryOutOfRange');
    if (leg.volatility < BS_MIN_VOL || leg.volatility > BS_MAX_VOL) throw new PortfolioMarginInvalid('VolatilityOutOfRange');
    if (leg.size > PM_MAX_SIZE || leg.size < -PM_MAX_SIZE) throw new PortfolioMarginInvalid('SizeOutOfRange');
  }
}

/** Every scenario's loss at 1e36 scale (index shock * 2 + (1 when vol up)), unrounded. */
function scenarioLosses36(spot: bigint, perpSize: bigint, legs: readonly OptionLeg[], p: MarginParams): bigint[] {
  const loss36: bigint[] = [];
  const shocked = p.priceShocks.map((s) => shockedSpot(spot, s));
  const lnShocks = p.priceShocks.map(lnShock);
  for (const x of shocked) {
    const perp = perpSize * (spot - x);
    loss36.push(perp, perp);
  }
  for (const leg of legs) {
    if (leg.size === 0n) continue;
    const long = leg.size > 0n;
    const now36 = leg.size * legValue(spot, leg, leg.volatility, long);
    const vols = [shockedVol(leg.volatility, p, false), shockedVol(leg.volatility, p, true)] as const;
    const lnNow = lnMoneyness(spot, leg.strike);
    shocked.forEach((x, s) => {
      const lnRatio = lnNow + lnShocks[s]!;
      for (const up of [0, 1]) loss36[2 * s + up]! += now36 - leg.size * scenarioValue(x, lnRatio, leg, vols[up]!, !long);
    });
  }
  return loss36;
}

/** PortfolioMargin.margin: requirement, maintenance and worst scenario of one book on one underlying. */
export function portfolioMargin(
  spot: bigint,
  perpSize: bigint,
  legs: readonly OptionLeg[],
  p: MarginParams = DEFAULT_MARGIN_PARAMS,
): MarginResult {
  validate(spot, perpSize, legs, p);
  const loss36 = scenarioLosses36(spot, perpSize, legs, p);
  let worst = loss36[0]!;
  let worstScenario = 0n;
  loss36.forEach((l, j) => {
    if (l > worst) {
      worst = l;
      worstScenario = BigInt(j);
    }
  });
  const shortContracts = legs.reduce((a, l) => (l.size < 0n ? a - l.size : a), 0n);
  const worstLoss = ceilDivWad(worst);
  const shortFloorAmount = ceilWad(ceilWad(shortContracts * spot) * p.shortFloor);
  const requirement = (worstLoss > 0n ? worstLoss : 0n) + shortFloorAmount;
  return { requirement, maintenance: ceilWad(requirement * p.maintenanceFraction), worstLoss, shortFloorAmount, worstScenario };
}

/** PortfolioMargin.scenarioLoss: one scenario's loss, rounded up. */
export function scenarioLoss(spot: bigint, perpSize: bigint, legs: readonly OptionLeg[], p: MarginParams, scenario: number): bigint {
  validate(spot, perpSize, legs, p);
  return ceilDivWad(scenarioLosses36(spot, perpSize, legs, p)[scenario]!);
}
