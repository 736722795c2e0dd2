// Finalized auctions (the ids of their intents and the ranking, written at the solve deadline) and
// their on-chain settlements (written by the chain watcher from Settled events, one per settling
// solver: an auction may have several winners). Auctions older
// than the clock keeps in memory are served from here.
import type { Level } from 'level';
import type { Address, Hex } from 'viem';
import type { RankedSolution } from '../../protocol/api.ts';
import { keys, ranges } from './keys.ts';

/** A finalized auction as stored: times in ms since the epoch. */
export type AuctionRecord = { id: number; closedAt: number; deadline: number; intents: Hex[]; ranking: RankedSolution[] };

/** Who settled an auction, and where on chain. */
export type SettlementRecord = { solver: Address; txHash: Hex; blockNumber: number; blockHash: Hex };

export class AuctionRepository {
  private readonly level: Level<string, string>;

  constructor(level: Level<string, string>) {
    this.level = level;
  }

  saveRanking(rec: AuctionRecord): Promise<void> {
    return this.level.put(keys.auction(rec.id), JSON.stringify(rec));
  }

  async ranking(id: number): Promise<AuctionRecord | undefined> {
    const raw = await this.level.get(keys.auction(id));
    return raw === undefined ? undefined : (JSON.parse(raw) as AuctionRecord);
  }

  /** Finalized auctions, newest first. */
  async *newestFirst(): AsyncGenerator<AuctionRecord> {
    for await (const value of this.level.values({ ...ranges.auctions(), reverse: true })) yield JSON.parse(value) as AuctionRecord;
  }

  /** One solver's settlement of an auction (several winners each settle their own part). */
  saveSettlement(auctionId: number, s: SettlementRecord): Promise<void> {
    return this.level.put(keys.auctionSettlement(auctionId, s.solver.toLowerCase() as Address), JSON.stringify(s));
  }

  /** Every settlement of an auction, first on chain first. */
  async settlements(auctionId: number): Promise<SettlementRecord[]> {
    const out: SettlementRecord[] = [];
    for await (const v of this.level.values(ranges.auctionSettlements(auctionId))) out.push(JSON.parse(v) as SettlementRecord);
    return out.sort((a, b) => a.blockNumber - b.blockNumber);
  }

  /** The auction's first settlement on chain. */
  async settlement(auctionId: number): Promise<SettlementRecord | undefined> {
    return (await this.settlements(auctionId))[0];
  }
}
