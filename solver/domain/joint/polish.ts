// The joint solve's last phase: a local ascent over the uniform prices, from the fixed point's.
import { scoreSolution } from '../../../protocol/score.ts';
import type { SolveResult } from '../result.ts';
import type { HingeTerms } from '../routing/router.ts';
import { referenceValue, type Entry, type JointBatch } from './batch.ts';
import type { JointPlan } from './clear.ts';
import { toExact } from './exact.ts';
import { planLegs } from './legs.ts';
import { scan, type Point } from './scan.ts';

/** Wall-clock budget of the ascent (ms): on the largest batches it stops early, so their result depends on the machine's speed. */
const BUDGET_MS = 200;
/** The largest relative margin on taken-out amounts the exact pass may need (as joint/solve.ts's schedule). */
const MAX_MARGIN = 1e-4;
/** Shortfall of a token (relative to its gross flow) beyond which a V point's dual is taken as unconverged. */
const BALANCE_TOLERANCE = 1e-4;

/**
 * Final ascent over the price vector. The fixed point (clear.ts) hands the pools' average-vs-marginal
 * gap back to the users by one common discount, which is optimal for the fills it found but not
 * always the best price vector. Here V(p), the best surplus at FIXED prices p with the partially
 * fillable intents filled fractionally (fill-or-kill intents keep the fixed point's choice), is
 * solved exactly by its convex dual (Router.solveFills), and p climbs along V's envelope gradient
 * on log p (projected steps with backtracking, as test/solver/uniform.ts). The best point becomes
 * a plan (fills and pool flows of the dual optimum), executed exactly; it is returned only if it
 * scores above `current`.
 */
