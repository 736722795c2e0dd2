// Bundles: a protocol Solution plus the signed intents it fills -> Settlement.settle's Batch,
// encoded with the contract client (contracts/client/).
//
// Users' limits are never touched: every trade carries the signed fields unchanged, the clearing
// prices are the solution's, and a trade whose limit fails at those prices is refused here (the
// contract would refuse it too) rather than "adjusted".
import type { Hex } from 'viem';
import { encodeOptionBatch, encodeOptionTrade } from '../../contracts/client/options.ts';
import { encodePositionBatch, encodePositionTrade } from '../../contracts/client/positions.ts';
import { encodeTrade, sortAddresses, spotBatch, type SettleBatch } from '../../contracts/client/settlement.ts';
import { limitHolds, optionLimitHolds, positionLimitHolds } from '../../protocol/clearing.ts';
import { abs } from '../../protocol/margin.ts';
import type { IntentSignature, OptionIntent, PositionIntent, SignedIntent, SwapIntent } from '../../protocol/intent.ts';
import type { Solution } from '../../protocol/solution.ts';

export type SignedSwap = { intent: SwapIntent; signature: IntentSignature };

export class BundleError extends Error {
  override name = 'BundleError';
}

/** Builds settle's Batch for a solution. `intents` maps intent id (lower-case digest) -> signed intent. */
export function buildBatch(solution: Solution, intents: ReadonlyMap<Hex, SignedSwap | SignedIntent>): SettleBatch {
  // Position trades go to Batch.positions (one uniform price per market, markets ascending),
  // option trades to Batch.options (one premium per series, series ascending).
  const typeOf = (t: { intentId: Hex }): 'swap' | 'position' | 'option' | undefined => {
    const s = intents.get(t.intentId.toLowerCase() as Hex);
    return s && 'type' in s ? s.type : s ? 'swap' : undefined;
  };
  const positionTrades = solution.trades.filter((t) => typeOf(t) === 'position');
  const optionTrades = solution.trades.filter((t) => typeOf(t) === 'option');
  const swapTrades = solution.trades.filter((t) => typeOf(t) !== 'position' && typeOf(t) !== 'option');
  const liquidity = solution.liquidity ?? [];
  let positions: Hex = '0x';
  if (positionTrades.length || liquidity.length) {
    const markets = solution.marketPrices.map((m) => m.market);
    if (markets.some((m, k) => k > 0 && m <= markets[k - 1]!)) throw new BundleError('markets must be strictly ascending');
    const positionTrade = (what: string, p: PositionIntent, signature: IntentSignature, executed: bigint) => {
      const price = solution.marketPrices.find((m) => m.market === p.market)?.price;
      if (!price) throw new BundleError(`${what}: no clearing price for market ${p.market}`);
      if (!positionLimitHolds(p, price)) throw new BundleError(`${what}: the market price violates the signed limit`);
      const size = abs(p.sizeDelta);
      if (executed <= 0n || executed > size || (!p.partiallyFillable && executed !== size))
        throw new BundleError(`${what}: executed size ${executed} does not fit the intent (|sizeDelta| ${size})`);
      return encodePositionTrade(markets, p, signature.data, { eip1271: signature.scheme === 'eip1271', executedSize: executed });
    };
    const trades = [
      ...positionTrades.map((t, k) => {
        const signed = intents.get(t.intentId.toLowerCase() as Hex) as SignedIntent & { type: 'position' };
        return positionTrade(`position trade ${k}`, signed.intent, signed.signature, t.executed);
      }),
      ...liquidity.map((l, k) => positionTrade(`liquidity ${k}`, l.intent, l.signature, l.executed)),
    ];
    positions = encodePositionBatch({ markets, prices: solution.marketPrices.map((m) => m.price), trades });
  } else if (solution.marketPrices.length) throw new BundleError('market prices without position trades');
  const options = optionBatch(solution, optionTrades, intents);
  const tokens = sortAddresses(solution.prices.map((p) => p.token));
  if (tokens.length !== solution.prices.length) throw new BundleError('duplicate token in clearing prices');
  const priceOf = new Map(solution.prices.map((p) => [p.token.toLowerCase(), p.price]));
  const clearingPrices = tokens.map((t) => priceOf.get(t.toLowerCase())!);
  if (clearingPrices.some((p) => p <= 0n)) throw new BundleError('clearing prices must be positive');
  const trades = swapTrades.map((t, k) => {
    const signed = intents.get(t.intentId.toLowerCase() as Hex);
    if (!signed) throw new BundleError(`trade ${k}: intent ${t.intentId} is not among the signed intents`);
    if ('type' in signed && signed.type !== 'swap') throw new BundleError(`trade ${k}: position intents are not supported`);
    const intent = signed.intent as SwapIntent;
    const pS = priceOf.get(intent.sellToken.toLowerCase());
    const pB = priceOf.get(intent.buyToken.toLowerCase());
    if (!pS || !pB) throw new BundleError(`trade ${k}: no clearing price for its tokens`);
    if (!limitHolds(intent, pS, pB)) throw new BundleError(`trade ${k}: the clearing prices violate the signed limit`);
    const full = intent.kind === 0 ? intent.sellAmount : intent.buyAmount;
    if (!intent.partiallyFillable && t.executed !== full)
      throw new BundleError(`trade ${k}: fill-or-kill intent must execute its full amount`);
    if (t.executed <= 0n || t.executed > full) throw new BundleError(`trade ${k}: executed amount out of range`);
    return encodeTrade(tokens, intent, signed.signature.data, {
      ...(intent.partiallyFillable ? { executedAmount: t.executed } : {}),
      eip1271: signed.signature.scheme === 'eip1271',
    });
  });
  return {
    ...spotBatch({
      auctionId: solution.auctionId,
      tokens,
      clearingPrices,
      trades,
      interactions: solution.interactions.map((i) => ({ target: i.target, value: i.value, callData: i.callData })),
    }),
    positions,
    options,
  };
}

