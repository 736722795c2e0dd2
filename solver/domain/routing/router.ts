// Optimal routing over constant-function market makers by dual decomposition (Angeris, Chitra,
// Evans, Boyd: "Optimal Routing for Constant Function Market Makers", 2022).
//
// Primal, for "sell x of src, receive as much dst as possible":
//     maximise Ψ_dst  s.t.  Ψ = Σ_i A_i Δ_i,  Δ_i feasible for pool i,  Ψ_src >= -x,  Ψ_j >= 0 otherwise.
// Dual, over token prices ν >= 0 with ν_dst = 1 (ν_j = marginal value of token j in dst units):
//     g(ν) = x·ν_src + Σ_i arb_i(ν),
// where arb_i is the profit of the optimal arbitrage of pool i against prices ν, which every
// adapter gives in closed form (LiquidityAdapter.arb; piecewise per tick range for V3). The
// gradient of g is the net flow of each token (x + what the pools pay), and its Hessian is a
// weighted graph Laplacian, so a damped Newton method on log prices converges in a few iterations;
// at the optimum every used pool's marginal price equals the price ratio of its tokens (marginal
// prices equalise across splits and hops) and the flows balance at every intermediate token.
//
// Everything here is float. Final amounts are computed exactly by `executePlan` on bigint state.
import type { Address } from 'viem';
import type { LiquidityAdapter } from '../liquidity/adapter.ts';
import { choleskySolve } from '../math/linalg.ts';
import { flowLegs, orderLegs, type Plan, type PlanLeg } from './plan.ts';

type RouteResult = {
  /** Float output of dst. */
  out: number;
  /** Dual prices (ν_dst = 1), the warm start of the next round. */
  nu: Float64Array;
  /** Per pool: token0 and token1 received from the pool (negative: paid in). */
  flows: Float64Array;
};

type DualResult = {
  /** Token values at the optimum (pinned ones as given). */
  nu: Float64Array;
  /** Per pool: token0 and token1 received from the pool (negative: paid in). */
  flows: Float64Array;
  /** Largest flow imbalance of a free token (value, relative to the supply's value). */
  residual: number;
};

/** Intents that may fill fractionally at fixed prices (see `Router.solveFills`). */
export type HingeTerms = {
  s: Int32Array;
  t: Int32Array;
  c: Float64Array;
  al: Float64Array;
  be: Float64Array;
  scale: Float64Array;
  on: Uint8Array;
};
type FillSolution = { nu: Float64Array; fills: Float64Array; flows: Float64Array; value: number };

const ARB = new Float64Array(3);
/** Newton iterations of `solveDual`. */
const DUAL_ITERATIONS = 100;
/** Smoothing temperatures of `solveFills`' hinges, and Newton iterations per temperature. */
const FILL_STAGES = [1e-4, 1e-6, 1e-8];
const FILL_ITERATIONS = 40;

export class Router {
  readonly tokens: Address[];
  readonly tokenIndex: Map<Address, number>;
  readonly pools: LiquidityAdapter[];
  readonly t0: Int32Array;
  readonly t1: Int32Array;
  /** Pools by token, for path enumeration. */
  readonly byToken: number[][];
  private readonly n: number;
  private readonly W: Float64Array;
  private readonly grad: Float64Array;
  /** Gross flow of each token at the last `evaluate` (convergence scale of `solveFills`). */
  private readonly gross: Float64Array;
  private readonly nu: Float64Array;
  private readonly trialNu: Float64Array;
  private readonly u: Float64Array;
  private readonly G: Float64Array;
  private readonly M: Float64Array;
  private readonly delta: Float64Array;

  /**
   * Fee bands of pools whose state is frozen for this router's lifetime (see `freezeBands`):
   * inside [bandLo, bandHi] a pool trades nothing and `evaluate` skips it.
   */
  private bandLo: Float64Array | undefined;
  private bandHi: Float64Array | undefined;

  /** Promise that the pools' state will not change (no swaps on them): lets `evaluate` skip idle pools. */
  freezeBands(): void {
    const lo = new Float64Array(this.pools.length).fill(Infinity);
    const hi = new Float64Array(this.pools.length).fill(-Infinity);
    this.pools.forEach((p, i) => {
      const band = p.noTradeBand?.();
      if (band) {
        // a hair inside the band, so rounding never skips a pool that would trade
        lo[i] = band[0] * (1 + 1e-12);
        hi[i] = band[1] * (1 - 1e-12);
      }
    });
    this.bandLo = lo;
    this.bandHi = hi;
  }

