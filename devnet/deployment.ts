// The devnet's contracts as one JSON-able record: deploy everything on a chain (tokens, Uniswap V2
// and V3 pools with liquidity, the StableSwap pool, Vault + Settlement, the clearing house with its
// oracle feeds and circuit breaker, the perp liquidity vault with its seed deposit, the volatility
// feed with a surface per market, the option series registry with a few series per market, the
// option book, the options vault with its seed deposit, dust buffers) and hand its owner powers
// to the governance timelock, or load a record written earlier to reuse an existing deployment.
import { readFileSync } from 'node:fs';
import { parseUnits, type Address, type LocalAccount } from 'viem';
import type { DevnetClients } from '../contracts/deploy/clients.ts';
import { deployDevnet } from '../contracts/deploy/devnet.ts';
import { DEVNET_PERP_MARKETS, deployDevnetPerp } from '../contracts/deploy/perp.ts';
import { DEVNET_VAULT, DEVNET_VAULT_MARKETS, deployPerpVault } from '../contracts/deploy/perp-vault.ts';
import { DEFAULT_BREAKER_CONFIG, deployCircuitBreaker } from '../contracts/deploy/circuit-breaker.ts';
import { defaultVolBounds, deployVolatilityFeed, publishSurface } from '../contracts/deploy/options.ts';
import { deployOptionSeries, listSeries } from '../contracts/deploy/option-series.ts';
import { deployOptionBook } from '../contracts/deploy/option-book.ts';
import { DEVNET_OPTION_VAULT, DEVNET_OPTION_VAULT_UNDERLYINGS, deployOptionVault } from '../contracts/deploy/option-vault.ts';
import { clearingHouseAbi } from '../contracts/artifacts/ClearingHouse.ts';
import { devnetSeries } from './option-listing.ts';
import { devnetPoolSpecs, seedSettlementBuffer } from '../contracts/deploy/solver-fixtures.ts';
import { deployDevnetGovernance } from '../contracts/deploy/timelock.ts';
import { devnetSurface, smileParams } from './vol-model.ts';

export type PoolSpecJson = { kind: 'uniswapV2' | 'uniswapV3' | 'stableSwap'; address: Address };

export type Deployment = {
  chainId: number;
  tokens: { dai: Address; usdc: Address; wbtc: Address; weth: Address };
  decimals: { dai: number; usdc: number; wbtc: number; weth: number };
  settlement: Address;
  vault: Address;
  clearingHouse: Address;
  /** The perp liquidity vault (PerpVault): takes markets' net remainders at its quote. Absent in older records. */
  perpVault?: Address;
  /** market id -> DevnetPriceFeed */
  feeds: Record<string, Address>;
  markets: { id: number; symbol: string; feedDecimals: number }[];
  pools: PoolSpecJson[];
  /** The V2 pairs the traffic generator reads prices from. */
  pairs: { daiUsdc: Address; wbtcUsdc: Address };
  /** Numeraire (USD, 18 decimals) value of 1e18 base units of each token: the auctions' reference prices. */
  referencePrices: Record<string, string>;
  /** Who publishes oracle rounds and volatility surfaces (the price feeder's account). */
  feeder: Address;
  /** The options' implied-volatility surfaces, one per perp market (VolatilityFeed). Absent in older records. */
  volatilityFeed?: Address;
  /** Halts risk-increasing fills in a market whose oracle jumps (CircuitBreaker). Absent in older records. */
  circuitBreaker?: Address;
  /** The listed option series (OptionSeries; devnet/option-listing.ts). Absent in older records. */
  optionSeries?: Address;
  /** Option positions, margined with the perps (OptionBook; Batch.options). Absent in older records. */
  optionBook?: Address;
  /** The options liquidity vault (OptionVault): writes and buys options at its quote, hedges on the perps. Absent in older records. */
  optionVault?: Address;
  /**
   * Owns Settlement and ClearingHouse (so the CollateralVault too): every owner call is scheduled by
   * `governanceAdmin` and runs `timelockDelay` seconds later. Absent in records written before the timelock.
   */
  timelock?: Address;
  governanceAdmin?: Address;
  /** Seconds, as a decimal string. */
  timelockDelay?: string;
};

/** USD per whole token at the devnet's pool prices. */
export const USD_PER_TOKEN = { dai: 1n, usdc: 1n, wbtc: 100_000n, weth: 3_000n } as const;

export function referencePricesFor(tokens: Deployment['tokens'], decimals: Deployment['decimals']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ['dai', 'usdc', 'wbtc', 'weth'] as const) {
    // value of 1e18 base units in USD with 18 decimals: usd * 1e18 * 1e18 / 10^decimals
    out[tokens[k].toLowerCase()] = ((USD_PER_TOKEN[k] * 10n ** 36n) / 10n ** BigInt(decimals[k])).toString();
  }
  return out;
}

/** A published surface counts as fresh for an hour (the feeder republishes every few seconds). */
export const VOL_MAX_AGE = 3600n;

