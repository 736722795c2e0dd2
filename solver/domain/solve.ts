// The optimal strategy: the whole batch solved jointly, one price vector for all tokens.
//
// Every intent trades at the batch's uniform prices p (amountA·p_A = amountB·p_B). At prices p the
// users' net flow of each token is e_j(p) = (what users pay in) − (what users take out): opposite
// intents cancel inside the batch (coincidence of wants, across any number of tokens: rings
// included), and only the net excess meets the pools. Tokens with e_j > 0 are supplied to the
// pools, tokens with e_j < 0 must be delivered by them. The pools' part is one convex problem over
// all pools at once (Angeris et al., dual decomposition; Router.solveDual): convert the supply into
// the demanded tokens, maximising their value at p. The prices then move until the pools deliver
// exactly what the users take (a fixed point, like the single-pair rate π = out(n)/n): demanded
// tokens whose delivery falls short get dearer, those over-delivered cheaper. The total surplus of
// a clearing batch is (value the users put in) − (what the pools cost) − (limits), so at the fixed
// point the only choices left are which intents fill (limits at p; partially fillable intents are
// filled up to where the pools' marginal price reaches their limit) and the routing, which is the
// convex optimum for the net flows.
//
// The search is float; the final amounts are exact: integer prices, the contract's rounding
// (protocol/clearing.ts), every swap executed on bigint pool state, and a token balance check per
// token (a tiny shading of the demanded tokens' prices covers float error and rounding).
//
// As a safety net the baseline's plan is also built and the higher score (protocol/score.ts) is
// returned; `stats.source` says which one won.
import type { Address, Hex } from 'viem';
import { fillableAmount, limitHolds, tradeAmounts } from '../../protocol/clearing.ts';
import type { SwapIntent } from '../../protocol/intent.ts';
import { SwapKind } from '../../protocol/intent.ts';
import { scoreSolution, type Auction } from '../../protocol/score.ts';
import { lower } from './address.ts';
import { solveBaseline } from './baseline/solve.ts';
import { settleGas } from './gas.ts';
import type { LiquidityAdapter } from './liquidity/adapter.ts';
import type { SolveOptions } from './options.ts';
import type { SolveResult } from './result.ts';
import { swapInteractions, type ExecutedLeg } from './routing/execute.ts';
import { flowLegs, orderLegs, type PlanLeg } from './routing/plan.ts';
import { Router, type HingeTerms } from './routing/router.ts';

/** Rounds of the price fixed point (`clear`); the partial fills' bisection stops after FILL_ITERATIONS of them. */
const CLEAR_ITERATIONS = 120;
const FILL_ITERATIONS = 40;

type Entry = {
  id: Hex;
  intent: SwapIntent;
  /** Remaining amount in the kind token. */
  amount: bigint;
  x: number;
  s: number;
  t: number;
  sell: boolean;
  partial: boolean;
  /** Limit as a price ratio: filled iff p_s / p_t >= lim. */
  lim: number;
  /** Fill fraction (float search); 0 = not filled. */
  f: number;
  /** A partial fill cut back for its limit at the uniform prices: no longer follows the marginal price. */
  frozen?: boolean;
  /** Bracket of the fill's bisection (partially fillable intents). */
  lo?: number;
  hi?: number;
  /** Times this partially fillable intent's fill broke its limit at the uniform prices. */
  violations?: number;
  /** Times this fill-or-kill intent was dropped for its limit. */
  dropped?: number;
};

/** Pools that can matter: drop dead ends (a non-batch token reached by a single pool), repeatedly. */
function prunePools(pools: LiquidityAdapter[], batchTokens: Set<Address>): LiquidityAdapter[] {
  let live = pools.slice();
  for (;;) {
    const degree = new Map<Address, number>();
    for (const p of live) {
      degree.set(p.token0, (degree.get(p.token0) ?? 0) + 1);
      degree.set(p.token1, (degree.get(p.token1) ?? 0) + 1);
    }
    const next = live.filter((p) => (batchTokens.has(p.token0) || degree.get(p.token0)! > 1) && (batchTokens.has(p.token1) || degree.get(p.token1)! > 1));
    if (next.length === live.length) break;
    live = next;
  }
  // keep only components that hold a batch token
  const parent = new Map<Address, Address>();
  const find = (a: Address): Address => {
    let r = a;
    while (parent.get(r) !== undefined && parent.get(r) !== r) r = parent.get(r)!;
    parent.set(a, r);
    return r;
  };
  for (const p of live) {
    if (!parent.has(p.token0)) parent.set(p.token0, p.token0);
    if (!parent.has(p.token1)) parent.set(p.token1, p.token1);
    parent.set(find(p.token0), find(p.token1));
  }
  const useful = new Set<Address>();
  for (const t of batchTokens) if (parent.has(t)) useful.add(find(t));
  return live.filter((p) => useful.has(find(p.token0)));
}

