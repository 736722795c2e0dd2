// The third liquidity source: the Curve-style StableSwapPool behind ILiquiditySource
// (contracts/src/liquidity). Solvers use it with two interactions: tokenIn.transfer(pool, amountIn)
// then pool.swap(tokenIn, tokenOut, amountIn, minAmountOut, recipient); no approval anywhere.
import { encodeFunctionData, getContract, maxUint256, type Address } from 'viem';
import { iliquiditySourceAbi } from '../artifacts/ILiquiditySource.ts';
import { stableSwapPoolAbi, stableSwapPoolBytecode } from '../artifacts/StableSwapPool.ts';
import { testTokenAbi } from '../artifacts/TestToken.ts';
import { confirm, deploy, type DevnetClients } from './clients.ts';

export type StableSwapSpec = {
  token0: Address;
  token1: Address;
  decimals0: number;
  decimals1: number;
  /** Amplification A; Curve's stable pools use 100-2000. */
  amplification: bigint;
  /** Swap fee in units of 1e-10 (4_000_000 = 0.04%, Curve's usual). */
  fee: bigint;
};

export async function deployStableSwapPool(clients: DevnetClients, spec: StableSwapSpec): Promise<Address> {
  return deploy(clients, stableSwapPoolAbi, stableSwapPoolBytecode, [
    spec.token0,
    spec.token1,
    spec.decimals0,
    spec.decimals1,
    spec.amplification,
    spec.fee,
  ]);
}

/**
 * The deployer deposits `amount0`/`amount1` (the pool pulls them, so it approves the pool first). On
 * a fresh pool it receives D minus the pool's MINIMUM_LIQUIDITY (1000 shares locked at address(0)).
 */
export async function addStableLiquidity(clients: DevnetClients, pool: Address, amount0: bigint, amount1: bigint): Promise<void> {
  const { publicClient, deployer } = clients;
  for (const functionName of ['token0', 'token1'] as const) {
    const token = await publicClient.readContract({ address: pool, abi: stableSwapPoolAbi, functionName });
    await confirm(
      publicClient,
      deployer.writeContract({ address: token, abi: testTokenAbi, functionName: 'approve', args: [pool, maxUint256] }),
    );
  }
  await confirm(
    publicClient,
    deployer.writeContract({
      address: pool,
      abi: stableSwapPoolAbi,
      functionName: 'addLiquidity',
      args: [amount0, amount1, 0n, deployer.account.address],
    }),
  );
}

export function stableSwapPool(clients: DevnetClients, address: Address) {
  return getContract({ address, abi: stableSwapPoolAbi, client: { public: clients.publicClient, wallet: clients.deployer } });
}

/** The two settle interactions that route `amountIn` through any ILiquiditySource to `recipient`. */
export async function quoteLiquiditySource(
  clients: Pick<DevnetClients, 'publicClient'>,
  source: Address,
  tokenIn: Address,
  tokenOut: Address,
  amountIn: bigint,
): Promise<bigint> {
  return clients.publicClient.readContract({
    address: source,
    abi: iliquiditySourceAbi,
    functionName: 'quote',
    args: [tokenIn, tokenOut, amountIn],
  });
}

export function liquiditySourceInteractions(
  source: Address,
  tokenIn: Address,
  tokenOut: Address,
  amountIn: bigint,
  minAmountOut: bigint,
  recipient: Address,
) {
  return [
    { target: tokenIn, value: 0n, callData: encodeFunctionData({ abi: testTokenAbi, functionName: 'transfer', args: [source, amountIn] }) },
    {
      target: source,
      value: 0n,
      callData: encodeFunctionData({
        abi: iliquiditySourceAbi,
        functionName: 'swap',
        args: [tokenIn, tokenOut, amountIn, minAmountOut, recipient],
      }),
    },
  ];
}
