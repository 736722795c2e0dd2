// Several winners per auction (after CoW Protocol's fair combinatorial auction, CIP-67). Every node
// applies this to the same ranked solutions and gets the same winners, so their bundles can land
// side by side, each settled by its own solver in the first window:
//
//   1. Each solution is summarised by what it trades: its value (score) per market key (an
//      unordered token pair for swaps, a perp market for positions), its intents, and the
//      contracts its interactions call other than the batch's own tokens (the pools).
//   2. Fairness: the reference for a key is the best score of any solution that trades only that
//      key. A solution trading several keys is unfair, and is not ranked, when it gives users
//      less on some key than that key's reference: batching must not cost any pair's users.
//   3. Winners, best first (score, then lower hash: protocol compareScored): a solution wins if
//      it shares no intent, market key or pool with the winners before it, up to `maxWinners`.
//      Disjoint keys mean one clearing price per pair and market per auction; disjoint pools mean
//      neither bundle moves the state the other planned on.
import type { Address, Hex } from 'viem';
import type { AuctionIntent, SolutionScore } from './score.ts';
import { compareScored } from './score.ts';
import type { Solution } from './solution.ts';

/** What the selection needs of one valid, scored solution. */
export type Candidate = {
  hash: Hex;
  solver: Address;
  score: bigint;
  intents: readonly Hex[];
  /** Users' surplus value per market key ('pair:<token>:<token>' lower-case, ordered; 'market:<id>'). */
  byKey: ReadonlyMap<string, bigint>;
  /** Contracts called by the interactions, other than the tokens the batch prices (lower-case). */
  contracts: readonly Address[];
};

export type Unfair = { hash: Hex; key: string; value: bigint; reference: bigint };

export type Selection<C extends Candidate> = {
  winners: C[];
  /** Fair solutions that did not win, best first: fallbacks for what the winners leave unsettled. */
  others: C[];
  unfair: Unfair[];
};

export const DEFAULT_MAX_WINNERS = 20;

const lower = <T extends string>(x: T): T => x.toLowerCase() as T;

/** A trade's market key: the unordered token pair of a swap, the market of a position. */
export function marketKey(e: AuctionIntent): string {
  const i = e.intent;
  if (i.type === 'position') return `market:${i.intent.market}`;
  if (i.type === 'option') return `series:${i.intent.series}`;
  const [a, b] = [lower(i.intent.sellToken), lower(i.intent.buyToken)].sort();
  return `pair:${a}:${b}`;
}

/** Summarises a scored solution; `entries` holds every intent it trades. */
export function candidateOf(s: Solution, hash: Hex, scored: SolutionScore, entries: ReadonlyMap<Hex, AuctionIntent>): Candidate {
  const byKey = new Map<string, bigint>();
  for (const t of scored.trades) {
    const e = entries.get(lower(t.intentId));
    if (!e) throw new Error(`scored trade ${t.intentId} has no auction entry`);
    const k = marketKey(e);
    byKey.set(k, (byKey.get(k) ?? 0n) + t.value);
  }
  // markets the solver's own liquidity trades in are the batch's too, even without a user trade
  for (const l of s.liquidity ?? []) {
    const k = `market:${l.intent.market}`;
    if (!byKey.has(k)) byKey.set(k, 0n);
  }
  for (const l of s.optionLiquidity ?? []) {
    const k = `series:${l.intent.series}`;
    if (!byKey.has(k)) byKey.set(k, 0n);
  }
  const tokens = new Set(s.prices.map((p) => lower(p.token)));
  const contracts = [...new Set(s.interactions.map((x) => lower(x.target)))].filter((t) => !tokens.has(t));
  return { hash, solver: lower(s.solver), score: scored.score, intents: scored.trades.map((t) => lower(t.intentId)), byKey, contracts };
}

/** The deterministic selection described in the module comment. */
export function selectWinners<C extends Candidate>(candidates: readonly C[], maxWinners: number = DEFAULT_MAX_WINNERS): Selection<C> {
  const sorted = candidates.filter((c) => c.intents.length > 0).sort(compareScored);
  const reference = new Map<string, bigint>();
  for (const c of sorted) {
    if (c.byKey.size !== 1) continue;
    const [k] = c.byKey.keys();
    if (c.score > (reference.get(k!) ?? -1n)) reference.set(k!, c.score);
  }
  const unfair: Unfair[] = [];
  const fair = sorted.filter((c) => {
    if (c.byKey.size < 2) return true;
    for (const [key, value] of c.byKey) {
      const ref = reference.get(key);
      if (ref !== undefined && value < ref) {
        unfair.push({ hash: c.hash, key, value, reference: ref });
        return false;
      }
    }
    return true;
  });
  const winners: C[] = [];
  const others: C[] = [];
  const taken = new Set<string>();
  for (const c of fair) {
    const claims = [...c.intents.map((i) => `intent:${i}`), ...c.byKey.keys(), ...c.contracts.map((a) => `contract:${a}`)];
    if (winners.length < maxWinners && !claims.some((x) => taken.has(x))) {
      winners.push(c);
      for (const x of claims) taken.add(x);
    } else others.push(c);
  }
  return { winners, others, unfair };
}
