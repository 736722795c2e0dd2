// npm start: the whole network on this machine, with traffic, until Ctrl-C.
//
//   npm start -- [--data-dir .devnet] [--auction-interval-ms 2000] [--rate 2] [--wallets 20]
//                [--rpc-url http://…] [--deployment deployment.json] [--bootstrap /ip4/…/p2p/…]
//                [--no-traffic] [--no-feeder] [--log-level info] [--config devnet.json]
//
// `--help` lists every flag and its default (the same flag vocabulary as the node and the solver,
// cli/program.ts); usage errors exit 2.
// stdout: a banner (addresses, nodes' API URLs and peer ids, solvers, log files) and a one-line
// summary every few seconds. Everything else is pino JSON lines in <data-dir>/logs/*.log
// (devnet.log for this process, nodeN.log and solver-*.log for the children).
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { z } from 'zod';
import { type CliSpec, common, exitOnCliError, parseCommandLine, readJsonFile } from '../node/cli/program.ts';
import { address, bool, int, type LogLevel, oneOf, path, positive } from '../node/cli/values.ts';
import { startNetwork, type Network } from './network.ts';
import { NodeApi } from '../protocol/client.ts';
import { fundWallets, makeMix, makeWallets, optionReader, positionReader, readPrices, submit, type Prices } from './traffic.ts';
import { rng } from './rng.ts';

// The devnet waits for each node's ready line, which 'silent' would hide.
const DEVNET_LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
const LEVEL_RANK: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

const devnetCli: CliSpec = {
  name: 'npm start --',
  summary: 'Run the whole network on this machine (anvil, contracts, three nodes, two solvers, a price feeder, traffic) until Ctrl-C.',
  fields: [
    common.dataDir('where logs, node databases and deployment.json go; wiped unless --keep', { default: '.devnet' }),
    { key: 'keep', flag: 'keep', kind: bool, help: 'keep an existing data dir (node pools, peer keys)', default: false },
    common.auctionIntervalMs(2000),
    { key: 'rate', flag: 'rate', kind: positive(0, 'n'), help: 'intents per second from the traffic generator', default: 2 },
    { key: 'wallets', flag: 'wallets', kind: int(1, 1000), help: 'traffic wallets', default: 20 },
    { key: 'lifetime', flag: 'lifetime', kind: int(1, 30 * 24 * 3600, 's'), help: "intents' validity in seconds", default: 60 },
    common.rpcUrl(
      "use this chain instead of an embedded anvil (its first accounts must be funded dev keys: anvil's mnemonic)",
      'an embedded anvil',
    ),
    {
      key: 'deployment',
      flag: 'deployment',
      kind: path('file'),
      help: 'use these existing contracts (a deployment.json from an earlier run)',
      defaultText: 'deploy them',
    },
    common.bootstrap('also bootstrap the first node from this peer'),
    { key: 'traffic', flag: 'no-traffic', kind: bool, help: 'leave out the traffic generator', default: true },
    { key: 'feeder', flag: 'no-feeder', kind: bool, help: 'leave out the price feeder', default: true },
    common.logLevel(
      "level of devnet.log and of the nodes' logs (solvers log at info at least: the devnet waits for their attach line)",
      'info',
      oneOf(DEVNET_LOG_LEVELS, 'level'),
    ),
  ],
};

type Options = {
  dataDir: string;
  keep: boolean;
  auctionIntervalMs: number;
  rate: number;
  wallets: number;
  lifetime: number;
  rpcUrl?: string;
  deployment?: string;
  bootstrap: string[];
  traffic: boolean;
  feeder: boolean;
  logLevel: Exclude<LogLevel, 'silent'>;
};

function options(): Options {
  const o = parseCommandLine(devnetCli, process.argv.slice(2)) as Options;
  // a usage error (exit 2) rather than a failure half-way through the start
  if (o.deployment) readJsonFile('--deployment', o.deployment, z.looseObject({ chainId: int(1).schema, settlement: address.schema }));
  return { ...o, dataDir: resolve(o.dataDir) };
}

const fmt = (n: number, d = 2): string => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

