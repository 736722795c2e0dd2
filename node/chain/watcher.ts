// Chain watcher: follows the Settlement contract block by block and moves pool intents to
// filled / partially filled (TradeSettled, by digest) or cancelled (NoncesInvalidated, by the
// owner's nonce bits). Reorgs are detected by block hash: before applying block n we check that
// its parent hash is the hash we applied at n-1; if not, the blocks we applied are rolled back
// from their undo records (each record keeps the pool records as they were before the block)
// until the chains agree, then the new canonical blocks are applied. The cursor and the undo
// records of the last `keepBlocks` blocks live in the node's level database, so a restart
// resumes where it stopped.
import { createPublicClient, http, parseEventLogs, type Address, type Hex, type PublicClient } from 'viem';
import { settlementAbi } from '../../contracts/artifacts/Settlement.ts';
import { fromHex } from '../../protocol/bytes.ts';
import { decodeSignedIntent } from '../../protocol/codec.ts';
import type { IntentNode } from '../node.ts';
import type { BlockUndo, ChainCursor } from '../db/chain-blocks.ts';
import type { PoolRecord } from '../pool/record.ts';

type Cursor = ChainCursor;
type Undo = BlockUndo;

export type WatcherOptions = { rpcUrl: string; settlement: Address; pollMs?: number; keepBlocks?: number; timeoutMs?: number };

export class ChainWatcher {
  readonly client: PublicClient;
  private readonly node: IntentNode;
  private readonly o: Required<WatcherOptions>;
  private cursor?: Cursor;
  private timer?: NodeJS.Timeout;
  private running = false;
  reorgs = 0;

  constructor(node: IntentNode, o: WatcherOptions) {
    this.node = node;
    this.o = { pollMs: 1000, keepBlocks: 128, timeoutMs: 2000, ...o };
    this.client = createPublicClient({ transport: http(o.rpcUrl, { timeout: this.o.timeoutMs, retryCount: 0 }) });
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
    try {
      if (!this.cursor) {
        const saved = await this.node.db.chainBlocks.cursor();
        if (saved) this.cursor = saved;
        else {
          const head = await this.client.getBlock({ blockTag: 'latest' });
          this.cursor = { number: Number(head.number), hash: head.hash };
          await this.node.db.chainBlocks.saveCursor(this.cursor);
        }
      }
      const head = Number(await this.client.getBlockNumber({ cacheTime: 0 }));
      while (this.cursor.number < head) {
        const n = this.cursor.number + 1;
        const block = await this.client.getBlock({ blockNumber: BigInt(n) });
        if (block.parentHash !== this.cursor.hash) {
          await this.rollback();
          continue;
        }
        await this.apply(n, block.hash, block.parentHash);
      }
      // A reorg to a chain of equal or lower height: the head block itself changed.
      if (this.cursor.number >= head) {
        const tip = await this.client.getBlock({ blockNumber: BigInt(this.cursor.number) }).catch(() => undefined);
        if (!tip || tip.hash !== this.cursor.hash) await this.rollback();
      }
    } catch (err) {
      this.node.log.warn({ event: 'watcher_poll_failed', err: (err as Error).message.split('\n')[0] });
    } finally {
      this.running = false;
    }
  }

