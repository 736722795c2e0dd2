// The joint solve (the optimal strategy): the whole batch solved at once, one price vector for
// all tokens.
//
// Every intent trades at the batch's uniform prices p (amountA·p_A = amountB·p_B). At prices p the
// users' net flow of each token is e_j(p) = (what users pay in) − (what users take out): opposite
// intents cancel inside the batch (coincidence of wants, across any number of tokens: rings
// included), and only the net excess meets the pools. Tokens with e_j > 0 are supplied to the
// pools, tokens with e_j < 0 must be delivered by them. The pools' part is one convex problem over
// all pools at once (Angeris et al., dual decomposition; Router.solveDual): convert the supply into
// the demanded tokens, maximising their value at p. The prices then move until the pools deliver
// exactly what the users take (a fixed point, like the single-pair rate π = out(n)/n): demanded
// tokens whose delivery falls short get dearer, those over-delivered cheaper. The total surplus of
// a clearing batch is (value the users put in) − (what the pools cost) − (limits), so at the fixed
// point the only choices left are which intents fill (limits at p; partially fillable intents are
// filled up to where the pools' marginal price reaches their limit) and the routing, which is the
// convex optimum for the net flows.
//
// Phases, one file each:
//   batch.ts     the auction's swap intents as entries, over the pools that can matter (prune.ts)
//   clear.ts     the price fixed point for the current fills
//   search.ts    which intents fill: the fixed point driven by the limits, gas, and flow cycles
//   legs.ts      the plan's pool legs in execution order
//   rounding.ts  what integer rounding of the legs can cost each demanded token
//   exact.ts     the plan at exact amounts (integer prices, bigint pool state)
//   polish.ts    a final ascent over the price vector
// The search is float; the final amounts are exact. The float plan asks for every demanded token
// with a margin; when the exact pass still finds a token short (float model error, rounding), the
// margin grows and the plan is re-solved warm.
import type { Auction } from '../../../protocol/score.ts';
import type { LiquidityAdapter } from '../liquidity/adapter.ts';
import type { SolveOptions } from '../options.ts';
import type { SolveResult } from '../result.ts';
import { collectBatch } from './batch.ts';
import { toExact } from './exact.ts';
import { polish } from './polish.ts';
import { roundingAllowance } from './rounding.ts';
import { search, startingPoint, type SearchState } from './search.ts';

const MARGINS = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4];

/** The joint solve of an auction against the given pool states (not mutated); undefined if nothing fills. */
export function solveJoint(auction: Auction, pools: LiquidityAdapter[], opts: SolveOptions): SolveResult | undefined {
  const t0 = performance.now();
  const batch = collectBatch(auction, pools, opts);
  let state: SearchState | undefined;
  let extra: Float64Array | undefined;
  const run = (margin: number) => {
    if (!batch.entries.length || !batch.router.pools.length) return undefined;
    state ??= startingPoint(batch);
    return search(batch, state, margin, extra);
  };
  let found = run(MARGINS[0]!);
  for (const margin of MARGINS) {
    if (!found) return undefined;
    extra = roundingAllowance(batch.router, found.plan, found.legs);
    found = run(margin);
    if (!found) return undefined;
    const res = toExact(batch, found.plan, found.legs);
    if (res) {
      const out = polish(batch, found.plan, margin, res, extra) ?? res;
      out.stats.ms = performance.now() - t0;
      return out;
    }
  }
  return undefined;
}
