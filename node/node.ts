// The composition root: builds every part of a node from the configuration and a few injected
// dependencies, hands each part the small objects it works with (repositories, the pool, the
// metrics, a publish function, the chain client), and starts and stops them in order. No part
// imports this file; this is the only place that knows them all.
//
// Ordering guarantee: an intent is acknowledged (API) or relayed (gossip ACCEPT) only after the
// pool's fsync'd write of it has completed (IntentPool.add, IntentIntake, GossipRouter).
import type { Server } from 'node:http';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import type { Hex, PublicClient } from 'viem';
import type { SignedIntent } from '../protocol/intent.ts';
import { nativeRecoverer } from '../protocol/recover-native.ts';
import { nobleRecoverer, type Recoverer } from '../protocol/signature.ts';
import { cancelsTopic, intentsTopic, solutionsTopic } from '../protocol/topics.ts';
import { dashboardRoutes } from './api/dashboard.ts';
import { circuitBreakerRoutes } from './api/circuit-breaker.ts';
import { optionsRoutes } from './api/options.ts';
import { tradeRoutes } from './api/trade.ts';
import { listen, serve } from './api/http.ts';
import { apiRoutes } from './api/routes.ts';
import { ClientRate } from './api/client-rate.ts';
import { quoteRoutes } from './api/quotes.ts';
import { batchGasLimit } from '../protocol/batch-gas.ts';
import { AuctionClock, type AuctionOptions } from './auction/clock.ts';
import { ChainActivity } from './chain/activity.ts';
import { ViemChainChecker } from './chain/checker.ts';
import { createChainClient } from './chain/client.ts';
import { ChainWatcher, type WatcherOptions } from './chain/watcher.ts';
import type { NodeConfig } from './config.ts';
import { NodeDatabase } from './db/database.ts';
import { createHost, type Host } from './gossip/host.ts';
import { loadOrCreatePeerKey } from './gossip/peer-key.ts';
import { PeerBudget } from './gossip/peer-budget.ts';
import { GossipRouter, type HandlerVerdict } from './gossip/router.ts';
import { networkStatus } from './gossip/status.ts';
import { installSync } from './gossip/sync.ts';
import type { Logger } from './log.ts';
import { createMetrics, type NodeMetrics } from './metrics.ts';
import { BacklogEstimator, BacklogGate } from './pool/backlog.ts';
import { IntentCancels } from './pool/cancels.ts';
import { FairQueue } from './pool/fair-queue.ts';
import { IntentIntake } from './pool/intake.ts';
import { startPoolMaintenance } from './pool/maintenance.ts';
import { IntentPool } from './pool/pool.ts';
import type { IntentOutcome } from './pool/validator.ts';
import { IntentValidator } from './pool/validator.ts';
import { fastRecoverer } from './verify/fast-hash.ts';
import { WorkerVerifier } from './verify/workers.ts';

/** `manual`: the node does not run the part's loop; the caller drives tick() / poll() (tests). */
type Driven<T> = Partial<T> & { manual?: boolean };

const manual = (o: Driven<unknown> | false | undefined): boolean => o !== false && o?.manual === true;

export type NodeDeps = {
  log: Logger;
  /** Signature recovery; default native libsecp256k1 when it loads, else @noble/curves. */
  recoverer?: Recoverer;
  /** The chain client; default one over config.rpcUrl, none without it. */
  publicClient?: PublicClient;
  /** Unix-seconds clock of validation and expiry (tests). */
  now?: () => number;
  /** Auction options over the configured ones; false: no auctions (their routes answer 503). */
  auction?: Driven<AuctionOptions> | false;
  /** Chain watcher options (with a chain client only); false: no watcher. */
  watcher?: Driven<WatcherOptions> | false;
  /** Observes every gossip verdict (tests, benches). */
  onGossipVerdict?: (topic: string, peer: string, outcome: HandlerVerdict) => void;
};

