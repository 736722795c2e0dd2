// The pool legs of a joint plan, in execution order.
import { flowLegs, orderLegs, type PlanLeg } from '../routing/plan.ts';
import type { Router } from '../routing/router.ts';
import type { JointPlan } from './clear.ts';

/**
 * Legs of a plan's pool flows (those whose input is worth at least 1e-12 of the users' flows), in
 * an order where every token is received before it is spent; or, on a flow cycle, the pool of the
 * cycle that carries the least value, to drop.
 */
export function planLegs(router: Router, plan: JointPlan): { ok: true; legs: PlanLeg[] } | { ok: false; drop: number } {
  let total = 0;
  for (let j = 0; j < plan.supply.length; j++) total += Math.abs(plan.supply[j]!) * plan.nu[j]!;
  const legs = flowLegs(router.t0, router.t1, plan.flows, plan.nu, 1e-12 * total);
  const ordered = orderLegs(legs);
  if (ordered.length === legs.length) return { ok: true, legs: ordered };
  const cyclic = legs.filter((l) => !ordered.includes(l));
  const smallest = cyclic.reduce((a, b) => (b.amountIn * plan.nu[b.tokenIn]! < a.amountIn * plan.nu[a.tokenIn]! ? b : a));
  return { ok: false, drop: smallest.pool };
}
