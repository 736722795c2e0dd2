// A certified reference for the uniform-price batch problem, written apart from the solver: it
// produces an actual solution (trades, clearing prices, pool interactions), checks it exactly, and
// scores it with protocol/score.ts, so its score is a valid LOWER bound on the optimum. The upper
// bound reported next to it is test/solver/reference.ts (uniform prices and fill-or-kill relaxed).
//
// At fixed clearing prices P the problem is a MILP once each pool's output curve g(u) is replaced
// by supporting lines: every fill fraction f_i (in [0, 1]; binary for fill-or-kill) moves tokens
// linearly at P, and every token's net flow into the settlement contract must stay >= a small
// margin whenever anything trades (users are rounded their way, so an exactly matched CoW leaves
// the contract a few wei short: some pool trade has to win them back). The lines come from the
// adapters' own `arb` (for any outside price r, the optimal arbitrage point u* gives
// g(u) <= g(u*) + r (u − u*) for all u, by concavity), from the fee band's edge outwards, plus
// cutting planes at the inputs the LP chooses; the LP then over-estimates pools only slightly (its
// value at P is an estimate, not a certified bound). Then the exact stage:
//   1. fix each pool's chosen input U and its EXACT bigint output V, plus small trades each way;
//   2. re-solve with those trades scaled by s in [0, 1], at most 1 per pool (by concavity the pool
//      pays at least the weighted outputs, so this inner model never over-promises), one direction
//      per pool;
//   3. round fills down and pool inputs up, execute the legs on pool clones with the adapters'
//      exact `swap`, recheck every token's balance in bigint, score with scoreSolution; widen the
//      margin and retry if a balance still comes up short.
// Outer search over P, in two passes (the second from the first's best, on lines tightened there):
// for two tokens a grid on the price ratio wide enough to cover every intent's limit, points around
// the pools' price and the relaxation's dual price, the exact limit breakpoints near the best point,
// then a local refinement; for more tokens, coordinate search on log prices from the pools' prices
// and from the relaxation's dual prices, with shrinking steps. The price search is heuristic, so
// the lower bound is only as good as the search; the gap to the relaxation bound makes it checkable.
import highsLoader, { type LegacyHighs } from 'highs';
import type { Address, Hex } from 'viem';
import { fillableAmount, limitHolds, tradeAmounts } from '../../protocol/clearing.ts';
import type { SwapIntent } from '../../protocol/intent.ts';
import { fail, ok, type Result } from '../../protocol/result.ts';
import { type Auction, scoreSolution } from '../../protocol/score.ts';
import type { Interaction, Solution } from '../../protocol/solution.ts';
import type { LiquidityAdapter } from '../../solver/domain/liquidity/adapter.ts';
import { referenceOptimum } from './reference.ts';

type Highs = LegacyHighs;
// the package is CommonJS: under NodeNext its default import is the loader function at run time,
// which its type declarations do not express
const loader = highsLoader as unknown as () => Promise<Highs>;
let highsPromise: Promise<Highs> | undefined;
const loadHighs = (): Promise<Highs> => {
  highsPromise ??= loader();
  return highsPromise;
};

/** One pool trade of a certified solution, as executed exactly (in base units). */
export type CertifiedLeg = { pool: Address; zeroForOne: boolean; amountIn: bigint; amountOut: bigint };

export type CertifiedResult = {
  /** The best valid solution found (no trades if nothing beats the empty solution). */
  solution: Solution;
  legs: CertifiedLeg[];
  /** scoreSolution's score of `solution`. */
  score: bigint;
  /** score / 1e18 (numeraire units): a valid lower bound on the optimum. */
  value: number;
  /** referenceOptimum's bound (numeraire units): an upper bound on every valid solution's score. */
  bound: number;
  /** 1 − value / bound (0 when both are 0). */
  gap: number;
  /** Clearing-price vectors evaluated by the price search. */
  evaluations: number;
  ms: number;
};

export type CertifyOptions = {
  settlement?: Address;
  solver?: Address;
  /** Skip the relaxation bound (bound = +∞): for callers that only want the lower bound. */
  noBound?: boolean;
};

