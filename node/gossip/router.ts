// Turns gossipsub messages into verdicts: every message of a subscribed topic passes the sender's
// rate (PeerBudget), waits its turn in the sender's lane of the fair validation queue, goes to its
// topic's handler, and the handler's verdict is reported back to gossipsub (accept = relay). The
// router also keeps the consequences in one place: ignored work counts against the sender's ignore
// budget, and a burst of rejects bans the sender at once (gossipsub's score is cached for up to a
// heartbeat; a flooder should not get that long).
import { TopicValidatorResult } from '@libp2p/interface';
import type { Hex } from 'viem';
import { type GossipCode, OUR_OWN_STATE, type Verdict } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { NodeMetrics } from '../metrics.ts';
import type { FairQueue } from '../pool/fair-queue.ts';
import type { Host } from './host.ts';
import type { PeerBudget } from './peer-budget.ts';

/** What a topic handler decides about one message. */
export type HandlerVerdict = { verdict: Verdict; code: GossipCode; digest?: Hex };

export type TopicHandler = (data: Uint8Array, peer: string) => Promise<HandlerVerdict>;

export type RouterDeps = {
  host: Host;
  queue: FairQueue;
  budget: PeerBudget;
  metrics: NodeMetrics;
  log: Logger;
  /** Observes every verdict (tests, benches). */
  onVerdict?: (topic: string, peer: string, outcome: HandlerVerdict) => void;
};

/** A peer sending this many provably invalid messages within the window is banned without waiting for its score. */
const REJECT_BAN_COUNT = 10;
const REJECT_WINDOW_MS = 10_000;

const RESULT: Record<Verdict, TopicValidatorResult> = {
  accept: TopicValidatorResult.Accept,
  ignore: TopicValidatorResult.Ignore,
  reject: TopicValidatorResult.Reject,
};

export class GossipRouter {
  private readonly d: RouterDeps;
  private readonly handlers = new Map<string, TopicHandler>();
  /** Recent rejects per peer (count within REJECT_WINDOW_MS). */
  private readonly rejects = new Map<string, { count: number; since: number }>();

  constructor(deps: RouterDeps) {
    this.d = deps;
  }

  /** Routes `topic`'s messages to `handler`. */
  handle(topic: string, handler: TopicHandler): void {
    this.handlers.set(topic, handler);
  }

  /** Starts taking messages from gossipsub. */
  listen(): void {
    const { host, queue, budget, metrics } = this.d;
    host.pubsub.addEventListener('gossipsub:message', (evt) => {
      const { msg, msgId, propagationSource } = evt.detail;
      const peer = propagationSource.toString();
      const report = (verdict: Verdict): void => {
        host.pubsub.reportMessageValidationResult(msgId, peer, RESULT[verdict]);
      };
      if (host.isBanned(peer)) return report('ignore');
      // Over its rate: not validated at all (and it costs the peer score).
      if (!budget.admit(peer)) {
        metrics.rateLimited.inc();
        return report('ignore');
      }
      const handler = this.handlers.get(msg.topic);
      const enqueued = performance.now();
      const queued = queue.push(peer, async () => {
        metrics.queueWaitSeconds.observe((performance.now() - enqueued) / 1000);
        let out: HandlerVerdict;
        try {
          out = handler ? await handler(msg.data, peer) : { verdict: 'ignore', code: 'no_handler' };
        } catch (err) {
          // Our failure (e.g. the pool could not write), not the peer's: ignore, never relay.
          this.d.log.error({ event: 'validation_failed', topic: msg.topic, peer, err: (err as Error).message });
          out = { verdict: 'ignore', code: 'internal_error' };
        }
        report(out.verdict);
        this.d.onVerdict?.(msg.topic, peer, out);
        this.settle(peer, msg.topic, out);
      });
      if (!queued) {
        metrics.queueDropped.inc();
        report('ignore');
      }
      metrics.queueDepth.set(queue.depth);
    });
  }

  /** Forgets a peer's reject count (it was banned). */
  forget(peer: string): void {
    this.rejects.delete(peer);
  }

  /** What a verdict costs the peer that sent the message. */
  private settle(peer: string, topic: string, out: HandlerVerdict): void {
    const { host, budget } = this.d;
    // Work that brought nothing counts against the peer's ignore budget (our own failures and our
    // full pool do not: the peer relayed a message it could not know we would drop).
    if (out.verdict === 'ignore' && !OUR_OWN_STATE.has(out.code)) budget.ignored(peer);
    if (out.verdict !== 'reject') return;
    this.d.log.debug({ event: 'gossip_reject', topic, peer, code: out.code });
    const now = Date.now();
    const r = this.rejects.get(peer);
    const count = r && now - r.since < REJECT_WINDOW_MS ? r.count + 1 : 1;
    if (this.rejects.size > 10_000) this.rejects.clear();
    this.rejects.set(peer, { count, since: r && count > 1 ? r.since : now });
    if (count >= REJECT_BAN_COUNT && !host.isBanned(peer)) host.ban(peer, `${count} invalid messages within ${REJECT_WINDOW_MS / 1000} s`);
    host.enforceScore(peer);
  }
}
