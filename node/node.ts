// One running node: libp2p host + validation queue + durable pool + HTTP API (+ auctions).
// Ordering guarantees: an intent is acknowledged (API) or relayed (gossip ACCEPT) only after
// the pool's fsync'd write of it has completed.
import { TopicValidatorResult } from '@libp2p/interface';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import type { Address, Hex } from 'viem';
import { encodeSignedIntent } from '../protocol/codec.ts';
import type { SignedIntent } from '../protocol/intent.ts';
import { nativeRecoverer } from '../protocol/recover-native.ts';
import { nobleRecoverer, type Recoverer } from '../protocol/signature.ts';
import { cancelsTopic, intentsTopic, solutionsTopic } from '../protocol/topics.ts';
import { ViemChainChecker, type ChainChecker } from './chain/checker.ts';
import type { NodeConfig } from './config.ts';
import { createHost, type Host } from './gossip/host.ts';
import type { Logger } from './log.ts';
import { createMetrics, type NodeMetrics } from './metrics.ts';
import { loadOrCreatePeerKey } from './gossip/peer-key.ts';
import { NodeDatabase } from './db/database.ts';
import { IntentPool } from './pool/pool.ts';
import { FairQueue } from './pool/fair-queue.ts';
import { IntentValidator, refuseIntent, type IntentOutcome } from './pool/validator.ts';
import { ALREADY_CODE, ALREADY_HELD, CANCEL_RULES, judge, type CancelCode, type GossipCode, type Verdict } from './errors.ts';
import { createApi, listen, type AuctionView } from './api/server.ts';
import { installSync } from './gossip/sync.ts';
import { fastRecoverer } from './verify/fast-hash.ts';
import { decodeCancel, encodeCancel, recoverCanceller } from '../protocol/cancel.ts';
import { describeError } from '../protocol/result.ts';
import { isFinal, type PoolRecord } from './pool/record.ts';
import { WorkerVerifier } from './verify/workers.ts';
import { PeerBudget } from './gossip/peer-budget.ts';
import type { Server } from 'node:http';

export type NodeDeps = {
  log: Logger;
  /** Signature recovery; default native libsecp256k1 when it loads, else @noble/curves. */
  recoverer?: Recoverer;
  chain?: ChainChecker & { isSolver?: (solver: Address) => Promise<boolean | undefined> };
  /** Unix-seconds clock (tests). */
  now?: () => number;
  /** Observe every gossip verdict (tests, benches). */
  onGossipVerdict?: (topic: string, peer: string, outcome: { verdict: Verdict; code: GossipCode; digest?: Hex }) => void;
};

/** A peer sending this many provably invalid messages within the window is banned without waiting for its score. */
const REJECT_BAN_COUNT = 10;
const REJECT_WINDOW_MS = 10_000;

const VERDICT: Record<Verdict, TopicValidatorResult> = {
  accept: TopicValidatorResult.Accept,
  ignore: TopicValidatorResult.Ignore,
  reject: TopicValidatorResult.Reject,
};

export class IntentNode {
  readonly config: NodeConfig;
  readonly log: Logger;
  readonly metrics: NodeMetrics;
  readonly db: NodeDatabase;
  readonly pool: IntentPool;
  readonly queue: FairQueue;
  readonly intentsTopic: string;
  readonly solutionsTopic: string;
  readonly cancelsTopic: string;
  validator!: IntentValidator;
  host!: Host;
  private readonly deps: NodeDeps;
  private timers: NodeJS.Timeout[] = [];
  api?: Server;
  private workers?: WorkerVerifier;
  chain?: ChainChecker & { isSolver?: (solver: Address) => Promise<boolean | undefined> };
  /** Base URL of the HTTP API once started. */
  apiUrl = '';
  /** Set by the auction clock before start() so the API can serve it. */
  auctions?: AuctionView;
  /** Recent rejects per peer (count within REJECT_WINDOW_MS). */
  private readonly rejects = new Map<string, { count: number; since: number }>();
  /** What each peer may cost before it pays in score (rate, ignored messages, bad sync frames). */
  readonly budget: PeerBudget;
  /** Extra handlers per topic (auctions register the solutions handler). */
  readonly topicHandlers = new Map<string, (data: Uint8Array, peer: string) => Promise<{ verdict: Verdict; code: GossipCode }>>();