function summary(net: Network, started: number, prices: Prices | undefined, auctionsSeen: number): string {
  const t = net.tracker;
  let filled = 0,
    swaps = 0,
    positions = 0,
    options = 0,
    open = 0,
    expired = 0,
    refused = 0,
    surplus = 0;
  const now = Date.now() / 1000;
  for (const x of t.tracked.values()) {
    if (!x.accepted) {
      refused++;
      continue;
    }
    if (t.isFilled(x)) {
      filled++;
      if (x.made.kind === 'swap') swaps++;
      else if (x.made.kind === 'position') positions++;
      else options++;
    } else if (x.made.signed.intent.validTo < now) expired++;
    else open++;
    surplus += t.surplusUsd(x);
  }
  const wins = net.solvers.map((s) => `${s.strategy} ${t.settled.filter((e) => e.solver === s.address).length}`).join(', ');
  const marks = prices
    ? net.deployment.markets.map((m) => `${m.symbol} ${fmt(Number(prices.marks.get(m.id) ?? 0n) / 1e18)}`).join(' ')
    : '';
  const el = Math.round((Date.now() - started) / 1000);
  return `[${String(el).padStart(4)}s] auctions ${auctionsSeen}, batches settled ${t.settled.length} | intents ${t.tracked.size}: filled ${filled} (${swaps} swaps, ${positions} positions, ${options} options), open ${open}, expired ${expired}${refused ? `, refused ${refused}` : ''} | surplus $${fmt(surplus)} | wins: ${wins} | ${marks}`;
}

