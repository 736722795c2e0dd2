// What the pool keeps per intent: its canonical bytes, where it came from, and its state. The
// database stores it as JSON (node/db/intents.ts); the API shows a view of it (node/api/views.ts).
import type { Address, Hex } from 'viem';
import type { IntentState } from '../../protocol/api.ts';

export type { IntentState };

/** The states an intent never leaves: such an intent is never re-admitted (a replay). */
export type FinalState = Extract<IntentState, 'filled' | 'cancelled' | 'expired'>;

/** Settled or dead: such an intent is never re-admitted (replay). */
export const isFinal = (s: IntentState): s is FinalState => s === 'filled' || s === 'cancelled' || s === 'expired';
/** Can still be (further) filled. */
export const isLive = (s: IntentState): boolean => s === 'open' || s === 'partially_filled';

export type PoolRecord = {
  digest: Hex;
  owner: Address;
  type: 'swap' | 'position' | 'option';
  validTo: number;
  state: IntentState;
  /** The canonical encoding (protocol/codec.ts) of the signed intent. */
  bytes: Hex;
  source: 'api' | 'gossip';
  receivedAt: number;
  updatedAt: number;
  needsChainCheck: boolean;
  /** Filled amount so far (decimal string, in the intent's fill unit) when the chain watcher knows it. */
  filled?: string;
  /** Settlement transaction and block of the last fill / cancel seen on chain. */
  txHash?: Hex;
  blockNumber?: number;
  blockHash?: Hex;
};

/** The chain details the watcher attaches to a record when it sees a fill or cancel. */
export type ChainMark = Partial<Pick<PoolRecord, 'filled' | 'txHash' | 'blockNumber' | 'blockHash'>>;
