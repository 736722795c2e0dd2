// Per-client token buckets for HTTP routes whose cost falls on others: a quote makes every quoter
// (solver) do engine work, so one client must not take the quote capacity of everybody else. A
// client is its remote address (no proxy header is trusted: behind a reverse proxy, limit there).
// The map is bounded: past `maxClients` the least recently seen client is forgotten, which can
// only give it a fresh burst, never refuse anyone else.

export type ClientRateOptions = {
  /** Sustained requests per second per client. */
  perSecond: number;
  /** Requests a quiet client may make at once. */
  burst: number;
  /** Clients remembered (default 10,000). */
  maxClients?: number;
  now?: () => number;
};

export class ClientRate {
  private readonly o: Required<ClientRateOptions>;
  /** Tokens and the time they were counted, per client; insertion order = least recently seen first. */
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(o: ClientRateOptions) {
    if (!(o.perSecond > 0) || !(o.burst >= 1)) throw new Error('ClientRate needs perSecond > 0 and burst >= 1');
    this.o = { maxClients: 10_000, now: () => Date.now(), ...o };
  }

  /** Takes one request's token: undefined when admitted, else the seconds until one is free. */
  take(client: string): number | undefined {
    const now = this.o.now();
    const b = this.buckets.get(client);
    let tokens = this.o.burst;
    if (b) {
      tokens = Math.min(this.o.burst, b.tokens + ((now - b.at) / 1000) * this.o.perSecond);
      this.buckets.delete(client); // re-inserted below: most recently seen last
    } else if (this.buckets.size >= this.o.maxClients) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    if (tokens < 1) {
      this.buckets.set(client, { tokens, at: now });
      return Math.max(1, Math.ceil((1 - tokens) / this.o.perSecond));
    }
    this.buckets.set(client, { tokens: tokens - 1, at: now });
    return undefined;
  }

  get clients(): number {
    return this.buckets.size;
  }
}
