// Position intents (perpetual markets): uniform clearing per market. Each market clears at one
// price chosen to maximise the users' surplus over their limits, given every source of
// liquidity: the other side's users, partial fills at the marginal price, the perp vault's quote
// curve (protocol/perp-vault.ts) and any quotes the solver signs itself ("own liquidity").
//
// Why the search looks the way it does. For fixed fills, surplus is linear in the price p (its
// slope is minus the net executed demand), and the fills stay valid on an interval of p bounded
// by the filled limits, the deviation band (risk-increasing fills only) and the vault's quote for
// the net it takes; so some optimum sits on a limit, a band edge or a vault quote point, and the
// users' net demand D(p) at full fills is a step function between limits. The search therefore
// tries every limit, the mark, the band edges, and the vault's quote for D on each step (the fixed
// point p = ask(D(p)) when D > 0, p = bid(-D(p)) when D < 0). At a fixed price the best fills are a
// small knapsack: fill everything inside its limit, and if the net is more than the liquidity
// takes, cut partially fillable intents of the least surplus per unit first (the marginal ones,
// whose limit equals the price, cost nothing), with fill-or-kill intents chosen by enumeration
// when few and greedily when many. Each fixed-price answer is then moved to the best price for
// its fills and re-solved there, a few rounds. The vault makes any remainder exact (it takes any
// net within its quote), so exact netting only constrains markets it is absent from.
//
// Contract rules honoured (spec section 3): one price per market; limits at that price;
// fill-or-kill fills |sizeDelta| exactly, partially fillable ones at most what is left; reduce-only
// needs an opposite non-zero position and its applied delta is clamped to |position| (netting uses
// the clamped size, the trade reports the requested one); one fill per (account, market); applied
// deltas net to zero with the vault's; risk-increasing fills need the price within the deviation
// band (none at all while the market's circuit breaker is halted); intents valid for less than two
// more seconds are left out.
import type { Address, Hex } from 'viem';
import { abs } from '../../protocol/margin.ts';
import { type VaultMarketParams, vaultQuote } from '../../protocol/perp-vault.ts';
import type { Auction } from '../../protocol/score.ts';
import type { MarketPrice, SolutionTrade } from '../../protocol/solution.ts';
import { lower } from './address.ts';

const WAD = 10n ** 18n;

/** Intents valid for less than this (seconds) are left out: the batch must still be mined in time. */
const MIN_VALIDITY_SEC = 2;
/** Fill-or-kill subsets times net ranges enumerated exhaustively at one price, at most (else greedy). */
const ENUMERATE_BUDGET = 256;
/** Combinations of the choice of one intent per account tried at one price, at most. */
const MAX_ACCOUNT_COMBOS = 16;
/** Rounds of "move to the best price for these fills, re-solve there". */
const REFINE_ROUNDS = 4;

export type PositionVault = {
  /** The vault's current position in the market (1e18 size). */
  size: bigint;
  params: VaultMarketParams;
  /** The market's `enabled` flag in the vault; absent means enabled. */
  enabled?: boolean;
  /** A further cap on |size after the fill|, e.g. the market's share of the leverage room (vaultLeverageSizeCap). */
  maxAbsSize?: bigint;
};

export type PositionMarket = {
  /** Oracle mark (collateral base units per 1e18 of size). */
  mark: bigint;
  /** Risk-increasing fills need |price - mark| * 1e18 <= maxPriceDeviation * mark. */
  maxPriceDeviation: bigint;
  /**
   * The market's circuit breaker has halted risk-increasing fills (CircuitBreaker.isHalted at the
   * block solved on): only pure reductions clear, as outside the deviation band, so the others
   * stay open for a later auction instead of reverting the batch.
   */
  halted?: boolean;
  vault?: PositionVault;
};

/** A quote the solver signs itself: filled like a user's intent but adding no surplus. */
export type OwnQuote = {
  id: Hex;
  account: Address;
  market: number;
  sizeDelta: bigint;
  limitPrice: bigint;
  partiallyFillable: boolean;
};

export type ClearPositionsInput = {
  auction: Auction;
  /** Unix seconds of the block solved on. */
  now: number;
  /** Markets the solver may clear; intents in other markets are left out. */
  markets: ReadonlyMap<number, PositionMarket>;
  /** Current position size by lower-case account, then market; absent means zero. */
  positions: ReadonlyMap<string, ReadonlyMap<number, bigint>>;
  ownLiquidity?: readonly OwnQuote[];
};

