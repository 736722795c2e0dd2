// A reference for the problem the solver actually solves: one clearing price per token (uniform
// prices), intents filled fractionally (the convex variant: every intent partially fillable), any
// trade each pool's curve allows (its float model). Written separately from the solver.
//
// For a FIXED price vector p the problem is convex (linear program over fills f_i ∈ [0, 1] and
// convex pool trades): maximise Σ_i f_i·c_i(p) subject to per-token conservation, where intent i at
// p pays α_i(p) of its sell token, receives β_i(p) of its buy token and earns surplus c_i(p)
// (reference prices), and may fill only if p meets its limit. Its Lagrange dual over token values
// ν >= 0 (strong duality: a convex problem with a Slater point) is
//   V(p) = min_ν D_p(ν),  D_p(ν) = Σ_pools arb_k(ν) + Σ_i max(0, c_i(p) + α_i(p)·ν_s − β_i(p)·ν_t),
// minimised here by damped Newton on log ν over smoothed hinges (decreasing temperature), with the
// coordinate bisection of test/solver/reference.ts as a fallback where Newton does not converge;
// the value reported is the exact D_p at the best ν found, so it is never below the true V(p).
// (Coordinate bisection alone can stall on the hinges' kinks, far above the minimum Newton finds:
// it is only the fallback.)
//
// The uniform-price optimum is max_p V(p). V is not concave in p (the uniform-price rule makes the
// problem non-convex; it is convex only per price vector), so this maximum is found by a local
// ascent on log p with the envelope gradient (∂V/∂log p = Σ_i f_i ∂(c_i + α_i ν_s − β_i ν_t)/∂log p
// at the dual optimum), started from several price vectors; the best value over all starts is the
// reference. It is a true optimum of the same problem only up to that search (no global
// certificate); the relaxation bound of reference.ts stays an upper bound of both.
import type { Address } from 'viem';
import type { Auction } from '../../protocol/score.ts';
import type { LiquidityAdapter } from '../../solver/domain/liquidity/adapter.ts';
import { choleskySolve } from '../../solver/domain/math/linalg.ts';

type Intent = { s: number; t: number; sell: boolean; amount: number; lim: number; partial: boolean };

export type UniformResult = {
  /** Numeraire units (score / 1e18). */
  value: number;
  /** Prices (numeraire per base unit; only ratios matter) at the best point. */
  prices: Map<Address, number>;
  /** Fill fraction per intent at the best point. */
  fills: number[];
  evaluations: number;
};

export class UniformReference {
  readonly index = new Map<Address, number>();
  readonly intents: Intent[] = [];
  private readonly pools: LiquidityAdapter[];
  private readonly p0: Int32Array;
  private readonly p1: Int32Array;
  readonly n: number;
  readonly ref: Float64Array;
  private readonly poolsOf: number[][];
  private readonly termsOf: number[][];
  // per-term coefficients at the current p
  private readonly c: Float64Array;
  private readonly al: Float64Array;
  private readonly be: Float64Array;
  private readonly on: Uint8Array;
  private readonly scale: Float64Array;
  private readonly buf = new Float64Array(3);
  /** Last dual point (warm start). */
  nu: Float64Array;
  evaluations = 0;

  constructor(auction: Auction, pools: LiquidityAdapter[]) {
    const id = (a: Address): number => {
      const k = a.toLowerCase() as Address;
      let v = this.index.get(k);
      if (v === undefined) {
        v = this.index.size;
        this.index.set(k, v);
      }
      return v;
    };
    for (const e of auction.intents.values()) {
      if (e.intent.type !== 'swap') continue;
      const i = e.intent.intent;
      const full = i.kind === 0 ? i.sellAmount : i.buyAmount;
      const left = i.partiallyFillable ? full - (e.filled ?? 0n) : (e.filled ?? 0n) === 0n ? full : 0n;
      if (left <= 0n || i.sellAmount <= 0n || i.buyAmount <= 0n) continue;
      this.intents.push({
        s: id(i.sellToken),
        t: id(i.buyToken),
        sell: i.kind === 0,
        amount: Number(left),
        lim: Number(i.buyAmount) / Number(i.sellAmount),
        partial: i.partiallyFillable,
      });
    }
    this.pools = pools;
    this.p0 = Int32Array.from(pools, (p) => id(p.token0));
    this.p1 = Int32Array.from(pools, (p) => id(p.token1));
    this.n = this.index.size;
    const n = this.n;
    this.ref = new Float64Array(n);
    for (const [a, k] of this.index) this.ref[k] = Number(auction.referencePrices.get(a) ?? 0n) / 1e18;
    this.poolsOf = Array.from({ length: n }, () => []);
    pools.forEach((_, k) => {
      this.poolsOf[this.p0[k]!]!.push(k);
      this.poolsOf[this.p1[k]!]!.push(k);
    });
    this.termsOf = Array.from({ length: n }, () => []);
    this.intents.forEach((it, k) => {
      this.termsOf[it.s]!.push(k);
      this.termsOf[it.t]!.push(k);
    });
    const m = this.intents.length;
    this.c = new Float64Array(m);
    this.al = new Float64Array(m);
    this.be = new Float64Array(m);
    this.on = new Uint8Array(m);
    this.scale = new Float64Array(m);
    this.nu = this.spotValues();
    this.floor = this.nu.map((v) => v * 1e-12);
  }

