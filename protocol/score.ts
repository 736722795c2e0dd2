// The scoring rule every node applies to every solution: the total surplus users get over their
// limits, valued in one numeraire. A solution that breaks any rule is invalid (an error naming
// the trade), never "worth zero", so nodes can prove misbehaviour instead of merely ranking it.
// Position surplus is |fill| x the distance from the limit to the market's clearing price, in the
// collateral token, valued like a swap's surplus in that token. The solver's own liquidity (signed
// position intents outside the auction) must meet its limits too but adds nothing.
//
// Surplus amounts come from the solution's own clearing prices (clearing.ts, the contract's
// formulas). They are converted to the numeraire with the auction's reference prices, not the
// solution's: clearing prices are only meaningful as ratios, and a solver could otherwise inflate
// its score by scaling its whole price vector.
import type { Address, Hex } from 'viem';
import { fillableAmount, limitHolds, positionLimitHolds, tradeAmounts, tradeSurplus } from './clearing.ts';
import { abs } from './margin.ts';
import type { Intent } from './intent.ts';
import { fail, ok, type Result } from './result.ts';
import type { Solution } from './solution.ts';

export const PRICE_SCALE = 10n ** 18n;

export type AuctionIntent = {
  id: Hex;
  intent: Intent;
  /** Already filled on chain, in the intent's kind token (partially fillable swaps only). */
  filled?: bigint;
};

export type Auction = {
  id: bigint;
  intents: ReadonlyMap<Hex, AuctionIntent>;
  /** Numeraire value of 1e18 base units of each token (CoW's "native price"). */
  referencePrices: ReadonlyMap<Address, bigint>;
  /** The clearing house collateral token: position surplus is paid in it. */
  collateralToken?: Address;
};

export type TradeScore = { intentId: Hex; surplus: bigint; value: bigint };
export type SolutionScore = { score: bigint; trades: TradeScore[] };

const lower = (a: Address): Address => a.toLowerCase() as Address;

function referencePrice(auction: Auction, token: Address): bigint | undefined {
  return auction.referencePrices.get(lower(token)) ?? auction.referencePrices.get(token);
}