/** `Batch.options` for the solution's option trades and its own option liquidity ('0x' when none). */
function optionBatch(solution: Solution, trades: Solution['trades'], intents: ReadonlyMap<Hex, SignedSwap | SignedIntent>): Hex {
  const liquidity = solution.optionLiquidity ?? [];
  const premiums = solution.optionPremiums ?? [];
  if (!trades.length && !liquidity.length) {
    if (premiums.length) throw new BundleError('option premiums without option trades');
    return '0x';
  }
  const series = premiums.map((p) => p.series);
  if (series.some((s, k) => k > 0 && s <= series[k - 1]!)) throw new BundleError('option series must be strictly ascending');
  const optionTrade = (what: string, o: OptionIntent, signature: IntentSignature, executed: bigint) => {
    const premium = premiums.find((p) => p.series === o.series)?.premium;
    if (premium === undefined) throw new BundleError(`${what}: no premium for series ${o.series}`);
    if (!optionLimitHolds(o, premium)) throw new BundleError(`${what}: the series premium violates the signed limit`);
    const size = abs(o.size);
    if (executed <= 0n || executed > size || (!o.partiallyFillable && executed !== size))
      throw new BundleError(`${what}: executed size ${executed} does not fit the intent (|size| ${size})`);
    return encodeOptionTrade(series, o, signature.data, { eip1271: signature.scheme === 'eip1271', executedSize: executed });
  };
  return encodeOptionBatch({
    series,
    premiums: premiums.map((p) => p.premium),
    trades: [
      ...trades.map((t, k) => {
        const signed = intents.get(t.intentId.toLowerCase() as Hex) as SignedIntent & { type: 'option' };
        return optionTrade(`option trade ${k}`, signed.intent, signed.signature, t.executed);
      }),
      ...liquidity.map((l, k) => optionTrade(`option liquidity ${k}`, l.intent, l.signature, l.executed)),
    ],
  });
}