  private readonly floor: Float64Array;

  /** The pools' own prices in numeraire (breadth-first over pools from the best-connected referenced token). */
  spotValues(): Float64Array {
    const n = this.n;
    const nu = new Float64Array(n).fill(NaN);
    let root = 0;
    for (let j = 0; j < n; j++) if (this.ref[j]! > 0 && this.poolsOf[j]!.length > this.poolsOf[root]!.length) root = j;
    nu[root] = this.ref[root]! || 1;
    const queue = [root];
    while (queue.length) {
      const j = queue.shift()!;
      for (const k of this.poolsOf[j]!) {
        const o = this.p0[k] === j ? this.p1[k]! : this.p0[k]!;
        if (!Number.isNaN(nu[o]!)) continue;
        const spot = this.pools[k]!.spotPrice();
        nu[o] = this.p0[k] === j ? nu[j]! / spot : nu[j]! * spot;
        queue.push(o);
      }
    }
    for (let j = 0; j < n; j++) if (!(nu[j]! > 0) || !Number.isFinite(nu[j]!)) nu[j] = this.ref[j]! || 1;
    return nu;
  }

  /** Hinge coefficients at prices p. */
  private setPrices(p: Float64Array): void {
    const ref = this.ref;
    this.intents.forEach((it, k) => {
      const r = p[it.s]! / p[it.t]!;
      this.on[k] = r >= it.lim ? 1 : 0;
      if (it.sell) {
        this.al[k] = it.amount;
        this.be[k] = it.amount * r;
        this.c[k] = ref[it.t]! * it.amount * (r - it.lim);
      } else {
        this.al[k] = it.amount / r;
        this.be[k] = it.amount;
        this.c[k] = ref[it.s]! * (it.amount / it.lim - it.amount / r);
      }
      this.scale[k] = Math.max(Math.abs(this.c[k]!), this.al[k]! * ref[it.s]!, this.be[k]! * ref[it.t]!, 1e-300);
    });
  }

  private poolValue(v: Float64Array): number {
    let d = 0;
    const buf = this.buf;
    for (let k = 0; k < this.pools.length; k++) {
      const a = this.p0[k]!;
      const b = this.p1[k]!;
      this.pools[k]!.arb(v[a]! / v[b]!, buf);
      d += v[a]! * buf[0]! + v[b]! * buf[1]!;
    }
    return d;
  }

  private hinge(k: number, v: Float64Array): number {
    const it = this.intents[k]!;
    return this.c[k]! + this.al[k]! * v[it.s]! - this.be[k]! * v[it.t]!;
  }

  private value(v: Float64Array, tau: number): number {
    let d = this.poolValue(v);
    for (let k = 0; k < this.intents.length; k++) {
      if (!this.on[k]) continue;
      const z = this.hinge(k, v);
      if (tau > 0) {
        const T = tau * this.scale[k]!;
        d += z > 0 ? z + T * Math.log1p(Math.exp(-z / T)) : T * Math.log1p(Math.exp(z / T));
      } else d += Math.max(0, z);
    }
    return d;
  }

  /** Fill of term k at ν (the smoothed hinge's slope; 0/1 when tau = 0). */
  private fill(k: number, v: Float64Array, tau: number): number {
    if (!this.on[k]) return 0;
    const z = this.hinge(k, v);
    return tau > 0 ? 1 / (1 + Math.exp(-z / (tau * this.scale[k]!))) : z > 0 ? 1 : 0;
  }

