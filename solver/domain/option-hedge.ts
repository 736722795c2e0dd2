// The options vault's perp delta hedge, added to the batch in which the vault takes option fills.
//
// The vault (contracts/src/options/OptionVault.sol) signs a perp fill of its own only as a hedge:
// it must move its net delta D on the underlying toward zero and past it by at most the tolerance,
// and nothing while |D| <= tolerance (the dead band); its limit must lie within the hedge band of
// the mark. Settlement applies the batch's option fills before it verifies the position intents,
// so D is the vault's delta after this batch's option fills with its perp position before the
// batch: what `optionVaultExposure` gives for the vault's legs plus its source trades.
//
// The hedge is d = -D (the whole delta; the tolerance on the far side absorbs a small move of the
// mark or time before the batch lands). It is liquidity, not a user's intent: it earns no score and
// must not cost a user anything, so it never moves a market's clearing price. In a market users
// already trade, it fills at their price, the perp vault taking the new remainder at its quote
// (or nobody, when the hedge nets the users' remainder out); in a market without users it trades
// with the perp vault alone at the perp vault's quote. Its limit is that clearing price, the
// tightest it can sign, so the band check holds for the largest move of the mark; and the price
// must stay HEDGE_BAND_MARGIN inside the band, so an oracle step or two between the solve and the
// settle does not turn the hedge, and with it the whole batch, into a revert. Whatever does not fit (no perp vault or too little of its capacity, a price outside the hedge band or the
// deviation band, a halted market) leaves the hedge out and the batch as it was; the reason is
// returned for the caller's log.
import { abs, WAD } from '../../protocol/margin.ts';
import {
  type OptionVaultParams,
  type OptionVaultState,
  optionVaultExposure,
  optionVaultHedgeQuote,
  type SeriesTerms,
  type VaultLeg,
} from '../../protocol/options/option-vault.ts';
import { vaultQuote } from '../../protocol/perp-vault.ts';
import type { Solution, SolutionTrade } from '../../protocol/solution.ts';
import { lower } from './address.ts';
import type { SourceTrade } from './option-clearing.ts';
import type { PositionClearing, PositionMarket, VaultTrade } from './positions.ts';

/**
 * How far (wad fraction of the mark) inside the vault's hedge band the hedge's price must be: the
 * band is checked at the mark the batch lands on, and one devnet feeder step moves it 0.2% at most.
 */
export const HEDGE_BAND_MARGIN = 2n * 10n ** 15n;

/** What the hedge of one underlying needs: the vault's parameters and state at the block solved on. */
export type VaultHedgeView = {
  params: OptionVaultParams;
  /** Before the batch: the vault's perp size, its legs on this underlying, the mark, the surface. */
  state: OptionVaultState;
  /** Terms of the series on this underlying the vault may trade in the batch (a new leg needs them). */
  terms: ReadonlyMap<bigint, SeriesTerms>;
};

/** An intent id (the protocol's type, without importing viem here). */
type Hex = SolutionTrade['intentId'];

/** The vault's hedge: `sizeDelta` on `market`'s perp, signed with `limitPrice` (the clearing price). */
export type HedgeTrade = { market: number; sizeDelta: bigint; limitPrice: bigint };

export type HedgeSkip = { market: number; reason: string; netDelta?: bigint };

export type AddHedgesInput = {
  /** The batch's position clearing without hedges. */
  positions: PositionClearing;
  /** The chain's view of the perp markets (must include the hedged underlyings). */
  markets: ReadonlyMap<number, PositionMarket>;
  /** Per underlying (perp market id), the vault's view; underlyings without one are not hedged. */
  views: ReadonlyMap<number, VaultHedgeView>;
  /** The vault's option fills in the batch. */
  sourceTrades: readonly SourceTrade[];
  /** The underlying market of each series the batch trades. */
  seriesMarket: (series: bigint) => number | undefined;
  /**
   * Option series the batch prices: the vault's option fills take nonces (series index) from the
   * same 256-bit word as its hedges (255 - market index), so a hedge whose nonce would collide is
   * left out.
   */
  optionSeriesCount: number;
  /** Default HEDGE_BAND_MARGIN. */
  bandMargin?: bigint;
};

