// Uniform clearing of option intents, one series at a time (the option book's rule: one premium
// per series, every contract bought is one sold). Buyers (size > 0, a premium ceiling) meet sellers
// (size < 0, a floor), and a liquidity source's quote (the options vault: all of its size or
// nothing, at its premium) is one more order. Among the orders' limits, the premium that matches
// the most contracts wins, then the one with the most surplus; the matched set is then priced at
// the midpoint of its crossing range (both sides share the surplus, as the perps' midpoint rule),
// or, when the source fills, at the end of the range best for the traders (the source gets its
// quote or better, the traders the rest).
//
// Fill-or-kill intents fill whole or not at all, partially fillable ones any part; the best limits
// fill first. Reduce-only intents fill at most the account's opposite holding (the book clamps a
// larger fill, which would break the series' net): a fill-or-kill one larger than the holding is
// left out. A series whose underlying's circuit breaker is halted clears only reduce-only intents,
// without the source. One fill per account and series (the book's rule): an account's best order.
// The book keeps at most MAX_ACCOUNT_OPTIONS open series per account and reverts the whole batch
// past it: when the fills would open more new series for an account (the source included) than it
// has free slots, its fills in the latest of those series are left out and the batch cleared again,
// so an intent that does not fill never holds a slot another could use; the rest wait.
import { optionLimitHolds } from '../../protocol/clearing.ts';
import { MAX_ACCOUNT_OPTIONS } from '../../protocol/options/option-health.ts';
import type { Auction } from '../../protocol/score.ts';
import type { OptionIntent } from '../../protocol/intent.ts';
import type { OptionPremium, Solution, SolutionTrade } from '../../protocol/solution.ts';
import { lower } from './address.ts';

/** An intent id (the protocol's type, without importing viem here). */
type Hex = SolutionTrade['intentId'];

/** Intents this close to their validTo are left out: the bundle would land after it. */
const MIN_VALIDITY_SEC = 2;
/** Bound on the rounds that bring both sides of a candidate premium to the same volume. */
const BALANCE_ROUNDS = 64;
/** Fill-or-kill orders per side whose subsets are searched for an exact volume (2^10 subsets). */
const SUBSET_ORDERS = 10;

/** A live (unexpired) series of the chain's registry, and whether its underlying is halted. */
export type OptionSeriesState = { market: number; halted?: boolean };

/** A liquidity source's firm quote: it takes `sizeDelta` (its own side: negative sells) at `premium`, all or nothing. */
export type OptionSourceQuote = { sizeDelta: bigint; premium: bigint };

export type ClearOptionsInput = {
  auction: Auction;
  /** The live series; option intents of any other series are left out. */
  series: ReadonlyMap<bigint, OptionSeriesState>;
  /** Holdings of reduce-only intents' accounts, keyed by `holdingKey`. */
  holdings: ReadonlyMap<string, bigint>;
  /** One source quote per series (absent: peers only). */
  quotes?: ReadonlyMap<bigint, OptionSourceQuote>;
  /**
   * The series each account with an option intent holds now (lower-case address; `source` for the
   * liquidity source): what the book's per-account bound counts. Absent: taken as none held.
   */
  openSeries?: ReadonlyMap<string, ReadonlySet<bigint>>;
  /** Unix seconds. */
  now: number;
};

/** The source's fill: its signed side and the premium limit it signs (its quote). */
export type SourceTrade = { series: bigint; sizeDelta: bigint; premiumLimit: bigint };

export type OptionClearing = { optionPremiums: OptionPremium[]; trades: SolutionTrade[]; sourceTrades: SourceTrade[] };

export const holdingKey = (account: string, series: bigint): string => `${lower(account)}:${series}`;

type Order = {
  /** The intent's id; none for the source's quote. */
  id?: Hex;
  account: string;
  buy: boolean;
  limit: bigint;
  /** What this batch may fill of it. */
  size: bigint;
  partial: boolean;
};

