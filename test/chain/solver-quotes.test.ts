// The solver's liquidity adapters against the real pools on anvil, to the wei: state read with
// (deployless) multicall at a block, quotes equal to the pools' own results (V2: a real pair swap
// that succeeds at our quote and reverts one wei above it; V3: QuoterV2 and a real SwapRouter
// swap, with narrow positions so swaps cross initialised ticks; StableSwap: the pool's quote and a
// real swap), and state refreshed from events equal to a fresh read.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxUint256, parseUnits, type Address } from 'viem';
import { swapRouterAbi } from '../../contracts/artifacts/SwapRouter.ts';
import { testTokenAbi } from '../../contracts/artifacts/TestToken.ts';
import { uniswapV2PairAbi } from '../../contracts/artifacts/UniswapV2Pair.ts';
import { uniswapV3PoolAbi } from '../../contracts/artifacts/UniswapV3Pool.ts';
import { stableSwapPoolAbi } from '../../contracts/artifacts/StableSwapPool.ts';
import { confirm } from '../../contracts/deploy/clients.ts';
import { startDevnet, type RunningDevnet } from '../../contracts/deploy/devnet.ts';
import { addNarrowPositions, addV3Position, devnetPoolSpecs } from '../../contracts/deploy/solver-fixtures.ts';
import { balanceOf } from '../../contracts/deploy/tokens.ts';
import { quoteV3ExactInput, V3_MINT_GAS } from '../../contracts/deploy/uniswap-v3.ts';
import { ChainLiquidity } from '../../solver/infra/chain-liquidity.ts';
import { readPools } from '../../solver/infra/pool-reader.ts';
import type { LiquidityAdapter } from '../../solver/domain/liquidity/adapter.ts';
import { UniswapV2Pool } from '../../solver/domain/liquidity/uniswap-v2.ts';
import { UniswapV3Pool } from '../../solver/domain/liquidity/uniswap-v3.ts';
import { StableSwapPool } from '../../solver/domain/liquidity/stable-swap.ts';

const DAI = (n: string): bigint => parseUnits(n, 18);
const USDC = (n: string): bigint => parseUnits(n, 6);

let running: RunningDevnet;
let chain: ChainLiquidity;
let narrow: { tickLower: number; tickUpper: number }[];

beforeAll(async () => {
  running = await startDevnet();
  const { clients, devnet } = running;
  // Narrow positions on the DAI/USDC V3 pool (tick spacing 10): liquidity 5x the full range's on
  // nested and adjacent ranges of 20 ticks, so a few thousand dollars cross initialised ticks.
  narrow = await addNarrowPositions(clients, devnet, devnet.uniswapV3.pools.daiUsdc, { count: 3, width: 2, liquidity: 5n * 10n ** 18n });
  for (const token of [devnet.tokens.dai, devnet.tokens.usdc]) {
    await confirm(
      clients.publicClient,
      clients.deployer.writeContract({
        address: token,
        abi: testTokenAbi,
        functionName: 'approve',
        args: [devnet.uniswapV3.swapRouter, maxUint256],
      }),
    );
  }
  chain = await ChainLiquidity.load(clients.publicClient, devnetPoolSpecs(devnet));
});

afterAll(async () => {
  await running?.stop();
});

const pool = <T extends LiquidityAdapter>(address: Address): T => chain.get(address) as T;

/** Pool state as comparable plain data. */
function stateOf(p: LiquidityAdapter): unknown {
  if (p instanceof UniswapV2Pool) return { r0: p.reserve0, r1: p.reserve1 };
  if (p instanceof UniswapV3Pool)
    return { s: p.sqrtPriceX96, t: p.tick, l: p.liquidity, ticks: p.ticks.map((t) => [t.index, t.liquidityNet, t.liquidityGross]) };
  if (p instanceof StableSwapPool) return { r0: p.reserve0, r1: p.reserve1 };
  throw new Error('unknown pool');
}

async function expectRefreshMatchesFreshRead(): Promise<void> {
  const { clients, devnet } = running;
  await chain.refresh();
  const fresh = await readPools(clients.publicClient, devnetPoolSpecs(devnet), chain.block);
  for (const f of fresh) expect(stateOf(chain.get(f.address)!)).toEqual(stateOf(f));
}

