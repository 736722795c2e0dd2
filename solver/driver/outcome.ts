import type { SubmitOutcome } from './submitter.ts';

/** What became of one auction (SolverProcess.runAuction). Ranks are the node's: 0 settles first. */
export type AuctionOutcome =
  | { auctionId: number; status: 'no_solution' | 'not_published' | 'not_winner' | 'no_ranking' }
  /** Ranked below the winner: someone settled the auction before our window opened, or nothing of ours was left to settle. */
  | { auctionId: number; status: 'settled_by_other' | 'runner_up_skipped'; rank: number; reason: string }
  | { auctionId: number; status: 'submitted'; result: SubmitOutcome; rank?: number };
