// The options vault's quote and hedge rule (contracts/src/options/OptionVaultQuoter.sol, which
// OptionVault forwards to), to the wei, so a solver prices any size off chain from one read of the
// vault's state instead of an eth_call per size. The vault signs an option trade through EIP-1271
// only if the solver's premium limit is on the vault's side of this quote, so one wei off reverts
// the whole batch.
//
// Units: sizes (contracts, perp size) and fractions in 1e18 fixed point; prices and premiums in
// collateral base units per 1e18 contracts; vega in collateral units per 1.0 (100%) of vol.
// With the mark m, the surface's vol at the series (clamped into Black-Scholes' range), the
// contract's price P, delta δ (call N(d1), put N(d1) - 1) and vega ν; the vault's net delta D0
// (perp size + Σ trunc(size δ / 1e18) over its live legs on the underlying) and net vega V0
// (Σ trunc(size ν / 1e18)); d the vault's size delta; D1 = D0 + trunc(d δ / 1e18),
// V1 = V0 + trunc(d ν / 1e18):
//   base = ν baseVolSpread / 1e18 + m minSpread / 1e18          (each rounded up when the vault sells)
//   skew = -(D0 + D1) δ m / (2 deltaScale 1e18) - (V0 + V1) ν / (2 vegaScale)   (toward +inf / -inf)
//   ask (d < 0) = max(0, P + base + skew), bid (d > 0) = max(0, P - base + skew)
import { abs, mulDivCeil, mulDivFloor, WAD } from '../margin.ts';
import { BS_MAX_EXPIRY, BS_MAX_VOL, BS_MIN_EXPIRY, BS_MIN_PRICE, BS_MIN_VOL, blackScholes, ln } from './black-scholes.ts';
import { impliedVol, type VolSurface } from './vol-surface.ts';

/** OptionVault's UnderlyingParams (per perp market id). */
export type OptionVaultParams = {
  /** Half-spread in vol (wad): ν x this per contract. */
  baseVolSpread: bigint;
  /** Half-spread as a wad fraction of the mark per contract. */
  minSpread: bigint;
  /** Hedge limit prices within this wad fraction of the mark. */
  hedgeBand: bigint;
  enabled: boolean;
  /** Net delta (wad contracts) at which the delta skew reaches 100% of the mark per unit of delta. */
  deltaScale: bigint;
  /** Net vega at which the vault's vol moves by 1.0. */
  vegaScale: bigint;
  maxDelta: bigint;
  maxVega: bigint;
  maxContracts: bigint;
  /** How far past zero a hedge may take the net delta, and the dead band with no hedge. */
  hedgeTolerance: bigint;
};

/** A series' terms (OptionSeries). */
export type SeriesTerms = { id: bigint; strike: bigint; expiry: bigint; isCall: boolean };

/** One of the vault's option positions on the underlying (book.positionOf). */
export type VaultLeg = SeriesTerms & { size: bigint };

/**
 * What the quote reads, for one underlying at one block: the block time, the oracle mark, the
 * vault's perp size there, its option positions on this underlying, how many series it holds over
 * all underlyings (the book's bound of 4), and the underlying's published vol surface.
 */
export type OptionVaultState = {
  now: bigint;
  mark: bigint;
  perpSize: bigint;
  legs: readonly VaultLeg[];
  heldSeries: number;
  surface: VolSurface;
};

/** The book's bound on an account's open series. */
export const VAULT_MAX_SERIES = 4;
const MAX_SIZE = 10n ** 36n;

type Greeks = { price: bigint; delta: bigint; vega: bigint } | { outside: true; delta: bigint };

/** One contract at the mark and the surface's vol (OptionVaultQuoter._greeks). */
function greeks(s: SeriesTerms, mark: bigint, now: bigint, surface: VolSurface): Greeks {
  const t = s.expiry - now;
  const inDomain =
    4n * mark >= s.strike &&
    mark <= 4n * s.strike &&
    t >= BS_MIN_EXPIRY &&
    mark >= BS_MIN_PRICE &&
    s.strike >= BS_MIN_PRICE &&
    t <= BS_MAX_EXPIRY;
  if (!inDomain) {
    const delta = s.isCall ? (mark > s.strike ? WAD : 0n) : mark < s.strike ? -WAD : 0n;
    return { outside: true, delta };
  }
  let vol = impliedVol(surface, ln((s.strike * WAD) / mark), t);
  if (vol < BS_MIN_VOL) vol = BS_MIN_VOL;
  if (vol > BS_MAX_VOL) vol = BS_MAX_VOL;
  const r = blackScholes(mark, s.strike, t, vol);
  return { price: s.isCall ? r.call : r.put, delta: s.isCall ? r.callDelta : r.callDelta - WAD, vega: r.vega };
}

