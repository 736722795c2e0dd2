// The chain's view of the option series an auction trades, as option clearing needs it
// (solver/domain/option-clearing.ts): which series are listed and live in the option book's
// OptionSeries registry, their underlying market and its circuit-breaker halt, the holdings of
// accounts whose reduce-only intents are clamped to them, and the options vault's firm quotes for
// what the peers leave unmatched. All reads at the block solved on; the vault's fill goes into the
// solution as own option liquidity, authorised by EIP-1271.
import { zeroAddress, type Address, type LocalAccount, type PublicClient } from 'viem';
import { ioptionLiquiditySourceAbi } from '../../contracts/artifacts/IOptionLiquiditySource.ts';
import { optionBookAbi } from '../../contracts/artifacts/OptionBook.ts';
import { optionSeriesAbi } from '../../contracts/artifacts/OptionSeries.ts';
import { settlementAbi } from '../../contracts/artifacts/Settlement.ts';
import { optionSourceSignature, signOptionIntent } from '../../contracts/client/options.ts';
import { abs, WAD } from '../../protocol/margin.ts';
import type { OptionIntent } from '../../protocol/intent.ts';
import type { Auction } from '../../protocol/score.ts';
import type { OptionLiquidityTrade } from '../../protocol/solution.ts';
import { lower } from '../domain/address.ts';
import {
  holdingKey,
  optionSourceDemand,
  SOURCE,
  type ClearOptionsInput,
  type OptionSeriesState,
  type OptionSourceQuote,
  type SourceTrade,
} from '../domain/option-clearing.ts';
import { multicallAt } from './multicall.ts';
import { haltedMarkets, VAULT_QUOTE_MARGIN, VAULT_VALIDITY_SEC } from './perp-state.ts';

/** What option clearing needs beyond the auction and the time. */
export type OptionState = Omit<ClearOptionsInput, 'auction' | 'now'>;

export const NO_OPTIONS: OptionState = { series: new Map(), holdings: new Map() };

/** Where option reads go, found once per Settlement (its option book is set once). */
export type OptionContracts = { book: Address; registry: Address; clearingHouse: Address };

/** Settlement's option book and registry, or undefined when it has no option book. */
export async function readOptionContracts(client: PublicClient, settlement: Address): Promise<OptionContracts | undefined> {
  const book = await client.readContract({ address: settlement, abi: settlementAbi, functionName: 'optionBook' });
  if (book === zeroAddress) return undefined;
  const [registry, clearingHouse] = await Promise.all([
    client.readContract({ address: book, abi: optionBookAbi, functionName: 'registry' }),
    client.readContract({ address: settlement, abi: settlementAbi, functionName: 'clearingHouse' }),
  ]);
  return { book, registry, clearingHouse };
}

/**
 * Reads what clearing the auction's option intents needs at `blockNumber` (block time `now`).
 * Series that are unknown or expired are left out. `vault`: the options vault (absent: peers only).
 * `quoteMargin`: the vault signs its quote made worse for the traders by this fraction, so that
 * its limit still holds after the mark moves a little before the batch lands.
 */
