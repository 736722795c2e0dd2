// Cross-margin maths, shared with the clearing house contract (which must give the same numbers
// to the wei; tests compare them on random portfolios). Pure integer arithmetic on bigints.
//
// Units: collateral in its token's base units; sizes in 1e18 fixed point (2e18 = 2 units long,
// negative = short); prices in collateral base units per 1e18 of size; fractions (margin, fee,
// penalty) in 1e18 fixed point (0.05e18 = 5%).
//
// Each position keeps a signed `openNotional` (what it cost: size * entry price) and the market's
// cumulative funding index when last touched. Then
//   unrealised PnL  = size * mark / 1e18 - openNotional
//   equity          = collateral + sum(extra collateral value) + sum(unrealised PnL) - sum(pending funding)
//   initial req.    = sum(|size| * mark / 1e18 * initialMarginFraction / 1e18)
//   maintenance req = the same with maintenanceMarginFraction
// `collateral` is the settlement stablecoin (it carries PnL, fees and funding and may go negative);
// extra collateral tokens count at their oracle price less a haircut (collateralValue).
// Rounding always goes against the account (losses and requirements round up, gains down), so
// the system never books more equity than exists: that is what keeps it solvent.

export const WAD = 10n ** 18n;

/** floor(a * b / d) toward negative infinity, for d > 0. */
export function mulDivFloor(a: bigint, b: bigint, d: bigint): bigint {
  const p = a * b;
  const q = p / d;
  return p % d !== 0n && p < 0n ? q - 1n : q;
}

/** ceil(a * b / d) toward positive infinity, for d > 0. */
export function mulDivCeil(a: bigint, b: bigint, d: bigint): bigint {
  const p = a * b;
  const q = p / d;
  return p % d !== 0n && p > 0n ? q + 1n : q;
}

/** |x| of a signed bigint (sizes, deltas). */
export const abs = (x: bigint): bigint => (x < 0n ? -x : x);

export type MarketParams = {
  initialMarginFraction: bigint;
  maintenanceMarginFraction: bigint;
  /** Taker fee on traded notional. */
  feeFraction: bigint;
};

export type Position = {
  size: bigint;
  openNotional: bigint;
  /** The market's cumulative funding index (collateral per 1e18 size) when last settled. */
  fundingIndex: bigint;
};

export const emptyPosition = (fundingIndex = 0n): Position => ({ size: 0n, openNotional: 0n, fundingIndex });

/** Funding a position owes since it was last touched (positive = pays); longs pay when the index rises. */
export const pendingFunding = (p: Position, marketIndex: bigint): bigint => mulDivCeil(p.size, marketIndex - p.fundingIndex, WAD);

/** Unrealised PnL at `mark`, rounded down. */
export const unrealisedPnl = (p: Position, mark: bigint): bigint => mulDivFloor(p.size, mark, WAD) - p.openNotional;

/** |size| * mark, rounded up: the notional margin requirements are taken on. */
export const notional = (size: bigint, price: bigint): bigint => mulDivCeil(abs(size), price, WAD);

/** Taker fee for trading `sizeDelta` at `price`, rounded up. */
export const tradeFee = (sizeDelta: bigint, price: bigint, feeFraction: bigint): bigint =>
  mulDivCeil(notional(sizeDelta, price), feeFraction, WAD);

/**
 * Applies a fill of `sizeDelta` at `price` to a position whose funding is already settled.
 * Returns the new position and the PnL realised by the part that reduced it. Closing part q of a
 * position of size s releases openNotional * q / s (rounded so the remaining cost basis keeps the
 * rounding), and realises q * price - that share.
 */
export function applyFill(p: Position, sizeDelta: bigint, price: bigint): { position: Position; realisedPnl: bigint } {
  if (sizeDelta === 0n) return { position: p, realisedPnl: 0n };
  const sameSide = p.size === 0n || p.size > 0n === sizeDelta > 0n;
  if (sameSide) {
    return {
      position: { ...p, size: p.size + sizeDelta, openNotional: p.openNotional + mulDivCeil(sizeDelta, price, WAD) },
      realisedPnl: 0n,
    };
  }
  // Reducing, closing, or flipping.
  const closing = abs(sizeDelta) >= abs(p.size) ? -p.size : sizeDelta; // signed, opposite to p.size
  const released = (p.openNotional * -closing) / p.size; // share of cost basis closed (truncates toward zero)
  const realisedPnl = mulDivFloor(-closing, price, WAD) - released;
  const remaining: Position = { ...p, size: p.size + closing, openNotional: p.openNotional - released };
  const opening = sizeDelta - closing;
  if (opening === 0n) return { position: remaining, realisedPnl };
  return {
    position: { ...remaining, size: opening, openNotional: mulDivCeil(opening, price, WAD) },
    realisedPnl,
  };
}

