// The node's HTTP API as types: what the server returns and what every client (solver, devnet
// traffic, tests, wallets) parses. One copy; node/openapi.json describes the same shapes, and
// test/node/openapi.test.ts checks real responses of a running node against it. Amounts and
// prices are decimal strings (JSON has no bigint), times ISO 8601, ids lower-case 0x-hex.
import type { Address, Hex } from 'viem';
import type { SignedIntentJson } from './json.ts';

/** Every error response: `{ error: { code, message } }` (codes: node/errors.ts). */
export type ApiErrorBody = { error: { code: string; message: string } };

// ---------------------------------------------------------------------------------------------
// Intents

/** Where an intent stands in a node's pool. */
export type IntentState = 'open' | 'partially_filled' | 'filled' | 'cancelled' | 'expired';

/** POST /v1/intents: the body is a SignedIntentJson (protocol/json.ts). */
export type SubmitIntentRequest = SignedIntentJson;

/** POST /v1/intents: 201 stored (`open`), or 200 with the stored intent's state when it was already known. */
export type SubmitIntentResponse = { id: Hex; state: IntentState; duplicate?: true };

/** The settlement transaction of an intent's last fill or cancel seen on chain. */
export type IntentSettlement = { txHash: Hex; blockNumber?: number; blockHash?: Hex };

/** GET /v1/intents/{id}, and each entry of GET /v1/owners/{owner}/intents. */
export type IntentStatusResponse = {
  id: Hex;
  state: IntentState;
  owner: Address;
  validTo: number;
  receivedAt: string;
  updatedAt: string;
  source: 'api' | 'gossip';
  /** Filled so far, in the intent's fill unit (sell amount for sells, buy amount for buys, |size| for positions). */
  filled?: string;
  settlement: IntentSettlement | null;
  signedIntent: SignedIntentJson | null;
};

/** POST /v1/intents/{id}/cancel: the owner's EIP-712 signature over CancelIntent(bytes32 intentId). */
export type CancelIntentRequest = { signature: Hex };
export type CancelIntentResponse = { id: Hex; state: IntentState };

/** GET /v1/owners/{owner}/intents?state=open|all, newest first. */
export type OwnerIntentsResponse = { owner: Address; intents: IntentStatusResponse[] };

// ---------------------------------------------------------------------------------------------
// Auctions and solutions

/**
 * One solution in an auction's ranking. The winners (`winner: true`, several when their solutions
 * touch disjoint intents, pools and markets; protocol/winners.ts) all settle in the first window;
 * the others, best first, each in its own later window, with whatever of theirs is still open.
 */
export type RankedSolution = {
  rank: number;
  solver: Address;
  hash: Hex;
  score: string;
  winner: boolean;
  settleFrom: string;
  settleUntil: string;
};

/** An intent as an auction lists it: the signed intent plus what earlier batches filled. */
export type AuctionIntentEntry = { id: Hex; filled?: string; signedIntent: SignedIntentJson };

/** An auction's settlement as the chain watcher recorded it. */
export type AuctionSettlement = { solver: Address; txHash: Hex; blockNumber: number };

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

/** GET /v1/auction. */
export type CurrentAuctionResponse = AuctionResponse | NoAuctionResponse;

/** An auction no longer held in memory, as its stored record has it: ids, not signed intents. */
export type ArchivedAuctionResponse = {
  id: number;
  chainId: number;
  closedAt: string;
  solveDeadline: string;
  intentIds: Hex[];
  ranking: RankedSolution[];
};

/** The settlement of an auction with the settling solver's rank there (0 = the winner; null = not ranked here). */
export type RankedSettlement = AuctionSettlement & { blockHash: Hex; rank: number | null };

/** GET /v1/auctions/{id}: `settlement` is the first on chain, `settlements` every winner's (and runner-up's). */
export type AuctionByIdResponse = (Omit<AuctionResponse, 'settlement'> | ArchivedAuctionResponse) & {
  settlement: RankedSettlement | null;
  settlements: RankedSettlement[];
};

/** POST /v1/solutions: the signed solution's canonical bytes (protocol/solution.ts) as hex. */
export type SubmitSolutionRequest = { solution: Hex };

/** POST /v1/solutions: 202 ranked (with its score), or 200 when the node already had it. */
export type SubmitSolutionResponse = { hash: Hex; state: 'ranked'; score: string } | { hash: Hex; state: 'ranked'; duplicate: true };