  private deriv(j: number, x: number, tau: number): number {
    const nu = this.nu;
    const saved = nu[j]!;
    nu[j] = x;
    let g = 0;
    const buf = this.buf;
    for (const k of this.poolsOf[j]!) {
      const a = this.p0[k]!;
      const b = this.p1[k]!;
      this.pools[k]!.arb(nu[a]! / nu[b]!, buf);
      if (a === j) g += buf[0]!;
      if (b === j) g += buf[1]!;
    }
    for (const k of this.termsOf[j]!) {
      if (!this.on[k]) continue;
      const it = this.intents[k]!;
      const w = this.fill(k, nu, tau);
      if (it.s === j) g += w * this.al[k]!;
      if (it.t === j) g -= w * this.be[k]!;
    }
    nu[j] = saved;
    return g;
  }

  /**
   * Damped Newton on y = log ν for the dual smoothed at temperature tau (in place on this.nu):
   * pools contribute their log-space Laplacian (from arb's d(d0)/dr), hinges a rank-one term each;
   * the gradient's positive part is added to the diagonal (as a positive definite model). Returns
   * whether every token balances to 1e-10 of its gross flow (tokens at the floor that would fall
   * further count as balanced).
   */
  private newton(tau: number, maxIt = 60): boolean {
    const n = this.n;
    const nu = this.nu;
    const buf = this.buf;
    const grad = new Float64Array(n);
    const gross = new Float64Array(n);
    const H = new Float64Array(n * n);
    const trial = new Float64Array(n);
    const logFloor = Float64Array.from(this.floor, (v) => Math.log(v));
    const gradAt = (v: Float64Array): void => {
      grad.fill(0);
      gross.fill(0);
      H.fill(0);
      for (let k = 0; k < this.pools.length; k++) {
        const a = this.p0[k]!;
        const b = this.p1[k]!;
        const r = v[a]! / v[b]!;
        this.pools[k]!.arb(r, buf);
        grad[a] = grad[a]! + buf[0]!;
        grad[b] = grad[b]! + buf[1]!;
        gross[a] = gross[a]! + Math.abs(buf[0]!);
        gross[b] = gross[b]! + Math.abs(buf[1]!);
        const w = buf[2]! * r * v[a]!;
        H[a * n + a] = H[a * n + a]! + w;
        H[b * n + b] = H[b * n + b]! + w;
        H[a * n + b] = H[a * n + b]! - w;
        H[b * n + a] = H[b * n + a]! - w;
      }
      for (let k = 0; k < this.intents.length; k++) {
        if (!this.on[k]) continue;
        const it = this.intents[k]!;
        const z = this.hinge(k, v);
        const T = tau * this.scale[k]!;
        const f = 1 / (1 + Math.exp(-z / T));
        grad[it.s] = grad[it.s]! + f * this.al[k]!;
        grad[it.t] = grad[it.t]! - f * this.be[k]!;
        gross[it.s] = gross[it.s]! + f * this.al[k]!;
        gross[it.t] = gross[it.t]! + f * this.be[k]!;
        const h = (f * (1 - f)) / T;
        if (!(h > 0)) continue;
        const as = this.al[k]! * v[it.s]!;
        const at = -this.be[k]! * v[it.t]!;
        H[it.s * n + it.s] = H[it.s * n + it.s]! + h * as * as;
        H[it.t * n + it.t] = H[it.t * n + it.t]! + h * at * at;
        H[it.s * n + it.t] = H[it.s * n + it.t]! + h * as * at;
        H[it.t * n + it.s] = H[it.t * n + it.s]! + h * as * at;
      }
    };
    let cur = this.value(nu, tau);
    for (let it = 0; it < maxIt; it++) {
      gradAt(nu);
      let worst = 0;
      const G = new Float64Array(n);
      for (let j = 0; j < n; j++) {
        G[j] = nu[j]! * grad[j]!;
        if (Math.log(nu[j]!) <= logFloor[j]! + 1e-12 && G[j]! > 0) continue;
        worst = Math.max(worst, Math.abs(grad[j]!) / (gross[j]! + 1e-300));
      }
      if (worst <= 1e-10) return true;
      let diagMax = 0;
      let gsum = 0;
      for (let j = 0; j < n; j++) {
        diagMax = Math.max(diagMax, H[j * n + j]!);
        gsum += Math.abs(G[j]!);
      }
      const eps = 1e-10 * diagMax + 1e-14 * gsum + 1e-300;
      const d = Float64Array.from(G, (g) => -g);
      for (let j = 0; j < n; j++) H[j * n + j] = H[j * n + j]! + Math.max(G[j]!, 0) + eps;
      if (!choleskySolve(H, d, n)) return false;
      let dmax = 0;
      for (let j = 0; j < n; j++) dmax = Math.max(dmax, Math.abs(d[j]!));
      let t = dmax > 2 ? 2 / dmax : 1;
      let accepted = false;
      for (let ls = 0; ls < 50; ls++, t *= 0.5) {
        let slope = 0;
        for (let j = 0; j < n; j++) {
          const y = Math.max(logFloor[j]!, Math.log(nu[j]!) + t * d[j]!);
          slope += G[j]! * (y - Math.log(nu[j]!));
          trial[j] = Math.exp(y);
        }
        const tv = this.value(trial, tau);
        if (tv <= cur + 1e-4 * Math.min(slope, 0) || (tv < cur && ls > 0)) {
          const progress = cur - tv;
          nu.set(trial);
          cur = tv;
          accepted = true;
          if (progress <= 1e-15 * Math.abs(cur)) return false;
          break;
        }
      }
      if (!accepted) return false;
    }
    return false;
  }