type JointPlan = {
  p: Float64Array;
  nu: Float64Array;
  flows: Float64Array;
  /** Users' net flow per token (> 0 supplied to the pools, < 0 delivered by them). */
  supply: Float64Array;
  /** The pinned (residual) token, -1 if no pool is needed. */
  k: number;
  /** Fill fraction of each entry that these flows assume. */
  fills: Float64Array;
  excluded: Uint8Array;
};

class JointSolver {
  private readonly auction: Auction;
  private readonly opts: SolveOptions;
  private readonly original: LiquidityAdapter[];
  private router!: Router;
  private entries: Entry[] = [];
  private intents = 0;

  constructor(auction: Auction, pools: LiquidityAdapter[], opts: SolveOptions) {
    this.auction = auction;
    this.original = pools;
    this.opts = opts;
  }

  private ref(token: Address): number {
    return Number(this.auction.referencePrices.get(token) ?? this.auction.referencePrices.get(lower(token)) ?? 0n) / 1e18;
  }

  private collect(): void {
    const now = this.opts.now ?? 0;
    const tokens = new Set<Address>();
    const raw: { id: Hex; intent: SwapIntent; amount: bigint }[] = [];
    for (const [id, entry] of this.auction.intents) {
      if (entry.intent.type !== 'swap') continue;
      this.intents++;
      const i = entry.intent.intent;
      if (i.validTo < now) continue;
      const amount = fillableAmount(i, entry.filled);
      if (amount <= 0n || i.sellAmount <= 0n || i.buyAmount <= 0n) continue;
      const st = lower(i.sellToken);
      const bt = lower(i.buyToken);
      if (st === bt) continue;
      tokens.add(st);
      tokens.add(bt);
      raw.push({ id: lower(id) as Hex, intent: i, amount });
    }
    this.router = new Router(prunePools(this.original, tokens).map((p) => p.clone()));
    this.router.freezeBands(); // the joint solve never swaps on these copies
    for (const r of raw) {
      const s = this.router.tokenIndex.get(lower(r.intent.sellToken));
      const t = this.router.tokenIndex.get(lower(r.intent.buyToken));
      if (s === undefined || t === undefined) continue; // no liquidity at all for this token
      this.entries.push({
        id: r.id,
        intent: r.intent,
        amount: r.amount,
        x: Number(r.amount),
        s,
        t,
        sell: r.intent.kind === SwapKind.SELL,
        partial: r.intent.partiallyFillable,
        lim: Number(r.intent.buyAmount) / Number(r.intent.sellAmount),
        f: 1,
      });
    }
  }

  private fills(): Float64Array {
    return Float64Array.from(this.entries, (en) => en.f);
  }

  /** Users' net float flows at p: e_j > 0 paid in, < 0 taken out. */
  private userFlows(p: Float64Array, e: Float64Array, gross?: Float64Array): void {
    e.fill(0);
    gross?.fill(0);
    for (const en of this.entries) {
      if (en.f <= 0) continue;
      const amt = en.f * en.x;
      const rate = p[en.s]! / p[en.t]!;
      const paid = en.sell ? amt : amt / rate;
      const got = en.sell ? amt * rate : amt;
      e[en.s] = e[en.s]! + paid;
      e[en.t] = e[en.t]! - got;
      if (gross) {
        gross[en.s] = gross[en.s]! + paid;
        gross[en.t] = gross[en.t]! + got;
      }
    }
  }

