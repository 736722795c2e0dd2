// Node configuration: defaults, a JSON config file, and command-line flags (flags win). The flags,
// the config-file keys and their checks are one table (nodeCli below) read by cli/program.ts.
import type { Address } from 'viem';
import { z } from 'zod';
import { DEFAULT_BATCH_GAS_SHARE_BPS } from '../protocol/batch-gas.ts';
import { DEFAULT_MAX_WINNERS } from '../protocol/winners.ts';
import { type CliSpec, common, type Field, parseCommandLine, UsageError } from './cli/program.ts';
import { address, bool, fileOnly, httpUrl, int, listenAddr, text } from './cli/values.ts';

export type NodeConfig = {
  /** libp2p listen multiaddrs, e.g. /ip4/0.0.0.0/tcp/9000 */
  listen: string[];
  /** Bootstrap peers as full multiaddrs ending in /p2p/<peerId>. */
  bootstrap: string[];
  chainId: number;
  settlement: Address;
  /** JSON-RPC URL for on-chain checks and the chain watcher; absent = off-chain checks only. */
  rpcUrl?: string;
  /** Timeout of one RPC call; past it validation degrades to off-chain checks. */
  rpcTimeoutMs: number;
  dataDir: string;
  /** HTTP API port (0 = any free port). */
  apiPort: number;
  apiHost: string;
  /** Auction window length. */
  auctionIntervalMs: number;
  /** Time solvers get after an auction closes (0 = half the interval, so winners settle before the next close). */
  auctionSolveWindowMs: number;
  /** Winners per auction: solutions touching disjoint intents, pairs, markets and pools settle side by side. */
  auctionMaxWinners: number;
  /** Share of the block gas limit one settle may use (basis points); solutions above it are refused. */
  batchGasShareBps: number;
  /** Finalized auctions kept in memory (older ones are served from the database). */
  auctionRetain: number;
  /** Decoded intents cached for auctions (LRU by intent id, shared by every auction). */
  auctionDecodedCache: number;
  /** Maximum open intents per owner (anti-spam quota). */
  maxOpenPerOwner: number;
  /** Intents whose validTo lies further in the future are refused. */
  maxLifetimeSec: number;
  /** Backpressure: the settle capacity (intents/s) assumed until a higher one is measured from fills. */
  settleCapacity: number;
  /** Backpressure: live intents the pool holds at most; more are refused (API) or ignored (gossip). */
  maxOpenIntents: number;
  /** Largest encoded intent or solution accepted, in bytes. */
  maxMessageBytes: number;
  /** Validation queue: per-peer depth and total depth; overflow is ignored (dropped), never buffered. */
  validationQueuePerPeer: number;
  validationQueueTotal: number;
  validationConcurrency: number;
  /** Gossipsub mesh degree D (default 6). */
  meshDegree: number;
  /** Join a connection's frames written in one event-loop turn into one encrypted write (node/gossip/coalesce.ts). */
  coalesceWrites: boolean;
  /** Gossipsub sends IDONTWANT to its mesh peers for messages of at least this many bytes (gossipsub's own default: 512). */
  idontwantMinBytes: number;
  /** Worker threads for signature recovery (0 = recover on the main thread). */
  verifyWorkers: number;
  /**
   * Gossipsub's IP colocation score penalty (off by default): peers behind one NAT or on one host
   * would otherwise push each other's scores down until an honest one is banned. The per-IP
   * connection cap bounds what one address can open instead.
   */
  ipColocationPenalty: boolean;
  /** Inbound connections accepted from one IP address; more are refused at the gater. */
  maxConnectionsPerIp: number;
  /** Gossip messages per second one peer may have validated (burst: twice this); more are ignored and cost it score. */
  peerMessageRate: number;
  /** Ignored messages (expired, over quota, unverifiable, ...) one peer may send per 10 s for free; each past it costs score. */
  peerIgnoreBudget: number;
  /** Auction reference prices (numeraire value of 1e18 base units per token, decimal strings); config file only. */
  referencePrices?: Record<string, string>;
  /** Bonded solvers whose solutions are ranked (empty = anyone); config file only. */
  solvers?: Address[];
  /** The clearing house's collateral token (position surplus is scored in it); config file only. */
  collateralToken?: Address;
  /** A perp liquidity vault for the dashboard to show. */
  perpVault?: Address;
  /** The options' VolatilityFeed, whose surfaces GET /v1/volatility and the dashboard show. */
  volatilityFeed?: Address;
  /** The OptionSeries registry, whose live series GET /v1/options/series and the dashboard show. */
  optionSeries?: Address;
  /** Solvers' quote endpoints (POST /v1/quote) the node asks for POST /v1/quote; empty = quotes off (503). */
  quoters: string[];
  /** How long the node waits for its quoters' answers (ms). */
  quoteTimeoutMs: number;
  /** Quotes per second one client address may ask for (a burst of 4 times as many). */
  quoteRatePerClient: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
};