  /**
   * V(p): the best surplus at uniform prices p (fractional fills), as the exact dual value at the
   * best ν found (>= the true V(p)), with the fills and the envelope gradient in log p.
   */
  evaluate(p: Float64Array, opts: { cold?: boolean; perStage?: number } = {}): { value: number; fills: Float64Array; grad: Float64Array } {
    this.evaluations++;
    this.setPrices(p);
    const n = this.n;
    const nu = this.nu;
    if (opts.cold) nu.set(this.spotValues());
    let best = this.value(nu, 0);
    const bestNu = Float64Array.from(nu);
    const stages = opts.cold ? [1e-2, 3e-3, 1e-3, 3e-4, 1e-4, 3e-5, 1e-5, 3e-6, 1e-6, 1e-7] : [1e-4, 1e-5, 1e-6, 1e-7];
    let lastTau = stages[0]!;
    const trial = new Float64Array(n);
    // Newton on log ν per stage first (a coordinate method can stall on the hinges' kinks, which
    // only overestimates V(p)); the coordinate sweeps below run only if Newton did not converge
    // at the last stage, from its point. The value is the best exact dual value seen either way.
    let newtonDone = true;
    for (const tau of stages) {
      lastTau = tau;
      newtonDone = this.newton(tau);
      const v = this.value(nu, 0);
      if (v < best) {
        best = v;
        bestNu.set(nu);
      }
    }
    for (const tau of newtonDone ? [] : stages.slice(-2)) {
      lastTau = tau;
      for (let sweep = 0; sweep < (opts.perStage ?? 40); sweep++) {
        let moved = 0;
        const before = Float64Array.from(nu);
        for (let j = 0; j < n; j++) {
          // ν_j may fall to (near) zero: a token the batch leaves over is worth nothing to it
          let lo = Math.max(Math.log(nu[j]!) - Math.log(1e3), Math.log(this.floor[j]!));
          let hi = Math.log(nu[j]!) + Math.log(1e3);
          for (let it = 0; it < 64 && hi - lo > 1e-13; it++) {
            const mid = 0.5 * (lo + hi);
            if (this.deriv(j, Math.exp(mid), tau) > 0) hi = mid;
            else lo = mid;
          }
          const next = Math.max(this.floor[j]!, Math.exp(0.5 * (lo + hi)));
          moved = Math.max(moved, Math.abs(Math.log(next / nu[j]!)));
          nu[j] = next;
        }
        // extrapolate along the sweep's move while the smoothed value falls (coordinate descent zig-zags)
        let cur = this.value(nu, tau);
        for (let step = 1; step < 1e6; step *= 2) {
          for (let j = 0; j < n; j++) trial[j] = Math.max(this.floor[j]!, nu[j]! * Math.exp(step * Math.log(nu[j]! / before[j]!)));
          const tv = this.value(trial, tau);
          if (!(tv < cur)) break;
          cur = tv;
          nu.set(trial);
        }
        const v = this.value(nu, 0);
        if (v < best) {
          best = v;
          bestNu.set(nu);
        }
        if (moved < 1e-12) break;
      }
    }
    nu.set(bestNu);
    // fills and the envelope gradient (smoothed fills at the last temperature)
    const m = this.intents.length;
    const fills = new Float64Array(m);
    const grad = new Float64Array(n);
    const ref = this.ref;
    for (let k = 0; k < m; k++) {
      const f = this.fill(k, nu, lastTau);
      fills[k] = f;
      if (f === 0) continue;
      const it = this.intents[k]!;
      const r = p[it.s]! / p[it.t]!;
      // ∂(c + α ν_s − β ν_t)/∂log r
      const dr = it.sell ? it.amount * r * (ref[it.t]! - nu[it.t]!) : -(it.amount / r) * (nu[it.s]! - ref[it.s]!);
      grad[it.s] = grad[it.s]! + f * dr;
      grad[it.t] = grad[it.t]! - f * dr;
    }
    return { value: best, fills, grad };
  }

