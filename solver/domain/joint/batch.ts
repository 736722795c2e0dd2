// The joint solver's view of one auction: its swap intents as entries (token indices, float
// amounts, the limit as a price ratio, the fill the search is at) over a router of the pools
// that can matter.
import type { Address, Hex } from 'viem';
import type { SwapIntent } from '../../../protocol/intent.ts';
import { SwapKind } from '../../../protocol/intent.ts';
import type { Auction } from '../../../protocol/score.ts';
import { lower } from '../address.ts';
import type { LiquidityAdapter } from '../liquidity/adapter.ts';
import type { SolveOptions } from '../options.ts';
import { Router } from '../routing/router.ts';
import { openSwaps } from '../open-swaps.ts';
import { prunePools } from './prune.ts';

export type Entry = {
  id: Hex;
  intent: SwapIntent;
  /** Remaining amount in the kind token. */
  amount: bigint;
  /** `amount` as a float. */
  x: number;
  /** Router indices of the sell and buy tokens. */
  s: number;
  t: number;
  /** SELL (x is paid in) or BUY (x is taken out). */
  sell: boolean;
  partial: boolean;
  /** Limit as a price ratio: filled iff p_s / p_t >= lim. */
  lim: number;
  /** Fill fraction (float search); 0 = not filled. */
  f: number;
  /** A partial fill cut back for its limit at the uniform prices: no longer follows the marginal price. */
  frozen?: boolean;
  /** Bracket of the fill's bisection (partially fillable intents). */
  lo?: number;
  hi?: number;
  /** Times this partially fillable intent's fill broke its limit at the uniform prices. */
  violations?: number;
  /** Times this fill-or-kill intent was dropped for its limit. */
  dropped?: number;
};

export type JointBatch = {
  auction: Auction;
  opts: SolveOptions;
  /** The caller's adapters (pre-batch state). */
  original: LiquidityAdapter[];
  /** Copies of the pools that can matter, float models frozen (nothing swaps on them). */
  router: Router;
  /** Swap intents that can fill (valid, fillable, both tokens reachable by a pool). */
  entries: Entry[];
  /** Swap intents in the auction. */
  intents: number;
};

/** Numeraire value of one base unit of `token` (its reference price / 1e18); 0 if it has none. */
export function referenceValue(auction: Auction, token: Address): number {
  return Number(auction.referencePrices.get(token) ?? auction.referencePrices.get(lower(token)) ?? 0n) / 1e18;
}

export function collectBatch(auction: Auction, pools: LiquidityAdapter[], opts: SolveOptions): JointBatch {
  const now = opts.now ?? 0;
  const { swaps, intents } = openSwaps(auction, now);
  const tokens = new Set<Address>(swaps.flatMap((r) => [r.sellToken, r.buyToken]));
  const router = new Router(prunePools(pools, tokens).map((p) => p.clone()));
  router.freezeBands(); // the joint solve never swaps on these copies
  const entries: Entry[] = [];
  for (const r of swaps) {
    const s = router.tokenIndex.get(r.sellToken);
    const t = router.tokenIndex.get(r.buyToken);
    if (s === undefined || t === undefined) continue; // no liquidity at all for this token
    entries.push({
      id: r.id,
      intent: r.intent,
      amount: r.amount,
      x: Number(r.amount),
      s,
      t,
      sell: r.intent.kind === SwapKind.SELL,
      partial: r.intent.partiallyFillable,
      lim: Number(r.intent.buyAmount) / Number(r.intent.sellAmount),
      f: 1,
    });
  }
  return { auction, opts, original: pools, router, entries, intents };
}

/** The fill fraction of every entry, in entry order. */
export function fillsOf(entries: readonly Entry[]): Float64Array {
  return Float64Array.from(entries, (en) => en.f);
}
