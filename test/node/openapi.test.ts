// node/openapi.json against the API's types (protocol/api.ts) and against a running node, so the
// document cannot drift from either:
//  - typed samples: one or more values of every request and response type, checked by tsc against
//    the type (every top-level field present somewhere, no extra one), then against the document's
//    schema (strict: required fields, additionalProperties false). Every property the document
//    declares must be carried by some sample, so a field in the document that the types lack fails
//    as surely as a field in the types that the document lacks;
//  - real responses: a node is driven through every route and status the tests know, and each JSON
//    response is checked against the schema the document declares for that path, method and status.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Address, Hex } from 'viem';
import type {
  AccountMargin,
  AccountsResponse,
  ApiErrorBody,
  ArchivedAuctionResponse,
  AuctionByIdResponse,
  AuctionIntentEntry,
  AuctionResponse,
  AuctionSettlement,
  AuctionsResponse,
  AuctionSummary,
  CancelIntentRequest,
  CancelIntentResponse,
  CurrentAuctionResponse,
  DashboardSummary,
  HealthResponse,
  IntentStatusResponse,
  LeaderboardResponse,
  LeaderboardRow,
  NoAuctionResponse,
  OpenIntent,
  OpenIntentsResponse,
  OwnerIntentsResponse,
  PeerInfo,
  PeersResponse,
  OptionTrade,
  PositionTrade,
  RankedSettlement,
  RankedSolution,
  SolverResponse,
  SubmitIntentRequest,
  SubmitIntentResponse,
  SubmitSolutionRequest,
  SubmitSolutionResponse,
  SwapTrade,
  VaultMarket,
  VaultResponse,
  AccountOption,
  BreakerEvent,
  CircuitBreakerResponse,
  OptionSeriesResponse,
  OptionSeriesRow,
  VolatilityMarket,
  VolatilityResponse,
  VolatilitySmile,
  Trade,
  TradesResponse,
  BacklogResponse,
  QuoteRequest,
  QuoteResponse,
  SolverQuote,
  MarketInfo,
  MarketsResponse,
  OptionQuoteRequest,
  OptionSolverQuote,
  TokenListing,
} from '../../protocol/api.ts';
import { toHex } from '../../protocol/bytes.ts';
import { signCancel } from '../../protocol/cancel.ts';
import { signedIntentToJson } from '../../protocol/json.ts';
import { privateKeyToAddress } from '../../protocol/signature.ts';
import { silentLogger } from '../../node/log.ts';
import { IntentNode } from '../../node/node.ts';
import { intentFactory, signTestSolution, tempDir, testConfig, testKey } from '../helpers/node.ts';
import { OPENAPI, SchemaChecker } from './openapi-schema.ts';

/** Keys of every member of a union. */
type KeysOf<T> = T extends unknown ? keyof T : never;

/**
 * Samples of `T`: tsc refuses one with a field `T` lacks, and refuses the list unless every
 * top-level field of `T` (optional ones too) appears in some sample.
 */
const samplesOf =
  <T>() =>
  <const S extends readonly T[]>(
    samples: S & ([Exclude<KeysOf<T>, KeysOf<S[number]>>] extends [never] ? unknown : { missing: Exclude<KeysOf<T>, KeysOf<S[number]>> }),
  ): readonly T[] =>
    samples;

const ADDR: Address = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8';
const TOKEN: Address = '0x1111111111111111111111111111111111111111';
const ID: Hex = `0x${'ab'.repeat(32)}`;
const TX: Hex = `0x${'cd'.repeat(32)}`;
const SIG: Hex = `0x${'11'.repeat(65)}`;
const TIME = '2026-12-01T12:00:00.000Z';

const swapJson = {
  type: 'swap',
  intent: {
    owner: ADDR,
    sellToken: TOKEN,
    buyToken: ADDR,
    receiver: ADDR,
    sellAmount: '1000',
    buyAmount: '2000',
    validTo: 1795300000,
    nonce: '0',
    kind: 0,
    partiallyFillable: false,
    appData: ID,
  },
  signature: { scheme: 'eoa', data: SIG },
} as const satisfies SubmitIntentRequest;
const positionJson = {
  type: 'position',
  intent: {
    account: ADDR,
    market: 1,
    sizeDelta: '-5',
    limitPrice: '3000',
    reduceOnly: true,
    partiallyFillable: false,
    validTo: 1795300000,
    nonce: '7',
  },
  signature: { scheme: 'eip1271', data: '0xdeadbeef' },
} as const satisfies SubmitIntentRequest;

const optionJson = {
  type: 'option',
  intent: {
    account: ADDR,
    series: '3',
    size: '-2000000000000000000',
    premiumLimit: '95000000000000000000',
    reduceOnly: false,
    partiallyFillable: true,
    validTo: 1795300000,
    nonce: '8',
  },
  signature: { scheme: 'eoa', data: SIG },
} as const satisfies SubmitIntentRequest;

