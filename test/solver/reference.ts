// An independent reference optimum for bench:solver (and tests): an upper bound on the surplus any
// valid solution can reach, from a generic convex solve written separately from the solver.
//
// Relaxation: drop the uniform-price rule (every intent may receive any amount above its limit),
// let every intent fill any fraction in [0, 1] (fill-or-kill included), and allow any trade each
// pool's curve allows (its float model). What remains is a convex problem:
//   maximise Σ surplus_i · ref  s.t. per-token conservation (users' payments + pool outputs >= users'
//   receipts + pool inputs).
// Its Lagrange dual over token values ν >= 0 (weak duality: every ν gives an upper bound) is
//   D(ν) = Σ_pools arb_k(ν) + Σ_SELL max(0, ν_s·x − ν_t·b) + Σ_BUY max(0, max(ν_s, ref_s)·a − ν_t·y)
// with ν_t >= ref_t for every token a SELL intent buys (else its receipt is unbounded), where
// arb_k(ν) = max over the pool's trades of ν·Δ (the adapter's closed-form `arb`). Any valid
// solution is feasible for the relaxation, so its score is at most min D.
//
// Minimisation: coordinate descent with bisection on each coordinate's derivative (log scale),
// on the hinge smoothed by a softplus (which stays an upper bound of the hinge) with a temperature
// that decreases stage by stage; the bound reported is the exact (unsmoothed) D at the best ν.
import type { Address } from 'viem';
import type { SwapIntent } from '../../protocol/intent.ts';
import type { Auction } from '../../protocol/score.ts';
import type { LiquidityAdapter } from '../../solver/domain/liquidity/adapter.ts';

type Term = { s: number; t: number; sell: boolean; x: number; b: number };

export type ReferenceResult = { bound: number; sweeps: number; nu: Map<Address, number> };

