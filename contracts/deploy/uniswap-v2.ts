// Real Uniswap V2 (factory, pairs, Router02) from the npm packages' own bytecode.
import { getAddress, getContract, type Address } from 'viem';
import { testTokenAbi } from '../artifacts/TestToken.ts';
import { uniswapV2FactoryAbi, uniswapV2FactoryBytecode } from '../artifacts/UniswapV2Factory.ts';
import { uniswapV2PairAbi } from '../artifacts/UniswapV2Pair.ts';
import { uniswapV2Router02Abi, uniswapV2Router02Bytecode } from '../artifacts/UniswapV2Router02.ts';
import { confirm, deploy, type DevnetClients } from './clients.ts';

export type UniswapV2 = { factory: Address; router: Address };

export async function deployUniswapV2(clients: DevnetClients, weth: Address): Promise<UniswapV2> {
  const feeToSetter = clients.accounts[0]!.address;
  const factory = await deploy(clients, uniswapV2FactoryAbi, uniswapV2FactoryBytecode, [feeToSetter]);
  const router = await deploy(clients, uniswapV2Router02Abi, uniswapV2Router02Bytecode, [factory, weth]);
  return { factory, router };
}

/**
 * Creates the pair (if needed) and seeds it with `amountA`/`amountB` (minted by the deployer,
 * who must hold them): tokens go straight to the pair and `mint` books them, which is what the
 * router does minus the approvals. Returns the pair address.
 */
export async function addV2Liquidity(
  clients: DevnetClients,
  v2: UniswapV2,
  tokenA: Address,
  tokenB: Address,
  amountA: bigint,
  amountB: bigint,
): Promise<Address> {
  const { publicClient, deployer } = clients;
  let pair = await publicClient.readContract({
    address: v2.factory,
    abi: uniswapV2FactoryAbi,
    functionName: 'getPair',
    args: [tokenA, tokenB],
  });
  if (BigInt(pair) === 0n) {
    await confirm(
      publicClient,
      deployer.writeContract({ address: v2.factory, abi: uniswapV2FactoryAbi, functionName: 'createPair', args: [tokenA, tokenB] }),
    );
    pair = await publicClient.readContract({
      address: v2.factory,
      abi: uniswapV2FactoryAbi,
      functionName: 'getPair',
      args: [tokenA, tokenB],
    });
  }
  await confirm(
    publicClient,
    deployer.writeContract({ address: tokenA, abi: testTokenAbi, functionName: 'transfer', args: [pair, amountA] }),
  );
  await confirm(
    publicClient,
    deployer.writeContract({ address: tokenB, abi: testTokenAbi, functionName: 'transfer', args: [pair, amountB] }),
  );
  await confirm(
    publicClient,
    deployer.writeContract({ address: pair, abi: uniswapV2PairAbi, functionName: 'mint', args: [deployer.account.address] }),
  );
  return getAddress(pair);
}

export function v2Pair(clients: DevnetClients, address: Address) {
  return getContract({ address, abi: uniswapV2PairAbi, client: { public: clients.publicClient, wallet: clients.deployer } });
}

/** Uniswap V2's constant-product quote with its 0.3% fee (UniswapV2Library.getAmountOut). */
export function v2AmountOut(amountIn: bigint, reserveIn: bigint, reserveOut: bigint): bigint {
  const amountInWithFee = amountIn * 997n;
  return (amountInWithFee * reserveOut) / (reserveIn * 1000n + amountInWithFee);
}

/** Reserves of `pair` ordered as (reserve of `tokenIn`, reserve of the other token). */
export async function v2Reserves(clients: Pick<DevnetClients, 'publicClient'>, pair: Address, tokenIn: Address): Promise<[bigint, bigint]> {
  const [r0, r1] = await clients.publicClient.readContract({ address: pair, abi: uniswapV2PairAbi, functionName: 'getReserves' });
  const token0 = await clients.publicClient.readContract({ address: pair, abi: uniswapV2PairAbi, functionName: 'token0' });
  return getAddress(token0) === getAddress(tokenIn) ? [r0, r1] : [r1, r0];
}
