// Baseline strategy: the best single path per intent, as Uniswap's v2 SDK `bestTradeExactIn`
// does: every path of at most 3 hops over distinct pools, no split, no matching; the path with
// the highest output for the whole amount wins (quoted in floats by the pools' own curves, then
// executed exactly like any plan).
import type { Plan, PlanLeg, Router } from './router.ts';

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

/** Best path of at most 3 hops from src to dst for x (float search). */
export function bestSinglePath(router: Router, src: number, dst: number, x: number): Plan | undefined {
  let best: { out: number; legs: PlanLeg[] } | undefined;
  const used = new Set<number>();
  const visit = (token: number, amount: number, legs: PlanLeg[], visited: Set<number>): void => {
    if (token === dst) {
      if (!best || amount > best.out) best = { out: amount, legs: legs.slice() };
      return;
    }
    if (legs.length === MAX_HOPS) return;
    for (const i of router.byToken[token]!) {
      if (used.has(i)) continue;
      const zeroForOne = router.t0[i] === token;
      const next = zeroForOne ? router.t1[i]! : router.t0[i]!;
      if (visited.has(next)) continue;
      // prune: with hops left, the next token must still reach dst
      if (legs.length === MAX_HOPS - 1 && next !== dst) continue;
      const out = floatQuote(router, i, zeroForOne, amount);
      if (!(out > 0)) continue;
      used.add(i);
      visited.add(next);
      legs.push({ pool: i, zeroForOne, tokenIn: token, tokenOut: next, amountIn: amount });
      visit(next, out, legs, visited);
      legs.pop();
      visited.delete(next);
      used.delete(i);
    }
  };
  visit(src, x, [], new Set([src]));
  if (!best) return undefined;
  const b = best as { out: number; legs: PlanLeg[] };
  return { src, dst, legs: b.legs, out: b.out, gas: b.legs.reduce((s, l) => s + router.pools[l.pool]!.gas, 0) };
}