/** The vault's fill: limitPrice is vaultQuote for sizeDelta, what its EIP-1271 check demands. */
export type VaultTrade = { market: number; sizeDelta: bigint; limitPrice: bigint };
/** An own quote's fill, |size| executed. */
export type OwnTrade = { id: Hex; market: number; executed: bigint };

export type PositionClearing = {
  marketPrices: MarketPrice[];
  /** Users' fills; executed is the |size| requested (a reduce-only one is clamped on chain). */
  trades: SolutionTrade[];
  vaultTrades: VaultTrade[];
  ownTrades: OwnTrade[];
  /** Sum over users' fills of |executed| * (limit - price) / 1e18 (short: price - limit), each rounded down. */
  surplus: bigint;
};

type Entry = {
  id: Hex;
  account: string;
  long: boolean;
  limit: bigint;
  /** The most |size| the trade may execute: |sizeDelta| (less what is filled, if partially fillable). */
  rem: bigint;
  partial: boolean;
  reduceOnly: boolean;
  own: boolean;
  /** |position| when the position is opposite to the intent (a fill can reduce it), else 0. */
  reducible: bigint;
};

/** An entry as it can fill at one price. */
type Item = {
  e: Entry;
  /** Surplus per unit executed (scaled by 1e18); 0 for own quotes. */
  gap: bigint;
  fullExec: bigint;
  fullApplied: bigint;
};

type Fill = { e: Entry; exec: bigint; applied: bigint };
/** value: surplus unrounded (scaled by 1e18), what the search compares; surplus: as scored, each fill rounded down. */
type Plan = { price: bigint; fills: Fill[]; net: bigint; value: bigint; surplus: bigint; volume: bigint };

const minB = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const maxB = (a: bigint, b: bigint): bigint => (a > b ? a : b);

/** A fill's executed size for an applied size: a partial reduce-only fill that closes the position asks for all it may. */
const execFor = (it: Item, applied: bigint): bigint => (applied === it.fullApplied ? it.fullExec : applied);

const riskIncreasing = (e: Entry, applied: bigint): boolean => !e.reduceOnly && !(e.reducible > 0n && applied <= e.reducible);

/** Clears every market of the input; see the module comment. */
export function clearPositions(input: ClearPositionsInput): PositionClearing {
  const byMarket = collectEntries(input);
  const out: PositionClearing = { marketPrices: [], trades: [], vaultTrades: [], ownTrades: [], surplus: 0n };
  for (const market of [...byMarket.keys()].sort((a, b) => a - b)) {
    const m = input.markets.get(market)!;
    const plan = new MarketClearing(m, byMarket.get(market)!).solve();
    if (!plan) continue;
    out.marketPrices.push({ market, price: plan.price });
    for (const f of plan.fills) {
      if (f.e.own) out.ownTrades.push({ id: f.e.id, market, executed: f.exec });
      else out.trades.push({ intentId: f.e.id, executed: f.exec });
    }
    if (plan.net !== 0n) {
      const v = m.vault!;
      out.vaultTrades.push({ market, sizeDelta: -plan.net, limitPrice: vaultQuote(v.params, m.mark, v.size, -plan.net)! });
    }
    out.surplus += plan.surplus;
  }
  return out;
}