type Flow = { token: number; amount: bigint };
type Item = {
  id: Hex;
  intent: SwapIntent;
  fillable: bigint;
  fok: boolean;
  s: number;
  t: number;
};
/** A supporting line of a pool direction's output curve, in base units: out <= a + b·in. */
type Cut = { a: number; b: number };
/** A fixed exact pool trade (base units) the inner model may scale down. */
type Option = { dir: number; input: number; output: number };
type PoolDir = { pool: number; zeroForOne: boolean; tin: number; tout: number; cuts: Cut[] };

const lowerAddr = (a: Address): Address => a.toLowerCase() as Address;

/** LP-format number: plain decimal digits the LP reader parses everywhere. */
const num = (x: number): string => {
  if (!Number.isFinite(x)) throw new Error(`non-finite LP coefficient ${x}`);
  return Math.abs(x) < 1e-12 ? '0' : x.toPrecision(15);
};
const term = (c: number, v: string): string => (c >= 0 ? ` + ${num(c)} ${v}` : ` - ${num(-c)} ${v}`);

class Problem {
  readonly tokens: Address[] = [];
  readonly index = new Map<Address, number>();
  readonly items: Item[] = [];
  readonly dirs: PoolDir[] = [];
  /** Value of one base unit of each token in numeraire units (reference prices), for scaling. */
  readonly refUnit: number[] = [];

  readonly auction: Auction;
  readonly pools: LiquidityAdapter[];

  constructor(auction: Auction, pools: LiquidityAdapter[]) {
    this.auction = auction;
    this.pools = pools;
    for (const e of auction.intents.values()) {
      if (e.intent.type !== 'swap') continue;
      const i = e.intent.intent;
      const fillable = fillableAmount(i, e.filled);
      if (fillable <= 0n || lowerAddr(i.sellToken) === lowerAddr(i.buyToken)) continue;
      this.items.push({ id: e.id, intent: i, fillable, fok: !i.partiallyFillable, s: this.tok(i.sellToken), t: this.tok(i.buyToken) });
    }
    for (const p of pools) {
      this.tok(p.token0);
      this.tok(p.token1);
    }
    for (const a of this.tokens) {
      const ref = auction.referencePrices.get(a) ?? auction.referencePrices.get(a.toLowerCase() as Address) ?? 0n;
      this.refUnit.push(Number(ref) / 1e36);
    }
    const buf = new Float64Array(3);
    pools.forEach((p, k) => {
      const spot = p.spotPrice();
      const t0 = this.index.get(lowerAddr(p.token0))!;
      const t1 = this.index.get(lowerAddr(p.token1))!;
      const sell0: Cut[] = [];
      const sell1: Cut[] = [];
      const trades = (m: number, zeroForOne: boolean): boolean => {
        p.arb(zeroForOne ? spot * m : spot / m, buf);
        return buf[0] !== 0 || buf[1] !== 0;
      };
      for (const zeroForOne of [true, false]) {
        // the fee band's edge (the first unit's rate): lines from inside the band would be loose
        let lo = 1 - 1e-12;
        let hi = 0.5;
        for (let it = 0; it < 60 && trades(lo, zeroForOne) === false && lo - hi > 1e-13; it++) {
          const mid = 0.5 * (lo + hi);
          if (trades(mid, zeroForOne)) hi = mid;
          else lo = mid;
        }
        // outside prices from the edge to 60% beyond it: dense near the edge, where the batch's
        // pool trades sit
        for (let j = 0; j <= 24; j++) {
          const m = lo * (j === 0 ? 1 : 1 - 10 ** (-7 + (j * 6.6) / 24));
          // selling token0: the arbitrage sells token0 when r is below the pool's marginal rate
          const r = zeroForOne ? spot * m : spot / m;
          p.arb(r, buf);
          const d0 = buf[0]!;
          const d1 = buf[1]!;
          if (zeroForOne) {
            const u = Math.max(0, -d0);
            const v = Math.max(0, d1);
            sell0.push({ a: v - r * u, b: r });
          } else {
            const u = Math.max(0, -d1);
            const v = Math.max(0, d0);
            sell1.push({ a: v - u / r, b: 1 / r });
          }
        }
      }
      this.dirs.push({ pool: k, zeroForOne: true, tin: t0, tout: t1, cuts: sell0 });
      this.dirs.push({ pool: k, zeroForOne: false, tin: t1, tout: t0, cuts: sell1 });
    });
  }