  constructor(pools: LiquidityAdapter[]) {
    const index = new Map<Address, number>();
    const tokens: Address[] = [];
    const id = (a: Address): number => {
      let k = index.get(a);
      if (k === undefined) {
        k = tokens.length;
        index.set(a, k);
        tokens.push(a);
      }
      return k;
    };
    this.pools = pools;
    this.t0 = new Int32Array(pools.length);
    this.t1 = new Int32Array(pools.length);
    pools.forEach((p, i) => {
      this.t0[i] = id(p.token0);
      this.t1[i] = id(p.token1);
    });
    this.tokens = tokens;
    this.tokenIndex = index;
    const n = tokens.length;
    this.n = n;
    this.byToken = Array.from({ length: n }, () => []);
    pools.forEach((_, i) => {
      this.byToken[this.t0[i]!]!.push(i);
      this.byToken[this.t1[i]!]!.push(i);
    });
    this.W = new Float64Array(n * n);
    this.M = new Float64Array(n * n);
    this.grad = new Float64Array(n);
    this.gross = new Float64Array(n);
    this.nu = new Float64Array(n);
    this.trialNu = new Float64Array(n);
    this.u = new Float64Array(n);
    this.G = new Float64Array(n);
    this.delta = new Float64Array(n);
  }

  /** Spot-price guess of ν (value in dst units) by breadth-first search from dst over the deepest pools. */
  spotPrices(dst: number): Float64Array {
    const nu = new Float64Array(this.n).fill(NaN);
    nu[dst] = 1;
    const queue = [dst];
    while (queue.length) {
      const k = queue.shift()!;
      for (const i of this.byToken[k]!) {
        const other = this.t0[i] === k ? this.t1[i]! : this.t0[i]!;
        if (!Number.isNaN(nu[other]!)) continue;
        const p = this.pools[i]!.spotPrice(); // token1 per token0
        nu[other] = this.t0[i] === k ? nu[k]! / p : nu[k]! * p;
        queue.push(other);
      }
    }
    for (let j = 0; j < this.n; j++) if (!(nu[j]! > 0) || !Number.isFinite(nu[j]!)) nu[j] = 1;
    return nu;
  }

  /** g(ν) = ν·supply + Σ arb_i(ν), its gradient (net flows) and the Laplacian weights in log-price space. */
  private evaluate(nu: Float64Array, supply: Float64Array, excluded: Uint8Array, withHessian: boolean): number {
    const n = this.n;
    const grad = this.grad;
    const W = this.W;
    if (withHessian) W.fill(0);
    let g = 0;
    const gross = this.gross;
    for (let j = 0; j < n; j++) {
      grad[j] = supply[j]!;
      gross[j] = Math.abs(supply[j]!);
      g += supply[j]! * nu[j]!;
    }
    const pools = this.pools;
    const t0 = this.t0;
    const t1 = this.t1;
    const bandLo = this.bandLo;
    const bandHi = this.bandHi;
    for (let i = 0; i < pools.length; i++) {
      if (excluded[i]) continue;
      const a = t0[i]!;
      const b = t1[i]!;
      const na = nu[a]!;
      const nb = nu[b]!;
      const r = na / nb;
      if (bandLo !== undefined && r > bandLo[i]! && r < bandHi![i]!) continue;
      pools[i]!.arb(r, ARB);
      const d0 = ARB[0]!;
      const d1 = ARB[1]!;
      if (d0 === 0 && d1 === 0) continue;
      g += na * d0 + nb * d1;
      grad[a] = grad[a]! + d0;
      grad[b] = grad[b]! + d1;
      gross[a] = gross[a]! + Math.abs(d0);
      gross[b] = gross[b]! + Math.abs(d1);
      if (withHessian) {
        const w = ARB[2]! * r * na;
        W[a * n + a] = W[a * n + a]! + w;
        W[b * n + b] = W[b * n + b]! + w;
        W[a * n + b] = W[a * n + b]! - w;
        W[b * n + a] = W[b * n + a]! - w;
      }
    }
    return g;
  }

  /** Maximises dst received for x of src (floats), without the `excluded` pools. */
  private route(src: number, dst: number, x: number, excluded: Uint8Array, warm: Float64Array | undefined): RouteResult {
    const supply = new Float64Array(this.n);
    supply[src] = x;
    const pinned = new Float64Array(this.n).fill(NaN);
    pinned[dst] = 1;
    const res = this.solveDual(supply, pinned, warm ?? this.spotPrices(dst), excluded);
    let out = 0;
    for (let i = 0; i < this.pools.length; i++) {
      if (this.t0[i] === dst) out += res.flows[2 * i]!;
      if (this.t1[i] === dst) out += res.flows[2 * i + 1]!;
    }
    return { out, nu: res.nu, flows: res.flows };
  }

