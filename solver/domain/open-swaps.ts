// The swap intents of an auction a strategy can still fill: both strategies start from this list,
// so they agree on what "fillable" means (valid at `now`, something left, two distinct tokens).
import type { Address, Hex } from 'viem';
import { fillableAmount } from '../../protocol/clearing.ts';
import type { SwapIntent } from '../../protocol/intent.ts';
import type { Auction } from '../../protocol/score.ts';
import { lower } from './address.ts';

export type OpenSwap = {
  /** The intent id, lower-case. */
  id: Hex;
  intent: SwapIntent;
  /** What is left to fill, in the intent's own amount (sell or buy side by its kind). */
  amount: bigint;
  sellToken: Address;
  buyToken: Address;
};

/** The fillable swaps, in auction order, and how many swap intents the auction has in all. */
export function openSwaps(auction: Auction, now: number): { swaps: OpenSwap[]; intents: number } {
  const swaps: OpenSwap[] = [];
  let intents = 0;
  for (const [id, entry] of auction.intents) {
    if (entry.intent.type !== 'swap') continue;
    intents++;
    const intent = entry.intent.intent;
    if (intent.validTo < now) continue;
    const amount = fillableAmount(intent, entry.filled);
    if (amount <= 0n || intent.sellAmount <= 0n || intent.buyAmount <= 0n) continue;
    const sellToken = lower(intent.sellToken);
    const buyToken = lower(intent.buyToken);
    if (sellToken === buyToken) continue;
    swaps.push({ id: lower(id) as Hex, intent, amount, sellToken, buyToken });
  }
  return { swaps, intents };
}