export class IntentNode {
  readonly config: NodeConfig;
  readonly log: Logger;
  readonly metrics: NodeMetrics;
  readonly db: NodeDatabase;
  readonly pool: IntentPool;
  readonly queue: FairQueue;
  /** What each peer may cost before it pays in score (rate, ignored messages, bad sync frames). */
  readonly budget: PeerBudget;
  readonly validator: IntentValidator;
  /** Backpressure: the open pool against the settle capacity (node/pool/backlog.ts). */
  readonly backlog: BacklogGate;
  readonly intake: IntentIntake;
  readonly cancels: IntentCancels;
  readonly intentsTopic: string;
  readonly solutionsTopic: string;
  readonly cancelsTopic: string;
  /** On-chain checks and the bond check; present with a chain client. */
  readonly chain?: ViemChainChecker;
  readonly auction?: AuctionClock;
  readonly watcher?: ChainWatcher;
  /** The libp2p host, once started. */
  host!: Host;
  /** Base URL of the HTTP API once started. */
  apiUrl = '';
  private readonly deps: NodeDeps;
  private readonly client?: PublicClient;
  private readonly workers?: WorkerVerifier;
  private api?: Server;
  private stopMaintenance?: () => void;

  constructor(config: NodeConfig, deps: NodeDeps) {
    this.config = config;
    this.deps = deps;
    this.log = deps.log;
    this.metrics = createMetrics(new Registry());
    this.intentsTopic = intentsTopic(config.chainId);
    this.solutionsTopic = solutionsTopic(config.chainId);
    this.cancelsTopic = cancelsTopic(config.chainId);
    const { log, metrics } = this;

    this.db = new NodeDatabase(join(config.dataDir, 'pool'));
    this.pool = new IntentPool(this.db.intents);
    const estimator = new BacklogEstimator(() => this.pool.size, { floorPerSec: config.settleCapacity, maxOpen: config.maxOpenIntents });
    this.pool.onFilled(() => estimator.filled());
    this.backlog = new BacklogGate(estimator, { auctionIntervalMs: config.auctionIntervalMs });
    this.queue = new FairQueue({
      maxPerSource: config.validationQueuePerPeer,
      maxTotal: config.validationQueueTotal,
      concurrency: config.validationConcurrency,
    });
    this.budget = new PeerBudget({
      ratePerSec: config.peerMessageRate,
      burst: 2 * config.peerMessageRate,
      ignoreBudget: config.peerIgnoreBudget,
    });

    this.client = deps.publicClient ?? (config.rpcUrl ? createChainClient(config.rpcUrl, config.rpcTimeoutMs) : undefined);
    if (this.client) this.chain = new ViemChainChecker({ client: this.client, settlement: config.settlement, log, metrics });
    if (config.verifyWorkers > 0) this.workers = new WorkerVerifier(config.verifyWorkers);

    this.validator = new IntentValidator({
      chainId: config.chainId,
      settlement: config.settlement,
      pool: this.pool,
      maxOpenPerOwner: config.maxOpenPerOwner,
      maxLifetimeSec: config.maxLifetimeSec,
      maxMessageBytes: config.maxMessageBytes,
      backlog: this.backlog,
      recoverer: deps.recoverer ?? fastRecoverer() ?? nativeRecoverer() ?? nobleRecoverer,
      ...(this.workers ? { workers: this.workers } : {}),
      ...(this.chain ? { chain: this.chain } : {}),
      ...(deps.now ? { now: deps.now } : {}),
      metrics,
      log,
    });
    this.intake = new IntentIntake({
      queue: this.queue,
      validator: this.validator,
      publishIntent: (bytes) => this.publish(this.intentsTopic, bytes),
    });
    this.cancels = new IntentCancels({
      pool: this.pool,
      cancels: this.db.cancels,
      separator: this.validator.separator,
      metrics,
      log,
      publishCancel: (bytes) => this.publish(this.cancelsTopic, bytes),
    });

    if (deps.auction !== false) {
      const chain = this.chain;
      this.auction = new AuctionClock(
        {
          chainId: config.chainId,
          settlement: config.settlement,
          pool: this.pool,
          auctions: this.db.auctions,
          solvers: this.db.solvers,
          metrics,
          log,
          publishSolution: (bytes) => this.publish(this.solutionsTopic, bytes),
          onRanked: (r) => this.backlog.estimator.auctionRanked(r),
        },
        {
          intervalMs: config.auctionIntervalMs,
          ...(config.auctionSolveWindowMs ? { solveWindowMs: config.auctionSolveWindowMs } : {}),
          maxWinners: config.auctionMaxWinners,
          retainAuctions: config.auctionRetain,
          decodedCacheSize: config.auctionDecodedCache,
          ...(config.referencePrices ? { referencePrices: config.referencePrices } : {}),
          ...(config.solvers ? { solvers: config.solvers } : {}),
          ...(config.collateralToken ? { collateralToken: config.collateralToken } : {}),
          // With a chain, only bonded solvers (Settlement.isSolver) are ranked.
          ...(chain ? { isSolver: (s) => chain.isSolver(s) } : {}),
          ...deps.auction,
        },
      );
    }
    if (this.client && deps.watcher !== false) {
      this.watcher = new ChainWatcher(
        {
          client: this.client,
          settlement: config.settlement,
          pool: this.pool,
          blocks: this.db.chainBlocks,
          auctions: this.db.auctions,
          metrics,
          log,
        },
        deps.watcher ?? {},
      );
    }
  }

