// The chain's view of the perpetual markets an auction trades, as position clearing needs it
// (solver/domain/positions.ts): each market's oracle mark, deviation band and circuit-breaker
// halt, the perp vault's position, quote parameters and leverage room, and the positions of
// accounts whose reduce-only intents are clamped to them. One multicall per kind of read, all at the block solved on.
import { encodeAbiParameters, zeroAddress, type Address, type Hex, type PublicClient } from 'viem';
import { circuitBreakerAbi } from '../../contracts/artifacts/CircuitBreaker.ts';
import { clearingHouseAbi } from '../../contracts/artifacts/ClearingHouse.ts';
import { perpVaultAbi } from '../../contracts/artifacts/PerpVault.ts';
import { abs, mulDivCeil, WAD } from '../../protocol/margin.ts';
import { vaultLeverageSizeCap } from '../../protocol/perp-vault.ts';
import type { Auction } from '../../protocol/score.ts';
import type { LiquidityTrade } from '../../protocol/solution.ts';
import type { PositionMarket } from '../domain/positions.ts';
import type { PositionState } from '../domain/solve-auction.ts';
import { multicallAt } from './multicall.ts';

/** Markets and reduce-only accounts of the auction's position intents. */
function positionNeeds(auction: Auction): { markets: number[]; reducers: { account: Address; market: number }[] } {
  const markets = new Set<number>();
  const reducers = new Map<string, { account: Address; market: number }>();
  for (const { intent } of auction.intents.values()) {
    if (intent.type !== 'position') continue;
    const p = intent.intent;
    markets.add(p.market);
    if (p.reduceOnly) reducers.set(`${p.account.toLowerCase()}:${p.market}`, { account: p.account, market: p.market });
  }
  return { markets: [...markets].sort((a, b) => a - b), reducers: [...reducers.values()] };
}

/**
 * The default margin (1e18 fraction) the solver adds to the vault's spread: the vault checks its
 * quote when the batch executes, a block or two after the solve, and an oracle round in between
 * moves its mark; a limit computed at the solve's mark exactly would then be refused
 * (InvalidEip1271Signature) and the whole batch with it. 0.5% covers a few devnet feeder steps
 * (0.2% each at most) at a cost users' limits absorb.
 */
export const VAULT_QUOTE_MARGIN = 5n * 10n ** 15n;

/**
 * Reads what clearing the auction's position intents needs at `blockNumber`. Markets whose oracle
 * is stale are left out (nothing risk-increasing can fill there, and the vault would refuse);
 * markets whose circuit breaker is halted are marked, and clear only reductions.
 * `vault`: the perp liquidity vault the solver may trade against (absent: no vault).
 * `quoteMargin`: added to the vault's spread, so its limit still holds after a small oracle move.
 * `extraMarkets`: markets read even without a position intent (the options vault's hedges).
 */
export async function readPositionState(
  client: PublicClient,
  clearingHouse: Address,
  vault: Address | undefined,
  auction: Auction,
  blockNumber: bigint,
  quoteMargin: bigint = VAULT_QUOTE_MARGIN,
  extraMarkets: readonly number[] = [],
): Promise<PositionState> {
  const needs = positionNeeds(auction);
  const ids = [...new Set([...needs.markets, ...extraMarkets])].sort((a, b) => a - b);
  const reducers = needs.reducers;
  const markets = new Map<number, PositionMarket>();
  const positions = new Map<string, Map<number, bigint>>();
  if (!ids.length) return { markets, positions };
  const house = { address: clearingHouse, abi: clearingHouseAbi } as const;
  const [perMarket, halted] = await Promise.all([
    multicallAt(
      client,
      ids.flatMap((m) => [
        { ...house, functionName: 'markPrice', args: [m] },
        { ...house, functionName: 'marketConfig', args: [m] },
      ]),
      blockNumber,
    ),
    haltedMarkets(client, clearingHouse, ids, blockNumber),
  ]);
  const reducerSizes = (await multicallAt(
    client,
    reducers.map((r) => ({ ...house, functionName: 'position', args: [r.account, r.market] })),
    blockNumber,
  )) as { size: bigint }[];
  for (const [k, r] of reducers.entries()) {
    const key = r.account.toLowerCase();
    const m = positions.get(key) ?? new Map<number, bigint>();
    m.set(r.market, reducerSizes[k]!.size);
    positions.set(key, m);
  }
  for (const [k, m] of ids.entries()) {
    const [mark, fresh] = perMarket[2 * k] as readonly [bigint, boolean];
    const config = perMarket[2 * k + 1] as { maxPriceDeviation: bigint };
    if (!fresh || mark <= 0n) continue;
    markets.set(m, { mark, maxPriceDeviation: config.maxPriceDeviation, ...(halted.has(m) ? { halted: true } : {}) });
  }
  if (vault && markets.size) await addVault(client, clearingHouse, vault, markets, blockNumber, quoteMargin);
  return { markets, positions };
}