export type AddHedgesResult = { positions: PositionClearing; hedges: HedgeTrade[]; skipped: HedgeSkip[] };

/** The vault's legs on the underlying after its option fills `fills` (its series there). */
export function legsAfter(view: VaultHedgeView, fills: readonly SourceTrade[]): VaultLeg[] {
  const legs = view.state.legs.map((l) => ({ ...l }));
  for (const f of fills) {
    const leg = legs.find((l) => l.id === f.series);
    if (leg) leg.size += f.sizeDelta;
    else {
      const t = view.terms.get(f.series);
      if (!t) throw new Error(`no terms for series ${f.series}`);
      legs.push({ ...t, size: f.sizeDelta });
    }
  }
  return legs.filter((l) => l.size !== 0n);
}

/**
 * The hedge the vault accepts for its delta after `fills`: -D when |D| is beyond the tolerance and
 * the rule holds for it (`optionVaultHedgeQuote`), with the worst limit the vault signs at.
 */
export function plannedHedge(
  view: VaultHedgeView,
  fills: readonly SourceTrade[],
): { netDelta: bigint; sizeDelta?: bigint; bound?: bigint } {
  const state: OptionVaultState = { ...view.state, legs: legsAfter(view, fills) };
  const { netDelta } = optionVaultExposure(state);
  if (abs(netDelta) <= view.params.hedgeTolerance) return { netDelta };
  const bound = optionVaultHedgeQuote(view.params, state, -netDelta);
  return bound === undefined ? { netDelta } : { netDelta, sizeDelta: -netDelta, bound };
}

/** Adds the vault's hedge in each underlying where it took option fills and the hedge fits (module comment). */
export function addVaultHedges(input: AddHedgesInput): AddHedgesResult {
  const byMarket = new Map<number, SourceTrade[]>();
  for (const t of input.sourceTrades) {
    const market = input.seriesMarket(t.series);
    if (market === undefined) continue;
    byMarket.set(market, [...(byMarket.get(market) ?? []), t]);
  }
  let positions = input.positions;
  const hedges: HedgeTrade[] = [];
  const skipped: HedgeSkip[] = [];
  for (const market of [...byMarket.keys()].sort((a, b) => a - b)) {
    const view = input.views.get(market);
    if (!view) {
      skipped.push({ market, reason: 'no vault view of the underlying' });
      continue;
    }
    const planned = plannedHedge(view, byMarket.get(market)!);
    if (planned.sizeDelta === undefined) {
      const within = abs(planned.netDelta) <= view.params.hedgeTolerance;
      skipped.push({ market, reason: within ? 'within the dead band' : 'not a hedge by the vault rule', netDelta: planned.netDelta });
      continue;
    }
    const m = input.markets.get(market);
    const margin = ((input.bandMargin ?? HEDGE_BAND_MARGIN) * view.state.mark + WAD - 1n) / WAD;
    // the vault's worst limit moved inward by the margin
    const bound = planned.sizeDelta > 0n ? planned.bound! - margin : planned.bound! + margin;
    const fit = m ? hedgeInto(positions, market, m, planned.sizeDelta, bound) : 'no perp market state';
    if (typeof fit === 'string') {
      skipped.push({ market, reason: fit, netDelta: planned.netDelta });
      continue;
    }
    const index = fit.positions.marketPrices.findIndex((p) => p.market === market);
    if (255 - index < input.optionSeriesCount) {
      skipped.push({ market, reason: 'nonce would collide with an option fill', netDelta: planned.netDelta });
      continue;
    }
    positions = fit.positions;
    hedges.push(fit.hedge);
  }
  return { positions, hedges, skipped };
}

/**
 * `positions` with the hedge `d` filled in `market` (see the module comment), or why it does not
 * fit. `bound`: the worst price for d (buy: at most, sell: at least).
 */