  /**
   * Fixed point of prices for the current fills (see the module comment). The pools' problem
   * pins one demanded token k and asks for every other token's net user flow exactly (supplied
   * tokens are spent, demanded ones delivered), so the pools' marginal prices ν follow; the users'
   * prices are ν with every demanded token marked down by one common factor (1 − λ), and λ moves
   * until token k is delivered exactly too (λ > 0 hands the gap between the pools' average and
   * marginal prices back to the users).
   */
  private clear(p: Float64Array, excluded: Uint8Array, warm: { nu: Float64Array; lambda: number }, margin: number): JointPlan | undefined {
    const n = this.router.tokens.length;
    const e = new Float64Array(n);
    const gross = new Float64Array(n);
    const supply = new Float64Array(n);
    const pinned = new Float64Array(n);
    const out = new Float64Array(n);
    const t0 = this.router.t0;
    const t1 = this.router.t1;
    let last: JointPlan | undefined;
    let k = -1;
    let prev: { lambda: number; resid: number } | undefined;
    for (let it = 0; it < CLEAR_ITERATIONS; it++) {
      this.userFlows(p, e, gross);
      let best = 0;
      for (let j = 0; j < n; j++) {
        const tol = 1e-12 * gross[j]!;
        supply[j] = Math.abs(e[j]!) > tol ? e[j]! : 0;
        if (supply[j]! < 0 && -supply[j]! * p[j]! > best * 1.5) best = -supply[j]! * p[j]!;
      }
      if (k < 0 || !(supply[k]! < 0) || -supply[k]! * p[k]! * 1.5 < best) {
        k = -1;
        for (let j = 0; j < n; j++) if (supply[j]! < 0 && (k < 0 || -supply[j]! * p[j]! > -supply[k]! * p[k]!)) k = j;
      }
      if (k < 0) {
        // everything nets out among the users: no pool is needed
        return { p: Float64Array.from(p), nu: Float64Array.from(p), flows: new Float64Array(this.router.pools.length * 2), supply: Float64Array.from(supply), k, excluded, fills: this.fills() };
      }
      const lambda = warm.lambda;
      pinned.fill(NaN);
      pinned[k] = p[k]! / (1 - lambda);
      // every demanded token is asked for with a small margin (float error) plus the rounding
      // allowance of the legs that deliver it (see `roundingAllowance`)
      const extra = this.extra;
      const Dk = -supply[k]! * (1 + margin) + (extra ? extra[k]! : 0);
      for (let j = 0; j < n; j++) if (supply[j]! < 0) supply[j] = supply[j]! * (1 + margin) - (extra ? extra[j]! : 0);
      supply[k] = 0; // k takes whatever the pools deliver
      const warmNu = warm.nu;
      for (let j = 0; j < n; j++) if (!(warmNu[j]! > 0) || !Number.isFinite(warmNu[j]!)) warmNu[j] = p[j]!;
      const res = this.router.solveDual(supply, pinned, warmNu, excluded);
      warm.nu = res.nu;
      supply[k] = -Dk;
      for (let j = 0; j < n; j++) if (supply[j]! < 0) supply[j] = (supply[j]! + (extra ? extra[j]! : 0)) / (1 + margin);
      out.fill(0);
      for (let i = 0; i < this.router.pools.length; i++) {
        out[t0[i]!] = out[t0[i]!]! + res.flows[2 * i]!;
        out[t1[i]!] = out[t1[i]!]! + res.flows[2 * i + 1]!;
      }
      last = { p: Float64Array.from(p), nu: res.nu, flows: res.flows, supply: Float64Array.from(supply), k, excluded, fills: this.fills() };
      let demandValue = 0;
      for (let j = 0; j < n; j++) if (supply[j]! < 0) demandValue -= supply[j]! * res.nu[j]!;
      const resid = ((out[k]! - Dk) * res.nu[k]!) / demandValue;
      // secant on λ (the residual's slope in λ is about −1 before the prices follow; measured after)
      let slope = -1;
      if (prev && Math.abs(lambda - prev.lambda) > 1e-15) {
        const sl = (resid - prev.resid) / (lambda - prev.lambda);
        if (sl < -0.05 && sl > -50) slope = sl;
      }
      prev = { lambda, resid };
      warm.lambda = Math.max(-0.5, Math.min(0.5, lambda - resid / slope));
      let move = 0;
      for (let j = 0; j < n; j++) {
        const target = res.nu[j]! * (supply[j]! < 0 ? 1 - warm.lambda : 1);
        move = Math.max(move, Math.abs(Math.log(target / p[j]!)));
        p[j] = target;
      }
      // partially fillable intents: filled up to where the pools' marginal price meets the limit
      // (where one more unit would earn less than its limit asks), by bisection on the fill; after
      // FILL_ITERATIONS the fills stay put and only the prices converge
      let fillsMoved = false;
      for (const en of this.entries) {
        if (!en.partial || en.frozen || it >= FILL_ITERATIONS) continue;
        const lo = en.lo ?? 0;
        const hi = en.hi ?? 1;
        if (hi - lo < 1e-6) continue;
        const m = res.nu[en.s]! / res.nu[en.t]! / en.lim;
        if (m >= 1) en.lo = en.f;
        else en.hi = en.f;
        const next = en.lo !== undefined && en.lo >= (en.hi ?? 1) ? en.lo : 0.5 * ((en.lo ?? 0) + (en.hi ?? 1));
        const settled = (en.hi ?? 1) - (en.lo ?? 0) < 1e-6;
        const f = settled ? (en.lo ?? 0) : next;
        if (f !== en.f) fillsMoved = true;
        en.f = f;
      }
      // (the routing itself is exact only to its residual when Newton stalls on a fee-band kink)
      const tol = Math.max(1e-12, 4 * res.residual);
      if (Math.abs(resid) < tol && move < Math.max(1e-11, 4 * tol) && !fillsMoved) return last;
    }
    return last;
  }

  /** Legs of a dual solution (pool flows), in an order where every token is received before it is spent; or a pool to drop. */
  private legs(plan: JointPlan): { ok: true; legs: PlanLeg[] } | { ok: false; drop: number } {
    let total = 0;
    for (let j = 0; j < plan.supply.length; j++) total += Math.abs(plan.supply[j]!) * plan.nu[j]!;
    const legs = flowLegs(this.router.t0, this.router.t1, plan.flows, plan.nu, 1e-12 * total);
    const ordered = orderLegs(legs);
    if (ordered.length === legs.length) return { ok: true, legs: ordered };
    const cyclic = legs.filter((l) => !ordered.includes(l));
    const smallest = cyclic.reduce((a, b) => (b.amountIn * plan.nu[b.tokenIn]! < a.amountIn * plan.nu[a.tokenIn]! ? b : a));
    return { ok: false, drop: smallest.pool };
  }