function collectEntries(input: ClearPositionsInput): Map<number, Entry[]> {
  const byMarket = new Map<number, Entry[]>();
  const minValid = input.now + MIN_VALIDITY_SEC;
  const add = (market: number, e: Omit<Entry, 'reducible'>, position: bigint): void => {
    const reducible = position !== 0n && position > 0n !== e.long ? abs(position) : 0n;
    if (e.reduceOnly && reducible === 0n) return; // the clearing house reverts ReduceOnlyViolated
    const list = byMarket.get(market) ?? [];
    list.push({ ...e, reducible });
    byMarket.set(market, list);
  };
  const positionOf = (account: string, market: number): bigint => input.positions.get(account)?.get(market) ?? 0n;
  const usable = (market: number): boolean => (input.markets.get(market)?.mark ?? 0n) > 0n;
  for (const [id, entry] of input.auction.intents) {
    if (entry.intent.type !== 'position') continue;
    const p = entry.intent.intent;
    if (p.sizeDelta === 0n || p.validTo < minValid || p.limitPrice <= 0n || !usable(p.market)) continue;
    const partial = p.partiallyFillable === true;
    const rem = abs(p.sizeDelta) - (partial ? (entry.filled ?? 0n) : 0n);
    if (rem <= 0n) continue;
    const account = lower(p.account);
    const e = { id: id.toLowerCase() as Hex, account, long: p.sizeDelta > 0n, limit: p.limitPrice, rem, partial };
    add(p.market, { ...e, reduceOnly: p.reduceOnly, own: false }, positionOf(account, p.market));
  }
  for (const q of input.ownLiquidity ?? []) {
    if (q.sizeDelta === 0n || q.limitPrice <= 0n || !usable(q.market)) continue;
    const account = lower(q.account);
    const e = { id: q.id.toLowerCase() as Hex, account, long: q.sizeDelta > 0n, limit: q.limitPrice, rem: abs(q.sizeDelta) };
    add(q.market, { ...e, partial: q.partiallyFillable, reduceOnly: false, own: true }, positionOf(account, q.market));
  }
  return byMarket;
}

/** One market's search (module comment). */
class MarketClearing {
  private readonly bandLo: bigint;
  private readonly bandHi: bigint;
  private readonly vault: PositionVault | undefined;
  private readonly solved = new Map<bigint, Plan | undefined>();

  private readonly m: PositionMarket;
  private readonly entries: Entry[];

  constructor(m: PositionMarket, entries: Entry[]) {
    this.m = m;
    this.entries = entries;
    // |p - mark| * 1e18 <= dev * mark  <=>  |p - mark| <= floor(dev * mark / 1e18); a halted market
    // has an empty band (lo > hi), so every price is "outside" it and only reductions fill
    const room = m.halted ? -1n : (m.maxPriceDeviation * m.mark) / WAD;
    this.bandLo = m.mark - room;
    this.bandHi = m.mark + room;
    this.vault = m.vault && m.vault.enabled !== false ? m.vault : undefined;
  }

