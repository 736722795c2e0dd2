// Baseline strategy: the best single path per intent, as Uniswap's v2 SDK `bestTradeExactIn`
// does: every path of at most 3 hops over distinct pools, no split, no matching; the path with
// the highest output for the whole amount wins (quoted in floats by the pools' own curves, then
// executed exactly like any plan). Intents are taken one by one in arrival order; each one's rate
// joins one price vector (a later intent between tokens already linked must clear at the implied
// rate), as a router without a batch view would settle them in one uniform-price batch.
import type { Address, Hex } from 'viem';
import { fillableAmount, limitHolds, tradeAmounts } from '../protocol/clearing.ts';
import type { SwapIntent } from '../protocol/intent.ts';
import { SwapKind } from '../protocol/intent.ts';
import type { Auction } from '../protocol/score.ts';
import type { Interaction, Solution } from '../protocol/solution.ts';
import { lower, type LiquidityAdapter } from './liquidity/types.ts';
import { executePlan, Router, type ExecutedLeg, type Plan, type PlanLeg } from './router.ts';
import type { SolveOptions, SolveResult } from './solve.ts';

type Entry = { id: Hex; intent: SwapIntent; amount: bigint; side: 1 | 2 };

type PairPlan = {
  a: Address;
  b: Address;
  entries: Entry[];
  /** Clearing rate as an exact ratio: p_A / p_B = pa / pb. */
  pa: bigint;
  pb: bigint;
};

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

/** Float view of a pair's sides: a = SELL amounts, b = BUY amounts. */
function sideSums(entries: Entry[]): { a1: number; b1: number; a2: number; b2: number } {
  let a1 = 0, b1 = 0, a2 = 0, b2 = 0;
  for (const e of entries) {
    const x = Number(e.amount);
    if (e.side === 1) e.intent.kind === SwapKind.SELL ? (a1 += x) : (b1 += x);
    else e.intent.kind === SwapKind.SELL ? (a2 += x) : (b2 += x);
  }
  return { a1, b1, a2, b2 };
}

/** Limit at π (B per A): side 1 needs π >= buy/sell, side 2 needs π <= sell/buy. */
const limitOk = (e: Entry, pi: number): boolean =>
  e.side === 1 ? pi * Number(e.intent.sellAmount) >= Number(e.intent.buyAmount) * (1 - 1e-12) : pi * Number(e.intent.buyAmount) <= Number(e.intent.sellAmount) * (1 + 1e-12);

class PairwiseSolver {
  private readonly router: Router;
  private readonly original: LiquidityAdapter[];
  private readonly opts: SolveOptions;
  private readonly auction: Auction;

  constructor(auction: Auction, pools: LiquidityAdapter[], opts: SolveOptions) {
    this.auction = auction;
    this.original = pools;
    this.opts = opts;
    this.router = new Router(pools.map((p) => p.clone()));
  }

  private ref(token: Address): number {
    return Number(this.auction.referencePrices.get(token) ?? this.auction.referencePrices.get(lower(token)) ?? 0n) / 1e18;
  }

  private gasCostIn(token: Address): number {
    const gp = Number(this.opts.gasPrice ?? 0n);
    if (gp === 0) return 0;
    const native = Number(this.opts.nativePrice ?? 10n ** 18n) / 1e18;
    const ref = this.ref(token);
    return ref > 0 ? (gp * native) / ref : 0;
  }

  private idx(t: Address): number | undefined {
    return this.router.tokenIndex.get(t);
  }

