// The cross-margin clearing house on the devnet: Chainlink-shaped price feeds the devnet price
// feeder moves (DevnetPriceFeed), the ClearingHouse with its markets, and collateral deposits. The
// CollateralVault (extra collateral tokens with haircuts) is deployed and connected with it.
// Signing and encoding position intents is client code: contracts/client/positions.ts.
import { getContract, type Address, type LocalAccount } from 'viem';
import { clearingHouseAbi, clearingHouseBytecode } from '../artifacts/ClearingHouse.ts';
import { collateralVaultAbi, collateralVaultBytecode } from '../artifacts/CollateralVault.ts';
import { devnetPriceFeedAbi, devnetPriceFeedBytecode } from '../artifacts/DevnetPriceFeed.ts';
import { settlementAbi } from '../artifacts/Settlement.ts';
import { confirm, deploy, type DevnetClients, type DevnetWalletClient } from './clients.ts';
import { approveMax } from './tokens.ts';

export const WAD = 10n ** 18n;

/** ClearingHouse.MarketConfig, fractions in 1e18 fixed point. */
export type MarketConfig = {
  feed: Address;
  heartbeat: number;
  fundingPeriod: number;
  initialMarginFraction: bigint;
  maintenanceMarginFraction: bigint;
  feeFraction: bigint;
  maxPriceDeviation: bigint;
  maxFundingRate: bigint;
  maxOpenInterest: bigint;
};

export type PerpMarketSpec = {
  id: number;
  /** e.g. 'ETH / USD' */
  description: string;
  /** Feed answer with `feedDecimals` decimals (USD per unit). */
  answer: bigint;
  feedDecimals?: number;
  config?: Partial<Omit<MarketConfig, 'feed'>>;
};

/** An extra collateral token for the CollateralVault (CollateralVault.CollateralConfig plus its feed). */
export type ExtraCollateralSpec = {
  token: Address;
  /** An existing feed pricing one whole token in the stablecoin (e.g. a market's), else one is deployed. */
  feed?: Address;
  /** For a deployed feed: description, answer and decimals. */
  description?: string;
  answer?: bigint;
  feedDecimals?: number;
  heartbeat?: number;
  /** 1e18 fraction: WAD / 10n = 10%. */
  haircut: bigint;
  /** In the token's base units. */
  depositCap: bigint;
};

export type PerpOptions = {
  /** Who may call settlePositions: the Settlement (or, in isolated tests, any account). */
  settlement: Address;
  collateral: Address;
  collateralDecimals: number;
  markets: readonly PerpMarketSpec[];
  /** Owner of the clearing house (lists markets). Default: the deployer. */
  owner?: Address;
  /** Publishes prices. Default: the deployer. */
  feeder?: Address;
  liquidationPenalty?: bigint;
  liquidatorShare?: bigint;
  /** Extra collateral tokens listed in the vault (the owner must be the deployer to list them here). */
  extraCollateral?: readonly ExtraCollateralSpec[];
};

export type PerpDeployment = {
  clearingHouse: Address;
  feeds: Record<number, Address>;
  /** Holds extra collateral tokens (connected to the clearing house). */
  collateralVault: Address;
  /** Feed of each listed extra collateral token. */
  collateralFeeds: Record<Address, Address>;
};

/** IMF 10%, MMF 5%, fee 0.05%, 5% deviation guard, 8 h funding capped at 1% per period, 1 hour heartbeat. */
export const defaultMarketConfig: Omit<MarketConfig, 'feed'> = {
  heartbeat: 3600,
  fundingPeriod: 8 * 3600,
  initialMarginFraction: WAD / 10n,
  maintenanceMarginFraction: WAD / 20n,
  feeFraction: WAD / 2000n,
  maxPriceDeviation: WAD / 20n,
  maxFundingRate: WAD / 100n,
  maxOpenInterest: 10n ** 9n * WAD,
};

