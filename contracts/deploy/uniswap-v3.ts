// Real Uniswap V3 (factory, pools, SwapRouter, QuoterV2) from the npm packages' own bytecode;
// liquidity goes in through the devnet V3LiquidityHelper (pools call their minter back).
import { getAddress, getContract, maxUint256, type Address } from 'viem';
import { quoterV2Abi, quoterV2Bytecode } from '../artifacts/QuoterV2.ts';
import { swapRouterAbi, swapRouterBytecode } from '../artifacts/SwapRouter.ts';
import { testTokenAbi } from '../artifacts/TestToken.ts';
import { uniswapV3FactoryAbi, uniswapV3FactoryBytecode } from '../artifacts/UniswapV3Factory.ts';
import { uniswapV3PoolAbi } from '../artifacts/UniswapV3Pool.ts';
import { v3LiquidityHelperAbi, v3LiquidityHelperBytecode } from '../artifacts/V3LiquidityHelper.ts';
import { confirm, deploy, type DevnetClients } from './clients.ts';
import { isqrt } from '../../protocol/isqrt.ts';

export type UniswapV3 = { factory: Address; swapRouter: Address; quoter: Address; liquidityHelper: Address };

export async function deployUniswapV3(clients: DevnetClients, weth: Address): Promise<UniswapV3> {
  const factory = await deploy(clients, uniswapV3FactoryAbi, uniswapV3FactoryBytecode, []);
  const swapRouter = await deploy(clients, swapRouterAbi, swapRouterBytecode, [factory, weth]);
  const quoter = await deploy(clients, quoterV2Abi, quoterV2Bytecode, [factory, weth]);
  const liquidityHelper = await deploy(clients, v3LiquidityHelperAbi, v3LiquidityHelperBytecode, []);
  return { factory, swapRouter, quoter, liquidityHelper };
}

/** Fee tier -> tick spacing, as the V3 factory enables them at construction. */
export const V3_TICK_SPACING: Record<number, number> = { 500: 10, 3000: 60, 10000: 200 };
const MAX_TICK = 887272;

/** Liquidity L that, over the full range at the current price, holds about `amount0` and `amount1` (L = sqrt(x * y)). */
export function fullRangeLiquidity(amount0: bigint, amount1: bigint): bigint {
  return isqrt(amount0 * amount1);
}

/**
 * sqrt(price) in Q64.96 where price = token1 per token0 in raw units: the pool's initial price
 * when `amount1` of token1 is worth `amount0` of token0.
 */
export function encodeSqrtPriceX96(amount1: bigint, amount0: bigint): bigint {
  return isqrt((amount1 << 192n) / amount0);
}

/** Pool tokens are sorted by address; token0 is the lower one. */
export function sortTokens(a: Address, b: Address): [Address, Address] {
  return BigInt(a) < BigInt(b) ? [getAddress(a), getAddress(b)] : [getAddress(b), getAddress(a)];
}

export type V3PoolSpec = {
  tokenA: Address;
  tokenB: Address;
  fee: number;
  /** Initial price as "`amount1` of token1 per `amount0` of token0" (tokens sorted by address). */
  price: { amount0: bigint; amount1: bigint };
  /** Liquidity L placed over the full tick range (the deployer must hold and will pay the tokens). */
  liquidity: bigint;
};

/**
 * Gas limit for minting V3 liquidity. Not estimated: the pool's oracle does more work when a mint
 * lands in a later second than the last observation, so an estimate taken in the same second as
 * `initialize` can fall short when the block is mined a second later (seen on a loaded machine:
 * the mint reverted out of gas at 349k).
 */
export const V3_MINT_GAS = 1_500_000n;

/** Creates and initialises a pool (if it does not exist), adds full-range liquidity, returns the pool address. */
export async function createV3Pool(clients: DevnetClients, v3: UniswapV3, spec: V3PoolSpec): Promise<Address> {
  const { publicClient, deployer } = clients;
  const [token0, token1] = sortTokens(spec.tokenA, spec.tokenB);
  const spacing = V3_TICK_SPACING[spec.fee];
  if (spacing === undefined) throw new Error(`fee tier ${spec.fee} is not enabled on the V3 factory`);
  let pool = await publicClient.readContract({
    address: v3.factory,
    abi: uniswapV3FactoryAbi,
    functionName: 'getPool',
    args: [token0, token1, spec.fee],
  });
  if (BigInt(pool) === 0n) {
    await confirm(
      publicClient,
      deployer.writeContract({
        address: v3.factory,
        abi: uniswapV3FactoryAbi,
        functionName: 'createPool',
        args: [token0, token1, spec.fee],
      }),
    );
    pool = await publicClient.readContract({
      address: v3.factory,
      abi: uniswapV3FactoryAbi,
      functionName: 'getPool',
      args: [token0, token1, spec.fee],
    });
    const sqrtPriceX96 = encodeSqrtPriceX96(spec.price.amount1, spec.price.amount0);
    await confirm(
      publicClient,
      deployer.writeContract({ address: pool, abi: uniswapV3PoolAbi, functionName: 'initialize', args: [sqrtPriceX96] }),
    );
  }
  for (const token of [token0, token1]) {
    await confirm(
      publicClient,
      deployer.writeContract({ address: token, abi: testTokenAbi, functionName: 'approve', args: [v3.liquidityHelper, maxUint256] }),
    );
  }
  const upper = Math.floor(MAX_TICK / spacing) * spacing;
  await confirm(
    publicClient,
    deployer.writeContract({
      address: v3.liquidityHelper,
      abi: v3LiquidityHelperAbi,
      functionName: 'mint',
      args: [pool, -upper, upper, spec.liquidity],
      gas: V3_MINT_GAS,
    }),
  );
  return getAddress(pool);
}

export function v3Pool(clients: DevnetClients, address: Address) {
  return getContract({ address, abi: uniswapV3PoolAbi, client: { public: clients.publicClient, wallet: clients.deployer } });
}

/** Exact-input quote through QuoterV2 (a real simulation against the pool's ticks). */
export async function quoteV3ExactInput(
  clients: Pick<DevnetClients, 'publicClient'>,
  v3: UniswapV3,
  tokenIn: Address,
  tokenOut: Address,
  fee: number,
  amountIn: bigint,
): Promise<bigint> {
  const { result } = await clients.publicClient.simulateContract({
    address: v3.quoter,
    abi: quoterV2Abi,
    functionName: 'quoteExactInputSingle',
    args: [{ tokenIn, tokenOut, fee, amountIn, sqrtPriceLimitX96: 0n }],
  });
  return result[0];
}
