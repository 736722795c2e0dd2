// The option series the devnet lists at deployment: on every perp market, calls and puts at 90%,
// 100% and 110% of the market's starting price, expiring 7 and 30 days after the deployment at
// 08:00 UTC (the hour the big crypto option venues expire at). Listing is an owner power: it happens
// before the registry goes to the timelock, like the markets themselves.
import type { SeriesTerms } from '../contracts/deploy/option-series.ts';

const DAY = 86_400n;
const EXPIRY_HOUR = 8n * 3600n;
/** Strikes as per cent of the starting price. */
const MONEYNESS_PCT = [90n, 100n, 110n];
const EXPIRY_DAYS = [7n, 30n];

/**
 * The series for `markets` (id and starting price, collateral units per 1e18 size) at unix `now`:
 * 3 strikes x 2 expiries per market, each a call and a put (12 per market).
 */
export function devnetSeries(markets: readonly { id: number; price: bigint }[], now: bigint): SeriesTerms[] {
  const out: SeriesTerms[] = [];
  for (const days of EXPIRY_DAYS) {
    const day = (now + days * DAY) / DAY;
    const expiry = day * DAY + EXPIRY_HOUR;
    for (const m of markets)
      for (const pct of MONEYNESS_PCT)
        for (const isCall of [true, false]) out.push({ market: m.id, strike: (m.price * pct) / 100n, expiry, isCall });
  }
  return out;
}