  solve(): Plan | undefined {
    let best: Plan | undefined;
    /** The plan at p and where repricing leads from it; every plan seen competes for best. */
    const walk = (p0: bigint): bigint => {
      let p = p0;
      let first: bigint | undefined;
      for (let round = 0; round < REFINE_ROUNDS; round++) {
        const plan = this.solveAt(p);
        if (!plan) break;
        first ??= plan.value;
        const moved = this.reprice(plan);
        if (better(moved, best, this.m.mark)) best = moved;
        if (moved.price === p) break;
        p = moved.price;
      }
      return first ?? -1n;
    };
    const candidates = this.candidatePrices();
    for (const p of candidates) walk(p);
    // With the vault, the best price can lie between candidates: where its capacity binds, a
    // higher price (for net shorts) buys a better bid on less size, and the surplus peaks inside
    // a step. Search the steps on either side of the best price found (the surplus there is
    // close to concave: one partial fill trading size against price).
    if (best && this.vault) {
      const sorted = [...new Set([...candidates, ...this.solved.keys()])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const at = best.price;
      const below = sorted.filter((x) => x < at).at(-1);
      const above = sorted.find((x) => x > at);
      if (below !== undefined) ternary(below, at, walk);
      if (above !== undefined) ternary(at, above, walk);
    }
    return best;
  }

  private inBand(p: bigint): boolean {
    return p >= this.bandLo && p <= this.bandHi;
  }

  private quote(net: bigint): bigint | undefined {
    const v = this.vault;
    return v ? vaultQuote(v.params, this.m.mark, v.size, -net) : undefined;
  }

  private candidatePrices(): bigint[] {
    const set = new Set<bigint>([this.m.mark, this.bandLo, this.bandHi]);
    const limits = [...new Set(this.entries.map((e) => e.limit))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const l of limits) set.add(l);
    if (this.vault) {
      // The vault's quote for the full-fill net on each step of D and at each limit: the fixed points.
      const probes = new Set<bigint>([this.m.mark]);
      for (const l of limits) for (const d of [0n, 1n]) probes.add(l + d); // at a limit, and on the step above it
      for (const p of probes) {
        const n = this.fullDemand(p);
        const q = n === 0n ? undefined : this.quote(n);
        if (q !== undefined) set.add(q);
      }
      // Where the vault's capacity binds, and its quotes for the least it can trade (the bounds
      // of the steps a lone partial fill is searched over).
      const v = this.vault;
      const cap = minB(v.params.maxPosition, v.maxAbsSize ?? v.params.maxPosition);
      for (const n of [v.size + cap, v.size - cap, 1n, -1n, v.size - cap + 1n, v.size + cap - 1n, v.size, -v.size]) {
        const q = n === 0n ? undefined : this.quote(n);
        if (q !== undefined) set.add(q);
      }
    }
    return [...set].filter((p) => p > 0n);
  }

  /** Users' net applied demand at p if everything within its limit filled fully (accounts not deduplicated). */
  private fullDemand(p: bigint): bigint {
    let n = 0n;
    for (const e of this.entries) {
      if (e.long ? p > e.limit : p < e.limit) continue;
      const applied = e.reduceOnly ? minB(e.rem, e.reducible) : e.rem;
      n += e.long ? applied : -applied;
    }
    return n;
  }

  /** The entries as they can fill at p, grouped by account. */
  private itemsAt(p: bigint): Item[][] {
    const band = this.inBand(p);
    const byAccount = new Map<string, Item[]>();
    for (const e of this.entries) {
      if (e.long ? p > e.limit : p < e.limit) continue;
      let fullExec = e.rem;
      let fullApplied = e.rem;
      if (e.reduceOnly) fullApplied = minB(e.rem, e.reducible);
      else if (!band) {
        // outside the band only pure reductions fill
        if (e.reducible === 0n) continue;
        if (e.partial) fullExec = fullApplied = minB(e.rem, e.reducible);
        else if (e.rem > e.reducible) continue;
      }
      const gap = e.own ? 0n : e.long ? e.limit - p : p - e.limit;
      const list = byAccount.get(e.account) ?? [];
      list.push({ e, gap, fullExec, fullApplied });
      byAccount.set(e.account, list);
    }
    return [...byAccount.values()];
  }

  /**
   * Which of each account's items to offer (one fill per account and market): every combination
   * while few, else three: each account's item of most surplus, its best long, its best short.
   */
  private static choices(groups: Item[][]): Item[][] {
    const single = groups.filter((g) => g.length === 1).map((g) => g[0]!);
    const multi = groups.filter((g) => g.length > 1).map((g) => [...g].sort((a, b) => (preferItem(a, b) ? -1 : 1)));
    let combos = 1;
    for (const g of multi) combos *= g.length;
    if (combos <= MAX_ACCOUNT_COMBOS) {
      let out: Item[][] = [single];
      for (const g of multi) out = out.flatMap((c) => g.map((it) => [...c, it]));
      return out;
    }
    const pick = (side: boolean | undefined) => [
      ...single,
      ...multi.map((g) => g.find((it) => side === undefined || it.e.long === side) ?? g[0]!),
    ];
    return [pick(undefined), pick(true), pick(false)];
  }

  /** The nets the market may leave to the vault at p: 0, and an interval on each side. */
  private netRanges(p: bigint): [bigint, bigint][] {
    const ranges: [bigint, bigint][] = [[0n, 0n]];
    const v = this.vault;
    if (!v) return ranges;
    const cap = minB(v.params.maxPosition, v.maxAbsSize ?? v.params.maxPosition);
    const band = this.inBand(p);
    const S = v.params.skewScale;
    // Traders net long n > 0, the vault sells n: |v - n| <= cap, premium above -100% (n > 2v - 2S,
    // from the rounded-up premium), ask(n) <= p (ask grows with n); outside the band only a pure
    // reduction of a long vault (n <= v).
    {
      let lo = maxB(1n, maxB(v.size - cap, 2n * v.size - 2n * S + 1n));
      let hi = v.size + cap;
      if (!band) hi = minB(hi, v.size > 0n ? v.size : 0n);
      if (lo <= hi) {
        const ok = (n: bigint) => {
          const q = this.quote(n);
          return q !== undefined && q <= p;
        };
        if (!ok(lo)) lo = hi + 1n;
        else hi = lastTrue(lo, hi, ok);
        if (lo <= hi) ranges.push([lo, hi]);
      }
    }
    // Traders net short n > 0, the vault buys n: |v + n| <= cap, bid defined (the premium falls
    // with n) and bid(n) >= p (bid falls with n); outside the band only a reduction of a short vault.
    {
      const lo = maxB(1n, -cap - v.size);
      let hi = cap - v.size;
      if (!band) hi = minB(hi, v.size < 0n ? -v.size : 0n);
      if (lo <= hi) {
        const ok = (n: bigint) => {
          const q = this.quote(-n);
          return q !== undefined && q >= p;
        };
        if (ok(lo)) ranges.push([-lastTrue(lo, hi, ok), -lo]);
      }
    }
    return ranges;
  }

  /** The best fills at price p (most surplus; the net within one of the vault's ranges). */
  private solveAt(p: bigint): Plan | undefined {
    const hit = this.solved.get(p);
    if (hit !== undefined || this.solved.has(p)) return hit;
    const plan = this.solveAtUncached(p);
    this.solved.set(p, plan);
    return plan;
  }

  private solveAtUncached(p: bigint): Plan | undefined {
    const groups = this.itemsAt(p);
    if (!groups.length) return undefined;
    const ranges = this.netRanges(p);
    let best: Plan | undefined;
    for (const items of MarketClearing.choices(groups)) {
      const plan = this.solveItems(p, items, ranges);
      if (plan && better(plan, best, this.m.mark)) best = plan;
    }
    return best;
  }

  private solveItems(p: bigint, items: Item[], ranges: [bigint, bigint][]): Plan | undefined {
    const fok = items.filter((it) => !it.e.partial);
    const cut = new PartialCut(items.filter((it) => it.e.partial));
    // Equal surplus: the fills that trade more (a marginal fill gains nothing but is what its user asked for).
    let best: { value: bigint; volume: bigint; mask: boolean[]; range: [bigint, bigint] } | undefined;
    const consider = (mask: boolean[]): void => {
      let n = 0n;
      let value = 0n;
      let volume = 0n;
      for (let k = 0; k < fok.length; k++) {
        if (!mask[k]) continue;
        const it = fok[k]!;
        n += it.e.long ? it.fullApplied : -it.fullApplied;
        value += it.gap * it.fullExec;
        volume += it.fullApplied;
      }
      for (const range of ranges) {
        const c = cut.cost(n, range);
        if (c === undefined) continue;
        const total = value + cut.fullValue - c.cost;
        const vol = volume + cut.total - c.cut;
        if (!best || total > best.value || (total === best.value && vol > best.volume)) {
          best = { value: total, volume: vol, mask: [...mask], range };
        }
      }
    };
    if (fok.length < 30 && (1 << fok.length) * ranges.length <= ENUMERATE_BUDGET) {
      const mask = fok.map(() => false);
      for (let bits = 0; bits < 1 << fok.length; bits++) {
        for (let k = 0; k < fok.length; k++) mask[k] = ((bits >> k) & 1) === 1;
        consider(mask);
      }
    } else {
      for (const range of ranges) consider(greedyFok(fok, cut, range));
      consider(fok.map(() => false));
    }
    if (!best) return undefined;
    const b = best as { mask: boolean[]; range: [bigint, bigint] };
    const fills: Fill[] = [];
    let net = 0n;
    for (let k = 0; k < fok.length; k++) {
      if (!b.mask[k]) continue;
      const it = fok[k]!;
      fills.push({ e: it.e, exec: it.fullExec, applied: it.fullApplied });
      net += it.e.long ? it.fullApplied : -it.fullApplied;
    }
    const partial = cut.fills(net, b.range);
    for (const f of partial) net += f.e.long ? f.applied : -f.applied;
    fills.push(...partial);
    // own quotes trading only with each other or the vault serve no user
    if (!fills.some((f) => !f.e.own)) return undefined;
    return this.plan(p, fills, net);
  }

  private plan(price: bigint, fills: Fill[], net: bigint): Plan {
    let value = 0n;
    let surplus = 0n;
    let volume = 0n;
    for (const f of fills) {
      if (f.e.own) continue;
      volume += f.applied;
      const v = f.exec * (f.e.long ? f.e.limit - price : price - f.e.limit);
      value += v;
      surplus += v / WAD;
    }
    return { price, fills, net, value, surplus, volume };
  }

  /** The plan's fills at the best price they allow (surplus is linear in the price). */
  private reprice(plan: Plan): Plan {
    let lo = 1n;
    let hi: bigint | undefined;
    let slope = 0n;
    let risky = false;
    for (const f of plan.fills) {
      if (f.e.long) hi = hi === undefined ? f.e.limit : minB(hi, f.e.limit);
      else lo = maxB(lo, f.e.limit);
      if (!f.e.own) slope += f.e.long ? -f.exec : f.exec;
      if (riskIncreasing(f.e, f.applied)) risky = true;
    }
    if (plan.net !== 0n) {
      const v = this.vault!;
      const d = -plan.net;
      const reduces = v.size !== 0n && v.size > 0n !== d > 0n && abs(d) <= abs(v.size);
      if (!reduces) risky = true;
      const q = this.quote(plan.net)!;
      if (plan.net > 0n) lo = maxB(lo, q);
      else hi = hi === undefined ? q : minB(hi, q);
    }
    if (risky) {
      lo = maxB(lo, this.bandLo);
      hi = hi === undefined ? this.bandHi : minB(hi, this.bandHi);
    }
    let p: bigint;
    if (slope < 0n) p = lo;
    else if (slope > 0n) p = hi ?? plan.price;
    else p = hi === undefined ? maxB(lo, this.m.mark) : maxB(lo, minB(hi, this.m.mark));
    if (p === plan.price || p < lo || (hi !== undefined && p > hi)) return plan;
    return this.plan(p, plan.fills, plan.net);
  }
}

/** More surplus, then more volume, then nearer the mark. */
function better(a: Plan, b: Plan | undefined, mark: bigint): boolean {
  if (!b) return true;
  if (a.value !== b.value) return a.value > b.value;
  if (a.volume !== b.volume) return a.volume > b.volume;
  return abs(a.price - mark) < abs(b.price - mark);
}

function preferItem(a: Item, b: Item): boolean {
  const va = a.gap * a.fullExec;
  const vb = b.gap * b.fullExec;
  if (va !== vb) return va > vb;
  if (a.fullApplied !== b.fullApplied) return a.fullApplied > b.fullApplied;
  return a.e.id < b.e.id;
}

/** A maximum of f on [a, b] for f unimodal (else a good point); f is called on the points it tries. */
function ternary(a: bigint, b: bigint, f: (x: bigint) => bigint): void {
  let lo = a;
  let hi = b;
  // a price resolution of 1e-8 of the price loses at most that fraction of the fills' notional
  const tol = maxB(2n, b / 100_000_000n);
  while (hi - lo > tol) {
    const m1 = lo + (hi - lo) / 3n;
    const m2 = hi - (hi - lo) / 3n;
    if (f(m1) < f(m2)) lo = m1 + 1n;
    else hi = m2;
  }
  if (hi - lo <= 2n) for (let x = lo; x <= hi; x++) f(x);
  else for (const x of [lo, (lo + hi) / 2n, hi]) f(x);
}

/** The largest x in [lo, hi] with ok(x), for ok true at lo and monotone (true then false). */
function lastTrue(lo: bigint, hi: bigint, ok: (x: bigint) => boolean): bigint {
  let a = lo;
  let b = hi;
  while (a < b) {
    const mid = a + (b - a + 1n) / 2n;
    if (ok(mid)) a = mid;
    else b = mid - 1n;
  }
  return a;
}

/**
 * The partially fillable items at one price: what it costs to bring a net within a range by
 * cutting them, least surplus per unit first (an exact greedy for a fractional knapsack). A
 * reduce-only item asking for more than its position is the exception: cut at all, it loses the
 * surplus of the part it asked for beyond the position too, so the cut also tries those last.
 */
class PartialCut {
  /** Cut orders per side: by surplus per unit, and (if any item has that lump) with the lump items last. */
  private readonly longs: Item[][];
  private readonly shorts: Item[][];
  readonly fullValue: bigint;
  private readonly longTotal: bigint;
  private readonly shortTotal: bigint;
  /** Applied size of every item filled fully. */
  readonly total: bigint;

