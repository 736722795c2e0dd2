// Follows the Settlement's events on chain (TradeSettled, PositionTradeSettled, OptionTradeSettled,
// Settled) and joins
// them with the intents this process submitted: fills, the surplus users got over their limits
// (valued in USD at the auctions' reference prices), which solver won each settled batch, and
// submission-to-settlement latency.
import type { Address, Hex, PublicClient } from 'viem';
import { settlementEventsIn } from '../contracts/client/events.ts';
import { ceilDiv } from '../protocol/clearing.ts';
import type { Deployment } from './deployment.ts';
import type { Made } from './traffic.ts';

export type Fill =
  | { kind: 'swap'; id: Hex; owner: Address; executedSell: bigint; executedBuy: bigint; tx: Hex; block: bigint; seenAt: number }
  | { kind: 'position'; id: Hex; owner: Address; sizeDelta: bigint; price: bigint; market: number; tx: Hex; block: bigint; seenAt: number }
  | { kind: 'option'; id: Hex; owner: Address; size: bigint; premium: bigint; series: bigint; tx: Hex; block: bigint; seenAt: number };

export type Tracked = { made: Made; node: number; submittedAt: number; accepted: boolean; code?: string; fills: Fill[] };

const WAD = 10n ** 18n;

export class ChainTracker {
  readonly fills = new Map<Hex, Fill[]>();
  readonly settled: { auctionId: bigint; solver: Address; tx: Hex; block: bigint; seenAt: number }[] = [];
  readonly tracked = new Map<Hex, Tracked>();
  private next?: bigint;
  private timer?: NodeJS.Timeout;
  private running = false;
  private readonly client: PublicClient;
  private readonly d: Deployment;
  private readonly listeners = new Set<() => void>();

  constructor(client: PublicClient, d: Deployment) {
    this.client = client;
    this.d = d;
  }

  async start(pollMs = 50): Promise<void> {
    this.next = (await this.client.getBlockNumber({ cacheTime: 0 })) + 1n;
    const loop = (): void => {
      this.timer = setTimeout(() => void this.poll().finally(() => this.timer && loop()), pollMs);
      this.timer.unref();
    };
    loop();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Resolves when `pred()` holds after a poll (or rejects after `ms`). */
  waitFor(pred: () => boolean, ms: number): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const f = (): void => {
        if (!pred()) return;
        this.listeners.delete(f);
        clearTimeout(t);
        resolve();
      };
      const t = setTimeout(() => {
        this.listeners.delete(f);
        reject(new Error(`condition not met within ${ms} ms`));
      }, ms);
      this.listeners.add(f);
    });
  }

  track(made: Made, node: number, submittedAt: number, accepted: boolean, code?: string): void {
    this.tracked.set(made.id, { made, node, submittedAt, accepted, ...(code ? { code } : {}), fills: this.fills.get(made.id) ?? [] });
  }

  async poll(): Promise<void> {
    if (this.running || this.next === undefined) return;
    this.running = true;
    try {
      const head = await this.client.getBlockNumber({ cacheTime: 0 });
      if (head < this.next) return;
      const events = await settlementEventsIn(this.client, this.d.settlement, { fromBlock: this.next, toBlock: head });
      const now = Date.now();
      for (const ev of events) {
        const base = { tx: ev.transactionHash, block: ev.blockNumber, seenAt: now };
        let fill: Fill | undefined;
        if (ev.eventName === 'TradeSettled') {
          const a = ev.args;
          fill = {
            kind: 'swap',
            id: a.digest.toLowerCase() as Hex,
            owner: a.owner,
            executedSell: a.executedSellAmount,
            executedBuy: a.executedBuyAmount,
            ...base,
          };
        } else if (ev.eventName === 'PositionTradeSettled') {
          const a = ev.args;
          fill = {
            kind: 'position',
            id: a.digest.toLowerCase() as Hex,
            owner: a.account,
            sizeDelta: a.sizeDelta,
            price: a.price,
            market: a.market,
            ...base,
          };
        } else if (ev.eventName === 'OptionTradeSettled') {
          const a = ev.args;
          fill = {
            kind: 'option',
            id: a.digest.toLowerCase() as Hex,
            owner: a.account,
            size: a.size,
            premium: a.premium,
            series: a.series,
            ...base,
          };
        } else if (ev.eventName === 'Settled') {
          this.settled.push({ auctionId: ev.args.auctionId, solver: ev.args.solver.toLowerCase() as Address, ...base });
        }
        if (fill) {
          const list = this.fills.get(fill.id) ?? [];
          list.push(fill);
          this.fills.set(fill.id, list);
          const t = this.tracked.get(fill.id);
          if (t && t.fills !== list) t.fills = list;
        }
      }
      this.next = head + 1n;
      for (const f of [...this.listeners]) f();
    } catch {
      // a transient RPC failure: the next poll catches up from the same block
    } finally {
      this.running = false;
    }
  }

  /** Surplus of one tracked intent over its limit, in USD (float), from its fills. */
  surplusUsd(t: Tracked): number {
    let usd = 0;
    const signed = t.made.signed;
    for (const f of t.fills) {
      if (signed.type === 'swap' && f.kind === 'swap') {
        const i = signed.intent;
        const minBuy = ceilDiv(i.buyAmount * f.executedSell, i.sellAmount);
        const ref = BigInt(this.d.referencePrices[i.buyToken.toLowerCase()] ?? '0');
        usd += Number(((f.executedBuy - minBuy) * ref) / WAD) / 1e18;
      } else if (signed.type === 'position' && f.kind === 'position') {
        const p = signed.intent;
        // this fill's executed size (a part of a partially fillable intent)
        const size = f.sizeDelta < 0n ? -f.sizeDelta : f.sizeDelta;
        const diff = p.sizeDelta > 0n ? p.limitPrice - f.price : f.price - p.limitPrice;
        usd += Number((size * diff) / WAD) / 1e18; // collateral is DAI, 1 USD
      } else if (signed.type === 'option' && f.kind === 'option') {
        const o = signed.intent;
        const size = f.size < 0n ? -f.size : f.size;
        const diff = o.size > 0n ? o.premiumLimit - f.premium : f.premium - o.premiumLimit;
        usd += Number((size * diff) / WAD) / 1e18;
      }
    }
    return usd;
  }

  /** Whether the tracked intent is completely filled by its fills. */
  isFilled(t: Tracked): boolean {
    const s = t.made.signed;
    if (s.type === 'position' || s.type === 'option') {
      // a reduce-only intent is done once filled at all (its fill is clamped to the position)
      if (s.intent.reduceOnly) return t.fills.length > 0;
      const signedSize = s.type === 'position' ? s.intent.sizeDelta : s.intent.size;
      const size = signedSize < 0n ? -signedSize : signedSize;
      const executed = (f: Fill): bigint => (f.kind === 'position' ? f.sizeDelta : f.kind === 'option' ? f.size : 0n);
      return t.fills.reduce((a, f) => a + (executed(f) < 0n ? -executed(f) : executed(f)), 0n) >= size;
    }
    const full = s.intent.kind === 0 ? s.intent.sellAmount : s.intent.buyAmount;
    const done = t.fills.reduce((a, f) => a + (f.kind === 'swap' ? (s.intent.kind === 0 ? f.executedSell : f.executedBuy) : 0n), 0n);
    return done >= full;
  }

  /** First settlement time of a tracked intent (ms), if any. */
  settledAt(t: Tracked): number | undefined {
    return t.fills.length ? Math.min(...t.fills.map((f) => f.seenAt)) : undefined;
  }
}
