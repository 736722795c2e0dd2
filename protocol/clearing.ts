// Amounts at uniform clearing prices: the exact formulas the settlement contract applies, so a
// solution scored here pays out on chain what the score assumed, to the wei.
//
// Prices are a vector over the batch's tokens: amounts exchange as amountA * price[A] =
// amountB * price[B]. Every rounding goes the user's way.
import type { OptionIntent, PositionIntent, SwapIntent } from './intent.ts';
import { SwapKind } from './intent.ts';

export const ceilDiv = (a: bigint, b: bigint): bigint => (a === 0n ? 0n : (a - 1n) / b + 1n);

/**
 * What a solution may still execute of a swap intent, in its kind token (sell amount for SELL,
 * buy amount for BUY), given what is already filled on chain: the rest of a partially fillable
 * intent; all of a fill-or-kill one, or nothing once it has been filled.
 */
export function fillableAmount(i: SwapIntent, filled = 0n): bigint {
  const full = i.kind === SwapKind.SELL ? i.sellAmount : i.buyAmount;
  if (i.partiallyFillable) return full > filled ? full - filled : 0n;
  return filled === 0n ? full : 0n;
}

/** The intent's limit holds at these prices: sellAmount * sellPrice >= buyAmount * buyPrice. */
export const limitHolds = (i: SwapIntent, sellPrice: bigint, buyPrice: bigint): boolean =>
  i.sellAmount * sellPrice >= i.buyAmount * buyPrice;

/**
 * What the user pays and receives when `executed` (sell amount for SELL, buy amount for BUY) is
 * filled: SELL pays x and receives ceil(x * pSell / pBuy); BUY receives y and pays
 * floor(y * pBuy / pSell).
 */
/** A position intent's limit at its market's uniform price: a ceiling for a long, a floor for a short (the contract's check). */
export const positionLimitHolds = (p: Pick<PositionIntent, 'sizeDelta' | 'limitPrice'>, price: bigint): boolean =>
  p.sizeDelta > 0n ? price <= p.limitPrice : price >= p.limitPrice;

/** An option intent's limit at a series' uniform premium: a buyer pays at most, a seller receives at least, its premiumLimit. */
export const optionLimitHolds = (o: Pick<OptionIntent, 'size' | 'premiumLimit'>, premium: bigint): boolean =>
  o.size > 0n ? premium <= o.premiumLimit : premium >= o.premiumLimit;

export function tradeAmounts(i: SwapIntent, executed: bigint, sellPrice: bigint, buyPrice: bigint): { sell: bigint; buy: bigint } {
  return i.kind === SwapKind.SELL
    ? { sell: executed, buy: ceilDiv(executed * sellPrice, buyPrice) }
    : { sell: (executed * buyPrice) / sellPrice, buy: executed };
}

/**
 * Surplus over the limit, in the token the limit protects: for SELL, bought beyond the pro-rata
 * minimum (buyAmount * x / sellAmount, rounded up); for BUY, sold below the pro-rata maximum
 * (sellAmount * y / buyAmount, rounded down). Never negative when limitHolds.
 */
export function tradeSurplus(i: SwapIntent, amounts: { sell: bigint; buy: bigint }): { token: 'buy' | 'sell'; amount: bigint } {
  if (i.kind === SwapKind.SELL) {
    const minBuy = ceilDiv(i.buyAmount * amounts.sell, i.sellAmount);
    return { token: 'buy', amount: amounts.buy - minBuy };
  }
  const maxSell = (i.sellAmount * amounts.buy) / i.buyAmount;
  return { token: 'sell', amount: maxSell - amounts.sell };
}
