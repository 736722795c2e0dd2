// The options liquidity vault: an OptionVault (contracts/src/options/OptionVault.sol) over the
// option book, quoting the devnet's underlyings and seeded with an LP deposit, so a lone wallet's
// option intent has a counterparty from the first auction. The quote: protocol/options/option-vault.ts.
// Ownership goes to the timelock with the other contracts (handOverToTimelock).
import { getContract, type Address } from 'viem';
import { optionVaultAbi, optionVaultBytecode } from '../artifacts/OptionVault.ts';
import type { OptionVaultParams } from '../../protocol/options/option-vault.ts';
import { confirm, deploy, type DevnetClients, type DevnetWalletClient } from './clients.ts';
import { WAD } from './perp.ts';
import { seedLpVault } from './perp-vault.ts';

export type OptionVaultOptions = {
  /** The OptionBook; the vault reads its clearing house, registry and vol feed from it. */
  book: Address;
  /** The collateral stablecoin (the vault's asset), minted to the deployer for the seed deposit. */
  collateral: Address;
  /** Seconds between an LP's request and its claim (1 minute to 7 days). */
  requestDelay: bigint;
  /** Per perp market id. */
  underlyings: Record<number, OptionVaultParams>;
  /** The first LP deposit (synchronous: the empty vault holds nothing to time). */
  seed: bigint;
};

/**
 * Devnet parameters, per market at its starting price (ETH 3,000, BTC 100,000, SOL 150): a half
 * spread of 1 vol point of vega plus 0.05% of the mark per contract; delta scales as the perp
 * vault's skew scales (a delta of about 60 million DAI of notional moves prices by 100%); vega
 * scales where 100 ETH-sized at-the-money contracts move the vault's vol by about 1.7 points; limits
 * of about 300,000 DAI of net delta and 600,000 DAI of notional per series; hedges within 1% of the mark,
 * to within about 3,000 DAI of delta.
 */
export const DEVNET_OPTION_VAULT_UNDERLYINGS: Record<number, OptionVaultParams> = {
  1: underlying({ deltaScale: 20_000n, vegaScale: 1_000_000n, maxDelta: 100n, maxVega: 100_000n, maxContracts: 200n, tolerance: WAD }),
  2: underlying({
    deltaScale: 600n,
    vegaScale: 33_000_000n,
    maxDelta: 3n,
    maxVega: 3_300_000n,
    maxContracts: 6n,
    tolerance: WAD / 30n,
  }),
  3: underlying({
    deltaScale: 400_000n,
    vegaScale: 50_000n,
    maxDelta: 2_000n,
    maxVega: 5_000n,
    maxContracts: 4_000n,
    tolerance: 20n * WAD,
  }),
};

function underlying(o: {
  deltaScale: bigint;
  vegaScale: bigint;
  maxDelta: bigint;
  maxVega: bigint;
  maxContracts: bigint;
  tolerance: bigint;
}): OptionVaultParams {
  return {
    baseVolSpread: WAD / 100n,
    minSpread: WAD / 2000n,
    hedgeBand: WAD / 100n,
    enabled: true,
    deltaScale: o.deltaScale * WAD,
    vegaScale: o.vegaScale * WAD,
    maxDelta: o.maxDelta * WAD,
    maxVega: o.maxVega * WAD,
    maxContracts: o.maxContracts * WAD,
    hedgeTolerance: o.tolerance,
  };
}

/** 1,000,000 DAI of LP capital, requests claimable after 15 minutes. */
export const DEVNET_OPTION_VAULT = { seed: 1_000_000n * WAD, requestDelay: 15n * 60n } as const;

/** Deploys the vault (owner: the deployer, until the timelock takes it), sets its underlyings and seeds it. */
export async function deployOptionVault(clients: DevnetClients, o: OptionVaultOptions): Promise<Address> {
  const { publicClient, deployer } = clients;
  const me = deployer.account.address;
  const vault = await deploy(clients, optionVaultAbi, optionVaultBytecode, [o.book, me, o.requestDelay]);
  for (const [market, params] of Object.entries(o.underlyings)) {
    await confirm(
      publicClient,
      deployer.writeContract({ address: vault, abi: optionVaultAbi, functionName: 'setUnderlyingParams', args: [Number(market), params] }),
    );
  }
  await seedLpVault(clients, vault, o.collateral, o.seed);
  return vault;
}

export function optionVaultContract(clients: DevnetClients, address: Address, wallet: DevnetWalletClient = clients.deployer) {
  return getContract({ address, abi: optionVaultAbi, client: { public: clients.publicClient, wallet } });
}
