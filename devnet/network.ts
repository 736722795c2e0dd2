// The whole network on one machine: an embedded anvil (or an external chain), the contracts, three
// nodes (child processes) that find each other over libp2p, two competing solvers (child
// processes) that bond themselves, a price feeder, and a chain tracker. `npm start`
// (devnet/start.ts), the end-to-end test and bench:e2e all start from here.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Address } from 'viem';
import { startAnvil, type Anvil } from '../contracts/deploy/anvil.ts';
import { confirm, devnetClients, type DevnetClients } from '../contracts/deploy/clients.ts';
import { publishSurface } from '../contracts/deploy/options.ts';
import { setFeedPrice } from '../contracts/deploy/perp.ts';
import { circuitBreakerAbi } from '../contracts/artifacts/CircuitBreaker.ts';
import { devnetPriceFeedAbi } from '../contracts/artifacts/DevnetPriceFeed.ts';
import { deployAll, loadDeployment, type Deployment } from './deployment.ts';
import { freePorts, spawnChild, type Child } from './processes.ts';
import { DEVNET_BASE_VOL, devnetSurface, nextAtm, smileParams } from './vol-model.ts';
import { ChainTracker } from './tracker.ts';

export type NetworkOptions = {
  dataDir: string;
  log: Logger;
  /** External JSON-RPC endpoint; default: start an embedded anvil. Its first accounts must be funded dev keys (anvil's mnemonic) unless contracts exist. */
  rpcUrl?: string;
  /** Existing deployment (JSON written by an earlier run: <dataDir>/deployment.json); default: deploy. */
  deploymentFile?: string;
  /** Extra bootstrap peers for the first node (join an existing network). */
  bootstrap?: string[];
  nodes?: number;
  solvers?: ('baseline' | 'optimal')[];
  auctionIntervalMs?: number;
  /** Move oracle prices every this many ms (0 = no feeder). */
  feederMs?: number;
  /** Relative step of the feeder's random walk per tick. */
  feederStep?: number;
  /** --log-level of every node (default info). */
  nodeLogLevel?: string;
  /** --log-level of every solver (default info; the devnet waits for their info-level attach line). */
  solverLogLevel?: string;
  /** Called as each part comes up (for the banner). */
  onStep?: (msg: string) => void;
};

export type RunningNode = { index: number; api: string; peerId: string; listen: string[]; child: Child };
/** `quoteUrl`: the solver's POST /v1/quote endpoint (every node has it as a --quoter). */
export type RunningSolver = { strategy: string; address: Address; node: number; child: Child; quoteUrl: string };

export type Network = {
  rpcUrl: string;
  anvil?: Anvil;
  clients: DevnetClients;
  deployment: Deployment;
  nodes: RunningNode[];
  solvers: RunningSolver[];
  tracker: ChainTracker;
  auctionIntervalMs: number;
  logDir: string;
  stop(): Promise<void>;
};

/** A devnet node's command line (node/cli.ts flags); exported so a test can start a node exactly so. */
export function nodeArgs(o: {
  config: string;
  chainId: number;
  settlement: Address;
  dataDir: string;
  rpcUrl?: string;
  auctionIntervalMs: number;
  logLevel: string;
  bootstrap: string[];
  /** Solvers' quote endpoints (--quoter each). */
  quoters?: string[];
}): string[] {
  return [
    ...['--config', o.config],
    ...['--chain-id', String(o.chainId)],
    ...['--settlement', o.settlement],
    ...['--data-dir', o.dataDir],
    ...['--listen', '/ip4/127.0.0.1/tcp/0'],
    ...['--api-port', '0'],
    ...(o.rpcUrl ? ['--rpc-url', o.rpcUrl] : []),
    ...['--auction-interval-ms', String(o.auctionIntervalMs)],
    '--no-ip-colocation',
    ...['--log-level', o.logLevel],
    ...o.bootstrap.flatMap((b) => ['--bootstrap', b]),
    ...(o.quoters ?? []).flatMap((q) => ['--quoter', q]),
  ];
}

/** A devnet solver's command line (solver/cli.ts flags; the key goes in SOLVER_KEY, not on the command line). */
export function solverArgs(o: {
  strategy: string;
  nodeUrl: string;
  rpcUrl: string;
  pools: string;
  logLevel: string;
  perpVault?: string;
  /** The options vault, quoted for option intents peers leave unmatched (--option-vault). */
  optionVault?: string;
  /** Serve quotes on this port (--quote-port). */
  quotePort?: number;
}): string[] {
  return [
    ...(o.quotePort ? ['--quote-port', String(o.quotePort)] : []),
    ...(o.perpVault ? ['--perp-vault', o.perpVault] : []),
    ...(o.optionVault ? ['--option-vault', o.optionVault] : []),
    ...['--strategy', o.strategy],
    ...['--node-url', o.nodeUrl],
    ...['--rpc-url', o.rpcUrl],
    ...['--pools', o.pools],
    ...['--poll-ms', '200'],
    '--bond',
    ...['--log-level', o.logLevel],
  ];
}

