// The libp2p host: TCP + noise + yamux + identify + gossipsub, with peer scoring tuned for our
// topics, asynchronous validation (the node reports accept / ignore / reject for every message
// after its own queued validation), a persistent identity, bootstrap peers, and a ban list: a
// peer whose gossipsub score falls below the graylist threshold is disconnected and refused at the
// connection gater for `banMs`.
//
// The message id of every topic is sha256 of the message's bytes. An intent's EIP-712 digest would
// not do: it leaves the signature out, so a malformed twin (the same intent with a high-s or
// otherwise invalid signature) gossiped first would be rejected, its id remembered as invalid, and
// the genuine intent with the same id then dropped unvalidated everywhere, and every honest node
// relaying it charged with an invalid delivery. With byte ids a twin is just another message; the
// pool still deduplicates intents by digest.
import { gossipsub, type GossipsubEvents } from '@chainsafe/libp2p-gossipsub';
import type { GossipSub } from '@chainsafe/libp2p-gossipsub';
import type { PeerScoreParams, PeerScoreThresholds, TopicScoreParams } from '@chainsafe/libp2p-gossipsub/score';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { bootstrap } from '@libp2p/bootstrap';
import { identify } from '@libp2p/identify';
import type { Libp2p, PeerId, PrivateKey, PubSub } from '@libp2p/interface';
import { prometheusMetrics } from '@libp2p/prometheus-metrics';
import { tcp } from '@libp2p/tcp';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { hash } from 'node:crypto';
import { createLibp2p } from 'libp2p';
import type { Registry } from 'prom-client';
import type { Logger } from '../log.ts';
import { coalescingMuxer } from './coalesce.ts';
import { hexId } from '../verify/fast-hash.ts';

export const SCORE_THRESHOLDS: PeerScoreThresholds = {
  gossipThreshold: -10,
  publishThreshold: -50,
  graylistThreshold: -80,
  acceptPXThreshold: 100,
  opportunisticGraftThreshold: 5,
};

/**
 * Per-topic scoring. Mesh-delivery penalties are off: intent traffic is bursty and a quiet
 * period must not punish honest peers. Invalid messages dominate: each is -20 (squared count),
 * so the third invalid message takes a peer from 0 to -180, past the graylist threshold (-80),
 * and the penalty decays with a half-life of about a minute.
 */
function topicParams(weight: number): TopicScoreParams {
  return {
    topicWeight: weight,
    timeInMeshWeight: 0.01,
    timeInMeshQuantum: 1000,
    timeInMeshCap: 100,
    firstMessageDeliveriesWeight: 0.5,
    firstMessageDeliveriesDecay: 0.9,
    firstMessageDeliveriesCap: 20,
    meshMessageDeliveriesWeight: 0,
    meshMessageDeliveriesDecay: 0.9,
    meshMessageDeliveriesCap: 10,
    meshMessageDeliveriesThreshold: 1,
    meshMessageDeliveriesWindow: 10,
    meshMessageDeliveriesActivation: 5000,
    meshFailurePenaltyWeight: 0,
    meshFailurePenaltyDecay: 0.9,
    invalidMessageDeliveriesWeight: -20,
    invalidMessageDeliveriesDecay: 0.99,
  };
}

export function scoreParams(
  topics: string[],
  ipColocationPenalty: boolean,
  appScore: (peer: string) => number = () => 0,
): Partial<PeerScoreParams> {
  return {
    topics: Object.fromEntries(topics.map((t) => [t, topicParams(1)])),
    topicScoreCap: 20,
    // The node's own accounting of what a peer cost it beyond invalid messages (PeerBudget).
    appSpecificScore: appScore,
    appSpecificWeight: 1,
    IPColocationFactorWeight: ipColocationPenalty ? -5 : 0,
    IPColocationFactorThreshold: 8,
    behaviourPenaltyWeight: -10,
    behaviourPenaltyThreshold: 6,
    behaviourPenaltyDecay: 0.9,
    decayInterval: 1000,
    decayToZero: 0.01,
    retainScore: 3600_000,
  };
}