  /** Float output of routing x of src to dst, with the marginal rate; warm-started per direction. */
  private warm = new Map<string, Float64Array>();
  private paths = new Map<string, PlanLeg[][]>();
  private routeFloat(src: Address, dst: Address, x: number): { out: number; marginal: number; plan: Plan | undefined } {
    const s = this.idx(src);
    const d = this.idx(dst);
    if (s === undefined || d === undefined || !(x > 0)) return { out: 0, marginal: 0, plan: undefined };
    if (this.opts.strategy === 'baseline') {
      // full path search once per direction and size (within a factor 2), then only its best
      // few paths are re-quoted
      const key = `${s}:${d}:${Math.round(Math.log2(x))}`;
      let paths = this.paths.get(key);
      let p: Plan | undefined;
      if (!paths) {
        paths = [];
        p = bestSinglePath(this.router, s, d, x, paths);
        this.paths.set(key, paths);
      } else p = bestOfPaths(this.router, s, d, x, paths);
      return p ? { out: p.out, marginal: p.out / x, plan: p } : { out: 0, marginal: 0, plan: undefined };
    }
    const key = `${s}:${d}`;
    const warm = this.warm.get(key);
    const plan = this.router.plan(s, d, x, { gasCostInDst: this.gasCostIn(dst), ...(warm ? { warm } : {}) });
    this.warm.set(key, plan.result.nu);
    return { out: plan.legs.length ? plan.out : 0, marginal: plan.result.marginal, plan: plan.legs.length ? plan : undefined };
  }

  /** Marginal rate (dst per src) of an infinitesimal trade. */
  private bid(src: Address, dst: Address, scale: number): number {
    const r = this.routeFloat(src, dst, Math.max(scale * 1e-9, 1));
    return r.marginal > 0 ? r.marginal : r.out / Math.max(scale * 1e-9, 1);
  }

  /** Highest rate π (B per A) at which side 1's net excess of A routed to B pays side 1. */
  private highEnd(s: { a1: number; b1: number; a2: number; b2: number }, a: Address, b: Address, start: number): number | undefined {
    const N = (pi: number) => s.a1 - s.b2 + (s.b1 - s.a2) / pi;
    let pi = start;
    for (let k = 0; k < 60; k++) {
      const n = N(pi);
      if (!(n > 0)) return undefined;
      const r = this.routeFloat(a, b, n);
      if (!(r.out > 0)) return undefined;
      const next = r.out / n;
      if (Math.abs(next - pi) <= 1e-13 * pi) return Math.min(next, pi);
      pi = next;
    }
    return pi;
  }

  /** Float clearing rate for a pair (free rate), or undefined if nothing clears. */
  private pairRate(entries: Entry[], a: Address, b: Address): number | undefined {
    const s = sideSums(entries);
    const has1 = s.a1 + s.b1 > 0;
    const has2 = s.a2 + s.b2 > 0;
    const refA = this.ref(a);
    const refB = this.ref(b);
    const value = (pi: number): number => {
      let v = 0;
      for (const e of entries) {
        const i = e.intent;
        const x = Number(e.amount);
        const sell = Number(i.sellAmount);
        const buy = Number(i.buyAmount);
        if (e.side === 1) {
          // receives B: SELL x gets xπ vs x·buy/sell; BUY y pays y/π vs y·sell/buy (A)
          v += i.kind === SwapKind.SELL ? (x * pi - (x * buy) / sell) * refB : ((x * sell) / buy - x / pi) * refA;
        } else {
          v += i.kind === SwapKind.SELL ? (x / pi - (x * buy) / sell) * refA : ((x * sell) / buy - x * pi) * refB;
        }
      }
      return v;
    };
    const candidates: number[] = [];
    const scaleA = s.a1 + s.b2 + 1;
    const scaleB = s.a2 + s.b1 + 1;
    const bid = this.bid(a, b, scaleA);
    const askInv = this.bid(b, a, scaleB); // A per B
    const ask = askInv > 0 ? 1 / askInv : Infinity;
    const den = s.a1 - s.b2;
    const num = s.a2 - s.b1;
    const piC = has1 && has2 && den !== 0 && num / den > 0 ? num / den : undefined;
    if (piC !== undefined) candidates.push(piC);
    // No CoW rate: the users' net excess keeps one sign for every π (one side, or mixed kinds).
    const alwaysA = piC === undefined && den >= 0 && -num >= 0 && den - num > 0;
    const alwaysB = piC === undefined && den <= 0 && -num <= 0 && den - num < 0;
    if (bid > 0 && (piC !== undefined ? piC < bid : alwaysA)) {
      const hi = this.highEnd(s, a, b, bid);
      if (hi !== undefined) candidates.push(hi);
    }
    if (ask < Infinity && (piC !== undefined ? piC > ask : alwaysB)) {
      const flipped = { a1: s.a2, b1: s.b2, a2: s.a1, b2: s.b1 };
      const lo = this.highEnd(flipped, b, a, askInv);
      if (lo !== undefined) candidates.push(1 / lo);
    }
    let best: number | undefined;
    for (const c of candidates) if (c > 0 && Number.isFinite(c) && (best === undefined || value(c) > value(best))) best = c;
    return best;
  }