async function main(): Promise<void> {
  let o: Options;
  try {
    o = options();
  } catch (e) {
    if (exitOnCliError(e)) return;
    throw e;
  }
  if (!o.keep) rmSync(o.dataDir, { recursive: true, force: true });
  mkdirSync(join(o.dataDir, 'logs'), { recursive: true });
  const log = pino(
    { name: 'devnet', level: o.logLevel, base: { pid: process.pid } },
    pino.destination({ dest: join(o.dataDir, 'logs', 'devnet.log'), sync: true }),
  );
  const say = (s: string): void => void process.stdout.write(`${s}\n`);
  say(`intent solver network: starting (logs in ${join(o.dataDir, 'logs')})`);
  const started = Date.now();
  let net: Network | undefined;
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    say(`\n${signal}: stopping every process…`);
    log.info({ event: 'shutdown', signal });
    void (net ? net.stop() : Promise.resolve()).then(
      () => {
        say('stopped.');
        process.exit(0);
      },
      (e: Error) => {
        log.error({ event: 'shutdown_failed', err: e.message });
        process.exit(1);
      },
    );
  };
  // installed before anvil starts and re-installed after: ours is the only handler
  const install = (): void => {
    for (const s of ['SIGINT', 'SIGTERM'] as const) {
      process.removeAllListeners(s);
      process.on(s, () => shutdown(s));
    }
  };
  install();
  net = await startNetwork({
    dataDir: o.dataDir,
    log,
    auctionIntervalMs: o.auctionIntervalMs,
    feederMs: o.feeder ? 2000 : 0,
    bootstrap: o.bootstrap,
    nodeLogLevel: o.logLevel,
    solverLogLevel: LEVEL_RANK[o.logLevel]! < LEVEL_RANK.info! ? o.logLevel : 'info',
    ...(o.rpcUrl ? { rpcUrl: o.rpcUrl } : {}),
    ...(o.deployment ? { deploymentFile: o.deployment } : {}),
    onStep: (m) => {
      install();
      say(`  ${m}`);
    },
  });
  install();
  if (stopping) return;
  const d = net.deployment;
  say('');
  say(`chain ${d.chainId} at ${net.rpcUrl}`);
  say(`  Settlement ${d.settlement}  Vault ${d.vault}  ClearingHouse ${d.clearingHouse}`);
  say(`  tokens DAI ${d.tokens.dai} USDC ${d.tokens.usdc} WBTC ${d.tokens.wbtc} WETH ${d.tokens.weth}`);
  say(`  pools ${d.pools.map((p) => `${p.kind} ${p.address}`).join(', ')}`);
  say(`  oracle feeds ${d.markets.map((m) => `${m.symbol}-PERP (market ${m.id}) ${d.feeds[String(m.id)]}`).join(', ')}`);
  if (d.circuitBreaker) say(`  circuit breaker ${d.circuitBreaker}`);
  if (d.volatilityFeed || d.optionSeries)
    say(`  options: VolatilityFeed ${d.volatilityFeed ?? '-'}  OptionSeries ${d.optionSeries ?? '-'}`);
  if (d.optionVault) say(`  options vault ${d.optionVault} (OptionVault: quotes option intents, hedges on the perps)`);
  if (d.timelock)
    say(
      `  governance: Timelock ${d.timelock} owns Settlement, ClearingHouse, PerpVault, the breaker and the options contracts; admin ${d.governanceAdmin}, delay ${Number(d.timelockDelay) / 3600} h`,
    );
  for (const n of net.nodes) say(`node${n.index + 1}  ${n.api}  peer ${n.peerId}  ${n.listen.join(' ')}`);
  for (const s of net.solvers) say(`solver ${s.strategy.padEnd(8)} ${s.address} attached to node${s.node + 1}`);
  say(`deployment: ${join(o.dataDir, 'deployment.json')}   try: curl -s ${net.nodes[0]!.api}/v1/auction`);
  say(`dashboard: ${net.nodes.map((n) => `${n.api}/`).join('  ')}   trade: ${net.nodes[0]!.api}/trade   (open in a browser)`);

  let prices: Prices | undefined = await readPrices(net.clients, d).catch(() => undefined);
  if (o.traffic) {
    const wallets = makeWallets(`devnet-${Date.now()}`, o.wallets);
    say(`funding ${o.wallets} wallets (ether, DAI, USDC, WBTC, Vault approvals, DAI margin)…`);
    await fundWallets(net.clients, d, wallets);
    say(`traffic: ${o.rate} intents/s (swaps, positions and options) round-robin over ${net.nodes.length} nodes; Ctrl-C stops everything`);
    const random = rng(Date.now() & 0xffffffff);
    const positionOf = positionReader(net.clients, d);
    const optionOf = d.optionBook ? optionReader(net.clients, d.optionBook) : undefined;
    const nodeApi = new NodeApi(net.nodes[0]!.api);
    let k = 0;
    const tickMs = 1000;
    const traffic = async (): Promise<void> => {
      while (!stopping) {
        const t0 = Date.now();
        try {
          prices = await readPrices(net!.clients, d);
          const block = await net!.clients.publicClient.getBlock();
          // the live series as the node prices them (model premium at the mark and the surface)
          const series = await nodeApi.optionSeries().catch(() => undefined);
          const made = await makeMix(d, wallets, prices, {
            n: Math.max(1, Math.round((o.rate * tickMs) / 1000)),
            positionShare: 0.35,
            validTo: Number(block.timestamp) + o.lifetime,
            random,
            positionOf,
            ...(series?.available && optionOf ? { optionShare: 0.1, series: series.series, optionOf } : {}),
          });
          await Promise.all(
            made.map(async (m) => {
              const node = k++ % net!.nodes.length;
              const at = Date.now();
              const r = await submit(net!.nodes[node]!.api, m);
              const accepted = r.status === 201 || r.status === 200;
              net!.tracker.track(m, node, at, accepted, r.code);
              log.info({ event: 'intent_submitted', id: m.id, kind: m.kind, node: node + 1, status: r.status, code: r.code });
            }),
          );
        } catch (e) {
          log.warn({ event: 'traffic_failed', err: (e as Error).message.split('\n')[0] });
        }
        await new Promise((r) => setTimeout(r, Math.max(0, tickMs - (Date.now() - t0))));
      }
    };
    void traffic();
  }
  // live summary
  const firstAuction = Math.floor(Date.now() / o.auctionIntervalMs);
  const timer = setInterval(() => {
    if (stopping) return;
    const auctions = Math.floor(Date.now() / o.auctionIntervalMs) - firstAuction;
    say(summary(net!, started, prices, auctions));
    log.info({ event: 'summary', settled: net!.tracker.settled.length, tracked: net!.tracker.tracked.size });
  }, 5000);
  timer.unref();
  // keep the process alive until a signal
  setInterval(() => undefined, 1 << 30);
}

main().catch((e: Error) => {
  process.stderr.write(`npm start failed: ${e.stack ?? e.message}\n`);
  process.exit(1);
});
