// The engine's whole answer for an auction: its swap intents solved by the strategy (solve.ts)
// and its position intents matched per market (positions.ts), in one solution.
import type { Auction } from '../../protocol/score.ts';
import type { Solution } from '../../protocol/solution.ts';
import type { LiquidityAdapter } from './liquidity/adapter.ts';
import type { SolveOptions } from './options.ts';
import { matchPositions } from './positions.ts';
import type { SolveStats } from './result.ts';
import { solve } from './solve.ts';

type AuctionSolution = { solution: Solution; stats: SolveStats; positionTrades: number };

/** `marks`: oracle marks by market (see matchPositions). The pool states are not mutated. */
export function solveAuction(
  auction: Auction,
  pools: LiquidityAdapter[],
  marks: ReadonlyMap<number, bigint>,
  opts: SolveOptions,
): AuctionSolution {
  const { solution: spot, stats } = solve(auction, pools, opts);
  const pos = matchPositions(auction, marks, opts.now ?? 0);
  return {
    solution: { ...spot, marketPrices: pos.marketPrices, trades: [...spot.trades, ...pos.trades] },
    stats,
    positionTrades: pos.trades.length,
  };
}