/** GET /v1/solvers/{address}: what this node has seen of a solver. */
export type SolverResponse = {
  solver: Address;
  submitted: number;
  valid: number;
  invalid: number;
  wins: number;
  lastInvalid?: { auctionId: number; hash: Hex; code: string; reason: string };
  /** Correctly signed solutions ignored because the solver has no bond. */
  unbonded?: number;
  lastUnbonded?: { auctionId: number; hash: Hex; at: string; reason: string };
};

/** GET /v1/backlog: the node's wait estimate against its settle capacity (node/pool/backlog.ts). */
export type BacklogResponse = {
  /** Live (open or partially filled) intents in the pool. */
  open: number;
  /** Of those, the ones waiting for settlement capacity (not the ones no solution could fill). */
  waiting: number;
  /** Whether an auction within the horizon left fillable intents out (the measured peak is then the capacity, floor or not). */
  saturated: boolean;
  /** Intents per second the network is estimated to settle. */
  capacityPerSec: number;
  /** The highest per-window fill rate measured within the horizon; null before any (the floor is used). */
  measuredPerSec: number | null;
  /** waiting / capacityPerSec. */
  estimatedWaitSec: number;
  /** The hard cap on live intents (`--max-open-intents`). */
  maxOpen: number;
};

// ---------------------------------------------------------------------------------------------
// Quotes: an indicative price before signing (request-for-quote to the solvers, as CoW's orderbook
// asks its solvers). Not binding: the signed limit is what protects the user.

/**
 * POST /v1/quote. A swap: `amount` is the sell amount for `kind: 'sell'`, the buy amount for
 * `kind: 'buy'`. A position: the signed size change (1e18 base units). `owner` lets a solver account
 * for the owner's balance or position; optional. An option: `OptionQuoteRequest`.
 */
export type QuoteRequest =
  | { type: 'swap'; sellToken: Address; buyToken: Address; kind: 'sell' | 'buy'; amount: string; owner?: Address }
  | { type: 'position'; market: number; sizeDelta: string; owner?: Address }
  | OptionQuoteRequest;

/**
 * An option quote request: `series` the OptionSeries registry id (decimal string), `size` the signed
 * number of contracts the trader would sign (1e18 = one contract; positive buys, negative writes),
 * `account` the trader's margin account, optional.
 */
export type OptionQuoteRequest = { type: 'option'; series: string; size: string; account?: Address };

/**
 * One solver's answer to a quote request (what a solver's POST /v1/quote returns, and each entry
 * of QuoteResponse.quotes). A swap: both amounts of the trade the solver expects to execute (the
 * requested side equals the request's amount). A position: the average execution price (1e18
 * collateral per base unit). An option: `OptionSolverQuote`.
 */
export type SolverQuote =
  | { type: 'swap'; solver: Address; sellAmount: string; buyAmount: string; gas: number }
  | { type: 'position'; solver: Address; price: string; gas: number }
  | OptionSolverQuote;

/**
 * A solver's option quote: the premium per contract (collateral units per 1e18 contracts) at which
 * it expects a lone intent of `size` to clear, where that fill comes from (`vault`: the options
 * vault takes the other side; `peers`: other traders' intents), the settle gas of that fill, and
 * the last second (unix) the solver holds the quote good for. `series` and `size` repeat the
 * request's, so an answer for another trade is recognised and dropped.
 */
export type OptionSolverQuote = {
  type: 'option';
  solver: Address;
  series: string;
  size: string;
  premium: string;
  source: 'vault' | 'peers';
  gas: number;
  validTo: number;
};

/** POST /v1/quote: the best answer received within the node's quote deadline, and every answer. */
export type QuoteResponse = {
  /** The best for the trader (protocol/quote.ts compareQuotes): the first of `quotes`. */
  quote: SolverQuote;
  /** Every valid answer (shape, type, the requested side equal to the requested amount), best first. */
  quotes: SolverQuote[];
  /** Solvers asked that did not answer in time or could not quote, with the reason. */
  failed: { url: string; reason: string }[];
  quotedAt: string;
  /** A quote older than this is stale (the pools move every block). */
  expiresAt: string;
};

// ---------------------------------------------------------------------------------------------
// The node itself

