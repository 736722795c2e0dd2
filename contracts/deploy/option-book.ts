// The option book: OptionBook (contracts/src/options/OptionBook.sol), which holds option positions
// margined with the clearing house's perps. `deployOptionBook` deploys it and wires it into the
// clearing house (`setOptionBook`) and the Settlement (`setOptionBook`), both once-only owner calls.
import { getContract, type Address } from 'viem';
import { clearingHouseAbi } from '../artifacts/ClearingHouse.ts';
import { optionBookAbi, optionBookBytecode } from '../artifacts/OptionBook.ts';
import { settlementAbi } from '../artifacts/Settlement.ts';
import { confirm, deploy, type DevnetClients, type DevnetWalletClient } from './clients.ts';

const WAD = 10n ** 18n;

/** PortfolioMargin.Params: 9 price shocks (wad fractions of spot), vol shocks, short floor, maintenance fraction. */
export type PortfolioMarginParams = {
  priceShocks: readonly [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint];
  volShockUp: bigint;
  volShockDown: bigint;
  shortFloor: bigint;
  maintenanceFraction: bigint;
};

/** ±5, 10, 15, 20% and unchanged; vol x1.3 and x0.7; 1% of spot per short contract; maintenance 60%. */
export const defaultPortfolioMarginParams: PortfolioMarginParams = {
  priceShocks: [0n, WAD / 20n, -WAD / 20n, WAD / 10n, -WAD / 10n, (WAD * 15n) / 100n, (-WAD * 15n) / 100n, WAD / 5n, -WAD / 5n],
  volShockUp: (WAD * 3n) / 10n,
  volShockDown: (WAD * 3n) / 10n,
  shortFloor: WAD / 100n,
  maintenanceFraction: (WAD * 6n) / 10n,
};

export type OptionBookOptions = {
  clearingHouse: Address;
  settlement: Address;
  registry: Address;
  volatilityFeed: Address;
  /** Sets params and fee (hand it to the Timelock for production). Default: the deployer. */
  owner?: Address;
  params?: PortfolioMarginParams;
  /** Premium fee fraction, wad, <= 1e16 (1%). Default 0.1%. */
  feeFraction?: bigint;
};

/** Deploys the book and connects it to the clearing house and the Settlement (the deployer must own both). */
export async function deployOptionBook(clients: DevnetClients, options: OptionBookOptions): Promise<Address> {
  const feeFraction = options.feeFraction ?? WAD / 1000n;
  if (feeFraction < 0n || feeFraction > WAD / 100n) throw new Error(`fee fraction ${feeFraction} would be refused (InvalidFeeFraction)`);
  const params = options.params ?? defaultPortfolioMarginParams;
  const book = await deploy(clients, optionBookAbi, optionBookBytecode, [
    options.owner ?? clients.deployer.account.address,
    options.clearingHouse,
    options.settlement,
    options.registry,
    options.volatilityFeed,
    { ...params, priceShocks: params.priceShocks },
    feeFraction,
  ]);
  await confirm(
    clients.publicClient,
    clients.deployer.writeContract({ address: options.clearingHouse, abi: clearingHouseAbi, functionName: 'setOptionBook', args: [book] }),
  );
  await confirm(
    clients.publicClient,
    clients.deployer.writeContract({ address: options.settlement, abi: settlementAbi, functionName: 'setOptionBook', args: [book] }),
  );
  return book;
}

export function optionBookContract(clients: DevnetClients, address: Address, wallet: DevnetWalletClient = clients.deployer) {
  return getContract({ address, abi: optionBookAbi, client: { public: clients.publicClient, wallet } });
}
