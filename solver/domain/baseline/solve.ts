// Baseline strategy: the best single path per intent, as Uniswap's v2 SDK `bestTradeExactIn`
// does: every path of at most 3 hops over distinct pools, no split, no matching; the path with
// the highest output for the whole amount wins (quoted in floats by the pools' own curves, then
// executed exactly like any plan). Intents are taken one at a time: pair by pair, in the order of
// each pair's first intent, and in arrival order within a pair. Each fill's rate joins one price
// vector (a later intent between tokens already linked must clear at the implied rate), as a
// router without a batch view would settle them in one uniform-price batch.
import type { Address, Hex } from 'viem';
import { limitHolds, tradeAmounts } from '../../../protocol/clearing.ts';
import type { SwapIntent } from '../../../protocol/intent.ts';
import { SwapKind } from '../../../protocol/intent.ts';
import type { Auction } from '../../../protocol/score.ts';
import { settleGas } from '../gas.ts';
import type { LiquidityAdapter } from '../liquidity/adapter.ts';
import { floatRatio, ratioToFloat } from '../math/ratio.ts';
import type { SolveOptions } from '../options.ts';
import type { SolveResult } from '../result.ts';
import { executePlan, swapInteractions, type ExecutedLeg } from '../routing/execute.ts';
import { bestOfPaths, bestSinglePath } from '../routing/path-search.ts';
import type { Plan, PlanLeg } from '../routing/plan.ts';
import { Router } from '../routing/router.ts';
import { openSwaps } from '../open-swaps.ts';
import { PriceGraph } from './price-graph.ts';

/** A swap intent on the pair a < b: side 1 sells A for B, side 2 sells B for A. */
type Entry = { id: Hex; intent: SwapIntent; amount: bigint; a: Address; b: Address; side: 1 | 2 };

/** One intent's fill: the pair (a < b), the intent and its rate as an exact ratio p_A / p_B = pa / pb. */
type Fill = { a: Address; b: Address; entry: Entry; pa: bigint; pb: bigint };

/** Limit at π (B per A): side 1 needs π >= buy/sell, side 2 needs π <= sell/buy. */
const limitOk = (e: Entry, pi: number): boolean =>
  e.side === 1
    ? pi * Number(e.intent.sellAmount) >= Number(e.intent.buyAmount) * (1 - 1e-12)
    : pi * Number(e.intent.buyAmount) <= Number(e.intent.sellAmount) * (1 + 1e-12);

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
   * The rate π (B per A) at which routing the intent's input pays out exactly π: a fixed point
   * of the route's average rate, started from the rate of a tiny trade (1e-9 of a SELL's amount,
   * one base unit for a BUY, whose input is not known yet).
   */
  private clearingRate(e: Entry): number | undefined {
    const x = Number(e.amount);
    const sell = e.intent.kind === SwapKind.SELL;
    const [src, dst] = e.side === 1 ? [e.a, e.b] : [e.b, e.a];
    const probe = Math.max((sell ? x + 1 : 1) * 1e-9, 1);
    const start = this.route(src, dst, probe).out / probe;
    if (!(start > 0)) return undefined;
    const rate = this.fixedPoint(src, dst, x, sell, start);
    if (rate === undefined) return undefined;
    const pi = e.side === 1 ? rate : 1 / rate;
    return pi > 0 && Number.isFinite(pi) ? pi : undefined;
  }

  /** The rate (dst per src) r with route(n).out / n = r, where n is what the intent pays in at r (a SELL x, a BUY of x: x / r). */
  private fixedPoint(src: Address, dst: Address, x: number, sell: boolean, start: number): number | undefined {
    let rate = start;
    for (let k = 0; k < 60; k++) {
      const n = sell ? x : x / rate;
      if (!(n > 0)) return undefined;
      const r = this.route(src, dst, n);
      if (!(r.out > 0)) return undefined;
      const next = r.out / n;
      if (Math.abs(next - rate) <= 1e-13 * rate) return Math.min(next, rate);
      rate = next;
    }
    return rate;
  }

  solve(): SolveResult {
    const t0 = performance.now();
    const now = this.opts.now ?? 0;
    const byPair = new Map<string, Entry[]>();
    const { swaps, intents } = openSwaps(this.auction, now);
    for (const { id, intent, amount, sellToken: st, buyToken: bt } of swaps) {
      const [a, b] = st < bt ? [st, bt] : [bt, st];
      const key = `${a}${b}`;
      const list = byPair.get(key) ?? [];
      list.push({ id, intent, amount, a, b, side: st === a ? 1 : 2 });
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
    return {
      ok,
      limitBroken: false,
      legs,
      net: new Map([
        [f.a, netA],
        [f.b, netB],
      ]),
    };
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

  private finish(
    fills: Fill[],
    prices: Map<Address, bigint>,
    exact: { legs: ExecutedLeg[]; executed: Map<Hex, bigint> },
    intents: number,
    t0: number,
  ): SolveResult {
    const tokens = new Set<Address>();
    for (const f of fills) {
      tokens.add(f.a);
      tokens.add(f.b);
    }
    const sorted = [...tokens].sort();
    const interactions = swapInteractions(exact.legs, this.opts.settlement);
    const trades = [...exact.executed].map(([intentId, executed]) => ({ intentId, executed }));
    const gasEstimate = settleGas(trades.length, exact.legs);
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
      stats: {
        intents,
        filled: trades.length,
        matched: 0,
        matchedVolumeShare: 0,
        interactions: interactions.length,
        gasEstimate,
        ms: performance.now() - t0,
      },
    };
  }
}

/** The baseline strategy on an auction (pool states not mutated). */
export function solveBaseline(auction: Auction, pools: LiquidityAdapter[], opts: SolveOptions): SolveResult {
  return new SinglePathSolver(auction, pools, opts).solve();
}
