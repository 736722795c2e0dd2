// The options' read-only endpoints: GET /v1/volatility, every listed market's implied-volatility
// surface from the configured VolatilityFeed (config `volatilityFeed`), which the dashboard draws
// as one smile per expiry; GET /v1/options/series, the live series of the configured OptionSeries
// registry (config `optionSeries`) with their model price and greeks. Documented in node/openapi.json.
import type { Address } from 'viem';
import type { OptionSeriesResponse, VolatilityResponse } from '../../protocol/api.ts';
import { readOptionSeries } from '../chain/option-series.ts';
import type { ChainActivity } from '../chain/activity.ts';
import { readVolatility } from '../chain/volatility.ts';
import { cached, json, type Route } from './http.ts';

export type OptionsDeps = {
  /** The chain reads; absent when the node runs without --rpc-url. */
  chain?: ChainActivity;
  /** The options' volatility feed (config `volatilityFeed`). */
  volatilityFeed?: Address;
  /** The option series registry (config `optionSeries`). */
  optionSeries?: Address;
};

/** Surfaces change when the feeder publishes (every few seconds at most); open dashboards share one read. */
const VOLATILITY_CACHE_MS = 2_000;

const firstLine = (e: unknown): string => (e as Error).message.split('\n')[0] ?? 'error';

export function optionsRoutes(d: OptionsDeps): Route[] {
  const volatility = cached(VOLATILITY_CACHE_MS, async (): Promise<VolatilityResponse> => {
    const { chain, volatilityFeed: feed } = d;
    if (!feed) return { available: false, reason: 'no volatility feed configured (config volatilityFeed)' };
    if (!chain) return { available: false, reason: 'the node runs without --rpc-url' };
    try {
      const perp = await chain.markets();
      if (!perp) return { available: false, reason: 'the settlement has no clearing house' };
      return { available: true, feed, ...(await readVolatility(chain.client, feed, perp.markets)) };
    } catch (e) {
      return { available: false, reason: `RPC: ${firstLine(e)}` };
    }
  });
  const series = cached(VOLATILITY_CACHE_MS, async (): Promise<OptionSeriesResponse> => {
    const { chain, optionSeries: registry } = d;
    if (!registry) return { available: false, reason: 'no option series registry configured (config optionSeries)' };
    if (!chain) return { available: false, reason: 'the node runs without --rpc-url' };
    try {
      const perp = await chain.markets();
      if (!perp) return { available: false, reason: 'the settlement has no clearing house' };
      const book = await chain.optionBook();
      return { available: true, registry, series: await readOptionSeries(chain.client, registry, d.volatilityFeed, perp.markets, book) };
    } catch (e) {
      return { available: false, reason: `RPC: ${firstLine(e)}` };
    }
  });
  return [
    { method: 'GET', pattern: /^\/v1\/volatility$/, name: 'volatility', handle: async () => json<VolatilityResponse>(await volatility()) },
    {
      method: 'GET',
      pattern: /^\/v1\/options\/series$/,
      name: 'option_series',
      handle: async () => json<OptionSeriesResponse>(await series()),
    },
  ];
}
