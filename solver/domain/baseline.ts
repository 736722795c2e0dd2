// Baseline strategy: the best single path per intent, as Uniswap's v2 SDK `bestTradeExactIn`
// does: every path of at most 3 hops over distinct pools, no split, no matching; the path with
// the highest output for the whole amount wins (quoted in floats by the pools' own curves, then
// executed exactly like any plan). Intents are taken one at a time: pair by pair, in the order of
// each pair's first intent, and in arrival order within a pair. Each fill's rate joins one price
// vector (a later intent between tokens already linked must clear at the implied rate), as a
// router without a batch view would settle them in one uniform-price batch.
import type { Address, Hex } from 'viem';
import { fillableAmount, limitHolds, tradeAmounts } from '../../protocol/clearing.ts';
import type { SwapIntent } from '../../protocol/intent.ts';
import { SwapKind } from '../../protocol/intent.ts';
import type { Auction } from '../../protocol/score.ts';
import type { Interaction } from '../../protocol/solution.ts';
import { lower, type LiquidityAdapter } from './liquidity/adapter.ts';
import { executePlan, Router, type ExecutedLeg, type Plan, type PlanLeg } from './routing/router.ts';
import type { SolveOptions, SolveResult } from './solve.ts';

type Entry = { id: Hex; intent: SwapIntent; amount: bigint; a: Address; b: Address; side: 1 | 2 };

/** One intent's fill: the pair (a < b), the intent and its rate as an exact ratio p_A / p_B = pa / pb. */
type Fill = { a: Address; b: Address; entry: Entry; pa: bigint; pb: bigint };

const TRADE_GAS = 75_000;
const SETTLE_GAS = 45_000;

/** A positive float as an exact ratio of bigints. */
export function floatRatio(x: number): [bigint, bigint] {
  if (!(x > 0) || !Number.isFinite(x)) throw new Error(`not a positive finite rate: ${x}`);
  let e = Math.floor(Math.log2(x)) - 52;
  let m = x / 2 ** e;
  while (!Number.isInteger(m)) {
    m *= 2;
    e -= 1;
  }
  const mb = BigInt(m);
  return e >= 0 ? [mb << BigInt(e), 1n] : [mb, 1n << BigInt(-e)];
}

const gcd = (a: bigint, b: bigint): bigint => {
  while (b) [a, b] = [b, a % b];
  return a;
};
const reduce = (n: bigint, d: bigint): [bigint, bigint] => {
  const g = gcd(n, d);
  return g > 1n ? [n / g, d / g] : [n, d];
};

/** Token prices as exact rationals relative to a component root (union-find over traded pairs). */
class PriceGraph {
  private pot = new Map<Address, [bigint, bigint]>();
  private comp = new Map<Address, number>();
  private next = 0;

  ratio(a: Address, b: Address): [bigint, bigint] | undefined {
    const ca = this.comp.get(a);
    if (ca === undefined || ca !== this.comp.get(b)) return undefined;
    const [na, da] = this.pot.get(a)!;
    const [nb, db] = this.pot.get(b)!;
    return reduce(na * db, da * nb);
  }

  link(a: Address, b: Address, pa: bigint, pb: bigint): void {
    const ca = this.comp.get(a);
    const cb = this.comp.get(b);
    if (ca === undefined && cb === undefined) {
      const c = this.next++;
      this.pot.set(a, [1n, 1n]);
      this.pot.set(b, reduce(pb, pa));
      this.comp.set(a, c);
      this.comp.set(b, c);
    } else if (cb === undefined) {
      const [n, d] = this.pot.get(a)!;
      this.pot.set(b, reduce(n * pb, d * pa));
      this.comp.set(b, ca!);
    } else if (ca === undefined) {
      const [n, d] = this.pot.get(b)!;
      this.pot.set(a, reduce(n * pa, d * pb));
      this.comp.set(a, cb);
    } else if (ca !== cb) {
      // scale b's component by f = pot[a]·pb / (pa·pot[b])
      const [na, da] = this.pot.get(a)!;
      const [nb, db] = this.pot.get(b)!;
      const fn = na * pb * db;
      const fd = da * pa * nb;
      for (const [t, c] of this.comp) {
        if (c !== cb) continue;
        const [n, d] = this.pot.get(t)!;
        this.pot.set(t, reduce(n * fn, d * fd));
        this.comp.set(t, ca);
      }
    }
  }

