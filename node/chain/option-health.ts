// What protocol/options/option-health.ts needs to value an account's options as the option book
// does, read from the chain at one block: the account's series and sizes, their terms and
// settlement prices, and per underlying the mark, the perp, the margin fractions and the surface.
import type { Address, PublicClient } from 'viem';
import { clearingHouseAbi } from '../../contracts/artifacts/ClearingHouse.ts';
import { optionBookAbi } from '../../contracts/artifacts/OptionBook.ts';
import { optionSeriesAbi } from '../../contracts/artifacts/OptionSeries.ts';
import { volatilityFeedAbi } from '../../contracts/artifacts/VolatilityFeed.ts';
import type { HeldOption, UnderlyingState } from '../../protocol/options/option-health.ts';
import type { MarginParams } from '../../protocol/options/portfolio-margin.ts';
import { isFresh } from '../../protocol/options/vol-surface.ts';

export type OptionHealthInputs = {
  held: HeldOption[];
  underlyings: Map<number, UnderlyingState>;
  /** The block's timestamp. */
  now: bigint;
  params: MarginParams;
};

/**
 * The option book's view of `account` at `blockNumber` (default latest); `alsoMarkets` adds the
 * state of underlyings the account holds no options on yet (to value a trade that would open one).
 */
export async function readOptionHealthInputs(
  client: PublicClient,
  book: Address,
  account: Address,
  blockNumber?: bigint,
  alsoMarkets: readonly number[] = [],
): Promise<OptionHealthInputs> {
  const block = await client.getBlock(blockNumber === undefined ? { blockTag: 'latest' } : { blockNumber });
  const at = { blockNumber: block.number };
  const read = { address: book, abi: optionBookAbi, ...at } as const;
  const [ids, house, registry, feed, params] = await Promise.all([
    client.readContract({ ...read, functionName: 'seriesOf', args: [account] }),
    client.readContract({ ...read, functionName: 'clearingHouse' }),
    client.readContract({ ...read, functionName: 'registry' }),
    client.readContract({ ...read, functionName: 'volatilityFeed' }),
    client.readContract({ ...read, functionName: 'params' }),
  ]);
  const held = await Promise.all(
    ids.map(async (id): Promise<HeldOption> => {
      const [size, s] = await Promise.all([
        client.readContract({ ...read, functionName: 'positionOf', args: [account, id] }),
        client.readContract({ address: registry, abi: optionSeriesAbi, functionName: 'series', args: [id], ...at }),
      ]);
      return { market: s.market, strike: s.strike, expiry: s.expiry, isCall: s.isCall, size, settlementPrice: s.settlementPrice };
    }),
  );
  const maxAge = await client.readContract({ address: feed, abi: volatilityFeedAbi, functionName: 'maxAge', ...at });
  const underlyings = new Map<number, UnderlyingState>();
  await Promise.all(
    [...new Set([...held.map((o) => o.market), ...alsoMarkets])].map(async (m) => {
      const ch = { address: house, abi: clearingHouseAbi, ...at } as const;
      const [[mark, fresh], position, config, [tenors, nodes, vols, publishedAt]] = await Promise.all([
        client.readContract({ ...ch, functionName: 'markPrice', args: [m] }),
        client.readContract({ ...ch, functionName: 'position', args: [account, m] }),
        client.readContract({ ...ch, functionName: 'marketConfig', args: [m] }),
        client.readContract({ address: feed, abi: volatilityFeedAbi, functionName: 'surface', args: [BigInt(m)], ...at }),
      ]);
      underlyings.set(m, {
        mark,
        fresh,
        perpSize: position.size,
        initialMarginFraction: config.initialMarginFraction,
        maintenanceMarginFraction: config.maintenanceMarginFraction,
        surface: { tenors, nodes, vols },
        surfaceFresh: isFresh(publishedAt, block.timestamp, maxAge),
      });
    }),
  );
  return {
    held,
    underlyings,
    now: block.timestamp,
    params: {
      priceShocks: params.priceShocks,
      volShockUp: params.volShockUp,
      volShockDown: params.volShockDown,
      shortFloor: params.shortFloor,
      maintenanceFraction: params.maintenanceFraction,
    },
  };
}