const ranked = { rank: 0, solver: ADDR, hash: ID, score: '15', winner: true, settleFrom: TIME, settleUntil: TIME } satisfies RankedSolution;
const entry = { id: ID, filled: '5', signedIntent: swapJson } satisfies AuctionIntentEntry;
const settlement = { solver: ADDR, txHash: TX, blockNumber: 12 } satisfies AuctionSettlement;
const rankedSettlement = { ...settlement, blockHash: TX, rank: 1 } satisfies RankedSettlement;
const inMemory = {
  id: 5,
  chainId: 31337,
  closedAt: TIME,
  solveDeadline: TIME,
  referencePrices: { [TOKEN]: '1000000000000000000' },
  collateralToken: TOKEN,
  intents: [entry],
  solutions: 1,
  ranking: [ranked],
  settlement,
} satisfies AuctionResponse;
const archived = {
  id: 4,
  chainId: 31337,
  closedAt: TIME,
  solveDeadline: TIME,
  intentIds: [ID],
  ranking: [ranked],
} satisfies ArchivedAuctionResponse;
const noAuction = { id: null, nextCloseAt: TIME, intents: [] } satisfies NoAuctionResponse;
const status = {
  id: ID,
  state: 'filled',
  owner: ADDR,
  validTo: 1795300000,
  receivedAt: TIME,
  updatedAt: TIME,
  source: 'gossip',
  filled: '1000',
  settlement: { txHash: TX, blockNumber: 3, blockHash: TX },
  signedIntent: swapJson,
} satisfies IntentStatusResponse;
const swapRow = {
  id: ID,
  type: 'swap',
  owner: ADDR,
  state: 'open',
  source: 'api',
  receivedAt: TIME,
  validTo: 1,
  filled: '1',
  sellToken: TOKEN,
  buyToken: ADDR,
  sellAmount: '1',
  buyAmount: '2',
  kind: 'buy',
  partiallyFillable: true,
} as const satisfies OpenIntent;
const positionRow = {
  id: ID,
  type: 'position',
  owner: ADDR,
  state: 'partially_filled',
  source: 'gossip',
  receivedAt: TIME,
  validTo: 1,
  filled: '2',
  market: 2,
  sizeDelta: '-3',
  limitPrice: '4',
  reduceOnly: false,
  partiallyFillable: false,
} as const satisfies OpenIntent;
const summary = {
  id: 5,
  closedAt: TIME,
  intents: 2,
  solutions: [{ rank: 0, solver: ADDR, score: '15', hash: ID }],
  winner: ADDR,
  surplus: '15',
  settlement,
} satisfies AuctionSummary;
const swapTrade = {
  kind: 'swap',
  id: ID,
  owner: ADDR,
  sellToken: TOKEN,
  buyToken: ADDR,
  executedSellAmount: '1',
  executedBuyAmount: '2',
  txHash: TX,
  blockNumber: 9,
  state: 'filled',
  sellAmount: '1',
  buyAmount: '2',
  kindOfSwap: 'sell',
} satisfies SwapTrade;
const positionTrade = {
  kind: 'position',
  account: ADDR,
  market: 1,
  name: 'ETH / USD',
  sizeDelta: '-2',
  price: '3000',
  fee: '-1',
  txHash: TX,
  blockNumber: 9,
} satisfies PositionTrade;
const optionTrade = {
  kind: 'option',
  id: ID,
  account: ADDR,
  series: '4',
  market: 1,
  name: 'ETH / USD',
  isCall: false,
  strike: '2700000000000000000000',
  size: '-2000000000000000000',
  premium: '42500000000000000000',
  txHash: TX,
  blockNumber: 9,
} satisfies OptionTrade;
const row = {
  rank: 1,
  solver: ADDR,
  wins: 2,
  submitted: 3,
  valid: 2,
  invalid: 1,
  winRate: 1,
  surplus: '15',
  settled: 1,
  lastInvalid: { auctionId: 3, hash: ID, code: 'invalid_solution', reason: 'limit' },
} satisfies LeaderboardRow;
const margin = {
  account: ADDR,
  collateral: '1000',
  equity: '-5',
  initialRequirement: '300',
  maintenanceRequirement: '150',
  notional: '3000',
  health: 1.5,
  marginRatio: null,
  liquidatable: false,
  positions: [{ market: 1, name: 'ETH / USD', size: '-1', openNotional: '-3000', mark: '3000', unrealisedPnl: '-2' }],
  options: [
    {
      series: '3',
      market: 1,
      name: 'ETH / USD',
      isCall: true,
      strike: '3000',
      expiry: 1_700_600_000,
      size: '2000000000000000000',
      entryPremium: '180000000000000000000',
      value: '410',
      pnl: '50',
      delta: '1070000000000000000',
      gamma: '1800000000000000',
      vega: '600',
      theta: '-8',
    },
    {
      series: '4',
      market: 1,
      name: 'ETH / USD',
      isCall: false,
      strike: '3000',
      expiry: 1_700_600_000,
      size: '-1000000000000000000',
      entryPremium: '150000000000000000000',
      value: null,
      pnl: null,
      delta: null,
      gamma: null,
      vega: null,
      theta: null,
      unpriced: 'the volatility surface is stale',
    },
  ],
  greeks: [{ market: 1, name: 'ETH / USD', delta: '70000000000000000', gamma: '1800000000000000', vega: '600', theta: '-8' }],
} satisfies AccountMargin;
const accounts = samplesOf<AccountsResponse>()([
  { available: true, clearingHouse: ADDR, accounts: [margin] },
  { available: false, reason: 'the node runs without --rpc-url', accounts: [] },
]);

