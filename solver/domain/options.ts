// What the solving engine is asked to do: the strategy, and the context of one auction's solve.
import type { Address } from 'viem';

/** `optimal`: the joint batch solve (with the baseline as a safety net); `baseline`: one path per intent. */
export type Strategy = 'optimal' | 'baseline';

export type SolveOptions = {
  strategy?: Strategy;
  settlement: Address;
  solver: Address;
  /** Unix seconds; intents with validTo < now are skipped. */
  now?: number;
  /** Gas price in wei, valued in the numeraire as ETH (reference prices are native prices); 0 (default) ignores gas. */
  gasPrice?: bigint;
  /** Settlement's own balances, usable to absorb rounding (wei per token); default none. */
  buffers?: ReadonlyMap<Address, bigint>;
  /**
   * Optimal strategy only: wall-clock milliseconds the whole solve's improvement phases may use,
   * counted from its start (the joint solve's scan and ascent get 40% of it, the MILP stage the rest
   * but a reserve for the baseline); the joint solve's first candidate is built regardless.
   * Default 1,000 (solve.ts's DEFAULT_BUDGET_MS).
   */
  budgetMs?: number;
  /**
   * Optimal strategy only: cap on the fixed-price models the MILP stage solves (default 1,500, or
   * 400 with fill-or-kill intents). With
   * a generous budgetMs the cap alone ends the search, so results do not depend on the machine's speed.
   */
  maxEvaluations?: number;
  /** Optimal strategy only: skip the MILP stage (for measurements). */
  noMilp?: boolean;
  /** Optimal strategy only: skip the baseline safety net (for measurements). */
  noFallback?: boolean;
};
