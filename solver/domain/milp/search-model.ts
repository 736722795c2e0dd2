// The price search's fixed-price model (fixed-price-lp.ts's `lines` model) kept alive in one
// persistent HiGHS instance for the whole search. Between two price vectors only a few numbers
// change: each order's surplus (its objective coefficient), the price ratio in its bought (or,
// for buy orders, sold) token's row, and whether its limit holds (its bounds). Everything else,
// the pools' lines above all, is written once: rows are in reference-value units per token (a
// constant positive scale per row, which feasibility does not see), so a line's coefficients do
// not depend on the prices. Re-solving then starts from the previous basis: an LP at a nearby
// price vector takes about a millisecond (on rings of 4-5 tokens) instead of a fresh parse and solve (5-15 ms).
import type { Model } from 'highs';
import type { BatchModel } from './batch-model.ts';
import type { FixedPricePlan } from './fixed-price-lp.ts';
import type { Highs } from './highs.ts';
import { addTo, type Expr, LinearModel } from './lp-text.ts';

const OPTIONS = {
  output_flag: false,
  // a warm start needs the model as it is: presolve would rebuild it from scratch every time
  presolve: 'off',
  solver: 'simplex',
  mip_rel_gap: 1e-7,
  mip_max_nodes: 300,
  primal_feasibility_tolerance: 1e-9,
};

/** Which single coefficient of an order's column depends on the prices, and how. */
type OrderEntry = { col: number; row: number; k: number };

export class SearchModel {
  private readonly model: BatchModel;
  private readonly lp: Model & { dispose(): void };
  private readonly orders: OrderEntry[] = [];
  private readonly sideCols: { u: number; v: number }[] = [];
  /** Reference value of one base unit per token (the rows' constant scale). */
  private readonly w: number[];
  private readonly statusOk: ReadonlySet<number>;

  /** `relaxed`: fill-or-kill orders fill fractionally too (an LP: fast, warm-started). */
  constructor(highs: Highs, model: BatchModel, valueUnit: readonly number[], margin: number, relaxed = false) {
    this.model = model;
    this.w = valueUnit.slice();
    const w = this.w;
    const text = new LinearModel();
    const rows: Expr[] = model.tokens.map(() => new Map());
    const z = text.column('z', 0, 1);
    model.orders.forEach((o, k) => {
      const f = o.fok && !relaxed ? text.binary(`f${k}`) : text.column(`f${k}`, 0, 1);
      // placeholders (1): the real coefficients are set per price vector; a zero would be dropped
      text.maximise(f, 1);
      const x = Number(o.amount);
      if (o.sell) {
        addTo(rows[o.s]!, f, x * w[o.s]!);
        addTo(rows[o.t]!, f, -1);
      } else {
        addTo(rows[o.t]!, f, -x * w[o.t]!);
        addTo(rows[o.s]!, f, 1);
      }
      text.atMost(
        `g${k}`,
        new Map([
          [f, 1],
          [z, -1],
        ]),
        0,
      );
    });
    model.sides.forEach((side, k) => {
      const u = text.column(`u${k}`, 0, 1e30);
      const v = text.column(`v${k}`, 0, 1e30);
      addTo(rows[side.tin]!, u, -1);
      addTo(rows[side.tout]!, v, 1);
      const ratio = w[side.tout]! / w[side.tin]!;
      for (const [j, line] of side.lines.entries()) {
        text.atMost(
          `c${k}_${j}`,
          new Map([
            [v, 1],
            [u, -ratio * line.b],
          ]),
          w[side.tout]! * line.a,
        );
      }
    });
    const wei = 2 * model.orders.length + 4;
    rows.forEach((row, t) => {
      if (!row.size) return;
      addTo(row, z, -(margin + wei * w[t]!));
      text.atLeast(`b${t}`, row, 0);
    });
    this.lp = highs.createModel({ format: 'lp', data: text.text() });
    this.lp.options.set(OPTIONS);
    this.statusOk = new Set([
      highs.constants.modelStatus.optimal,
      highs.constants.modelStatus.timeLimit,
      highs.constants.modelStatus.iterationLimit,
      highs.constants.modelStatus.solutionLimit,
      highs.constants.modelStatus.unknown,
    ]);
    model.orders.forEach((o, k) => {
      const col = this.lp.getColByName(`f${k}`);
      const row = this.lp.getRowByName(`b${o.sell ? o.t : o.s}`);
      this.orders.push({ col, row, k });
    });
    for (let k = 0; k < model.sides.length; k++) this.sideCols.push({ u: this.lp.getColByName(`u${k}`), v: this.lp.getColByName(`v${k}`) });
  }

  /**
   * V at bigint prices: the best surplus with every order whose limit holds at P eligible, and the
   * plan (fills, pool inputs in base units); undefined if HiGHS has no usable point in `seconds`.
   */
  solve(prices: readonly bigint[], eligible: readonly boolean[], refUnit: readonly number[], seconds: number): FixedPricePlan | undefined {
    const m = this.model;
    const w = this.w;
    let any = false;
    for (const e of this.orders) {
      const o = m.orders[e.k]!;
      const x = Number(o.amount);
      const ps = Number(prices[o.s]!);
      const pt = Number(prices[o.t]!);
      const sa = Number(o.intent.sellAmount);
      const ba = Number(o.intent.buyAmount);
      let surplus: number;
      if (o.sell) {
        this.lp.changeCoefficient(e.row, e.col, -((x * ps) / pt) * w[o.t]!);
        surplus = ((x * ps) / pt - (x * ba) / sa) * refUnit[o.t]!;
      } else {
        this.lp.changeCoefficient(e.row, e.col, ((x * pt) / ps) * w[o.s]!);
        surplus = ((x * sa) / ba - (x * pt) / ps) * refUnit[o.s]!;
      }
      const on = eligible[e.k]!;
      any ||= on;
      this.lp.changeColCost(e.col, on ? surplus : 0);
      this.lp.changeColBounds(e.col, 0, on ? 1 : 0);
    }
    if (!any) return { value: 0, fills: m.orders.map(() => 0), inputs: m.sides.map(() => 0) };
    this.lp.options.set('time_limit', Math.max(0.01, seconds));
    let status: number;
    try {
      status = this.lp.run().modelStatus;
    } catch {
      return undefined;
    }
    if (!this.statusOk.has(status)) return undefined;
    const value = this.lp.getObjectiveValue();
    const col = this.lp.getSolution().colValue;
    if (!Number.isFinite(value) || col.length === 0) return undefined;
    const clamp = (x: number) => Math.min(1, Math.max(0, x));
    return {
      value,
      fills: m.orders.map((_, k) => (eligible[k] ? clamp(col[this.orders[k]!.col]!) : 0)),
      inputs: m.sides.map((side, k) => Math.max(0, col[this.sideCols[k]!.u]!) / w[side.tin]!),
    };
  }

  dispose(): void {
    this.lp.dispose();
  }
}