const vaultMarket = {
  market: 1,
  name: 'ETH / USD',
  size: '-2000000000000000000',
  mark: '3000',
  unrealisedPnl: '-12',
  skewScale: '20000',
  feeFraction: '1000000000000000',
  maxPosition: '200',
  enabled: true,
} satisfies VaultMarket;
const vaults = samplesOf<VaultResponse>()([
  {
    available: true,
    vault: ADDR,
    nav: '1000000',
    totalSupply: '1000000000000',
    sharePrice: '1000001',
    shareDecimals: 24,
    grossNotional: '6000',
    maxLeverage: '3000000000000000000',
    unrealisedPnl: '-12',
    markets: [vaultMarket],
  },
  { available: false, reason: 'no perp vault configured (config perpVault)' },
]);

const dai = { address: TOKEN, symbol: 'DAI', decimals: 18 } satisfies TokenListing;
const marketInfo = {
  id: 1,
  name: 'ETH / USD',
  mark: '3000000000000000000000',
  fresh: true,
  fundingIndex: '-12',
  initialMarginFraction: '100000000000000000',
  maintenanceMarginFraction: '50000000000000000',
  feeFraction: '500000000000000',
  maxPriceDeviation: '50000000000000000',
  halted: true,
  haltedUntil: 1_700_000_300,
} satisfies MarketInfo;
const halt = {
  market: 1,
  name: 'ETH / USD',
  kind: 'halted',
  fromPrice: '300000000000',
  toPrice: '210000000000',
  haltedUntil: 1_700_000_300,
  txHash: TX,
  blockNumber: 12,
} satisfies BreakerEvent;
const breakerSamples = samplesOf<CircuitBreakerResponse>()([
  {
    available: true,
    breaker: ADDR,
    markets: [{ market: 1, name: 'ETH / USD', halted: true, haltedUntil: 1_700_000_300 }],
    events: [{ market: 1, name: 'ETH / USD', kind: 'resumed', txHash: TX, blockNumber: 40 }, halt],
  },
  { available: false, reason: 'the clearing house has no circuit breaker' },
]);
const marketsSamples = samplesOf<MarketsResponse>()([
  {
    available: true,
    chainId: 31337,
    settlement: ADDR,
    vault: ADDR,
    clearingHouse: ADDR,
    collateral: dai,
    markets: [marketInfo],
    tokens: [dai],
  },
  { available: false, reason: 'the node runs without --rpc-url', chainId: 31337, settlement: ADDR, vault: null, tokens: [] },
]);

const smile = {
  tenorSec: 86400,
  points: [
    { k: '-150000000000000000', vol: '640000000000000000' },
    { k: '0', vol: '600000000000000000' },
  ],
} satisfies VolatilitySmile;
const volMarket = {
  market: 1,
  name: 'ETH / USD',
  mark: '3000000000000000000000',
  publishedAt: 1_700_000_000,
  fresh: true,
  smiles: [smile],
} satisfies VolatilityMarket;

const priced = {
  id: '1',
  market: 1,
  name: 'ETH / USD',
  isCall: true,
  strike: '3300000000000000000000',
  expiry: 1_700_600_000,
  secondsToExpiry: 600_000,
  vol: '620000000000000000',
  price: '52000000000000000000',
  delta: '-310000000000000000',
  gamma: '900000000000000',
  vega: '300000000000000000000',
  theta: '-4100000000000000000',
  openInterest: '12500000000000000000',
} satisfies OptionSeriesRow;
const unpriced = {
  ...priced,
  id: '2',
  vol: null,
  price: null,
  delta: null,
  gamma: null,
  vega: null,
  theta: null,
  unpriced: 'the volatility surface is stale',
} satisfies OptionSeriesRow;

