// The listed option series as the dashboard shows them: every market's live series from the
// OptionSeries registry, each valued now with the same maths the chain uses (Black-Scholes mirror,
// the volatility surface mirror at k = ln(strike / mark) and the time left) and its greeks. A
// series the maths cannot value (stale or missing surface, a strike outside the pricing domain, too
// little time left) is listed with the reason instead. Display only.
import type { Address, PublicClient } from 'viem';
import { optionBookAbi } from '../../contracts/artifacts/OptionBook.ts';
import { optionSeriesAbi } from '../../contracts/artifacts/OptionSeries.ts';
import { volatilityFeedAbi } from '../../contracts/artifacts/VolatilityFeed.ts';
import type { MarketInfo, OptionSeriesRow } from '../../protocol/api.ts';
import { BlackScholesDomain, blackScholes, ln } from '../../protocol/options/black-scholes.ts';
import { greeks } from '../../protocol/options/greeks.ts';
import { impliedVol, isFresh, type VolSurface } from '../../protocol/options/vol-surface.ts';

const WAD = 10n ** 18n;

/** A market's published surface and whether it is fresh at the block read. */
export type Surface = VolSurface & { fresh: boolean };

/**
 * Every market's live series valued now; with `book` (the clearing house's option book) each row
 * carries the series' open interest (contracts held long, which equal those held short).
 */
export async function readOptionSeries(
  client: PublicClient,
  registry: Address,
  volatilityFeed: Address | undefined,
  markets: readonly Pick<MarketInfo, 'id' | 'name' | 'mark' | 'fresh'>[],
  book?: Address,
): Promise<OptionSeriesRow[]> {
  const block = await client.getBlock({ blockTag: 'latest' });
  const now = block.timestamp;
  const perMarket = await Promise.all(
    markets.map(async (m) => {
      const [ids, surface] = await Promise.all([
        client.readContract({ address: registry, abi: optionSeriesAbi, functionName: 'liveSeries', args: [m.id] }),
        volatilityFeed ? readMarketSurface(client, volatilityFeed, m.id, now) : undefined,
      ]);
      const [series, interest] = await Promise.all([
        Promise.all(ids.map((id) => client.readContract({ address: registry, abi: optionSeriesAbi, functionName: 'series', args: [id] }))),
        Promise.all(
          ids.map((id) =>
            book ? client.readContract({ address: book, abi: optionBookAbi, functionName: 'openInterest', args: [id] }) : undefined,
          ),
        ),
      ]);
      return series.map((s, k) => {
        const row = valueSeries(ids[k]!, s, m, surface, now);
        const oi = interest[k];
        return oi === undefined ? row : { ...row, openInterest: oi[0].toString() };
      });
    }),
  );
  return perMarket.flat().sort((a, b) => a.market - b.market || a.expiry - b.expiry || cmp(BigInt(a.strike), BigInt(b.strike)));
}

const cmp = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);

export async function readMarketSurface(client: PublicClient, feed: Address, market: number, now: bigint): Promise<Surface> {
  const [[tenors, nodes, vols, publishedAt], maxAge] = await Promise.all([
    client.readContract({ address: feed, abi: volatilityFeedAbi, functionName: 'surface', args: [BigInt(market)] }),
    client.readContract({ address: feed, abi: volatilityFeedAbi, functionName: 'maxAge' }),
  ]);
  return { tenors, nodes, vols, fresh: isFresh(publishedAt, now, maxAge) };
}

/** One series valued at `now` (per 1e18 contracts), or with the reason it cannot be. */
export function valueSeries(
  id: bigint,
  s: { market: number; strike: bigint; expiry: bigint; isCall: boolean },
  m: Pick<MarketInfo, 'name' | 'mark' | 'fresh'>,
  surface: Surface | undefined,
  now: bigint,
): OptionSeriesRow {
  const left = s.expiry > now ? s.expiry - now : 0n;
  const base = {
    id: id.toString(),
    market: s.market,
    name: m.name,
    isCall: s.isCall,
    strike: s.strike.toString(),
    expiry: Number(s.expiry),
    secondsToExpiry: Number(left),
  };
  const none = (unpriced: string): OptionSeriesRow => ({
    ...base,
    vol: null,
    price: null,
    delta: null,
    gamma: null,
    vega: null,
    theta: null,
    unpriced,
  });
  const mark = BigInt(m.mark);
  if (!m.fresh) return none('the oracle mark is stale');
  if (!surface || surface.tenors.length === 0) return none('no volatility surface');
  if (!surface.fresh) return none('the volatility surface is stale');
  try {
    const vol = impliedVol(surface, ln((s.strike * WAD) / mark), left);
    const p = blackScholes(mark, s.strike, left, vol);
    const g = greeks(mark, s.strike, left, vol);
    return {
      ...base,
      vol: vol.toString(),
      price: (s.isCall ? p.call : p.put).toString(),
      delta: (s.isCall ? g.callDelta : g.putDelta).toString(),
      gamma: g.gamma.toString(),
      vega: g.vega.toString(),
      theta: g.theta.toString(),
    };
  } catch (e) {
    if (e instanceof BlackScholesDomain) return none(`outside the pricing domain (${e.reason})`);
    throw e;
  }
}
