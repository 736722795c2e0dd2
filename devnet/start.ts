// npm start: the whole network on this machine, with traffic, until Ctrl-C.
//
//   npm start -- [--data-dir .devnet] [--auction-interval-ms 2000] [--rate 2] [--wallets 20]
//                [--rpc-url http://…] [--deployment deployment.json] [--bootstrap /ip4/…/p2p/…]
//                [--no-traffic] [--no-feeder] [--config devnet.json]
//
// stdout: a banner (addresses, nodes' API URLs and peer ids, solvers, log files) and a one-line
// summary every few seconds. Everything else is pino JSON lines in <data-dir>/logs/*.log
// (devnet.log for this process, nodeN.log and solver-*.log for the children).
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { startNetwork, type Network } from './network.ts';
import { fundWallets, makeMix, makeWallets, readPrices, rng, submit, type Prices } from './traffic.ts';

const HELP = `npm start -- [options]
  --data-dir <dir>             where logs, node databases, deployment.json go (default .devnet; wiped unless --keep)
  --keep                       keep an existing data dir (node pools, peer keys)
  --auction-interval-ms <n>    auction window (default 2000)
  --rate <n>                   intents per second from the traffic generator (default 2)
  --wallets <n>                traffic wallets (default 20)
  --lifetime <s>               intents' validity (default 60)
  --rpc-url <url>              use this chain instead of an embedded anvil
  --deployment <file>          use these existing contracts (a deployment.json from an earlier run)
  --bootstrap <multiaddr>      also bootstrap the first node from this peer (repeatable)
  --no-traffic, --no-feeder    leave out the traffic generator / price feeder
  --config <file.json>         any of the above as JSON (camelCase keys); flags win`;

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
};

function options(): Options {
  const { values } = parseArgs({
    options: {
      'data-dir': { type: 'string' },
      keep: { type: 'boolean' },
      'auction-interval-ms': { type: 'string' },
      rate: { type: 'string' },
      wallets: { type: 'string' },
      lifetime: { type: 'string' },
      'rpc-url': { type: 'string' },
      deployment: { type: 'string' },
      bootstrap: { type: 'string', multiple: true },
      'no-traffic': { type: 'boolean' },
      'no-feeder': { type: 'boolean' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const file = values.config ? (JSON.parse(readFileSync(values.config, 'utf8')) as Partial<Options>) : {};
  const num = (s: string | undefined, d: number | undefined, fallback: number): number => (s !== undefined ? Number(s) : (d ?? fallback));
  return {
    dataDir: resolve(values['data-dir'] ?? file.dataDir ?? '.devnet'),
    keep: values.keep ?? file.keep ?? false,
    auctionIntervalMs: num(values['auction-interval-ms'], file.auctionIntervalMs, 2000),
    rate: num(values.rate, file.rate, 2),
    wallets: num(values.wallets, file.wallets, 20),
    lifetime: num(values.lifetime, file.lifetime, 60),
    ...(values['rpc-url'] ?? file.rpcUrl ? { rpcUrl: (values['rpc-url'] ?? file.rpcUrl)! } : {}),
    ...(values.deployment ?? file.deployment ? { deployment: (values.deployment ?? file.deployment)! } : {}),
    bootstrap: values.bootstrap ?? file.bootstrap ?? [],
    traffic: !(values['no-traffic'] ?? false) && (file.traffic ?? true),
    feeder: !(values['no-feeder'] ?? false) && (file.feeder ?? true),
  };
}

const fmt = (n: number, d = 2): string => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

function summary(net: Network, started: number, prices: Prices | undefined, auctionsSeen: number): string {
  const t = net.tracker;
  let filled = 0, swaps = 0, positions = 0, open = 0, expired = 0, refused = 0, surplus = 0;
  const now = Date.now() / 1000;
  for (const x of t.tracked.values()) {
    if (!x.accepted) {
      refused++;
      continue;
    }
    if (t.isFilled(x)) {
      filled++;
      if (x.made.kind === 'swap') swaps++;
      else positions++;
    } else if (x.made.signed.intent.validTo < now) expired++;
    else open++;
    surplus += t.surplusUsd(x);
  }
  const wins = net.solvers.map((s) => `${s.strategy} ${t.settled.filter((e) => e.solver === s.address).length}`).join(', ');
  const marks = prices ? net.deployment.markets.map((m) => `${m.symbol} ${fmt(Number(prices.marks.get(m.id) ?? 0n) / 1e18)}`).join(' ') : '';
  const el = Math.round((Date.now() - started) / 1000);
  return `[${String(el).padStart(4)}s] auctions ${auctionsSeen}, batches settled ${t.settled.length} | intents ${t.tracked.size}: filled ${filled} (${swaps} swaps, ${positions} positions), open ${open}, expired ${expired}${refused ? `, refused ${refused}` : ''} | surplus $${fmt(surplus)} | wins: ${wins} | ${marks}`;
}

async function main(): Promise<void> {
  const o = options();
  if (!o.keep) rmSync(o.dataDir, { recursive: true, force: true });
  mkdirSync(join(o.dataDir, 'logs'), { recursive: true });
  const log = pino({ name: 'devnet', base: { pid: process.pid } }, pino.destination({ dest: join(o.dataDir, 'logs', 'devnet.log'), sync: true }));
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
  if (d.timelock) say(`  governance: Timelock ${d.timelock} owns Settlement and ClearingHouse; admin ${d.governanceAdmin}, delay ${Number(d.timelockDelay) / 3600} h`);
  for (const n of net.nodes) say(`node${n.index + 1}  ${n.api}  peer ${n.peerId}  ${n.listen.join(' ')}`);
  for (const s of net.solvers) say(`solver ${s.strategy.padEnd(8)} ${s.address} attached to node${s.node + 1}`);
  say(`deployment: ${join(o.dataDir, 'deployment.json')}   try: curl -s ${net.nodes[0]!.api}/v1/auction`);
  say(`dashboard: ${net.nodes.map((n) => `${n.api}/`).join("  ")}   (open one in a browser)`);

  let prices: Prices | undefined = await readPrices(net.clients, d).catch(() => undefined);
  if (o.traffic) {
    const wallets = makeWallets(`devnet-${Date.now()}`, o.wallets);
    say(`funding ${o.wallets} wallets (ether, DAI, USDC, WBTC, Vault approvals, DAI margin)…`);
    await fundWallets(net.clients, d, wallets);
    say(`traffic: ${o.rate} intents/s (swaps and positions) round-robin over ${net.nodes.length} nodes; Ctrl-C stops everything`);
    const random = rng(Date.now() & 0xffffffff);
    let k = 0;
    const tickMs = 1000;
    const traffic = async (): Promise<void> => {
      while (!stopping) {
        const t0 = Date.now();
        try {
          prices = await readPrices(net!.clients, d);
          const block = await net!.clients.publicClient.getBlock();
          const made = await makeMix(d, wallets, prices, { n: Math.max(1, Math.round((o.rate * tickMs) / 1000)), positionShare: 0.35, validTo: Number(block.timestamp) + o.lifetime, random });
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