/** Upper bound on the score (numeraire units, i.e. score / 1e18) of any solution. */
export function referenceOptimum(
  auction: Auction,
  pools: LiquidityAdapter[],
  opts: { sweeps?: number; perStage?: number } = {},
): ReferenceResult {
  const index = new Map<Address, number>();
  const id = (a: Address): number => {
    const k = a.toLowerCase() as Address;
    let v = index.get(k);
    if (v === undefined) {
      v = index.size;
      index.set(k, v);
    }
    return v;
  };
  const terms: Term[] = [];
  for (const e of auction.intents.values()) {
    if (e.intent.type !== 'swap') continue;
    const i = e.intent.intent;
    const full = i.kind === 0 ? i.sellAmount : i.buyAmount;
    const left = i.partiallyFillable ? full - (e.filled ?? 0n) : (e.filled ?? 0n) === 0n ? full : 0n;
    if (left <= 0n) continue;
    const s = id(i.sellToken);
    const t = id(i.buyToken);
    if (i.kind === 0) terms.push({ s, t, sell: true, x: Number(left), b: (Number(left) * Number(i.buyAmount)) / Number(i.sellAmount) });
    else terms.push({ s, t, sell: false, x: (Number(left) * Number(i.sellAmount)) / Number(i.buyAmount), b: Number(left) });
  }
  const p0 = pools.map((p) => id(p.token0));
  const p1 = pools.map((p) => id(p.token1));
  const n = index.size;
  const ref = new Float64Array(n);
  for (const [a, k] of index) ref[k] = Number(auction.referencePrices.get(a) ?? 0n) / 1e18;
  const lower = new Float64Array(n); // ν_t >= ref_t for SELL-bought tokens
  for (const tm of terms) if (tm.sell) lower[tm.t] = Math.max(lower[tm.t]!, ref[tm.t]!);
  // neighbourhoods for the coordinate derivative
  const poolsOf: number[][] = Array.from({ length: n }, () => []);
  pools.forEach((_, k) => {
    poolsOf[p0[k]!]!.push(k);
    poolsOf[p1[k]!]!.push(k);
  });
  const termsOf: number[][] = Array.from({ length: n }, () => []);
  terms.forEach((tm, k) => {
    termsOf[tm.s]!.push(k);
    if (tm.t !== tm.s) termsOf[tm.t]!.push(k);
  });
  // start: the pools' own prices (spot, by breadth-first search from the best-referenced token)
  const nu = new Float64Array(n).fill(NaN);
  let root = 0;
  for (let j = 0; j < n; j++) if (ref[j]! > 0 && poolsOf[j]!.length > poolsOf[root]!.length) root = j;
  nu[root] = ref[root]! || 1;
  const queue = [root];
  while (queue.length) {
    const j = queue.shift()!;
    for (const k of poolsOf[j]!) {
      const o = p0[k] === j ? p1[k]! : p0[k]!;
      if (!Number.isNaN(nu[o]!)) continue;
      const spot = pools[k]!.spotPrice();
      nu[o] = p0[k] === j ? nu[j]! / spot : nu[j]! * spot;
      queue.push(o);
    }
  }
  for (let j = 0; j < n; j++) {
    if (Number.isNaN(nu[j]!) || !(nu[j]! > 0)) nu[j] = ref[j]! || 1;
    nu[j] = Math.max(nu[j]!, lower[j]!);
  }
  const buf = new Float64Array(3);
  const hingeArg = (tm: Term, v: Float64Array): number =>
    (tm.sell ? v[tm.s]! * tm.x : Math.max(v[tm.s]!, ref[tm.s]!) * tm.x) - v[tm.t]! * tm.b;
  const softplus = (z: number, tau: number): number =>
    z > 0 ? z + tau * Math.log1p(Math.exp(-z / tau)) : tau * Math.log1p(Math.exp(z / tau));
  const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
  const scaleOf = (tm: Term): number => Math.max(ref[tm.s]! * tm.x, ref[tm.t]! * tm.b, 1e-300);

  /** Exact dual value. */
  const value = (v: Float64Array): number => {
    let d = 0;
    for (let k = 0; k < pools.length; k++) {
      const a = p0[k]!;
      const b = p1[k]!;
      pools[k]!.arb(v[a]! / v[b]!, buf);
      d += v[a]! * buf[0]! + v[b]! * buf[1]!;
    }
    for (const tm of terms) d += Math.max(0, hingeArg(tm, v));
    return d;
  };
  /** d(smoothed D)/dν_j at ν_j = x (others fixed). */
  const deriv = (j: number, x: number, tauRel: number): number => {
    const saved = nu[j]!;
    nu[j] = x;
    let g = 0;
    for (const k of poolsOf[j]!) {
      const a = p0[k]!;
      const b = p1[k]!;
      pools[k]!.arb(nu[a]! / nu[b]!, buf);
      if (a === j) g += buf[0]!;
      if (b === j) g += buf[1]!;
    }
    for (const k of termsOf[j]!) {
      const tm = terms[k]!;
      const z = hingeArg(tm, nu);
      const w = tauRel > 0 ? sigmoid(z / (tauRel * scaleOf(tm))) : z > 0 ? 1 : 0;
      let dz = 0;
      if (tm.s === j) dz += tm.sell ? tm.x : nu[j]! >= ref[j]! ? tm.x : 0;
      if (tm.t === j) dz -= tm.b;
      g += w * dz;
    }
    nu[j] = saved;
    return g;
  };
  /** Smoothed dual value (an upper bound of the exact one). */
  const smoothed = (v: Float64Array, tauRel: number): number => {
    let d = 0;
    for (let k = 0; k < pools.length; k++) {
      const a = p0[k]!;
      const b = p1[k]!;
      pools[k]!.arb(v[a]! / v[b]!, buf);
      d += v[a]! * buf[0]! + v[b]! * buf[1]!;
    }
    for (const tm of terms) d += tauRel > 0 ? softplus(hingeArg(tm, v), tauRel * scaleOf(tm)) : Math.max(0, hingeArg(tm, v));
    return d;
  };
  let best = value(nu);
  const bestNu = Float64Array.from(nu);
  let sweeps = 0;
  const maxSweeps = opts.sweeps ?? 400;
  for (const tauRel of [1e-2, 3e-3, 1e-3, 3e-4, 1e-4, 3e-5, 1e-5, 3e-6, 1e-6, 1e-7, 0]) {
    for (let sweep = 0; sweep < (opts.perStage ?? 40) && sweeps < maxSweeps; sweep++, sweeps++) {
      let moved = 0;
      const before = Float64Array.from(nu);
      for (let j = 0; j < n; j++) {
        // bisection on the sign of the derivative, in log ν_j, within [lower, ∞)
        let lo = Math.log(Math.max(nu[j]! * 1e-3, lower[j]! || 0));
        let hi = Math.log(nu[j]! * 1e3);
        if (lower[j]! > 0 && deriv(j, lower[j]!, tauRel) >= 0) {
          moved = Math.max(moved, Math.abs(Math.log(nu[j]! / lower[j]!)));
          nu[j] = lower[j]!;
          continue;
        }
        if (!Number.isFinite(lo)) lo = Math.log(nu[j]!) - 60;
        for (let it = 0; it < 64 && hi - lo > 1e-13; it++) {
          const mid = 0.5 * (lo + hi);
          if (deriv(j, Math.exp(mid), tauRel) > 0) hi = mid;
          else lo = mid;
        }
        const next = Math.max(Math.exp(0.5 * (lo + hi)), lower[j]!);
        moved = Math.max(moved, Math.abs(Math.log(next / nu[j]!)));
        nu[j] = next;
      }
      // coordinate descent zig-zags along valleys (D is nearly homogeneous in ν): extrapolate
      // along the sweep's whole move while the smoothed value keeps falling
      const dir = Float64Array.from(nu, (x, j) => Math.log(x / before[j]!));
      let cur = smoothed(nu, tauRel);
      const trial = new Float64Array(n);
      for (let step = 1; step < 1e6; step *= 2) {
        for (let j = 0; j < n; j++) trial[j] = Math.max(lower[j]!, nu[j]! * Math.exp(step * dir[j]!));
        const tv = smoothed(trial, tauRel);
        if (!(tv < cur)) break;
        cur = tv;
        nu.set(trial);
      }
      const v = value(nu);
      if (v < best) {
        best = v;
        bestNu.set(nu);
      }
      if (moved < 1e-12) break;
    }
  }
  const nuOut = new Map<Address, number>();
  for (const [a, k] of index) nuOut.set(a, bestNu[k]!);
  return { bound: best / 1e18, sweeps, nu: nuOut };
}