  constructor(items: Item[]) {
    const byGap = (a: Item, b: Item) => (a.gap < b.gap ? -1 : a.gap > b.gap ? 1 : a.e.id < b.e.id ? -1 : 1);
    const lump = (it: Item) => it.fullExec > it.fullApplied && it.gap > 0n;
    const orders = (side: Item[]): Item[][] => {
      const sorted = side.sort(byGap);
      if (!sorted.some(lump)) return [sorted];
      return [sorted, [...sorted.filter((it) => !lump(it)), ...sorted.filter(lump)]];
    };
    this.longs = orders(items.filter((it) => it.e.long));
    this.shorts = orders(items.filter((it) => !it.e.long));
    this.fullValue = items.reduce((s, it) => s + it.gap * it.fullExec, 0n);
    this.longTotal = this.longs[0]!.reduce((s, it) => s + it.fullApplied, 0n);
    this.shortTotal = this.shorts[0]!.reduce((s, it) => s + it.fullApplied, 0n);
    this.total = this.longTotal + this.shortTotal;
  }

  /** Whether cutting can bring fokNet + partial net within range. */
  feasible(fokNet: bigint, range: [bigint, bigint]): boolean {
    const full = fokNet + this.longTotal - this.shortTotal;
    return full > range[1] ? full - range[1] <= this.longTotal : full < range[0] ? range[0] - full <= this.shortTotal : true;
  }