describe('state from chain', () => {
  it('reads every devnet pool at one block with multicall, initialised V3 ticks included', async () => {
    const { devnet } = running;
    const snapshot = chain.snapshot();
    expect(snapshot.map((p) => p.kind).sort()).toEqual(['stableSwap', 'uniswapV2', 'uniswapV2', 'uniswapV3', 'uniswapV3']);
    const v3 = pool<UniswapV3Pool>(devnet.uniswapV3.pools.daiUsdc);
    // full range (2 ticks) + the narrow ranges' distinct bounds
    const bounds = new Set(narrow.flatMap((r) => [r.tickLower, r.tickUpper]));
    expect(v3.ticks.length).toBe(2 + bounds.size);
    expect(v3.tickSpacing).toBe(10);
    expect(v3.fee).toBe(500);
    const stable = pool<StableSwapPool>(devnet.stableSwap.pools.daiUsdc);
    expect(stable.amp).toBe(200n);
    expect(stable.fee).toBe(4_000_000n);
  });
});

describe('Uniswap V2 quotes equal the pair', () => {
  for (const [label, dir, amount] of [
    ['DAI->USDC 1,000', 'dai', DAI('1000')],
    ['USDC->DAI 250,000', 'usdc', USDC('250000')],
    ['DAI->USDC 3 wei', 'dai', 3n * 10n ** 12n],
  ] as const) {
    it(`${label}: real swap succeeds at the quote, reverts one wei above, reserves follow Sync`, async () => {
      const { clients, devnet } = running;
      const pc = clients.publicClient;
      const pair = devnet.uniswapV2.pairs.daiUsdc;
      const adapter = pool<UniswapV2Pool>(pair);
      const tokenIn = devnet.tokens[dir];
      const zeroForOne = tokenIn.toLowerCase() === adapter.token0;
      const q = adapter.quote(zeroForOne, amount);
      expect(q).toBeGreaterThan(0n);
      await confirm(
        pc,
        clients.deployer.writeContract({ address: tokenIn, abi: testTokenAbi, functionName: 'transfer', args: [pair, amount] }),
      );
      const args = (out: bigint) =>
        (zeroForOne ? [0n, out, devnet.deployer, '0x'] : [out, 0n, devnet.deployer, '0x']) as [bigint, bigint, Address, `0x${string}`];
      await expect(
        pc.simulateContract({
          account: clients.deployer.account,
          address: pair,
          abi: uniswapV2PairAbi,
          functionName: 'swap',
          args: args(q + 1n),
        }),
      ).rejects.toThrow(/K/);
      await confirm(pc, clients.deployer.writeContract({ address: pair, abi: uniswapV2PairAbi, functionName: 'swap', args: args(q) }));
      const local = adapter.clone();
      local.swap(zeroForOne, amount);
      await expectRefreshMatchesFreshRead();
      expect(stateOf(pool(pair))).toEqual(stateOf(local));
    });
  }
});

