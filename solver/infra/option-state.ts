// The chain's view of the option series an auction trades, as option clearing needs it
// (solver/domain/option-clearing.ts): which series are listed and live in the option book's
// OptionSeries registry, their underlying market and its circuit-breaker halt, the holdings of
// accounts whose reduce-only intents are clamped to them, and the options vault's firm quotes for
// what the peers leave unmatched, with what its delta hedge needs on each underlying it quotes (its
// parameters, perp position, legs, the mark and the vol surface). All reads at the block solved
// on; the vault's fill goes into the solution as own option liquidity, its hedge as own position
// liquidity, both authorised by EIP-1271.
import { zeroAddress, type Address, type LocalAccount, type PublicClient } from 'viem';
import { clearingHouseAbi } from '../../contracts/artifacts/ClearingHouse.ts';
import { ioptionLiquiditySourceAbi } from '../../contracts/artifacts/IOptionLiquiditySource.ts';
import { optionBookAbi } from '../../contracts/artifacts/OptionBook.ts';
import { optionSeriesAbi } from '../../contracts/artifacts/OptionSeries.ts';
import { optionVaultAbi } from '../../contracts/artifacts/OptionVault.ts';
import { settlementAbi } from '../../contracts/artifacts/Settlement.ts';
import { volatilityFeedAbi } from '../../contracts/artifacts/VolatilityFeed.ts';
import { optionSourceSignature, signOptionIntent } from '../../contracts/client/options.ts';
import { abs, WAD } from '../../protocol/margin.ts';
import type { OptionIntent } from '../../protocol/intent.ts';
import type { Auction } from '../../protocol/score.ts';
import type { OptionVaultParams, SeriesTerms, VaultLeg } from '../../protocol/options/option-vault.ts';
import type { LiquidityTrade, OptionLiquidityTrade } from '../../protocol/solution.ts';
import { lower } from '../domain/address.ts';
import {
  holdingKey,
  optionSourceDemand,
  SOURCE,
  type OptionSeriesState,
  type OptionSourceQuote,
  type SourceTrade,
} from '../domain/option-clearing.ts';
import type { HedgeTrade, VaultHedgeView } from '../domain/option-hedge.ts';
import type { OptionClearingState } from '../domain/solve-auction.ts';
import { multicallAt } from './multicall.ts';
import { haltedMarkets, sourcePositionLiquidity, VAULT_QUOTE_MARGIN, VAULT_VALIDITY_SEC } from './perp-state.ts';

/** What option clearing needs beyond the auction and the time (with the vault's hedge views). */
export type OptionState = OptionClearingState;

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
  )) as (SeriesTerms & { market: number })[];
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
  const quoted = [...quotes.keys()].map((id) => ({ ...terms[list.indexOf(id)]!, id }));
  // a failed read costs the hedge only, never the option fills
  const vaultHedge = quoted.length
    ? await readHedgeViews(client, contracts, vault, quoted, seriesOf[holders.length - 1] ?? [], blockNumber, now).catch(
        () => new Map<number, VaultHedgeView>(),
      )
    : new Map<number, VaultHedgeView>();
  return { ...state, quotes, ...(vaultHedge.size ? { vaultHedge } : {}) };
}

/**
 * What the vault's hedge needs on each underlying of the `quoted` series: its parameters, perp
 * position, legs there (`held`: every series it holds), the mark and the surface. An underlying
 * whose reads fail or that the vault does not enable is left out (no hedge there).
 */
async function readHedgeViews(
  client: PublicClient,
  contracts: OptionContracts,
  vault: Address,
  quoted: readonly (SeriesTerms & { market: number })[],
  held: readonly bigint[],
  blockNumber: bigint,
  now: number,
): Promise<Map<number, VaultHedgeView>> {
  const markets = [...new Set(quoted.map((s) => s.market))];
  const house = { address: contracts.clearingHouse, abi: clearingHouseAbi } as const;
  const feed = await client.readContract({ address: contracts.book, abi: optionBookAbi, functionName: 'volatilityFeed', blockNumber });
  const [perMarket, heldTerms, heldSizes] = await Promise.all([
    multicallAt(
      client,
      markets.flatMap((m) => [
        { address: vault, abi: optionVaultAbi, functionName: 'underlyingParams', args: [m] },
        { ...house, functionName: 'position', args: [vault, m] },
        { ...house, functionName: 'markPrice', args: [m] },
        { address: feed, abi: volatilityFeedAbi, functionName: 'surface', args: [BigInt(m)] },
      ]),
      blockNumber,
    ),
    multicallAt(
      client,
      held.map((id) => ({ address: contracts.registry, abi: optionSeriesAbi, functionName: 'series', args: [id] })),
      blockNumber,
    ) as Promise<(SeriesTerms & { market: number })[]>,
    multicallAt(
      client,
      held.map((id) => ({ address: contracts.book, abi: optionBookAbi, functionName: 'positionOf', args: [vault, id] })),
      blockNumber,
    ) as Promise<bigint[]>,
  ]);
  const views = new Map<number, VaultHedgeView>();
  for (const [k, market] of markets.entries()) {
    const params = perMarket[4 * k] as OptionVaultParams;
    const position = perMarket[4 * k + 1] as { size: bigint };
    const [mark] = perMarket[4 * k + 2] as readonly [bigint, boolean];
    const [tenors, nodes, vols] = perMarket[4 * k + 3] as readonly [readonly bigint[], readonly bigint[], readonly bigint[]];
    if (!params.enabled || mark <= 0n) continue;
    const legs: VaultLeg[] = held.flatMap((id, j) => {
      const t = heldTerms[j]!;
      return t.market === market ? [{ id, strike: t.strike, expiry: t.expiry, isCall: t.isCall, size: heldSizes[j]! }] : [];
    });
    const terms = new Map(
      quoted.filter((s) => s.market === market).map((s) => [s.id, { id: s.id, strike: s.strike, expiry: s.expiry, isCall: s.isCall }]),
    );
    views.set(market, {
      params,
      state: {
        now: BigInt(now),
        mark,
        perpSize: position.size,
        legs,
        heldSeries: held.length,
        surface: { tenors: [...tenors], nodes: [...nodes], vols: [...vols] },
      },
      terms,
    });
  }
  return views;
}

/**
 * The vault's perp hedge as own position liquidity: a fill-or-kill PositionIntent of the options
 * vault, authorised by EIP-1271 with PerpVault's five words (the vault tells it from an option
 * fill by the digest). Nonce: auctionId x 256 + 255 - market index, in the word its option fills
 * use (auctionId x 256 + series index; option-hedge.ts leaves out a hedge whose bit they take).
 */
export function optionVaultHedgeLiquidity(
  vault: Address,
  hedge: HedgeTrade,
  o: { auctionId: bigint; index: number; now: number },
): LiquidityTrade {
  return sourcePositionLiquidity(vault, hedge, o.now + VAULT_VALIDITY_SEC, o.auctionId * 256n + 255n - BigInt(o.index));
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