/** Per component schema of openapi.json, typed values of its protocol/api.ts type. */
const swapQuote: SolverQuote = { type: 'swap', solver: ADDR, sellAmount: '1000000', buyAmount: '999000000000000000', gas: 550000 };
const positionQuote: SolverQuote = { type: 'position', solver: ADDR, price: '3018150900000000000000', gas: 710000 };
const optionQuote: OptionSolverQuote = {
  type: 'option',
  solver: ADDR,
  series: '3',
  size: '2000000000000000000',
  premium: '195255800000000000000',
  source: 'vault',
  gas: 1_140_000,
  validTo: 1_700_000_060,
};

const SAMPLES: Record<string, readonly unknown[]> = {
  Error: samplesOf<ApiErrorBody>()([{ error: { code: 'over_quota', message: 'owner has 64 open intents' } }]),
  TokenListing: [dai],
  MarketInfo: [marketInfo],
  MarketsResponse: marketsSamples,
  SignedIntent: samplesOf<SubmitIntentRequest>()([swapJson, positionJson, optionJson]),
  SubmitIntentResponse: samplesOf<SubmitIntentResponse>()([
    { id: ID, state: 'open' },
    { id: ID, state: 'cancelled', duplicate: true },
  ]),
  IntentStatusResponse: samplesOf<IntentStatusResponse>()([
    status,
    { ...status, state: 'open', settlement: null, signedIntent: null, filled: undefined },
  ]),
  CancelIntentRequest: samplesOf<CancelIntentRequest>()([{ signature: SIG }]),
  CancelIntentResponse: samplesOf<CancelIntentResponse>()([{ id: ID, state: 'cancelled' }]),
  OwnerIntentsResponse: samplesOf<OwnerIntentsResponse>()([{ owner: ADDR, intents: [status] }]),
  RankedSolution: samplesOf<RankedSolution>()([ranked]),
  AuctionIntentEntry: samplesOf<AuctionIntentEntry>()([entry, { id: ID, signedIntent: positionJson }]),
  AuctionSettlement: samplesOf<AuctionSettlement>()([settlement]),
  RankedSettlement: samplesOf<RankedSettlement>()([rankedSettlement, { ...rankedSettlement, rank: null }]),
  AuctionResponse: samplesOf<AuctionResponse>()([inMemory, { ...inMemory, ranking: null, settlement: null }]),
  NoAuctionResponse: samplesOf<NoAuctionResponse>()([noAuction]),
  CurrentAuctionResponse: samplesOf<CurrentAuctionResponse>()([inMemory, noAuction]),
  ArchivedAuctionResponse: samplesOf<ArchivedAuctionResponse>()([archived]),
  AuctionByIdResponse: samplesOf<AuctionByIdResponse>()([
    { ...inMemory, settlement: rankedSettlement, settlements: [rankedSettlement, { ...rankedSettlement, rank: 1 }] },
    { ...archived, settlement: null, settlements: [] },
  ]),
  SubmitSolutionRequest: samplesOf<SubmitSolutionRequest>()([{ solution: '0x0102' }]),
  SubmitSolutionResponse: samplesOf<SubmitSolutionResponse>()([
    { hash: ID, state: 'ranked', score: '15' },
    { hash: ID, state: 'ranked', duplicate: true },
  ]),
  SolverResponse: samplesOf<SolverResponse>()([
    {
      solver: ADDR,
      submitted: 3,
      valid: 2,
      invalid: 1,
      wins: 1,
      lastInvalid: { auctionId: 3, hash: ID, code: 'wrong_signer', reason: 'x' },
      unbonded: 2,
      lastUnbonded: { auctionId: 4, hash: ID, at: TIME, reason: 'no bond' },
    },
  ]),
  HealthResponse: samplesOf<HealthResponse>()([
    {
      status: 'ok',
      peerId: '12D3KooW',
      listen: ['/ip4/127.0.0.1/tcp/9000'],
      peers: 2,
      poolLive: 3,
      queueDepth: 0,
      chainId: 31337,
      settlement: ADDR,
      uptimeSec: 4,
    },
  ]),
  // node/pool/backlog.ts until the type moves to protocol/api.ts
  BacklogResponse: samplesOf<BacklogResponse>()([
    { open: 12, waiting: 12, saturated: false, capacityPerSec: 50, measuredPerSec: null, estimatedWaitSec: 0.24, maxOpen: 20000 },
    { open: 30, waiting: 0, saturated: true, capacityPerSec: 62.5, measuredPerSec: 62.5, estimatedWaitSec: 0, maxOpen: 20000 },
  ]),
  SwapQuoteRequest: samplesOf<Extract<QuoteRequest, { type: 'swap' }>>()([
    { type: 'swap', sellToken: TOKEN, buyToken: ADDR, kind: 'sell', amount: '1000000' },
    { type: 'swap', sellToken: TOKEN, buyToken: ADDR, kind: 'buy', amount: '5', owner: ADDR },
  ]),
  PositionQuoteRequest: samplesOf<Extract<QuoteRequest, { type: 'position' }>>()([
    { type: 'position', market: 1, sizeDelta: '-2000000000000000000', owner: ADDR },
  ]),
  OptionQuoteRequest: samplesOf<OptionQuoteRequest>()([
    { type: 'option', series: '3', size: '2000000000000000000' },
    { type: 'option', series: '4', size: '-1000000000000000000', account: ADDR },
  ]),
  QuoteRequest: samplesOf<QuoteRequest>()([
    { type: 'swap', sellToken: TOKEN, buyToken: ADDR, kind: 'sell', amount: '1000000', owner: ADDR },
    { type: 'position', market: 1, sizeDelta: '3' },
    { type: 'option', series: '3', size: '1', account: ADDR },
  ]),
  SwapQuote: samplesOf<Extract<SolverQuote, { type: 'swap' }>>()([swapQuote]),
  PositionQuote: samplesOf<Extract<SolverQuote, { type: 'position' }>>()([positionQuote]),
  OptionQuote: samplesOf<OptionSolverQuote>()([optionQuote]),
  SolverQuote: samplesOf<SolverQuote>()([swapQuote, positionQuote, optionQuote]),
  QuoteResponse: samplesOf<QuoteResponse>()([
    {
      quote: swapQuote,
      quotes: [swapQuote],
      failed: [{ url: 'http://127.0.0.1:9600/v1/quote', reason: 'timeout' }],
      quotedAt: TIME,
      expiresAt: TIME,
    },
    { quote: optionQuote, quotes: [optionQuote], failed: [], quotedAt: TIME, expiresAt: TIME },
  ]),
  PeerInfo: samplesOf<PeerInfo>()([
    { peerId: '12D3KooW', remoteAddr: '/ip4/127.0.0.1/tcp/1', direction: 'inbound', score: -1.5, appScore: 0 },
  ]),
  PeersResponse: samplesOf<PeersResponse>()([
    { peers: [{ peerId: 'a', remoteAddr: 'b', direction: 'outbound', score: 0, appScore: -2 }], banned: [{ peerId: 'c', until: TIME }] },
  ]),
  OpenIntent: samplesOf<OpenIntent>()([
    swapRow,
    positionRow,
    { id: ID, type: 'swap', owner: ADDR, state: 'open', source: 'api', receivedAt: TIME, validTo: 1, filled: '0' },
  ]),
  OpenIntentsResponse: samplesOf<OpenIntentsResponse>()([{ total: 2, intents: [swapRow, positionRow] }]),
  AuctionSummary: samplesOf<AuctionSummary>()([summary, { ...summary, winner: null, settlement: null, solutions: [] }]),
  AuctionsResponse: samplesOf<AuctionsResponse>()([{ auctions: [summary] }]),
  SwapTrade: samplesOf<SwapTrade>()([swapTrade]),
  PositionTrade: samplesOf<PositionTrade>()([positionTrade]),
  OptionTrade: samplesOf<OptionTrade>()([
    optionTrade,
    { ...optionTrade, market: undefined, name: undefined, isCall: undefined, strike: undefined },
  ]),
  Trade: samplesOf<Trade>()([swapTrade, positionTrade, optionTrade]),
  TradesResponse: samplesOf<TradesResponse>()([{ trades: [swapTrade, positionTrade, optionTrade] }]),
  LeaderboardRow: samplesOf<LeaderboardRow>()([row]),
  LeaderboardResponse: samplesOf<LeaderboardResponse>()([{ solvers: [row] }]),
  AccountMargin: samplesOf<AccountMargin>()([margin]),
  AccountOption: samplesOf<AccountOption>()(margin.options),
  AccountsResponse: accounts,
  VaultMarket: samplesOf<VaultMarket>()([vaultMarket]),
  VaultResponse: vaults,
  VolatilitySmile: samplesOf<VolatilitySmile>()([smile]),
  BreakerEvent: samplesOf<BreakerEvent>()([halt]),
  OptionSeriesRow: samplesOf<OptionSeriesRow>()([priced, unpriced]),
  OptionSeriesResponse: samplesOf<OptionSeriesResponse>()([
    { available: true, registry: ADDR, series: [priced, unpriced] },
    { available: false, reason: 'no option series registry configured (config optionSeries)' },
  ]),
  CircuitBreakerResponse: breakerSamples,
  VolatilityMarket: samplesOf<VolatilityMarket>()([volMarket]),
  VolatilityResponse: samplesOf<VolatilityResponse>()([
    { available: true, feed: ADDR, maxAge: 3600, markets: [volMarket] },
    { available: false, reason: 'no volatility feed configured (config volatilityFeed)' },
  ]),
  DashboardSummary: samplesOf<DashboardSummary>()([
    {
      node: { peerId: '12D3KooW', peers: 1, chainId: 31337, settlement: ADDR, rpc: true, auctionIntervalMs: 5000, poolLive: 2, now: TIME },
      current: { id: 5, solveDeadline: TIME, nextCloseAt: null, intents: 2, solutions: 1 },
      openIntents: { total: 1, intents: [swapRow] },
      auctions: [summary],
      leaderboard: [row],
      trades: [swapTrade],
      tradesTotal: 1,
      margin: accounts[0]!,
      vault: vaults[0]!,
      tokens: { [TOKEN]: { symbol: 'DAI', decimals: 18 } },
      markets: { 1: 'ETH / USD' },
    },
    {
      node: { peerId: '12D3KooW', peers: 0, chainId: 31337, settlement: ADDR, rpc: false, auctionIntervalMs: 5000, poolLive: 0, now: TIME },
      current: null,
      openIntents: { total: 0, intents: [] },
      auctions: [],
      leaderboard: [],
      trades: [],
      tradesTotal: 0,
      margin: accounts[1]!,
      vault: vaults[1]!,
      tokens: {},
      markets: {},
    },
  ]),
};