/** Deploys the whole devnet on the chain `clients` points at. `feeder` publishes oracle rounds. */
export async function deployAll(clients: DevnetClients, feeder: LocalAccount): Promise<Deployment> {
  const devnet = await deployDevnet(clients);
  const perp = await deployDevnetPerp(clients, devnet, { feeder: feeder.address });
  const perpVault = await deployPerpVault(clients, {
    clearingHouse: perp.clearingHouse,
    collateral: devnet.tokens.dai,
    markets: DEVNET_VAULT_MARKETS,
    ...DEVNET_VAULT,
  });
  // every market halts risk-increasing fills for 5 minutes after a 10% oracle move within a minute
  const circuitBreaker = await deployCircuitBreaker(clients, {
    clearingHouse: perp.clearingHouse,
    markets: Object.fromEntries(DEVNET_PERP_MARKETS.map((m) => [m.id, DEFAULT_BREAKER_CONFIG])),
  });
  // implied vols for the options: the feeder publishes every market's surface now and moves them later
  const volatilityFeed = await deployVolatilityFeed(clients, { feeder: feeder.address, maxAge: VOL_MAX_AGE, bounds: defaultVolBounds });
  for (const m of DEVNET_PERP_MARKETS)
    await publishSurface(clients, volatilityFeed, BigInt(m.id), devnetSurface(smileParams(m.id)), clients.walletFor(feeder));
  // option series: calls and puts around each market's price, 7 and 30 days out
  const optionSeries = await deployOptionSeries(clients, { clearingHouse: perp.clearingHouse });
  const marks = await Promise.all(
    DEVNET_PERP_MARKETS.map(async (m) => {
      const [price] = await clients.publicClient.readContract({
        address: perp.clearingHouse,
        abi: clearingHouseAbi,
        functionName: 'markPrice',
        args: [m.id],
      });
      return { id: m.id, price };
    }),
  );
  const now = (await clients.publicClient.getBlock()).timestamp;
  for (const terms of devnetSeries(marks, now)) await listSeries(clients, optionSeries, terms);
  // option positions settle in the same batches as swaps and perps, margined with the perps
  const optionBook = await deployOptionBook(clients, {
    clearingHouse: perp.clearingHouse,
    settlement: devnet.settlement.settlement,
    registry: optionSeries,
    volatilityFeed,
  });
  // the options vault: a funded counterparty for option intents from the first auction
  const optionVault = await deployOptionVault(clients, {
    book: optionBook,
    collateral: devnet.tokens.dai,
    underlyings: DEVNET_OPTION_VAULT_UNDERLYINGS,
    ...DEVNET_OPTION_VAULT,
  });
  // dust buffers: pure matches round in the users' favour, the Settlement pays the wei
  await seedSettlementBuffer(clients, devnet, { dai: parseUnits('1000', 18), usdc: parseUnits('1000', 6), wbtc: parseUnits('0.01', 8) });
  // Last: the deployer bootstrapped markets, collateral and the Settlement/ClearingHouse link as
  // owner; now the timelock takes over, and every later owner call waits out its delay.
  const governance = await deployDevnetGovernance(clients, {
    settlement: devnet.settlement.settlement,
    clearingHouse: perp.clearingHouse,
    perpVault,
    volatilityFeed,
    circuitBreaker,
    optionSeries,
    optionBook,
    optionVault,
  });
  const decimals = { dai: 18, usdc: 6, wbtc: 8, weth: 18 };
  return {
    chainId: devnet.chainId,
    tokens: devnet.tokens,
    decimals,
    settlement: devnet.settlement.settlement,
    vault: devnet.settlement.vault,
    clearingHouse: perp.clearingHouse,
    perpVault,
    feeds: Object.fromEntries(Object.entries(perp.feeds).map(([k, v]) => [k, v])),
    markets: DEVNET_PERP_MARKETS.map((m) => ({ id: m.id, symbol: m.description.split(' ')[0]!, feedDecimals: m.feedDecimals ?? 8 })),
    pools: devnetPoolSpecs(devnet),
    pairs: { daiUsdc: devnet.uniswapV2.pairs.daiUsdc, wbtcUsdc: devnet.uniswapV2.pairs.wbtcUsdc },
    referencePrices: referencePricesFor(devnet.tokens, decimals),
    feeder: feeder.address,
    volatilityFeed,
    circuitBreaker,
    optionSeries,
    optionBook,
    optionVault,
    timelock: governance.timelock,
    governanceAdmin: governance.admin,
    timelockDelay: governance.delay.toString(),
  };
}

export function loadDeployment(path: string): Deployment {
  const d = JSON.parse(readFileSync(path, 'utf8')) as Deployment;
  for (const k of ['settlement', 'vault', 'clearingHouse'] as const)
    if (!/^0x[0-9a-fA-F]{40}$/.test(d[k])) throw new Error(`${path}: ${k} is not an address`);
  return d;
}
