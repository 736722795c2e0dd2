// The node's HTTP API as the solver uses it (node/openapi.json; response types in protocol/api.ts):
//   GET  /health             the node's chain id and Settlement
//   GET  /v1/auction         the auction to solve (or none)
//   GET  /v1/auctions/{id}   its ranking once final, and its settlement once the node's watcher saw it
//   GET  /v1/intents/{id}    an intent's state ('open' while it can still be filled)
//   POST /v1/solutions       the signed solution bytes as hex: the node checks and ranks it like a
//                            gossiped one, and gossips it
import type { Address, Hex } from 'viem';
import type { ApiErrorBody, AuctionResponse, NoAuctionResponse } from '../../protocol/api.ts';
import { toHex } from '../../protocol/bytes.ts';

/** The part of GET /health the solver reads. */
type NodeHealth = { chainId: number; settlement: Address; peerId: string };

/** What GET /v1/auctions/{id} carries for every auction the node knows, in memory or stored. */
type AuctionStatus = Pick<AuctionResponse, 'ranking' | 'settlement'>;

type PostSolutionResult = { accepted: true } | { accepted: false; status: number; body: string };

export class NodeClient {
  readonly url: string;

  constructor(url: string) {
    this.url = url;
  }

  health(): Promise<NodeHealth> {
    return this.get<NodeHealth>('/health');
  }

  auction(): Promise<AuctionResponse | NoAuctionResponse> {
    return this.get<AuctionResponse | NoAuctionResponse>('/v1/auction');
  }

  auctionStatus(id: number): Promise<AuctionStatus> {
    return this.get<AuctionStatus>(`/v1/auctions/${id}`);
  }

  async intentState(id: Hex): Promise<string> {
    return (await this.get<{ state: string }>(`/v1/intents/${id}`)).state;
  }

  /** Posts signed solution bytes; throws only when the node cannot be reached. */
  async postSolution(bytes: Uint8Array): Promise<PostSolutionResult> {
    const res = await fetch(`${this.url}/v1/solutions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ solution: toHex(bytes) }),
    });
    return res.ok ? { accepted: true } : { accepted: false, status: res.status, body: await res.text() };
  }

  private async get<T>(path: string): Promise<T> {
    const url = `${this.url}${path}`;
    const res = await fetch(url, { headers: { accept: 'application/json' } });
    const body = (await res.json()) as T & Partial<ApiErrorBody>;
    if (!res.ok) throw new Error(`${url}: ${res.status} ${body.error?.code ?? ''} ${body.error?.message ?? ''}`);
    return body;
  }
}