export const defaultConfig: Omit<NodeConfig, 'chainId' | 'settlement' | 'dataDir'> = {
  listen: ['/ip4/0.0.0.0/tcp/9000'],
  bootstrap: [],
  apiPort: 9545,
  apiHost: '127.0.0.1',
  auctionIntervalMs: 5000,
  auctionSolveWindowMs: 0,
  auctionMaxWinners: DEFAULT_MAX_WINNERS,
  batchGasShareBps: DEFAULT_BATCH_GAS_SHARE_BPS,
  auctionRetain: 64,
  auctionDecodedCache: 8192,
  maxOpenPerOwner: 64,
  maxLifetimeSec: 30 * 24 * 3600,
  maxMessageBytes: 4096,
  settleCapacity: 50,
  maxOpenIntents: 20_000,
  validationQueuePerPeer: 256,
  validationQueueTotal: 8192,
  validationConcurrency: 64,
  verifyWorkers: 0,
  rpcTimeoutMs: 2000,
  meshDegree: 6,
  coalesceWrites: true,
  idontwantMinBytes: 512,
  ipColocationPenalty: false,
  maxConnectionsPerIp: 32,
  peerMessageRate: 1000,
  peerIgnoreBudget: 200,
  quoters: [],
  quoteTimeoutMs: 500,
  quoteRatePerClient: 5,
  logLevel: 'info',
};

export function resolveConfig(partial: Partial<NodeConfig> & Pick<NodeConfig, 'chainId' | 'settlement' | 'dataDir'>): NodeConfig {
  return { ...defaultConfig, ...partial };
}

const d = defaultConfig;