  private tok(a: Address): number {
    const k = lowerAddr(a);
    let v = this.index.get(k);
    if (v === undefined) {
      v = this.tokens.length;
      this.index.set(k, v);
      this.tokens.push(k);
    }
    return v;
  }
}

/** User flows of item `it` filled `executed` at bigint prices: + into the settlement contract. */
function userFlows(it: Item, executed: bigint, prices: bigint[]): Flow[] {
  const a = tradeAmounts(it.intent, executed, prices[it.s]!, prices[it.t]!);
  return [
    { token: it.s, amount: a.sell },
    { token: it.t, amount: -a.buy },
  ];
}

type Plan = {
  value: number;
  fills: number[];
  /** Per dir: input (base units) chosen by the LP. */
  inputs: number[];
};

/** Everything at one price vector: the LP's model in numeraire units per base unit of each token. */
class AtPrices {
  readonly unit: number[];
  readonly eligible: boolean[];
  readonly pb: Problem;
  readonly prices: bigint[];

  constructor(pb: Problem, prices: bigint[]) {
    this.pb = pb;
    this.prices = prices;
    // one base unit of token t is worth P_t·k numeraire units; k matches the reference scale
    let k = 0;
    let w = 0;
    prices.forEach((p, t) => {
      if (pb.refUnit[t]! > 0) {
        k += pb.refUnit[t]! / Number(p);
        w++;
      }
    });
    k = w ? k / w : 1 / Number(prices[0]!);
    this.unit = prices.map((p) => Number(p) * k);
    this.eligible = pb.items.map((it) => limitHolds(it.intent, prices[it.s]!, prices[it.t]!));
  }

  /** Per-unit-of-fill coefficients of item k: value flow per token and surplus (numeraire units). */
  coefficients(k: number): { sell: number; buy: number; surplus: number } {
    const it = this.pb.items[k]!;
    const i = it.intent;
    const x = Number(it.fillable);
    const ps = Number(this.prices[it.s]!);
    const pt = Number(this.prices[it.t]!);
    const ra = Number(i.sellAmount);
    const rb = Number(i.buyAmount);
    if (i.kind === 0) {
      const buy = (x * ps) / pt;
      return {
        sell: x * this.unit[it.s]!,
        buy: buy * this.unit[it.t]!,
        surplus: (buy - (x * rb) / ra) * this.pb.refUnit[it.t]!,
      };
    }
    const sell = (x * pt) / ps;
    return {
      sell: sell * this.unit[it.s]!,
      buy: x * this.unit[it.t]!,
      surplus: ((x * ra) / rb - sell) * this.pb.refUnit[it.s]!,
    };
  }
}

/**
 * The LP/MILP at fixed prices. `fixed`, when given, replaces the pools' cut model by fixed exact
 * trades (input, output in base units per dir) scaled by s in [0, 1], and what leaves the
 * settlement contract must keep `margin` (value units), plus a few wei, of every token whenever
 * anything trades.
 */
