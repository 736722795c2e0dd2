// Every pool's full state read at ONE block with batched multicalls, as domain adapters:
//   - Uniswap V2: token0, token1, getReserves.
//   - Uniswap V3: token0, token1, fee, tickSpacing, slot0, liquidity, and every initialised tick
//     (tickBitmap words over the whole tick range, then ticks(i) for each set bit).
//   - StableSwap (ILiquiditySource): token0, token1, A, fee, reserves, and the tokens' decimals.
import { parseAbi, type Address, type PublicClient } from 'viem';
import type { LiquidityAdapter } from '../domain/liquidity/adapter.ts';
import { StableSwapPool } from '../domain/liquidity/stable-swap.ts';
import { UniswapV2Pool } from '../domain/liquidity/uniswap-v2.ts';
import { UniswapV3Pool, type V3Tick } from '../domain/liquidity/uniswap-v3.ts';
import { MAX_TICK, MIN_TICK } from '../domain/math/v3.ts';
import { multicallAt, type Call } from './multicall.ts';

export type PoolKind = 'uniswapV2' | 'uniswapV3' | 'stableSwap';
export type PoolSpec = { kind: PoolKind; address: Address };

const v2PairAbi = parseAbi([
  'function getReserves() view returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast)',
  'function token0() view returns (address)',
  'function token1() view returns (address)',
]);
const v3PoolAbi = parseAbi([
  'function slot0() view returns (uint160 sqrtPriceX96, int24 tick, uint16 observationIndex, uint16 observationCardinality, uint16 observationCardinalityNext, uint8 feeProtocol, bool unlocked)',
  'function liquidity() view returns (uint128)',
  'function fee() view returns (uint24)',
  'function tickSpacing() view returns (int24)',
  'function token0() view returns (address)',
  'function token1() view returns (address)',
  'function tickBitmap(int16 wordPosition) view returns (uint256)',
  'function ticks(int24 tick) view returns (uint128 liquidityGross, int128 liquidityNet, uint256 feeGrowthOutside0X128, uint256 feeGrowthOutside1X128, int56 tickCumulativeOutside, uint160 secondsPerLiquidityOutsideX128, uint32 secondsOutside, bool initialized)',
]);
export const stableSwapAbi = parseAbi([
  'function token0() view returns (address)',
  'function token1() view returns (address)',
  'function A() view returns (uint256)',
  'function fee() view returns (uint256)',
  'function reserve0() view returns (uint128)',
  'function reserve1() view returns (uint128)',
]);
const erc20DecimalsAbi = parseAbi(['function decimals() view returns (uint8)']);

/** Initialised ticks of a V3 pool at a block, from its tickBitmap and ticks mappings. */
async function readV3Ticks(client: PublicClient, pool: Address, tickSpacing: number, blockNumber: bigint): Promise<V3Tick[]> {
  const compress = (t: number): number => Math.floor(t / tickSpacing);
  const minWord = compress(MIN_TICK) >> 8;
  const maxWord = compress(MAX_TICK) >> 8;
  const words: number[] = [];
  for (let w = minWord; w <= maxWord; w++) words.push(w);
  const bitmaps = (await multicallAt(
    client,
    words.map((w) => ({ address: pool, abi: v3PoolAbi, functionName: 'tickBitmap', args: [w] })),
    blockNumber,
  )) as bigint[];
  const indices: number[] = [];
  bitmaps.forEach((bits, k) => {
    if (bits === 0n) return;
    for (let b = 0; b < 256; b++) if ((bits >> BigInt(b)) & 1n) indices.push((words[k]! * 256 + b) * tickSpacing);
  });
  if (!indices.length) return [];
  const infos = (await multicallAt(
    client,
    indices.map((t) => ({ address: pool, abi: v3PoolAbi, functionName: 'ticks', args: [t] })),
    blockNumber,
  )) as [bigint, bigint, bigint, bigint, bigint, bigint, number, boolean][];
  return indices.map((index, k) => ({ index, liquidityGross: infos[k]![0], liquidityNet: infos[k]![1] }));
}

/** Reads every pool's full state at `blockNumber` and builds its adapter. */
export async function readPools(client: PublicClient, specs: readonly PoolSpec[], blockNumber: bigint): Promise<LiquidityAdapter[]> {
  const calls: Call[] = [];
  const layout: number[] = [];
  for (const s of specs) {
    const start = calls.length;
    const c = (abi: readonly unknown[], functionName: string) => calls.push({ address: s.address, abi, functionName });
    if (s.kind === 'uniswapV2') {
      c(v2PairAbi, 'token0');
      c(v2PairAbi, 'token1');
      c(v2PairAbi, 'getReserves');
    } else if (s.kind === 'uniswapV3') {
      for (const f of ['token0', 'token1', 'fee', 'tickSpacing', 'slot0', 'liquidity']) c(v3PoolAbi, f);
    } else {
      for (const f of ['token0', 'token1', 'A', 'fee', 'reserve0', 'reserve1']) c(stableSwapAbi, f);
    }
    layout.push(start);
  }
  const r = await multicallAt(client, calls, blockNumber);
  // Second round: token decimals (StableSwap normalisation).
  const decimalsOf = new Map<Address, number>();
  const needDecimals = new Set<Address>();
  specs.forEach((s, i) => {
    if (s.kind !== 'stableSwap') return;
    needDecimals.add(r[layout[i]!] as Address);
    needDecimals.add(r[layout[i]! + 1] as Address);
  });
  const decList = [...needDecimals];
  const decs = (await multicallAt(
    client,
    decList.map((t) => ({ address: t, abi: erc20DecimalsAbi, functionName: 'decimals' })),
    blockNumber,
  )) as number[];
  decList.forEach((t, k) => {
    decimalsOf.set(t, Number(decs[k]));
  });

  const out: LiquidityAdapter[] = [];
  for (const [i, s] of specs.entries()) {
    const at = layout[i]!;
    const token0 = r[at] as Address;
    const token1 = r[at + 1] as Address;
    if (s.kind === 'uniswapV2') {
      const [reserve0, reserve1] = r[at + 2] as [bigint, bigint, number];
      out.push(new UniswapV2Pool({ address: s.address, token0, token1, reserve0, reserve1 }));
    } else if (s.kind === 'uniswapV3') {
      const fee = Number(r[at + 2]);
      const tickSpacing = Number(r[at + 3]);
      const slot0 = r[at + 4] as [bigint, number, ...unknown[]];
      const liquidity = r[at + 5] as bigint;
      const ticks = await readV3Ticks(client, s.address, tickSpacing, blockNumber);
      out.push(
        new UniswapV3Pool({
          address: s.address,
          token0,
          token1,
          fee,
          tickSpacing,
          sqrtPriceX96: slot0[0],
          tick: Number(slot0[1]),
          liquidity,
          ticks,
        }),
      );
    } else {
      out.push(
        new StableSwapPool({
          address: s.address,
          token0,
          token1,
          decimals0: decimalsOf.get(token0)!,
          decimals1: decimalsOf.get(token1)!,
          amp: r[at + 2] as bigint,
          fee: r[at + 3] as bigint,
          reserve0: r[at + 4] as bigint,
          reserve1: r[at + 5] as bigint,
        }),
      );
    }
  }
  return out;
}
