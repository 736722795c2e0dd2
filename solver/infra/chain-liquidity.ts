// Liquidity state from the chain: every pool's state read at ONE block with batched multicalls,
// then kept current from the pools' own events (never guessed):
//   - Uniswap V2: getReserves; refreshed by Sync (emitted on every reserve change).
//   - Uniswap V3: slot0, liquidity, fee, tickSpacing, and every initialised tick (tickBitmap words
//     over the whole tick range, then ticks(i) for each set bit); refreshed by Swap (state after
//     the swap, as logged), Mint and Burn (liquidityNet / in-range liquidity).
//   - StableSwap (ILiquiditySource): A, fee, token decimals, reserves; a Swap / AddLiquidity /
//     RemoveLiquidity event makes us re-read the reserves at the refresh block (a swap's new input
//     reserve is the pool's whole balance, donations included, which no event carries).
// anvil has no Multicall3 deployed, so reads use viem's deployless multicall (the aggregator's
// bytecode is executed inside eth_call, nothing is deployed), which works on any node.
import type { Address, Hash, PublicClient } from 'viem';
import { lower } from '../domain/address.ts';
import type { LiquidityAdapter } from '../domain/liquidity/adapter.ts';
import { UniswapV2Pool, v2PairAbi } from '../domain/liquidity/uniswapV2.ts';
import { UniswapV3Pool, v3PoolAbi, type V3Tick } from '../domain/liquidity/uniswapV3.ts';
import { StableSwapPool, stableSwapAbi } from '../domain/liquidity/stableSwap.ts';
import { MAX_TICK, MIN_TICK } from '../domain/math/v3.ts';
import { parseAbi } from 'viem';

export type PoolKind = 'uniswapV2' | 'uniswapV3' | 'stableSwap';
export type PoolSpec = { kind: PoolKind; address: Address };

const erc20DecimalsAbi = parseAbi(['function decimals() view returns (uint8)']);

type Call = { address: Address; abi: readonly unknown[]; functionName: string; args?: readonly unknown[] };

/**
 * Calls per eth_call. Deployless multicall sends the aggregator's init code with the calls as its
 * constructor argument, so a chunk must stay under the init-code size limit (EIP-3860: 49,152
 * bytes); a view call is about 200 bytes of ABI, so 150 calls use about 30 kB.
 */
const CHUNK = 150;

/** Batched reads at one block; throws if any call fails (a half-read pool is worse than none). */
export async function multicallAt(client: PublicClient, calls: Call[], blockNumber: bigint): Promise<unknown[]> {
  const out: unknown[] = [];
  for (let i = 0; i < calls.length; i += CHUNK) {
    const chunk = calls.slice(i, i + CHUNK);
    const res = await client.multicall({
      // viem's types want a literal ABI per call; these come from parseAbi above and in the adapters.
      contracts: chunk as Parameters<PublicClient['multicall']>[0]['contracts'],
      blockNumber,
      allowFailure: false,
      deployless: true,
      batchSize: 0,
    });
    out.push(...(res as unknown[]));
  }
  return out;
}

