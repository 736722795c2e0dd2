// The node's HTTP API as one typed client: what a wallet, an app, the solver, the devnet's traffic
// and the tests call. Requests and responses are the types of protocol/api.ts, the ones the server
// returns (no second copy). Runs in browsers and Node alike: only `fetch`, no Node modules.
//
//   const api = new NodeApi('http://127.0.0.1:8545');
//   const { id } = await api.submitIntent(signedIntentToJson(signed));
//   const status = await api.intent(id);
import type { Address, Hex } from 'viem';
import type {
  AccountMargin,
  AccountsResponse,
  ApiErrorBody,
  AuctionByIdResponse,
  AuctionsResponse,
  BacklogResponse,
  CancelIntentResponse,
  CurrentAuctionResponse,
  DashboardSummary,
  HealthResponse,
  IntentStatusResponse,
  LeaderboardResponse,
  MarketsResponse,
  OpenIntentsResponse,
  OwnerIntentsResponse,
  PeersResponse,
  QuoteRequest,
  QuoteResponse,
  SolverResponse,
  SubmitIntentResponse,
  SubmitSolutionResponse,
  TradesResponse,
  VaultResponse,
  OptionSeriesResponse,
} from './api.ts';
import type { SignedIntentJson } from './json.ts';

/** A non-2xx answer: the HTTP status, the node's error code (node/errors.ts) and its message. */
export class NodeApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** Seconds, from Retry-After (a 503 `backlog` or `pool_full` refusal). */
  readonly retryAfterSec: number | undefined;

  constructor(status: number, code: string, message: string, retryAfterSec?: number) {
    super(`${status} ${code}: ${message}`);
    this.name = 'NodeApiError';
    this.status = status;
    this.code = code;
    this.retryAfterSec = retryAfterSec;
  }
}

export type NodeApiOptions = {
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch;
  /** Aborts each request after this many milliseconds (default: none). */
  timeoutMs?: number;
};

type Query = Record<string, string | number | undefined>;

export class NodeApi {
  readonly url: string;
  private readonly fetchFn: typeof fetch;
  private readonly timeoutMs: number | undefined;

  /** `url`: the node's API base, e.g. `http://127.0.0.1:8600` (a trailing slash is dropped). */
  constructor(url: string, opts: NodeApiOptions = {}) {
    this.url = url.replace(/\/+$/, '');
    this.fetchFn = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.timeoutMs = opts.timeoutMs;
  }

  // Intents --------------------------------------------------------------------------------------

  /** POST /v1/intents: 201 stored, or 200 with the known intent's state (`duplicate: true`). */
  submitIntent(signed: SignedIntentJson): Promise<SubmitIntentResponse> {
    return this.request('POST', '/v1/intents', signed);
  }

  /** GET /v1/intents/{id}. */
  intent(id: Hex): Promise<IntentStatusResponse> {
    return this.request('GET', `/v1/intents/${id}`);
  }

  /** POST /v1/intents/{id}/cancel with the owner's signature over CancelIntent(intentId) (protocol/cancel.ts). */
  cancelIntent(id: Hex, signature: Hex): Promise<CancelIntentResponse> {
    return this.request('POST', `/v1/intents/${id}/cancel`, { signature });
  }

  /** GET /v1/owners/{owner}/intents, newest first: live ones (`open`, the default) or all the node keeps. */
  ownerIntents(owner: Address, state: 'open' | 'all' = 'open'): Promise<OwnerIntentsResponse> {
    return this.request('GET', `/v1/owners/${owner}/intents`, undefined, { state });
  }

  /** GET /v1/intents: live intents, newest first. */
  openIntents(limit?: number): Promise<OpenIntentsResponse> {
    return this.request('GET', '/v1/intents', undefined, { limit });
  }

  /** GET /v1/backlog: the node's wait estimate against its settle capacity. */
  backlog(): Promise<BacklogResponse> {
    return this.request('GET', '/v1/backlog');
  }

  /** POST /v1/quote: the solvers' indicative quotes for a trade before it is signed. */
  quote(req: QuoteRequest): Promise<QuoteResponse> {
    return this.request('POST', '/v1/quote', req);
  }

  // Auctions and solvers -------------------------------------------------------------------------

  /** GET /v1/auction: the auction open for solutions, or `{ id: null }`. */
  auction(): Promise<CurrentAuctionResponse> {
    return this.request('GET', '/v1/auction');
  }