function solveAt(highs: Highs, at: AtPrices, fixed?: { options: Option[]; margin: number }): Plan | undefined {
  const pb = at.pb;
  const rows: string[][] = pb.tokens.map(() => []);
  const obj: string[] = [];
  const bounds: string[] = [];
  const binaries: string[] = [];
  const extra: string[] = [];
  let any = false;
  pb.items.forEach((it, k) => {
    if (!at.eligible[k]) return;
    const c = at.coefficients(k);
    const v = `f${k}`;
    any = true;
    obj.push(term(c.surplus, v));
    rows[it.s]!.push(term(c.sell, v));
    rows[it.t]!.push(term(-c.buy, v));
    extra.push(` g${k}: ${term(1, v)}${term(-1, 'z')} <= 0`);
    if (it.fok) binaries.push(v);
    else bounds.push(` 0 <= ${v} <= 1`);
  });
  if (!any) return { value: 0, fills: pb.items.map(() => 0), inputs: pb.dirs.map(() => 0) };
  if (fixed) {
    // by concavity (and g(0) = 0), options of one pool with weights summing to at most 1 pay at
    // least the weighted sum of their outputs when traded together
    const perPool = new Map<number, string[]>();
    fixed.options.forEach((o, k) => {
      const d = pb.dirs[o.dir]!;
      const v = `s${k}`;
      extra.push(` h${k}: ${term(1, v)}${term(-1, 'z')} <= 0`);
      rows[d.tin]!.push(term(-o.input * at.unit[d.tin]!, v));
      rows[d.tout]!.push(term(o.output * at.unit[d.tout]!, v));
      bounds.push(` 0 <= ${v} <= 1`);
      const list = perPool.get(d.pool) ?? [];
      list.push(v);
      perPool.set(d.pool, list);
    });
    for (const [pool, vars] of perPool) extra.push(` w${pool}:${vars.map((v) => term(1, v)).join('')} <= 1`);
  }
  pb.dirs.forEach((d, k) => {
    if (fixed) return;
    const u = `u${k}`;
    const w = `v${k}`;
    rows[d.tin]!.push(term(-1, u));
    rows[d.tout]!.push(term(1, w));
    // cuts in value units: w <= unit_out·a + (unit_out / unit_in)·b·u
    const ui = at.unit[d.tin]!;
    const uo = at.unit[d.tout]!;
    d.cuts.forEach((c, j) => {
      extra.push(` c${k}_${j}: ${term(1, w)}${term(-(uo / ui) * c.b, u)} <= ${num(uo * c.a)}`);
    });
  });
  const lines = ['Maximize', ` obj:${obj.join('')}`, 'Subject To'];
  rows.forEach((r, t) => {
    // the margin is gated by z (which every fill is below), so trading nothing stays feasible
    // plus a wei per possible trade of the token: the users' roundings
    const margin = (fixed?.margin ?? SEARCH_MARGIN) + (2 * pb.items.length + 4) * at.unit[t]!;
    if (r.length) lines.push(` b${t}:${r.join('')}${term(-margin, 'z')} >= 0`);
  });
  bounds.push(' 0 <= z <= 1');
  lines.push(...extra, 'Bounds', ...bounds);
  if (binaries.length) lines.push('Binary', ...binaries.map((b) => ` ${b}`));
  lines.push('End');
  let res: ReturnType<Highs['solve']> | undefined;
  // the simplex solver occasionally gives up on nearly parallel rows; the interior point one then
  // still answers
  for (const solver of ['choose', 'ipm'] as const) {
    try {
      res = highs.solve(lines.join('\n'), { output_flag: false, mip_rel_gap: 1e-7, solver });
      break;
    } catch {
      res = undefined;
    }
  }
  if (!res) return undefined;

  if (res.Status !== 'Optimal') return undefined;
  const col = (name: string): number => {
    const c = res.Columns[name];
    return c && typeof c.Primal === 'number' ? c.Primal : 0;
  };
  return {
    value: res.ObjectiveValue,
    fills: pb.items.map((_, k) => (at.eligible[k] ? Math.min(1, Math.max(0, col(`f${k}`))) : 0)),
    inputs: fixed
      ? fixed.options.reduce(
          (acc, o, k) => {
            acc[o.dir]! += Math.min(1, Math.max(0, col(`s${k}`))) * o.input;
            return acc;
          },
          pb.dirs.map(() => 0),
        )
      : pb.dirs.map((d, k) => Math.max(0, col(`u${k}`)) / at.unit[d.tin]!),
  };
}

/**
 * The price search's margin (value units): the exact stage's smallest, so the search does not
 * favour prices where only an exactly balanced CoW trades (which rounding makes infeasible).
 */
const SEARCH_MARGIN = 1e-6;

type Candidate = { solution: Solution; legs: CertifiedLeg[]; score: bigint };

