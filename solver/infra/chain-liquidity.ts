// The solver's live view of its pools: every pool's state read at one block (pool-reader.ts),
// then kept current from the pools' own events (never guessed):
//   - Uniswap V2: Sync (emitted on every reserve change).
//   - Uniswap V3: Swap (the state after the swap, as logged), Mint and Burn (liquidityNet and
//     in-range liquidity).
//   - StableSwap: a Swap / AddLiquidity / RemoveLiquidity event makes us re-read the reserves at
//     the refresh block (a swap's new input reserve is the pool's whole balance, donations
//     included, which no event carries).
import { parseAbi, type Address, type Hash, type PublicClient } from 'viem';
import { lower } from '../domain/address.ts';
import type { LiquidityAdapter } from '../domain/liquidity/adapter.ts';
import type { StableSwapPool } from '../domain/liquidity/stable-swap.ts';
import type { UniswapV2Pool } from '../domain/liquidity/uniswap-v2.ts';
import type { UniswapV3Pool } from '../domain/liquidity/uniswap-v3.ts';
import { multicallAt } from './multicall.ts';
import { readPools, stableSwapAbi, type PoolKind, type PoolSpec } from './pool-reader.ts';

/** Uniswap V2's Sync; Uniswap V3's Swap, Mint and Burn; StableSwap's Swap, AddLiquidity and RemoveLiquidity. */
const watchedEvents = parseAbi([
  'event Sync(uint112 reserve0, uint112 reserve1)',
  'event Swap(address indexed sender, address indexed recipient, int256 amount0, int256 amount1, uint160 sqrtPriceX96, uint128 liquidity, int24 tick)',
  'event Mint(address sender, address indexed owner, int24 indexed tickLower, int24 indexed tickUpper, uint128 amount, uint256 amount0, uint256 amount1)',
  'event Burn(address indexed owner, int24 indexed tickLower, int24 indexed tickUpper, uint128 amount, uint256 amount0, uint256 amount1)',
  'event Swap(address indexed sender, address indexed tokenIn, uint256 amountIn, uint256 amountOut, address recipient)',
  'event AddLiquidity(address indexed provider, uint256 amount0, uint256 amount1, uint256 minted, address recipient)',
  'event RemoveLiquidity(address indexed provider, uint256 amount0, uint256 amount1, uint256 burned, address recipient)',
]);

type RefreshStats = { fromBlock: bigint; toBlock: bigint; logs: number; reloaded: boolean };

/**
 * The solver's live view of its pools: loaded at one block, then advanced block range by block
 * range from the pools' logs. A reorg below the last applied block (its hash changed) triggers a
 * full reload at the new head. `snapshot()` hands out independent copies for solving.
 */
export class ChainLiquidity {
  private readonly client: PublicClient;
  private readonly specs: readonly PoolSpec[];
  private pools = new Map<Address, LiquidityAdapter>();
  private kinds = new Map<Address, PoolKind>();
  /** The block the pools' state is at. */
  block = 0n;
  private blockHash: Hash | undefined;
  /** Pool (lower-case) -> the last block whose events changed it (a reload counts as a change of every pool). */
  private readonly changedAt = new Map<Address, bigint>();

  private constructor(client: PublicClient, specs: readonly PoolSpec[]) {
    this.client = client;
    this.specs = specs;
    for (const s of specs) this.kinds.set(lower(s.address), s.kind);
  }

  /** Loads every pool at the latest block. */
  static async load(client: PublicClient, specs: readonly PoolSpec[]): Promise<ChainLiquidity> {
    const c = new ChainLiquidity(client, specs);
    await c.reload(await client.getBlockNumber({ cacheTime: 0 }));
    return c;
  }

  private async reload(blockNumber: bigint): Promise<void> {
    const block = await this.client.getBlock({ blockNumber });
    const pools = await readPools(this.client, this.specs, blockNumber);
    this.pools = new Map(pools.map((p) => [p.address, p]));
    for (const a of this.pools.keys()) this.changedAt.set(lower(a), blockNumber);
    this.block = blockNumber;
    this.blockHash = block.hash;
  }

  /** The refresh in flight: refreshes run one at a time (a background follower and the solve share this view). */
  private running: Promise<unknown> = Promise.resolve();

  /**
   * Applies every pool event in (block, toBlock] in log order. Serialised with any other refresh,
   * and atomic: every read is done first and the state changes in one synchronous step, so a
   * snapshot() taken meanwhile is always the whole state at `this.block`.
   */
  refresh(toBlock?: bigint): Promise<RefreshStats> {
    const run = this.running.then(() => this.refreshNow(toBlock));
    this.running = run.catch(() => undefined);
    return run;
  }

