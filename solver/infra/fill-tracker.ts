// The fill state of open intents (infra/settlement.ts fillStates), kept across auctions: each
// intent is read once, when first asked for, and afterwards only the Settlement's events between
// blocks say what changed: TradeSettled names a swap's digest (its state is read again),
// NoncesInvalidated names an owner (that owner's intents are read again), and any Settled makes
// every position intent be read again (position fills name no digest). A used nonce never clears,
// so a used intent is never read again. Ids not asked for during `keepCalls` calls are evicted.
import { parseAbi, type Address, type Hex, type PublicClient } from 'viem';
import type { Intent } from '../../protocol/intent.ts';
import { lower } from '../domain/address.ts';
import { type FillState, fillStates } from './settlement.ts';

const settlementEvents = parseAbi([
  'event TradeSettled(address indexed owner, bytes32 digest, address sellToken, address buyToken, uint256 executedSellAmount, uint256 executedBuyAmount)',
  'event NoncesInvalidated(address indexed owner, uint256 wordPos, uint256 mask)',
  'event Settled(address indexed solver, uint256 indexed auctionId)',
]);

type Entry = { state: FillState; owner: Address; position: boolean; asked: number };

export type FillStats = { asked: number; read: number; events: number };

export class FillTracker {
  private readonly client: PublicClient;
  private readonly settlement: Address;
  private readonly keepCalls: number;
  private readonly cache = new Map<Hex, Entry>();
  /** Events applied up to this block; undefined before the first call. */
  private block: bigint | undefined;
  private calls = 0;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(client: PublicClient, settlement: Address, keepCalls = 16) {
    this.client = client;
    this.settlement = settlement;
    this.keepCalls = keepCalls;
  }

  /** Each intent's state at `blockNumber` or later (never older), in order. Serialised. */
  states(intents: readonly { id: Hex; intent: Intent }[], blockNumber: bigint): Promise<{ states: FillState[]; stats: FillStats }> {
    const run = this.chain.then(() => this.statesNow(intents, blockNumber));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async statesNow(
    intents: readonly { id: Hex; intent: Intent }[],
    blockNumber: bigint,
  ): Promise<{ states: FillState[]; stats: FillStats }> {
    const call = ++this.calls;
    let events = 0;
    if (this.block === undefined) this.block = blockNumber;
    else if (blockNumber > this.block) {
      const logs = await this.client.getLogs({
        address: this.settlement,
        events: settlementEvents,
        fromBlock: this.block + 1n,
        toBlock: blockNumber,
        strict: true,
      });
      events = logs.length;
      for (const log of logs) {
        if (log.eventName === 'TradeSettled') {
          const e = this.cache.get(lower(log.args.digest) as Hex);
          if (e && !e.state.used) this.cache.delete(lower(log.args.digest) as Hex);
        } else if (log.eventName === 'NoncesInvalidated') {
          const owner = lower(log.args.owner);
          for (const [id, e] of this.cache) if (e.owner === owner && !e.state.used) this.cache.delete(id);
        } else {
          for (const [id, e] of this.cache) if (e.position && !e.state.used) this.cache.delete(id);
        }
      }
      this.block = blockNumber;
    }
    const missing = intents.filter((x) => !this.cache.has(lower(x.id) as Hex));
    if (missing.length) {
      // read at the block the events are applied to, so nothing falls between the two
      const read = await fillStates(this.client, this.settlement, missing, this.block);
      missing.forEach((x, k) => {
        const i = x.intent;
        this.cache.set(lower(x.id) as Hex, {
          state: read[k]!,
          owner: lower(i.type === 'swap' ? i.intent.owner : i.intent.account),
          position: i.type !== 'swap',
          asked: call,
        });
      });
    }
    const states = intents.map((x) => {
      const e = this.cache.get(lower(x.id) as Hex)!;
      e.asked = call;
      return e.state;
    });
    for (const [id, e] of this.cache) if (call - e.asked >= this.keepCalls) this.cache.delete(id);
    return { states, stats: { asked: intents.length, read: missing.length, events } };
  }
}
