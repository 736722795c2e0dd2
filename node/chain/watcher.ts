// Chain watcher: follows the Settlement contract block by block and moves pool intents to
// filled / partially filled (TradeSettled, PositionTradeSettled, by digest) or cancelled
// (NoncesInvalidated, by the owner's nonce bits), and records which solver settled each auction
// (Settled). Reorgs are detected by block hash: before applying block n we check that its parent
// hash is the hash we applied at n-1; if not, the blocks we applied are rolled back from their
// undo records (each keeps the pool records as they were before the block) until the chains
// agree, then the new canonical blocks are applied. Logs are read by block hash, so a block that
// is reorged away between reading its header and its logs cannot mix two forks. The cursor and
// the undo records of the last `keepBlocks` blocks are stored (node/db/chain-blocks.ts), so a
// restart resumes where it stopped.
import type { Address, Hex, PublicClient } from 'viem';
import { settlementEventsIn, type SettlementEvent } from '../../contracts/client/events.ts';
import { fromHex } from '../../protocol/bytes.ts';
import { decodeSignedIntent } from '../../protocol/codec.ts';
import type { AuctionRepository } from '../db/auctions.ts';
import type { BlockUndo, ChainBlockRepository, ChainCursor } from '../db/chain-blocks.ts';
import type { Logger } from '../log.ts';
import type { NodeMetrics } from '../metrics.ts';
import type { IntentPool } from '../pool/pool.ts';
import type { PoolRecord } from '../pool/record.ts';

export type WatcherDeps = {
  client: PublicClient;
  settlement: Address;
  pool: IntentPool;
  blocks: ChainBlockRepository;
  auctions: AuctionRepository;
  metrics: NodeMetrics;
  log: Logger;
};

export type WatcherOptions = { pollMs: number; keepBlocks: number };

export const defaultWatcherOptions: WatcherOptions = { pollMs: 1000, keepBlocks: 128 };

/** Where an event was seen, for the records it changes. */
type Seen = { txHash: Hex; blockNumber: number; blockHash: Hex };

export class ChainWatcher {
  private readonly d: WatcherDeps;
  private readonly o: WatcherOptions;
  private cursor?: ChainCursor;
  private timer?: NodeJS.Timeout;
  private running = false;
  reorgs = 0;

  constructor(deps: WatcherDeps, o: Partial<WatcherOptions> = {}) {
    this.d = deps;
    this.o = { ...defaultWatcherOptions, ...o };
  }

