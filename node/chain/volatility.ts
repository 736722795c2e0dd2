// The options' implied-volatility surfaces as the dashboard shows them: every listed market's
// surface read from the VolatilityFeed (contracts/src/options/VolatilityFeed.sol), split into one
// smile per published tenor, with the freshness the contract itself would report at the latest
// block (protocol/options/vol-surface.ts `isFresh`). Display only: nothing here feeds the pool.
import type { Address, PublicClient } from 'viem';
import { volatilityFeedAbi } from '../../contracts/artifacts/VolatilityFeed.ts';
import type { MarketInfo, VolatilityMarket } from '../../protocol/api.ts';
import { isFresh } from '../../protocol/options/vol-surface.ts';

export type VolatilityRead = { maxAge: number; markets: VolatilityMarket[] };

/** Each of `markets`' surfaces on `feed` (a market never published has publishedAt 0 and no smiles). */
export async function readVolatility(
  client: PublicClient,
  feed: Address,
  markets: readonly Pick<MarketInfo, 'id' | 'name' | 'mark'>[],
): Promise<VolatilityRead> {
  const [maxAge, block, surfaces] = await Promise.all([
    client.readContract({ address: feed, abi: volatilityFeedAbi, functionName: 'maxAge' }),
    client.getBlock({ blockTag: 'latest' }),
    Promise.all(
      markets.map((m) => client.readContract({ address: feed, abi: volatilityFeedAbi, functionName: 'surface', args: [BigInt(m.id)] })),
    ),
  ]);
  return {
    maxAge: Number(maxAge),
    markets: markets.map((m, i) => {
      const [tenors, nodes, vols, publishedAt] = surfaces[i]!;
      return {
        market: m.id,
        name: m.name,
        mark: m.mark,
        publishedAt: Number(publishedAt),
        fresh: isFresh(publishedAt, block.timestamp, maxAge),
        smiles: tenors.map((t, r) => ({
          tenorSec: Number(t),
          points: nodes.map((k, j) => ({ k: k.toString(), vol: vols[r * nodes.length + j]!.toString() })),
        })),
      };
    }),
  };
}