  /**
   * The general dual problem: tokens `supply` (>= 0) are to be converted by the pools into the
   * pinned tokens (pinned[j] = their fixed value; NaN = free), maximising the pinned value received:
   *     minimise over free ν >= 0:  g(ν) = ν·supply + Σ_i arb_i(ν).
   * At the optimum every free token balances (supply + pool flows = 0; intermediate tokens net to
   * zero) and the pools' marginal prices equal ν. `route` is the case of one supplied and one
   * pinned token. Damped Newton on log ν, warm-started from `warm`.
   */
  solveDual(supply: Float64Array, pinned: Float64Array, warm: Float64Array, excluded: Uint8Array): DualResult {
    const n = this.n;
    const nu = this.nu;
    nu.set(warm);
    let anyPinned = false;
    for (let j = 0; j < n; j++) {
      if (!Number.isNaN(pinned[j]!)) {
        nu[j] = pinned[j]!;
        anyPinned = true;
      } else if (!(nu[j]! > 0) || !Number.isFinite(nu[j]!)) nu[j] = 1;
    }
    if (!anyPinned) throw new Error('solveDual needs at least one pinned token');
    const u = this.u;
    for (let j = 0; j < n; j++) u[j] = Math.log(nu[j]!);
    let g = this.evaluate(nu, supply, excluded, true);
    let scale = 0;
    for (let j = 0; j < n; j++) scale += Math.abs(supply[j]!) * nu[j]!;
    scale = Math.max(scale, 1e-300);
    let stalled = 0;
    const G = this.G;
    const M = this.M;
    const delta = this.delta;
    const trial = this.trialNu;
    const W = this.W;
    for (let it = 0; it < DUAL_ITERATIONS; it++) {
      let gmax = 0;
      for (let j = 0; j < n; j++) {
        G[j] = Number.isNaN(pinned[j]!) ? nu[j]! * this.grad[j]! : 0;
        gmax = Math.max(gmax, Math.abs(G[j]!));
      }
      if (gmax <= 1e-11 * scale) break;
      // M = W + diag(max(G, 0)) + εI over the free variables (pinned rows/columns are identity).
      let diagMax = 0;
      for (let j = 0; j < n; j++) diagMax = Math.max(diagMax, W[j * n + j]!);
      const eps = 1e-12 * scale + 1e-10 * diagMax;
      for (let a = 0; a < n; a++) {
        const pa = !Number.isNaN(pinned[a]!);
        for (let b = 0; b < n; b++) {
          M[a * n + b] = pa || !Number.isNaN(pinned[b]!) ? (a === b ? 1 : 0) : W[a * n + b]!;
        }
        if (!pa) M[a * n + a] = M[a * n + a]! + Math.max(G[a]!, 0) + eps;
        delta[a] = -G[a]!;
      }
      if (!choleskySolve(M, delta, n)) break;
      let dmax = 0;
      for (let j = 0; j < n; j++) dmax = Math.max(dmax, Math.abs(delta[j]!));
      const cap = dmax > 2 ? 2 / dmax : 1;
      let slope = 0;
      for (let j = 0; j < n; j++) slope += G[j]! * delta[j]! * cap;
      let t = cap;
      let accepted = false;
      for (let ls = 0; ls < 60; ls++) {
        for (let j = 0; j < n; j++) trial[j] = Number.isNaN(pinned[j]!) ? Math.exp(u[j]! + t * delta[j]!) : pinned[j]!;
        const gt = this.evaluate(trial, supply, excluded, true);
        if (gt <= g + 1e-4 * (t / cap) * slope || gt <= g - 1e-14 * Math.abs(g)) {
          for (let j = 0; j < n; j++) u[j] = Math.log(trial[j]!);
          nu.set(trial);
          stalled = g - gt <= 1e-13 * Math.abs(g) ? stalled + 1 : 0;
          g = gt;
          accepted = true;
          break;
        }
        t *= 0.5;
      }
      // Progress below float resolution (typically a price sitting on a pool's fee-band kink):
      // the objective is optimal to ~1e-13 relative even if a flow residual remains.
      if (stalled >= 2) break;
      if (!accepted) {
        // No decrease representable in floats: we are at the optimum to machine precision.
        this.evaluate(nu, supply, excluded, true);
        break;
      }
    }
    const flows = new Float64Array(this.pools.length * 2);
    for (let i = 0; i < this.pools.length; i++) {
      if (excluded[i]) continue;
      this.pools[i]!.arb(nu[this.t0[i]!]! / nu[this.t1[i]!]!, ARB);
      flows[2 * i] = ARB[0]!;
      flows[2 * i + 1] = ARB[1]!;
    }
    let resid = 0;
    for (let j = 0; j < n; j++) if (Number.isNaN(pinned[j]!)) resid = Math.max(resid, Math.abs(nu[j]! * this.grad[j]!));
    return { nu: Float64Array.from(nu), flows, residual: resid / scale };
  }

