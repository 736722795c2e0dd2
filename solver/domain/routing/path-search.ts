// Single-path search for the baseline: every path of at most 3 hops, quoted in floats by the
// pools' own curves (LiquidityAdapter.quoteFloat, or a search on `arb` where an adapter has none).
import type { Plan, PlanLeg } from './plan.ts';
import type { Router } from './router.ts';

const ARB = new Float64Array(3);

/** Float output of one pool for an exact-in amount, from its arbitrage curve (bisection on price). */
function floatQuote(router: Router, pool: number, zeroForOne: boolean, amountIn: number): number {
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
  const quote = (pool: number, tokenIn: number, amountIn: number): number =>
    floatQuote(router, pool, router.t0[pool] === tokenIn, amountIn);
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
const CANDIDATES = 8;

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
    if (amount > 0 && (!best || amount > best.out))
      best = { src, dst, legs, out: amount, gas: legs.reduce((s, l) => s + router.pools[l.pool]!.gas, 0) };
  }
  return best;
}