/** Every node setting: its config-file key, flag, kind of value, default and help. */
const fields: Field[] = [
  { key: 'chainId', flag: 'chain-id', kind: int(1), help: 'chain id of the settlement contract', required: true },
  { key: 'settlement', flag: 'settlement', kind: address, help: 'settlement contract address', required: true },
  common.dataDir('data directory: peer key and intent pool', { required: true }),
  { key: 'listen', flag: 'listen', kind: listenAddr, many: true, help: 'libp2p listen address', default: d.listen },
  common.bootstrap('bootstrap peer, full address ending in /p2p/<peer id>'),
  common.rpcUrl('JSON-RPC endpoint for on-chain checks and the chain watcher', 'none, off-chain checks only'),
  {
    key: 'rpcTimeoutMs',
    flag: 'rpc-timeout-ms',
    kind: int(1),
    help: 'timeout of one RPC call; past it validation falls back to off-chain checks',
    default: d.rpcTimeoutMs,
  },
  { key: 'apiPort', flag: 'api-port', kind: int(0, 65535, 'port'), help: 'HTTP API port, 0 = any free port', default: d.apiPort },
  { key: 'apiHost', flag: 'api-host', kind: text('a host name or IP address', 'host'), help: 'HTTP API bind address', default: d.apiHost },
  common.auctionIntervalMs(d.auctionIntervalMs),
  {
    key: 'auctionSolveWindowMs',
    flag: 'auction-solve-window-ms',
    kind: int(0, 3_600_000, 'ms'),
    help: 'time solvers get after an auction closes; 0 = half the auction interval',
    default: d.auctionSolveWindowMs,
  },
  {
    key: 'auctionMaxWinners',
    flag: 'auction-max-winners',
    kind: int(1, 256),
    help: 'winners per auction (disjoint solutions settling side by side)',
    default: d.auctionMaxWinners,
  },
  {
    key: 'batchGasShareBps',
    flag: 'batch-gas-share-bps',
    kind: int(1, 10_000, 'bps'),
    help: "share of the chain's block gas limit one settle may use; solutions above it are refused",
    default: d.batchGasShareBps,
  },
  { key: 'auctionRetain', flag: 'auction-retain', kind: int(1), help: 'finalized auctions kept in memory', default: d.auctionRetain },
  {
    key: 'auctionDecodedCache',
    flag: 'auction-decoded-cache',
    kind: int(1),
    help: 'decoded intents cached for auctions',
    default: d.auctionDecodedCache,
  },
  {
    key: 'maxOpenPerOwner',
    flag: 'max-open-per-owner',
    kind: int(1),
    help: 'open intents per owner (anti-spam quota)',
    default: d.maxOpenPerOwner,
  },
  {
    key: 'maxLifetimeSec',
    flag: 'max-lifetime-sec',
    kind: int(1),
    help: 'intents valid for longer are refused',
    default: d.maxLifetimeSec,
  },
  {
    key: 'settleCapacity',
    flag: 'settle-capacity',
    kind: int(1),
    help: 'intents/s the network is assumed to settle until fills show more; the API refuses an intent that would expire before the backlog ahead of it is settled',
    default: d.settleCapacity,
  },
  {
    key: 'maxOpenIntents',
    flag: 'max-open-intents',
    kind: int(1),
    help: 'live intents the pool holds at most; past it the API answers 503 and gossip is ignored',
    default: d.maxOpenIntents,
  },
  {
    key: 'maxMessageBytes',
    flag: 'max-message-bytes',
    kind: int(256),
    help: 'largest encoded intent or solution accepted',
    default: d.maxMessageBytes,
  },
  {
    key: 'validationQueuePerPeer',
    flag: 'validation-queue-per-peer',
    kind: int(1),
    help: 'messages queued for validation per peer (overflow dropped)',
    default: d.validationQueuePerPeer,
  },
  {
    key: 'validationQueueTotal',
    flag: 'validation-queue-total',
    kind: int(1),
    help: 'messages queued for validation in all',
    default: d.validationQueueTotal,
  },
  {
    key: 'validationConcurrency',
    flag: 'validation-concurrency',
    kind: int(1),
    help: 'messages validated at once',
    default: d.validationConcurrency,
  },
  { key: 'meshDegree', flag: 'mesh-degree', kind: int(1, 64), help: 'gossipsub mesh degree D', default: d.meshDegree },
  {
    key: 'coalesceWrites',
    flag: 'coalesce-writes',
    negation: 'no-coalesce-writes',
    kind: bool,
    help: "join a connection's frames written in one event-loop turn into one encrypted socket write",
    defaultText: 'on',
  },
  {
    key: 'idontwantMinBytes',
    flag: 'idontwant-min-bytes',
    kind: int(0),
    help: 'gossipsub IDONTWANT for messages of at least this size (tells mesh peers not to send a copy already received)',
    default: d.idontwantMinBytes,
  },
  {
    key: 'verifyWorkers',
    flag: 'verify-workers',
    kind: int(0, 256),
    help: 'worker threads for signature recovery, 0 = the main thread',
    default: d.verifyWorkers,
  },
  {
    key: 'ipColocationPenalty',
    flag: 'ip-colocation',
    negation: 'no-ip-colocation',
    kind: bool,
    help: "gossipsub's IP colocation score penalty (peers behind one NAT push each other's scores down)",
    defaultText: 'off',
  },
  {
    key: 'maxConnectionsPerIp',
    flag: 'max-connections-per-ip',
    kind: int(1),
    help: 'inbound connections accepted from one IP',
    default: d.maxConnectionsPerIp,
  },
  {
    key: 'peerMessageRate',
    flag: 'peer-message-rate',
    kind: int(1),
    help: 'gossip messages per second per peer before it pays score (burst twice this)',
    default: d.peerMessageRate,
  },
  {
    key: 'peerIgnoreBudget',
    flag: 'peer-ignore-budget',
    kind: int(0),
    help: 'ignored messages per peer per 10 s before each costs score',
    default: d.peerIgnoreBudget,
  },
  {
    key: 'quoters',
    flag: 'quoter',
    kind: httpUrl,
    many: true,
    help: "a solver's quote endpoint (its --quote-port, e.g. http://127.0.0.1:9600/v1/quote) asked for POST /v1/quote",
    default: d.quoters,
    defaultText: 'none, POST /v1/quote answers 503',
  },
  {
    key: 'quoteTimeoutMs',
    flag: 'quote-timeout-ms',
    kind: int(10, 60_000, 'ms'),
    help: 'how long POST /v1/quote waits for the quoters; those that have not answered are listed as failed',
    default: d.quoteTimeoutMs,
  },
  {
    key: 'quoteRatePerClient',
    flag: 'quote-rate',
    kind: int(1, 100_000, 'quotes/s'),
    help: 'quotes per second one client address may ask for, with a burst of 4 times as many (a quote costs every quoter engine time); over it: 429 rate_limited',
    default: d.quoteRatePerClient,
  },
  common.logLevel('pino log level (the ready line is printed at any level but silent)', d.logLevel),
  {
    key: 'referencePrices',
    kind: fileOnly(
      z.record(
        z.string().refine((k) => address.schema.safeParse(k).success, { error: 'expected token addresses as keys' }),
        z.string().regex(/^\d+$/, { error: 'expected a decimal integer string' }),
      ),
      'an object: token address -> numeraire value of 1e18 base units, as a decimal string',
    ),
    help: 'auction reference prices: {"0xtoken": "decimal value of 1e18 base units"}',
  },
  {
    key: 'solvers',
    kind: fileOnly(z.array(address.schema, { error: 'expected a list of addresses' }), 'a list of addresses'),
    help: 'bonded solvers whose solutions are ranked (default: anyone)',
  },
  {
    key: 'collateralToken',
    kind: fileOnly(address.schema, address.expected),
    help: "the clearing house's collateral token (position surplus is scored in it)",
  },
  {
    key: 'perpVault',
    kind: fileOnly(address.schema, address.expected),
    help: 'a perp liquidity vault (PerpVault) the dashboard shows: NAV, share price, skew per market',
  },
  {
    key: 'volatilityFeed',
    kind: fileOnly(address.schema, address.expected),
    help: "the options' volatility feed (VolatilityFeed) whose surfaces GET /v1/volatility and the dashboard show",
  },
  {
    key: 'optionSeries',
    kind: fileOnly(address.schema, address.expected),
    help: 'the option series registry (OptionSeries) whose live series, model prices and greeks GET /v1/options/series shows',
  },
];

export const nodeCli: CliSpec = {
  name: 'npm run node --',
  summary: 'Run an intent network node: libp2p gossip of signed intents, validation, auctions and the HTTP API.',
  fields,
  notes: ['Example: npm run node -- --chain-id 31337 --settlement 0x5FbDB2315678afecb367f032d93F642f64180aa3 --data-dir ./data/a'],
};

/** Usage errors (bad flag, value or config file); exit status 2. The same class as cli/program.ts's UsageError. */
export const ConfigError = UsageError;
export type ConfigError = UsageError;

/**
 * The node's configuration from its command line (and the --config file it names, and LOG_LEVEL).
 * Throws ConfigError (exit 2) for usage errors and HelpRequested (exit 0, text on stdout) for --help.
 */
export function parseCli(argv: string[], env: NodeJS.ProcessEnv = process.env): NodeConfig {
  const values = parseCommandLine(nodeCli, argv, env) as Partial<NodeConfig> & Pick<NodeConfig, 'chainId' | 'settlement' | 'dataDir'>;
  return resolveConfig(values);
}
