// Node configuration: defaults, a JSON config file, and command-line flags (flags win).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Address } from 'viem';

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
  /** Finalized auctions kept in memory (older ones are served from the database). */
  auctionRetain: number;
  /** Decoded intents cached for auctions (LRU by intent id, shared by every auction). */
  auctionDecodedCache: number;
  /** Maximum open intents per owner (anti-spam quota). */
  maxOpenPerOwner: number;
  /** Intents whose validTo lies further in the future are refused. */
  maxLifetimeSec: number;
  /** Largest encoded intent or solution accepted, in bytes. */
  maxMessageBytes: number;
  /** Validation queue: per-peer depth and total depth; overflow is ignored (dropped), never buffered. */
  validationQueuePerPeer: number;
  validationQueueTotal: number;
  validationConcurrency: number;
  /** Gossipsub mesh degree D (default 6). */
  meshDegree: number;
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
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
};

export const defaultConfig: Omit<NodeConfig, 'chainId' | 'settlement' | 'dataDir'> = {
  listen: ['/ip4/0.0.0.0/tcp/9000'],
  bootstrap: [],
  apiPort: 9545,
  apiHost: '127.0.0.1',
  auctionIntervalMs: 5000,
  auctionRetain: 64,
  auctionDecodedCache: 8192,
  maxOpenPerOwner: 64,
  maxLifetimeSec: 30 * 24 * 3600,
  maxMessageBytes: 4096,
  validationQueuePerPeer: 256,
  validationQueueTotal: 8192,
  validationConcurrency: 64,
  verifyWorkers: 0,
  rpcTimeoutMs: 2000,
  meshDegree: 6,
  ipColocationPenalty: false,
  maxConnectionsPerIp: 32,
  peerMessageRate: 1000,
  peerIgnoreBudget: 200,
  logLevel: 'info',
};

export function resolveConfig(partial: Partial<NodeConfig> & Pick<NodeConfig, 'chainId' | 'settlement' | 'dataDir'>): NodeConfig {
  return { ...defaultConfig, ...partial };
}

const USAGE = `usage: node node/cli.ts [--config file.json] [flags]
  --listen <multiaddr>        libp2p listen address (repeatable; default /ip4/0.0.0.0/tcp/9000)
  --bootstrap <multiaddr>     bootstrap peer, full address with /p2p/<id> (repeatable)
  --rpc-url <url>             JSON-RPC endpoint (optional; on-chain checks and chain watcher)
  --settlement <address>      settlement contract address (required)
  --chain-id <n>              chain id (required)
  --data-dir <dir>            data directory: peer key and intent pool (required)
  --api-port <n>              HTTP API port (default 9545; 0 = any)
  --api-host <host>           HTTP API bind address (default 127.0.0.1)
  --auction-interval-ms <n>   auction window (default 5000)
  --auction-retain <n>        finalized auctions kept in memory (default 64)
  --auction-decoded-cache <n> decoded intents cached for auctions (default 8192)
  --max-open-per-owner <n>    anti-spam quota (default 64)
  --mesh-degree <n>           gossipsub mesh degree D (default 6)
  --verify-workers <n>        worker threads for signature recovery (default 0: main thread)
  --ip-colocation             enable gossipsub's IP colocation score penalty (off by default)
  --no-ip-colocation          disable it (the default; kept for old scripts)
  --max-connections-per-ip <n> inbound connections from one IP (default 32)
  --peer-message-rate <n>     gossip messages per second per peer before it pays (default 1000)
  --peer-ignore-budget <n>    ignored messages per peer per 10 s before it pays (default 200)
  --log-level <level>         pino level (default info)`;

export class ConfigError extends Error {}

export function parseCli(argv: string[]): NodeConfig {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      listen: { type: 'string', multiple: true },
      bootstrap: { type: 'string', multiple: true },
      'rpc-url': { type: 'string' },
      settlement: { type: 'string' },
      'chain-id': { type: 'string' },
      'data-dir': { type: 'string' },
      'api-port': { type: 'string' },
      'api-host': { type: 'string' },
      'auction-interval-ms': { type: 'string' },
      'auction-retain': { type: 'string' },
      'auction-decoded-cache': { type: 'string' },
      'max-open-per-owner': { type: 'string' },
      'no-ip-colocation': { type: 'boolean' },
      'ip-colocation': { type: 'boolean' },
      'max-connections-per-ip': { type: 'string' },
      'peer-message-rate': { type: 'string' },
      'peer-ignore-budget': { type: 'string' },
      'verify-workers': { type: 'string' },
      'mesh-degree': { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) throw new ConfigError(USAGE);
  let file: Partial<NodeConfig> = {};
  if (values.config) file = JSON.parse(readFileSync(values.config, 'utf8')) as Partial<NodeConfig>;
  const int = (name: string, s: string | undefined): number | undefined => {
    if (s === undefined) return undefined;
    const n = Number(s);
    if (!Number.isSafeInteger(n) || n < 0) throw new ConfigError(`--${name} must be a non-negative integer, got ${s}`);
    return n;
  };
  const merged: Partial<NodeConfig> = { ...file };
  if (values.listen) merged.listen = values.listen;
  if (values.bootstrap) merged.bootstrap = values.bootstrap;
  if (values['rpc-url']) merged.rpcUrl = values['rpc-url'];
  if (values.settlement) merged.settlement = values.settlement as Address;
  if (values['chain-id']) merged.chainId = int('chain-id', values['chain-id']);
  if (values['data-dir']) merged.dataDir = values['data-dir'];
  if (values['api-port'] !== undefined) merged.apiPort = int('api-port', values['api-port']);
  if (values['api-host']) merged.apiHost = values['api-host'];
  if (values['auction-interval-ms']) merged.auctionIntervalMs = int('auction-interval-ms', values['auction-interval-ms']);
  if (values['auction-retain']) merged.auctionRetain = int('auction-retain', values['auction-retain']);
  if (values['auction-decoded-cache']) merged.auctionDecodedCache = int('auction-decoded-cache', values['auction-decoded-cache']);
  if (values['max-open-per-owner']) merged.maxOpenPerOwner = int('max-open-per-owner', values['max-open-per-owner']);
  if (values['mesh-degree']) merged.meshDegree = int('mesh-degree', values['mesh-degree']);
  if (values['verify-workers']) merged.verifyWorkers = int('verify-workers', values['verify-workers']);
  if (values['ip-colocation']) merged.ipColocationPenalty = true;
  if (values['no-ip-colocation']) merged.ipColocationPenalty = false;
  if (values['max-connections-per-ip']) merged.maxConnectionsPerIp = int('max-connections-per-ip', values['max-connections-per-ip']);
  if (values['peer-message-rate']) merged.peerMessageRate = int('peer-message-rate', values['peer-message-rate']);
  if (values['peer-ignore-budget']) merged.peerIgnoreBudget = int('peer-ignore-budget', values['peer-ignore-budget']);
  if (values['log-level']) merged.logLevel = values['log-level'] as NodeConfig['logLevel'];
  if (merged.chainId === undefined) throw new ConfigError(`--chain-id is required\n${USAGE}`);
  if (!merged.settlement || !/^0x[0-9a-fA-F]{40}$/.test(merged.settlement)) throw new ConfigError(`--settlement must be a 20-byte hex address\n${USAGE}`);
  if (!merged.dataDir) throw new ConfigError(`--data-dir is required\n${USAGE}`);
  return resolveConfig(merged as Partial<NodeConfig> & Pick<NodeConfig, 'chainId' | 'settlement' | 'dataDir'>);
}