  /** Float search: fills, prices and routes; undefined if nothing fills. */
  private state: { p: Float64Array; excluded: Uint8Array; warm: { nu: Float64Array; lambda: number } } | undefined;

  private search(margin: number): { plan: JointPlan; legs: PlanLeg[] } | undefined {
    const r = this.router;
    const n = r.tokens.length;
    if (!this.entries.length || !r.pools.length) return undefined;
    if (this.state) return this.searchFrom(this.state.p, this.state.excluded, this.state.warm, margin);
    // start from the pools' own prices, expressed in numeraire per base unit
    let anchor = 0;
    let anchorRef = 0;
    for (let j = 0; j < n; j++) {
      const v = this.ref(r.tokens[j]!);
      if (v > 0 && r.byToken[j]!.length > r.byToken[anchor]!.length) [anchor, anchorRef] = [j, v];
    }
    if (!(anchorRef > 0)) anchorRef = this.ref(r.tokens[anchor]!) || 1;
    const spot = r.spotPrices(anchor);
    const p = new Float64Array(n);
    for (let j = 0; j < n; j++) p[j] = spot[j]! * anchorRef;
    for (const en of this.entries) {
      en.f = en.partial || p[en.s]! / p[en.t]! >= en.lim * (1 - 0.2) ? 1 : 0;
      if (en.f === 0) en.dropped = 1;
    }
    const excluded = new Uint8Array(r.pools.length);
    const warm = { nu: Float64Array.from(p), lambda: 0 };
    this.state = { p, excluded, warm };
    return this.searchFrom(p, excluded, warm, margin);
  }

  private searchFrom(p: Float64Array, excluded: Uint8Array, warm: { nu: Float64Array; lambda: number }, margin: number): { plan: JointPlan; legs: PlanLeg[] } | undefined {
    const r = this.router;
    // numeraire per unit of gas: 1e18 wei are one unit of the numeraire (ETH)
    const gasUnit = Number(this.opts.gasPrice ?? 0n) / 1e18;
    let plan: JointPlan | undefined;
    for (let round = 0; round < 200; round++) {
      plan = this.clear(p, excluded, warm, margin);
      if (!plan) return undefined;
      p.set(plan.p);
      // fill-or-kill limits at the uniform prices (with room for the final shading): far
      // violators leave at once, near ones one at a time (the prices move as each one leaves)
      const ratio = (en: Entry): number => p[en.s]! / p[en.t]! / en.lim;
      const bad = this.entries.filter((en, idx) => plan!.fills[idx]! > 0 && !en.partial && ratio(en) < 1 + 1e-9);
      const badPartial = this.entries.filter((en, idx) => plan!.fills[idx]! > 0 && en.partial && ratio(en) < 1 + 1e-9);
      if (bad.length || badPartial.length) {
        const far = bad.filter((en) => ratio(en) < 0.99);
        const drop = far.length ? far : bad.length ? [bad.reduce((a, b) => (ratio(b) < ratio(a) ? b : a))] : [];
        for (const en of drop) {
          en.f = 0;
          en.dropped = (en.dropped ?? 0) + 1;
        }
        // fill-or-kill violators leave first (the prices move as they go); partial fills are
        // cut only once no fill-or-kill limit is broken
        for (const en of bad.length ? [] : badPartial) {
          // the fill is too large for its limit at the uniform prices (its own price impact, or
          // the other fills'): the fill's bisection continues below it (the lower bracket reopens
          // if it was not below), and gives up on the intent after many cuts
          const f = plan.fills[this.entries.indexOf(en)]!;
          en.violations = (en.violations ?? 0) + 1;
          en.hi = f;
          if ((en.lo ?? 0) >= f) en.lo = 0;
          if (en.violations > 24 || f < 1e-6) {
            en.f = 0;
            en.frozen = true;
          } else en.f = 0.5 * ((en.lo ?? 0) + f);
        }
        continue;
      }
      // dropped fill-or-kill intents whose limit now holds comfortably come back (twice at most)
      const back = this.entries.filter((en) => !en.partial && en.f === 0 && (en.dropped ?? 0) < 3 && ratio(en) > 1 + 1e-3);
      if (back.length) {
        for (const en of back) en.f = 1;
        continue;
      }
      // gas: a pool whose arbitrage profit at the optimum is below its gas cost is not worth using
      if (gasUnit > 0) {
        let dropped = false;
        for (let i = 0; i < r.pools.length; i++) {
          if (excluded[i]) continue;
          const d0 = plan.flows[2 * i]!;
          const d1 = plan.flows[2 * i + 1]!;
          if (d0 === 0 && d1 === 0) continue;
          const profit = plan.nu[r.t0[i]!]! * d0 + plan.nu[r.t1[i]!]! * d1;
          if (profit < r.pools[i]!.gas * gasUnit) {
            excluded[i] = 1;
            dropped = true;
          }
        }
        if (dropped) continue;
      }
      const ordered = this.legs(plan);
      if (ordered.ok) return { plan, legs: ordered.legs };
      excluded[ordered.drop] = 1;
    }
    return undefined;
  }