/**
 * Output of the best split of `amountIn` over parallel pools of one pair, found independently of
 * the router: bisection on the common marginal price r until the pools together take exactly
 * `amountIn` (float model, `arb`).
 */
export function parallelPoolsOutput(pools: readonly LiquidityAdapter[], zeroForOne: boolean, amountIn: number): number {
  const buf = new Float64Array(3);
  const at = (r: number) => {
    let input = 0;
    let out = 0;
    for (const p of pools) {
      p.arb(r, buf);
      input += Math.max(0, zeroForOne ? -buf[0]! : -buf[1]!);
      out += Math.max(0, zeroForOne ? buf[1]! : buf[0]!);
    }
    return { input, out };
  };
  let lo = 1e-30;
  let hi = 1e30;
  for (let k = 0; k < 200; k++) {
    const mid = Math.sqrt(lo * hi);
    const tooMuch = at(mid).input > amountIn;
    if (zeroForOne ? tooMuch : !tooMuch) lo = mid;
    else hi = mid;
  }
  return at(Math.sqrt(lo * hi)).out;
}

/** The optimum of a single-pair, single-sell-intent instance: its surplus over the limit in the numeraire. */
export function bisectionReference(inst: { intents: { intent: SwapIntent }[]; pools: LiquidityAdapter[]; auction: Auction }): number {
  const i = inst.intents[0]!.intent;
  const out = parallelPoolsOutput(inst.pools, i.sellToken === inst.pools[0]!.token0, Number(i.sellAmount));
  const ref = Number(inst.auction.referencePrices.get(i.buyToken)!) / 1e18;
  return (Math.max(0, out - Number(i.buyAmount)) * ref) / 1e18;
}
