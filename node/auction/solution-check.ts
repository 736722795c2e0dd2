// A solution against this node's view of an auction: which of its trades name intents the node
// can place in the auction (from the snapshot, or admitted late: received after the close but
// before the deadline, and live at the close), and whether the protocol's scoring rule holds over
// those. A failure that disappears when the fills this node's chain watcher saw are not counted
// depends on this node's view of the chain (another node's watcher may lag): `fillView`, not proof.
import type { Address, Hex } from 'viem';
import type { ProtocolError } from '../../protocol/result.ts';
import { scoreSolution, type Auction, type AuctionIntent, type SolutionScore } from '../../protocol/score.ts';
import type { SignedSolution } from '../../protocol/solution.ts';
import type { DecodedIntents, RecordSource } from './decoded-intents.ts';
import { inSnapshot, type OpenAuction } from './open-auction.ts';
import type { ReferencePrices } from './reference-prices.ts';

/** The trades of a solution sorted by what this node can do with their intents. */
export type Resolved = {
  entries: Map<Hex, AuctionIntent>;
  /** Intents this node cannot place in the auction (unknown here, or outside its snapshot). */
  missing: Hex[];
  /** Intents whose own signed validTo is before the auction's close: no honest node had them there. */
  expired: Hex[];
};

export type CheckResult =
  | { kind: 'ok'; score: bigint; value: SolutionScore }
  | { kind: 'invalid'; error: ProtocolError }
  | { kind: 'fillView' };

export class SolutionChecker {
  private readonly pool: RecordSource;
  private readonly decoded: DecodedIntents;
  private readonly prices: ReferencePrices;
  private readonly collateralToken?: Address;

  constructor(o: { pool: RecordSource; decoded: DecodedIntents; prices: ReferencePrices; collateralToken?: Address }) {
    this.pool = o.pool;
    this.decoded = o.decoded;
    this.prices = o.prices;
    if (o.collateralToken) this.collateralToken = o.collateralToken.toLowerCase() as Address;
  }

  /** Resolves a solution's trades against auction `a`. Intents admitted late are added to `a.late`. */
  async resolve(a: OpenAuction, s: SignedSolution): Promise<Resolved> {
    const entries = new Map<Hex, AuctionIntent>();
    const missing: Hex[] = [];
    const expired: Hex[] = [];
    for (const t of s.trades) {
      const tid = t.intentId.toLowerCase() as Hex;
      if (entries.has(tid) || missing.includes(tid) || expired.includes(tid)) continue;
      const e = await this.entry(a, tid);
      if (e === 'expiredAtClose') expired.push(tid);
      else if (e) entries.set(tid, e);
      else missing.push(tid);
    }
    return { entries, missing, expired };
  }

  /** The scoring rule over `entries`. */
  check(a: OpenAuction, s: SignedSolution, entries: Map<Hex, AuctionIntent>): CheckResult {
    const scored = scoreSolution(s, this.scoringAuction(a, entries));
    if (scored.ok) return { kind: 'ok', score: scored.value.score, value: scored.value };
    if ([...entries.values()].some((e) => e.filled !== undefined)) {
      const unfilled = new Map([...entries].map(([k, e]) => [k, { id: e.id, intent: e.intent }]));
      if (scoreSolution(s, this.scoringAuction(a, unfilled)).ok) return { kind: 'fillView' };
    }
    return { kind: 'invalid', error: scored.error };
  }

  /** The auction as the scoring rule sees it, restricted to the given entries. */
  private scoringAuction(a: OpenAuction, entries: Map<Hex, AuctionIntent>): Auction {
    return {
      id: BigInt(a.id),
      intents: entries,
      referencePrices: this.prices.for([...entries.values()].map((e) => e.intent)),
      ...(this.collateralToken ? { collateralToken: this.collateralToken } : {}),
    };
  }

  /** One intent of auction `a`, decoded; undefined when this node cannot place it there. */
  private async entry(a: OpenAuction, id: Hex): Promise<AuctionIntent | 'expiredAtClose' | undefined> {
    if (inSnapshot(a, id) || a.late.has(id)) {
      const intent = await this.decoded.get(id);
      if (!intent) return undefined;
      const filled = a.filled.get(id);
      return { id, intent, ...(filled !== undefined ? { filled } : {}) };
    }
    const rec = await this.pool.get(id);
    if (!rec) return undefined;
    if (rec.validTo * 1000 <= a.closedAt) return 'expiredAtClose';
    if (rec.receivedAt >= a.deadline) return undefined;
    const intent = this.decoded.fromRecord(rec);
    if (!intent) return undefined;
    a.late.add(id);
    return { id, intent };
  }
}