type Match = { fills: Map<Order, bigint>; volume: bigint; surplus: bigint };

export const SOURCE = 'source';

/** Series left out per account (`source` for the liquidity source) because of the book's bound. */
type Excluded = Map<string, Set<bigint>>;

/** Every series' clearing, series ascending, within the book's open-series bound per account. */
export function clearOptions(input: ClearOptionsInput): OptionClearing {
  const excluded: Excluded = new Map();
  // each round leaves out at least one (account, series): bounded by the auction's intents
  for (let round = 0; ; round++) {
    const out = clearWithout(input, excluded);
    const over = overBound(input, out, excluded);
    if (!over || round > input.auction.intents.size) return out;
  }
}

/**
 * Adds to `excluded`, per account whose fills open more new series than it has free slots, the
 * latest of those series (highest id); whether any account was over.
 */
function overBound(input: ClearOptionsInput, out: OptionClearing, excluded: Excluded): boolean {
  const opened = new Map<string, Set<bigint>>();
  const open = (account: string, series: bigint): void => {
    if (input.openSeries?.get(account)?.has(series)) return;
    opened.set(account, (opened.get(account) ?? new Set()).add(series));
  };
  const options = new Map<string, OptionIntent>();
  for (const [id, e] of input.auction.intents) if (e.intent.type === 'option') options.set(lower(id), e.intent.intent);
  for (const t of out.trades) {
    const o = options.get(lower(t.intentId));
    if (o) open(lower(o.account), o.series);
  }
  for (const t of out.sourceTrades) open(SOURCE, t.series);
  let over = false;
  for (const [account, series] of opened) {
    const free = MAX_ACCOUNT_OPTIONS - (input.openSeries?.get(account)?.size ?? 0);
    if (series.size <= free) continue;
    over = true;
    const latest = [...series].sort((a, b) => (a < b ? 1 : -1)).slice(0, series.size - free);
    const set = excluded.get(account) ?? new Set<bigint>();
    for (const id of latest) set.add(id);
    excluded.set(account, set);
  }
  return over;
}

function clearWithout(input: ClearOptionsInput, excluded: Excluded): OptionClearing {
  const out: OptionClearing = { optionPremiums: [], trades: [], sourceTrades: [] };
  const bySeries = ordersBySeries(input, excluded);
  for (const series of [...bySeries.keys()].sort((a, b) => (a < b ? -1 : 1))) {
    const orders = bySeries.get(series)!;
    const quote = input.quotes?.get(series);
    if (quote && !input.series.get(series)?.halted && quote.sizeDelta !== 0n && !excluded.get(SOURCE)?.has(series)) {
      const size = quote.sizeDelta < 0n ? -quote.sizeDelta : quote.sizeDelta;
      orders.push({ account: SOURCE, buy: quote.sizeDelta > 0n, limit: quote.premium, size, partial: false });
    }
    const cleared = clearSeries(orders);
    if (!cleared) continue;
    out.optionPremiums.push({ series, premium: cleared.premium });
    for (const [o, executed] of cleared.fills) {
      if (o.id) out.trades.push({ intentId: o.id, executed });
      else out.sourceTrades.push({ series, sizeDelta: o.buy ? executed : -executed, premiumLimit: o.limit });
    }
  }
  return out;
}

/**
 * What a liquidity source would be asked per series, from its own side: minus the signed size the
 * peers leave unmatched (negative: the source sells to the unmatched buyers). Halted series none.
 */
export function optionSourceDemand(input: ClearOptionsInput): Map<bigint, bigint> {
  const peers = clearOptions({ ...input, quotes: new Map() });
  const filled = new Map(peers.trades.map((t) => [lower(t.intentId), t.executed]));
  const demand = new Map<bigint, bigint>();
  for (const [series, orders] of ordersBySeries(input)) {
    if (input.series.get(series)?.halted) continue;
    let net = 0n;
    for (const o of orders) {
      const left = o.size - (filled.get(lower(o.id!)) ?? 0n);
      if (o.partial || left === o.size) net += o.buy ? left : -left;
    }
    if (net !== 0n) demand.set(series, -net);
  }
  return demand;
}

