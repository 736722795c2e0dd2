// The search over uniform prices around the fixed-price model. The best surplus at fixed prices,
// V(P), is a step-and-ridge landscape: an order's limit switches it on or off (V jumps there),
// and between those breakpoints V is smooth. So the search evaluates V (the `lines` model, an LP
// or a MILP with fill-or-kill orders, in search-model.ts's persistent HiGHS instance) at the
// starting price vectors, then moves each token's price: to every nearby limit breakpoint of an
// order that trades it (the price at which that limit binds exactly, where the order is in at the
// best price the others allow), by shrinking geometric steps, and together with another token
// (two prices that must move together). Evaluations are cached; the search stops at its
// evaluation cap or deadline, with the best points so far (anytime).
import type { BatchModel } from './batch-model.ts';
import { type FixedPricePlan, FixedPrices } from './fixed-price-lp.ts';
import type { SearchModel } from './search-model.ts';

/** Margin per token (value units) of the search's model: the exact pass's smallest. */
export const SEARCH_MARGIN = 1e-6;
/** Geometric steps of the coordinate moves (relative price change). */
export const STEPS = [0.03, 0.01, 0.003, 0.001, 0.0003];
/** The steps of a search that starts from a good point. */
export const FINE_STEPS = [0.003, 0.001, 0.0003];
/** How far from the current price a limit breakpoint is still tried. */
const BREAKPOINT_REACH = 0.1;
/** Pair moves are tried on batches of up to this many free tokens. */
const PAIR_TOKENS = 6;
/** Significant digits of the smallest clearing price. */
const PRICE_DIGITS = 10n ** 15n;

export type Evaluated = { key: string; at: FixedPrices; plan: FixedPricePlan | undefined };

export class PriceSearch {
  private readonly cache = new Map<string, Evaluated>();
  evaluations = 0;
  private readonly model: BatchModel;
  /** The persistent model V is solved in (replaced when the pools' lines change). */
  lp: SearchModel;
  /** performance.now() time the search stops at (the caller moves it between phases). */
  deadline: number;
  /** Evaluations allowed so far (the caller raises it between phases). */
  maxEvaluations: number;

  /** `deadline` is a performance.now() time. */
  constructor(model: BatchModel, lp: SearchModel, maxEvaluations: number, deadline: number) {
    this.model = model;
    this.lp = lp;
    this.maxEvaluations = maxEvaluations;
    this.deadline = deadline;
  }

  get exhausted(): boolean {
    return this.evaluations >= this.maxEvaluations || performance.now() >= this.deadline;
  }

  /** V at bigint prices (cached); -1 if the model has no optimum there or the search is out of budget. */
  value(prices: bigint[]): number {
    return this.evaluate(prices)?.plan?.value ?? -1;
  }

  evaluate(prices: bigint[]): Evaluated | undefined {
    const key = prices.join(',');
    let e = this.cache.get(key);
    if (e) return e;
    if (this.exhausted) return undefined;
    this.evaluations++;
    const at = new FixedPrices(this.model, prices);
    e = { key, at, plan: this.lp.solve(prices, at.eligible, this.model.refUnit, (this.deadline - performance.now()) / 1000) };
    this.cache.set(key, e);
    return e;
  }

  /** The k best evaluated points (value > 0), best first. */
  best(k: number): Evaluated[] {
    return [...this.cache.values()]
      .filter((e) => e.plan && e.plan.value > 0)
      .sort((a, b) => b.plan!.value - a.plan!.value)
      .slice(0, k);
  }

  /** Forgets every evaluation (after the pools' lines were tightened, the cached values are stale). */
  reset(): void {
    this.cache.clear();
  }

  /** Coordinate search from each start (float prices per token); returns the best prices found. */
  run(starts: readonly number[][], steps: readonly number[] = STEPS): bigint[] | undefined {
    const n = this.model.tokens.length;
    let best: bigint[] | undefined;
    let bestV = -1;
    for (const start of starts) {
      if (start.length !== n || !start.every((x) => x > 0 && Number.isFinite(x))) continue;
      let cur = toBig(start);
      let curV = this.value(cur);
      const free = this.freeTokens();
      for (const step of steps) {
        for (let sweep = 0; sweep < 3; sweep++) {
          let moved = false;
          for (const j of free) {
            for (const trial of this.moves(cur, j, step, free)) {
              const v = this.value(trial);
              if (v > curV * (1 + 1e-12) + 1e-12) {
                cur = trial;
                curV = v;
                moved = true;
              }
            }
            if (this.exhausted) break;
          }
          if (!moved || this.exhausted) break;
        }
        if (this.exhausted) break;
      }
      if (curV > bestV) {
        best = cur;
        bestV = curV;
      }
      if (this.exhausted) break;
    }
    return best;
  }

  /** Tokens whose price moves: all but the first traded one (only ratios matter). */
  private freeTokens(): number[] {
    const traded = new Set<number>();
    for (const o of this.model.orders) traded.add(o.s).add(o.t);
    const out = [...traded].sort((a, b) => a - b);
    const anchor = out.shift();
    // tokens only the pools touch (intermediate hops) move too
    for (let j = 0; j < this.model.tokens.length; j++) if (j !== anchor && !traded.has(j)) out.push(j);
    return out;
  }

  /**
   * Trial price vectors moving token j: alone by ± step (and twice that), to each nearby limit
   * breakpoint, and together with each later free token by ± step (two tokens can have to move
   * together: alone, either move loses surplus; a ring or a pair of tokens both priced against a
   * third). Pair moves only on batches of up to PAIR_TOKENS free tokens.
   */
  private moves(cur: bigint[], j: number, step: number, free: readonly number[]): bigint[][] {
    const out: bigint[][] = [];
    const scaled = (f: number, ...tokens: number[]) => {
      const next = cur.slice();
      for (const t of tokens) next[t] = BigInt(Math.max(1, Math.round(Number(cur[t]!) * f)));
      return next;
    };
    for (const f of [1 + step, 1 - step, 1 + 2 * step, 1 - 2 * step]) out.push(scaled(f, j));
    if (free.length <= PAIR_TOKENS) {
      for (const k of free) if (k > j) for (const f of [1 + step, 1 - step]) out.push(scaled(f, j, k));
    }
    if (step === STEPS[0] || step === STEPS[STEPS.length - 1]) {
      for (const o of this.model.orders) {
        if (o.s !== j && o.t !== j) continue;
        // the limit binds at P_s · sellAmount = P_t · buyAmount; solve it for P_j (rounded so it holds)
        const { sellAmount, buyAmount } = o.intent;
        const next = cur.slice();
        if (o.s === j) next[j] = ceilDiv(cur[o.t]! * buyAmount, sellAmount);
        else next[j] = (cur[o.s]! * sellAmount) / buyAmount;
        const rel = Number(next[j]!) / Number(cur[j]!);
        if (next[j]! > 0n && Math.abs(Math.log(rel)) <= BREAKPOINT_REACH) out.push(next);
      }
    }
    return out;
  }
}

const ceilDiv = (a: bigint, b: bigint): bigint => (a + b - 1n) / b;

/** Bigint prices from floats: the smallest at 1e15, the rest in proportion. */
export function toBig(p: readonly number[]): bigint[] {
  const min = Math.min(...p);
  return p.map((x) => BigInt(Math.round((x / min) * Number(PRICE_DIGITS))));
}
