// The network as the HTTP API reports it: this node's identity and addresses, its connected peers
// with their scores (gossipsub's total and the node's own application part), and the current bans.
import type { PeersResponse } from '../../protocol/api.ts';
import type { Host } from './host.ts';
import type { PeerBudget } from './peer-budget.ts';

export type NetworkStatus = {
  peerId(): string;
  listen(): string[];
  peerCount(): number;
  peers(): PeersResponse;
};

export function networkStatus(host: Host, budget: PeerBudget): NetworkStatus {
  return {
    peerId: () => host.libp2p.peerId.toString(),
    listen: () => host.libp2p.getMultiaddrs().map((m) => m.toString()),
    peerCount: () => host.libp2p.getPeers().length,
    peers: () => {
      const connected = new Map<string, { remoteAddr: string; direction: 'inbound' | 'outbound' }>();
      for (const c of host.libp2p.getConnections())
        connected.set(c.remotePeer.toString(), { remoteAddr: c.remoteAddr.toString(), direction: c.direction });
      return {
        peers: [...connected].map(([peerId, c]) => ({ peerId, ...c, score: host.pubsub.getScore(peerId), appScore: budget.score(peerId) })),
        banned: host.banList().map((b) => ({ peerId: b.peer, until: new Date(b.until).toISOString() })),
      };
    },
  };
}