describe('node/openapi.json and protocol/api.ts', () => {
  it('every component schema has typed samples, each conforms, and every declared property is carried by some sample', () => {
    const checker = new SchemaChecker();
    const withObjects = Object.entries(OPENAPI.components.schemas).filter(
      ([name]) => !['IntentState', 'Signature', 'SwapIntent', 'PositionIntent', 'OptionIntent'].includes(name),
    );
    expect(Object.keys(SAMPLES).sort()).toEqual(withObjects.map(([name]) => name).sort());
    const errors: string[] = [];
    for (const [name, samples] of Object.entries(SAMPLES)) {
      samples.forEach((s, i) => {
        errors.push(...checker.check(checker.component(name), JSON.parse(JSON.stringify(s)), `${name}[${i}]`));
      });
    }
    expect(errors).toEqual([]);
    expect(checker.unseen()).toEqual([]);
  });
});

describe('a running node answers as node/openapi.json says', () => {
  const dir = tempDir('openapi-');
  let node: IntentNode;
  let now = Date.now();
  const interval = 1000;
  const checker = new SchemaChecker();
  const seen: string[] = [];
  // quoters: one answers a fixed quote for any sell of 1000 (and no_route otherwise), one never answers
  const quoters: Server[] = [];
  const urlOf = (s: Server): string => `http://127.0.0.1:${(s.address() as { port: number }).port}/v1/quote`;

  beforeAll(async () => {
    quoters.push(
      createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          const r = JSON.parse(body) as QuoteRequest;
          const quote: SolverQuote = { type: 'swap', solver: ADDR, sellAmount: '1000', buyAmount: '998', gas: 350000 };
          const ok = r.type === 'swap' && r.amount === '1000';
          res.writeHead(ok ? 200 : 422, { 'content-type': 'application/json' });
          res.end(JSON.stringify(ok ? quote : { error: { code: 'no_route', message: 'no pool' } }));
        });
      }),
      createServer(() => undefined),
    );
    for (const q of quoters) await new Promise<void>((r) => q.listen(0, '127.0.0.1', () => r()));
    node = new IntentNode(
      testConfig(dir.path, { maxOpenPerOwner: 2, quoters: quoters.map(urlOf), quoteTimeoutMs: 300, quoteRatePerClient: 1 }),
      {
        log: silentLogger(),
        auction: { intervalMs: interval, solveWindowMs: interval, retainAuctions: 1, now: () => now, manual: true },
      },
    );
    await node.start();
  });
  afterAll(async () => {
    await node.stop();
    for (const q of quoters) {
      q.closeAllConnections();
      q.close();
    }
    dir.cleanup();
  });

  /** Calls the node and checks the JSON answer against the document; returns status and body. */
  async function call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${node.apiUrl}${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const json: unknown = await res.json();
    const route = path.split('?')[0]!;
    const errors = checker.check(checker.response(method, route, res.status), json, `${method} ${path} ${res.status}`);
    expect(errors).toEqual([]);
    seen.push(`${method} ${route} ${res.status}`);
    return { status: res.status, body: json };
  }

  it('intents: submit, duplicate, refusals, status, owner lists, cancels', async () => {
    const alice = intentFactory(testKey(301));
    const carol = intentFactory(testKey(303));
    const s = alice.swap();
    const id = alice.digestOf(s);
    expect((await call('POST', '/v1/intents', signedIntentToJson(s))).status).toBe(201);
    expect((await call('POST', '/v1/intents', signedIntentToJson(s))).status).toBe(200);
    expect((await call('POST', '/v1/intents', { ...signedIntentToJson(s), type: 'limit' })).status).toBe(400);
    const c1 = carol.swap();
    const c2 = carol.swap();
    for (const c of [c1, c2]) expect((await call('POST', '/v1/intents', signedIntentToJson(c))).status).toBe(201);
    expect((await call('POST', '/v1/intents', signedIntentToJson(carol.swap()))).status).toBe(429);
    // backpressure: 5 s of lifetime is less than two auction intervals (10 s), even with no backlog
    const short = alice.swap({ validTo: Math.floor(Date.now() / 1000) + 5 });
    expect((await call('POST', '/v1/intents', signedIntentToJson(short))).body.error.code).toBe('backlog');
    expect((await call('GET', `/v1/intents/${id}`)).body.state).toBe('open');
    expect((await call('GET', `/v1/intents/0x${'ef'.repeat(32)}`)).status).toBe(404);

    const cid = carol.digestOf(c1);
    const sep = node.validator.separator;
    expect((await call('POST', `/v1/intents/${cid}/cancel`, { signature: '0x12' })).status).toBe(400);
    expect((await call('POST', `/v1/intents/${cid}/cancel`, { signature: signCancel(cid, sep, testKey(301)) })).status).toBe(403);
    expect((await call('POST', `/v1/intents/${cid}/cancel`, { signature: signCancel(cid, sep, testKey(303)) })).status).toBe(200);
    expect((await call('POST', `/v1/intents/${cid}/cancel`, { signature: signCancel(cid, sep, testKey(303)) })).status).toBe(409);
    expect((await call('POST', '/v1/intents', signedIntentToJson(c1))).status).toBe(409);
    expect((await call('GET', `/v1/owners/${carol.owner}/intents?state=all`)).body.intents).toHaveLength(2);
    expect((await call('GET', `/v1/owners/${carol.owner}/intents`)).body.intents).toHaveLength(1);
    expect((await call('GET', `/v1/owners/${carol.owner}/intents?state=some`)).status).toBe(400);
    expect((await call('GET', '/v1/intents?limit=2')).body.total).toBe(2);
  });

  it('auctions and solutions: current, submit, refusals, solver records, in memory, settled, archived', async () => {
    expect((await call('GET', '/v1/auction')).body.id).toBeNull();
    const clock = node.auction!;
    const X: Address = '0x1111111111111111111111111111111111111111';
    const Y: Address = '0x2222222222222222222222222222222222222222';
    const alice = intentFactory(testKey(311));
    const bob = intentFactory(testKey(312));
    const i1 = alice.swap({ sellToken: X, buyToken: Y, sellAmount: 10n ** 18n, buyAmount: 2000n * 10n ** 6n });
    const i2 = bob.swap({ sellToken: Y, buyToken: X, sellAmount: 2100n * 10n ** 6n, buyAmount: 10n ** 18n });
    for (const s of [i1, i2]) expect((await node.submit(s)).verdict).toBe('accept');
    now = Date.now();
    const auctionId = clock.idAt(now);
    clock.close(auctionId);
    expect((await call('GET', '/v1/auction')).body.id).toBe(auctionId);

    const trades = [
      { intentId: alice.digestOf(i1), executed: 10n ** 18n },
      { intentId: bob.digestOf(i2), executed: 2100n * 10n ** 6n },
    ].sort((p, q) => (p.intentId < q.intentId ? -1 : 1));
    const prices = (px: bigint) => [
      { token: X, price: px },
      { token: Y, price: 10n ** 18n },
    ];
    const base = { auctionId: BigInt(auctionId), marketPrices: [], trades, interactions: [] };
    const good = signTestSolution({ ...base, prices: prices(2050n * 10n ** 6n) }, testKey(320));
    const broken = signTestSolution({ ...base, prices: prices(1900n * 10n ** 6n) }, testKey(321));
    const elsewhere = signTestSolution({ ...base, auctionId: BigInt(auctionId + 1000), prices: prices(2050n * 10n ** 6n) }, testKey(322));
    expect((await call('POST', '/v1/solutions', { solution: toHex(good) })).status).toBe(202);
    expect((await call('POST', '/v1/solutions', { solution: toHex(good) })).status).toBe(200);
    expect((await call('POST', '/v1/solutions', { solution: toHex(broken) })).status).toBe(422);
    expect((await call('POST', '/v1/solutions', { solution: toHex(elsewhere) })).status).toBe(409);
    expect((await call('POST', '/v1/solutions', { solution: 'zz' })).status).toBe(400);
    expect((await call('GET', `/v1/solvers/${privateKeyToAddress(testKey(321))}`)).body.invalid).toBe(1);
    expect((await call('GET', `/v1/solvers/${privateKeyToAddress(testKey(399))}`)).status).toBe(404);

    now += 2 * interval + 1;
    await clock.tick();
    const ranked = await call('GET', `/v1/auctions/${auctionId}`);
    expect(ranked.body.ranking).toHaveLength(1);
    expect(ranked.body.settlement).toBeNull();
    // as the chain watcher records a Settled event
    await node.db.auctions.saveSettlement(auctionId, {
      solver: privateKeyToAddress(testKey(320)).toLowerCase() as Address,
      txHash: `0x${'cd'.repeat(32)}`,
      blockNumber: 7,
      blockHash: `0x${'ee'.repeat(32)}`,
    });
    expect((await call('GET', `/v1/auctions/${auctionId}`)).body.settlement.rank).toBe(0);
    // a few more auctions: the first one leaves memory (retainAuctions 1) and is read back from its record
    for (let k = 0; k < 4; k++) {
      now += interval;
      await clock.tick();
    }
    expect(clock.ranking(auctionId)).toBeUndefined();
    expect((await call('GET', `/v1/auctions/${auctionId}`)).body.intentIds).toEqual(expect.arrayContaining(trades.map((t) => t.intentId)));
    expect((await call('GET', '/v1/auctions/999999999')).status).toBe(404);
    expect((await call('GET', '/v1/auctions')).body.auctions.length).toBeGreaterThan(0);
    expect((await call('GET', '/v1/leaderboard')).body.solvers.length).toBeGreaterThan(0);
  });

  it('the node, the dashboard without a chain, and errors of the router', async () => {
    expect((await call('GET', '/health')).body.status).toBe('ok');
    expect((await call('GET', '/v1/backlog')).body.maxOpen).toBe(node.config.maxOpenIntents);
    expect((await call('GET', '/v1/peers')).body.peers).toEqual([]);
    expect((await call('GET', '/openapi.json')).body.openapi).toBe('3.1.0');
    expect((await call('GET', '/v1/dashboard/summary')).body.node.rpc).toBe(false);
    expect((await call('GET', '/v1/trades')).body.trades).toEqual([]);
    expect((await call('GET', '/v1/accounts')).body.available).toBe(false);
    expect((await call('GET', '/v1/vault')).body).toMatchObject({ available: false });
    expect((await call('GET', '/v1/markets')).body).toMatchObject({ available: false, vault: null, tokens: [] });
    expect((await call('GET', '/v1/options/series')).body).toEqual({
      available: false,
      reason: 'no option series registry configured (config optionSeries)',
    });
    expect((await call('GET', '/v1/circuit-breaker')).body).toEqual({ available: false, reason: 'the node runs without --rpc-url' });
    expect((await call('GET', '/v1/volatility')).body).toEqual({
      available: false,
      reason: 'no volatility feed configured (config volatilityFeed)',
    });
    expect((await call('GET', `/v1/accounts/${ADDR}/margin`)).status).toBe(503);
  });

  it('quotes: the best answer with the silent quoter failed, bad requests, no quote', async () => {
    const req = { type: 'swap', sellToken: TOKEN, buyToken: ADDR, kind: 'sell', amount: '1000' };
    const r = await call('POST', '/v1/quote', req);
    expect(r.status).toBe(200);
    expect(r.body.quote).toEqual({ type: 'swap', solver: ADDR, sellAmount: '1000', buyAmount: '998', gas: 350000 });
    expect(r.body.failed).toEqual([{ url: urlOf(quoters[1]!), reason: 'timeout' }]);
    expect((await call('POST', '/v1/quote', { ...req, amount: '1e3' })).body.error.code).toBe('bad_quote_request');
    expect((await call('POST', '/v1/quote', { ...req, buyToken: TOKEN })).status).toBe(400);
    const none = await call('POST', '/v1/quote', { ...req, amount: '2000' });
    expect(none.status).toBe(422);
    expect(none.body.error.code).toBe('no_quote');
    // --quote-rate 1: a burst of 4, then one a second; bad requests count too (the limit comes
    // before any work). Asking fast, this client is refused within a few more requests.
    let limited: { status: number; body: any } | undefined;
    for (let k = 0; k < 20 && !limited; k++) {
      const x = await call('POST', '/v1/quote', { ...req, amount: '1e3' });
      if (x.status === 429) limited = x;
      else expect(x.body.error.code).toBe('bad_quote_request');
    }
    expect(limited?.body.error.code).toBe('rate_limited');
    const res = await fetch(`${node.apiUrl}/v1/quote`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(req),
    });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('every documented JSON status of the intent, auction and solution routes was exercised', () => {
    for (const s of [
      'POST /v1/intents 201',
      'POST /v1/intents 200',
      'POST /v1/intents 400',
      'POST /v1/intents 409',
      'POST /v1/intents 429',
      'POST /v1/intents 503',
      'POST /v1/solutions 202',
      'POST /v1/solutions 200',
      'POST /v1/solutions 400',
      'POST /v1/solutions 409',
      'POST /v1/solutions 422',
      'POST /v1/quote 200',
      'POST /v1/quote 400',
      'POST /v1/quote 422',
      'POST /v1/quote 429',
    ])
      expect(seen).toContain(s);
  });
});