  get peerId(): string {
    return this.host.libp2p.peerId.toString();
  }

  get multiaddrs(): string[] {
    return this.host.libp2p.getMultiaddrs().map((m) => m.toString());
  }

  async start(): Promise<void> {
    const { config, log, metrics } = this;
    const { key, created } = await loadOrCreatePeerKey(config.dataDir);
    await this.db.open();
    await this.pool.load();
    metrics.poolLive.set(this.pool.size);

    let router: GossipRouter | undefined;
    this.host = await createHost({
      privateKey: key,
      listen: config.listen,
      bootstrap: config.bootstrap,
      topics: [this.intentsTopic, this.solutionsTopic, this.cancelsTopic],
      ipColocationPenalty: config.ipColocationPenalty,
      maxConnectionsPerIp: config.maxConnectionsPerIp,
      appScore: (peer) => this.budget.score(peer),
      onBan: (peer) => {
        metrics.bans.inc();
        this.queue.drain(peer);
        router?.forget(peer);
        this.budget.forget(peer);
      },
      // Far above any valid message, so an oversized one reaches validation and is rejected (the
      // sender pays) instead of breaking the stream it came on.
      maxMessageBytes: Math.max(config.maxMessageBytes, 4 << 20),
      registry: metrics.registry,
      meshDegree: config.meshDegree,
      coalesceWrites: config.coalesceWrites,
      idontwantMinBytes: config.idontwantMinBytes,
      log,
    });
    const host = this.host;
    router = new GossipRouter({
      host,
      queue: this.queue,
      budget: this.budget,
      metrics,
      log,
      ...(this.deps.onGossipVerdict ? { onVerdict: this.deps.onGossipVerdict } : {}),
    });
    router.handle(this.intentsTopic, (data) => this.validator.ingestBytes(data, 'gossip'));
    router.handle(this.cancelsTopic, (data) => this.cancels.onGossip(data));
    const auction = this.auction;
    if (auction) router.handle(this.solutionsTopic, (data, peer) => auction.onSolution(data, peer));
    router.listen();
    await installSync({
      chainId: config.chainId,
      maxMessageBytes: config.maxMessageBytes,
      host,
      pool: this.pool,
      cancels: this.db.cancels,
      intake: this.intake,
      cancelling: this.cancels,
      budget: this.budget,
      log,
    });
    const countPeers = (): void => metrics.peers.set(host.libp2p.getPeers().length);
    host.libp2p.addEventListener('peer:connect', countPeers);
    host.libp2p.addEventListener('peer:disconnect', countPeers);
    this.stopMaintenance = startPoolMaintenance({
      pool: this.pool,
      metrics,
      log,
      nowSec: () => this.deps.now?.() ?? Math.floor(Date.now() / 1000),
    });

    const network = networkStatus(host, this.budget);
    const activity = this.client ? new ChainActivity(this.client, config.settlement) : undefined;
    const routes = [
      ...apiRoutes({
        chainId: config.chainId,
        settlement: config.settlement,
        metrics,
        pool: this.pool,
        intake: this.intake,
        cancels: this.cancels,
        ...(auction ? { auction } : {}),
        network,
        backlog: this.backlog.estimator,
        queueDepth: () => this.queue.depth,
      }),
      ...quoteRoutes({
        quoters: config.quoters,
        timeoutMs: config.quoteTimeoutMs,
        perClient: new ClientRate({ perSecond: config.quoteRatePerClient, burst: 4 * config.quoteRatePerClient }),
        log,
      }),
      ...dashboardRoutes({
        chainId: config.chainId,
        settlement: config.settlement,
        auctionIntervalMs: config.auctionIntervalMs,
        pool: this.pool,
        auctions: this.db.auctions,
        solvers: this.db.solvers,
        ...(auction ? { auction } : {}),
        network,
        ...(activity ? { chain: activity } : {}),
        ...(config.perpVault ? { perpVault: config.perpVault } : {}),
        log,
      }),
      ...circuitBreakerRoutes(activity ? { chain: activity } : {}),
      ...optionsRoutes({
        ...(activity ? { chain: activity } : {}),
        ...(config.volatilityFeed ? { volatilityFeed: config.volatilityFeed } : {}),
        ...(config.optionSeries ? { optionSeries: config.optionSeries } : {}),
      }),
      ...tradeRoutes({
        chainId: config.chainId,
        settlement: config.settlement,
        ...(activity ? { chain: activity } : {}),
        tokens: Object.keys((this.deps.auction || undefined)?.referencePrices ?? config.referencePrices ?? {}),
        log,
      }),
    ];
    this.api = serve(routes, { metrics, log });
    this.apiUrl = await listen(this.api, config.apiPort, config.apiHost);
    log.info({ event: 'api_listening', url: this.apiUrl }, 'HTTP API listening');

    if (auction && this.client) {
      // the batch gas bound follows the chain's block gas limit (read once: it changes slowly)
      const block = await this.client.getBlock().catch((e: Error) => {
        log.warn({ event: 'block_gas_limit_unknown', error: e.message });
        return undefined;
      });
      if (block) auction.setMaxBatchGas(batchGasLimit(block.gasLimit, config.batchGasShareBps));
    }
    if (auction && !manual(this.deps.auction)) auction.start();
    if (this.watcher && !manual(this.deps.watcher)) this.watcher.start();
    log.info(
      {
        event: 'node_started',
        peerId: this.peerId,
        listen: this.multiaddrs,
        newKey: created,
        poolLive: this.pool.size,
        topics: [this.intentsTopic, this.solutionsTopic],
      },
      'p2p host listening',
    );
  }

  /** Submits a signed intent as the API does: validated, stored durably, then gossiped. */
  submit(signed: SignedIntent): Promise<IntentOutcome> {
    return this.intake.submit(signed);
  }

  publish(topic: string, data: Uint8Array): void {
    this.host.pubsub.publish(topic, data).catch((err: Error) => this.log.warn({ event: 'publish_failed', topic, err: err.message }));
  }

  /** Cancels an intent whose owner's signature the caller has checked (see IntentCancels.apply). */
  cancel(digest: Hex, signature?: Hex, o: { publish?: boolean } = {}): ReturnType<IntentCancels['apply']> {
    return this.cancels.apply(digest, signature, o);
  }

  async stop(): Promise<void> {
    this.auction?.stop();
    this.watcher?.stop();
    this.stopMaintenance?.();
    if (this.api) {
      this.api.closeAllConnections();
      await new Promise<void>((r) => this.api!.close(() => r()));
    }
    await this.host?.stop();
    await this.db.close();
    await this.workers?.close();
    this.log.info({ event: 'node_stopped' });
  }
}