/** The exact stage at one price vector: a valid, scored solution, or undefined. */
function exactAt(
  highs: Highs,
  at: AtPrices,
  plan: Plan,
  opts: Required<Pick<CertifyOptions, 'settlement' | 'solver'>>,
): Candidate | undefined {
  const pb = at.pb;
  // one direction per pool: the larger input
  const input = plan.inputs.map((u, k) => {
    const other = plan.inputs[k ^ 1]!;
    return u > other && u >= 1 ? Math.floor(u) : 0;
  });
  // plus a small trade each way on every pool, so the rounding left over by a pure CoW (users are
  // rounded their way, so an exact match leaves the contract a few wei short) can be swapped away
  let volume = 0;
  pb.items.forEach((_, k) => {
    if (at.eligible[k]) volume += at.coefficients(k).sell;
  });
  const options: Option[] = [];
  pb.dirs.forEach((d, k) => {
    // around the LP's choice too: with several sizes the inner model is a piecewise-linear inner
    // approximation of the curve, so an LP input that the sampled lines misjudged costs little
    const around = input[k]! ? [0.5, 0.8, 0.9, 0.95, 1, 1.05, 1.1, 1.25, 1.5].map((x) => Math.floor(input[k]! * x)) : [];
    const small = [1e-6, 1e-3, 1e-2, 0.1].map((x) => Math.floor((volume * x) / at.unit[d.tin]!));
    const sizes = [...around, ...small];
    for (const u of sizes) {
      if (!(u >= 1)) continue;
      const output = Number(pb.pools[d.pool]!.quote(d.zeroForOne, BigInt(u)));
      if (output > 0) options.push({ dir: k, input: u, output });
    }
  });
  let best: Candidate | undefined;
  // the LP's row tolerance (1e-7 in value units) and the users' roundings (at most a wei per
  // trade, always their way: a CoW matched exactly at uniform prices leaves the contract short, so
  // some pool trade must gain that back) are covered by a margin per token, widened when the exact
  // replay still comes up short
  for (const margin of [1e-6, 1e-4, 1e-2]) {
    // one direction per pool: a second swap the other way would run on the moved state, which
    // the inner model does not price, so drop the smaller direction's options and solve again
    let kept = options;
    let inner = solveAt(highs, at, { options: kept, margin });
    for (let round = 0; round < 3 && inner; round++) {
      const drop = new Set<number>();
      const solved = inner;
      pb.dirs.forEach((d, k) => {
        if (!d.zeroForOne) return;
        const a = solved.inputs[k]! * at.unit[d.tin]!;
        const b = solved.inputs[k + 1]! * at.unit[pb.dirs[k + 1]!.tin]!;
        if (a > 0 && b > 0) drop.add(a >= b ? k + 1 : k);
      });
      if (!drop.size) break;
      kept = kept.filter((o) => !drop.has(o.dir));
      inner = solveAt(highs, at, { options: kept, margin });
    }
    if (!inner) return best;
    const trades: { intentId: Hex; executed: bigint }[] = [];
    const balance = pb.tokens.map(() => 0n);
    pb.items.forEach((it, k) => {
      const f = inner.fills[k]!;
      let executed: bigint;
      if (it.fok) executed = f > 0.5 ? it.fillable : 0n;
      else if (f >= 1 - 1e-12) executed = it.fillable;
      else executed = BigInt(Math.floor(Number(it.fillable) * f * (1 - 1e-12)));
      if (executed > it.fillable) executed = it.fillable;
      if (executed <= 0n) return;
      trades.push({ intentId: it.id, executed });
      for (const fl of userFlows(it, executed, at.prices)) balance[fl.token]! += fl.amount;
    });
    if (!trades.length) return best;
    const legs: CertifiedLeg[] = [];
    const interactions: Interaction[] = [];
    const clones = new Map<number, LiquidityAdapter>();
    let reverted = false;
    pb.dirs.forEach((d, k) => {
      // rounded up: the output then covers what the model planned; the extra wei of input (worth
      // a lot for a valuable token with few decimals) is within the per-token wei margin
      const amountIn = BigInt(Math.ceil(inner.inputs[k]! - 1e-6));
      if (amountIn <= 0n || reverted) return;
      let pool = clones.get(d.pool);
      if (!pool) {
        pool = pb.pools[d.pool]!.clone();
        clones.set(d.pool, pool);
      }
      let amountOut: bigint;
      try {
        amountOut = pool.swap(d.zeroForOne, amountIn);
      } catch {
        reverted = true;
        return;
      }
      legs.push({ pool: pool.address, zeroForOne: d.zeroForOne, amountIn, amountOut });
      interactions.push(...pb.pools[d.pool]!.encodeSwap(d.zeroForOne, amountIn, amountOut, opts.settlement));
      balance[d.tin]! -= amountIn;
      balance[d.tout]! += amountOut;
    });
    if (reverted || balance.some((b) => b < 0n)) continue;
    const prices = pb.tokens.map((token, t) => ({ token, price: at.prices[t]! })).sort((x, y) => (x.token < y.token ? -1 : 1));
    const solution: Solution = { auctionId: pb.auction.id, solver: opts.solver, prices, marketPrices: [], trades, interactions };
    const scored = scoreSolution(solution, pb.auction);
    if (!scored.ok) continue;
    best = { solution, legs, score: scored.value.score };
    break;
  }
  return best;
}

