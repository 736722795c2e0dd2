// The intents a settle revert names: a trade index, an owner or account address, a token and the
// address it was pulled from or paid to, a digest, or a market. Isolation (isolate.ts) drops them;
// a revert that names nobody is bisected instead.
import type { Hex } from 'viem';
import { tradeAmounts } from '../../protocol/clearing.ts';
import type { SignedIntent } from '../../protocol/intent.ts';
import type { Solution } from '../../protocol/solution.ts';
import { lower } from '../domain/address.ts';
import type { DecodedRevert } from './revert.ts';

const asIndex = (v: unknown): number | undefined => (typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : undefined);

/**
 * The intents of `solution` that a decoded settle revert names. Index-carrying errors count swap
 * trades and position trades separately, in solution order, as buildBatch lays them out.
 */
export function namedCulprits(revert: DecodedRevert, solution: Solution, signed: ReadonlyMap<Hex, SignedIntent>): Hex[] {
  const trades = solution.trades.map((t) => ({
    id: lower(t.intentId) as Hex,
    executed: t.executed,
    s: signed.get(lower(t.intentId) as Hex),
  }));
  const swaps = trades.filter((t) => t.s?.type === 'swap');
  const positions = trades.filter((t) => t.s?.type === 'position');
  const a = revert.args;
  const addr = (k: number): string | undefined => (typeof a[k] === 'string' ? lower(a[k] as string) : undefined);
  const who = (t: (typeof trades)[number]): string | undefined =>
    t.s ? lower(t.s.type === 'swap' ? t.s.intent.owner : t.s.intent.account) : undefined;
  const at = (list: typeof trades, k: number): Hex[] => {
    const i = asIndex(a[k]);
    return i !== undefined && list[i] ? [list[i].id] : [];
  };
  switch (revert.errorName) {
    // Settlement, per swap trade (Batch.trades index)
    case 'InvalidTradeFlags':
    case 'TokenIndexOutOfRange':
    case 'IntentExpired':
    case 'LimitPriceNotMet':
    case 'ZeroExecutedAmount':
      return at(swaps, 0);
    // PositionSettlement and ClearingHouse, per position trade (fill index)
    case 'InvalidPositionFlags':
    case 'PositionIntentExpired':
    case 'PositionMarketIndexOutOfRange':
    case 'PositionLimitNotMet':
    case 'MarketIndexOutOfRange':
    case 'ZeroSizeDelta':
    case 'SizeOutOfRange':
    case 'ReduceOnlyViolated':
      return at(positions, 0);
    // filled or cancelled since the node last looked: that intent only
    case 'NonceAlreadyUsed':
    case 'IntentCancelled': {
      const nonce = a[1];
      return trades.filter((t) => t.s && who(t) === addr(0) && t.s.intent.nonce === nonce).map((t) => t.id);
    }
    case 'FillExceedsAmount':
      return trades.filter((t) => t.id === addr(0)).map((t) => t.id);
    // the owner's signature or wallet: every intent of that owner in the batch
    case 'InvalidSigner':
      return trades.filter((t) => who(t) === addr(1)).map((t) => t.id);
    case 'InvalidEip1271Signature':
      return trades.filter((t) => who(t) === addr(0)).map((t) => t.id);
    // the margin account
    case 'InsufficientMargin':
    case 'TooManyMarkets':
      return positions.filter((t) => who(t) === addr(0)).map((t) => t.id);
    // the Vault's pull of the sell token from the owner (approval revoked, tokens moved away)
    case 'TransferFromFailed': {
      const [token, from] = [addr(0), addr(1)];
      const mine = swaps.filter((t) => t.s!.type === 'swap' && who(t) === from && lower(t.s!.intent.sellToken) === token);
      // the owner may have several intents selling the token: the one pulled for exactly `amount`
      const prices = new Map(solution.prices.map((p) => [lower(p.token), p.price]));
      const exact = mine.filter((t) => {
        if (t.s!.type !== 'swap') return false;
        const i = t.s!.intent;
        const pS = prices.get(lower(i.sellToken));
        const pB = prices.get(lower(i.buyToken));
        return !!pS && !!pB && tradeAmounts(i, t.executed, pS, pB).sell === a[3];
      });
      return (exact.length ? exact : mine).map((t) => t.id);
    }
    // the payout of the buy token to the receiver (a receiver the token refuses)
    case 'TransferFailed': {
      const [token, to] = [addr(0), addr(1)];
      return swaps
        .filter((t) => {
          if (t.s!.type !== 'swap') return false;
          const i = t.s!.intent;
          const receiver = lower(i.receiver) === '0x0000000000000000000000000000000000000000' ? lower(i.owner) : lower(i.receiver);
          return receiver === to && lower(i.buyToken) === token;
        })
        .map((t) => t.id);
    }
    // a market that cannot trade now: its position intents (the swaps still can)
    case 'OracleStale':
    case 'PriceDeviation':
    case 'OpenInterestCapExceeded':
    case 'UnknownMarket':
    case 'UnpricedMarket': {
      const market = asIndex(a[0]);
      if (market === undefined) return []; // OracleAdapter.OracleStale(feed, updatedAt) names a feed
      return positions.filter((t) => t.s!.type === 'position' && t.s!.intent.market === market).map((t) => t.id);
    }
    default:
      return [];
  }
}
