// The perp liquidity vault's quote curve (contracts/src/perp/PerpVault.sol, `quote`), to the wei.
// The vault signs its fills through EIP-1271 only if the solver's limit price is on the vault's
// side of this curve, so a solver that computes it one wei off has its whole batch reverted.
//
// Units as in margin.ts: sizes and fractions in 1e18 fixed point, prices in collateral base units
// per 1e18 of size. v = the vault's position in the market, d = the vault's sizeDelta (d < 0: the
// vault sells, traders buy). The skew is the traders' net exposure against the vault: s0 = -v
// before, s1 = -(v + d) after, and the premium is their average over the skew scale:
//   premium = (s0 + s1) * 1e18 / (2 * skewScale)
//   d < 0: ask = ceil(ceil(m * (1e18 + premium) / 1e18) * (1e18 + fee) / 1e18), premium rounded up
//   d > 0: bid = floor(floor(m * (1e18 + premium) / 1e18) * (1e18 - fee) / 1e18), premium rounded down
// Every rounding goes in the vault's favour (a higher ask, a lower bid).
import { abs, mulDivCeil, mulDivFloor, WAD } from './margin.ts';

export type VaultMarketParams = {
  /** Skew (1e18 size) at which the premium reaches 100%. */
  skewScale: bigint;
  /** Spread on each side of the skewed mid, a 1e18 fraction. */
  feeFraction: bigint;
  /** Largest |position| the vault holds in the market (1e18 size). */
  maxPosition: bigint;
};

/**
 * The limit price the vault demands for changing its position `vaultSize` by `vaultDelta` at
 * mark `mark`: the ask when it sells (vaultDelta < 0), the bid when it buys. `undefined` wherever
 * the contract's `quote` reverts: a zero delta, |vaultSize + vaultDelta| > maxPosition, a premium
 * of -100% or less, or a non-positive skew scale or mark.
 */
export function vaultQuote(params: VaultMarketParams, mark: bigint, vaultSize: bigint, vaultDelta: bigint): bigint | undefined {
  if (vaultDelta === 0n || params.skewScale <= 0n || mark <= 0n) return undefined;
  if (abs(vaultSize + vaultDelta) > params.maxPosition) return undefined;
  const skewSum = -vaultSize - (vaultSize + vaultDelta);
  const sells = vaultDelta < 0n;
  const premium = sells ? mulDivCeil(skewSum, WAD, 2n * params.skewScale) : mulDivFloor(skewSum, WAD, 2n * params.skewScale);
  const scale = WAD + premium;
  if (scale <= 0n) return undefined;
  return sells
    ? mulDivCeil(mulDivCeil(mark, scale, WAD), WAD + params.feeFraction, WAD)
    : mulDivFloor(mulDivFloor(mark, scale, WAD), WAD - params.feeFraction, WAD);
}

/**
 * The vault's leverage check for a fill: sum over its markets of |size| * mark (this market's size
 * replaced by the size after the fill) must stay within maxLeverage * NAV / 1e18. Notionals round
 * up and the cap down (the vault contract's rounding is not fixed yet; this is the side that never
 * lets through a fill the vault could refuse). `exposures`: every market the vault holds, with the
 * post-fill size for the traded one.
 */
export function vaultWithinLeverage(maxLeverage: bigint, nav: bigint, exposures: Iterable<{ size: bigint; mark: bigint }>): boolean {
  let total = 0n;
  for (const e of exposures) total += mulDivCeil(abs(e.size), e.mark, WAD);
  return total <= mulDivFloor(maxLeverage, nav < 0n ? 0n : nav, WAD);
}

/**
 * The largest |size| the vault may hold in one market under its leverage cap, given the notional
 * `otherNotional` (rounded up, as vaultWithinLeverage counts it) of its other markets: a cap to put
 * beside maxPosition when splitting headroom across the markets of one batch.
 */
export function vaultLeverageSizeCap(maxLeverage: bigint, nav: bigint, otherNotional: bigint, mark: bigint): bigint {
  const room = mulDivFloor(maxLeverage, nav < 0n ? 0n : nav, WAD) - otherNotional;
  if (room < 0n || mark <= 0n) return 0n;
  // ceil(s * mark / 1e18) <= room  <=>  s * mark <= room * 1e18
  return (room * WAD) / mark;
}