/**
 * `solution` with every option series whose kept fills (users' trades and own option liquidity) no
 * longer net to zero left out whole: its trades, its liquidity and its premium. For a solution
 * whose trades were cut without a re-solve (a runner-up settling what is still open): one missing
 * side of a series would make the whole batch revert. `optionOf`: a trade's option intent, if it is one.
 */
export function wholeOptionSeries(solution: Solution, optionOf: (id: Hex) => OptionIntent | undefined): Solution {
  if (!solution.optionPremiums?.length) return solution;
  const net = new Map<bigint, bigint>();
  const add = (o: OptionIntent, executed: bigint) => net.set(o.series, (net.get(o.series) ?? 0n) + (o.size > 0n ? executed : -executed));
  for (const t of solution.trades) {
    const o = optionOf(t.intentId);
    if (o) add(o, t.executed);
  }
  for (const l of solution.optionLiquidity ?? []) add(l.intent, l.executed);
  const broken = (series: bigint): boolean => (net.get(series) ?? 0n) !== 0n || !net.has(series);
  if (!solution.optionPremiums.some((p) => broken(p.series))) return solution;
  return {
    ...solution,
    trades: solution.trades.filter((t) => {
      const o = optionOf(t.intentId);
      return !o || !broken(o.series);
    }),
    optionPremiums: solution.optionPremiums.filter((p) => !broken(p.series)),
    optionLiquidity: (solution.optionLiquidity ?? []).filter((l) => !broken(l.intent.series)),
  };
}

/** The auction's option intents as orders per live series (one per account: its best limit). */
function ordersBySeries(input: ClearOptionsInput, excluded: Excluded = new Map()): Map<bigint, Order[]> {
  const best = new Map<string, { series: bigint; order: Order }>();
  for (const [id, e] of input.auction.intents) {
    if (e.intent.type !== 'option') continue;
    const o = e.intent.intent;
    const state = input.series.get(o.series);
    if (!state || o.validTo < input.now + MIN_VALIDITY_SEC) continue;
    const full = o.size < 0n ? -o.size : o.size;
    let size = full - (e.filled ?? 0n);
    if (size <= 0n || (!o.partiallyFillable && size !== full)) continue;
    if (o.reduceOnly) {
      const held = input.holdings.get(holdingKey(o.account, o.series)) ?? 0n;
      if (held === 0n || held > 0n === o.size > 0n) continue;
      const room = held < 0n ? -held : held;
      if (size > room) {
        if (!o.partiallyFillable) continue;
        size = room;
      }
    } else if (state.halted) continue;
    if (excluded.get(lower(o.account))?.has(o.series)) continue;
    const order: Order = {
      id: lower(id) as Hex,
      account: lower(o.account),
      buy: o.size > 0n,
      limit: o.premiumLimit,
      size,
      partial: o.partiallyFillable,
    };
    const key = `${order.account}:${o.series}`;
    const prev = best.get(key);
    if (!prev || prefer(order, prev.order)) best.set(key, { series: o.series, order });
  }
  const out = new Map<bigint, Order[]>();
  for (const { series, order } of best.values()) {
    const list = out.get(series) ?? [];
    list.push(order);
    out.set(series, list);
  }
  return out;
}

/** Priority within a side: the better limit first (a buyer's higher, a seller's lower), then the larger, then the id. */
function prefer(a: Order, b: Order): boolean {
  if (a.limit !== b.limit) return a.buy ? a.limit > b.limit : a.limit < b.limit;
  if (a.size !== b.size) return a.size > b.size;
  return (a.id ?? '') < (b.id ?? '');
}

const byPriority = (a: Order, b: Order): number => (prefer(a, b) ? -1 : prefer(b, a) ? 1 : 0);

