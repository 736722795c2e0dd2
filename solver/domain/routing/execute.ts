// Float plans made exact: a plan's legs executed on the adapters' bigint state, and the executed
// legs as the settlement's interactions.
import type { Address } from 'viem';
import type { Interaction } from '../../../protocol/solution.ts';
import type { LiquidityAdapter } from '../liquidity/adapter.ts';
import type { Plan } from './plan.ts';
import type { Router } from './router.ts';

export type ExecutedLeg = { pool: LiquidityAdapter; zeroForOne: boolean; amountIn: bigint; amountOut: bigint };

/**
 * Executes a plan exactly on the adapters' bigint state (mutating it, in order): `amountIn` of src
 * is split over src's legs by the plan's shares, every intermediate token's whole exact inflow is
 * forwarded the same way, and the exact dst received is returned.
 */
export function executePlan(router: Router, plan: Plan, amountIn: bigint): { amountOut: bigint; legs: ExecutedLeg[] } {
  const available = new Map<number, bigint>([[plan.src, amountIn]]);
  const totals = new Map<number, number>();
  const remainingLegs = new Map<number, number>();
  for (const l of plan.legs) {
    totals.set(l.tokenIn, (totals.get(l.tokenIn) ?? 0) + l.amountIn);
    remainingLegs.set(l.tokenIn, (remainingLegs.get(l.tokenIn) ?? 0) + 1);
  }
  const budget = new Map<number, bigint>();
  const executed: ExecutedLeg[] = [];
  for (const l of plan.legs) {
    if (!budget.has(l.tokenIn)) budget.set(l.tokenIn, available.get(l.tokenIn) ?? 0n);
    const left = remainingLegs.get(l.tokenIn)! - 1;
    remainingLegs.set(l.tokenIn, left);
    const pot = budget.get(l.tokenIn)!;
    const avail = available.get(l.tokenIn) ?? 0n;
    const share = l.amountIn / totals.get(l.tokenIn)!;
    const amt = left === 0 ? avail : min((pot * BigInt(Math.floor(share * 2 ** 52))) >> 52n, avail);
    if (amt <= 0n) continue;
    const pool = router.pools[l.pool]!;
    const out = pool.quote(l.zeroForOne, amt);
    if (out <= 0n) continue;
    pool.swap(l.zeroForOne, amt);
    available.set(l.tokenIn, avail - amt);
    available.set(l.tokenOut, (available.get(l.tokenOut) ?? 0n) + out);
    executed.push({ pool, zeroForOne: l.zeroForOne, amountIn: amt, amountOut: out });
  }
  return { amountOut: available.get(plan.dst) ?? 0n, legs: executed };
}

const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/** The interactions that make the settlement perform `legs`, in order, paying itself. */
export function swapInteractions(legs: readonly ExecutedLeg[], settlement: Address): Interaction[] {
  const interactions: Interaction[] = [];
  for (const l of legs) interactions.push(...l.pool.encodeSwap(l.zeroForOne, l.amountIn, l.amountOut, settlement));
  return interactions;
}
