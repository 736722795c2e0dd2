// Deploys our Settlement (which deploys its own Vault) and bonds solvers. Encoding trades and
// signing intents is client code: contracts/client/settlement.ts.
import { getAddress, getContract, parseEther, type Address } from 'viem';
import { settlementAbi, settlementBytecode } from '../artifacts/Settlement.ts';
import { vaultAbi } from '../artifacts/Vault.ts';
import { confirm, deploy, type DevnetClients, type DevnetWalletClient } from './clients.ts';

export type SettlementDeployment = { settlement: Address; vault: Address };

export type SettlementOptions = {
  /** Governance (may slash bonds). Default: the deployer. */
  owner?: Address;
  /** Minimum solver bond in wei. Default 1 ether. */
  minBond?: bigint;
  /** Seconds between requestExit and withdrawBond. Default DEVNET_UNBONDING_DELAY (seven days). */
  unbondingDelay?: bigint;
};

/**
 * The devnet's unbonding delay: seven days, well above the timelock delay (two days) plus a day to
 * react, so a solver that requests exit when it misbehaves is still bonded when a slash scheduled
 * through the timelock executes (deployDevnetGovernance checks this on chain).
 */
export const DEVNET_UNBONDING_DELAY = 7n * 86_400n;

export async function deploySettlement(clients: DevnetClients, options: SettlementOptions = {}): Promise<SettlementDeployment> {
  const settlement = await deploy(clients, settlementAbi, settlementBytecode, [
    options.owner ?? clients.deployer.account.address,
    options.minBond ?? parseEther('1'),
    options.unbondingDelay ?? DEVNET_UNBONDING_DELAY,
  ]);
  const vault = await clients.publicClient.readContract({ address: settlement, abi: settlementAbi, functionName: 'vault' });
  return { settlement, vault: getAddress(vault) };
}

export function settlementContract(clients: DevnetClients, address: Address, wallet: DevnetWalletClient = clients.deployer) {
  return getContract({ address, abi: settlementAbi, client: { public: clients.publicClient, wallet } });
}

export function vaultContract(clients: DevnetClients, address: Address) {
  return getContract({ address, abi: vaultAbi, client: { public: clients.publicClient, wallet: clients.deployer } });
}

/** Posts `amount` wei of bond for `solver`, which may then call settle. */
export async function bondSolver(clients: DevnetClients, settlement: Address, solver: DevnetWalletClient, amount: bigint): Promise<void> {
  await confirm(
    clients.publicClient,
    solver.writeContract({ address: settlement, abi: settlementAbi, functionName: 'bond', value: amount }),
  );
}
