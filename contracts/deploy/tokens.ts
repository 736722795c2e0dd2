// Devnet tokens: mintable ERC20s (contracts/src/devnet/TestToken.sol) and canonical WETH9.
import { getContract, maxUint256, type Address } from 'viem';
import { testTokenAbi, testTokenBytecode } from '../artifacts/TestToken.ts';
import { weth9Abi, weth9Bytecode } from '../artifacts/WETH9.ts';
import { confirm, deploy, type DevnetClients, type DevnetWalletClient } from './clients.ts';

export type TokenSpec = { name: string; symbol: string; decimals: number };

export async function deployTestToken(clients: DevnetClients, spec: TokenSpec): Promise<Address> {
  return deploy(clients, testTokenAbi, testTokenBytecode, [spec.name, spec.symbol, spec.decimals]);
}

export async function deployWeth(clients: DevnetClients): Promise<Address> {
  return deploy(clients, weth9Abi, weth9Bytecode, []);
}

export function testToken(clients: DevnetClients, address: Address) {
  return getContract({ address, abi: testTokenAbi, client: { public: clients.publicClient, wallet: clients.deployer } });
}

export type TestTokenContract = ReturnType<typeof testToken>;

/** Mints `amount` of a TestToken to `to` (anyone may mint on the devnet). */
export async function mint(clients: DevnetClients, token: Address, to: Address, amount: bigint): Promise<void> {
  await confirm(
    clients.publicClient,
    clients.deployer.writeContract({ address: token, abi: testTokenAbi, functionName: 'mint', args: [to, amount] }),
  );
}

/** `owner` approves `spender` for an unlimited amount (never decremented, like most wallets set it). */
export async function approveMax(clients: DevnetClients, owner: DevnetWalletClient, token: Address, spender: Address): Promise<void> {
  await confirm(
    clients.publicClient,
    owner.writeContract({ address: token, abi: testTokenAbi, functionName: 'approve', args: [spender, maxUint256] }),
  );
}

export async function balanceOf(clients: Pick<DevnetClients, 'publicClient'>, token: Address, holder: Address): Promise<bigint> {
  return clients.publicClient.readContract({ address: token, abi: testTokenAbi, functionName: 'balanceOf', args: [holder] });
}