  /** Surplus lost (and size cut) so that fokNet + partial net lands in range; undefined when it cannot. */
  cost(fokNet: bigint, range: [bigint, bigint]): { cost: bigint; cut: bigint; order: Item[] } | undefined {
    const full = fokNet + this.longTotal - this.shortTotal;
    if (full > range[1]) return PartialCut.cutCost(this.longs, this.longTotal, full - range[1]);
    if (full < range[0]) return PartialCut.cutCost(this.shorts, this.shortTotal, range[0] - full);
    return { cost: 0n, cut: 0n, order: [] };
  }

  private static cutCost(orders: Item[][], total: bigint, need: bigint): { cost: bigint; cut: bigint; order: Item[] } | undefined {
    if (need > total) return undefined;
    let best: { cost: bigint; cut: bigint; order: Item[] } | undefined;
    for (const order of orders) {
      let left = need;
      let cost = 0n;
      for (const it of order) {
        if (left === 0n) break;
        const t = minB(left, it.fullApplied);
        cost += it.gap * (it.fullExec - (t === it.fullApplied ? 0n : it.fullApplied - t));
        left -= t;
      }
      if (!best || cost < best.cost) best = { cost, cut: need, order };
    }
    return best;
  }

  /** The fills cost() priced. */
  fills(fokNet: bigint, range: [bigint, bigint]): Fill[] {
    const c = this.cost(fokNet, range)!;
    const cutItems = new Map<Item, bigint>();
    let left = c.cut;
    for (const it of c.order) {
      const t = minB(left, it.fullApplied);
      left -= t;
      cutItems.set(it, t);
    }
    const out: Fill[] = [];
    for (const it of [...this.longs[0]!, ...this.shorts[0]!]) {
      const applied = it.fullApplied - (cutItems.get(it) ?? 0n);
      if (applied > 0n) out.push({ e: it.e, applied, exec: execFor(it, applied) });
    }
    return out;
  }
}

/**
 * Many fill-or-kill items: start from all, drop the ones of least surplus per unit on the side
 * in excess until the partial items can close the gap, then add back what still fits.
 */
function greedyFok(fok: Item[], cut: PartialCut, range: [bigint, bigint]): boolean[] {
  const mask = fok.map(() => true);
  const signed = (k: number) => (fok[k]!.e.long ? fok[k]!.fullApplied : -fok[k]!.fullApplied);
  let net = fok.reduce((s, _, k) => s + signed(k), 0n);
  const perUnit = (k: number) => Number(fok[k]!.gap) / Number(fok[k]!.fullApplied);
  const order = fok.map((_, k) => k).sort((a, b) => perUnit(a) - perUnit(b));
  for (const k of order) {
    if (cut.feasible(net, range)) break;
    // drop only on the side in excess
    if (fok[k]!.e.long === net > range[1]) {
      mask[k] = false;
      net -= signed(k);
    }
  }
  if (!cut.feasible(net, range)) return fok.map(() => false);
  for (const k of [...order].reverse()) {
    if (mask[k] || !cut.feasible(net + signed(k), range)) continue;
    mask[k] = true;
    net += signed(k);
  }
  return mask;
}