/** GET /health. */
export type HealthResponse = {
  status: 'ok';
  peerId: string;
  listen: string[];
  peers: number;
  poolLive: number;
  queueDepth: number;
  chainId: number;
  settlement: Address;
  uptimeSec: number;
};

/** A connected peer as this node scores it (gossipsub total, and the node's own application part). */
export type PeerInfo = { peerId: string; remoteAddr: string; direction: 'inbound' | 'outbound'; score: number; appScore: number };

/** GET /v1/peers. */
export type PeersResponse = { peers: PeerInfo[]; banned: { peerId: string; until: string }[] };

// ---------------------------------------------------------------------------------------------
// The dashboard's endpoints

type OpenIntentBase = {
  id: Hex;
  type: 'swap' | 'position' | 'option';
  owner: Address;
  state: IntentState;
  source: 'api' | 'gossip';
  receivedAt: string;
  validTo: number;
  filled?: string;
};

export type SwapOpenIntent = OpenIntentBase & {
  sellToken: Address;
  buyToken: Address;
  sellAmount: string;
  buyAmount: string;
  kind: 'sell' | 'buy';
  partiallyFillable: boolean;
};
export type PositionOpenIntent = OpenIntentBase & {
  market: number;
  sizeDelta: string;
  limitPrice: string;
  reduceOnly: boolean;
  partiallyFillable: boolean;
};

/** A live intent as the dashboard lists it: its limits flattened into the row (without them if its bytes do not decode). */
export type OpenIntent = SwapOpenIntent | PositionOpenIntent | OpenIntentBase;

/** GET /v1/intents: live intents, newest first. */
export type OpenIntentsResponse = { total: number; intents: OpenIntent[] };

/** A ranked auction: every solver's score, the winner (rank 0) and the settlement the watcher saw. */
export type AuctionSummary = {
  id: number;
  closedAt: string;
  intents: number;
  solutions: { rank: number; solver: Address; score: string; hash: Hex }[];
  winner: Address | null;
  /** The winning score: total user surplus in the numeraire (1e18 = one unit). */
  surplus: string;
  settlement: AuctionSettlement | null;
};

/** GET /v1/auctions. */
export type AuctionsResponse = { auctions: AuctionSummary[] };

/** A TradeSettled event, with the intent's limits when this node's pool holds the intent. */
export type SwapTrade = {
  kind: 'swap';
  id: Hex;
  owner: Address;
  sellToken: Address;
  buyToken: Address;
  executedSellAmount: string;
  executedBuyAmount: string;
  txHash: Hex;
  blockNumber: number;
  state?: IntentState;
  sellAmount?: string;
  buyAmount?: string;
  kindOfSwap?: 'sell' | 'buy';
};

/** A PositionChanged event of the clearing house. */
export type PositionTrade = {
  kind: 'position';
  account: Address;
  market: number;
  name: string;
  sizeDelta: string;
  price: string;
  fee: string;
  txHash: Hex;
  blockNumber: number;
};

/** One option fill (the Settlement's OptionTradeSettled): an account bought (size > 0) or wrote contracts of a series at the batch's premium. */
export type OptionTrade = {
  kind: 'option';
  /** The option intent's id (its EIP-712 digest). */
  id: Hex;
  account: Address;
  series: string;
  /** The series' underlying market and its name ("ETH / USD"), call or put, strike; absent when the registry could not be read. */
  market?: number;
  name?: string;
  isCall?: boolean;
  strike?: string;
  /** Contracts (1e18 = one), signed. */
  size: string;
  /** Collateral units per 1e18 contracts. */
  premium: string;
  txHash: Hex;
  blockNumber: number;
};

export type Trade = SwapTrade | PositionTrade | OptionTrade;

/** GET /v1/trades: newest block first. */
export type TradesResponse = { trades: Trade[] };

export type LeaderboardRow = {
  rank: number;
  solver: Address;
  wins: number;
  submitted: number;
  valid: number;
  invalid: number;
  winRate: number;
  /** Winning scores summed over recent auctions. */
  surplus: string;
  settled: number;
  lastInvalid?: SolverResponse['lastInvalid'];
};

/** GET /v1/leaderboard: by wins, then surplus, then valid solutions. */
export type LeaderboardResponse = { solvers: LeaderboardRow[] };