function hedgeInto(
  positions: PositionClearing,
  market: number,
  m: PositionMarket,
  d: bigint,
  bound: bigint,
): { positions: PositionClearing; hedge: HedgeTrade } | string {
  if (m.halted) return 'market halted';
  const v = m.vault && m.vault.enabled !== false ? m.vault : undefined;
  const room = (m.maxPriceDeviation * m.mark) / WAD;
  const existing = positions.marketPrices.find((p) => p.market === market);
  const previous = positions.vaultTrades.find((t) => t.market === market);
  // users' net the perp vault takes now (it takes -net), and what it must take with the hedge
  const usersNet = previous ? -previous.sizeDelta : 0n;
  const net = usersNet + d;
  let price: bigint;
  let vaultTrade: VaultTrade | undefined;
  if (net !== 0n) {
    if (!v) return 'no perp vault to take the hedge';
    const cap = v.maxAbsSize === undefined || v.maxAbsSize > v.params.maxPosition ? v.params.maxPosition : v.maxAbsSize;
    if (abs(v.size - net) > cap) return 'beyond the perp vault capacity';
    const q = vaultQuote(v.params, m.mark, v.size, -net);
    if (q === undefined) return 'the perp vault does not quote the size';
    // users' price stays; without users the price is the perp vault's quote
    price = existing ? existing.price : q;
    if (net > 0n ? q > price : q < price) return "the perp vault's quote is beyond the users' price";
    vaultTrade = { market, sizeDelta: -net, limitPrice: q };
  } else {
    if (!existing) return 'nothing to trade with';
    price = existing.price;
  }
  if (d > 0n ? price > bound : price < bound) return 'price outside the hedge band';
  // the hedge (and the perp vault's share) may grow positions: the deviation band applies
  if (price < m.mark - room || price > m.mark + room) return 'price outside the deviation band';
  const marketPrices = existing
    ? positions.marketPrices
    : [...positions.marketPrices, { market, price }].sort((a, b) => a.market - b.market);
  const vaultTrades = positions.vaultTrades.filter((t) => t.market !== market);
  if (vaultTrade) vaultTrades.push(vaultTrade);
  vaultTrades.sort((a, b) => a.market - b.market);
  return { positions: { ...positions, marketPrices, vaultTrades }, hedge: { market, sizeDelta: d, limitPrice: price } };
}

/**
 * `cut` (a solution whose trades were cut without a re-solve, e.g. a runner-up keeping what is
 * still open) without the hedges of an options vault that lost any of its option fills in the cut:
 * the vault refuses a hedge of a delta no longer traded, and one of a smaller delta may overshoot.
 * The hedger is the account that signs both option and position liquidity in `full`. A hedged
 * market where no user position trade is left goes whole (the perp vault's fill there was sized
 * with the hedge); where users still trade, only the hedge goes, and the simulation decides.
 * `isPositionTrade`: whether a trade's intent is a position intent in `market`.
 */
export function withoutOrphanHedges(full: Solution, cut: Solution, isPositionTrade: (id: Hex, market: number) => boolean): Solution {
  const count = (s: Solution, account: string) => (s.optionLiquidity ?? []).filter((l) => lower(l.intent.account) === account).length;
  const hedgers = new Set((full.optionLiquidity ?? []).map((l) => lower(l.intent.account)));
  const orphaned = new Set(
    (cut.liquidity ?? []).filter(
      (l) => hedgers.has(lower(l.intent.account)) && count(cut, lower(l.intent.account)) < count(full, lower(l.intent.account)),
    ),
  );
  if (!orphaned.size) return cut;
  const markets = new Set([...orphaned].map((l) => l.intent.market));
  const whole = new Set([...markets].filter((m) => !cut.trades.some((t) => isPositionTrade(t.intentId, m))));
  return {
    ...cut,
    liquidity: (cut.liquidity ?? []).filter((l) => !orphaned.has(l) && !whole.has(l.intent.market)),
    marketPrices: cut.marketPrices.filter((p) => !whole.has(p.market)),
  };
}