/** Mesh sizes from D, keeping gossipsub's default proportions (D=6: Dlo 4, Dhi 12, Dout 2, Dlazy 6). */
export function meshParams(D: number): { D: number; Dlo: number; Dhi: number; Dout: number; Dscore: number; Dlazy: number } {
  const Dlo = Math.max(1, Math.round((D * 2) / 3));
  return {
    D,
    Dlo,
    Dhi: 2 * D,
    Dout: Math.max(0, Math.min(Dlo - 1, Math.floor(D / 3))),
    Dscore: Math.max(1, Math.round((D * 2) / 3)),
    Dlazy: D,
  };
}

export type HostOptions = {
  privateKey: PrivateKey;
  listen: string[];
  bootstrap: string[];
  topics: string[];
  ipColocationPenalty: boolean;
  /** Inbound connections accepted from one IP address (default unlimited). */
  maxConnectionsPerIp?: number;
  /** The application part of each peer's score (default 0). */
  appScore?: (peer: string) => number;
  /** Called once per ban (metrics). */
  onBan?: (peer: string, reason: string) => void;
  /** Largest message data accepted from the wire. */
  maxMessageBytes: number;
  registry?: Registry;
  banMs?: number;
  /** Gossipsub mesh degree D (default 6, the spec's); the other sizes follow (meshParams). */
  meshDegree?: number;
  /** Coalesce each connection's frames per event-loop turn (default true; coalesce.ts). */
  coalesceWrites?: boolean;
  /** Gossipsub's idontwantMinDataSize (default 512, gossipsub's). */
  idontwantMinBytes?: number;
  log: Logger;
};

export type Host = {
  libp2p: Libp2p<{ pubsub: PubSub<GossipsubEvents> }>;
  pubsub: GossipSub;
  /** Disconnects and bans a peer if its score is below the graylist threshold; true when banned. */
  enforceScore(peer: string): boolean;
  /** Disconnects and bans a peer now (the node's own evidence, e.g. a burst of rejects). */
  ban(peer: string, reason: string): void;
  isBanned(peer: string): boolean;
  /** Peers banned now, and until when (ms since the epoch). */
  banList(): { peer: string; until: number }[];
  stop(): Promise<void>;
};

const sha256 = (b: Uint8Array): Buffer => hash('sha256', b, 'buffer') as unknown as Buffer;
/**
 * The message id computed once per copy received: fastMsgIdFn hashes the bytes (every copy,
 * duplicates included, answered from gossipsub's fast-id cache) and leaves the digest here for
 * msgIdFn, which gossipsub calls for the first copy only, with the same data array. Weak keys: a
 * copy dropped before msgIdFn leaves nothing behind. The id is still sha256 of the bytes.
 */
const idOfData = new WeakMap<Uint8Array, Buffer>();
const fastMsgId = (data: Uint8Array): string => {
  const id = sha256(data);
  idOfData.set(data, id);
  // The fast id only keys gossipsub's fast-id cache: the raw digest as a 32-char string is enough.
  return id.toString('latin1');
};
const msgId = (data: Uint8Array): Uint8Array => idOfData.get(data) ?? sha256(data);