  /** Integer prices: each component scaled so its cheapest token is priced about 1e24. */
  integerPrices(): Map<Address, bigint> {
    const out = new Map<Address, bigint>();
    const comps = new Map<number, Address[]>();
    for (const [t, c] of this.comp) comps.set(c, [...(comps.get(c) ?? []), t]);
    for (const tokens of comps.values()) {
      let min: [bigint, bigint] | undefined;
      for (const t of tokens) {
        const p = this.pot.get(t)!;
        if (!min || p[0] * min[1] < min[0] * p[1]) min = p;
      }
      const scaleN = 10n ** 24n * min![1];
      const scaleD = min![0];
      for (const t of tokens) {
        const [n, d] = this.pot.get(t)!;
        out.set(t, (scaleN * n) / (scaleD * d));
      }
    }
    return out;
  }
}

/** Limit at π (B per A): side 1 needs π >= buy/sell, side 2 needs π <= sell/buy. */
const limitOk = (e: Entry, pi: number): boolean =>
  e.side === 1 ? pi * Number(e.intent.sellAmount) >= Number(e.intent.buyAmount) * (1 - 1e-12) : pi * Number(e.intent.buyAmount) <= Number(e.intent.sellAmount) * (1 + 1e-12);

class SinglePathSolver {
  private readonly router: Router;
  private readonly original: LiquidityAdapter[];
  private readonly opts: SolveOptions;
  private readonly auction: Auction;
  /** Candidate paths per direction and size (within a factor 2), from the first full search. */
  private readonly paths = new Map<string, PlanLeg[][]>();

  constructor(auction: Auction, pools: LiquidityAdapter[], opts: SolveOptions) {
    this.auction = auction;
    this.original = pools;
    this.opts = opts;
    this.router = new Router(pools.map((p) => p.clone()));
  }

  /**
   * The best single path for x of src to dst (float output). A full path search runs once per
   * direction and size (within a factor 2); later quotes of that size re-quote only its best few
   * paths at the pools' current state.
   */
  private route(src: Address, dst: Address, x: number): { out: number; plan: Plan | undefined } {
    const s = this.router.tokenIndex.get(src);
    const d = this.router.tokenIndex.get(dst);
    if (s === undefined || d === undefined || !(x > 0)) return { out: 0, plan: undefined };
    const key = `${s}:${d}:${Math.round(Math.log2(x))}`;
    let paths = this.paths.get(key);
    let p: Plan | undefined;
    if (!paths) {
      paths = [];
      p = bestSinglePath(this.router, s, d, x, paths);
      this.paths.set(key, paths);
    } else p = bestOfPaths(this.router, s, d, x, paths);
    return p ? { out: p.out, plan: p } : { out: 0, plan: undefined };
  }

  /**
   * The rate (B per A, as the intent's side trades: its sell token routed to its buy token) at
   * which routing the intent's input pays out exactly that rate: a fixed point, started from the
   * rate of a tiny trade.
   */
  private clearingRate(e: Entry): number | undefined {
    const x = Number(e.amount);
    const sell = e.intent.kind === SwapKind.SELL;
    const [src, dst] = e.side === 1 ? [e.a, e.b] : [e.b, e.a];
    const probe = Math.max((sell ? x + 1 : 1) * 1e-9, 1);
    let rate = this.route(src, dst, probe).out / probe;
    if (!(rate > 0)) return undefined;
    // the amount routed: a SELL pays in x, a BUY of x pays in x / rate
    let fixed: number | undefined = rate;
    for (let k = 0; k < 60; k++) {
      const n = sell ? x : x / rate;
      if (!(n > 0)) {
        fixed = undefined;
        break;
      }
      const r = this.route(src, dst, n);
      if (!(r.out > 0)) {
        fixed = undefined;
        break;
      }
      const next = r.out / n;
      if (Math.abs(next - rate) <= 1e-13 * rate) {
        fixed = Math.min(next, rate);
        break;
      }
      rate = next;
      fixed = rate;
    }
    if (fixed === undefined) return undefined;
    const pi = e.side === 1 ? fixed : 1 / fixed;
    return pi > 0 && Number.isFinite(pi) ? pi : undefined;
  }

