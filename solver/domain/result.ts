// What a solve returns: the protocol solution, the pool legs it executes (exact amounts, in
// order), and figures about it.
import type { Solution } from '../../protocol/solution.ts';
import type { ExecutedLeg } from './routing/execute.ts';

/**
 * Why the optimal strategy's joint solve gave no candidate (its baseline safety net was used):
 * `exception`: it threw; `no_entries`: no intent has a pool for both its tokens; `search_failed`:
 * the fill and price search settled nothing; `non_finite`: a price or leg amount was not a finite
 * positive number; `exact_failed`: the exact pass left a token short at every margin or dropped
 * every trade; `score_invalid`: the protocol scoring rejected its solution.
 */
export type JointFailureCause = 'exception' | 'no_entries' | 'search_failed' | 'non_finite' | 'exact_failed' | 'score_invalid';
export type JointFailure = { cause: JointFailureCause; detail: string };

/** What the optimal strategy's MILP stage (milp/solve.ts) did. */
export type MilpStats = {
  /** Why the stage did not run (HiGHS not loaded, nothing to trade, no time). */
  skipped?: string;
  evaluations: number;
  /** Points tried in the exact pass, and how many gave a valid solution. */
  exactTried: number;
  exactValid: number;
  ms: number;
};

export type SolveStats = {
  /** Swap intents in the auction. */
  intents: number;
  filled: number;
  /** Filled intents whose sell or buy token was (partly) netted against other users' flows. */
  matched: number;
  /** Share of the users' paid-in value (reference prices) netted against other users instead of routed. */
  matchedVolumeShare: number;
  interactions: number;
  gasEstimate: number;
  /** Wall-clock milliseconds of the solve. */
  ms: number;
  /** Which plan the optimal strategy returned: its joint solve, or the baseline's (safety net). */
  source?: 'joint' | 'milp' | 'baseline';
  /** Score (numeraire, 1e18 units) of each candidate the optimal strategy evaluated. */
  candidates?: { joint?: bigint; milp?: bigint; baseline?: bigint };
  /** Optimal strategy only: what the MILP stage did (solver/domain/milp/). */
  milp?: MilpStats;
  /** Optimal strategy only: set when its joint solve produced no candidate, with the cause. */
  jointFailure?: JointFailure;
};

export type SolveResult = { solution: Solution; stats: SolveStats; legs: ExecutedLeg[] };