export async function createHost(opts: HostOptions): Promise<Host> {
  const banned = new Map<string, number>();
  const banMs = opts.banMs ?? 10 * 60_000;
  const isBanned = (peer: string): boolean => {
    const until = banned.get(peer);
    if (until === undefined) return false;
    if (until < Date.now()) {
      banned.delete(peer);
      return false;
    }
    return true;
  };
  const deny = (peerId: PeerId): boolean => isBanned(peerId.toString());
  // Counted from the live connections when one arrives: nothing to keep in step.
  const ipOf = (ma: Multiaddr): string | undefined => {
    try {
      return ma.nodeAddress().address;
    } catch {
      return undefined;
    }
  };
  let overIpCap = (_ma: Multiaddr): boolean => false;

  const libp2p = await createLibp2p({
    privateKey: opts.privateKey,
    addresses: { listen: opts.listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [opts.coalesceWrites === false ? yamux() : coalescingMuxer(yamux())],
    peerDiscovery: opts.bootstrap.length > 0 ? [bootstrap({ list: opts.bootstrap, timeout: 10 })] : [],
    connectionGater: {
      // Loopback and private addresses are where test nets and LAN operators live.
      denyDialMultiaddr: () => false,
      denyDialPeer: deny,
      denyInboundConnection: (maConn) => overIpCap(maConn.remoteAddr),
      denyInboundEncryptedConnection: deny,
      denyOutboundEncryptedConnection: deny,
    },
    connectionManager: { maxConnections: 200 },
    ...(opts.registry
      ? { metrics: prometheusMetrics({ registry: opts.registry, collectDefaultMetrics: false, preserveExistingMetrics: true }) }
      : {}),
    services: {
      identify: identify(),
      pubsub: gossipsub({
        globalSignaturePolicy: 'StrictNoSign',
        asyncValidation: true,
        allowPublishToZeroTopicPeers: true,
        ignoreDuplicatePublishError: true,
        emitSelf: false,
        allowedTopics: opts.topics,
        maxInboundDataLength: opts.maxMessageBytes,
        fastMsgIdFn: (msg) => fastMsgId(msg.data ?? new Uint8Array()),
        msgIdFn: (msg) => msgId(msg.data),
        msgIdToStrFn: hexId,
        scoreParams: scoreParams(opts.topics, opts.ipColocationPenalty, opts.appScore),
        scoreThresholds: SCORE_THRESHOLDS,
        // Score-driven pruning only; we publish full messages promptly to every mesh peer.
        floodPublish: true,
        idontwantMinDataSize: opts.idontwantMinBytes ?? 512,
        ...meshParams(opts.meshDegree ?? 6),
      }),
    },
  });
  const pubsub = libp2p.services.pubsub as unknown as GossipSub;
  const cap = opts.maxConnectionsPerIp;
  if (cap !== undefined) {
    overIpCap = (ma) => {
      const ip = ipOf(ma);
      if (ip === undefined) return false;
      let n = 0;
      for (const c of libp2p.getConnections()) if (ipOf(c.remoteAddr) === ip && ++n >= cap) return true;
      return false;
    };
  }

  const ban = (peer: string, reason: string, score?: number): void => {
    if (isBanned(peer)) return;
    banned.set(peer, Date.now() + banMs);
    opts.log.warn({ event: 'peer_banned', peer, reason, score, banMs }, 'disconnecting and banning peer');
    opts.onBan?.(peer, reason);
    const pid = libp2p.getPeers().find((p) => p.toString() === peer);
    if (pid) void libp2p.hangUp(pid).catch(() => undefined);
  };
  const enforceScore = (peer: string): boolean => {
    if (isBanned(peer)) return true;
    const score = pubsub.getScore(peer);
    if (score >= SCORE_THRESHOLDS.graylistThreshold) return false;
    ban(peer, 'graylisted score', score);
    return true;
  };

  // Sweep every heartbeat: scores also fall for behaviour penalties (broken promises, graft floods).
  pubsub.addEventListener('gossipsub:heartbeat', () => {
    for (const p of libp2p.getPeers()) enforceScore(p.toString());
  });

  // Bootstrap redial: @libp2p/bootstrap dials once; keep trying peers that are down.
  const bootstrapAddrs = opts.bootstrap.map((a) => multiaddr(a));
  const redial = setInterval(() => {
    for (const ma of bootstrapAddrs) {
      const id = ma.getPeerId();
      if (id && libp2p.getPeers().some((p) => p.toString() === id)) continue;
      if (id && isBanned(id)) continue;
      void libp2p.dial(ma).catch((err: Error) => opts.log.debug({ event: 'bootstrap_dial_failed', addr: ma.toString(), err: err.message }));
    }
  }, 2000);
  redial.unref();

  for (const t of opts.topics) pubsub.subscribe(t);

  return {
    libp2p: libp2p as unknown as Host['libp2p'],
    pubsub,
    enforceScore,
    ban: (peer, reason) => ban(peer, reason),
    isBanned,
    banList: () => [...banned].filter(([peer]) => isBanned(peer)).map(([peer, until]) => ({ peer, until })),
    async stop() {
      clearInterval(redial);
      await libp2p.stop();
    },
  };
}