  solve(): SolveResult {
    const t0 = performance.now();
    const now = this.opts.now ?? 0;
    const byPair = new Map<string, Entry[]>();
    let intents = 0;
    for (const [id, entry] of this.auction.intents) {
      if (entry.intent.type !== 'swap') continue;
      intents++;
      const i = entry.intent.intent;
      if (i.validTo < now) continue;
      const amount = fillableAmount(i, entry.filled);
      if (amount <= 0n || i.sellAmount <= 0n || i.buyAmount <= 0n) continue;
      const st = lower(i.sellToken);
      const bt = lower(i.buyToken);
      if (st === bt) continue;
      const [a, b] = st < bt ? [st, bt] : [bt, st];
      const key = `${a}${b}`;
      const list = byPair.get(key) ?? [];
      list.push({ id: lower(id) as Hex, intent: i, amount, a, b, side: st === a ? 1 : 2 });
      byPair.set(key, list);
    }
    const prices = new PriceGraph();
    const fills: Fill[] = [];
    for (const e of [...byPair.values()].flat()) {
      const fill = this.planFill(e, prices);
      if (fill) {
        prices.link(fill.a, fill.b, fill.pa, fill.pb);
        fills.push(fill);
      }
    }
    // Exact pass at the final integer prices; drop failing fills until everything balances.
    let active = fills;
    for (;;) {
      const graph = new PriceGraph();
      for (const f of active) graph.link(f.a, f.b, f.pa, f.pb);
      const intPrices = graph.integerPrices();
      const exact = this.exactPass(active, intPrices);
      if (exact.failed === undefined) return this.finish(active, intPrices, exact, intents, t0);
      active = active.filter((f) => f !== exact.failed);
    }
  }

  /** The intent's rate (float search, or the one its tokens are already linked at), checked exactly. */
  private planFill(e: Entry, prices: PriceGraph): Fill | undefined {
    const { a, b } = e;
    const forced = prices.ratio(a, b);
    const pi = forced ? ratioToFloat(forced[0], forced[1]) : this.clearingRate(e);
    if (pi === undefined || !(pi > 0) || !limitOk(e, pi)) return undefined;
    // exact check (the pools keep the swaps if it passes), shading the rate towards feasibility:
    // lower π when side 1 routes A to B, raise it when side 2 routes B to A
    const sign = e.side === 1 ? 1 : -1;
    for (let k = 0; k < (forced ? 1 : 8); k++) {
      const shaded = pi * (1 - sign * (k === 0 ? 0 : 1e-13 * 10 ** k));
      const [pa, pb] = forced ?? floatRatio(shaded);
      const check = this.settle({ a, b, entry: e, pa, pb }, 'plan');
      if (check.ok) return { a, b, entry: e, pa, pb };
      if (check.limitBroken) return undefined;
    }
    return undefined;
  }

  /**
   * Exact accounting of one fill at prices pa:pb (p_A/p_B). Routes the exact net excess, and checks
   * that the other token's payout is covered with a safety margin (for the final price rounding)
   * ('plan'), or exact non-negativity, the settlement's buffers allowing ('final'). The pools keep
   * the executed swaps only if the fill settles.
   */
  private settle(f: Fill, mode: 'plan' | 'final'): { ok: boolean; limitBroken: boolean; legs: ExecutedLeg[]; net: Map<Address, bigint> } {
    const e = f.entry;
    const [sp, bp] = e.side === 1 ? [f.pa, f.pb] : [f.pb, f.pa];
    if (!limitHolds(e.intent, sp, bp)) return { ok: false, limitBroken: true, legs: [], net: new Map() };
    const t = tradeAmounts(e.intent, e.amount, sp, bp);
    let netA = e.side === 1 ? t.sell : -t.buy;
    let netB = e.side === 1 ? -t.buy : t.sell;
    let legs: ExecutedLeg[] = [];
    const saved = new Map<number, LiquidityAdapter>();
    const route = (src: Address, dst: Address, amount: bigint): bigint => {
      const r = this.route(src, dst, Number(amount));
      if (!r.plan) return 0n;
      for (const l of r.plan.legs) if (!saved.has(l.pool)) saved.set(l.pool, this.router.pools[l.pool]!.clone());
      const ex = executePlan(this.router, r.plan, amount);
      legs = ex.legs;
      return ex.amountOut;
    };
    let receiver: Address | undefined;
    if (netA > 0n && netB < 0n) {
      netB += route(f.a, f.b, netA);
      netA = 0n;
      receiver = f.b;
    } else if (netB > 0n && netA < 0n) {
      netA += route(f.b, f.a, netB);
      netB = 0n;
      receiver = f.a;
    }
    // 1e-15 of the payout plus a few wei: what the final integer prices may move it by
    const margin = (paid: bigint) => paid / 10n ** 15n + 3n;
    const buf = (token: Address) => this.opts.buffers?.get(token) ?? 0n;
    const strict = mode === 'plan' && legs.length > 0;
    const okA = netA >= (strict && receiver === f.a ? margin(t.buy) : -buf(f.a));
    const okB = netB >= (strict && receiver === f.b ? margin(t.buy) : -buf(f.b));
    const ok = okA && okB;
    if (!ok) for (const [i, pool] of saved) this.router.pools[i] = pool;
    return { ok, limitBroken: false, legs, net: new Map([[f.a, netA], [f.b, netB]]) };
  }