  solve(): SolveResult {
    const t0 = performance.now();
    const now = this.opts.now ?? 0;
    const groups = new Map<string, { a: Address; b: Address; entries: Entry[]; value: number }>();
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
      const g = groups.get(key) ?? { a, b, entries: [], value: 0 };
      g.entries.push({ id: lower(id) as Hex, intent: i, amount, side: st === a ? 1 : 2 });
      g.value += Number(i.sellAmount) * this.ref(st);
      groups.set(key, g);
    }
    // The baseline has no batch view: every intent is its own group, in arrival order.
    const order =
      this.opts.strategy === 'baseline'
        ? [...groups.values()].flatMap((g) => g.entries.map((e) => ({ ...g, entries: [e] })))
        : [...groups.values()].sort((x, y) => y.value - x.value);

    const prices = new PriceGraph();
    const plans: PairPlan[] = [];
    for (const g of order) {
      const plan = this.planPair(g.a, g.b, g.entries, prices);
      if (plan) {
        prices.link(plan.a, plan.b, plan.pa, plan.pb);
        plans.push(plan);
      }
    }
    // Exact pass at the final integer prices; drop failing pairs until everything balances.
    let active = plans;
    for (;;) {
      const graph = new PriceGraph();
      for (const p of active) graph.link(p.a, p.b, p.pa, p.pb);
      const intPrices = graph.integerPrices();
      const exact = this.exactPass(active, intPrices);
      if (exact.failed === undefined) return this.finish(active, intPrices, exact, intents, t0);
      active = active.filter((p) => p !== exact.failed);
    }
  }

  /** Chooses the pair's intents and rate (float search, then an exact feasibility check). */
  private planPair(a: Address, b: Address, entries: Entry[], prices: PriceGraph): PairPlan | undefined {
    let live = entries.slice();
    const forced = prices.ratio(a, b);
    for (let round = 0; round < entries.length + 4 && live.length; round++) {
      const pi = forced ? ratioToFloat(forced[0], forced[1]) : this.pairRate(live, a, b);
      if (pi === undefined || !(pi > 0)) return undefined;
      const bad = live.filter((e) => !limitOk(e, pi));
      if (bad.length) {
        // drop the violator that moves the rate most (largest value), then re-solve
        const worth = (e: Entry) => Number(e.intent.sellAmount) * this.ref(lower(e.intent.sellToken));
        const worst = bad.reduce((x, y) => (worth(y) > worth(x) ? y : x));
        live = live.filter((e) => e !== worst);
        continue;
      }
      // exact check (the pools keep the swaps if it passes), shading the rate towards feasibility
      let violators: Entry[] = [];
      const sign = this.excessSign(live, pi);
      for (let k = 0; k < (forced ? 1 : 8) && !violators.length; k++) {
        const shaded = pi * (1 - sign * (k === 0 ? 0 : 1e-13 * 10 ** k));
        const [pa, pb] = forced ?? floatRatio(shaded);
        const check = this.settlePair({ a, b, entries: live, pa, pb }, 'plan');
        if (check.ok) return { a, b, entries: live, pa, pb };
        violators = check.violators;
      }
      if (violators.length) {
        live = live.filter((e) => !violators.includes(e));
        continue;
      }
      // infeasible as a whole: drop the side of smaller value and re-solve
      if (live.some((e) => e.side === 1) && live.some((e) => e.side === 2)) {
        const s = sideSums(live);
        const side1Value = (s.a1 + s.b1 / pi) * this.ref(a);
        const side2Value = (s.a2 + s.b2 * pi) * this.ref(b);
        const dropSide = side1Value < side2Value ? 1 : 2;
        live = live.filter((e) => e.side !== dropSide);
        continue;
      }
      return undefined;
    }
    return undefined;
  }

  /** +1 if the users' net excess at π is in A (routed A→B; lowering π helps), -1 if in B. */
  private excessSign(entries: Entry[], pi: number): number {
    const s = sideSums(entries);
    return s.a1 - s.b2 + (s.b1 - s.a2) / pi >= 0 ? 1 : -1;
  }

  /**
   * Exact accounting of one pair at prices pa:pb (p_A/p_B). Routes the exact net excess, and checks
   * that the other token's payouts are covered with a safety margin (for the final price rounding)
   * or, for a pure CoW, by the settlement's buffers ('plan'); exact non-negativity ('final'). The
   * pools keep the executed swaps only if the pair settles.
   */
  private settlePair(p: PairPlan, mode: 'plan' | 'final'): { ok: boolean; violators: Entry[]; legs: ExecutedLeg[]; executed: Map<Hex, bigint>; net: Map<Address, bigint> } {
    const violators = p.entries.filter((e) => (e.side === 1 ? !limitHolds(e.intent, p.pa, p.pb) : !limitHolds(e.intent, p.pb, p.pa)));
    if (violators.length) return { ok: false, violators, legs: [], executed: new Map(), net: new Map() };
    let inA = 0n, outA = 0n, inB = 0n, outB = 0n;
    const executed = new Map<Hex, bigint>();
    for (const e of p.entries) {
      const [sp, bp] = e.side === 1 ? [p.pa, p.pb] : [p.pb, p.pa];
      const t = tradeAmounts(e.intent, e.amount, sp, bp);
      if (e.side === 1) {
        inA += t.sell;
        outB += t.buy;
      } else {
        inB += t.sell;
        outA += t.buy;
      }
      executed.set(e.id, e.amount);
    }
    let netA = inA - outA;
    let netB = inB - outB;
    let legs: ExecutedLeg[] = [];
    const saved = new Map<number, LiquidityAdapter>();
    const route = (src: Address, dst: Address, amount: bigint): bigint => {
      const r = this.routeFloat(src, dst, Number(amount));
      if (!r.plan) return 0n;
      for (const l of r.plan.legs) if (!saved.has(l.pool)) saved.set(l.pool, this.router.pools[l.pool]!.clone());
      const ex = executePlan(this.router, r.plan, amount);
      legs = ex.legs;
      return ex.amountOut;
    };
    let receiver: Address | undefined;
    if (netA > 0n && netB < 0n) {
      netB += route(p.a, p.b, netA);
      netA = 0n;
      receiver = p.b;
    } else if (netB > 0n && netA < 0n) {
      netA += route(p.b, p.a, netB);
      netB = 0n;
      receiver = p.a;
    }
    const margin = (paid: bigint) => paid / 10n ** 15n + BigInt(p.entries.length) + 2n;
    const buf = (t: Address) => this.opts.buffers?.get(t) ?? 0n;
    const strict = mode === 'plan' && legs.length > 0;
    const okA = netA >= (strict && receiver === p.a ? margin(outA) : -buf(p.a));
    const okB = netB >= (strict && receiver === p.b ? margin(outB) : -buf(p.b));
    const ok = okA && okB;
    if (!ok) for (const [i, pool] of saved) this.router.pools[i] = pool;
    return { ok, violators, legs, executed, net: new Map([[p.a, netA], [p.b, netB]]) };
  }

  /** Recomputes every pair exactly at the final integer prices on fresh pool state. */
  private exactPass(plans: PairPlan[], prices: Map<Address, bigint>) {
    this.router.pools.splice(0, this.router.pools.length, ...this.original.map((p) => p.clone()));
    const legs: ExecutedLeg[] = [];
    const executed = new Map<Hex, bigint>();
    const bufferUse = new Map<Address, bigint>();
    for (const p of plans) {
      const q = { ...p, pa: prices.get(p.a)!, pb: prices.get(p.b)! };
      const r = this.settlePair(q, 'final');
      if (!r.ok) return { failed: p, legs, executed };
      for (const [t, n] of r.net) {
        if (n < 0n) {
          const used = (bufferUse.get(t) ?? 0n) - n;
          if (used > (this.opts.buffers?.get(t) ?? 0n)) return { failed: p, legs, executed };
          bufferUse.set(t, used);
        }
      }
      legs.push(...r.legs);
      for (const [id, x] of r.executed) executed.set(id, x);
    }
    return { failed: undefined, legs, executed };
  }

  private finish(plans: PairPlan[], prices: Map<Address, bigint>, exact: { legs: ExecutedLeg[]; executed: Map<Hex, bigint> }, intents: number, t0: number): SolveResult {
    const tokens = new Set<Address>();
    for (const p of plans) {
      tokens.add(p.a);
      tokens.add(p.b);
    }
    const sorted = [...tokens].sort();
    const interactions: Interaction[] = [];
    for (const l of exact.legs) interactions.push(...l.pool.encodeSwap(l.zeroForOne, l.amountIn, l.amountOut, this.opts.settlement));
    const trades = [...exact.executed].map(([intentId, executed]) => ({ intentId, executed }));
    let matched = 0;
    let matchedValue = 0;
    let totalValue = 0;
    for (const p of plans) {
      const has1 = p.entries.some((e) => e.side === 1);
      const has2 = p.entries.some((e) => e.side === 2);
      const s = sideSums(p.entries);
      const pi = ratioToFloat(p.pa, p.pb);
      const v1 = (s.a1 + s.b1 / pi) * this.ref(p.a);
      const v2 = (s.a2 + s.b2 * pi) * this.ref(p.b);
      totalValue += v1 + v2;
      if (has1 && has2) {
        matched += p.entries.length;
        matchedValue += 2 * Math.min(v1, v2);
      }
    }
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
      stats: {
        intents,
        filled: trades.length,
        matched,
        matchedVolumeShare: totalValue > 0 ? matchedValue / totalValue : 0,
        interactions: interactions.length,
        gasEstimate,
        ms: performance.now() - t0,
      },
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
  return new PairwiseSolver(auction, pools, { ...opts, strategy: 'baseline' }).solve();
}