  private async apply(n: number, hash: Hex, parentHash: Hex): Promise<void> {
    const logs = await this.client.getLogs({ address: this.o.settlement, blockHash: hash });
    const events = parseEventLogs({ abi: settlementAbi, logs, strict: true });
    const before = new Map<string, PoolRecord>();
    const touch = async (rec: PoolRecord): Promise<void> => {
      if (!before.has(rec.digest)) before.set(rec.digest, rec);
    };
    for (const ev of events) {
      if (ev.eventName === 'TradeSettled') {
        const digest = (ev.args.digest as Hex).toLowerCase() as Hex;
        const rec = await this.node.pool.get(digest);
        if (!rec) continue;
        const dec = decodeSignedIntent(fromHex(rec.bytes));
        if (!dec.ok || dec.value.type !== 'swap') continue;
        const i = dec.value.intent;
        const executed = i.kind === 0 ? (ev.args.executedSellAmount as bigint) : (ev.args.executedBuyAmount as bigint);
        const full = i.kind === 0 ? i.sellAmount : i.buyAmount;
        const filled = BigInt(rec.filled ?? '0') + executed;
        await touch(rec);
        await this.node.pool.update(digest, filled >= full ? 'filled' : 'partially_filled', { filled: filled.toString(), txHash: ev.transactionHash, blockNumber: n, blockHash: hash });
        this.node.metrics.poolStates.inc({ state: filled >= full ? 'filled' : 'partially_filled' });
        this.node.log.info({ event: 'intent_filled', id: digest, filled: filled.toString(), tx: ev.transactionHash, block: n });
      } else if (ev.eventName === 'PositionTradeSettled') {
        // Position intents are fill-or-kill: one event fills the whole |sizeDelta|.
        const digest = (ev.args.digest as Hex).toLowerCase() as Hex;
        const rec = await this.node.pool.get(digest);
        if (!rec) continue;
        const size = ev.args.sizeDelta as bigint;
        await touch(rec);
        await this.node.pool.update(digest, 'filled', { filled: (size < 0n ? -size : size).toString(), txHash: ev.transactionHash, blockNumber: n, blockHash: hash });
        this.node.metrics.poolStates.inc({ state: 'filled' });
        this.node.log.info({ event: 'intent_filled', id: digest, kind: 'position', market: Number(ev.args.market), price: (ev.args.price as bigint).toString(), tx: ev.transactionHash, block: n });
      } else if (ev.eventName === 'Settled') {
        // Which solver settled which auction: the auction view shows it beside the ranking, so
        // anyone can tell whether the winner settled in its window or a runner-up stepped in.
        const auctionId = Number(ev.args.auctionId as bigint);
        await this.node.db.auctions.saveSettlement(auctionId, { solver: (ev.args.solver as Address).toLowerCase() as Address, txHash: ev.transactionHash, blockNumber: n, blockHash: hash });
        this.node.log.info({ event: 'auction_settled', auctionId, solver: ev.args.solver, tx: ev.transactionHash, block: n });
      } else if (ev.eventName === 'NoncesInvalidated') {
        const owner = (ev.args.owner as Address).toLowerCase() as Address;
        const word = ev.args.wordPos as bigint;
        const mask = ev.args.mask as bigint;
        for (const rec of this.node.pool.liveByOwner(owner)) {
          const dec = decodeSignedIntent(fromHex(rec.bytes));
          if (!dec.ok) continue;
          const nonce = dec.value.intent.nonce;
          if (nonce >> 8n !== word || ((mask >> (nonce & 0xffn)) & 1n) === 0n) continue;
          await touch(rec);
          await this.node.pool.update(rec.digest, 'cancelled', { txHash: ev.transactionHash, blockNumber: n, blockHash: hash });
          this.node.metrics.poolStates.inc({ state: 'cancelled' });
          this.node.log.info({ event: 'intent_cancelled_on_chain', id: rec.digest, tx: ev.transactionHash, block: n });
        }
      }
    }
    const undo: Undo = { hash, parentHash, before: [...before.values()] };
    this.cursor = { number: n, hash };
    await this.node.db.chainBlocks.applied(n, undo, this.o.keepBlocks);
    this.node.metrics.poolLive.set(this.node.pool.size);
  }

  /** Undoes the block at the cursor and steps back one block. */
  private async rollback(): Promise<void> {
    const c = this.cursor!;
    const undo = await this.node.db.chainBlocks.undo(c.number);
    if (!undo) throw new Error(`reorg deeper than the ${this.o.keepBlocks} blocks kept (block ${c.number})`);
    for (const rec of undo.before.reverse()) await this.node.pool.restore(rec);
    this.reorgs++;
    this.node.log.warn({ event: 'reorg_rollback', block: c.number, hash: c.hash, restored: undo.before.length });
    this.cursor = { number: c.number - 1, hash: undo.parentHash };
    await this.node.db.chainBlocks.rolledBack(c.number, this.cursor);
  }
}

