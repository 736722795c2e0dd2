// CoW Protocol (GPv2) on the devnet, from @cowprotocol/contracts' own artifacts, plus what a CoW
// solver needs to build a settlement: the order's EIP-712 types and domain, signing, and the
// trade/flags encoding. Written against the package's Solidity and TypeScript sources
// (src/ts/order.ts, src/ts/settlement.ts) because its root index import needs ethers v5 and
// node-fetch; we sign with viem exactly as for our own intents.
import { getContract, type Address, type Hex, type LocalAccount } from 'viem';
import { gpv2AllowListAuthenticationAbi, gpv2AllowListAuthenticationBytecode } from '../artifacts/GPv2AllowListAuthentication.ts';
import { gpv2SettlementAbi, gpv2SettlementBytecode } from '../artifacts/GPv2Settlement.ts';
import { confirm, deploy, type DevnetClients } from './clients.ts';

export type CowDeployment = { authenticator: Address; settlement: Address; vaultRelayer: Address };

/**
 * Deploys GPv2AllowListAuthentication (manager = deployer) and allow-lists `solvers`, then
 * GPv2Settlement, whose constructor deploys the GPv2VaultRelayer that users approve. The Balancer
 * vault is only used for Balancer internal/external balances; plain ERC20-balance orders never
 * touch it, so any address (default: the deployer) serves.
 */
export async function deployCow(clients: DevnetClients, options: { solvers: readonly Address[]; vault?: Address }): Promise<CowDeployment> {
  const { publicClient, deployer } = clients;
  const manager = deployer.account.address;
  const authenticator = await deploy(clients, gpv2AllowListAuthenticationAbi, gpv2AllowListAuthenticationBytecode, []);
  await confirm(
    publicClient,
    deployer.writeContract({
      address: authenticator,
      abi: gpv2AllowListAuthenticationAbi,
      functionName: 'initializeManager',
      args: [manager],
    }),
  );
  for (const solver of options.solvers) {
    await confirm(
      publicClient,
      deployer.writeContract({ address: authenticator, abi: gpv2AllowListAuthenticationAbi, functionName: 'addSolver', args: [solver] }),
    );
  }
  const settlement = await deploy(clients, gpv2SettlementAbi, gpv2SettlementBytecode, [authenticator, options.vault ?? manager]);
  const vaultRelayer = await publicClient.readContract({ address: settlement, abi: gpv2SettlementAbi, functionName: 'vaultRelayer' });
  return { authenticator, settlement, vaultRelayer };
}

export function cowSettlement(clients: DevnetClients, address: Address) {
  return getContract({ address, abi: gpv2SettlementAbi, client: { public: clients.publicClient, wallet: clients.deployer } });
}

/** GPv2Order.Data as signed: `kind` and the balance fields are strings hashed as in GPv2Order.sol. */
export type CowOrder = {
  sellToken: Address;
  buyToken: Address;
  /** The zero address means the owner. */
  receiver: Address;
  sellAmount: bigint;
  buyAmount: bigint;
  validTo: number;
  appData: Hex;
  feeAmount: bigint;
  kind: 'sell' | 'buy';
  partiallyFillable: boolean;
  sellTokenBalance: 'erc20' | 'external' | 'internal';
  buyTokenBalance: 'erc20' | 'internal';
};

export const cowOrderTypes = {
  Order: [
    { name: 'sellToken', type: 'address' },
    { name: 'buyToken', type: 'address' },
    { name: 'receiver', type: 'address' },
    { name: 'sellAmount', type: 'uint256' },
    { name: 'buyAmount', type: 'uint256' },
    { name: 'validTo', type: 'uint32' },
    { name: 'appData', type: 'bytes32' },
    { name: 'feeAmount', type: 'uint256' },
    { name: 'kind', type: 'string' },
    { name: 'partiallyFillable', type: 'bool' },
    { name: 'sellTokenBalance', type: 'string' },
    { name: 'buyTokenBalance', type: 'string' },
  ],
} as const;

export function cowDomain(chainId: number, settlement: Address) {
  return { name: 'Gnosis Protocol', version: 'v2', chainId, verifyingContract: settlement } as const;
}

/** EIP-712 signature (r ‖ s ‖ v, 65 bytes), exactly what a wallet returns for eth_signTypedData_v4. */
export async function signCowOrder(owner: LocalAccount, chainId: number, settlement: Address, order: CowOrder): Promise<Hex> {
  return owner.signTypedData({ domain: cowDomain(chainId, settlement), types: cowOrderTypes, primaryType: 'Order', message: order });
}

/** Trade flags as GPv2Trade.extractFlags decodes them; signing scheme EIP-712 is 0b00 << 5. */
export function cowTradeFlags(order: CowOrder): bigint {
  let flags = 0n;
  if (order.kind === 'buy') flags |= 1n;
  if (order.partiallyFillable) flags |= 1n << 1n;
  if (order.sellTokenBalance === 'external') flags |= 2n << 2n;
  if (order.sellTokenBalance === 'internal') flags |= 3n << 2n;
  if (order.buyTokenBalance === 'internal') flags |= 1n << 4n;
  return flags;
}

export type CowTrade = {
  sellTokenIndex: bigint;
  buyTokenIndex: bigint;
  receiver: Address;
  sellAmount: bigint;
  buyAmount: bigint;
  validTo: number;
  appData: Hex;
  feeAmount: bigint;
  flags: bigint;
  executedAmount: bigint;
  signature: Hex;
};

export type CowInteraction = { target: Address; value: bigint; callData: Hex };

/** Encodes a signed order as a GPv2Trade.Data against the settlement's `tokens` array. */
export function cowTrade(tokens: readonly Address[], order: CowOrder, signature: Hex, executedAmount = 0n): CowTrade {
  const index = (token: Address): bigint => {
    const i = tokens.findIndex((t) => t.toLowerCase() === token.toLowerCase());
    if (i < 0) throw new Error(`token ${token} is not in the settlement's token list`);
    return BigInt(i);
  };
  return {
    sellTokenIndex: index(order.sellToken),
    buyTokenIndex: index(order.buyToken),
    receiver: order.receiver,
    sellAmount: order.sellAmount,
    buyAmount: order.buyAmount,
    validTo: order.validTo,
    appData: order.appData,
    feeAmount: order.feeAmount,
    flags: cowTradeFlags(order),
    executedAmount,
    signature,
  };
}