export const MAX_HOPS = 3;

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
export function bestSinglePath(router: Router, src: number, dst: number, x: number, candidates?: PlanLeg[][]): Plan | undefined {
  let bestOut = 0;
  let bestLegs: PlanLeg[] | undefined;
  const ranked: { out: number; legs: PlanLeg[] }[] = [];
  const leg = (pool: number, tokenIn: number, amountIn: number): PlanLeg => {
    const zeroForOne = router.t0[pool] === tokenIn;
    return { pool, zeroForOne, tokenIn, tokenOut: zeroForOne ? router.t1[pool]! : router.t0[pool]!, amountIn };
  };
  const quote = (pool: number, tokenIn: number, amountIn: number): number => floatQuote(router, pool, router.t0[pool] === tokenIn, amountIn);
  const consider = (out: number, legs: () => PlanLeg[]): void => {
    if (candidates && (ranked.length < CANDIDATES || out > ranked[ranked.length - 1]!.out)) {
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
    if (MAX_HOPS < 2) continue;
    for (const k of router.byToken[t1]!) {
      if (k === i) continue;
      const t2 = router.t0[k] === t1 ? router.t1[k]! : router.t0[k]!;
      if (t2 === src) continue;
      if (t2 !== dst && MAX_HOPS < 3) continue;
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
  if (candidates) candidates.push(...ranked.map((r) => r.legs));
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
