// The liquidity sources' fills of one solve as the solution's own liquidity: the perp vault's
// remainders and the options vault's perp hedges as position liquidity, the options vault's option
// fills as option liquidity, each authorised on chain by its contract's EIP-1271 check. Nonces are
// derived from the auction id and the fill's index in the batch (perp-state.ts, option-state.ts).
import type { Address } from 'viem';
import type { LiquidityTrade, OptionLiquidityTrade, Solution } from '../../protocol/solution.ts';
import type { HedgeTrade } from '../domain/option-hedge.ts';
import type { SourceTrade } from '../domain/option-clearing.ts';
import type { VaultTrade } from '../domain/positions.ts';
import { optionVaultHedgeLiquidity, optionVaultLiquidity } from './option-state.ts';
import { vaultLiquidity } from './perp-state.ts';

export type SourceFills = {
  solution: Solution;
  vaultTrades: readonly VaultTrade[];
  optionSourceTrades: readonly SourceTrade[];
  optionVaultHedges: readonly HedgeTrade[];
};

/** The fills as liquidity; a source without an address (not configured) adds none. */
export function sourceLiquidity(
  r: SourceFills,
  o: { perpVault?: Address; optionVault?: Address; auctionId: bigint; now: number },
): { liquidity: LiquidityTrade[]; optionLiquidity: OptionLiquidityTrade[] } {
  const { auctionId, now } = o;
  const marketIndex = (market: number) => r.solution.marketPrices.findIndex((m) => m.market === market);
  const liquidity: LiquidityTrade[] = [];
  const optionLiquidity: OptionLiquidityTrade[] = [];
  if (o.perpVault)
    for (const t of r.vaultTrades) liquidity.push(vaultLiquidity(o.perpVault, t, { auctionId, index: marketIndex(t.market), now }));
  if (o.optionVault) {
    const premiums = r.solution.optionPremiums ?? [];
    for (const t of r.optionSourceTrades) {
      const index = premiums.findIndex((p) => p.series === t.series);
      optionLiquidity.push(optionVaultLiquidity(o.optionVault, t, { auctionId, index, now }));
    }
    for (const h of r.optionVaultHedges)
      liquidity.push(optionVaultHedgeLiquidity(o.optionVault, h, { auctionId, index: marketIndex(h.market), now }));
  }
  return { liquidity, optionLiquidity };
}
