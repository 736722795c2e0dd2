// The engine's whole answer for an auction: its swap intents solved by the strategy (solve.ts)
// and its position intents cleared per market (positions.ts), in one solution.
import type { Auction } from '../../protocol/score.ts';
import type { Solution } from '../../protocol/solution.ts';
import type { LiquidityAdapter } from './liquidity/adapter.ts';
import type { SolveOptions } from './options.ts';
import { type ClearPositionsInput, clearPositions, type OwnTrade, type PositionMarket, type VaultTrade } from './positions.ts';
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
};

/** What position clearing needs beyond the auction: the chain's view of markets, positions, the vault. */
export type PositionState = Omit<ClearPositionsInput, 'auction' | 'now'>;

/**
 * `marks`: oracle marks by market. `positionState`, when given, replaces them: deviation bands,
 * the vault and account positions. Without it every market gets a zero deviation band (risk-
 * increasing fills at the mark only), no vault and no known positions (no reduce-only fills).
 * The pool states are not mutated.
 */
export function solveAuction(
  auction: Auction,
  pools: LiquidityAdapter[],
  marks: ReadonlyMap<number, bigint>,
  opts: SolveOptions,
  positionState?: PositionState,
): AuctionSolution {
  const { solution: spot, stats } = solve(auction, pools, opts);
  const pos = clearPositions({ ...(positionState ?? markOnly(marks)), auction, now: opts.now ?? 0 });
  return {
    solution: { ...spot, marketPrices: pos.marketPrices, trades: [...spot.trades, ...pos.trades] },
    stats,
    positionTrades: pos.trades.length,
    vaultTrades: pos.vaultTrades,
    ownTrades: pos.ownTrades,
  };
}

function markOnly(marks: ReadonlyMap<number, bigint>): PositionState {
  const markets = new Map<number, PositionMarket>();
  for (const [market, mark] of marks) markets.set(market, { mark, maxPriceDeviation: 0n });
  return { markets, positions: new Map() };
}
