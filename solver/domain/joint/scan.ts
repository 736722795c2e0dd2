// A coarse search over the uniform prices before polish.ts's local ascent. The best surplus at
// fixed prices, V(p), is not concave in p: it jumps where an intent's limit starts to hold (the
// intent becomes available for netting), and when many limits sit inside the pools' no-trade
// band the best price is one of those jumps, often far (in V) from the fixed point's price. A
// gradient ascent cannot cross them, so each traded token's price is scanned alone, over a grid
// and just past every limit that involves it, and the best point moves on (two sweeps).
import type { Entry, JointBatch } from './batch.ts';

/** V(p) at one price vector and what the ascent needs of it (polish.ts). */
export type Point = { p: Float64Array; value: number; nu: Float64Array; fills: Float64Array; flows: Float64Array; grad: Float64Array };

/** Grid of relative price moves scanned per token: ±4% in steps of 0.1%. */
const GRID_STEP = 1e-3;
const GRID_HALF = 40;
/** Relative gap kept past a limit, so it still holds after the exact pass's integer prices and shading. */
const PAST_LIMIT = 1e-6;
const SWEEPS = 2;

/** Factors by which token j's price may move: the grid, and just past each limit of an intent that trades j. */
function factors(entries: readonly Entry[], p: Float64Array, j: number): number[] {
  const out: number[] = [];
  for (let k = -GRID_HALF; k <= GRID_HALF; k++) if (k !== 0) out.push(Math.exp(k * GRID_STEP));
  const span = Math.exp(GRID_HALF * GRID_STEP);
  for (const en of entries) {
    // the limit holds iff p_s / p_t >= lim
    let f: number;
    if (en.s === j) f = ((en.lim * p[en.t]!) / p[j]!) * (1 + PAST_LIMIT);
    else if (en.t === j) f = (p[en.s]! / (en.lim * p[j]!)) * (1 - PAST_LIMIT);
    else continue;
    if (f > 1 / span && f < span) out.push(f);
  }
  return out;
}

/**
 * Coordinate scans of V from `start` (token by token, the first traded token held as the
 * numeraire of the ratios); returns the best point found. `evaluate` computes V at a price vector
 * (undefined where a fixed fill-or-kill limit breaks), `setWarm` resets its warm start, and the
 * scan stops when `inTime` says so.
 */
export function scan(
  batch: JointBatch,
  start: Point,
  evaluate: (p: Float64Array) => Point | undefined,
  setWarm: (nu: Float64Array) => void,
  inTime: () => boolean,
): Point {
  const n = batch.router.tokens.length;
  const traded = new Uint8Array(n);
  for (const en of batch.entries) traded[en.s] = traded[en.t] = 1;
  const free: number[] = [];
  for (let j = 0; j < n; j++) if (traded[j]) free.push(j);
  free.shift(); // the ratios are all that matter: one traded token stays put
  let best = start;
  const trial = new Float64Array(n);
  for (let sweep = 0; sweep < SWEEPS; sweep++) {
    const before = best.value;
    for (const j of free) {
      const base = best;
      for (const f of factors(batch.entries, base.p, j)) {
        if (!inTime()) return best;
        trial.set(base.p);
        trial[j] = base.p[j]! * f;
        // warm start at the trial prices themselves: the pools' values sit near the users'
        // prices at the optimum, and a far warm start can stall the dual's Newton steps
        setWarm(Float64Array.from(trial));
        const next = evaluate(trial);
        if (next && next.value > best.value * (1 + 1e-12)) best = next;
      }
      setWarm(Float64Array.from(best.nu));
    }
    if (!(best.value > before * (1 + 1e-9))) break;
  }
  return best;
}