/** The vault's net delta and vega on the underlying (OptionVault.exposure): expired legs count nothing. */
export function optionVaultExposure(state: OptionVaultState): { netDelta: bigint; netVega: bigint } {
  let netDelta = state.perpSize;
  let netVega = 0n;
  for (const leg of state.legs) {
    if (leg.expiry <= state.now) continue;
    const g = greeks(leg, state.mark, state.now, state.surface);
    netDelta += (leg.size * g.delta) / WAD;
    if (!('outside' in g)) netVega += (leg.size * g.vega) / WAD;
  }
  return { netDelta, netVega };
}

/**
 * `OptionVault.quote(series, sizeDelta)`: the lowest premium the vault sells at (sizeDelta < 0) or
 * the highest it pays (sizeDelta > 0), or `undefined` where the contract reverts for the book's
 * state (zero or oversized delta, expired series, underlying disabled, outside Black-Scholes'
 * domain, contracts / delta / vega limits, a fifth series). Staleness of the mark or surface and
 * circuit-breaker halts are the caller's to check (the contract refuses then too).
 */
export function optionVaultQuote(
  params: OptionVaultParams,
  state: OptionVaultState,
  series: SeriesTerms,
  sizeDelta: bigint,
): bigint | undefined {
  if (sizeDelta === 0n || abs(sizeDelta) > MAX_SIZE) return undefined;
  if (series.expiry <= state.now || !params.enabled) return undefined;
  const mark = state.mark;
  const g = greeks(series, mark, state.now, state.surface);
  if ('outside' in g) return undefined;
  const held = state.legs.find((l) => l.id === series.id)?.size ?? 0n;
  const after = held + sizeDelta;
  if (abs(after) > abs(held) && abs(after) > params.maxContracts) return undefined;
  if (held === 0n && state.heldSeries >= VAULT_MAX_SERIES) return undefined;
  const { netDelta: d0, netVega: v0 } = optionVaultExposure(state);
  const d1 = d0 + (sizeDelta * g.delta) / WAD;
  const v1 = v0 + (sizeDelta * g.vega) / WAD;
  if (abs(d1) > abs(d0) && abs(d1) > params.maxDelta) return undefined;
  if (abs(v1) > abs(v0) && abs(v1) > params.maxVega) return undefined;
  const sells = sizeDelta < 0n;
  const round = sells ? mulDivCeil : mulDivFloor;
  const base = round(g.vega, params.baseVolSpread, WAD) + round(mark, params.minSpread, WAD);
  const skew = round(-(d0 + d1) * g.delta, mark, 2n * params.deltaScale * WAD) + round(-(v0 + v1), g.vega, 2n * params.vegaScale);
  const total = sells ? g.price + base + skew : g.price - base + skew;
  return total > 0n ? total : 0n;
}

/**
 * `OptionVault.hedgeQuote(market, sizeDelta)`: the worst limit price at which the vault takes the
 * perp fill as a hedge of its net delta D (D > tol: -D - tol <= sizeDelta < 0; D < -tol:
 * 0 < sizeDelta <= -D + tol), or `undefined` when it is not one. `state.legs` must already include
 * the option fills of the same batch (Settlement verifies position intents after applying them).
 */
export function optionVaultHedgeQuote(params: OptionVaultParams, state: OptionVaultState, sizeDelta: bigint): bigint | undefined {
  if (!params.enabled) return undefined;
  const { netDelta: d } = optionVaultExposure(state);
  const tol = params.hedgeTolerance;
  const ok = d > tol ? sizeDelta < 0n && d + sizeDelta >= -tol : d < -tol && sizeDelta > 0n && d + sizeDelta <= tol;
  if (!ok) return undefined;
  return sizeDelta > 0n ? mulDivFloor(state.mark, WAD + params.hedgeBand, WAD) : mulDivCeil(state.mark, WAD - params.hedgeBand, WAD);
}
