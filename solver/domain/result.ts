// What a solve returns: the protocol solution, the pool legs it executes (exact amounts, in
// order), and figures about it.
import type { Solution } from '../../protocol/solution.ts';
import type { ExecutedLeg } from './routing/execute.ts';

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
  source?: 'joint' | 'baseline';
  /** Score (numeraire, 1e18 units) of each candidate the optimal strategy evaluated. */
  candidates?: { joint?: bigint; baseline?: bigint };
};

export type SolveResult = { solution: Solution; stats: SolveStats; legs: ExecutedLeg[] };