  constructor(config: NodeConfig, deps: NodeDeps) {
    this.config = config;
    this.deps = deps;
    this.log = deps.log;
    this.metrics = createMetrics(new Registry());
    this.db = new NodeDatabase(join(config.dataDir, 'pool'));
    this.pool = new IntentPool(this.db.intents);
    this.queue = new FairQueue({
      maxPerSource: config.validationQueuePerPeer,
      maxTotal: config.validationQueueTotal,
      concurrency: config.validationConcurrency,
    });
    this.budget = new PeerBudget({ ratePerSec: config.peerMessageRate, burst: 2 * config.peerMessageRate, ignoreBudget: config.peerIgnoreBudget });
    this.intentsTopic = intentsTopic(config.chainId);
    this.solutionsTopic = solutionsTopic(config.chainId);
    this.cancelsTopic = cancelsTopic(config.chainId);
    this.topicHandlers.set(this.cancelsTopic, (data) => this.onCancel(data));
  }

  get peerId(): string {
    return this.host.libp2p.peerId.toString();
  }

  get multiaddrs(): string[] {
    return this.host.libp2p.getMultiaddrs().map((m) => m.toString());
  }

  async start(): Promise<void> {
    const { key, created } = await loadOrCreatePeerKey(this.config.dataDir);
    await this.db.open();
    await this.pool.load();
    this.metrics.poolLive.set(this.pool.size);
    const recoverer = this.deps.recoverer ?? fastRecoverer() ?? nativeRecoverer() ?? nobleRecoverer;
    const chain =
      this.deps.chain ??
      (this.config.rpcUrl
        ? new ViemChainChecker({ rpcUrl: this.config.rpcUrl, settlement: this.config.settlement, timeoutMs: this.config.rpcTimeoutMs, log: this.log, metrics: this.metrics })
        : undefined);
    this.chain = chain;
    this.validator = new IntentValidator({
      chainId: this.config.chainId,
      settlement: this.config.settlement,
      pool: this.pool,
      maxOpenPerOwner: this.config.maxOpenPerOwner,
      maxLifetimeSec: this.config.maxLifetimeSec,
      maxMessageBytes: this.config.maxMessageBytes,
      recoverer,
      ...(this.config.verifyWorkers > 0 ? { workers: (this.workers = new WorkerVerifier(this.config.verifyWorkers)) } : {}),
      metrics: this.metrics,
      log: this.log,
      ...(chain ? { chain } : {}),
      ...(this.deps.now ? { now: this.deps.now } : {}),
    });
    this.host = await createHost({
      privateKey: key,
      listen: this.config.listen,
      bootstrap: this.config.bootstrap,
      topics: [this.intentsTopic, this.solutionsTopic, this.cancelsTopic],
      ipColocationPenalty: this.config.ipColocationPenalty,
      maxConnectionsPerIp: this.config.maxConnectionsPerIp,
      appScore: (peer) => this.budget.score(peer),
      onBan: (peer) => {
        this.metrics.bans.inc();
        this.queue.drain(peer);
        this.rejects.delete(peer);
        this.budget.forget(peer);
      },
      // Far above any valid message, so an oversized one reaches validation and is rejected (the
      // sender pays) instead of breaking the stream it came on.
      maxMessageBytes: Math.max(this.config.maxMessageBytes, 4 << 20),
      registry: this.metrics.registry,
      meshDegree: this.config.meshDegree,
      log: this.log,
    });
    this.host.pubsub.addEventListener('gossipsub:message', (evt) => {
      const { msg, msgId, propagationSource } = evt.detail;
      const peer = propagationSource.toString();
      const report = (verdict: Verdict): void => {
        this.host.pubsub.reportMessageValidationResult(msgId, peer, VERDICT[verdict]);
      };
      if (this.host.isBanned(peer)) return report('ignore');
      // Over its rate: not validated at all (and it costs the peer score).
      if (!this.budget.admit(peer)) {
        this.metrics.rateLimited.inc();
        return report('ignore');
      }
      const handler = msg.topic === this.intentsTopic ? undefined : this.topicHandlers.get(msg.topic);
      const enqueued = performance.now();
      const queued = this.queue.push(peer, async () => {
        this.metrics.queueWaitSeconds.observe((performance.now() - enqueued) / 1000);
        let out: { verdict: Verdict; code: GossipCode; digest?: Hex };
        try {
          out =
            msg.topic === this.intentsTopic
              ? await this.validator.ingestBytes(msg.data, 'gossip')
              : handler
                ? await handler(msg.data, peer)
                : { verdict: 'ignore' as const, code: 'no_handler' };
        } catch (err) {
          // Our failure (e.g. the pool could not write), not the peer's: ignore, never relay.
          this.log.error({ event: 'validation_failed', topic: msg.topic, peer, err: (err as Error).message });
          out = { verdict: 'ignore', code: 'internal_error' };
        }
        report(out.verdict);
        this.deps.onGossipVerdict?.(msg.topic, peer, { verdict: out.verdict, code: out.code, digest: out.digest });
        // Work that brought nothing counts against the peer's ignore budget (our own failures do not).
        if (out.verdict === 'ignore' && out.code !== 'internal_error') this.budget.ignored(peer);
        if (out.verdict === 'reject') {
          this.log.debug({ event: 'gossip_reject', topic: msg.topic, peer, code: out.code });
          // gossipsub's score is cached for up to a heartbeat; our own count bans a flooder at once.
          const now = Date.now();
          const r = this.rejects.get(peer);
          const count = r && now - r.since < REJECT_WINDOW_MS ? r.count + 1 : 1;
          if (this.rejects.size > 10_000) this.rejects.clear();
          this.rejects.set(peer, { count, since: r && count > 1 ? r.since : now });
          if (count >= REJECT_BAN_COUNT && !this.host.isBanned(peer)) this.host.ban(peer, `${count} invalid messages within ${REJECT_WINDOW_MS / 1000} s`);
          this.host.enforceScore(peer);
        }
      });
      if (!queued) {
        this.metrics.queueDropped.inc();
        report('ignore');
      }
      this.metrics.queueDepth.set(this.queue.depth);
    });
    await installSync(this);
    this.host.libp2p.addEventListener('peer:connect', () => this.metrics.peers.set(this.host.libp2p.getPeers().length));
    this.host.libp2p.addEventListener('peer:disconnect', () => this.metrics.peers.set(this.host.libp2p.getPeers().length));
    // Expiry sweep.
    const sweep = setInterval(() => {
      const now = this.deps.now?.() ?? Math.floor(Date.now() / 1000);
      void this.pool
        .expire(now)
        .then((ds) => {
          if (ds.length > 0) {
            this.metrics.poolStates.inc({ state: 'expired' }, ds.length);
            this.metrics.poolLive.set(this.pool.size);
            this.log.info({ event: 'intents_expired', count: ds.length });
          }
        })
        .catch((err: Error) => this.log.error({ event: 'expiry_sweep_failed', err: err.message }));
    }, 1000);
    sweep.unref();
    this.timers.push(sweep);
    const prune = setInterval(() => {
      const now = this.deps.now?.() ?? Math.floor(Date.now() / 1000);
      void this.pool
        .prune(now)
        .then((n) => n > 0 && this.log.info({ event: 'pool_pruned', records: n }))
        .catch((err: Error) => this.log.error({ event: 'prune_failed', err: err.message }));
    }, 60_000);
    prune.unref();
    this.timers.push(prune);
    this.api = createApi(this, this.auctions);
    this.apiUrl = await listen(this.api, this.config.apiPort, this.config.apiHost);
    this.log.info({ event: 'api_listening', url: this.apiUrl }, 'HTTP API listening');
    this.log.info({ event: 'node_started', peerId: this.peerId, listen: this.multiaddrs, newKey: created, poolLive: this.pool.size, topics: [this.intentsTopic, this.solutionsTopic] }, 'p2p host listening');
  }