/** floor(price * (1 - haircut)): the oracle price of one whole extra-collateral token less its haircut. */
export const haircutPrice = (price: bigint, haircut: bigint): bigint => (price * (WAD - haircut)) / WAD;

/**
 * What `amount` base units of a `decimals`-decimal extra collateral token count in equity, in
 * stablecoin base units: floor(amount * haircutPrice(price, haircut) / 10^decimals), where `price`
 * is one whole token in stablecoin base units (a stale feed: pass 0) and `haircut` a 1e18 fraction.
 * Both floors go against the account. Same as the contracts' PerpMath.collateralValue.
 */
export function collateralValue(amount: bigint, price: bigint, decimals: number, haircut: bigint): bigint {
  if (amount < 0n || price < 0n || haircut < 0n || haircut >= WAD) throw new Error('collateralValue: out of range');
  return (amount * haircutPrice(price, haircut)) / 10n ** BigInt(decimals);
}

/** The smallest amount whose collateralValue (at haircut price `hcPrice` > 0, no further haircut) is at least `value` > 0. */
export const collateralForValue = (value: bigint, hcPrice: bigint, decimals: number): bigint =>
  (value * 10n ** BigInt(decimals) + hcPrice - 1n) / hcPrice;

/** An extra collateral holding: amount in token base units, price of one whole token in stablecoin base units (0 if stale). */
export type CollateralHolding = { amount: bigint; price: bigint; decimals: number; haircut: bigint };

export type AccountState = {
  /** The settlement stablecoin balance (may be negative). */
  collateral: bigint;
  positions: ReadonlyMap<number, Position>;
  /** Extra collateral tokens, valued with collateralValue. */
  extraCollateral?: readonly CollateralHolding[];
};

/**
 * A market as a margin check sees it. `fresh: false` marks a mark price from a stale oracle: its
 * unrealised PnL then counts at most zero (the clearing house's batch checks and liquidations do
 * the same), so profit nobody can currently check never backs new risk.
 */
export type MarketState = MarketParams & { mark: bigint; fundingIndex: bigint; fresh?: boolean };

export type AccountHealth = {
  equity: bigint;
  initialRequirement: bigint;
  maintenanceRequirement: bigint;
};

/** Equity and requirements of an account across every market it holds a position in. */
export function accountHealth(account: AccountState, markets: ReadonlyMap<number, MarketState>): AccountHealth {
  let equity = account.collateral;
  for (const c of account.extraCollateral ?? []) equity += collateralValue(c.amount, c.price, c.decimals, c.haircut);
  let initialRequirement = 0n;
  let maintenanceRequirement = 0n;
  for (const [id, p] of account.positions) {
    if (p.size === 0n && p.openNotional === 0n) continue;
    const m = markets.get(id);
    if (!m) throw new Error(`accountHealth: no state for market ${id}`);
    const upnl = unrealisedPnl(p, m.mark);
    equity += (m.fresh === false && upnl > 0n ? 0n : upnl) - pendingFunding(p, m.fundingIndex);
    const n = notional(p.size, m.mark);
    initialRequirement += mulDivCeil(n, m.initialMarginFraction, WAD);
    maintenanceRequirement += mulDivCeil(n, m.maintenanceMarginFraction, WAD);
  }
  return { equity, initialRequirement, maintenanceRequirement };
}

export const meetsInitialMargin = (h: AccountHealth): boolean => h.equity >= h.initialRequirement;
export const isLiquidatable = (h: AccountHealth): boolean => h.equity < h.maintenanceRequirement;

/**
 * The requirement a liquidation restores the account to: halfway between maintenance and initial
 * margin. Restoring exactly maintenance would leave the account one tick or one second of funding
 * from the next liquidation; the buffer makes one liquidation enough in ordinary moves.
 */
export const liquidationTarget = (h: AccountHealth): bigint =>
  h.maintenanceRequirement + (h.initialRequirement - h.maintenanceRequirement) / 2n;

/**
 * The smallest fraction f (1e18 fixed point) of every position to close at mark so that the
 * account is back at the liquidation target T (see liquidationTarget), given a liquidation penalty
 * on closed notional: closing at mark keeps equity but for the penalty, and scales the
 * requirement by (1 - f), so we need E - f*pen*N >= (1 - f)*T, i.e. f >= (T - E) / (T - pen*N).
 * Returns 0 above maintenance, and WAD (close all) when no partial close reaches the target
 * (including an account already underwater).
 */
export function liquidationFraction(h: AccountHealth, totalNotional: bigint, penaltyFraction: bigint): bigint {
  if (h.equity >= h.maintenanceRequirement) return 0n;
  const target = liquidationTarget(h);
  const penaltyAll = mulDivCeil(totalNotional, penaltyFraction, WAD);
  const denominator = target - penaltyAll;
  if (h.equity <= 0n || denominator <= 0n) return WAD;
  const f = mulDivCeil(target - h.equity, WAD, denominator);
  return f >= WAD ? WAD : f;
}