/**
 * Adds, for every pool direction the plan trades, the line touching its exact output curve at the
 * plan's input (slope by a central difference); false when there was nothing to add.
 */
function addTangents(pb: Problem, plan: Plan): boolean {
  let added = false;
  plan.inputs.forEach((u, k) => {
    if (!(u >= 1)) return;
    const d = pb.dirs[k]!;
    const pool = pb.pools[d.pool]!;
    const h = Math.max(1, Math.floor(u * 1e-6));
    const at = (x: number) => Number(pool.quote(d.zeroForOne, BigInt(Math.max(0, Math.floor(x)))));
    const out = at(u);
    if (out <= 0) return;
    const slope = (at(u + h) - at(Math.max(0, u - h))) / (u + h - Math.max(0, u - h));
    if (!(slope > 0)) return;
    d.cuts.push({ a: out - slope * u, b: slope });
    added = true;
  });
  return added;
}

/** Bigint clearing prices from floats (value per base unit), at least 15 significant digits each. */
function toBig(p: readonly number[]): bigint[] {
  const min = Math.min(...p);
  return p.map((x) => BigInt(Math.round((x / min) * 1e15)));
}

/** Starting prices: the pools' spot prices spread from the most connected token; reference prices elsewhere. */
function poolPrices(pb: Problem): number[] {
  const n = pb.tokens.length;
  const p = new Array<number>(n).fill(Number.NaN);
  const deg = new Array<number>(n).fill(0);
  for (const pool of pb.pools) {
    deg[pb.index.get(lowerAddr(pool.token0))!]!++;
    deg[pb.index.get(lowerAddr(pool.token1))!]!++;
  }
  let root = 0;
  for (let t = 0; t < n; t++) if (deg[t]! > deg[root]!) root = t;
  p[root] = pb.refUnit[root]! || 1;
  const queue = [root];
  while (queue.length) {
    const t = queue.shift()!;
    // the deepest pool of each pair sets the edge's price: average the pair's spots geometrically
    for (const pool of pb.pools) {
      const a = pb.index.get(lowerAddr(pool.token0))!;
      const b = pb.index.get(lowerAddr(pool.token1))!;
      if (a !== t && b !== t) continue;
      const o = a === t ? b : a;
      if (!Number.isNaN(p[o]!)) continue;
      let logSum = 0;
      let cnt = 0;
      for (const q of pb.pools) {
        if (lowerAddr(q.token0) === lowerAddr(pool.token0) && lowerAddr(q.token1) === lowerAddr(pool.token1)) {
          logSum += Math.log(q.spotPrice());
          cnt++;
        }
      }
      const spot = Math.exp(logSum / cnt); // token1 per token0
      p[o] = a === t ? p[t]! / spot : p[t]! * spot;
      queue.push(o);
    }
  }
  return p.map((x, t) => (Number.isNaN(x) || !(x > 0) ? pb.refUnit[t]! || 1 : x));
}