  /** Extra demand (base units) per token: what integer rounding of the legs' inputs can cost it. */
  private extra: Float64Array | undefined;

  /**
   * Each leg's exact input is rounded to whole base units (and split shares round again), which
   * can cost up to ~2 input units of output per leg; for coarse tokens (few base units per dollar)
   * that is far above float error. The loss is carried along the legs (through intermediate
   * tokens, by flow share) to the demanded tokens, which are then asked for that much more.
   */
  private roundingAllowance(plan: JointPlan, legs: PlanLeg[]): Float64Array {
    const n = this.router.tokens.length;
    const loss = new Float64Array(n); // value
    const inflow = new Float64Array(n);
    for (const l of legs) inflow[l.tokenIn] = inflow[l.tokenIn]! + l.amountIn;
    const extra = new Float64Array(n);
    for (const l of legs) {
      const share = inflow[l.tokenIn]! > 0 ? l.amountIn / inflow[l.tokenIn]! : 0;
      const carried = plan.supply[l.tokenIn]! < 0 ? 0 : loss[l.tokenIn]! * share;
      loss[l.tokenOut] = loss[l.tokenOut]! + carried + 3 * plan.nu[l.tokenIn]!;
    }
    for (let j = 0; j < n; j++) if (plan.supply[j]! < 0) extra[j] = (loss[j]! / plan.nu[j]!) + 2;
    return extra;
  }

  solve(): SolveResult | undefined {
    const t0 = performance.now();
    this.collect();
    // The float plan asks for every demanded token with a margin; if the exact pass still finds a
    // token short (float model error, rounding), the margin grows and the plan is re-solved warm.
    let found = this.search(1e-8);
    for (const margin of [1e-8, 1e-7, 1e-6, 1e-5, 1e-4]) {
      if (!found) return undefined;
      this.extra = this.roundingAllowance(found.plan, found.legs);
      found = this.search(margin);
      if (!found) return undefined;
      const res = this.toExact(found.plan, found.legs);
      if (res) {
        const better = this.polish(found.plan, margin, res);
        const out = better ?? res;
        out.stats.ms = performance.now() - t0;
        return out;
      }
    }
    return undefined;
  }