export async function readOptionState(
  client: PublicClient,
  contracts: OptionContracts | undefined,
  vault: Address | undefined,
  auction: Auction,
  blockNumber: bigint,
  now: number,
  quoteMargin: bigint = VAULT_QUOTE_MARGIN,
): Promise<OptionState> {
  const ids = new Set<bigint>();
  const reducers = new Map<string, { account: Address; series: bigint }>();
  const accounts = new Set<Address>();
  for (const { intent } of auction.intents.values()) {
    if (intent.type !== 'option') continue;
    const o = intent.intent;
    ids.add(o.series);
    accounts.add(lower(o.account) as Address);
    if (o.reduceOnly) reducers.set(holdingKey(o.account, o.series), { account: o.account, series: o.series });
  }
  if (!contracts || !ids.size) return NO_OPTIONS;
  const list = [...ids];
  const terms = (await multicallAt(
    client,
    list.map((id) => ({ address: contracts.registry, abi: optionSeriesAbi, functionName: 'series', args: [id] })),
    blockNumber,
  )) as { market: number; expiry: bigint }[];
  const live = list.filter((_, k) => terms[k]!.expiry > BigInt(now));
  const markets = [...new Set(live.map((id) => terms[list.indexOf(id)]!.market))];
  const reducing = [...reducers.values()].filter((r) => live.includes(r.series));
  // the series every trading account (and the vault) holds: the book's per-account bound
  const holders = [...accounts, ...(vault ? [vault] : [])];
  const [halted, held, seriesOf] = await Promise.all([
    haltedMarkets(client, contracts.clearingHouse, markets, blockNumber),
    multicallAt(
      client,
      reducing.map((r) => ({ address: contracts.book, abi: optionBookAbi, functionName: 'positionOf', args: [r.account, r.series] })),
      blockNumber,
    ) as Promise<bigint[]>,
    multicallAt(
      client,
      holders.map((a) => ({ address: contracts.book, abi: optionBookAbi, functionName: 'seriesOf', args: [a] })),
      blockNumber,
    ) as Promise<readonly bigint[][]>,
  ]);
  const openSeries = new Map(holders.map((a, k) => [k < accounts.size ? lower(a) : SOURCE, new Set(seriesOf[k])]));
  const series = new Map<bigint, OptionSeriesState>();
  for (const id of live) {
    const market = terms[list.indexOf(id)]!.market;
    series.set(id, { market, ...(halted.has(market) ? { halted: true } : {}) });
  }
  const holdings = new Map(reducing.map((r, k) => [holdingKey(r.account, r.series), held[k]!]));
  const state: OptionState = { series, holdings, openSeries };
  if (!vault) return state;
  const quotes = new Map<bigint, OptionSourceQuote>();
  const demand = optionSourceDemand({ ...state, auction, now });
  await Promise.all(
    [...demand].map(async ([id, sizeDelta]) => {
      // reverts when the vault would not take the size: then peers only in this series
      const premium = await client
        .readContract({ address: vault, abi: ioptionLiquiditySourceAbi, functionName: 'quote', args: [id, sizeDelta], blockNumber })
        .catch(() => undefined);
      if (premium === undefined || premium === 0n) return;
      // the vault sells (sizeDelta < 0): it asks at least this much; buys: pays at most this much
      const margin = (premium * quoteMargin + WAD - 1n) / WAD;
      quotes.set(id, { sizeDelta, premium: sizeDelta < 0n ? premium + margin : premium - margin });
    }),
  );
  return { ...state, quotes };
}

/**
 * The vault's option fill as own liquidity: a fill-or-kill OptionIntent of the vault, authorised by
 * EIP-1271 with `abi.encode(uint64 series, int256 sizeDelta, uint256 premiumLimit, uint32 validTo,
 * uint256 nonce)` (the vault rebuilds the digest from those fields and checks the limit against
 * its quote on chain). Nonces: 256 per auction (one per series index in the batch).
 */
export function optionVaultLiquidity(
  vault: Address,
  trade: SourceTrade,
  o: { auctionId: bigint; index: number; now: number },
): OptionLiquidityTrade {
  const intent = {
    account: vault,
    series: trade.series,
    size: trade.sizeDelta,
    premiumLimit: trade.premiumLimit,
    reduceOnly: false,
    partiallyFillable: false,
    validTo: o.now + VAULT_VALIDITY_SEC,
    nonce: o.auctionId * 256n + BigInt(o.index),
  };
  return { intent, signature: { scheme: 'eip1271', data: optionSourceSignature(intent) }, executed: abs(trade.sizeDelta) };
}

/**
 * A market maker's own option quote as own liquidity: the solver's margin account (`maker`, an EOA
 * key the solver holds) signs a fill-or-kill OptionIntent for the source fill the clearing chose
 * (its side, size and premium), as a user would. Nodes check its signature and limit like any
 * intent's and score nothing for it; the clearing house checks the maker's margin with the batch.
 * Pass the maker's quotes to the clearing as `quotes` (one per series, as the vault's).
 */
export async function ownOptionLiquidity(
  maker: LocalAccount,
  trade: SourceTrade,
  o: { chainId: number; settlement: Address; validTo: number; nonce: bigint },
): Promise<OptionLiquidityTrade> {
  const intent: OptionIntent = {
    account: maker.address,
    series: trade.series,
    size: trade.sizeDelta,
    premiumLimit: trade.premiumLimit,
    reduceOnly: false,
    partiallyFillable: false,
    validTo: o.validTo,
    nonce: o.nonce,
  };
  const data = await signOptionIntent(maker, o.chainId, o.settlement, intent);
  return { intent, signature: { scheme: 'eoa', data }, executed: abs(trade.sizeDelta) };
}
