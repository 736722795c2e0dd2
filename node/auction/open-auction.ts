// An auction between its close and its solve deadline (and, finalized, while retained in memory):
// the snapshot of its intents by id, the solutions ranked so far and those kept aside.
import type { Address, Hex } from 'viem';
import type { RankedSolution } from '../../protocol/api.ts';
import type { SignedSolution } from '../../protocol/solution.ts';
import type { Candidate } from '../../protocol/winners.ts';

export type OpenAuction = {
  id: number;
  closedAt: number;
  deadline: number;
  /** Digests of the intents live at the close, sorted: the snapshot, by reference. */
  intentIds: Hex[];
  /** Filled amounts at the close, for the partially filled intents of the snapshot. */
  filled: Map<Hex, bigint>;
  /** Intents admitted after the close: live then, received before the deadline (gossip lag). */
  late: Set<Hex>;
  /** Valid solutions by hash, summarised for the winner selection (protocol/winners.ts). */
  solutions: Map<Hex, Candidate>;
  perSolver: Map<string, number>;
  /** Signature-checked solutions naming intents this node had not seen; retried at the deadline. */
  parked: Map<Hex, { solver: Address; solution: SignedSolution }>;
  finalized: boolean;
  ranking?: RankedSolution[];
};

/** Whether `id` is in the auction's snapshot (its sorted id list). */
export function inSnapshot(a: OpenAuction, id: Hex): boolean {
  const ids = a.intentIds;
  let lo = 0;
  let hi = ids.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = ids[mid]!;
    if (v === id) return true;
    if (v < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}