/** Initialised ticks of a V3 pool at a block, from its tickBitmap and ticks mappings. */
export async function readV3Ticks(client: PublicClient, pool: Address, tickSpacing: number, blockNumber: bigint): Promise<V3Tick[]> {
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
  decList.forEach((t, k) => decimalsOf.set(t, Number(decs[k])));

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
      out.push(new UniswapV3Pool({ address: s.address, token0, token1, fee, tickSpacing, sqrtPriceX96: slot0[0], tick: Number(slot0[1]), liquidity, ticks }));
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

const watchedEvents = parseAbi([
  'event Sync(uint112 reserve0, uint112 reserve1)',
  'event Swap(address indexed sender, address indexed recipient, int256 amount0, int256 amount1, uint160 sqrtPriceX96, uint128 liquidity, int24 tick)',
  'event Mint(address sender, address indexed owner, int24 indexed tickLower, int24 indexed tickUpper, uint128 amount, uint256 amount0, uint256 amount1)',
  'event Burn(address indexed owner, int24 indexed tickLower, int24 indexed tickUpper, uint128 amount, uint256 amount0, uint256 amount1)',
  'event Swap(address indexed sender, address indexed tokenIn, uint256 amountIn, uint256 amountOut, address recipient)',
  'event AddLiquidity(address indexed provider, uint256 amount0, uint256 amount1, uint256 minted, address recipient)',
  'event RemoveLiquidity(address indexed provider, uint256 amount0, uint256 amount1, uint256 burned, address recipient)',
]);

export type RefreshStats = { fromBlock: bigint; toBlock: bigint; logs: number; reloaded: boolean };

/**
 * The solver's live view of its pools: loaded at one block, then advanced block range by block
 * range from the pools' logs. A reorg below the last applied block (its hash changed) triggers a
 * full reload at the new head. `snapshot()` hands out independent copies for solving.
 */
export class ChainLiquidity {
  readonly client: PublicClient;
  readonly specs: readonly PoolSpec[];
  private pools = new Map<Address, LiquidityAdapter>();
  private kinds = new Map<Address, PoolKind>();
  block = 0n;
  blockHash: Hash | undefined;

  private constructor(client: PublicClient, specs: readonly PoolSpec[]) {
    this.client = client;
    this.specs = specs;
    for (const s of specs) this.kinds.set(lower(s.address), s.kind);
  }

  static async load(client: PublicClient, specs: readonly PoolSpec[], blockNumber?: bigint): Promise<ChainLiquidity> {
    const c = new ChainLiquidity(client, specs);
    await c.reload(blockNumber ?? (await client.getBlockNumber({ cacheTime: 0 })));
    return c;
  }

  private async reload(blockNumber: bigint): Promise<void> {
    const block = await this.client.getBlock({ blockNumber });
    const pools = await readPools(this.client, this.specs, blockNumber);
    this.pools = new Map(pools.map((p) => [p.address, p]));
    this.block = blockNumber;
    this.blockHash = block.hash;
  }

  /** Applies every pool event in (block, toBlock] in log order. */
  async refresh(toBlock?: bigint): Promise<RefreshStats> {
    // cacheTime 0: viem caches the block number for a polling interval, and a head even one block
    // stale misses the swap that was just mined.
    const head = toBlock ?? (await this.client.getBlockNumber({ cacheTime: 0 }));
    const fromBlock = this.block + 1n;
    const known = await this.client.getBlock({ blockNumber: this.block }).catch(() => undefined);
    if (!known || known.hash !== this.blockHash) {
      await this.reload(head);
      return { fromBlock, toBlock: head, logs: 0, reloaded: true };
    }
    if (head < fromBlock) return { fromBlock, toBlock: head, logs: 0, reloaded: false };
    const logs = await this.client.getLogs({ address: [...this.pools.keys()], events: watchedEvents, fromBlock, toBlock: head, strict: true });
    logs.sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex! - b.logIndex! : a.blockNumber! < b.blockNumber! ? -1 : 1));
    const stableTouched = new Set<Address>();
    for (const log of logs) {
      const address = lower(log.address);
      const pool = this.pools.get(address);
      const kind = this.kinds.get(address);
      if (!pool) continue;
      if (kind === 'uniswapV2' && log.eventName === 'Sync') {
        (pool as UniswapV2Pool).applySync(log.args.reserve0, log.args.reserve1);
      } else if (kind === 'uniswapV3') {
        const v3 = pool as UniswapV3Pool;
        if (log.eventName === 'Swap' && 'sqrtPriceX96' in log.args) v3.applySwapEvent(log.args.sqrtPriceX96, log.args.liquidity, log.args.tick);
        else if (log.eventName === 'Mint' && log.args.amount > 0n) v3.applyLiquidityEvent(log.args.tickLower, log.args.tickUpper, log.args.amount);
        else if (log.eventName === 'Burn' && log.args.amount > 0n) v3.applyLiquidityEvent(log.args.tickLower, log.args.tickUpper, -log.args.amount);
      } else if (kind === 'stableSwap' && (log.eventName === 'Swap' || log.eventName === 'AddLiquidity' || log.eventName === 'RemoveLiquidity')) {
        stableTouched.add(address);
      }
    }
    if (stableTouched.size) {
      const list = [...stableTouched];
      const res = (await multicallAt(
        this.client,
        list.flatMap((a) => [
          { address: a, abi: stableSwapAbi, functionName: 'reserve0' },
          { address: a, abi: stableSwapAbi, functionName: 'reserve1' },
        ]),
        head,
      )) as bigint[];
      list.forEach((a, k) => (this.pools.get(a) as StableSwapPool).applyReserves(res[2 * k]!, res[2 * k + 1]!));
    }
    const block = await this.client.getBlock({ blockNumber: head });
    this.block = head;
    this.blockHash = block.hash;
    return { fromBlock, toBlock: head, logs: logs.length, reloaded: false };
  }

  get(address: Address): LiquidityAdapter | undefined {
    return this.pools.get(lower(address));
  }

  /** Independent copies of every pool at `this.block`. */
  snapshot(): LiquidityAdapter[] {
    return [...this.pools.values()].map((p) => p.clone());
  }
}