  start(): void {
    const loop = (): void => {
      this.timer = setTimeout(() => void this.poll().finally(loop), this.o.pollMs);
      this.timer.unref?.();
    };
    void this.poll().finally(loop);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  /** One catch-up pass to the current head. Public for tests. */
  async poll(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const { client } = this.d;
    try {
      if (!this.cursor) {
        const saved = await this.d.blocks.cursor();
        if (saved) this.cursor = saved;
        else {
          const head = await client.getBlock({ blockTag: 'latest' });
          this.cursor = { number: Number(head.number), hash: head.hash };
          await this.d.blocks.saveCursor(this.cursor);
        }
      }
      const head = Number(await client.getBlockNumber({ cacheTime: 0 }));
      while (this.cursor.number < head) {
        const n = this.cursor.number + 1;
        const block = await client.getBlock({ blockNumber: BigInt(n) });
        if (block.parentHash !== this.cursor.hash) {
          await this.rollback();
          continue;
        }
        await this.apply(n, block.hash, block.parentHash);
      }
      // A reorg to a chain of equal or lower height: the head block itself changed.
      if (this.cursor.number >= head) {
        const tip = await client.getBlock({ blockNumber: BigInt(this.cursor.number) }).catch(() => undefined);
        if (!tip || tip.hash !== this.cursor.hash) await this.rollback();
      }
    } catch (err) {
      this.d.log.warn({ event: 'watcher_poll_failed', err: (err as Error).message.split('\n')[0] });
    } finally {
      this.running = false;
    }
  }

  private async apply(n: number, hash: Hex, parentHash: Hex): Promise<void> {
    const events = await settlementEventsIn(this.d.client, this.d.settlement, { blockHash: hash });
    const before = new Map<Hex, PoolRecord>();
    const touch = (rec: PoolRecord): void => {
      if (!before.has(rec.digest)) before.set(rec.digest, rec);
    };
    for (const ev of events) await this.applyEvent(ev, { txHash: ev.transactionHash, blockNumber: n, blockHash: hash }, touch);
    const undo: BlockUndo = { hash, parentHash, before: [...before.values()] };
    this.cursor = { number: n, hash };
    await this.d.blocks.applied(n, undo, this.o.keepBlocks);
    this.d.metrics.poolLive.set(this.d.pool.size);
  }

  /** Applies one event; `touch` is called with each record before it changes (the undo record). */
  private async applyEvent(ev: SettlementEvent, at: Seen, touch: (rec: PoolRecord) => void): Promise<void> {
    const { pool, metrics, log } = this.d;
    switch (ev.eventName) {
      case 'TradeSettled': {
        const digest = ev.args.digest.toLowerCase() as Hex;
        const rec = await pool.get(digest);
        if (!rec) return;
        const dec = decodeSignedIntent(fromHex(rec.bytes));
        if (!dec.ok || dec.value.type !== 'swap') return;
        const i = dec.value.intent;
        const executed = i.kind === 0 ? ev.args.executedSellAmount : ev.args.executedBuyAmount;
        const full = i.kind === 0 ? i.sellAmount : i.buyAmount;
        const filled = BigInt(rec.filled ?? '0') + executed;
        const state = filled >= full ? 'filled' : 'partially_filled';
        touch(rec);
        await pool.update(digest, state, { filled: filled.toString(), ...at });
        metrics.poolStates.inc({ state });
        log.info({ event: 'intent_filled', id: digest, filled: filled.toString(), tx: at.txHash, block: at.blockNumber });
        return;
      }
      case 'PositionTradeSettled':
        return this.sizeFill(ev.args.digest, 'position', ev.args.sizeDelta, at, touch, {
          market: ev.args.market,
          price: ev.args.price.toString(),
        });
      case 'OptionTradeSettled':
        return this.sizeFill(ev.args.digest, 'option', ev.args.size, at, touch, {
          series: ev.args.series.toString(),
          premium: ev.args.premium.toString(),
        });
      case 'Settled': {
        // Which solver settled which auction: the auction view shows it beside the ranking, so
        // anyone can tell whether the winner settled in its window or a runner-up stepped in.
        const auctionId = Number(ev.args.auctionId);
        await this.d.auctions.saveSettlement(auctionId, { solver: ev.args.solver.toLowerCase() as Address, ...at });
        log.info({ event: 'auction_settled', auctionId, solver: ev.args.solver, tx: at.txHash, block: at.blockNumber });
        return;
      }
      case 'NoncesInvalidated': {
        const { owner, wordPos, mask } = ev.args;
        for (const rec of pool.liveByOwner(owner)) {
          const dec = decodeSignedIntent(fromHex(rec.bytes));
          if (!dec.ok) continue;
          const nonce = dec.value.intent.nonce;
          if (nonce >> 8n !== wordPos || ((mask >> (nonce & 0xffn)) & 1n) === 0n) continue;
          touch(rec);
          await pool.update(rec.digest, 'cancelled', { txHash: at.txHash, blockNumber: at.blockNumber, blockHash: at.blockHash });
          metrics.poolStates.inc({ state: 'cancelled' });
          log.info({ event: 'intent_cancelled_on_chain', id: rec.digest, tx: at.txHash, block: at.blockNumber });
        }
        return;
      }
    }
  }

  /**
   * A position or option fill: `executed` is this batch's signed executed size, the whole |size| of
   * a fill-or-kill intent or a part of a partially fillable one (filled adds up across batches, as
   * for swaps).
   */
  private async sizeFill(
    digestWord: Hex,
    kind: 'position' | 'option',
    executedSigned: bigint,
    at: Seen,
    touch: (rec: PoolRecord) => void,
    detail: Record<string, unknown>,
  ): Promise<void> {
    const { pool, metrics, log } = this.d;
    const digest = digestWord.toLowerCase() as Hex;
    const rec = await pool.get(digest);
    if (!rec) return;
    const dec = decodeSignedIntent(fromHex(rec.bytes));
    if (!dec.ok || dec.value.type !== kind) return;
    const signed = dec.value.type === 'position' ? dec.value.intent.sizeDelta : dec.value.type === 'option' ? dec.value.intent.size : 0n;
    const size = signed < 0n ? -signed : signed;
    const executed = executedSigned < 0n ? -executedSigned : executedSigned;
    const filled = BigInt(rec.filled ?? '0') + executed;
    const state = filled >= size ? 'filled' : 'partially_filled';
    touch(rec);
    await pool.update(digest, state, { filled: filled.toString(), ...at });
    metrics.poolStates.inc({ state });
    log.info({ event: 'intent_filled', id: digest, kind, ...detail, filled: filled.toString(), tx: at.txHash, block: at.blockNumber });
  }

  /** Undoes the block at the cursor and steps back one block. */
  private async rollback(): Promise<void> {
    const c = this.cursor!;
    const undo = await this.d.blocks.undo(c.number);
    if (!undo) throw new Error(`reorg deeper than the ${this.o.keepBlocks} blocks kept (block ${c.number})`);
    for (const rec of undo.before.reverse()) await this.d.pool.restore(rec);
    this.reorgs++;
    this.d.log.warn({ event: 'reorg_rollback', block: c.number, hash: c.hash, restored: undo.before.length });
    this.cursor = { number: c.number - 1, hash: undo.parentHash };
    await this.d.blocks.rolledBack(c.number, this.cursor);
  }
}