  private async refreshNow(toBlock?: bigint): Promise<RefreshStats> {
    // cacheTime 0: viem caches the block number for a polling interval, and a head even one block
    // stale misses the swap that was just mined.
    const head = toBlock ?? (await this.client.getBlockNumber({ cacheTime: 0 }));
    const fromBlock = this.block + 1n;
    // already there (the background follower got it first): nothing to read
    if (head <= this.block) return { fromBlock, toBlock: head, logs: 0, reloaded: false };
    const known = await this.client.getBlock({ blockNumber: this.block }).catch(() => undefined);
    if (!known || known.hash !== this.blockHash) {
      await this.reload(head);
      return { fromBlock, toBlock: head, logs: 0, reloaded: true };
    }
    const [logs, headBlock] = await Promise.all([
      this.client.getLogs({
        address: [...this.pools.keys()],
        events: watchedEvents,
        fromBlock,
        toBlock: head,
        strict: true,
      }),
      this.client.getBlock({ blockNumber: head }),
    ]);
    logs.sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex! - b.logIndex! : a.blockNumber! < b.blockNumber! ? -1 : 1));
    const stableTouched = new Set<Address>();
    for (const log of logs) {
      const address = lower(log.address);
      if (this.kinds.get(address) === 'stableSwap') stableTouched.add(address);
    }
    const stableList = [...stableTouched];
    const stableReserves = stableList.length
      ? ((await multicallAt(
          this.client,
          stableList.flatMap((a) => [
            { address: a, abi: stableSwapAbi, functionName: 'reserve0' },
            { address: a, abi: stableSwapAbi, functionName: 'reserve1' },
          ]),
          head,
        )) as bigint[])
      : [];
    // every read done: apply in one synchronous step
    for (const log of logs) {
      const address = lower(log.address);
      const pool = this.pools.get(address);
      const kind = this.kinds.get(address);
      if (!pool) continue;
      this.changedAt.set(address, log.blockNumber!);
      if (kind === 'uniswapV2' && log.eventName === 'Sync') {
        (pool as UniswapV2Pool).applySync(log.args.reserve0, log.args.reserve1);
      } else if (kind === 'uniswapV3') {
        const v3 = pool as UniswapV3Pool;
        if (log.eventName === 'Swap' && 'sqrtPriceX96' in log.args)
          v3.applySwapEvent(log.args.sqrtPriceX96, log.args.liquidity, log.args.tick);
        else if (log.eventName === 'Mint' && log.args.amount > 0n)
          v3.applyLiquidityEvent(log.args.tickLower, log.args.tickUpper, log.args.amount);
        else if (log.eventName === 'Burn' && log.args.amount > 0n)
          v3.applyLiquidityEvent(log.args.tickLower, log.args.tickUpper, -log.args.amount);
      }
    }
    stableList.forEach((a, k) => {
      (this.pools.get(a) as StableSwapPool).applyReserves(stableReserves[2 * k]!, stableReserves[2 * k + 1]!);
    });
    this.block = head;
    this.blockHash = headBlock.hash;
    return { fromBlock, toBlock: head, logs: logs.length, reloaded: false };
  }

  /**
   * Keeps the view warm: polls the head every `intervalMs` and applies new blocks' pool events in
   * the background, so an auction's solve finds the state at (or one step from) the latest block
   * instead of reading it first. Returns the function that stops it.
   */
  follow(intervalMs: number, onError: (e: Error) => void): () => void {
    let stopped = false;
    const tick = async (): Promise<void> => {
      while (!stopped) {
        try {
          const head = await this.client.getBlockNumber({ cacheTime: 0 });
          if (head > this.block) await this.refresh(head);
        } catch (e) {
          onError(e as Error);
        }
        await new Promise((r) => setTimeout(r, intervalMs));
      }
    };
    void tick();
    return () => {
      stopped = true;
    };
  }

  get(address: Address): LiquidityAdapter | undefined {
    return this.pools.get(lower(address));
  }

  /** Independent copies of every pool at `this.block`. */
  snapshot(): LiquidityAdapter[] {
    return [...this.pools.values()].map((p) => p.clone());
  }

  /** Whether any of `addresses` (pools; other addresses are ignored) changed after `block` in the current view. */
  changedSince(addresses: Iterable<string>, block: bigint): boolean {
    for (const a of addresses) {
      const at = this.changedAt.get(lower(a));
      if (at !== undefined && at > block) return true;
    }
    return false;
  }
}