export async function deployPriceFeed(
  clients: DevnetClients,
  spec: { owner: Address; decimals: number; description: string; answer: bigint },
): Promise<Address> {
  return deploy(clients, devnetPriceFeedAbi, devnetPriceFeedBytecode, [spec.owner, spec.decimals, spec.description, spec.answer]);
}

/** Publishes a new round on a devnet feed (as its owner, the price feeder). */
export async function setFeedPrice(
  clients: DevnetClients,
  feed: Address,
  answer: bigint,
  feeder: DevnetWalletClient = clients.deployer,
): Promise<void> {
  await confirm(
    clients.publicClient,
    feeder.writeContract({ address: feed, abi: devnetPriceFeedAbi, functionName: 'submit', args: [answer] }),
  );
}

/** Feeds, ClearingHouse and its markets. */
export async function deployPerp(clients: DevnetClients, options: PerpOptions): Promise<PerpDeployment> {
  const deployer = clients.deployer.account.address;
  const clearingHouse = await deploy(clients, clearingHouseAbi, clearingHouseBytecode, [
    options.owner ?? deployer,
    options.settlement,
    options.collateral,
    options.collateralDecimals,
    options.liquidationPenalty ?? WAD / 100n,
    options.liquidatorShare ?? WAD / 2n,
  ]);
  const feeds: Record<number, Address> = {};
  for (const m of options.markets) {
    const feed = await deployPriceFeed(clients, {
      owner: options.feeder ?? deployer,
      decimals: m.feedDecimals ?? 8,
      description: m.description,
      answer: m.answer,
    });
    feeds[m.id] = feed;
    const config = { ...defaultMarketConfig, ...m.config, feed };
    await confirm(
      clients.publicClient,
      clients.deployer.writeContract({ address: clearingHouse, abi: clearingHouseAbi, functionName: 'listMarket', args: [m.id, config] }),
    );
  }
  const collateralVault = await deploy(clients, collateralVaultAbi, collateralVaultBytecode, [clearingHouse]);
  await confirm(
    clients.publicClient,
    clients.deployer.writeContract({
      address: clearingHouse,
      abi: clearingHouseAbi,
      functionName: 'setCollateralVault',
      args: [collateralVault],
    }),
  );
  const collateralFeeds: Record<Address, Address> = {};
  for (const c of options.extraCollateral ?? []) {
    collateralFeeds[c.token] = await listExtraCollateral(clients, collateralVault, c, options.feeder ?? deployer);
  }
  return { clearingHouse, feeds, collateralVault, collateralFeeds };
}

/** Lists (or re-configures) an extra collateral token in the vault, deploying its feed if none is given. Returns the feed. */
export async function listExtraCollateral(
  clients: DevnetClients,
  vault: Address,
  c: ExtraCollateralSpec,
  feeder: Address = clients.deployer.account.address,
): Promise<Address> {
  const feed =
    c.feed ??
    (await deployPriceFeed(clients, {
      owner: feeder,
      decimals: c.feedDecimals ?? 8,
      description: c.description ?? 'COLLATERAL / USD',
      answer: c.answer ?? 10n ** 8n,
    }));
  const config = { feed, heartbeat: c.heartbeat ?? defaultMarketConfig.heartbeat, haircut: c.haircut, depositCap: c.depositCap };
  await confirm(
    clients.publicClient,
    clients.deployer.writeContract({ address: vault, abi: collateralVaultAbi, functionName: 'setCollateral', args: [c.token, config] }),
  );
  return feed;
}

/** Approves the vault and deposits `amount` of extra collateral `token` for `account` (who must hold it). */
export async function depositExtraCollateral(
  clients: DevnetClients,
  vault: Address,
  token: Address,
  account: LocalAccount,
  amount: bigint,
): Promise<void> {
  const wallet = clients.walletFor(account);
  await approveMax(clients, wallet, token, vault);
  await confirm(
    clients.publicClient,
    wallet.writeContract({ address: vault, abi: collateralVaultAbi, functionName: 'depositCollateral', args: [token, amount] }),
  );
}