  /**
   * Local ascent of V over log p from a start (prices per token index; tokens no intent trades are
   * ignored). Projected gradient steps with backtracking on the dual value.
   */
  ascend(start: Float64Array, opts: { iterations?: number } = {}): { value: number; p: Float64Array; fills: Float64Array } {
    const n = this.n;
    const traded = new Uint8Array(n);
    for (const it of this.intents) traded[it.s] = traded[it.t] = 1;
    let p = Float64Array.from(start);
    let cur = this.evaluate(p, { cold: true });
    let step = 1e-3; // log-price units per unit of normalised gradient
    const trial = new Float64Array(n);
    for (let iter = 0; iter < (opts.iterations ?? 60) && step > 1e-9; iter++) {
      let gmax = 0;
      for (let j = 0; j < n; j++) if (traded[j]) gmax = Math.max(gmax, Math.abs(cur.grad[j]!));
      if (!(gmax > 0)) break;
      const savedNu = Float64Array.from(this.nu);
      let accepted = false;
      for (let tries = 0; tries < 30 && step > 1e-9; tries++) {
        for (let j = 0; j < n; j++) trial[j] = traded[j] ? p[j]! * Math.exp((step * cur.grad[j]!) / gmax) : p[j]!;
        // a warm start at a low temperature can stall (coordinate descent on a non-smooth
        // function): every point is solved cold, so values compare
        const next = this.evaluate(trial, { cold: true });
        if (next.value > cur.value * (1 + 1e-12)) {
          p = Float64Array.from(trial);
          cur = next;
          step = Math.min(2 * step, 0.02);
          accepted = true;
          break;
        }
        step /= 3;
      }
      if (!accepted) {
        this.nu.set(savedNu);
        break;
      }
    }
    return { value: cur.value, p, fills: cur.fills };
  }
}

/** Best V over local ascents from the given starts (token → price; absent tokens take the pools' spot values). */
export function uniformOptimum(
  auction: Auction,
  pools: LiquidityAdapter[],
  starts: Map<Address, number>[],
  opts: { iterations?: number } = {},
): UniformResult {
  const u = new UniformReference(auction, pools);
  let best: { value: number; p: Float64Array; fills: Float64Array } | undefined;
  for (const s of starts) {
    // the start's scale is arbitrary (only ratios matter): match it to the spot values on average
    const p = u.spotValues();
    let logScale = 0;
    let count = 0;
    for (const [a, v] of s) {
      const k = u.index.get(a.toLowerCase() as Address);
      if (k !== undefined && v > 0) {
        logScale += Math.log(p[k]! / v);
        count++;
      }
    }
    for (const [a, v] of s) {
      const k = u.index.get(a.toLowerCase() as Address);
      if (k !== undefined && v > 0) p[k] = v * Math.exp(logScale / Math.max(1, count));
    }
    const res = u.ascend(p, opts);
    if (!best || res.value > best.value) best = res;
  }
  const prices = new Map<Address, number>();
  for (const [a, k] of u.index) prices.set(a, best ? best.p[k]! : 0);
  return { value: best ? best.value / 1e18 : 0, prices, fills: best ? [...best.fills] : [], evaluations: u.evaluations };
}
