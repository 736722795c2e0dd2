// A foreign peer: its own libp2p stack (tcp, noise, yamux, identify, gossipsub), configured here
// and not through node/host.ts, speaking the wire formats through ./wire.ts only. It validates
// nothing it hears, publishes whatever bytes it is given, and can serve a hand-made
// /intent-sync/2/<chainId> stream to the node that asks it.
import { gossipsub } from '@chainsafe/libp2p-gossipsub';
import type { GossipSub } from '@chainsafe/libp2p-gossipsub';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify } from '@libp2p/identify';
import type { Libp2p, Stream } from '@libp2p/interface';
import { tcp } from '@libp2p/tcp';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import { hex, sha256 } from './wire.ts';

export const CHAIN_ID = 31337;
export const SETTLEMENT = '0x5e77e5e77e5e77e5e77e5e77e5e77e5e77e5e77e' as const;
export const TOPICS = { intents: `/intents/1/${CHAIN_ID}`, solutions: `/solutions/1/${CHAIN_ID}`, cancels: `/cancels/1/${CHAIN_ID}` };
export const SYNC_PROTOCOL = `/intent-sync/2/${CHAIN_ID}`;

export type ForeignPeer = {
  libp2p: Libp2p;
  pubsub: GossipSub;
  id: string;
  dial(addr: string): Promise<void>;
  /** Waits until `peer` is known to be subscribed to `topic` (so a publish reaches it). */
  sees(peer: string, topic?: string, ms?: number): Promise<void>;
  publish(topic: string, data: Uint8Array): Promise<void>;
  stop(): Promise<void>;
};

export type SyncServer = (stream: Stream, remotePeer: string) => void | Promise<void>;

export async function foreignPeer(o: { sync?: SyncServer } = {}): Promise<ForeignPeer> {
  const libp2p = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: { maxConnections: 50 },
    services: {
      identify: identify(),
      pubsub: gossipsub({
        globalSignaturePolicy: 'StrictNoSign',
        allowPublishToZeroTopicPeers: true,
        ignoreDuplicatePublishError: true,
        emitSelf: false,
        floodPublish: true,
        // The message id the fixed node uses on every topic (protocol/WIRE.md): sha256 of the data.
        msgIdFn: (msg) => sha256(msg.data ?? new Uint8Array()),
        fastMsgIdFn: (msg) => hex(sha256(msg.data ?? new Uint8Array())),
        maxInboundDataLength: 4 << 20,
        // nothing is scored: an attacker keeps every peer it can reach
        scoreParams: { IPColocationFactorWeight: 0 },
      }),
    },
  });
  const pubsub = libp2p.services.pubsub as unknown as GossipSub;
  if (o.sync) {
    const serve = o.sync;
    await libp2p.handle(SYNC_PROTOCOL, ({ stream, connection }) => void serve(stream, connection.remotePeer.toString()), {
      maxInboundStreams: 8,
    });
  }
  for (const t of Object.values(TOPICS)) pubsub.subscribe(t);
  const id = libp2p.peerId.toString();
  return {
    libp2p,
    pubsub,
    id,
    async dial(addr) {
      await libp2p.dial(multiaddr(addr));
    },
    async sees(peer, topic = TOPICS.intents, ms = 20_000) {
      const end = Date.now() + ms;
      while (!pubsub.getSubscribers(topic).some((p) => p.toString() === peer)) {
        if (Date.now() > end) throw new Error(`peer ${peer} never subscribed to ${topic}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async publish(topic, data) {
      await pubsub.publish(topic, data).catch(() => undefined);
    },
    async stop() {
      await Promise.resolve(libp2p.stop()).catch(() => undefined);
    },
  };
}