  /**
   * The best fills at FIXED user prices (the batch's surplus for a given price vector), by its
   * Lagrange dual over token values ν >= 0 (in the numeraire):
   *     minimise  D(ν) = ν·supply + Σ_pools arb_i(ν) + Σ_terms max(0, c_k + α_k ν_s − β_k ν_t),
   * where term k is an intent that may fill fractionally (c_k its surplus at full fill, α_k what it
   * pays in of s, β_k what it takes out of t) and `supply` carries fixed flows (intents that must
   * fill, extra demand). The hinges are smoothed (softplus at temperature τ·scale_k, τ decreasing
   * over FILL_STAGES) and D is minimised by damped Newton on log ν (pools: the Laplacian as in
   * `solveDual`; hinges: rank-one terms). The fills are the hinges' slopes; at the optimum the
   * flows balance at every token whose value is above `floor` (tokens left over are worth nothing).
   */
  solveFills(terms: HingeTerms, supply: Float64Array, warm: Float64Array, floor: Float64Array, excluded: Uint8Array): FillSolution {
    const n = this.n;
    const m = terms.s.length;
    const nu = Float64Array.from(warm);
    const u = new Float64Array(n);
    const logFloor = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      if (!(nu[j]! > floor[j]!) || !Number.isFinite(nu[j]!)) nu[j] = Math.max(floor[j]!, 1e-300) * 1e6;
      u[j] = Math.log(nu[j]!);
      logFloor[j] = Math.log(Math.max(floor[j]!, 1e-300));
    }
    const fills = new Float64Array(m);
    const trial = new Float64Array(n);
    const G = this.G;
    const M = this.M;
    const W = this.W;
    const delta = this.delta;
    let tau = FILL_STAGES[0]!;
    const evalAll = (v: Float64Array, hessian: boolean): number => {
      let g = this.evaluate(v, supply, excluded, hessian);
      const grad = this.grad;
      for (let k = 0; k < m; k++) {
        if (!terms.on[k]) {
          fills[k] = 0;
          continue;
        }
        const s = terms.s[k]!;
        const t = terms.t[k]!;
        const al = terms.al[k]!;
        const be = terms.be[k]!;
        const z = terms.c[k]! + al * v[s]! - be * v[t]!;
        const T = tau * terms.scale[k]!;
        const e = Math.exp(-Math.abs(z) / T);
        g += z > 0 ? z + T * Math.log1p(e) : T * Math.log1p(e);
        const w = z > 0 ? 1 / (1 + e) : e / (1 + e);
        fills[k] = w;
        grad[s] = grad[s]! + w * al;
        grad[t] = grad[t]! - w * be;
        this.gross[s] = this.gross[s]! + w * al;
        this.gross[t] = this.gross[t]! + w * be;
        if (hessian) {
          const h = (w * (1 - w)) / T;
          if (h > 0) {
            const as = al * v[s]!;
            const at = -be * v[t]!;
            W[s * n + s] = W[s * n + s]! + h * as * as;
            W[t * n + t] = W[t * n + t]! + h * at * at;
            W[s * n + t] = W[s * n + t]! + h * as * at;
            W[t * n + s] = W[t * n + s]! + h * as * at;
          }
        }
      }
      return g;
    };
    let g = 0;
    for (const stage of FILL_STAGES) {
      tau = stage;
      g = evalAll(nu, true);
      for (let it = 0; it < FILL_ITERATIONS; it++) {
        // converged when every token balances to 1e-11 of its gross flow (ν-scale free), a
        // token at its floor that would fall further being settled (left over, worth ~nothing)
        let worst = 0;
        for (let j = 0; j < n; j++) {
          G[j] = nu[j]! * this.grad[j]!;
          if (u[j]! <= logFloor[j]! + 1e-12 && G[j]! > 0) continue;
          worst = Math.max(worst, Math.abs(this.grad[j]!) / (this.gross[j]! + 1e-300));
        }
        if (worst <= 1e-11) break;
        let diagMax = 0;
        let gsum = 0;
        for (let j = 0; j < n; j++) {
          diagMax = Math.max(diagMax, W[j * n + j]!);
          gsum += Math.abs(G[j]!);
        }
        const eps = 1e-10 * diagMax + 1e-14 * gsum + 1e-300;
        for (let a = 0; a < n; a++) {
          for (let b = 0; b < n; b++) M[a * n + b] = W[a * n + b]!;
          M[a * n + a] = M[a * n + a]! + Math.max(G[a]!, 0) + eps;
          delta[a] = -G[a]!;
        }
        if (!choleskySolve(M, delta, n)) break;
        let dmax = 0;
        for (let j = 0; j < n; j++) dmax = Math.max(dmax, Math.abs(delta[j]!));
        const cap = dmax > 2 ? 2 / dmax : 1;
        let t = cap;
        let accepted = false;
        for (let ls = 0; ls < 50; ls++) {
          let slope = 0;
          for (let j = 0; j < n; j++) {
            const uj = Math.max(logFloor[j]!, u[j]! + t * delta[j]!);
            slope += G[j]! * (uj - u[j]!);
            trial[j] = Math.exp(uj);
          }
          const gt = evalAll(trial, true);
          if (gt <= g + 1e-4 * Math.min(slope, 0) || (gt < g && ls > 0)) {
            for (let j = 0; j < n; j++) u[j] = Math.log(trial[j]!);
            nu.set(trial);
            const progress = g - gt;
            g = gt;
            accepted = true;
            if (progress <= 1e-15 * Math.abs(g)) it = FILL_ITERATIONS; // below float resolution
            break;
          }
          t *= 0.5;
        }
        if (!accepted) {
          g = evalAll(nu, true);
          break;
        }
      }
    }
    g = evalAll(nu, false);
    const flows = new Float64Array(this.pools.length * 2);
    for (let i = 0; i < this.pools.length; i++) {
      if (excluded[i]) continue;
      const r = nu[this.t0[i]!]! / nu[this.t1[i]!]!;
      if (this.bandLo !== undefined && r > this.bandLo[i]! && r < this.bandHi![i]!) continue;
      this.pools[i]!.arb(r, ARB);
      flows[2 * i] = ARB[0]!;
      flows[2 * i + 1] = ARB[1]!;
    }
    return { nu, fills: Float64Array.from(fills), flows, value: g };
  }

  /**
   * The optimal plan for x of src to dst (gas ignored): route, then make it executable: break flow
   * cycles (drop the smallest edge of a cycle and re-solve, warm).
   */
  plan(src: number, dst: number, x: number): Plan {
    const excluded = new Uint8Array(this.pools.length);
    let warm: Float64Array | undefined;
    for (let round = 0; ; round++) {
      const res = this.route(src, dst, x, excluded, warm);
      warm = res.nu;
      const order = this.topoOrder(flowLegs(this.t0, this.t1, res.flows, res.nu, 1e-9 * x * res.nu[src]!), src, dst);
      if (order.ok) {
        const gas = order.legs.reduce((s, l) => s + this.pools[l.pool]!.gas, 0);
        return { src, dst, legs: order.legs, out: res.out, gas };
      }
      excluded[order.drop] = 1;
      if (round > 50) return { src, dst, legs: [], out: 0, gas: 0 };
    }
  }

  /** Legs sorted so every token is fully received before it is spent; or a pool to drop. */
  private topoOrder(legs: PlanLeg[], src: number, dst: number): { ok: true; legs: PlanLeg[] } | { ok: false; drop: number } {
    // src must be a pure source and dst a pure sink.
    const bad = legs.filter((l) => l.tokenOut === src || l.tokenIn === dst);
    if (bad.length) return { ok: false, drop: smallest(bad).pool };
    const ordered = orderLegs(legs);
    if (ordered.length === legs.length) {
      // A token other than src with no inflow would be spent from nothing: drop its legs.
      const fed = new Set<number>([src]);
      for (const l of ordered) fed.add(l.tokenOut);
      const orphan = ordered.filter((l) => !fed.has(l.tokenIn));
      if (orphan.length) return { ok: false, drop: smallest(orphan).pool };
      return { ok: true, legs: ordered };
    }
    const cyclic = legs.filter((l) => !ordered.includes(l));
    return { ok: false, drop: smallest(cyclic).pool };
  }
}

const smallest = (legs: PlanLeg[]): PlanLeg => legs.reduce((a, b) => (b.amountIn < a.amountIn ? b : a));
