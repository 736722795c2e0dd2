// What a peer may cost this node before it pays for it. Gossipsub penalises only REJECTed
// messages; a peer can still make a node work hard for nothing with messages that are merely
// IGNOREd (expired intents, EIP-1271 intents at a node without an RPC, intents of an owner at its
// quota, sync frames the pool does not want). So every peer gets:
//   - a token bucket in front of validation: `ratePerSec` messages per second, `burst` at once;
//     a message over the rate is ignored unvalidated and costs the peer one penalty point. The
//     default sits far above what an honest relay forwards (one peer can be the first to deliver
//     every message the network carries, and an ignored first delivery is not fetched again), so
//     it only caps a flood; the ignore budget is what makes a flood pay;
//   - an ignore budget: `ignoreBudget` ignored messages per `windowMs` are free (honest relays
//     lose expiry races now and then), each one past it costs one point;
//   - explicit charges for provably bad non-gossip input (an invalid sync frame).
// Points decay with a half-life of `halfLifeMs`; the peer's application score (gossipsub's
// appSpecificScore, weight 1) is minus its points, so a sustained flood crosses the graylist
// threshold and the host bans it. Memory is bounded: at most `maxPeers` peers are tracked, the
// least recently seen forgotten first.

export type PeerBudgetOptions = {
  ratePerSec: number;
  burst: number;
  ignoreBudget: number;
  windowMs: number;
  halfLifeMs: number;
  maxPeers: number;
  /** Milliseconds clock (tests move it). */
  now?: () => number;
};

export const defaultPeerBudget: Omit<PeerBudgetOptions, 'now'> = {
  ratePerSec: 1000,
  burst: 2000,
  ignoreBudget: 200,
  windowMs: 10_000,
  halfLifeMs: 60_000,
  maxPeers: 10_000,
};

type Account = { tokens: number; refilledAt: number; windowStart: number; ignores: number; points: number; pointsAt: number };

export class PeerBudget {
  private readonly o: PeerBudgetOptions;
  private readonly now: () => number;
  /** Insertion order is recency order (re-inserted on every touch): the first key is the stalest. */
  private readonly accounts = new Map<string, Account>();

  constructor(o: Partial<PeerBudgetOptions> = {}) {
    this.o = { ...defaultPeerBudget, ...o };
    this.now = o.now ?? Date.now;
  }

  /** Takes one token for a message from `peer`; false (and a penalty point) when it is over its rate. */
  admit(peer: string): boolean {
    const a = this.touch(peer);
    const t = this.now();
    a.tokens = Math.min(this.o.burst, a.tokens + ((t - a.refilledAt) / 1000) * this.o.ratePerSec);
    a.refilledAt = t;
    if (a.tokens >= 1) {
      a.tokens -= 1;
      return true;
    }
    this.addPoints(a, 1);
    return false;
  }

  /** Counts an ignored message; each one past the window's budget costs a point. */
  ignored(peer: string): void {
    const a = this.touch(peer);
    const t = this.now();
    if (t - a.windowStart >= this.o.windowMs) {
      a.windowStart = t;
      a.ignores = 0;
    }
    a.ignores++;
    if (a.ignores > this.o.ignoreBudget) this.addPoints(a, 1);
  }

  /** Charges `points` for provably bad input that gossipsub does not see (e.g. an invalid sync frame). */
  charge(peer: string, points: number): void {
    this.addPoints(this.touch(peer), points);
  }

  /** The peer's application score: minus its decayed penalty points (0 for a peer in good standing). */
  score(peer: string): number {
    const a = this.accounts.get(peer);
    if (!a) return 0;
    const points = this.decayed(a);
    return points === 0 ? 0 : -points;
  }

  /** Forgets a peer (banned peers are refused at the gater; their account is no longer needed). */
  forget(peer: string): void {
    this.accounts.delete(peer);
  }

  get size(): number {
    return this.accounts.size;
  }

  private decayed(a: Account): number {
    const t = this.now();
    if (a.points === 0) return 0;
    const points = a.points * 0.5 ** ((t - a.pointsAt) / this.o.halfLifeMs);
    a.points = points < 0.01 ? 0 : points;
    a.pointsAt = t;
    return a.points;
  }

  private addPoints(a: Account, n: number): void {
    a.points = this.decayed(a) + n;
    a.pointsAt = this.now();
  }

  private touch(peer: string): Account {
    let a = this.accounts.get(peer);
    if (a) {
      this.accounts.delete(peer);
    } else {
      const t = this.now();
      a = { tokens: this.o.burst, refilledAt: t, windowStart: t, ignores: 0, points: 0, pointsAt: t };
      if (this.accounts.size >= this.o.maxPeers) {
        const stalest = this.accounts.keys().next().value;
        if (stalest !== undefined) this.accounts.delete(stalest);
      }
    }
    this.accounts.set(peer, a);
    return a;
  }
}
