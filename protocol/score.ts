// The scoring rule every node applies to every solution: the total surplus users get over their
// limits, valued in one numeraire. A solution that breaks any rule is invalid (an error naming
// the trade), never "worth zero", so nodes can prove misbehaviour instead of merely ranking it.
// Position surplus is |fill| x the distance from the limit to the market's clearing price, in the
// collateral token, valued like a swap's surplus in that token. The solver's own liquidity (signed
// position intents outside the auction) must meet its limits too but adds nothing.
// Option surplus is |fill| x the distance from the premium limit to the series' uniform premium
// (a buyer: limit - premium; a seller: premium - limit), in the collateral token, valued like
// position surplus. Option fills (users' and the solver's own liquidity) must net to zero per
// series, each series traded must have one premium, and an account fills a series at most once.
//
// Surplus amounts come from the solution's own clearing prices (clearing.ts, the contract's
// formulas). They are converted to the numeraire with the auction's reference prices, not the
// solution's: clearing prices are only meaningful as ratios, and a solver could otherwise inflate
// its score by scaling its whole price vector.
import type { Address, Hex } from 'viem';
import { fillableAmount, limitHolds, optionLimitHolds, positionLimitHolds, tradeAmounts, tradeSurplus } from './clearing.ts';
import { abs } from './margin.ts';
import type { Intent, OptionIntent } from './intent.ts';
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

  const premiums = new Map<bigint, bigint>();
  for (const p of solution.optionPremiums ?? []) premiums.set(p.series, p.premium);
  const options = new OptionFills(premiums);

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
      const o = entry.intent.intent;
      const fill = options.add(o, trade.executed, entry.filled ?? 0n, field);
      if (!fill.ok) return fill;
      const collateral = collateralReference(auction, field);
      if (!collateral.ok) return collateral;
      surplus = (trade.executed * (o.size > 0n ? o.premiumLimit - fill.value : fill.value - o.premiumLimit)) / PRICE_SCALE;
      surplusValue = (surplus * collateral.value) / PRICE_SCALE;
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
      const ref = collateralReference(auction, field);
      if (!ref.ok) return ref;
      // A reduce-only fill is valued at the size requested: the chain clamps it to the position,
      // which the scoring rule cannot see (nodes score without reading accounts).
      surplus = (trade.executed * (isBuy ? p.limitPrice - price : price - p.limitPrice)) / PRICE_SCALE;
      surplusValue = (surplus * ref.value) / PRICE_SCALE;
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
  for (const [k, l] of (solution.optionLiquidity ?? []).entries()) {
    const fill = options.add(l.intent, l.executed, 0n, `optionLiquidity[${k}]`);
    if (!fill.ok) return fill;
  }
  const balanced = options.balanced();
  if (!balanced.ok) return balanced;
  return ok({ score, trades });
}

function collateralReference(auction: Auction, field: string): Result<bigint> {
  const collateral = auction.collateralToken;
  const ref = collateral === undefined ? undefined : referencePrice(auction, collateral);
  return ref === undefined ? fail('invalid_solution', field, 'the auction has no reference price for collateral') : ok(ref);
}

/**
 * A solution's option fills, users' and the solver's own: each within its intent (fill-or-kill:
 * all that is left, which is all of it; partial: at most what is left), within its premium limit
 * at its series' premium, one per account and series, and netting to zero per series (the option
 * book's rule: every contract bought is one sold). Every listed premium must be traded.
 */
class OptionFills {
  private readonly net = new Map<bigint, bigint>();
  private readonly accounts = new Set<string>();
  private readonly premiums: ReadonlyMap<bigint, bigint>;
  constructor(premiums: ReadonlyMap<bigint, bigint>) {
    this.premiums = premiums;
  }

  /** Records one fill; returns the series' premium. */
  add(o: OptionIntent, executed: bigint, filled: bigint, field: string): Result<bigint> {
    const premium = this.premiums.get(o.series);
    if (premium === undefined) return fail('invalid_solution', field, `no premium for option series ${o.series}`);
    const size = abs(o.size);
    const left = size - filled;
    if (executed === 0n) return fail('invalid_solution', field, 'executed size is zero');
    if (o.partiallyFillable ? executed > left : executed !== left || left !== size) {
      return fail(
        'invalid_solution',
        field,
        o.partiallyFillable ? `executes ${executed}, only ${left} left` : 'fill-or-kill option intent not filled exactly',
      );
    }
    if (!optionLimitHolds(o, premium)) {
      return fail('invalid_solution', field, `premium ${premium} of series ${o.series} is beyond the limit ${o.premiumLimit}`);
    }
    const key = `${o.account.toLowerCase()}:${o.series}`;
    if (this.accounts.has(key)) return fail('invalid_solution', field, `account ${o.account} fills series ${o.series} twice`);
    this.accounts.add(key);
    this.net.set(o.series, (this.net.get(o.series) ?? 0n) + (o.size > 0n ? executed : -executed));
    return ok(premium);
  }

  balanced(): Result<true> {
    for (const series of this.premiums.keys()) {
      const net = this.net.get(series);
      if (net === undefined) return fail('invalid_solution', 'optionPremiums', `series ${series} has a premium but no fill`);
      if (net !== 0n) return fail('invalid_solution', 'optionPremiums', `fills of series ${series} net to ${net}, not zero`);
    }
    return ok(true);
  }
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