  /**
   * Final ascent over the price vector. The fixed point above hands the pools' average-vs-marginal
   * gap back to the users by one common discount, which is optimal for the fills it found but not
   * always the best price vector. Here V(p), the best surplus at FIXED prices p with the partially
   * fillable intents filled fractionally (fill-or-kill intents keep the fixed point's choice), is
   * solved exactly by its convex dual (Router.solveFills), and p climbs along V's envelope gradient
   * on log p (projected steps with backtracking, as test/solver/uniform.ts). The best point becomes
   * a plan (fills and pool flows of the dual optimum), executed exactly; it is returned only if it
   * scores above `current`.
   */
  private polish(start: JointPlan, margin: number, current: SolveResult): SolveResult | undefined {
    const r = this.router;
    const n = r.tokens.length;
    const entries = this.entries;
    if (!entries.some((en) => en.partial) || !r.pools.length) return undefined;
    const t0 = performance.now();
    const budgetMs = 200;
    // terms: partially fillable intents; fill-or-kill ones filled by the fixed point are fixed flows
    const idx: number[] = [];
    const fixed: number[] = [];
    entries.forEach((en, i) => {
      if (en.partial) idx.push(i);
      else if (start.fills[i]! > 0) fixed.push(i);
    });
    const m = idx.length;
    const terms: HingeTerms = {
      s: Int32Array.from(idx, (i) => entries[i]!.s),
      t: Int32Array.from(idx, (i) => entries[i]!.t),
      c: new Float64Array(m),
      al: new Float64Array(m),
      be: new Float64Array(m),
      scale: new Float64Array(m),
      on: new Uint8Array(m),
    };
    const ref = Float64Array.from(r.tokens, (a) => this.ref(a));
    const demanded = Float64Array.from(start.supply, (v) => (v < 0 ? 1 : 0));
    const supply = new Float64Array(n);
    const grow = 1 + margin;
    // (α, β, c) of entry en at prices p: paid in of s, taken out of t (with the margin), surplus
    const coef = (en: Entry, p: Float64Array, o: Float64Array): void => {
      const rate = p[en.s]! / p[en.t]!;
      if (en.sell) {
        o[0] = en.x;
        o[1] = en.x * rate * grow;
        o[2] = ref[en.t]! * en.x * (rate - en.lim);
      } else {
        o[0] = en.x / rate;
        o[1] = en.x * grow;
        o[2] = ref[en.s]! * (en.x / en.lim - en.x / rate);
      }
    };
    const o = new Float64Array(3);
    const setup = (p: Float64Array): boolean => {
      supply.fill(0);
      for (const i of fixed) {
        const en = entries[i]!;
        if (p[en.s]! / p[en.t]! < en.lim * (1 + 1e-9)) return false;
        coef(en, p, o);
        supply[en.s] = supply[en.s]! + o[0]!;
        supply[en.t] = supply[en.t]! - o[1]!;
      }
      if (this.extra) for (let j = 0; j < n; j++) if (demanded[j]) supply[j] = supply[j]! - this.extra[j]!;
      for (let k = 0; k < m; k++) {
        const en = entries[idx[k]!]!;
        coef(en, p, o);
        terms.al[k] = o[0]!;
        terms.be[k] = o[1]!;
        terms.c[k] = o[2]!;
        terms.on[k] = p[en.s]! / p[en.t]! >= en.lim * (1 + 1e-9) ? 1 : 0;
        terms.scale[k] = Math.max(Math.abs(o[2]!), o[0]! * ref[en.s]!, o[1]! * ref[en.t]!, 1e-300);
      }
      return true;
    };
    const excluded = Uint8Array.from(start.excluded);
    let warm: Float64Array = Float64Array.from(start.nu);
    const floor = Float64Array.from(start.nu, (v) => v * 1e-12);
    const traded = new Uint8Array(n);
    for (const en of entries) traded[en.s] = traded[en.t] = 1;
    type Point = { p: Float64Array; value: number; nu: Float64Array; fills: Float64Array; flows: Float64Array; grad: Float64Array };
    const evaluate = (p: Float64Array): Point | undefined => {
      if (!setup(p)) return undefined;
      const sol = r.solveFills(terms, supply, warm, floor, excluded);
      if (!Number.isFinite(sol.value)) return undefined;
      warm = sol.nu;
      // envelope gradient on log p: ∂(c + α ν_s − β ν_t)/∂log(p_s/p_t), weighted by the fill
      const grad = new Float64Array(n);
      const add = (en: Entry, w: number): void => {
        const rate = p[en.s]! / p[en.t]!;
        const dr = en.sell ? en.x * rate * (ref[en.t]! - grow * sol.nu[en.t]!) : (en.x / rate) * (ref[en.s]! - sol.nu[en.s]!);
        grad[en.s] = grad[en.s]! + w * dr;
        grad[en.t] = grad[en.t]! - w * dr;
      };
      for (let k = 0; k < m; k++) if (sol.fills[k]! > 0) add(entries[idx[k]!]!, sol.fills[k]!);
      for (const i of fixed) add(entries[i]!, 1);
      return { p: Float64Array.from(p), value: sol.value, nu: sol.nu, fills: sol.fills, flows: sol.flows, grad };
    };
    let cur = evaluate(start.p);
    if (!cur) return undefined;
    let step = 1e-3;
    const trial = new Float64Array(n);
    for (let iter = 0; iter < 40 && step > 1e-8 && performance.now() - t0 < budgetMs; iter++) {
      let gmax = 0;
      for (let j = 0; j < n; j++) if (traded[j]) gmax = Math.max(gmax, Math.abs(cur.grad[j]!));
      if (!(gmax > 0)) break;
      const savedWarm = warm;
      let accepted = false;
      for (let tries = 0; tries < 12 && step > 1e-8; tries++) {
        for (let j = 0; j < n; j++) trial[j] = traded[j] ? cur.p[j]! * Math.exp((step * cur.grad[j]!) / gmax) : cur.p[j]!;
        const next = evaluate(trial);
        if (next && next.value > cur.value * (1 + 1e-13)) {
          cur = next;
          step = Math.min(2 * step, 0.02);
          accepted = true;
          break;
        }
        warm = savedWarm;
        step /= 3;
      }
      if (!accepted) break;
    }
    // the best point as a plan: the dual optimum's fills and pool flows
    const best = cur;
    for (let round = 0; round < 8; round++) {
      const fills = new Float64Array(entries.length);
      for (const i of fixed) fills[i] = 1;
      for (let k = 0; k < m; k++) {
        const w = best.fills[k]!;
        fills[idx[k]!] = w < 1e-12 ? 0 : Math.min(1, w);
      }
      const e = new Float64Array(n);
      entries.forEach((en, i) => {
        const f = fills[i]!;
        if (f <= 0) return;
        coef(en, best.p, o);
        e[en.s] = e[en.s]! + f * o[0]!;
        e[en.t] = e[en.t]! - (f * o[1]!) / grow;
      });
      const plan: JointPlan = { p: best.p, nu: best.nu, flows: best.flows, supply: e, k: -1, fills, excluded };
      const ordered = this.legs(plan);
      if (ordered.ok) {
        const res = this.toExact(plan, ordered.legs);
        if (!res) return undefined;
        const a = scoreSolution(res.solution, this.auction);
        const b = scoreSolution(current.solution, this.auction);
        return a.ok && (!b.ok || a.value.score > b.value.score) ? res : undefined;
      }
      excluded[ordered.drop] = 1;
      const again = evaluate(best.p);
      if (!again) return undefined;
      Object.assign(best, again);
    }
    return undefined;
  }