export function polish(
  batch: JointBatch,
  start: JointPlan,
  margin: number,
  current: SolveResult | undefined,
  extra: Float64Array | undefined,
  opts: {
    scan?: boolean;
    budgetMs?: number;
    demandAll?: boolean;
    /** Fill-or-kill intents fill fractionally too, and no plan is built: `relaxed` receives the best prices and fills (per entry). */
    relaxFok?: boolean;
    relaxed?: (p: Float64Array, fills: Float64Array) => void;
  } = {},
): SolveResult | undefined {
  const r = batch.router;
  const n = r.tokens.length;
  const entries = batch.entries;
  if (!(opts.relaxFok || entries.some((en) => en.partial)) || !r.pools.length) return undefined;
  const t0 = performance.now();
  // terms: partially fillable intents; fill-or-kill ones filled by the fixed point are fixed flows
  const idx: number[] = [];
  const fixed: number[] = [];
  entries.forEach((en, i) => {
    if (en.partial || opts.relaxFok) idx.push(i);
    else if (start.fills[i]! > 0) fixed.push(i);
  });
  const m = idx.length;
  const terms: HingeTerms = {
    s: Int32Array.from(idx, (i) => entries[i]!.s),
    t: Int32Array.from(idx, (i) => entries[i]!.t),
    c: new Float64Array(m),
    al: new Float64Array(m),
    be: new Float64Array(m),
    scale: new Float64Array(m),
    on: new Uint8Array(m),
  };
  const ref = Float64Array.from(r.tokens, (a) => referenceValue(batch.auction, a));
  const demanded = Float64Array.from(start.supply, (v) => (v < 0 || opts.demandAll ? 1 : 0));
  const supply = new Float64Array(n);
  // grows when the exact pass finds a token short (see the end)
  let grow = 1 + margin;
  // (α, β, c) of entry en at prices p: paid in of s, taken out of t (with the margin), surplus
  const coef = (en: Entry, p: Float64Array, o: Float64Array): void => {
    const rate = p[en.s]! / p[en.t]!;
    if (en.sell) {
      o[0] = en.x;
      o[1] = en.x * rate * grow;
      o[2] = ref[en.t]! * en.x * (rate - en.lim);
    } else {
      o[0] = en.x / rate;
      o[1] = en.x * grow;
      o[2] = ref[en.s]! * (en.x / en.lim - en.x / rate);
    }
  };
  const o = new Float64Array(3);
  const setup = (p: Float64Array): boolean => {
    supply.fill(0);
    for (const i of fixed) {
      const en = entries[i]!;
      if (p[en.s]! / p[en.t]! < en.lim * (1 + 1e-9)) return false;
      coef(en, p, o);
      supply[en.s] = supply[en.s]! + o[0]!;
      supply[en.t] = supply[en.t]! - o[1]!;
    }
    if (extra) for (let j = 0; j < n; j++) if (demanded[j]) supply[j] = supply[j]! - extra[j]!;
    for (let k = 0; k < m; k++) {
      const en = entries[idx[k]!]!;
      coef(en, p, o);
      terms.al[k] = o[0]!;
      terms.be[k] = o[1]!;
      terms.c[k] = o[2]!;
      terms.on[k] = p[en.s]! / p[en.t]! >= en.lim * (1 + 1e-9) ? 1 : 0;
      terms.scale[k] = Math.max(Math.abs(o[2]!), o[0]! * ref[en.s]!, o[1]! * ref[en.t]!, 1e-300);
    }
    return true;
  };
  const excluded = Uint8Array.from(start.excluded);
  // The dual's values ν are in the numeraire (the surplus terms are valued at reference prices),
  // but the fixed point's prices carry an arbitrary common scale (only ratios matter to it): ν
  // warm-started orders of magnitude off converges slowly, and an unconverged dual value
  // overstates V. Both are brought to the reference scale first.
  let logScale = 0;
  let count = 0;
  for (let j = 0; j < n; j++) {
    if (ref[j]! > 0 && start.p[j]! > 0 && Number.isFinite(start.p[j]!)) {
      logScale += Math.log(ref[j]!) - Math.log(start.p[j]!);
      count++;
    }
  }
  // (in logs: the fixed point's scale can drift to subnormal numbers)
  const rescale = (v: number): number => (count && v > 0 ? Math.exp(Math.log(v) + logScale / count) : v);
  const p0 = Float64Array.from(start.p, rescale);
  // (the users' prices, not the fixed point's ν: its scale can differ from theirs)
  let warm: Float64Array = Float64Array.from(p0);
  const floor = Float64Array.from(warm, (v) => v * 1e-12);
  const traded = new Uint8Array(n);
  for (const en of entries) traded[en.s] = traded[en.t] = 1;
  // The dual value bounds V from above, tightly only once the dual has converged: a point whose
  // fills and pool flows leave some token clearly short (the exact pass trims the last float
  // error; tokens left over are harmless) is not trusted.
  const bal = new Float64Array(n);
  const gross = new Float64Array(n);
  const balanced = (fills: Float64Array, flows: Float64Array, nu: Float64Array): boolean => {
    for (let j = 0; j < n; j++) {
      bal[j] = supply[j]!;
      gross[j] = Math.abs(supply[j]!);
    }
    for (let k = 0; k < m; k++) {
      const en = entries[idx[k]!]!;
      const w = fills[k]!;
      bal[en.s] = bal[en.s]! + w * terms.al[k]!;
      bal[en.t] = bal[en.t]! - w * terms.be[k]!;
      gross[en.s] = gross[en.s]! + w * terms.al[k]!;
      gross[en.t] = gross[en.t]! + w * terms.be[k]!;
    }
    for (let i = 0; i < r.pools.length; i++) {
      for (const [j, d] of [
        [r.t0[i]!, flows[2 * i]!],
        [r.t1[i]!, flows[2 * i + 1]!],
      ] as const) {
        bal[j] = bal[j]! + d;
        gross[j] = gross[j]! + Math.abs(d);
      }
    }
    for (let j = 0; j < n; j++) if (bal[j]! < -BALANCE_TOLERANCE * gross[j]! && nu[j]! > 0) return false;
    return true;
  };
  const evaluate = (p: Float64Array): Point | undefined => {
    if (!setup(p)) return undefined;
    const sol = r.solveFills(terms, supply, warm, floor, excluded);
    // (V >= 0 when nothing is demanded beyond the fills; a negative or unbounded dual means the
    // fixed demands cannot be met at these prices)
    if (!Number.isFinite(sol.value) || (sol.value < 0 && supply.some((v) => v < 0))) return undefined;
    // (and float error can leave an empty batch's V a hair below zero)
    // V counts the fill-or-kill intents' own surplus too: the dual carries them as fixed flows
    // only, and without it points with different prices would compare unfairly
    let fixedSurplus = 0;
    for (const i of fixed) {
      coef(entries[i]!, p, o);
      fixedSurplus += o[2]!;
    }
    const value = Math.max(0, sol.value) + fixedSurplus;
    if (!balanced(sol.fills, sol.flows, sol.nu)) return undefined;
    warm = sol.nu;
    // envelope gradient on log p: ∂(c + α ν_s − β ν_t)/∂log(p_s/p_t), weighted by the fill
    const grad = new Float64Array(n);
    const add = (en: Entry, w: number): void => {
      const rate = p[en.s]! / p[en.t]!;
      const dr = en.sell ? en.x * rate * (ref[en.t]! - grow * sol.nu[en.t]!) : (en.x / rate) * (ref[en.s]! - sol.nu[en.s]!);
      grad[en.s] = grad[en.s]! + w * dr;
      grad[en.t] = grad[en.t]! - w * dr;
    };
    for (let k = 0; k < m; k++) if (sol.fills[k]! > 0) add(entries[idx[k]!]!, sol.fills[k]!);
    for (const i of fixed) add(entries[i]!, 1);
    return { p: Float64Array.from(p), value, nu: sol.nu, fills: sol.fills, flows: sol.flows, grad };
  };
  let cur = evaluate(p0);
  if (!cur) return undefined;
  const budget = opts.budgetMs ?? BUDGET_MS;
  if (opts.scan)
    cur = scan(
      batch,
      cur,
      evaluate,
      (w) => (warm = w),
      () => performance.now() - t0 < budget / 2,
    );
  let step = 1e-3;
  const trial = new Float64Array(n);
  for (let iter = 0; iter < 40 && step > 1e-8 && performance.now() - t0 < budget; iter++) {
    let gmax = 0;
    for (let j = 0; j < n; j++) if (traded[j]) gmax = Math.max(gmax, Math.abs(cur.grad[j]!));
    if (!(gmax > 0)) break;
    const savedWarm = warm;
    let accepted = false;
    for (let tries = 0; tries < 12 && step > 1e-8; tries++) {
      for (let j = 0; j < n; j++) trial[j] = traded[j] ? cur.p[j]! * Math.exp((step * cur.grad[j]!) / gmax) : cur.p[j]!;
      const next = evaluate(trial);
      if (next && next.value > cur.value * (1 + 1e-13)) {
        cur = next;
        step = Math.min(2 * step, 0.02);
        accepted = true;
        break;
      }
      warm = savedWarm;
      step /= 3;
    }
    if (!accepted) break;
  }
  if (opts.relaxFok) {
    const fills = new Float64Array(entries.length);
    for (let k = 0; k < m; k++) fills[idx[k]!] = cur.fills[k]!;
    opts.relaxed?.(cur.p, fills);
    return undefined;
  }
  // The dual balances each token only to its tolerance (about 1e-8 of the gross flow at the
  // hinges' last temperature): where the users then take out more of a token than they and the
  // pools bring in (over the legs the plan executes), the partial fills taking it out give back the gap (least surplus per unit
  // first), so that a batch netting internally is not left short by float error.
  const trimDeficits = (pt: Point, fills: Float64Array, used: ReadonlySet<number>): void => {
    const bal = new Float64Array(n);
    for (const i of used) {
      bal[r.t0[i]!] = bal[r.t0[i]!]! + pt.flows[2 * i]!;
      bal[r.t1[i]!] = bal[r.t1[i]!]! + pt.flows[2 * i + 1]!;
    }
    entries.forEach((en, i) => {
      if (fills[i]! <= 0) return;
      coef(en, pt.p, o);
      bal[en.s] = bal[en.s]! + fills[i]! * o[0]!;
      bal[en.t] = bal[en.t]! - fills[i]! * o[1]!;
    });
    for (let j = 0; j < n; j++) {
      let gap = -bal[j]! + (extra && demanded[j] ? extra[j]! : 0);
      if (!(gap > 0)) continue;
      const takers = idx.filter((i) => entries[i]!.t === j && fills[i]! > 0);
      const perUnit = (i: number): number => {
        coef(entries[i]!, pt.p, o);
        return o[2]! / o[1]!;
      };
      takers.sort((a, b) => perUnit(a) - perUnit(b));
      for (const i of takers) {
        coef(entries[i]!, pt.p, o);
        const cut = Math.min(fills[i]!, (gap * (1 + 1e-9)) / o[1]!);
        fills[i] = fills[i]! - cut;
        gap -= cut * o[1]!;
        if (gap <= 0) break;
      }
    }
  };
  // the best point as a plan: the dual optimum's fills and pool flows
  const best = cur;
  for (let round = 0; round < 12; round++) {
    const fills = new Float64Array(entries.length);
    for (const i of fixed) fills[i] = 1;
    for (let k = 0; k < m; k++) {
      const w = best.fills[k]!;
      fills[idx[k]!] = w < 1e-12 ? 0 : Math.min(1, w);
    }
    const netFlows = (): Float64Array => {
      const e = new Float64Array(n);
      entries.forEach((en, i) => {
        const f = fills[i]!;
        if (f <= 0) return;
        coef(en, best.p, o);
        e[en.s] = e[en.s]! + f * o[0]!;
        e[en.t] = e[en.t]! - (f * o[1]!) / grow;
      });
      return e;
    };
    const plan: JointPlan = { p: best.p, nu: best.nu, flows: best.flows, supply: netFlows(), fills, excluded };
    const ordered = planLegs(batch.router, plan);
    if (ordered.ok) {
      let res = toExact(batch, plan, ordered.legs);
      if (!('solution' in res)) {
        // the float deficits trimmed, only when the plan as it stands falls short (twice: a
        // cut for one token lowers what those intents pay in of another)
        const used = new Set(ordered.legs.map((l) => l.pool));
        trimDeficits(best, fills, used);
        trimDeficits(best, fills, used);
        plan.supply = netFlows();
        res = toExact(batch, plan, ordered.legs);
      }
      if (!('solution' in res)) {
        // float error or rounding left a token short: every taken-out amount is asked for with
        // a larger margin, and V re-solved at the same prices
        if (res.cause !== 'exact_failed' || !res.detail.includes(' short ') || grow - 1 >= MAX_MARGIN) return undefined;
        grow = 1 + Math.min(MAX_MARGIN, Math.max(1e-7, 10 * (grow - 1)));
        const again = evaluate(best.p);
        if (!again) return undefined;
        Object.assign(best, again);
        continue;
      }
      const a = scoreSolution(res.solution, batch.auction);
      if (!current) return a.ok ? res : undefined;
      const b = scoreSolution(current.solution, batch.auction);
      return a.ok && (!b.ok || a.value.score > b.value.score) ? res : undefined;
    }
    excluded[ordered.drop] = 1;
    const again = evaluate(best.p);
    if (!again) return undefined;
    Object.assign(best, again);
  }
  return undefined;
}