  /** Recomputes every fill exactly at the final integer prices on fresh pool state. */
  private exactPass(fills: Fill[], prices: Map<Address, bigint>) {
    this.router.pools.splice(0, this.router.pools.length, ...this.original.map((p) => p.clone()));
    const legs: ExecutedLeg[] = [];
    const executed = new Map<Hex, bigint>();
    const bufferUse = new Map<Address, bigint>();
    for (const f of fills) {
      const r = this.settle({ ...f, pa: prices.get(f.a)!, pb: prices.get(f.b)! }, 'final');
      if (!r.ok) return { failed: f, legs, executed };
      for (const [t, n] of r.net) {
        if (n < 0n) {
          const used = (bufferUse.get(t) ?? 0n) - n;
          if (used > (this.opts.buffers?.get(t) ?? 0n)) return { failed: f, legs, executed };
          bufferUse.set(t, used);
        }
      }
      legs.push(...r.legs);
      executed.set(f.entry.id, f.entry.amount);
    }
    return { failed: undefined, legs, executed };
  }

  private finish(fills: Fill[], prices: Map<Address, bigint>, exact: { legs: ExecutedLeg[]; executed: Map<Hex, bigint> }, intents: number, t0: number): SolveResult {
    const tokens = new Set<Address>();
    for (const f of fills) {
      tokens.add(f.a);
      tokens.add(f.b);
    }
    const sorted = [...tokens].sort();
    const interactions: Interaction[] = [];
    for (const l of exact.legs) interactions.push(...l.pool.encodeSwap(l.zeroForOne, l.amountIn, l.amountOut, this.opts.settlement));
    const trades = [...exact.executed].map(([intentId, executed]) => ({ intentId, executed }));
    const gasEstimate = SETTLE_GAS + trades.length * TRADE_GAS + exact.legs.reduce((s, l) => s + l.pool.gas, 0);
    return {
      solution: {
        auctionId: this.auction.id,
        solver: this.opts.solver,
        prices: sorted.map((token) => ({ token, price: prices.get(token)! })),
        marketPrices: [],
        trades,
        interactions,
      },
      legs: exact.legs,
      // every intent is routed on its own: nothing is netted against other users
      stats: { intents, filled: trades.length, matched: 0, matchedVolumeShare: 0, interactions: interactions.length, gasEstimate, ms: performance.now() - t0 },
    };
  }
}

export function ratioToFloat(n: bigint, d: bigint): number {
  const sn = Math.max(0, n.toString(2).length - 64);
  const sd = Math.max(0, d.toString(2).length - 64);
  return (Number(n >> BigInt(sn)) / Number(d >> BigInt(sd))) * 2 ** (sn - sd);
}

/** The baseline strategy on an auction (pool states not mutated). */
export function solveBaseline(auction: Auction, pools: LiquidityAdapter[], opts: SolveOptions): SolveResult {
  return new SinglePathSolver(auction, pools, opts).solve();
}

const ARB = new Float64Array(3);

/** Float output of one pool for an exact-in amount, from its arbitrage curve (bisection on price). */
export function floatQuote(router: Router, pool: number, zeroForOne: boolean, amountIn: number): number {
  const p = router.pools[pool]!;
  if (p.quoteFloat) return p.quoteFloat(zeroForOne, amountIn);
  const spot = p.spotPrice();
  // zeroForOne: sell token0, price falls: find r in (0, spot] with -d0(r) = amountIn.
  let lo = Math.log(spot) - 60;
  let hi = Math.log(spot) + 60;
  for (let k = 0; k < 100; k++) {
    const mid = (lo + hi) / 2;
    p.arb(Math.exp(mid), ARB);
    const paid = zeroForOne ? -ARB[0]! : -ARB[1]!;
    // paid grows as r moves away from spot in the trade's direction
    if (zeroForOne ? paid > amountIn : paid < amountIn) lo = mid;
    else hi = mid;
    if (hi - lo < 1e-14) break;
  }
  p.arb(Math.exp((lo + hi) / 2), ARB);
  const out = zeroForOne ? ARB[1]! : ARB[0]!;
  return out > 0 ? out : 0;
}

