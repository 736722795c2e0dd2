// The engine's whole answer for an auction: its swap intents solved by the strategy (solve.ts),
// its position intents cleared per market (positions.ts) and its option intents per series
// (option-clearing.ts), in one solution; when the options vault takes option fills, its perp
// delta hedge in the same batch (option-hedge.ts).
import type { Auction } from '../../protocol/score.ts';
import type { Solution } from '../../protocol/solution.ts';
import type { LiquidityAdapter } from './liquidity/adapter.ts';
import { type ClearOptionsInput, clearOptions, type SourceTrade } from './option-clearing.ts';
import { addVaultHedges, type HedgeSkip, type HedgeTrade, type VaultHedgeView } from './option-hedge.ts';
import type { SolveOptions } from './options.ts';
import { type ClearPositionsInput, clearPositions, type OwnTrade, type VaultTrade } from './positions.ts';
import type { SolveStats } from './result.ts';
import { solve } from './solve.ts';

type AuctionSolution = {
  solution: Solution;
  stats: SolveStats;
  positionTrades: number;
  /** The vault's fills (EIP-1271 trades the bundle adds), one per market at most. */
  vaultTrades: VaultTrade[];
  /** Fills of the solver's own quotes. */
  ownTrades: OwnTrade[];
  /** The option liquidity source's fills (EIP-1271 option trades the caller adds), one per series at most. */
  optionSourceTrades: SourceTrade[];
  /** The options vault's perp hedges (EIP-1271 position trades the caller adds), one per market at most. */
  optionVaultHedges: HedgeTrade[];
  /** Hedges considered and left out, with why (for the caller's debug log). */
  hedgeSkips: HedgeSkip[];
};

/** What position clearing needs beyond the auction: the chain's view of markets, positions, the vault. */
export type PositionState = Omit<ClearPositionsInput, 'auction' | 'now'>;

/**
 * What option clearing needs beyond the auction: the live series, reduce-only holdings, the
 * source's quotes; and, per underlying, the options vault's view its hedge is computed from
 * (absent: the vault's fills are not hedged).
 */
export type OptionClearingState = Omit<ClearOptionsInput, 'auction' | 'now'> & { vaultHedge?: ReadonlyMap<number, VaultHedgeView> };

/**
 * `positionState`: the chain's view of the perp markets (marks, deviation bands, the vault, the
 * positions of reduce-only accounts; solver/infra/perp-state.ts). Without it no position intent
 * is cleared. `optionState`: the chain's view of the option series (solver/infra/option-state.ts);
 * without it no option intent is cleared. The pool states are not mutated.
 */
export function solveAuction(
  auction: Auction,
  pools: LiquidityAdapter[],
  opts: SolveOptions,
  positionState: PositionState = { markets: new Map(), positions: new Map() },
  optionState: OptionClearingState = { series: new Map(), holdings: new Map() },
): AuctionSolution {
  const { solution: spot, stats } = solve(auction, pools, opts);
  const pos = clearPositions({ ...positionState, auction, now: opts.now ?? 0 });
  const opt = clearOptions({ ...optionState, auction, now: opts.now ?? 0 });
  // the hedge takes the users' clearing as it is: it only adds the vault's fill and the perp
  // vault's new remainder, never moving a price
  const hedged = addVaultHedges({
    positions: pos,
    markets: positionState.markets,
    views: optionState.vaultHedge ?? new Map(),
    sourceTrades: optionState.vaultHedge ? opt.sourceTrades : [],
    seriesMarket: (series) => optionState.series.get(series)?.market,
    optionSeriesCount: opt.optionPremiums.length,
  });
  return {
    solution: {
      ...spot,
      marketPrices: hedged.positions.marketPrices,
      ...(opt.optionPremiums.length ? { optionPremiums: opt.optionPremiums } : {}),
      trades: [...spot.trades, ...pos.trades, ...opt.trades],
    },
    stats,
    positionTrades: pos.trades.length + opt.trades.length,
    vaultTrades: hedged.positions.vaultTrades,
    ownTrades: pos.ownTrades,
    optionSourceTrades: opt.sourceTrades,
    optionVaultHedges: hedged.hedges,
    hedgeSkips: hedged.skipped,
  };
}
