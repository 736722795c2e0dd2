// The node's HTTP API as types: what the server returns and what every client (solver, devnet
// traffic, tests, wallets) parses. One copy; node/openapi.json describes the same shapes and a
// test keeps the two in step. Amounts and prices are decimal strings (JSON has no bigint), times
// ISO 8601, ids lower-case 0x-hex.
import type { Address, Hex } from 'viem';
import type { SignedIntentJson } from './json.ts';

/** Every error response: `{ error: { code, message } }`. */
export type ApiErrorBody = { error: { code: string; message: string } };

/** One solution in an auction's ranking; rank 1 settles first, later ranks in their windows. */
export type RankedSolution = { rank: number; solver: Address; hash: Hex; score: string; settleFrom: string; settleUntil: string };

/** An intent as an auction lists it: the signed intent plus what earlier batches filled. */
export type AuctionIntentEntry = { id: Hex; filled?: string; signedIntent: SignedIntentJson };

/** GET /v1/auction and GET /v1/auctions/{id} while the auction is held in memory. */
export type AuctionResponse = {
  id: number;
  chainId: number;
  closedAt: string;
  solveDeadline: string;
  /** Token (lower-case) to reference price, 1e18-scaled, used to score surplus. */
  referencePrices: Record<string, string>;
  /** Collateral token of the clearing house, when the node knows one. */
  collateralToken?: Address;
  intents: AuctionIntentEntry[];
  solutions: number;
  ranking: RankedSolution[] | null;
  /** The on-chain settlement as the node's chain watcher saw it (GET /v1/auctions/{id}). */
  settlement?: AuctionSettlement | null;
};

/** GET /v1/auction when no auction is open for solutions. */
export type NoAuctionResponse = { id: null; nextCloseAt: string; intents: [] };

/** An auction's settlement as the chain watcher recorded it. */
export type AuctionSettlement = { solver: Address; txHash: Hex; blockNumber: number };