/**
 * The devnet's breaker keeper (the feeder, after its price ticks): observes a market whose breaker
 * would trip now while no halt is recorded, and one whose recorded halt has ended, so halts and
 * resumes are on chain as events when they happen rather than at the market's next batch.
 */
export async function keepBreaker(
  clients: DevnetClients,
  breaker: Address,
  markets: readonly { id: number }[],
  wallet: ReturnType<DevnetClients['walletFor']>,
): Promise<void> {
  const read = { address: breaker, abi: circuitBreakerAbi } as const;
  const now = (await clients.publicClient.getBlock()).timestamp;
  for (const m of markets) {
    const [[halted], stored] = await Promise.all([
      clients.publicClient.readContract({ ...read, functionName: 'isHalted', args: [m.id] }),
      clients.publicClient.readContract({ ...read, functionName: 'haltedUntil', args: [m.id] }),
    ]);
    if (stored > now || !(halted || stored !== 0n)) continue;
    await confirm(clients.publicClient, wallet.writeContract({ ...read, functionName: 'observe', args: [m.id] }));
  }
}

/** The feeder publishes volatility surfaces every this many price ticks. */
const VOL_EVERY = 5;

export async function startNetwork(o: NetworkOptions): Promise<Network> {
  const step = o.onStep ?? (() => undefined);
  const logDir = join(o.dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const interval = o.auctionIntervalMs ?? 2000;
  const children: Child[] = [];
  let anvil: Anvil | undefined;
  let feederTimer: NodeJS.Timeout | undefined;
  let tracker: ChainTracker | undefined;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    clearTimeout(feederTimer);
    tracker?.stop();
    // solvers first (they submit bundles), then nodes, then the chain
    await Promise.all(children.filter((c) => c.name.startsWith('solver')).map((c) => c.stop(5000)));
    await Promise.all(children.filter((c) => !c.name.startsWith('solver')).map((c) => c.stop(8000)));
    await anvil?.stop();
    o.log.info({ event: 'network_stopped', processes: children.map((c) => ({ name: c.name, pid: c.pid })) });
  };
  try {
    let rpcUrl = o.rpcUrl;
    if (!rpcUrl) {
      anvil = await startAnvil({ accounts: 10 });
      rpcUrl = anvil.rpcUrl;
      o.log.info({ event: 'anvil_started', rpcUrl, pid: anvil.pid });
      step(`anvil ${rpcUrl} (pid ${anvil.pid})`);
    }
    const chainId = await (
      (await fetch(rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      }).then((r) => r.json())) as { result: string }
    ).result;
    const clients = devnetClients(rpcUrl, Number(chainId));
    const feeder = clients.accounts[3]!;
    let deployment: Deployment;
    if (o.deploymentFile) {
      deployment = loadDeployment(o.deploymentFile);
      if (deployment.chainId !== Number(chainId))
        throw new Error(`${o.deploymentFile} is for chain ${deployment.chainId}, the RPC is chain ${Number(chainId)}`);
      step(`contracts from ${o.deploymentFile}`);
    } else {
      const t0 = Date.now();
      deployment = await deployAll(clients, feeder);
      o.log.info({ event: 'deployed', ms: Date.now() - t0, ...deployment });
      step(`contracts deployed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    writeFileSync(join(o.dataDir, 'deployment.json'), JSON.stringify(deployment, null, 2));
    writeFileSync(join(o.dataDir, 'pools.json'), JSON.stringify(deployment.pools, null, 2));
    const nodeConfig = join(o.dataDir, 'node-config.json');
    writeFileSync(
      nodeConfig,
      JSON.stringify(
        {
          referencePrices: deployment.referencePrices,
          collateralToken: deployment.tokens.dai,
          ...(deployment.perpVault ? { perpVault: deployment.perpVault } : {}),
          ...(deployment.volatilityFeed ? { volatilityFeed: deployment.volatilityFeed } : {}),
          ...(deployment.optionSeries ? { optionSeries: deployment.optionSeries } : {}),
        },
        null,
        2,
      ),
    );

    tracker = new ChainTracker(clients.publicClient, deployment);
    await tracker.start();

    // Each solver's quote port is chosen now: the nodes start first and ask every solver for quotes
    // (a node lists a quoter that is not up yet as failed, and asks again on the next request).
    const strategies = o.solvers ?? ['baseline', 'optimal'];
    const quotePorts = await freePorts(strategies.length);
    const quoteUrls = quotePorts.map((p) => `http://127.0.0.1:${p}/v1/quote`);

    // Nodes: the first listens, the others bootstrap from the ones before them.
    const nodes: RunningNode[] = [];
    for (let k = 0; k < (o.nodes ?? 3); k++) {
      const bootstrap = [
        ...(k === 0 ? (o.bootstrap ?? []) : []),
        ...nodes.map((n) => n.listen.find((a) => a.includes('/p2p/'))!).filter(Boolean),
      ];
      const args = nodeArgs({
        config: nodeConfig,
        chainId: deployment.chainId,
        settlement: deployment.settlement,
        dataDir: join(o.dataDir, `node${k + 1}`),
        rpcUrl,
        auctionIntervalMs: interval,
        logLevel: o.nodeLogLevel ?? 'info',
        bootstrap,
        quoters: quoteUrls,
      });
      const child = spawnChild(`node${k + 1}`, 'node/cli.ts', args, { logDir, ready: (r) => r.event === 'ready' });
      children.push(child);
      const ready = await child.ready;
      const node: RunningNode = {
        index: k,
        api: ready.api as string,
        peerId: ready.peerId as string,
        listen: ready.listen as string[],
        child,
      };
      nodes.push(node);
      o.log.info({ event: 'node_up', node: k + 1, api: node.api, peerId: node.peerId, listen: node.listen, pid: child.pid });
      step(`node${k + 1} ${node.api} peer ${node.peerId}`);
    }
    // wait until every node sees at least one peer (gossip mesh forming)
    const deadline = Date.now() + 30_000;
    for (const n of nodes.length > 1 ? nodes : []) {
      for (;;) {
        const h = (await fetch(`${n.api}/health`)
          .then((r) => r.json())
          .catch(() => ({}))) as { peers?: number };
        if ((h.peers ?? 0) >= 1) break;
        if (Date.now() > deadline) throw new Error(`node ${n.api} found no peer within 30 s`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }

    // Solvers: anvil accounts 1 (bonded at deployment) and 2 (bonds itself), on different nodes.
    const solvers: RunningSolver[] = [];
    for (const [k, strategy] of strategies.entries()) {
      const account = clients.accounts[1 + k]!;
      const node = nodes[(k + 1) % nodes.length]!;
      const key = (account as unknown as { getHdKey(): { privateKey: Uint8Array } }).getHdKey().privateKey;
      const hexKey = `0x${Buffer.from(key).toString('hex')}`;
      const args = solverArgs({
        strategy,
        nodeUrl: node.api,
        rpcUrl,
        pools: join(o.dataDir, 'pools.json'),
        logLevel: o.solverLogLevel ?? 'info',
        ...(deployment.perpVault ? { perpVault: deployment.perpVault } : {}),
        ...(deployment.optionVault ? { optionVault: deployment.optionVault } : {}),
        quotePort: quotePorts[k]!,
      });
      const child = spawnChild(`solver-${strategy}`, 'solver/cli.ts', args, {
        logDir,
        env: { SOLVER_KEY: hexKey },
        ready: (r) => r.event === 'solver_attached',
      });
      children.push(child);
      await child.ready;
      solvers.push({ strategy, address: account.address.toLowerCase() as Address, node: node.index, child, quoteUrl: quoteUrls[k]! });
      o.log.info({ event: 'solver_up', strategy, address: account.address, node: node.api, pid: child.pid });
      step(`solver ${strategy} ${account.address} on node${node.index + 1}`);
    }

    // Price feeder: a small random walk on every market, pulled back towards its start; every
    // VOL_EVERY ticks it also publishes each market's volatility surface with its at-the-money vol
    // moved by its own walk (a publish costs ~240k gas, so not every tick).
    if ((o.feederMs ?? 2000) > 0) {
      const wallet = clients.walletFor(feeder);
      const start = new Map<number, bigint>();
      const atm = new Map<number, number>();
      let ticks = 0;
      const tick = async (): Promise<void> => {
        for (const m of deployment.markets) {
          const feed = deployment.feeds[String(m.id)]!;
          const [, answer] = await clients.publicClient.readContract({
            address: feed,
            abi: devnetPriceFeedAbi,
            functionName: 'latestRoundData',
          });
          if (!start.has(m.id)) start.set(m.id, answer);
          const s0 = Number(start.get(m.id)!);
          const x = Number(answer);
          const stepRel = (Math.random() * 2 - 1) * (o.feederStep ?? 0.002) + ((0.1 * (s0 - x)) / s0) * (o.feederStep ?? 0.002) * 10;
          const next = BigInt(Math.max(1, Math.round(x * (1 + stepRel))));
          await setFeedPrice(clients, feed, next, wallet);
        }
        if (deployment.circuitBreaker) await keepBreaker(clients, deployment.circuitBreaker, deployment.markets, wallet);
        if (deployment.volatilityFeed && ticks++ % VOL_EVERY === 0) {
          for (const m of deployment.markets) {
            const base = DEVNET_BASE_VOL[m.id] ?? 0.6;
            const level = nextAtm(atm.get(m.id) ?? base, base, 0.03);
            atm.set(m.id, level);
            await publishSurface(clients, deployment.volatilityFeed, BigInt(m.id), devnetSurface(smileParams(m.id, level)), wallet);
          }
        }
      };
      const loop = (): void => {
        feederTimer = setTimeout(() => {
          tick()
            .catch((e: Error) => o.log.warn({ event: 'feeder_failed', err: e.message.split('\n')[0] }))
            .finally(() => !stopped && loop());
        }, o.feederMs ?? 2000);
      };
      loop();
      step(`price feeder ${feeder.address} every ${(o.feederMs ?? 2000) / 1000} s (vol surfaces every ${VOL_EVERY} ticks)`);
    }
    return { rpcUrl, ...(anvil ? { anvil } : {}), clients, deployment, nodes, solvers, tracker, auctionIntervalMs: interval, logDir, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
