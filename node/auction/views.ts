// Auctions as the HTTP API shows them (protocol/api.ts): one held in memory with its intents
// decoded, one read back from its stored record (ids only), and either with its settlement.
import type { Address } from 'viem';
import type { ArchivedAuctionResponse, AuctionByIdResponse, AuctionIntentEntry, AuctionResponse } from '../../protocol/api.ts';
import type { SignedIntent } from '../../protocol/intent.ts';
import { signedIntentToJson } from '../../protocol/json.ts';
import type { AuctionRecord, SettlementRecord } from '../db/auctions.ts';
import type { DecodedIntents } from './decoded-intents.ts';
import type { OpenAuction } from './open-auction.ts';
import type { ReferencePrices } from './reference-prices.ts';

export type ViewContext = { chainId: number; decoded: DecodedIntents; prices: ReferencePrices; collateralToken?: Address };

/** An auction held in memory, its intents decoded on demand (late admissions priced, not listed). */
export async function memoryView(a: OpenAuction, c: ViewContext): Promise<AuctionResponse> {
  const intents: AuctionIntentEntry[] = [];
  const decoded: SignedIntent[] = [];
  for (const iid of a.intentIds) {
    const e = await c.decoded.get(iid);
    if (!e) continue;
    decoded.push(e);
    const filled = a.filled.get(iid);
    intents.push({ id: iid, ...(filled !== undefined ? { filled: filled.toString() } : {}), signedIntent: signedIntentToJson(e) });
  }
  for (const iid of a.late) {
    const e = await c.decoded.get(iid);
    if (e) decoded.push(e);
  }
  return {
    id: a.id,
    chainId: c.chainId,
    closedAt: new Date(a.closedAt).toISOString(),
    solveDeadline: new Date(a.deadline).toISOString(),
    referencePrices: Object.fromEntries([...c.prices.for(decoded)].map(([t, p]) => [t, p.toString()])),
    ...(c.collateralToken ? { collateralToken: c.collateralToken.toLowerCase() as Address } : {}),
    intents,
    solutions: a.solutions.size,
    ranking: a.ranking ?? null,
  };
}

/** A finalized auction no longer in memory, from its stored record. */
export function archivedView(r: AuctionRecord, chainId: number): ArchivedAuctionResponse {
  return {
    id: r.id,
    chainId,
    closedAt: new Date(r.closedAt).toISOString(),
    solveDeadline: new Date(r.deadline).toISOString(),
    intentIds: r.intents,
    ranking: r.ranking,
  };
}

/** Adds who settled the auction, at which rank: the winners in the first window, or runner-ups after them. */
export function withSettlement(v: AuctionResponse | ArchivedAuctionResponse, settled: readonly SettlementRecord[]): AuctionByIdResponse {
  const ranked = settled.map((s) => ({
    ...s,
    rank: (v.ranking ?? []).find((r) => r.solver.toLowerCase() === s.solver.toLowerCase())?.rank ?? null,
  }));
  return { ...v, settlement: ranked[0] ?? null, settlements: ranked };
}