/** Scores a solution for an auction; see the module comment for the rule. */
export function scoreSolution(solution: Solution, auction: Auction): Result<SolutionScore> {
  if (solution.auctionId !== auction.id) {
    return fail('invalid_solution', 'auctionId', `solution is for auction ${solution.auctionId}, not ${auction.id}`);
  }
  const prices = new Map<Address, bigint>();
  for (const p of solution.prices) prices.set(lower(p.token), p.price);
  const marketPrices = new Map<number, bigint>();
  for (const m of solution.marketPrices) marketPrices.set(m.market, m.price);

  const trades: TradeScore[] = [];
  const seen = new Set<Hex>();
  const fillsByMarket = new Set<string>();
  let score = 0n;
  for (const [k, trade] of solution.trades.entries()) {
    const field = `trades[${k}]`;
    const id = trade.intentId.toLowerCase() as Hex;
    if (seen.has(id)) return fail('invalid_solution', field, 'intent traded twice');
    seen.add(id);
    const entry = auction.intents.get(id);
    if (!entry) return fail('invalid_solution', field, `intent ${id} is not in the auction`);
    if (trade.executed === 0n) return fail('invalid_solution', field, 'executed amount is zero');

    let surplusValue: bigint;
    let surplus: bigint;
    if (entry.intent.type === 'swap') {
      const i = entry.intent.intent;
      const sellPrice = prices.get(lower(i.sellToken));
      const buyPrice = prices.get(lower(i.buyToken));
      if (!sellPrice || !buyPrice) return fail('invalid_solution', field, 'no positive clearing price for a traded token');
      const fillable = fillableAmount(i, entry.filled);
      if (i.partiallyFillable ? trade.executed > fillable : trade.executed !== fillable) {
        return fail(
          'invalid_solution',
          field,
          i.partiallyFillable
            ? `executes ${trade.executed}, only ${fillable} left`
            : 'fill-or-kill intent not filled exactly (or already filled)',
        );
      }
      if (!limitHolds(i, sellPrice, buyPrice)) return fail('invalid_solution', field, 'clearing prices violate the limit price');
      const s = tradeSurplus(i, tradeAmounts(i, trade.executed, sellPrice, buyPrice));
      const ref = referencePrice(auction, s.token === 'buy' ? i.buyToken : i.sellToken);
      if (ref === undefined) return fail('invalid_solution', field, 'the auction has no reference price for the surplus token');
      surplus = s.amount;
      surplusValue = (s.amount * ref) / PRICE_SCALE;
    } else if (entry.intent.type === 'option') {
      return fail('invalid_solution', field, 'option intents cannot be settled yet');
    } else {
      const p = entry.intent.intent;
      const price = marketPrices.get(p.market);
      if (!price) return fail('invalid_solution', field, `no positive clearing price for market ${p.market}`);
      const size = abs(p.sizeDelta);
      const fillable = size - (entry.filled ?? 0n);
      if (p.partiallyFillable ? trade.executed > fillable : trade.executed !== fillable || fillable !== size) {
        return fail(
          'invalid_solution',
          field,
          p.partiallyFillable ? `executes ${trade.executed}, only ${fillable} left` : 'fill-or-kill position intent not filled exactly',
        );
      }
      const once = positionFillOnce(fillsByMarket, p.account, p.market, field);
      if (!once.ok) return once;
      const isBuy = p.sizeDelta > 0n;
      if (!positionLimitHolds(p, price)) {
        return fail('invalid_solution', field, `market price ${price} is beyond the limit ${p.limitPrice}`);
      }
      const collateral = auction.collateralToken;
      const ref = collateral === undefined ? undefined : referencePrice(auction, collateral);
      if (ref === undefined) return fail('invalid_solution', field, 'the auction has no reference price for collateral');
      // A reduce-only fill is valued at the size requested: the chain clamps it to the position,
      // which the scoring rule cannot see (nodes score without reading accounts).
      surplus = (trade.executed * (isBuy ? p.limitPrice - price : price - p.limitPrice)) / PRICE_SCALE;
      surplusValue = (surplus * ref) / PRICE_SCALE;
    }
    trades.push({ intentId: id, surplus, value: surplusValue });
    score += surplusValue;
  }
  for (const [k, l] of (solution.liquidity ?? []).entries()) {
    const field = `liquidity[${k}]`;
    const p = l.intent;
    const price = marketPrices.get(p.market);
    if (!price) return fail('invalid_solution', field, `no positive clearing price for market ${p.market}`);
    const size = abs(p.sizeDelta);
    if (l.executed === 0n || (p.partiallyFillable ? l.executed > size : l.executed !== size)) {
      return fail('invalid_solution', field, `executed ${l.executed} does not fit the signed size ${size}`);
    }
    if (!positionLimitHolds(p, price)) {
      return fail('invalid_solution', field, `market price ${price} is beyond the liquidity's limit ${p.limitPrice}`);
    }
    const once = positionFillOnce(fillsByMarket, p.account, p.market, field);
    if (!once.ok) return once;
  }
  return ok({ score, trades });
}

/**
 * The clearing house takes at most one fill per account and market in a batch (so no account
 * trades with itself, and a liquidity source is never quoted twice on the same state).
 */
function positionFillOnce(seen: Set<string>, account: Address, market: number, field: string): Result<true> {
  const key = `${account.toLowerCase()}:${market}`;
  if (seen.has(key)) return fail('invalid_solution', field, `account ${account} fills twice in market ${market}`);
  seen.add(key);
  return ok(true);
}

/**
 * Deterministic ranking all honest nodes agree on when they saw the same solutions: highest
 * score first, ties broken by the lower solution hash.
 */
export function compareScored(a: { score: bigint; hash: Hex }, b: { score: bigint; hash: Hex }): number {
  if (a.score !== b.score) return a.score > b.score ? -1 : 1;
  return a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0;
}