/** Best certified solution for the auction (see the module comment), with the relaxation bound. */
export async function certify(auction: Auction, pools: LiquidityAdapter[], options: CertifyOptions = {}): Promise<CertifiedResult> {
  const t0 = performance.now();
  const highs = await loadHighs();
  const opts = {
    settlement: options.settlement ?? ('0x00000000000000000000000000000000000000ee' as Address),
    solver: options.solver ?? ('0x00000000000000000000000000000000000000ff' as Address),
  };
  const pb = new Problem(auction, pools);
  let evaluations = 0;
  const cache = new Map<string, { at: AtPrices; plan: Plan | undefined }>();
  const evaluate = (prices: bigint[]) => {
    const key = prices.join(',');
    let e = cache.get(key);
    if (!e) {
      evaluations++;
      const at = new AtPrices(pb, prices);
      e = { at, plan: solveAt(highs, at) };
      cache.set(key, e);
    }
    return e;
  };
  const lpValue = (prices: bigint[]): number => evaluate(prices).plan?.value ?? -1;
  const topEvaluations = (k: number) =>
    [...cache.values()]
      .filter((e) => e.plan && e.plan.value > 0)
      .sort((a, b) => b.plan!.value - a.plan!.value)
      .slice(0, k);

  const n = pb.tokens.length;
  // the relaxation's dual prices are a second, independent guess at the clearing prices
  const relaxation = options.noBound ? undefined : referenceOptimum(auction, pools);
  let bestPrices: bigint[] = [];
  // two passes: the second searches again with the pools' lines tightened at the first pass's best
  // price vectors, whose values the sampled lines over-estimated
  let firstPass: number[] | undefined;
  for (let pass = 0; pass < 2; pass++) {
    bestPrices = [];
    if (pb.items.length > 0 && n >= 2) {
      const starts = firstPass ? [firstPass] : [poolPrices(pb)];
      if (relaxation) {
        const nu = pb.tokens.map((a) => relaxation.nu.get(a) ?? 0);
        if (!firstPass && nu.every((x) => x > 0 && Number.isFinite(x))) starts.push(nu);
      }
      let bestV = Number.NEGATIVE_INFINITY;
      const consider = (prices: bigint[]) => {
        const v = lpValue(prices);
        if (v > bestV) {
          bestV = v;
          bestPrices = prices;
        }
        return v;
      };
      if (n === 2) {
        // one free ratio: x = log of token 1's price over the pools' (token 0's fixed)
        const base = starts[0]!;
        const at = (x: number): bigint[] => toBig([base[0]!, base[1]! * Math.exp(x)]);
        // every intent's limit ratio: where its eligibility changes (prices exactly at the limit)
        const limits = pb.items.map((it) => {
          const i = it.intent;
          const big = 10n ** 15n;
          // the limit binds at P_sell / P_buy = buyAmount / sellAmount
          const pr = it.s === 0 ? [i.buyAmount * big, i.sellAmount * big] : [i.sellAmount * big, i.buyAmount * big];
          return { x: Math.log((Number(pr[1]!) / Number(pr[0]!) / base[1]!) * base[0]!), prices: pr };
        });
        const centres = starts.map((p) => Math.log((p[1]! / p[0]! / base[1]!) * base[0]!));
        const reach = Math.min(0.2, Math.max(0.03, ...limits.map((l) => Math.abs(l.x) + 0.005)));
        if (!firstPass) for (let j = -12; j <= 12; j++) consider(at((j / 12) * reach));
        for (const c of centres) for (let j = -3; j <= 3; j++) consider(at(c + j * 0.001));
        // limit breakpoints near the best point so far
        const near = (x: number) => limits.filter((l) => Math.abs(l.x - x) <= reach / 20 + 0.0011);
        const xOf = (prices: bigint[]) => Math.log((Number(prices[1]!) / Number(prices[0]!) / base[1]!) * base[0]!);
        for (const l of near(xOf(bestPrices))) consider(l.prices);
        // local refinement
        let x = xOf(bestPrices);
        let vx = bestV;
        let step = firstPass ? 0.0005 : reach / 24;
        for (let it = 0; it < 16 && step > 1e-6; it++) {
          const up = consider(at(x + step));
          const down = consider(at(x - step));
          if (up > vx && up >= down) [x, vx] = [x + step, up];
          else if (down > vx) [x, vx] = [x - step, down];
          else step /= 3;
        }
        for (const l of near(x)) consider(l.prices);
      } else {
        // coordinate search on log prices from each start, token 0's price fixed
        for (const start of starts) {
          const logp = start.map(Math.log);
          const at = (l: number[]): bigint[] => toBig(l.map(Math.exp));
          let cur = consider(at(logp));
          for (const step of firstPass ? [0.002, 0.0005] : [0.03, 0.01, 0.003, 0.001]) {
            for (let sweep = 0; sweep < 2; sweep++) {
              let moved = false;
              for (let t = 1; t < n; t++) {
                for (const dir of [1, -1]) {
                  for (let tries = 0; tries < 4; tries++) {
                    const trial = logp.slice();
                    trial[t]! += dir * step;
                    const v = consider(at(trial));
                    if (!(v > cur)) break;
                    cur = v;
                    logp[t] = trial[t]!;
                    moved = true;
                  }
                }
              }
              if (!moved) break;
            }
          }
        }
      }
    }
    if (pass === 0 && bestPrices.length) {
      const big = bestPrices;
      firstPass = big.map((x) => Number(x));
      for (const e of topEvaluations(3)) {
        let plan = e.plan;
        for (let round = 0; round < 3 && plan && addTangents(pb, plan); round++) plan = solveAt(highs, e.at);
      }
      cache.clear();
    }
  }

  let best: Candidate | undefined;
  if (bestPrices.length) {
    // the exact stage on the few best price vectors of the search
    // the few best price vectors; if none of them yields a valid solution (typically a
    // fill-or-kill intent the optimistic lines said a pool could just cover), further ones
    const ranked = topEvaluations(12);
    const top = evaluate(bestPrices);
    if (!ranked.includes(top)) ranked.unshift(top);
    for (const [k, e] of ranked.entries()) {
      if (k >= 4 && best) break;
      let plan = e.plan;
      // cutting planes: the sampled lines are loose between samples, so add each used pool
      // direction's line at the input the LP chose and solve again
      for (let round = 0; round < 3 && plan; round++) {
        if (!addTangents(pb, plan)) break;
        plan = solveAt(highs, e.at) ?? plan;
      }
      if (!plan) continue;
      const c = exactAt(highs, e.at, plan, opts);
      if (c && (!best || c.score > best.score)) best = c;
    }
  }
  const solution: Solution = best?.solution ?? {
    auctionId: auction.id,
    solver: opts.solver,
    prices: [],
    marketPrices: [],
    trades: [],
    interactions: [],
  };
  const score = best?.score ?? 0n;
  const value = Number(score) / 1e18;
  const bound = relaxation ? relaxation.bound : Number.POSITIVE_INFINITY;
  const gap = bound > 0 ? 1 - value / bound : 0;
  return { solution, legs: best?.legs ?? [], score, value, bound, gap, evaluations, ms: performance.now() - t0 };
}