/** The series' premium and fills: the candidate limit with the most volume, then surplus. */
function clearSeries(orders: Order[]): { premium: bigint; fills: Map<Order, bigint> } | undefined {
  const candidates = [...new Set(orders.map((o) => o.limit))];
  let best: Match | undefined;
  for (const p of candidates) {
    const buyers = orders.filter((o) => o.buy && optionLimitHolds({ size: 1n, premiumLimit: o.limit }, p)).sort(byPriority);
    const sellers = orders.filter((o) => !o.buy && optionLimitHolds({ size: -1n, premiumLimit: o.limit }, p)).sort(byPriority);
    const m = balance(buyers, sellers, p);
    if (m && (!best || m.volume > best.volume || (m.volume === best.volume && m.surplus > best.surplus))) best = m;
  }
  if (!best) return undefined;
  const filled = [...best.fills.keys()];
  const source = filled.find((o) => o.account === SOURCE);
  const floor = filled.filter((o) => !o.buy).reduce((x, o) => (o.limit > x ? o.limit : x), 0n);
  const ceiling = filled.filter((o) => o.buy).reduce((x, o) => (o.limit < x ? o.limit : x), filled.find((o) => o.buy)!.limit);
  // with the source, the traders' best premium the filled orders allow; else the midpoint
  const premium = source ? (source.buy ? ceiling : floor) : (floor + ceiling) / 2n;
  return { premium, fills: best.fills };
}

/** Both sides filled to one volume (fill-or-kill orders whole), as large as the greedy finds. */
function balance(buyers: Order[], sellers: Order[], p: bigint): Match | undefined {
  const total = (side: Order[]) => side.reduce((x, o) => x + o.size, 0n);
  let target = total(buyers) < total(sellers) ? total(buyers) : total(sellers);
  for (let round = 0; round < BALANCE_ROUNDS && target > 0n; round++) {
    const b = take(buyers, target);
    const s = take(sellers, b.volume);
    if (s.volume === b.volume && b.volume > 0n) {
      const fills = new Map([...b.fills, ...s.fills]);
      let surplus = 0n;
      for (const [o, x] of fills) surplus += x * (o.buy ? o.limit - p : p - o.limit);
      return { fills, volume: b.volume, surplus };
    }
    target = s.volume;
  }
  return undefined;
}

/**
 * Fills a side up to `target`: the fill-or-kill orders whole (the subset of the first
 * `SUBSET_ORDERS` by priority that gets closest to the target, the others greedily after them), the
 * partially fillable ones in priority order for the rest.
 */
function take(side: Order[], target: bigint): { fills: Map<Order, bigint>; volume: bigint } {
  const fok = side.filter((o) => !o.partial);
  const partial = side.filter((o) => o.partial);
  const partialRoom = partial.reduce((x, o) => x + o.size, 0n);
  const head = fok.slice(0, SUBSET_ORDERS);
  let bestMask = 0;
  let bestVolume = -1n;
  for (let mask = 0; mask < 1 << head.length; mask++) {
    let sum = 0n;
    for (let k = 0; k < head.length; k++) if (mask & (1 << k)) sum += head[k]!.size;
    if (sum > target) continue;
    const volume = sum + partialRoom < target ? sum + partialRoom : target;
    if (volume > bestVolume) {
      bestVolume = volume;
      bestMask = mask;
    }
    if (volume === target) break;
  }
  const fills = new Map<Order, bigint>();
  let left = target;
  head.forEach((o, k) => {
    if (bestMask & (1 << k)) {
      fills.set(o, o.size);
      left -= o.size;
    }
  });
  for (const o of [...fok.slice(SUBSET_ORDERS), ...partial]) {
    if (left === 0n) break;
    const x = o.partial ? (o.size < left ? o.size : left) : o.size <= left ? o.size : 0n;
    if (x > 0n) {
      fills.set(o, x);
      left -= x;
    }
  }
  return { fills, volume: target - left };
}
