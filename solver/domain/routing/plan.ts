// A routing plan: pool legs in an order where every token is received before it is spent. Both
// the router and the joint solver turn a dual solution's pool flows into legs and order them here.

export type PlanLeg = { pool: number; zeroForOne: boolean; tokenIn: number; tokenOut: number; amountIn: number };
/** Legs in execution order; each token's inflow is split over its legs by `amountIn` share. */
export type Plan = { src: number; dst: number; legs: PlanLeg[]; out: number; gas: number };

/**
 * The legs of per-pool flows (`flows[2i]`, `flows[2i+1]`: token0 and token1 received from pool i,
 * negative when paid in; pool i trades t0[i] against t1[i]): every pool that trades, except those
 * whose input is worth less than `minValue` at the token values `nu`.
 */
export function flowLegs(t0: Int32Array, t1: Int32Array, flows: Float64Array, nu: Float64Array, minValue: number): PlanLeg[] {
  const legs: PlanLeg[] = [];
  for (let i = 0; i < t0.length; i++) {
    const d0 = flows[2 * i]!;
    const d1 = flows[2 * i + 1]!;
    if (d0 === 0 && d1 === 0) continue;
    const zeroForOne = d0 < 0;
    const tokenIn = zeroForOne ? t0[i]! : t1[i]!;
    const tokenOut = zeroForOne ? t1[i]! : t0[i]!;
    const amountIn = zeroForOne ? -d0 : -d1;
    if (!(amountIn > 0) || amountIn * nu[tokenIn]! < minValue) continue;
    legs.push({ pool: i, zeroForOne, tokenIn, tokenOut, amountIn });
  }
  return legs;
}

/**
 * Kahn's algorithm over tokens: the legs in an order where each token's inflows all come before
 * its outflows (a token's legs largest first). Legs on a flow cycle are left out, so a result
 * shorter than `legs` means there is a cycle.
 */
export function orderLegs(legs: readonly PlanLeg[]): PlanLeg[] {
  const indeg = new Map<number, number>();
  const outs = new Map<number, PlanLeg[]>();
  for (const l of legs) {
    indeg.set(l.tokenOut, (indeg.get(l.tokenOut) ?? 0) + 1);
    if (!indeg.has(l.tokenIn)) indeg.set(l.tokenIn, 0);
    const list = outs.get(l.tokenIn) ?? [];
    list.push(l);
    outs.set(l.tokenIn, list);
  }
  const ready = [...indeg].filter(([, d]) => d === 0).map(([t]) => t);
  const ordered: PlanLeg[] = [];
  while (ready.length) {
    const t = ready.pop()!;
    for (const l of (outs.get(t) ?? []).sort((a, b) => b.amountIn - a.amountIn)) {
      ordered.push(l);
      const d = indeg.get(l.tokenOut)! - 1;
      indeg.set(l.tokenOut, d);
      if (d === 0) ready.push(l.tokenOut);
    }
  }
  return ordered;
}