  private toExact(plan: JointPlan, legs: PlanLeg[]): SolveResult | undefined {
    const r = this.router;
    const n = r.tokens.length;
    // integer prices: the cheapest traded token at ~2^80
    let pmin = Infinity;
    for (const [idx, en] of this.entries.entries()) if (plan.fills[idx]! > 0) pmin = Math.min(pmin, plan.p[en.s]!, plan.p[en.t]!);
    // A token left short by a few wei of rounding (netted among users, no pool margin) gets a
    // little dearer (its buyers receive a little less), a few rounds at most.
    const mult = new Float64Array(n).fill(1);
    for (let round = 0; round < 4; round++) {
      const P: bigint[] = [];
      for (let j = 0; j < n; j++) P.push(BigInt(Math.round((plan.p[j]! / pmin) * 2 ** 80 * mult[j]!)));
      const res = this.exact(plan, legs, P);
      if ('solution' in res) return res;
      for (let j = 0; j < n; j++) {
        if (res.short[j]! > 0n && res.sens[j]! > 0) mult[j] = mult[j]! * (1 + (1.5 * Number(res.short[j]!) + 1) / res.sens[j]! + 1e-15);
      }
    }
    return undefined;
  }

  /** Exact amounts at integer prices P on fresh pool state; undefined if some token would be short. */
  private exact(plan: JointPlan, legs: PlanLeg[], P: bigint[]): SolveResult | { short: bigint[]; sens: Float64Array } {
    const r = this.router;
    const n = r.tokens.length;
    const bal: bigint[] = new Array(n).fill(0n);
    const paid: bigint[] = new Array(n).fill(0n);
    const recv: bigint[] = new Array(n).fill(0n);
    const sens = new Float64Array(n);
    const trades: { intentId: Hex; executed: bigint }[] = [];
    const filled: Entry[] = [];
    for (const [idx, en] of this.entries.entries()) {
      const f = plan.fills[idx]!;
      if (f <= 0) continue;
      const executed = en.partial && f < 1 ? BigInt(Math.floor(f * en.x)) : en.amount;
      if (executed <= 0n) continue;
      const executedClamped = executed > en.amount ? en.amount : executed;
      if (!limitHolds(en.intent, P[en.s]!, P[en.t]!)) {
        continue;
      }
      const a = tradeAmounts(en.intent, executedClamped, P[en.s]!, P[en.t]!);
      bal[en.s] = bal[en.s]! + a.sell;
      bal[en.t] = bal[en.t]! - a.buy;
      // how this token's balance moves when its price rises: SELL buyers get less of it, BUY
      // sellers pay less of it
      if (en.sell) sens[en.t] = sens[en.t]! + Number(a.buy);
      else sens[en.s] = sens[en.s]! - Number(a.sell);
      paid[en.s] = paid[en.s]! + a.sell;
      recv[en.t] = recv[en.t]! + a.buy;
      trades.push({ intentId: en.id, executed: executedClamped });
      filled.push(en);
    }
    if (!trades.length) return { short: new Array(n).fill(0n), sens };
    // pool legs, exactly, on copies of the original state
    const pools = new Map<number, LiquidityAdapter>();
    const poolOf = (i: number): LiquidityAdapter => {
      let p = pools.get(i);
      if (!p) {
        p = r.pools[i]!.clone();
        pools.set(i, p);
      }
      return p;
    };
    const planIn = new Float64Array(n);
    const planOut = new Float64Array(n);
    for (let j = 0; j < n; j++) planIn[j] = Math.max(0, plan.supply[j]!);
    for (const l of legs) {
      const f = plan.flows;
      planIn[l.tokenOut] = planIn[l.tokenOut]! + (l.zeroForOne ? f[2 * l.pool + 1]! : f[2 * l.pool]!);
      planOut[l.tokenIn] = planOut[l.tokenIn]! + l.amountIn;
    }
    const lastLeg = new Map<number, PlanLeg>();
    for (const l of legs) lastLeg.set(l.tokenIn, l);
    const actualIn: bigint[] = bal.map((b) => (b > 0n ? b : 0n));
    const spent: bigint[] = new Array(n).fill(0n);
    const spentPlan = new Float64Array(n);
    const executed: ExecutedLeg[] = [];
    for (const l of legs) {
      const j = l.tokenIn;
      spentPlan[j] = spentPlan[j]! + l.amountIn;
      const free = plan.supply[j]! >= 0;
      const lastOfToken = free && lastLeg.get(j) === l;
      const share = l.amountIn / Math.max(planIn[j]!, planOut[j]!);
      let amt = lastOfToken ? actualIn[j]! - spent[j]! : (actualIn[j]! * BigInt(Math.floor(share * 2 ** 52))) >> 52n;
      if (amt > actualIn[j]! - spent[j]!) amt = actualIn[j]! - spent[j]!;
      if (amt <= 0n) continue;
      const pool = poolOf(l.pool);
      let out: bigint;
      try {
        out = pool.swap(l.zeroForOne, amt);
      } catch {
        continue; // the pool would revert: the leg is skipped and the balance check decides
      }
      if (out <= 0n) continue;
      spent[j] = spent[j]! + amt;
      actualIn[l.tokenOut] = actualIn[l.tokenOut]! + out;
      bal[j] = bal[j]! - amt;
      bal[l.tokenOut] = bal[l.tokenOut]! + out;
      executed.push({ pool: r.pools[l.pool]!, zeroForOne: l.zeroForOne, amountIn: amt, amountOut: out });
    }
    const short = bal.map((b, j) => {
      const d = -(b + (this.opts.buffers?.get(r.tokens[j]!) ?? 0n));
      return d > 0n ? d : 0n;
    });
    if (short.some((d) => d > 0n)) return { short, sens };
    // report the legs against the caller's adapters (their state is the pre-batch state)
    const byAddress = new Map(this.original.map((p) => [p.address, p]));
    for (const l of executed) l.pool = byAddress.get(l.pool.address) ?? l.pool;
    const traded = new Set<number>();
    for (const en of filled) {
      traded.add(en.s);
      traded.add(en.t);
    }
    const prices = [...traded].map((j) => ({ token: r.tokens[j]!, price: P[j]! })).sort((a, b) => (a.token < b.token ? -1 : 1));
    const interactions = swapInteractions(executed, this.opts.settlement);
    let matchedValue = 0;
    let totalValue = 0;
    for (let j = 0; j < n; j++) {
      const v = this.ref(r.tokens[j]!);
      const m = paid[j]! < recv[j]! ? paid[j]! : recv[j]!;
      matchedValue += Number(m) * v;
      totalValue += Number(paid[j]!) * v;
    }
    const matched = filled.filter((en) => recv[en.s]! > 0n || paid[en.t]! > 0n).length;
    return {
      solution: { auctionId: this.auction.id, solver: this.opts.solver, prices, marketPrices: [], trades, interactions },
      legs: executed,
      stats: {
        intents: this.intents,
        filled: trades.length,
        matched,
        matchedVolumeShare: totalValue > 0 ? matchedValue / totalValue : 0,
        interactions: interactions.length,
        gasEstimate: settleGas(trades.length, executed),
        ms: 0,
      },
    };
  }
}