/** GET /v1/accounts/{address}/margin, and each entry of GET /v1/accounts. */
export type AccountMargin = {
  account: Address;
  collateral: string;
  equity: string;
  initialRequirement: string;
  maintenanceRequirement: string;
  notional: string;
  /** equity / maintenance requirement (liquidatable below 1); null without positions. */
  health: number | null;
  /** equity / notional (compare with the markets' maintenance and initial fractions); null without positions. */
  marginRatio: number | null;
  liquidatable: boolean;
  positions: { market: number; name: string; size: string; openNotional: string; mark: string; unrealisedPnl: string }[];
  /**
   * The account's option positions (the clearing house's option book), each valued now as
   * GET /v1/options/series values its series, scaled by the signed size (1e18 = one contract);
   * value and greeks are null, with `unpriced` saying why, when the series cannot be valued.
   */
  options: AccountOption[];
  /** Per underlying market with options or a perp: the book's delta (perp size included), gamma, vega and theta per day. */
  greeks: { market: number; name: string; delta: string; gamma: string; vega: string; theta: string }[];
};

/** One option position of an account; the greeks are the position's (per-contract greeks times its size). */
export type AccountOption = {
  series: string;
  market: number;
  name: string;
  isCall: boolean;
  strike: string;
  expiry: number;
  size: string;
  /** Average premium per contract the position was opened at (collateral units per 1e18 contracts), as the option book keeps it. */
  entryPremium: string;
  value: string | null;
  /** Unrealised PnL against the entry premium: value - size x entryPremium (premium fees not counted); null when unpriced. */
  pnl: string | null;
  delta: string | null;
  gamma: string | null;
  vega: string | null;
  theta: string | null;
  unpriced?: string;
};

/** GET /v1/accounts: least healthy first; unavailable (with the reason) without a chain or a clearing house. */
export type AccountsResponse =
  | { available: true; clearingHouse: Address; accounts: AccountMargin[] }
  | { available: false; reason: string; accounts: AccountMargin[] };

/** One market of the perp liquidity vault: its position (the traders' skew against it, negated) and quote parameters. */
export type VaultMarket = {
  market: number;
  name: string;
  /** The vault's position (1e18 size; negative = short, i.e. traders are net long against it). */
  size: string;
  mark: string;
  unrealisedPnl: string;
  skewScale: string;
  feeFraction: string;
  maxPosition: string;
  enabled: boolean;
};

/** GET /v1/vault: the perp liquidity vault this node is configured with (config `perpVault`). */
export type VaultResponse =
  | {
      available: true;
      vault: Address;
      /** totalAssets: the vault's equity in the clearing house (collateral + unrealised PnL - funding owed), floored at zero. */
      nav: string;
      totalSupply: string;
      /** Collateral base units one whole share (10^decimals) redeems for at NAV. */
      sharePrice: string;
      shareDecimals: number;
      grossNotional: string;
      maxLeverage: string;
      /** Sum of the markets' unrealised PnL. */
      unrealisedPnl: string;
      markets: VaultMarket[];
    }
  | { available: false; reason: string };

/** One tenor's row of a published volatility surface: the smile at that time to expiry. */
export type VolatilitySmile = {
  /** Seconds to expiry the row was published for. */
  tenorSec: number;
  /** The grid's nodes: log-moneyness k = ln(strike / forward) and the vol there, both 1e18 fixed point. */
  points: { k: string; vol: string }[];
};

/** One market's surface as the VolatilityFeed holds it. */
export type VolatilityMarket = {
  market: number;
  name: string;
  /** The clearing house's oracle mark (the forward at a zero rate: strike = mark * e^k). */
  mark: string;
  /** Unix seconds of the publish (0: never published). */
  publishedAt: number;
  /** Whether the surface is within the feed's max age at the latest block. */
  fresh: boolean;
  smiles: VolatilitySmile[];
};

/** GET /v1/volatility: every listed market's implied-volatility surface (config `volatilityFeed`). */
export type VolatilityResponse =
  | { available: true; feed: Address; maxAge: number; markets: VolatilityMarket[] }
  | { available: false; reason: string };

/**
 * One listed option series with its model value now: Black-Scholes at the clearing house's mark and
 * the volatility surface's vol at the series' strike and time to expiry, and the greeks (all per
 * 1e18 contracts, 1e18 fixed point; protocol/options/greeks.ts has the units).
 */