const pairIndex = new WeakMap<Router, Map<number, number[]>>();

/** Pools between two tokens, by the key min·n + max (built once per router). */
function poolsBetween(router: Router, a: number, b: number): number[] {
  let idx = pairIndex.get(router);
  const n = router.tokens.length;
  if (!idx) {
    idx = new Map();
    for (let i = 0; i < router.pools.length; i++) {
      const x = router.t0[i]!;
      const y = router.t1[i]!;
      const key = Math.min(x, y) * n + Math.max(x, y);
      const list = idx.get(key);
      if (list) list.push(i);
      else idx.set(key, [i]);
    }
    pairIndex.set(router, idx);
  }
  return idx.get(Math.min(a, b) * n + Math.max(a, b)) ?? [];
}

/**
 * Best path of at most 3 hops over distinct tokens from src to dst for x (float search). The last
 * hop only looks at pools into dst (a pair index), so a search costs O(deg(src)·deg(t1)) quotes.
 */
export function bestSinglePath(router: Router, src: number, dst: number, x: number, candidates: PlanLeg[][]): Plan | undefined {
  let bestOut = 0;
  let bestLegs: PlanLeg[] | undefined;
  const ranked: { out: number; legs: PlanLeg[] }[] = [];
  const leg = (pool: number, tokenIn: number, amountIn: number): PlanLeg => {
    const zeroForOne = router.t0[pool] === tokenIn;
    return { pool, zeroForOne, tokenIn, tokenOut: zeroForOne ? router.t1[pool]! : router.t0[pool]!, amountIn };
  };
  const quote = (pool: number, tokenIn: number, amountIn: number): number => floatQuote(router, pool, router.t0[pool] === tokenIn, amountIn);
  const consider = (out: number, legs: () => PlanLeg[]): void => {
    if (ranked.length < CANDIDATES || out > ranked[ranked.length - 1]!.out) {
      ranked.push({ out, legs: legs() });
      ranked.sort((a, b) => b.out - a.out);
      if (ranked.length > CANDIDATES) ranked.pop();
    }
    if (out > bestOut) {
      bestOut = out;
      bestLegs = legs();
    }
  };
  for (const i of router.byToken[src]!) {
    const t1 = router.t0[i] === src ? router.t1[i]! : router.t0[i]!;
    const o1 = quote(i, src, x);
    if (!(o1 > 0)) continue;
    if (t1 === dst) {
      consider(o1, () => [leg(i, src, x)]);
      continue;
    }
    for (const k of router.byToken[t1]!) {
      if (k === i) continue;
      const t2 = router.t0[k] === t1 ? router.t1[k]! : router.t0[k]!;
      if (t2 === src) continue;
      if (t2 !== dst && poolsBetween(router, t2, dst).length === 0) continue;
      const o2 = quote(k, t1, o1);
      if (!(o2 > 0)) continue;
      if (t2 === dst) {
        consider(o2, () => [leg(i, src, x), leg(k, t1, o1)]);
        continue;
      }
      for (const m of poolsBetween(router, t2, dst)) {
        const o3 = quote(m, t2, o2);
        if (o3 > bestOut) consider(o3, () => [leg(i, src, x), leg(k, t1, o1), leg(m, t2, o2)]);
      }
    }
  }
  candidates.push(...ranked.map((r) => r.legs));
  if (!bestLegs) return undefined;
  return { src, dst, legs: bestLegs, out: bestOut, gas: bestLegs.reduce((s, l) => s + router.pools[l.pool]!.gas, 0) };
}

/** Paths kept per token pair after the first full search (the baseline re-quotes only these). */
export const CANDIDATES = 8;

/** The best of known paths for x at the pools' current state (float quotes along each path). */
export function bestOfPaths(router: Router, src: number, dst: number, x: number, paths: PlanLeg[][]): Plan | undefined {
  let best: Plan | undefined;
  for (const path of paths) {
    let amount = x;
    const legs: PlanLeg[] = [];
    for (const l of path) {
      const out = floatQuote(router, l.pool, l.zeroForOne, amount);
      legs.push({ ...l, amountIn: amount });
      amount = out;
      if (!(out > 0)) break;
    }
    if (amount > 0 && (!best || amount > best.out)) best = { src, dst, legs, out: amount, gas: legs.reduce((s, l) => s + router.pools[l.pool]!.gas, 0) };
  }
  return best;
}
