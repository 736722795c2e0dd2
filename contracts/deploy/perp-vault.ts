// The perp liquidity vault on the devnet: a PerpVault over the clearing house, quoting the three
// devnet markets, seeded with an LP deposit so a lone wallet's position intent has a counterparty
// from the first auction. The quote curve: protocol/perp-vault.ts; the contract: src/perp/PerpVault.sol.
import type { Address } from 'viem';
import { perpVaultAbi, perpVaultBytecode } from '../artifacts/PerpVault.ts';
import { testTokenAbi } from '../artifacts/TestToken.ts';
import { confirm, deploy, type DevnetClients } from './clients.ts';
import { WAD } from './perp.ts';

/** PerpVault.MarketParams: skewScale and maxPosition in 1e18 size units, feeFraction a 1e18 fraction. */
export type VaultMarketParams = { skewScale: bigint; feeFraction: bigint; maxPosition: bigint; enabled: boolean };

export type PerpVaultOptions = {
  clearingHouse: Address;
  /** The collateral stablecoin (the vault's asset), minted to the deployer for the seed deposit. */
  collateral: Address;
  owner?: Address;
  /** Seconds between an LP's request and its claim. */
  requestDelay: bigint;
  /** Gross notional / NAV, 1e18 = 1x. */
  maxLeverage: bigint;
  markets: Record<number, VaultMarketParams>;
  /** The first LP deposit (synchronous: the vault is empty, so there is nothing to time). */
  seed: bigint;
};

/**
 * Devnet quotes: each market's cap is about 600,000 DAI of notional, where the skew premium reaches
 * 1% (skewScale = 100 x maxPosition) plus a 0.1% spread (twice the clearing house's taker fee,
 * which the vault pays on its own fills too). Well inside the markets' 5% deviation band.
 */
export const DEVNET_VAULT_MARKETS: Record<number, VaultMarketParams> = {
  1: { skewScale: 20_000n * WAD, feeFraction: WAD / 1000n, maxPosition: 200n * WAD, enabled: true },
  2: { skewScale: 600n * WAD, feeFraction: WAD / 1000n, maxPosition: 6n * WAD, enabled: true },
  3: { skewScale: 400_000n * WAD, feeFraction: WAD / 1000n, maxPosition: 4_000n * WAD, enabled: true },
};

/** 1,000,000 DAI of LP capital, 3x gross leverage, requests claimable after 15 minutes. */
export const DEVNET_VAULT = { seed: 1_000_000n * WAD, maxLeverage: 3n * WAD, requestDelay: 15n * 60n } as const;

/** Deploys the vault, lists its markets and makes the seed deposit from the deployer. */
export async function deployPerpVault(clients: DevnetClients, o: PerpVaultOptions): Promise<Address> {
  const { publicClient, deployer } = clients;
  const me = deployer.account.address;
  const vault = await deploy(clients, perpVaultAbi, perpVaultBytecode, [o.clearingHouse, me, o.requestDelay, o.maxLeverage]);
  for (const [market, params] of Object.entries(o.markets)) {
    await confirm(
      publicClient,
      deployer.writeContract({ address: vault, abi: perpVaultAbi, functionName: 'setMarketParams', args: [Number(market), params] }),
    );
  }
  await seedLpVault(clients, vault, o.collateral, o.seed);
  return vault;
}

/**
 * The seed deposit of an LP vault (ClearingHouseLpVault: the perp and the options vault) from the
 * deployer: `seed` of the devnet collateral minted, approved and deposited for the deployer's shares.
 */
export async function seedLpVault(clients: DevnetClients, vault: Address, collateral: Address, seed: bigint): Promise<void> {
  if (seed <= 0n) return;
  const { publicClient, deployer } = clients;
  const me = deployer.account.address;
  await confirm(publicClient, deployer.writeContract({ address: collateral, abi: testTokenAbi, functionName: 'mint', args: [me, seed] }));
  await confirm(
    publicClient,
    deployer.writeContract({ address: collateral, abi: testTokenAbi, functionName: 'approve', args: [vault, seed] }),
  );
  // deposit(assets, receiver) is the shared base's, the same in both vaults' ABIs
  await confirm(publicClient, deployer.writeContract({ address: vault, abi: perpVaultAbi, functionName: 'deposit', args: [seed, me] }));
}
