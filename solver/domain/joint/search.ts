// The joint solve's search: which intents fill, at which uniform prices, over which pools. The
// price fixed point (clear.ts) runs for the current fills; fill-or-kill intents whose limit the
// prices break leave (far ones at once, near ones one at a time), partial fills above their limit
// are cut back, dropped intents whose limit holds again come back, pools not worth their gas are
// excluded, and a plan whose flows cycle loses the cycle's smallest pool.
import type { PlanLeg } from '../routing/plan.ts';
import { referenceValue, type Entry, type JointBatch } from './batch.ts';
import { clear, type JointPlan, type Warm } from './clear.ts';
import { planLegs } from './legs.ts';

/** The search's state, carried from one margin's search to the next (warm start). */
export type SearchState = { p: Float64Array; excluded: Uint8Array; warm: Warm };

/**
 * Where the search starts: the pools' own prices, expressed in numeraire per base unit through
 * the best-connected token with a reference price; every partially fillable intent filled, and
 * every fill-or-kill intent whose limit is within 20% of those prices. Sets the entries' fills.
 */
export function startingPoint(batch: JointBatch): SearchState {
  const r = batch.router;
  const n = r.tokens.length;
  let anchor = 0;
  let anchorRef = 0;
  for (let j = 0; j < n; j++) {
    const v = referenceValue(batch.auction, r.tokens[j]!);
    if (v > 0 && r.byToken[j]!.length > r.byToken[anchor]!.length) [anchor, anchorRef] = [j, v];
  }
  if (!(anchorRef > 0)) anchorRef = referenceValue(batch.auction, r.tokens[anchor]!) || 1;
  const spot = r.spotPrices(anchor);
  const p = new Float64Array(n);
  for (let j = 0; j < n; j++) p[j] = spot[j]! * anchorRef;
  for (const en of batch.entries) {
    en.f = en.partial || p[en.s]! / p[en.t]! >= en.lim * (1 - 0.2) ? 1 : 0;
    if (en.f === 0) en.dropped = 1;
  }
  return { p, excluded: new Uint8Array(r.pools.length), warm: { nu: Float64Array.from(p), lambda: 0 } };
}

/**
 * Fills, prices and routes from `state` (which moves along), every demanded token asked for with
 * `margin` and the rounding allowance `extra`; undefined if nothing settles.
 */
export function search(
  batch: JointBatch,
  state: SearchState,
  margin: number,
  extra: Float64Array | undefined,
  /** performance.now() time after which broken fill-or-kill limits all leave at once (anytime). */
  deadline = Number.POSITIVE_INFINITY,
): { plan: JointPlan; legs: PlanLeg[] } | undefined {
  const { p, excluded, warm } = state;
  const r = batch.router;
  // numeraire per unit of gas: 1e18 wei are one unit of the numeraire (ETH)
  const gasUnit = Number(batch.opts.gasPrice ?? 0n) / 1e18;
  let plan: JointPlan | undefined;
  for (let round = 0; round < 200; round++) {
    plan = clear(batch, p, excluded, warm, margin, extra);
    if (!plan) return undefined;
    p.set(plan.p);
    // fill-or-kill limits at the uniform prices (with room for the final shading): far
    // violators leave at once, near ones one at a time (the prices move as each one leaves)
    const ratio = (en: Entry): number => p[en.s]! / p[en.t]! / en.lim;
    const bad = batch.entries.filter((en, idx) => plan!.fills[idx]! > 0 && !en.partial && ratio(en) < 1 + 1e-9);
    const badPartial = batch.entries.filter((en, idx) => plan!.fills[idx]! > 0 && en.partial && ratio(en) < 1 + 1e-9);
    if (bad.length || badPartial.length) {
      // one at a time costs a price fixed point each: past the deadline they all leave together
      const far = performance.now() > deadline ? bad : bad.filter((en) => ratio(en) < 0.99);
      const drop = far.length ? far : bad.length ? [bad.reduce((a, b) => (ratio(b) < ratio(a) ? b : a))] : [];
      for (const en of drop) {
        en.f = 0;
        en.dropped = (en.dropped ?? 0) + 1;
      }
      // fill-or-kill violators leave first (the prices move as they go); partial fills are
      // cut only once no fill-or-kill limit is broken
      for (const en of bad.length ? [] : badPartial) {
        // the fill is too large for its limit at the uniform prices (its own price impact, or
        // the other fills'): the fill's bisection continues below it (the lower bracket reopens
        // if it was not below), and gives up on the intent after many cuts
        const f = plan.fills[batch.entries.indexOf(en)]!;
        en.violations = (en.violations ?? 0) + 1;
        en.hi = f;
        if ((en.lo ?? 0) >= f) en.lo = 0;
        if (en.violations > 24 || f < 1e-6) {
          en.f = 0;
          en.frozen = true;
        } else en.f = 0.5 * ((en.lo ?? 0) + f);
      }
      continue;
    }
    // dropped fill-or-kill intents whose limit now holds comfortably come back (twice at most)
    const back = batch.entries.filter((en) => !en.partial && en.f === 0 && (en.dropped ?? 0) < 3 && ratio(en) > 1 + 1e-3);
    if (back.length) {
      for (const en of back) en.f = 1;
      continue;
    }
    // gas: a pool whose arbitrage profit at the optimum is below its gas cost is not worth using
    if (gasUnit > 0) {
      let dropped = false;
      for (let i = 0; i < r.pools.length; i++) {
        if (excluded[i]) continue;
        const d0 = plan.flows[2 * i]!;
        const d1 = plan.flows[2 * i + 1]!;
        if (d0 === 0 && d1 === 0) continue;
        const profit = plan.nu[r.t0[i]!]! * d0 + plan.nu[r.t1[i]!]! * d1;
        if (profit < r.pools[i]!.gas * gasUnit) {
          excluded[i] = 1;
          dropped = true;
        }
      }
      if (dropped) continue;
    }
    const ordered = planLegs(batch.router, plan);
    if (ordered.ok) return { plan, legs: ordered.legs };
    excluded[ordered.drop] = 1;
  }
  return undefined;
}