describe('Uniswap V3 quotes equal QuoterV2 and real swaps (crossing initialised ticks)', () => {
  for (const [label, dir, amount, crosses] of [
    ['DAI->USDC 500', 'dai', DAI('500'), false],
    ['DAI->USDC 40,000 (crosses ticks)', 'dai', DAI('40000'), true],
    ['USDC->DAI 120,000 (crosses ticks back and beyond)', 'usdc', USDC('120000'), true],
    ['USDC->DAI 7 wei', 'usdc', 7n, false],
  ] as const) {
    it(label, async () => {
      const { clients, devnet } = running;
      const pc = clients.publicClient;
      const address = devnet.uniswapV3.pools.daiUsdc;
      const adapter = pool<UniswapV3Pool>(address);
      const tokenIn = devnet.tokens[dir];
      const tokenOut = dir === 'dai' ? devnet.tokens.usdc : devnet.tokens.dai;
      const zeroForOne = tokenIn.toLowerCase() === adapter.token0;
      const tickBefore = adapter.tick;
      const q = adapter.quote(zeroForOne, amount);
      expect(q).toBe(await quoteV3ExactInput(clients, devnet.uniswapV3, tokenIn, tokenOut, 500, amount));
      const before = await balanceOf(clients, tokenOut, devnet.deployer);
      await confirm(
        pc,
        clients.deployer.writeContract({
          address: devnet.uniswapV3.swapRouter,
          abi: swapRouterAbi,
          functionName: 'exactInputSingle',
          args: [
            {
              tokenIn,
              tokenOut,
              fee: 500,
              recipient: devnet.deployer,
              deadline: 2n ** 40n,
              amountIn: amount,
              amountOutMinimum: 0n,
              sqrtPriceLimitX96: 0n,
            },
          ],
          // explicit, as for the mints and burns: under load a tick-crossing swap reverted once at
          // 483,959 gas with an estimated limit; if it reverts again, confirm says why
          gas: V3_MINT_GAS,
        }),
      );
      expect((await balanceOf(clients, tokenOut, devnet.deployer)) - before).toBe(q);
      const local = adapter.clone();
      local.swap(zeroForOne, amount);
      await expectRefreshMatchesFreshRead();
      expect(stateOf(pool(address))).toEqual(stateOf(local));
      if (crosses) {
        const crossed = adapter.ticks.filter(
          (t) => t.index > Math.min(tickBefore, adapter.tick) && t.index <= Math.max(tickBefore, adapter.tick),
        );
        expect(crossed.length).toBeGreaterThan(0);
      }
    });
  }

  it('Mint and Burn events refresh ticks and in-range liquidity', async () => {
    const { clients, devnet } = running;
    const address = devnet.uniswapV3.pools.daiUsdc;
    const tick = pool<UniswapV3Pool>(address).tick;
    const lo = Math.floor(tick / 10) * 10 - 30;
    await addV3Position(clients, devnet, address, lo, lo + 70, 3n * 10n ** 18n);
    await addV3Position(clients, devnet, address, lo + 200, lo + 400, 10n ** 18n);
    await expectRefreshMatchesFreshRead();
    // Each burn is simulated first: a revert then names its reason and the pool's state (a
    // clean-clone CI run once saw the first burn revert after 117k gas, which a passing burn
    // (about 100k) never reaches; it has not reproduced since, so the next one must say why).
    const burn = async (tickLower: number, tickUpper: number, amount: bigint): Promise<void> => {
      const call = {
        address,
        abi: uniswapV3PoolAbi,
        functionName: 'burn' as const,
        args: [tickLower, tickUpper, amount] as const,
        account: clients.deployer.account,
      };
      try {
        await clients.publicClient.simulateContract(call);
      } catch (e) {
        const slot0 = await clients.publicClient.readContract({ address, abi: uniswapV3PoolAbi, functionName: 'slot0' });
        const liquidity = await clients.publicClient.readContract({ address, abi: uniswapV3PoolAbi, functionName: 'liquidity' });
        throw new Error(
          `burn [${tickLower}, ${tickUpper}) ${amount} would revert: ${(e as Error).message.split('\n')[0]}; pool tick ${slot0[1]}, in-range liquidity ${liquidity}, tick read before minting ${tick}`,
        );
      }
      // explicit gas, as for mints: a burn that un-initialises a tick earns a storage refund, and
      // eth_estimateGas can come out short of what the execution needs before the refund
      await confirm(clients.publicClient, clients.deployer.writeContract({ ...call, gas: V3_MINT_GAS }));
    };
    await burn(lo, lo + 70, 10n ** 18n);
    await burn(lo + 200, lo + 400, 10n ** 18n);
    await expectRefreshMatchesFreshRead();
    const q = pool<UniswapV3Pool>(address).quote(
      true,
      DAI('25000') / (pool<UniswapV3Pool>(address).token0 === devnet.tokens.dai.toLowerCase() ? 1n : 10n ** 12n),
    );
    expect(q).toBeGreaterThan(0n);
  });
});