const emptyResult = (auction: Auction, opts: SolveOptions, intents: number): SolveResult => ({
  solution: { auctionId: auction.id, solver: opts.solver, prices: [], marketPrices: [], trades: [], interactions: [] },
  legs: [],
  stats: { intents, filled: 0, matched: 0, matchedVolumeShare: 0, interactions: 0, gasEstimate: 0, ms: 0 },
});

/** Solves an auction against the given pool states (not mutated). */
export function solve(auction: Auction, pools: LiquidityAdapter[], opts: SolveOptions): SolveResult {
  if (opts.strategy === 'baseline') return solveBaseline(auction, pools, opts);
  const t0 = performance.now();
  const joint = new JointSolver(auction, pools, opts).solve();
  const scoreOf = (r: SolveResult | undefined): bigint | undefined => {
    if (!r || !r.solution.trades.length) return undefined;
    const s = scoreSolution(r.solution, auction);
    return s.ok ? s.value.score : undefined;
  };
  const jointScore = scoreOf(joint);
  let best = jointScore !== undefined ? joint : undefined;
  let source: 'joint' | 'baseline' = 'joint';
  const candidates: { joint?: bigint; baseline?: bigint } = {};
  if (jointScore !== undefined) candidates.joint = jointScore;
  if (!opts.noFallback) {
    const base = solveBaseline(auction, pools, opts);
    const baseScore = scoreOf(base);
    if (baseScore !== undefined) {
      candidates.baseline = baseScore;
      if (jointScore === undefined || baseScore > jointScore) {
        best = base;
        source = 'baseline';
      }
    }
  }
  const intents = [...auction.intents.values()].filter((e) => e.intent.type === 'swap').length;
  const out = best ?? emptyResult(auction, opts, intents);
  out.stats.ms = performance.now() - t0;
  out.stats.source = source;
  out.stats.candidates = candidates;
  return out;
}
