// What checking a solution ends in: ranked, or refused with a code whose verdict (and HTTP
// status) comes from node/errors.ts.
import type { Hex } from 'viem';
import { SOLUTION_RULES, type SolutionRefusalCode } from '../errors.ts';

export type SolutionOutcome =
  | { verdict: 'accept'; code: 'ranked'; hash: Hex; score: string }
  | { verdict: 'ignore' | 'reject'; code: SolutionRefusalCode; reason: string; hash?: Hex };

/** A refusal, its verdict from the table. */
export function refuseSolution(code: SolutionRefusalCode, reason: string, hash?: Hex): SolutionOutcome {
  return { verdict: SOLUTION_RULES[code].verdict, code, reason, ...(hash ? { hash } : {}) };
}