export function clearingHouseContract(clients: DevnetClients, address: Address, wallet: DevnetWalletClient = clients.deployer) {
  return getContract({ address, abi: clearingHouseAbi, client: { public: clients.publicClient, wallet } });
}

/** Approves the clearing house and deposits `amount` of collateral for `account` (who must hold it). */
export async function depositCollateral(
  clients: DevnetClients,
  clearingHouse: Address,
  collateral: Address,
  account: LocalAccount,
  amount: bigint,
): Promise<void> {
  const wallet = clients.walletFor(account);
  await approveMax(clients, wallet, collateral, clearingHouse);
  await confirm(
    clients.publicClient,
    wallet.writeContract({ address: clearingHouse, abi: clearingHouseAbi, functionName: 'deposit', args: [account.address, amount] }),
  );
}

/** The devnet's three perpetual markets (ids 1-3), feeds with 8 decimals like Chainlink's USD feeds. */
export const DEVNET_PERP_MARKETS: readonly PerpMarketSpec[] = [
  { id: 1, description: 'ETH / USD', answer: 3000n * 10n ** 8n },
  { id: 2, description: 'BTC / USD', answer: 100_000n * 10n ** 8n },
  { id: 3, description: 'SOL / USD', answer: 150n * 10n ** 8n },
];

/** WBTC as devnet extra collateral: 10% haircut, at most 1,000 WBTC in total, priced by the BTC market's feed. */
export const DEVNET_WBTC_HAIRCUT = WAD / 10n;
export const DEVNET_WBTC_DEPOSIT_CAP = 1000n * 10n ** 8n;

/**
 * Gas limit for transactions that move positions (settle with positions, settlePositions,
 * liquidate) sent without their own estimate. Not estimated: funding accrues per second on touch,
 * so a call estimated in the second of the last touch skips work it does when mined a second
 * later, and the estimate falls short (seen as an out-of-gas revert at 591k on a loaded machine).
 */
export const POSITION_TX_GAS = 6_000_000n;

/**
 * Adds the clearing house to a deployed devnet: DAI (18 decimals) as collateral, the three markets,
 * the deployer as feeder and owner, and connects it to the Settlement (`setClearingHouse`, as the
 * Settlement owner, which deployDevnet makes the deployer). With `tokens.wbtc`, WBTC is listed as
 * extra collateral in the vault, priced by the BTC / USD market feed (the price feeder moves it),
 * with a 10% haircut and a 1,000 WBTC deposit cap.
 */
export async function deployDevnetPerp(
  clients: DevnetClients,
  devnet: { settlement: { settlement: Address }; tokens: { dai: Address; wbtc?: Address } },
  options: Partial<Omit<PerpOptions, 'settlement' | 'collateral' | 'collateralDecimals'>> = {},
): Promise<PerpDeployment> {
  let perp = await deployPerp(clients, {
    markets: DEVNET_PERP_MARKETS,
    ...options,
    settlement: devnet.settlement.settlement,
    collateral: devnet.tokens.dai,
    collateralDecimals: 18,
  });
  const btcFeed = perp.feeds[2];
  if (devnet.tokens.wbtc !== undefined && btcFeed !== undefined && options.extraCollateral === undefined) {
    const spec = { token: devnet.tokens.wbtc, feed: btcFeed, haircut: DEVNET_WBTC_HAIRCUT, depositCap: DEVNET_WBTC_DEPOSIT_CAP };
    const feed = await listExtraCollateral(clients, perp.collateralVault, spec);
    perp = { ...perp, collateralFeeds: { ...perp.collateralFeeds, [devnet.tokens.wbtc]: feed } };
  }
  await confirm(
    clients.publicClient,
    clients.deployer.writeContract({
      address: devnet.settlement.settlement,
      abi: settlementAbi,
      functionName: 'setClearingHouse',
      args: [perp.clearingHouse],
    }),
  );
  return perp;
}