  /**
   * Submits a signed intent from the API: validated through the 'api' lane of the queue, stored
   * durably, then published. Resolves with the outcome once stored (or refused).
   */
  submit(signed: SignedIntent): Promise<IntentOutcome> {
    return new Promise((resolve, reject) => {
      let bytes: Uint8Array;
      try {
        bytes = encodeSignedIntent(signed);
      } catch (err) {
        // The JSON form parsed, but the codec refuses it: the intent is malformed, not the node busy.
        resolve(refuseIntent('malformed', `cannot be encoded: ${(err as Error).message}`));
        return;
      }
      const queued = this.queue.push('api', async () => {
        try {
          const out = await this.validator.ingest(signed, bytes, 'api');
          if (out.verdict === 'accept') this.publish(this.intentsTopic, bytes);
          resolve(out);
        } catch (err) {
          reject(err);
        }
      });
      if (!queued) resolve(refuseIntent('busy', 'validation queue is full; retry shortly'));
    });
  }

  /**
   * Validates intent bytes that `peer` sent outside gossip (a sync stream) in that peer's lane of
   * the fair queue, so they take their turn like its gossip and never crowd out other peers or the
   * API. Waits while the lane is full; undefined when it stays full until `deadline` (ms).
   */
  async validateFrom(peer: string, bytes: Uint8Array, deadline: number): Promise<IntentOutcome | undefined> {
    for (;;) {
      const out = await new Promise<IntentOutcome | undefined>((resolve, reject) => {
        const queued = this.queue.push(peer, async () => {
          try {
            resolve(await this.validator.ingestBytes(bytes, 'gossip'));
          } catch (err) {
            reject(err);
          }
        });
        if (!queued) resolve(undefined);
      });
      if (out !== undefined) {
        // A responder sends every live intent it holds without knowing which ones we have, so
        // intents we already hold (or hold as filled, cancelled, expired) are what an honest sync
        // is mostly made of after a reconnect: free. Anything else we had to refuse counts.
        if (out.verdict === 'ignore' && !ALREADY_HELD.has(out.code)) this.budget.ignored(peer);
        return out;
      }
      if (Date.now() >= deadline) return undefined;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  publish(topic: string, data: Uint8Array): void {
    this.host.pubsub.publish(topic, data).catch((err: Error) => this.log.warn({ event: 'publish_failed', topic, err: err.message }));
  }

  /**
   * Cancels an intent in the pool (signature already checked by the caller). The owner's signed
   * cancel is kept (`c:<digest>`) so the intent-sync responder can hand it to peers that missed the
   * gossip; `publish` (default when signed) tells the network.
   */
  async cancel(digest: Hex, signature?: Hex, o: { publish?: boolean } = {}): Promise<PoolRecord | undefined> {
    const rec = await this.pool.update(digest, 'cancelled');
    if (rec && signature) await this.db.cancels.put(digest.toLowerCase() as Hex, signature);
    // Tell the network (after the durable write), so other pools drop it from their auctions too.
    if (rec && signature && o.publish !== false) this.publish(this.cancelsTopic, encodeCancel(digest, signature));
    if (rec) {
      this.metrics.poolStates.inc({ state: 'cancelled' });
      this.metrics.poolLive.set(this.pool.size);
      this.log.info({ event: 'intent_cancelled', id: digest, owner: rec.owner });
    }
    return rec;
  }

  /** A gossiped cancel: the owner's signature over CancelIntent(intentId), for an intent we hold. */
  private async onCancel(data: Uint8Array): Promise<{ verdict: Verdict; code: CancelCode }> {
    const c = decodeCancel(data);
    if (!c.ok) return judge(CANCEL_RULES, c.error.code);
    const id = c.value.intentId.toLowerCase() as Hex;
    const signer = recoverCanceller(id, c.value.signature, this.validator.separator);
    if (!signer.ok) {
      this.log.debug({ event: 'cancel_refused', id, reason: describeError(signer.error) });
      return judge(CANCEL_RULES, signer.error.code);
    }
    const rec = await this.pool.get(id);
    if (!rec) return judge(CANCEL_RULES, 'unknown_intent');
    if (signer.value !== rec.owner) return judge(CANCEL_RULES, 'wrong_signer');
    if (isFinal(rec.state)) return judge(CANCEL_RULES, ALREADY_CODE[rec.state]);
    // gossipsub relays the accepted message itself: store the signed cancel, do not publish again
    await this.cancel(id, c.value.signature, { publish: false });
    return judge(CANCEL_RULES, 'cancelled');
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
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

