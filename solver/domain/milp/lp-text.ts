// A linear (mixed-integer) model written as CPLEX LP text, the format HiGHS reads. Only what the
// fixed-price model needs: one objective, `>= 0` / `<= b` rows, bounded columns, binaries.
import type { Highs } from './highs.ts';

/** A number as the LP reader parses it (15 significant digits; tiny values as 0). */
function lpNumber(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`non-finite LP coefficient ${x}`);
  return Math.abs(x) < 1e-14 ? '0' : x.toPrecision(15);
}

/** Sparse linear expression: column name -> coefficient. */
export type Expr = Map<string, number>;

export function addTo(e: Expr, column: string, c: number): void {
  e.set(column, (e.get(column) ?? 0) + c);
}

function exprText(e: Expr): string {
  let s = '';
  for (const [v, c] of e) {
    if (c === 0) continue;
    s += c >= 0 ? ` + ${lpNumber(c)} ${v}` : ` - ${lpNumber(-c)} ${v}`;
  }
  return s || ' 0 z';
}

/** Branch-and-bound nodes per MILP. */
const MAX_NODES = 300;

export class LinearModel {
  private readonly objective: Expr = new Map();
  private readonly rows: string[] = [];
  private readonly bounds: string[] = [];
  private readonly binaries: string[] = [];

  /** A continuous column in [lo, hi]. */
  column(name: string, lo: number, hi: number): string {
    this.bounds.push(` ${lpNumber(lo)} <= ${name} <= ${lpNumber(hi)}`);
    return name;
  }

  /** A 0/1 column. */
  binary(name: string): string {
    this.binaries.push(` ${name}`);
    return name;
  }

  maximise(column: string, c: number): void {
    addTo(this.objective, column, c);
  }

  /** Adds the row `expr <= rhs`. */
  atMost(name: string, e: Expr, rhs: number): void {
    this.rows.push(` ${name}:${exprText(e)} <= ${lpNumber(rhs)}`);
  }

  /** Adds the row `expr >= rhs`. */
  atLeast(name: string, e: Expr, rhs: number): void {
    this.rows.push(` ${name}:${exprText(e)} >= ${lpNumber(rhs)}`);
  }

  text(): string {
    const parts = ['Maximize', ` obj:${exprText(this.objective)}`, 'Subject To', ...this.rows, 'Bounds', ...this.bounds];
    if (this.binaries.length) parts.push('Binary', ...this.binaries);
    parts.push('End');
    return parts.join('\n');
  }

  /**
   * Solves the model; the column values and objective, or undefined when HiGHS finds no optimum
   * in `seconds` (simplex first; the interior point method when simplex gives up on nearly
   * parallel rows, which the pools' supporting lines can be).
   */
  solve(highs: Highs, seconds: number): { value: number; column: (name: string) => number } | undefined {
    const text = this.text();
    for (const solver of ['choose', 'ipm'] as const) {
      let res: ReturnType<Highs['solve']>;
      try {
        res = highs.solve(text, {
          output_flag: false,
          mip_rel_gap: 1e-7,
          // branch and bound is capped by nodes, not only by time, so results do not depend on
          // the machine's speed; a few fixed-price models need thousands of nodes for the last 0.1%
          mip_max_nodes: MAX_NODES,
          primal_feasibility_tolerance: 1e-9,
          solver,
          time_limit: Math.max(0.01, seconds),
        });
      } catch {
        continue;
      }
      // a limit leaves HiGHS's best feasible point (the incumbent), which is still a valid plan
      const limited = res.Status === 'Time limit reached' || res.Status === 'Iteration limit reached' || res.Status === 'Unknown';
      if (res.Status !== 'Optimal' && !(limited && Number.isFinite(res.ObjectiveValue))) return undefined;
      const cols = res.Columns as Record<string, { Primal?: unknown }>;
      if (!Object.values(cols).every((c) => typeof c.Primal === 'number')) return undefined;
      return {
        value: res.ObjectiveValue,
        column: (name) => {
          const c = cols[name]?.Primal;
          return typeof c === 'number' ? c : 0;
        },
      };
    }
    return undefined;
  }
}
