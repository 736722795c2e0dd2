// The joint solve's price fixed point: for the current fills, the uniform prices at which the
// pools deliver exactly what the users take out (joint/solve.ts describes the whole method).
import { fillsOf, type Entry, type JointBatch } from './batch.ts';

export type JointPlan = {
  /** The users' prices (numeraire per base unit; only ratios matter). */
  p: Float64Array;
  /** The pools' marginal values of each token at the routing optimum. */
  nu: Float64Array;
  /** Per pool: token0 and token1 received from the pool (negative: paid in). */
  flows: Float64Array;
  /** Users' net flow per token (> 0 supplied to the pools, < 0 delivered by them). */
  supply: Float64Array;
  /** Fill fraction of each entry that these flows assume. */
  fills: Float64Array;
  /** Pools the routing may not use. */
  excluded: Uint8Array;
};

/** Warm start carried from one `clear` to the next: the pools' values ν and the users' discount λ. */
export type Warm = { nu: Float64Array; lambda: number };

/** Rounds of the price fixed point; the partial fills' bisection stops after FILL_ITERATIONS of them. */
const CLEAR_ITERATIONS = 120;
const FILL_ITERATIONS = 40;

/** Users' net float flows at p: e_j > 0 paid in, < 0 taken out; gross_j: paid in plus taken out. */
function userFlows(entries: readonly Entry[], p: Float64Array, e: Float64Array, gross: Float64Array): void {
  e.fill(0);
  gross.fill(0);
  for (const en of entries) {
    if (en.f <= 0) continue;
    const amt = en.f * en.x;
    const rate = p[en.s]! / p[en.t]!;
    const paid = en.sell ? amt : amt / rate;
    const got = en.sell ? amt * rate : amt;
    e[en.s] = e[en.s]! + paid;
    e[en.t] = e[en.t]! - got;
    gross[en.s] = gross[en.s]! + paid;
    gross[en.t] = gross[en.t]! + got;
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
export function clear(
  batch: JointBatch,
  p: Float64Array,
  excluded: Uint8Array,
  warm: Warm,
  margin: number,
  extra: Float64Array | undefined,
): JointPlan | undefined {
  const n = batch.router.tokens.length;
  const e = new Float64Array(n);
  const gross = new Float64Array(n);
  const supply = new Float64Array(n);
  const pinned = new Float64Array(n);
  const out = new Float64Array(n);
  const t0 = batch.router.t0;
  const t1 = batch.router.t1;
  let last: JointPlan | undefined;
  let k = -1;
  let prev: { lambda: number; resid: number } | undefined;
  for (let it = 0; it < CLEAR_ITERATIONS; it++) {
    userFlows(batch.entries, p, e, gross);
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
      return {
        p: Float64Array.from(p),
        nu: Float64Array.from(p),
        flows: new Float64Array(batch.router.pools.length * 2),
        supply: Float64Array.from(supply),
        excluded,
        fills: fillsOf(batch.entries),
      };
    }
    const lambda = warm.lambda;
    pinned.fill(NaN);
    pinned[k] = p[k]! / (1 - lambda);
    // every demanded token is asked for with a small margin (float error) plus the rounding
    // allowance of the legs that deliver it (see `roundingAllowance`)
    const Dk = -supply[k]! * (1 + margin) + (extra ? extra[k]! : 0);
    for (let j = 0; j < n; j++) if (supply[j]! < 0) supply[j] = supply[j]! * (1 + margin) - (extra ? extra[j]! : 0);
    supply[k] = 0; // k takes whatever the pools deliver
    const warmNu = warm.nu;
    for (let j = 0; j < n; j++) if (!(warmNu[j]! > 0) || !Number.isFinite(warmNu[j]!)) warmNu[j] = p[j]!;
    const res = batch.router.solveDual(supply, pinned, warmNu, excluded);
    warm.nu = res.nu;
    supply[k] = -Dk;
    for (let j = 0; j < n; j++) if (supply[j]! < 0) supply[j] = (supply[j]! + (extra ? extra[j]! : 0)) / (1 + margin);
    out.fill(0);
    for (let i = 0; i < batch.router.pools.length; i++) {
      out[t0[i]!] = out[t0[i]!]! + res.flows[2 * i]!;
      out[t1[i]!] = out[t1[i]!]! + res.flows[2 * i + 1]!;
    }
    last = {
      p: Float64Array.from(p),
      nu: res.nu,
      flows: res.flows,
      supply: Float64Array.from(supply),
      excluded,
      fills: fillsOf(batch.entries),
    };
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
    for (const en of batch.entries) {
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
