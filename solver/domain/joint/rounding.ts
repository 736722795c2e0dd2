// The joint solve's rounding allowance: how much more of each demanded token the next search
// asks the pools for.
import type { PlanLeg } from '../routing/plan.ts';
import type { Router } from '../routing/router.ts';
import type { JointPlan } from './clear.ts';

/**
 * Extra demand (base units) per demanded token: what integer rounding of the legs' inputs can
 * cost it. Each leg's exact input is rounded to whole base units (and split shares round again), which
 * can cost up to ~2 input units of output per leg; for coarse tokens (few base units per dollar)
 * that is far above float error. The loss is carried along the legs (through intermediate
 * tokens, by flow share) to the demanded tokens, which are then asked for that much more.
 */
export function roundingAllowance(router: Router, plan: JointPlan, legs: readonly PlanLeg[]): Float64Array {
  const n = router.tokens.length;
  const loss = new Float64Array(n); // value
  const inflow = new Float64Array(n);
  for (const l of legs) inflow[l.tokenIn] = inflow[l.tokenIn]! + l.amountIn;
  const extra = new Float64Array(n);
  for (const l of legs) {
    const share = inflow[l.tokenIn]! > 0 ? l.amountIn / inflow[l.tokenIn]! : 0;
    const carried = plan.supply[l.tokenIn]! < 0 ? 0 : loss[l.tokenIn]! * share;
    loss[l.tokenOut] = loss[l.tokenOut]! + carried + 3 * plan.nu[l.tokenIn]!;
  }
  for (let j = 0; j < n; j++) if (plan.supply[j]! < 0) extra[j] = loss[j]! / plan.nu[j]! + 2;
  return extra;
}
