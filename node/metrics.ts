// Prometheus metrics of one node, in its own registry (several nodes can share a process in
// tests and benches). libp2p's own metrics are registered into the same registry by host.ts.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export type NodeMetrics = ReturnType<typeof createMetrics>;

export function createMetrics(registry = new Registry()) {
  return {
    registry,
    intents: new Counter({
      name: 'node_intents_total',
      help: 'Intents validated, by source (api|gossip), verdict (accept|ignore|reject) and code',
      labelNames: ['source', 'verdict', 'code'] as const,
      registers: [registry],
    }),
    validationSeconds: new Histogram({
      name: 'node_intent_validation_seconds',
      help: 'Time from dequeue to verdict (decode, verify, durable write)',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    queueWaitSeconds: new Histogram({
      name: 'node_validation_queue_wait_seconds',
      help: 'Time a gossiped message waited in the validation queue',
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    }),
    queueDepth: new Gauge({ name: 'node_validation_queue_depth', help: 'Messages waiting for validation', registers: [registry] }),
    queueDropped: new Counter({
      name: 'node_validation_queue_dropped_total',
      help: 'Messages ignored because a queue was full',
      registers: [registry],
    }),
    poolLive: new Gauge({ name: 'node_pool_live_intents', help: 'Open or partially filled intents in the pool', registers: [registry] }),
    poolStates: new Counter({
      name: 'node_pool_transitions_total',
      help: 'Pool state transitions',
      labelNames: ['state'] as const,
      registers: [registry],
    }),
    backlogOpen: new Gauge({
      name: 'node_backlog_open_intents',
      help: 'Live intents waiting to be settled (the backlog the estimated wait is computed from)',
      registers: [registry],
    }),
    settleCapacity: new Gauge({
      name: 'node_settle_capacity_per_second',
      help: 'Estimated intents settled per second: peak measured fill rate over the last minute, at least --settle-capacity',
      registers: [registry],
    }),
    backlogWait: new Gauge({
      name: 'node_backlog_wait_seconds',
      help: 'Estimated wait of a new intent: open intents / settle capacity',
      registers: [registry],
    }),
    backlogRefusals: new Counter({
      name: 'node_backlog_refusals_total',
      help: 'Intents refused for backpressure, by source (api|gossip) and reason (backlog: would expire first; pool_full: at --max-open-intents)',
      labelNames: ['source', 'reason'] as const,
      registers: [registry],
    }),
    peers: new Gauge({ name: 'node_peers', help: 'Connected libp2p peers', registers: [registry] }),
    rateLimited: new Counter({
      name: 'node_gossip_rate_limited_total',
      help: 'Gossip messages ignored unvalidated because their peer was over its message rate',
      registers: [registry],
    }),
    bans: new Counter({
      name: 'node_peer_bans_total',
      help: 'Peers disconnected and banned for a graylisted score',
      registers: [registry],
    }),
    chainCheckDegraded: new Gauge({
      name: 'node_chain_check_degraded',
      help: '1 while the RPC endpoint fails and validation runs off-chain checks only',
      registers: [registry],
    }),
    solutions: new Counter({
      name: 'node_solutions_total',
      help: 'Solutions received, by verdict and code',
      labelNames: ['verdict', 'code'] as const,
      registers: [registry],
    }),
    solutionsUnbonded: new Counter({
      name: 'node_solutions_unbonded_total',
      help: 'Correctly signed solutions ignored because the solver has no bond (solver set or Settlement.isSolver)',
      registers: [registry],
    }),
    auctions: new Counter({ name: 'node_auctions_closed_total', help: 'Auctions closed', registers: [registry] }),
    http: new Counter({
      name: 'node_http_requests_total',
      help: 'HTTP API requests by route and status',
      labelNames: ['route', 'status'] as const,
      registers: [registry],
    }),
  };
}