export type OptionSeriesRow = {
  id: string;
  market: number;
  name: string;
  isCall: boolean;
  /** Collateral units per 1e18 of the underlying. */
  strike: string;
  /** Unix seconds. */
  expiry: number;
  secondsToExpiry: number;
  /** The implied vol used, or null with `unpriced` saying why. */
  vol: string | null;
  price: string | null;
  delta: string | null;
  gamma: string | null;
  vega: string | null;
  /** Per day. */
  theta: string | null;
  unpriced?: string;
  /** Contracts open (1e18 = one; the long side, which equals the short side); absent without an option book. */
  openInterest?: string;
};

/** GET /v1/options/series: the live (unexpired) series of every market (config `optionSeries`). */
export type OptionSeriesResponse = { available: true; registry: Address; series: OptionSeriesRow[] } | { available: false; reason: string };

/** GET /v1/dashboard/summary: everything the dashboard page shows, in one document. */
export type DashboardSummary = {
  node: {
    peerId: string;
    peers: number;
    chainId: number;
    settlement: Address;
    rpc: boolean;
    auctionIntervalMs: number;
    poolLive: number;
    now: string;
  };
  current: { id: number | null; solveDeadline: string | null; nextCloseAt: string | null; intents: number; solutions: number } | null;
  openIntents: OpenIntentsResponse;
  auctions: AuctionSummary[];
  leaderboard: LeaderboardRow[];
  trades: Trade[];
  tradesTotal: number;
  margin: AccountsResponse;
  vault: VaultResponse;
  /** Token address (lower-case) to its symbol and decimals. */
  tokens: Record<string, { symbol: string; decimals: number }>;
  /** Market id to its name (the oracle feed's description). */
  markets: Record<number, string>;
};

// ---------------------------------------------------------------------------------------------
// The trade page's market parameters

/** A token as the trade page lists it: the tokens this node's auctions price (config referencePrices). */
export type TokenListing = { address: Address; symbol: string; decimals: number };

/** One perpetual market as the clearing house has it: parameters (1e18 fractions) and state, for margin previews. */
export type MarketInfo = {
  id: number;
  name: string;
  /** Oracle mark price (collateral base units per 1e18 of size). */
  mark: string;
  /** Whether the oracle answer is within its heartbeat. */
  fresh: boolean;
  /** The market's cumulative funding index (collateral per 1e18 size). */
  fundingIndex: string;
  initialMarginFraction: string;
  maintenanceMarginFraction: string;
  feeFraction: string;
  /** Risk-increasing fills must clear within this fraction of the mark. */
  maxPriceDeviation: string;
  /** The market's circuit breaker halts risk-increasing fills now (intents wait; reductions still fill). */
  halted: boolean;
  /** Unix seconds the halt lasts until at least (0: not halted). */
  haltedUntil: number;
};

/** A circuit breaker halt (an oracle move beyond the market's limit) or the resume after its cool-down. */
export type BreakerEvent = {
  market: number;
  name: string;
  kind: 'halted' | 'resumed';
  /** For a halt: the move's two oracle answers in time order (feed units) and the halt's end (unix seconds). */
  fromPrice?: string;
  toPrice?: string;
  haltedUntil?: number;
  txHash: Hex;
  blockNumber: number;
};

/** GET /v1/circuit-breaker: the breaker the clearing house asks, each market's state, the latest halts and resumes. */
export type CircuitBreakerResponse =
  | {
      available: true;
      breaker: Address;
      markets: { market: number; name: string; halted: boolean; haltedUntil: number }[];
      events: BreakerEvent[];
    }
  | { available: false; reason: string };

/**
 * GET /v1/markets: the clearing house (where margin collateral is deposited and withdrawn), its
 * collateral token, its markets, and the swappable tokens; unavailable (with the reason) without a
 * chain or a clearing house, the tokens still listed when their metadata could be read.
 */
export type MarketsResponse =
  | {
      available: true;
      chainId: number;
      settlement: Address;
      /** The Settlement's token vault: swaps pull the sold tokens through it, so it needs the owner's approval. */
      vault: Address;
      clearingHouse: Address;
      collateral: TokenListing;
      markets: MarketInfo[];
      tokens: TokenListing[];
    }
  | { available: false; reason: string; chainId: number; settlement: Address; vault: Address | null; tokens: TokenListing[] };
