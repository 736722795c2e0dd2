// The batch at FIXED uniform prices P is a (mixed-integer) linear program. Every order's fill
// fraction f (in [0, 1]; 0/1 for fill-or-kill) moves tokens linearly at P: it pays in and takes out
// equal values, and its surplus over its limit is linear in f. What the users take out beyond what
// they pay in must come from pool trades, which at fixed prices are linear too once each pool is
// modelled by lines. So, per token, in value units at P:
//     Σ orders' net inflow + Σ pool sides' (output − input) >= margin·z,   f <= z <= 1,
// maximising the orders' surplus (numeraire, reference prices). The margin is gated by z so that
// trading nothing stays feasible; it covers the users' roundings (a wei per trade, always their
// way) and the solver's float error. Two pool models:
//   - `lines`: each side's supporting lines (batch-model.ts), optimistic: for the price search;
//   - `quotes`: fixed exact trades (input, exact output) scaled by s in [0, 1], Σ s <= 1 per pool,
//     one direction per pool (a binary, or the caller's choice): by concavity and g(0) = 0, a pool
//     paid Σ s·input pays at least Σ s·output, so this model never over-promises and its plan can
//     be executed exactly (exact.ts).
// The price search solves the `lines` model in a persistent instance (search-model.ts); this class
// writes a fresh model per call, for the few solves of the exact pass.
import { limitHolds } from '../../../protocol/clearing.ts';
import type { BatchModel } from './batch-model.ts';
import type { Highs } from './highs.ts';
import { addTo, type Expr, LinearModel } from './lp-text.ts';

/** A fixed exact pool trade the `quotes` model may scale down. */
export type Quote = { side: number; input: number; output: number };

export type FixedPricePlan = {
  /** The LP's objective: the orders' surplus (numeraire units). */
  value: number;
  /** Fill fraction per order. */
  fills: number[];
  /** Input per pool side (base units). */
  inputs: number[];
};

export class FixedPrices {
  readonly model: BatchModel;
  readonly prices: bigint[];
  /** Value (at P, scaled to the reference prices) of one base unit of each token. */
  readonly unit: number[];
  /** Whether each order's limit holds at P. */
  readonly eligible: boolean[];

  constructor(model: BatchModel, prices: bigint[]) {
    this.model = model;
    this.prices = prices;
    let k = 0;
    let w = 0;
    prices.forEach((p, t) => {
      if (model.refUnit[t]! > 0) {
        k += model.refUnit[t]! / Number(p);
        w++;
      }
    });
    k = w ? k / w : 1 / Number(prices[0]!);
    this.unit = prices.map((p) => Number(p) * k);
    this.eligible = model.orders.map((o) => limitHolds(o.intent, prices[o.s]!, prices[o.t]!));
  }

  /** Per unit of fill: the value the order pays in (= takes out) at P, and its surplus (numeraire). */
  coefficients(k: number): { value: number; surplus: number } {
    const o = this.model.orders[k]!;
    const x = Number(o.amount);
    const ps = Number(this.prices[o.s]!);
    const pt = Number(this.prices[o.t]!);
    const sa = Number(o.intent.sellAmount);
    const ba = Number(o.intent.buyAmount);
    if (o.sell) return { value: x * this.unit[o.s]!, surplus: ((x * ps) / pt - (x * ba) / sa) * this.model.refUnit[o.t]! };
    return { value: x * this.unit[o.t]!, surplus: ((x * sa) / ba - (x * pt) / ps) * this.model.refUnit[o.s]! };
  }