describe('StableSwap quotes equal the pool', () => {
  it('exact port: quote == pool.quote over many sizes, both directions', async () => {
    const { clients, devnet } = running;
    const address = devnet.stableSwap.pools.daiUsdc;
    const adapter = pool<StableSwapPool>(address);
    const sizes = [1n, 999n, 10n ** 6n, 10n ** 9n, 10n ** 12n, 10n ** 15n, 10n ** 18n, DAI('1000'), DAI('900000'), DAI('50000000')];
    const calls: { tokenIn: Address; tokenOut: Address; amount: bigint; zeroForOne: boolean }[] = [];
    for (const s of sizes) {
      calls.push({
        tokenIn: devnet.tokens.dai,
        tokenOut: devnet.tokens.usdc,
        amount: s,
        zeroForOne: devnet.tokens.dai.toLowerCase() === adapter.token0,
      });
      calls.push({
        tokenIn: devnet.tokens.usdc,
        tokenOut: devnet.tokens.dai,
        amount: s / 10n ** 12n + 1n,
        zeroForOne: devnet.tokens.usdc.toLowerCase() === adapter.token0,
      });
    }
    const onChain = await clients.publicClient.multicall({
      contracts: calls.map((c) => ({
        address,
        abi: stableSwapPoolAbi,
        functionName: 'quote' as const,
        args: [c.tokenIn, c.tokenOut, c.amount] as const,
      })),
      deployless: true,
      allowFailure: false,
      blockNumber: chain.block,
    });
    calls.forEach((c, k) => {
      expect(adapter.quote(c.zeroForOne, c.amount), `${c.amount} of ${c.tokenIn}`).toBe(onChain[k]);
    });
  });

  for (const [label, dir, amount] of [
    ['DAI->USDC 300,000', 'dai', DAI('300000')],
    ['USDC->DAI 750,000 (far from the peg)', 'usdc', USDC('750000')],
  ] as const) {
    it(`${label}: real swap pays the quote, reserves refresh from its event`, async () => {
      const { clients, devnet } = running;
      const pc = clients.publicClient;
      const address = devnet.stableSwap.pools.daiUsdc;
      const adapter = pool<StableSwapPool>(address);
      const tokenIn = devnet.tokens[dir];
      const tokenOut = dir === 'dai' ? devnet.tokens.usdc : devnet.tokens.dai;
      const zeroForOne = tokenIn.toLowerCase() === adapter.token0;
      const q = adapter.quote(zeroForOne, amount);
      expect(q).toBeGreaterThan(0n);
      const before = await balanceOf(clients, tokenOut, devnet.deployer);
      await confirm(
        pc,
        clients.deployer.writeContract({ address: tokenIn, abi: testTokenAbi, functionName: 'transfer', args: [address, amount] }),
      );
      await confirm(
        pc,
        clients.deployer.writeContract({
          address,
          abi: stableSwapPoolAbi,
          functionName: 'swap',
          args: [tokenIn, tokenOut, amount, q, devnet.deployer],
        }),
      );
      expect((await balanceOf(clients, tokenOut, devnet.deployer)) - before).toBe(q);
      const local = adapter.clone();
      local.swap(zeroForOne, amount);
      await expectRefreshMatchesFreshRead();
      expect(stateOf(pool(address))).toEqual(stateOf(local));
    });
  }

  it('float model: arb is consistent with the exact quote (marginal price and direction)', () => {
    const { devnet } = running;
    const p = pool<StableSwapPool>(devnet.stableSwap.pools.daiUsdc);
    const spot = p.spotPrice();
    const buf = new Float64Array(3);
    p.arb(spot, buf);
    expect([buf[0], buf[1]]).toEqual([0, 0]); // inside the fee band
    const zeroIsDai = p.token0 === devnet.tokens.dai.toLowerCase();
    // a price 1% below spot: sell token0 into the pool
    p.arb(spot * 0.99, buf);
    expect(buf[0]!).toBeLessThan(0);
    const exact = Number(p.quote(true, BigInt(Math.round(-buf[0]!))));
    expect(Math.abs(exact - buf[1]!) / buf[1]!).toBeLessThan(1e-6);
    expect(buf[2]!).toBeGreaterThan(0);
    p.arb(spot * 1.01, buf);
    expect(buf[0]!).toBeGreaterThan(0);
    expect(buf[1]!).toBeLessThan(0);
    const exact1 = Number(p.quote(false, BigInt(Math.round(-buf[1]!))));
    expect(Math.abs(exact1 - buf[0]!) / buf[0]!).toBeLessThan(1e-6);
    expect(zeroIsDai || !zeroIsDai).toBe(true);
  });
});