  /** GET /v1/auctions/{id}: its ranking and settlements (in memory or from the store). */
  auctionById(id: number): Promise<AuctionByIdResponse> {
    return this.request('GET', `/v1/auctions/${id}`);
  }

  /** GET /v1/auctions: recent ranked auctions. */
  auctions(limit?: number): Promise<AuctionsResponse> {
    return this.request('GET', '/v1/auctions', undefined, { limit });
  }

  /** POST /v1/solutions: signed solution bytes (protocol/solution.ts) as hex. */
  submitSolution(solution: Hex): Promise<SubmitSolutionResponse> {
    return this.request('POST', '/v1/solutions', { solution });
  }

  /** GET /v1/solvers/{address}. */
  solver(address: Address): Promise<SolverResponse> {
    return this.request('GET', `/v1/solvers/${address}`);
  }

  /** GET /v1/leaderboard. */
  leaderboard(): Promise<LeaderboardResponse> {
    return this.request('GET', '/v1/leaderboard');
  }

  /** GET /v1/trades: settled trades, newest block first. */
  trades(limit?: number): Promise<TradesResponse> {
    return this.request('GET', '/v1/trades', undefined, { limit });
  }

  // Margin ---------------------------------------------------------------------------------------

  /** GET /v1/accounts/{address}/margin: positions, equity and requirements read from the clearing house. */
  margin(account: Address): Promise<AccountMargin> {
    return this.request('GET', `/v1/accounts/${account}/margin`);
  }

  /** GET /v1/markets: the clearing house, its collateral token and markets, and the swappable tokens. */
  markets(): Promise<MarketsResponse> {
    return this.request('GET', '/v1/markets');
  }

  /** GET /v1/accounts. */
  accounts(): Promise<AccountsResponse> {
    return this.request('GET', '/v1/accounts');
  }

  /** GET /v1/vault. */
  vault(): Promise<VaultResponse> {
    return this.request('GET', '/v1/vault');
  }

  /** GET /v1/options/series: the live option series, each valued now with its greeks. */
  optionSeries(): Promise<OptionSeriesResponse> {
    return this.request('GET', '/v1/options/series');
  }

  // The node -------------------------------------------------------------------------------------

  /** GET /health. */
  health(): Promise<HealthResponse> {
    return this.request('GET', '/health');
  }

  /** GET /v1/peers. */
  peers(): Promise<PeersResponse> {
    return this.request('GET', '/v1/peers');
  }

  /** GET /v1/dashboard/summary. */
  dashboard(): Promise<DashboardSummary> {
    return this.request('GET', '/v1/dashboard/summary');
  }

  /** GET /metrics: Prometheus text. */
  async metrics(): Promise<string> {
    const res = await this.send('GET', '/metrics');
    if (!res.ok) throw await errorOf(res);
    return res.text();
  }

  // ----------------------------------------------------------------------------------------------

  private async request<T>(method: 'GET' | 'POST', path: string, body?: unknown, query?: Query): Promise<T> {
    const res = await this.send(method, path, body, query);
    if (!res.ok) throw await errorOf(res);
    return (await res.json()) as T;
  }

  private send(method: 'GET' | 'POST', path: string, body?: unknown, query?: Query): Promise<Response> {
    const qs = query
      ? Object.entries(query)
          .filter((e): e is [string, string | number] => e[1] !== undefined)
          .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
          .join('&')
      : '';
    const init: RequestInit = {
      method,
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(this.timeoutMs === undefined ? {} : { signal: AbortSignal.timeout(this.timeoutMs) }),
    };
    return this.fetchFn(`${this.url}${path}${qs ? `?${qs}` : ''}`, init);
  }
}

async function errorOf(res: Response): Promise<NodeApiError> {
  const text = await res.text();
  let code = `http_${res.status}`;
  let message = text.slice(0, 300);
  try {
    const body = JSON.parse(text) as Partial<ApiErrorBody>;
    if (body.error) ({ code, message } = body.error);
  } catch {
    // not JSON (a proxy's page, a truncated body): keep the text
  }
  const retry = Number(res.headers.get('retry-after'));
  return new NodeApiError(res.status, code, message, Number.isFinite(retry) && retry > 0 ? retry : undefined);
}