  /**
   * Solves the model at P with the pools as lines (no `quotes`) or as scaled exact trades.
   * `margin` is in value units per token; undefined if HiGHS finds no optimum in `seconds`.
   * `fixedFok` fixes which fill-or-kill orders fill and leaves each side its own quotes (the
   * caller offers one direction per pool): the model is then an LP, which HiGHS solves far more
   * reliably than the MILP when rows are nearly balanced.
   */
  solve(
    highs: Highs,
    seconds: number,
    margin: number,
    quotes?: readonly Quote[],
    fixedFok?: readonly boolean[],
  ): FixedPricePlan | undefined {
    const m = this.model;
    const lp = new LinearModel();
    const rows: Expr[] = m.tokens.map(() => new Map());
    const z = lp.column('z', 0, 1);
    let any = false;
    m.orders.forEach((o, k) => {
      if (!this.eligible[k]) return;
      any = true;
      const c = this.coefficients(k);
      const fixedTo = o.fok && fixedFok ? (fixedFok[k] ? 1 : 0) : undefined;
      const f = fixedTo !== undefined ? lp.column(`f${k}`, fixedTo, fixedTo) : o.fok ? lp.binary(`f${k}`) : lp.column(`f${k}`, 0, 1);
      lp.maximise(f, c.surplus);
      addTo(rows[o.s]!, f, c.value);
      addTo(rows[o.t]!, f, -c.value);
      lp.atMost(
        `g${k}`,
        new Map([
          [f, 1],
          [z, -1],
        ]),
        0,
      );
    });
    if (!any) return { value: 0, fills: m.orders.map(() => 0), inputs: m.sides.map(() => 0) };
    if (quotes) {
      // one direction per pool: d_pool = 1 sells token0, 0 sells token1
      const perPool = new Map<number, { dir: string; s: string[]; rows: [Expr, Expr] }>();
      quotes.forEach((q, k) => {
        const side = m.sides[q.side]!;
        const s = lp.column(`s${k}`, 0, 1);
        addTo(rows[side.tin]!, s, -q.input * this.unit[side.tin]!);
        addTo(rows[side.tout]!, s, q.output * this.unit[side.tout]!);
        let pool = perPool.get(side.pool);
        if (!pool) {
          // with the fills fixed the caller chose the directions: d is then free in [0, 1] and each
          // side's weights still sum to at most 1
          pool = { dir: fixedFok ? lp.column(`d${side.pool}`, 0, 1) : lp.binary(`d${side.pool}`), s: [], rows: [new Map(), new Map()] };
          perPool.set(side.pool, pool);
        }
        pool.s.push(s);
        addTo(pool.rows[side.zeroForOne ? 0 : 1], s, 1);
      });
      for (const [id, pool] of perPool) {
        // Σ s over token0-selling quotes <= d, over token1-selling quotes <= 1 − d
        addTo(pool.rows[0], pool.dir, -1);
        lp.atMost(`w0_${id}`, pool.rows[0], 0);
        addTo(pool.rows[1], pool.dir, 1);
        lp.atMost(`w1_${id}`, pool.rows[1], 1);
      }
    } else {
      m.sides.forEach((side, k) => {
        const ui = this.unit[side.tin]!;
        const uo = this.unit[side.tout]!;
        const u = lp.column(`u${k}`, 0, 1e30);
        const v = lp.column(`v${k}`, 0, 1e30);
        addTo(rows[side.tin]!, u, -1);
        addTo(rows[side.tout]!, v, 1);
        for (const [j, line] of side.lines.entries()) {
          lp.atMost(
            `c${k}_${j}`,
            new Map([
              [v, 1],
              [u, -(uo / ui) * line.b],
            ]),
            uo * line.a,
          );
        }
      });
    }
    const wei = 2 * m.orders.length + 4;
    rows.forEach((row, t) => {
      if (!row.size) return;
      addTo(row, z, -(margin + wei * this.unit[t]!));
      lp.atLeast(`b${t}`, row, 0);
    });
    const res = lp.solve(highs, seconds);
    if (!res) return undefined;
    const clamp = (x: number) => Math.min(1, Math.max(0, x));
    const inputs = m.sides.map(() => 0);
    if (quotes) {
      for (const [k, q] of quotes.entries()) inputs[q.side]! += clamp(res.column(`s${k}`)) * q.input;
    } else {
      for (const [k, side] of m.sides.entries()) inputs[k] = Math.max(0, res.column(`u${k}`)) / this.unit[side.tin]!;
    }
    return { value: res.value, fills: m.orders.map((_, k) => (this.eligible[k] ? clamp(res.column(`f${k}`)) : 0)), inputs };
  }
}
