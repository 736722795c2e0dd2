// Position intents (perpetual markets): the minimal matcher. Per market, opposite fill-or-kill
// intents of equal |size| are paired at ONE uniform clearing price, the oracle mark, which must lie
// within both limits (long: mark <= limit; short: mark >= limit). Clearing at the mark keeps every
// fill inside the clearing house's deviation guard, and longs and shorts net to zero as the
// contract requires (no liquidity source takes a market's remainder). Pairs are taken best
// surplus first. Reduce-only intents are left out: matching them needs the account's position,
// which the solver does not read. The result goes into the solution's marketPrices and trades;
// the driver's bundle.ts encodes it as `Batch.positions`.
import type { Hex } from 'viem';
import type { PositionIntent } from '../../protocol/intent.ts';
import type { Auction } from '../../protocol/score.ts';
import type { MarketPrice, SolutionTrade } from '../../protocol/solution.ts';

type PositionMatch = { marketPrices: MarketPrice[]; trades: SolutionTrade[] };

const abs = (x: bigint): bigint => (x < 0n ? -x : x);

/** Intents valid for less than this (seconds) are left out: the batch must still be mined in time. */
const MIN_VALIDITY_SEC = 2;

/**
 * `marks`: market id -> oracle mark (collateral base units per 1e18 of size); markets without a
 * mark are skipped. `now`: unix seconds of the block solved on.
 */
export function matchPositions(auction: Auction, marks: ReadonlyMap<number, bigint>, now: number): PositionMatch {
  const byMarket = new Map<number, { id: Hex; p: PositionIntent }[]>();
  const minValid = now + MIN_VALIDITY_SEC;
  for (const [id, entry] of auction.intents) {
    if (entry.intent.type !== 'position') continue;
    const p = entry.intent.intent;
    if (p.reduceOnly || p.sizeDelta === 0n || p.validTo < minValid) continue;
    const list = byMarket.get(p.market) ?? [];
    list.push({ id: id.toLowerCase() as Hex, p });
    byMarket.set(p.market, list);
  }
  const marketPrices: MarketPrice[] = [];
  const trades: SolutionTrade[] = [];
  for (const market of [...byMarket.keys()].sort((a, b) => a - b)) {
    const mark = marks.get(market);
    if (!mark || mark <= 0n) continue;
    const list = byMarket.get(market)!;
    // equal sizes pair up; within a size, the largest surplus first, ties by id (deterministic)
    const sizes = new Map<bigint, { buys: typeof list; sells: typeof list }>();
    for (const e of list) {
      const s = abs(e.p.sizeDelta);
      const g = sizes.get(s) ?? { buys: [], sells: [] };
      if (e.p.sizeDelta > 0n) {
        if (e.p.limitPrice >= mark) g.buys.push(e);
      } else if (e.p.limitPrice <= mark) g.sells.push(e);
      sizes.set(s, g);
    }
    const picked: SolutionTrade[] = [];
    for (const [size, g] of sizes) {
      g.buys.sort((a, b) => (a.p.limitPrice === b.p.limitPrice ? (a.id < b.id ? -1 : 1) : a.p.limitPrice > b.p.limitPrice ? -1 : 1));
      g.sells.sort((a, b) => (a.p.limitPrice === b.p.limitPrice ? (a.id < b.id ? -1 : 1) : a.p.limitPrice < b.p.limitPrice ? -1 : 1));
      const n = Math.min(g.buys.length, g.sells.length);
      for (let k = 0; k < n; k++) {
        // one account on both sides of one pair would trade with itself: skip the pair
        if (g.buys[k]!.p.account.toLowerCase() === g.sells[k]!.p.account.toLowerCase()) continue;
        picked.push({ intentId: g.buys[k]!.id, executed: size }, { intentId: g.sells[k]!.id, executed: size });
      }
    }
    if (!picked.length) continue;
    marketPrices.push({ market, price: mark });
    trades.push(...picked);
  }
  return { marketPrices, trades };
}