/**
 * Independent validity check of a certified solution: scoreSolution accepts it, and replaying the
 * users' transfers (protocol/clearing.ts) and the legs (exact `swap` on pool copies) leaves no
 * token's balance in the settlement contract below zero.
 */
export function checkCertified(
  auction: Auction,
  pools: LiquidityAdapter[],
  c: { solution: Solution; legs: CertifiedLeg[] },
): Result<bigint> {
  if (!c.solution.trades.length) return ok(0n);
  const scored = scoreSolution(c.solution, auction);
  if (!scored.ok) return fail(scored.error.code, scored.error.field, scored.error.reason);
  const price = new Map(c.solution.prices.map((p) => [lowerAddr(p.token), p.price]));
  const balance = new Map<Address, bigint>();
  const add = (t: Address, v: bigint) => balance.set(lowerAddr(t), (balance.get(lowerAddr(t)) ?? 0n) + v);
  for (const tr of c.solution.trades) {
    const e = auction.intents.get(tr.intentId);
    if (e?.intent.type !== 'swap') return fail('invalid_solution', 'trades', 'unknown intent');
    const i = e.intent.intent;
    const a = tradeAmounts(i, tr.executed, price.get(lowerAddr(i.sellToken))!, price.get(lowerAddr(i.buyToken))!);
    add(i.sellToken, a.sell);
    add(i.buyToken, -a.buy);
  }
  const copies = new Map<Address, LiquidityAdapter>();
  for (const leg of c.legs) {
    let p = copies.get(leg.pool);
    if (!p) {
      const orig = pools.find((q) => q.address === leg.pool);
      if (!orig) return fail('invalid_solution', 'legs', `unknown pool ${leg.pool}`);
      p = orig.clone();
      copies.set(leg.pool, p);
    }
    const out = p.swap(leg.zeroForOne, leg.amountIn);
    if (out !== leg.amountOut) return fail('invalid_solution', 'legs', `pool ${leg.pool} pays ${out}, not ${leg.amountOut}`);
    add(leg.zeroForOne ? p.token0 : p.token1, -leg.amountIn);
    add(leg.zeroForOne ? p.token1 : p.token0, out);
  }
  for (const [t, b] of balance) if (b < 0n) return fail('invalid_solution', 'balance', `token ${t} short by ${-b}`);
  return ok(scored.value.score);
}
