// Additive devnet helpers for the solver's chain tests: narrow-range Uniswap V3 positions (so swaps
// cross initialised ticks), a list of the devnet's pools for the solver's state reader, and a dust
// buffer of tokens in the Settlement (absorbs the user-favouring rounding of pure matches).
import { maxUint256, type Address } from 'viem';
import { testTokenAbi } from '../artifacts/TestToken.ts';
import { uniswapV3PoolAbi } from '../artifacts/UniswapV3Pool.ts';
import { v3LiquidityHelperAbi } from '../artifacts/V3LiquidityHelper.ts';
import { confirm, type DevnetClients } from './clients.ts';
import type { Devnet } from './devnet.ts';
import { mint } from './tokens.ts';
import { V3_MINT_GAS } from './uniswap-v3.ts';

/** The deployer adds `liquidity` to `pool` on [tickLower, tickUpper) (ticks multiples of the spacing). */
export async function addV3Position(
  clients: DevnetClients,
  devnet: Devnet,
  pool: Address,
  tickLower: number,
  tickUpper: number,
  liquidity: bigint,
): Promise<void> {
  const { publicClient, deployer } = clients;
  const helper = devnet.uniswapV3.liquidityHelper;
  for (const fn of ['token0', 'token1'] as const) {
    const token = await publicClient.readContract({ address: pool, abi: uniswapV3PoolAbi, functionName: fn });
    const allowance = await publicClient.readContract({
      address: token,
      abi: testTokenAbi,
      functionName: 'allowance',
      args: [deployer.account.address, helper],
    });
    if (allowance < maxUint256 / 2n) {
      await confirm(
        publicClient,
        deployer.writeContract({ address: token, abi: testTokenAbi, functionName: 'approve', args: [helper, maxUint256] }),
      );
    }
  }
  await confirm(
    publicClient,
    deployer.writeContract({
      address: helper,
      abi: v3LiquidityHelperAbi,
      functionName: 'mint',
      args: [pool, tickLower, tickUpper, liquidity],
      gas: V3_MINT_GAS,
    }),
  );
}

/**
 * A few narrow positions around the current tick of `pool`: `count` ranges of `width` tick spacings
 * each side of the price, so a moderate swap in either direction crosses several initialised ticks.
 */
export async function addNarrowPositions(
  clients: DevnetClients,
  devnet: Devnet,
  pool: Address,
  options: { count?: number; width?: number; liquidity: bigint },
): Promise<{ tickLower: number; tickUpper: number }[]> {
  const { publicClient } = clients;
  const [, tick] = await publicClient.readContract({ address: pool, abi: uniswapV3PoolAbi, functionName: 'slot0' });
  const spacing = await publicClient.readContract({ address: pool, abi: uniswapV3PoolAbi, functionName: 'tickSpacing' });
  const base = Math.floor(tick / spacing) * spacing;
  const width = (options.width ?? 2) * spacing;
  const ranges: { tickLower: number; tickUpper: number }[] = [];
  for (let k = 0; k < (options.count ?? 3); k++) {
    ranges.push({ tickLower: base - (k + 1) * width, tickUpper: base + (k + 1) * width }); // nested, around the price
    ranges.push({ tickLower: base + (k + 1) * width, tickUpper: base + (k + 2) * width }); // above
    ranges.push({ tickLower: base - (k + 2) * width, tickUpper: base - (k + 1) * width }); // below
  }
  for (const r of ranges) await addV3Position(clients, devnet, pool, r.tickLower, r.tickUpper, options.liquidity);
  return ranges;
}

/** Every pool of the devnet, as the solver's state reader wants them. */
export function devnetPoolSpecs(devnet: Devnet): { kind: 'uniswapV2' | 'uniswapV3' | 'stableSwap'; address: Address }[] {
  return [
    { kind: 'uniswapV2', address: devnet.uniswapV2.pairs.daiUsdc },
    { kind: 'uniswapV2', address: devnet.uniswapV2.pairs.wbtcUsdc },
    { kind: 'uniswapV3', address: devnet.uniswapV3.pools.daiUsdc },
    { kind: 'uniswapV3', address: devnet.uniswapV3.pools.wbtcUsdc },
    { kind: 'stableSwap', address: devnet.stableSwap.pools.daiUsdc },
  ];
}

/** Mints `amounts` of each token straight to the Settlement: a dust buffer for rounding. */
export async function seedSettlementBuffer(
  clients: DevnetClients,
  devnet: Devnet,
  amounts: Partial<Record<'dai' | 'usdc' | 'wbtc', bigint>>,
): Promise<Map<Address, bigint>> {
  const out = new Map<Address, bigint>();
  for (const [symbol, amount] of Object.entries(amounts) as ['dai' | 'usdc' | 'wbtc', bigint][]) {
    const token = devnet.tokens[symbol];
    await mint(clients, token, devnet.settlement.settlement, amount);
    out.set(token.toLowerCase() as Address, amount);
  }
  return out;
}
