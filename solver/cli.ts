// Solver CLI:
//   npm run solver -- --strategy optimal --node-url http://127.0.0.1:9545 --rpc-url http://127.0.0.1:8545 \
//     --pools pools.json [--key 0x… | SOLVER_KEY=0x…] [--poll-ms 500] [--bond] [--max-simulations 12]
//     [--publish-margin-ms 250] [--batch-gas-share-bps 5000] [--quote-port 0] [--quote-host 127.0.0.1]
// --bond: bond Settlement.minBond from the key first when it is not a bonded solver yet.
// --max-simulations: settle simulations per auction spent isolating intents that make it revert.
// --publish-margin-ms: the whole pipeline (solve, simulate, isolate, sign, publish) ends this long
// before the auction's solve deadline. --batch-gas-share-bps: share of the block gas limit a batch
// may use (nodes refuse solutions above it; protocol/batch-gas.ts). --quote-port: serve POST
// /v1/quote (driver/quote-server.ts) for nodes' --quoter; 0 (default) = no quote server. Option
// quotes (driver/quote-option.ts) are answered against the --option-vault, refused without one.
// pools.json: [{ "kind": "uniswapV2" | "uniswapV3" | "stableSwap", "address": "0x…" }, …]
// (or repeat --pool kind:0xaddress). The key must be a bonded solver of the node's Settlement.
// `--help` lists every flag and its default; usage errors (bad flag, value, pools or config file) exit 2.
import pino from 'pino';
import { createPublicClient, createWalletClient, defineChain, http, isAddress, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { z } from 'zod';
import { type CliSpec, common, exitOnCliError, parseCommandLine, readJsonFile } from '../node/cli/program.ts';
import { address, bool, fileOnly, httpUrl, int, type Kind, type LogLevel, oneOf, path, privateKey, text } from '../node/cli/values.ts';
import type { PoolKind, PoolSpec } from './infra/pool-reader.ts';
import { SolverProcess } from './driver/solver-process.ts';
import { startQuoteServer } from './driver/quote-server.ts';
import { OptionQuoter } from './driver/quote-option.ts';
import { readOptionContracts } from './infra/option-state.ts';
import { NodeApi } from '../protocol/client.ts';
import type { Strategy } from './domain/options.ts';
import { DEFAULT_BATCH_GAS_SHARE_BPS } from '../protocol/batch-gas.ts';

const POOL_KINDS = ['uniswapV2', 'uniswapV3', 'stableSwap'] as const satisfies readonly PoolKind[];
const poolSpec = z.strictObject({
  kind: z.enum(POOL_KINDS, { error: `expected one of ${POOL_KINDS.join(', ')}` }),
  address: address.schema,
});
const pools = z.array(poolSpec, { error: 'expected a list of {"kind": ..., "address": ...}' });
/** --pool kind:0xaddress */
const poolFlag: Kind<string> = {
  schema: z.custom<string>(
    (v) => {
      if (typeof v !== 'string') return false;
      const [kind, addr, ...rest] = v.split(':');
      return rest.length === 0 && (POOL_KINDS as readonly string[]).includes(kind ?? '') && isAddress(addr ?? '', { strict: true });
    },
    { error: `expected kind:address with kind one of ${POOL_KINDS.join(', ')}` },
  ),
  fromString: (s) => s,
  expected: `kind:address with kind one of ${POOL_KINDS.join(', ')}`,
  placeholder: 'kind:address',
};

const solverCli: CliSpec = {
  name: 'npm run solver --',
  summary: "Run a solver: poll a node's auctions, solve them against on-chain liquidity, and settle the batches it wins.",
  fields: [
    { key: 'strategy', flag: 'strategy', kind: oneOf(['baseline', 'optimal']), help: 'solving strategy', default: 'optimal' },
    { key: 'nodeUrl', flag: 'node-url', kind: httpUrl, help: "the node's HTTP API", required: true },
    { ...common.rpcUrl('JSON-RPC endpoint of the chain the node settles on'), required: true },
    {
      key: 'key',
      flag: 'key',
      kind: privateKey,
      help: "the solver's private key (bonded in the node's Settlement, or see --bond)",
      env: 'SOLVER_KEY',
      required: true,
    },
    {
      key: 'poolsFile',
      flag: 'pools',
      kind: path('file'),
      help: 'JSON file of pools: [{"kind": "uniswapV2" | "uniswapV3" | "stableSwap", "address": "0x…"}, …]',
    },
    { key: 'pool', flag: 'pool', kind: poolFlag, many: true, help: 'one more pool', default: [] },
    { key: 'pools', kind: fileOnly(pools, 'a list of {"kind", "address"}'), help: 'pools, as in a --pools file' },
    { key: 'pollMs', flag: 'poll-ms', kind: int(10, 600_000, 'ms'), help: 'auction polling interval', default: 500 },
    {
      key: 'bond',
      flag: 'bond',
      kind: bool,
      help: 'bond Settlement.minBond from the key first when it is not a bonded solver yet',
      default: false,
    },
    {
      key: 'perpVault',
      flag: 'perp-vault',
      kind: address,
      help: "a perp liquidity vault (PerpVault) to take the markets' net remainders against",
    },
    {
      key: 'optionVault',
      flag: 'option-vault',
      kind: address,
      help: "an options vault (IOptionLiquiditySource) to take the option series' unmatched remainders against",
    },
    {
      key: 'perpVaultMarginBps',
      flag: 'perp-vault-margin-bps',
      kind: int(0, 1000, 'bps'),
      help: "added to the vault's spread so its quote still holds after an oracle round before the batch lands",
      default: 50,
    },
    {
      key: 'maxSimulations',
      flag: 'max-simulations',
      kind: int(1, 1000),
      help: 'settle simulations per auction spent isolating intents that make a batch revert',
      default: 12,
    },
    {
      key: 'publishMarginMs',
      flag: 'publish-margin-ms',
      kind: int(0, 60_000, 'ms'),
      help: "publish this long before the auction's solve deadline at the latest (the solve's budget is what is left)",
      default: 250,
    },
    {
      key: 'batchGasShareBps',
      flag: 'batch-gas-share-bps',
      kind: int(1, 10_000, 'bps'),
      help: 'share of the block gas limit one batch may use (nodes refuse solutions above it)',
      default: DEFAULT_BATCH_GAS_SHARE_BPS,
    },
    {
      key: 'quotePort',
      flag: 'quote-port',
      kind: int(0, 65535, 'port'),
      help: "serve POST /v1/quote (quotes from this solver's engine, for nodes' --quoter) on this port; 0 = off",
      default: 0,
    },
    {
      key: 'quoteHost',
      flag: 'quote-host',
      kind: text('a host name or IP address', 'host'),
      help: 'bind address of the quote server',
      default: '127.0.0.1',
    },
    common.logLevel(),
  ],
};

type SolverArgs = {
  strategy: Strategy;
  nodeUrl: string;
  rpcUrl: string;
  key: Hex;
  poolsFile?: string;
  pool: string[];
  pools?: PoolSpec[];
  pollMs: number;
  bond: boolean;
  maxSimulations: number;
  perpVault?: Address;
  perpVaultMarginBps: number;
  optionVault?: Address;
  publishMarginMs: number;
  batchGasShareBps: number;
  quotePort: number;
  quoteHost: string;
  logLevel: LogLevel;
};

async function main(): Promise<void> {
  let a: SolverArgs;
  let specs: PoolSpec[];
  try {
    a = parseCommandLine(solverCli, process.argv.slice(2)) as SolverArgs;
    specs = [
      ...(a.poolsFile ? readJsonFile('--pools', a.poolsFile, pools) : []),
      ...(a.pools ?? []),
      ...a.pool.map((p) => {
        const [kind, address] = p.split(':') as [PoolKind, Address];
        return { kind, address };
      }),
    ];
  } catch (e) {
    if (exitOnCliError(e)) return;
    throw e;
  }
  const { strategy, key, maxSimulations } = a;

  const log = pino({ name: 'solver', level: a.logLevel });
  const transport = http(a.rpcUrl, { retryCount: 2 });
  const probe = createPublicClient({ transport });
  const chainId = await probe.getChainId();
  const chain = defineChain({
    id: chainId,
    name: `chain-${chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [a.rpcUrl] } },
  });
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 250 });
  const wallet = createWalletClient({ chain, transport, account: privateKeyToAccount(key) });
  const solver = new SolverProcess({
    strategy,
    privateKey: key,
    nodeUrl: a.nodeUrl.replace(/\/$/, ''),
    publicClient,
    wallet,
    pools: specs,
    log,
    pollMs: a.pollMs,
    bond: a.bond,
    maxSimulations,
    publishMarginMs: a.publishMarginMs,
    batchGasShareBps: a.batchGasShareBps,
    ...(a.perpVault ? { perpVault: a.perpVault, perpVaultMargin: BigInt(a.perpVaultMarginBps) * 10n ** 14n } : {}),
    ...(a.optionVault ? { optionVault: a.optionVault } : {}),
  });
  await solver.init();
  let quotes: Awaited<ReturnType<typeof startQuoteServer>> | undefined;
  if (a.quotePort > 0) {
    // the Settlement the solver attached to (init checked the node's health), and its option book
    const { settlement } = await new NodeApi(a.nodeUrl.replace(/\/$/, '')).health();
    const options = new OptionQuoter({
      publicClient,
      contracts: await readOptionContracts(publicClient, settlement),
      vault: a.optionVault,
      settlement,
      solver: solver.address,
    });
    const quoter = { quote: solver.quote.bind(solver), quoteOption: options.quote.bind(options) };
    quotes = await startQuoteServer(quoter, { port: a.quotePort, host: a.quoteHost, log });
  }
  if (quotes) log.info({ event: 'quote_listening', url: quotes.url });
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      solver.stop();
      void quotes?.close();
    });
  await solver.run();
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(1);
});