/**
 * The markets among `ids` whose circuit breaker halts risk-increasing fills at `blockNumber`:
 * `isHalted` says what the breaker's `observe` would decide in that block, which is what the
 * batch's settlePositions asks it (none when the clearing house has no breaker).
 */
export async function haltedMarkets(
  client: PublicClient,
  clearingHouse: Address,
  ids: number[],
  blockNumber: bigint,
): Promise<Set<number>> {
  const breaker = await client.readContract({ address: clearingHouse, abi: clearingHouseAbi, functionName: 'circuitBreaker', blockNumber });
  if (breaker === zeroAddress) return new Set();
  const answers = (await multicallAt(
    client,
    ids.map((m) => ({ address: breaker, abi: circuitBreakerAbi, functionName: 'isHalted', args: [m] })),
    blockNumber,
  )) as (readonly [boolean, bigint])[];
  return new Set(ids.filter((_, k) => answers[k]![0]));
}

/**
 * The vault's side of each market: its position, quote parameters, and the size its leverage cap
 * allows. The vault checks each fill of a batch on the state before the batch, so each market's
 * cap is computed against the vault's other markets as they are now.
 */
async function addVault(
  client: PublicClient,
  clearingHouse: Address,
  vault: Address,
  markets: Map<number, PositionMarket>,
  blockNumber: bigint,
  quoteMargin: bigint,
): Promise<void> {
  const ids = [...markets.keys()];
  const v = { address: vault, abi: perpVaultAbi } as const;
  const head = (await multicallAt(
    client,
    [
      { ...v, functionName: 'totalAssets', args: [] },
      { ...v, functionName: 'maxLeverage', args: [] },
      { ...v, functionName: 'grossNotional', args: [] },
    ],
    blockNumber,
  )) as bigint[];
  const [nav, maxLeverage, gross] = head as [bigint, bigint, bigint];
  const rows = (await multicallAt(
    client,
    ids.flatMap((m) => [
      { ...v, functionName: 'marketParams', args: [m] },
      { address: clearingHouse, abi: clearingHouseAbi, functionName: 'position', args: [vault, m] },
    ]),
    blockNumber,
  )) as unknown[];
  for (const [k, m] of ids.entries()) {
    const [skewScale, feeFraction, maxPosition, enabled] = rows[2 * k] as readonly [bigint, bigint, bigint, boolean];
    const size = (rows[2 * k + 1] as { size: bigint }).size;
    const market = markets.get(m)!;
    if (!enabled) continue;
    // grossNotional counts every market at its mark rounded up, as the vault's leverage check does
    const own = mulDivCeil(abs(size), market.mark, WAD);
    const maxAbsSize = vaultLeverageSizeCap(maxLeverage, nav, gross - own, market.mark);
    // the curve with a wider spread: strictly worse for traders than the vault's own, so the vault
    // still accepts after a small oracle move (see VAULT_QUOTE_MARGIN)
    market.vault = { size, params: { skewScale, feeFraction: feeFraction + quoteMargin, maxPosition }, enabled, maxAbsSize };
  }
}

/** How long the vault's authorisation in a bundle stays valid (seconds after the block solved on). */
export const VAULT_VALIDITY_SEC = 300;

/**
 * The vault's fill as own liquidity in the solution: a fill-or-kill PositionIntent of the vault,
 * authorised by EIP-1271 with `abi.encode(market, sizeDelta, limitPrice, validTo, nonce)` (the
 * vault rebuilds the digest from those fields and checks the limit against its quote on chain).
 * Nonces: 16 per auction (one per market index), so competing solvers of one auction collide
 * (only one batch settles anyway) and consecutive auctions share bitmap words.
 */
export function vaultLiquidity(
  vault: Address,
  trade: { market: number; sizeDelta: bigint; limitPrice: bigint },
  o: { auctionId: bigint; index: number; now: number },
): LiquidityTrade {
  return sourcePositionLiquidity(vault, trade, o.now + VAULT_VALIDITY_SEC, o.auctionId * 16n + BigInt(o.index));
}

/**
 * A liquidity source contract's fill-or-kill PositionIntent with PerpVault's EIP-1271 signature
 * format, `abi.encode(market, sizeDelta, limitPrice, validTo, nonce)` (the options vault's hedges
 * use it too).
 */
export function sourcePositionLiquidity(
  source: Address,
  trade: { market: number; sizeDelta: bigint; limitPrice: bigint },
  validTo: number,
  nonce: bigint,
): LiquidityTrade {
  const data: Hex = encodeAbiParameters(
    [{ type: 'uint32' }, { type: 'int256' }, { type: 'uint256' }, { type: 'uint32' }, { type: 'uint256' }],
    [trade.market, trade.sizeDelta, trade.limitPrice, validTo, nonce],
  );
  return {
    intent: {
      account: source,
      market: trade.market,
      sizeDelta: trade.sizeDelta,
      limitPrice: trade.limitPrice,
      reduceOnly: false,
      partiallyFillable: false,
      validTo,
      nonce,
    },
    signature: { scheme: 'eip1271', data },
    executed: abs(trade.sizeDelta),
  };
}
