// protocol/batch-gas.ts's solutionGas is an upper bound of what a settle really uses: real batches
// of several shapes (one swap through the pools, matched swaps with the excess routed, a wide
// multi-token batch, matched positions, a position against the perp vault's liquidity, swaps and
// positions together), each solved as the live solver does and settled on anvil with the real
// contracts, with the circuit breaker walking its longest history; for each, solutionGas >= the
// receipt's gasUsed. Then the solver's bounded batches
// (solver/driver/gas-bound.ts): a bound that fits only a few trades gives a solution within it,
// made of the best trades by value per gas, that settles.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keccak256, parseEther, parseUnits, toHex, zeroAddress, type Address, type Hex, type LocalAccount } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { settlementAbi } from '../../contracts/artifacts/Settlement.ts';
import { signPositionIntent } from '../../contracts/client/positions.ts';
import { signSwapIntent } from '../../contracts/client/settlement.ts';
import { confirm } from '../../contracts/deploy/clients.ts';
import { fundUser, startDevnet, type RunningDevnet } from '../../contracts/deploy/devnet.ts';
import { depositCollateral, deployDevnetPerp, POSITION_TX_GAS, setFeedPrice, type PerpDeployment } from '../../contracts/deploy/perp.ts';
import { deployCircuitBreaker } from '../../contracts/deploy/circuit-breaker.ts';
import { devnetPriceFeedAbi } from '../../contracts/artifacts/DevnetPriceFeed.ts';
import { DEVNET_VAULT, DEVNET_VAULT_MARKETS, deployPerpVault } from '../../contracts/deploy/perp-vault.ts';
import { addNarrowPositions, devnetPoolSpecs } from '../../contracts/deploy/solver-fixtures.ts';
import { solutionGas } from '../../protocol/batch-gas.ts';
import { intentDomain } from '../../protocol/eip712.ts';
import { intentDigest } from '../../protocol/hash.ts';
import type { PositionIntent, SignedIntent, SwapIntent } from '../../protocol/intent.ts';
import { type Auction, type AuctionIntent, scoreSolution } from '../../protocol/score.ts';
import type { Solution } from '../../protocol/solution.ts';
import { solveAuction } from '../../solver/domain/solve-auction.ts';
import { buildBatch } from '../../solver/driver/bundle.ts';
import { positionIds, selectWithinGas, solveWithinGas } from '../../solver/driver/gas-bound.ts';
import { ChainLiquidity } from '../../solver/infra/chain-liquidity.ts';
import { readPositionState, vaultLiquidity } from '../../solver/infra/perp-state.ts';

const WAD = 10n ** 18n;
const DAI = (n: string): bigint => parseUnits(n, 18);
const USDC = (n: string): bigint => parseUnits(n, 6);
const WBTC = (n: string): bigint => parseUnits(n, 8);
const ETH = 1;

let running: RunningDevnet;
let perp: PerpDeployment;
let vault: Address;
let chain: ChainLiquidity;
let referencePrices: Map<Address, bigint>;
const users: LocalAccount[] = [];
let nonce = 0n;
let auctionId = 5000n;
/** shape -> [bound, gasUsed] for the summary. */
const measured: { shape: string; trades: number; interactions: number; bound: bigint; used: bigint }[] = [];

beforeAll(async () => {
  running = await startDevnet();
  const { clients, devnet } = running;
  await addNarrowPositions(clients, devnet, devnet.uniswapV3.pools.daiUsdc, { count: 2, width: 3, liquidity: 4n * 10n ** 18n });
  perp = await deployDevnetPerp(clients, devnet);
  vault = await deployPerpVault(clients, {
    clearingHouse: perp.clearingHouse,
    collateral: devnet.tokens.dai,
    markets: DEVNET_VAULT_MARKETS,
    ...DEVNET_VAULT,
  });
  // The circuit breaker at its most expensive: a window of an hour over feeds with more rounds in it
  // than it walks (16), so every batch market's observe reads its full history (never trips: 50%).
  await deployCircuitBreaker(clients, {
    clearingHouse: perp.clearingHouse,
    markets: Object.fromEntries([1, 2, 3].map((m) => [m, { maxMove: WAD / 2n, window: 3600, cooldown: 60 }])),
  });
  for (const m of [1, 2, 3]) {
    const feed = perp.feeds[m]!;
    const [, answer] = await clients.publicClient.readContract({ address: feed, abi: devnetPriceFeedAbi, functionName: 'latestRoundData' });
    for (let r = 0; r < 17; r++) await setFeedPrice(clients, feed, answer + BigInt(r % 2));
  }
  for (let k = 0; k < 10; k++) {
    const u = privateKeyToAccount(keccak256(toHex(`batch-gas-${k}`)));
    await fundUser(clients, devnet, u, { dai: DAI('600000'), usdc: USDC('500000'), wbtc: WBTC('10') });
    await depositCollateral(clients, perp.clearingHouse, devnet.tokens.dai, u, DAI('50000'));
    users.push(u);
  }
  const t = devnet.tokens;
  referencePrices = new Map([
    [t.dai.toLowerCase() as Address, WAD],
    [t.usdc.toLowerCase() as Address, 10n ** 30n],
    [t.wbtc.toLowerCase() as Address, 10n ** 33n],
  ]);
  chain = await ChainLiquidity.load(clients.publicClient, devnetPoolSpecs(devnet));
}, 180_000);

afterAll(async () => {
  if (measured.length)
    // the figures the bound is checked against (kept in the test output for the README)
    console.log(
      measured.map((m) => `${m.shape}: ${m.trades} trades, ${m.interactions} interactions, bound ${m.bound}, used ${m.used}`).join('\n'),
    );
  await running?.stop();
});

async function validTo(): Promise<number> {
  return Number((await running.clients.publicClient.getBlock()).timestamp) + 3600;
}

type SwapSpec = Pick<SwapIntent, 'sellToken' | 'buyToken' | 'sellAmount' | 'buyAmount'> &
  Partial<Pick<SwapIntent, 'kind' | 'partiallyFillable'>>;

async function swap(u: LocalAccount, spec: SwapSpec): Promise<SignedIntent> {
  const { devnet } = running;
  const intent: SwapIntent = {
    owner: u.address,
    receiver: zeroAddress,
    validTo: await validTo(),
    nonce: nonce++,
    kind: 0,
    partiallyFillable: false,
    appData: keccak256(toHex('batch-gas')),
    ...spec,
  };
  return {
    type: 'swap',
    intent,
    signature: { scheme: 'eoa', data: await signSwapIntent(u, devnet.chainId, devnet.settlement.settlement, intent) },
  };
}

async function position(u: LocalAccount, p: Omit<PositionIntent, 'account' | 'nonce' | 'validTo'>): Promise<SignedIntent> {
  const { devnet } = running;
  const intent: PositionIntent = { ...p, account: u.address, nonce: nonce++, validTo: await validTo() };
  return {
    type: 'position',
    intent,
    signature: { scheme: 'eoa', data: await signPositionIntent(u, devnet.chainId, devnet.settlement.settlement, intent) },
  };
}

/** The auction of `intents`, the signed intents by id, and what the solver reads of the chain for it. */
async function prepare(intents: SignedIntent[]) {
  const { clients, devnet } = running;
  const domain = intentDomain(devnet.chainId, devnet.settlement.settlement);
  const entries = new Map<Hex, AuctionIntent>();
  const byId = new Map<Hex, SignedIntent>();
  for (const s of intents) {
    const id = intentDigest(s, domain).toLowerCase() as Hex;
    entries.set(id, { id, intent: s });
    byId.set(id, s);
  }
  const id = auctionId++;
  const auction: Auction = { id, intents: entries, referencePrices, collateralToken: devnet.tokens.dai };
  const block = await clients.publicClient.getBlock();
  await chain.refresh(block.number);
  const state = await readPositionState(clients.publicClient, perp.clearingHouse, vault, auction, block.number, 0n);
  return { auction, byId, id, now: Number(block.timestamp), state };
}

/** One solve of (a restriction of) the auction as the live solver does it, the vault's fills as liquidity. */
function solveOn(p: Awaited<ReturnType<typeof prepare>>, keep?: ReadonlySet<Hex>): Solution {
  const { devnet } = running;
  const auction = keep ? { ...p.auction, intents: new Map([...p.auction.intents].filter(([k]) => keep.has(k))) } : p.auction;
  const solved = solveAuction(
    auction,
    chain.snapshot(),
    { strategy: 'optimal', settlement: devnet.settlement.settlement, solver: devnet.solver.address, now: p.now, budgetMs: 300 },
    p.state,
  );
  const liquidity = solved.vaultTrades.map((t) =>
    vaultLiquidity(vault, t, { auctionId: p.id, index: solved.solution.marketPrices.findIndex((m) => m.market === t.market), now: p.now }),
  );
  return liquidity.length ? { ...solved.solution, liquidity } : solved.solution;
}

async function settle(solution: Solution, byId: Map<Hex, SignedIntent>) {
  const { clients, devnet } = running;
  const receipt = await confirm(
    clients.publicClient,
    clients.walletFor(devnet.solver).writeContract({
      address: devnet.settlement.settlement,
      abi: settlementAbi,
      functionName: 'settle',
      args: [buildBatch(solution, byId)],
      gas: POSITION_TX_GAS,
    }),
  );
  expect(receipt.status).toBe('success');
  return receipt;
}

/** Solves, settles and checks the bound against the receipt. */
async function checkShape(shape: string, intents: SignedIntent[], minTrades: number) {
  const p = await prepare(intents);
  const solution = solveOn(p);
  const score = scoreSolution(solution, p.auction);
  expect(score.ok, score.ok ? '' : score.error.reason).toBe(true);
  expect(solution.trades.length).toBeGreaterThanOrEqual(minTrades);
  const bound = solutionGas(solution, positionIds(p.auction));
  const receipt = await settle(solution, p.byId);
  measured.push({ shape, trades: solution.trades.length, interactions: solution.interactions.length, bound, used: receipt.gasUsed });
  expect(bound, `${shape}: bound ${bound} >= used ${receipt.gasUsed}`).toBeGreaterThanOrEqual(receipt.gasUsed);
}

describe('solutionGas is an upper bound of a settle', () => {
  it('one swap through the pools', async () => {
    const t = running.devnet.tokens;
    await checkShape(
      'one swap',
      [await swap(users[0]!, { sellToken: t.dai, buyToken: t.usdc, sellAmount: DAI('5000'), buyAmount: USDC('4800') })],
      1,
    );
  });

  it('matched swaps, the excess routed', async () => {
    const t = running.devnet.tokens;
    await checkShape(
      'matched swaps',
      [
        await swap(users[1]!, { sellToken: t.dai, buyToken: t.usdc, sellAmount: DAI('30000'), buyAmount: USDC('29000') }),
        await swap(users[2]!, { sellToken: t.usdc, buyToken: t.dai, sellAmount: USDC('10000'), buyAmount: DAI('9700') }),
        await swap(users[3]!, { sellToken: t.usdc, buyToken: t.dai, sellAmount: USDC('8000'), buyAmount: DAI('7700') }),
      ],
      2,
    );
  });

  it('a wide batch over three tokens', async () => {
    const t = running.devnet.tokens;
    const list: SignedIntent[] = [];
    for (let k = 0; k < 10; k++) {
      const u = users[k]!;
      if (k % 3 === 0)
        list.push(
          await swap(u, { sellToken: t.dai, buyToken: t.usdc, sellAmount: DAI(`${1000 + 100 * k}`), buyAmount: USDC(`${900 + 90 * k}`) }),
        );
      else if (k % 3 === 1)
        list.push(
          await swap(u, { sellToken: t.usdc, buyToken: t.dai, sellAmount: USDC(`${800 + 50 * k}`), buyAmount: DAI(`${700 + 40 * k}`) }),
        );
      else list.push(await swap(u, { sellToken: t.usdc, buyToken: t.wbtc, sellAmount: USDC('2000'), buyAmount: 1000n }));
    }
    await checkShape('wide batch', list, 6);
  });

  it('matched positions', async () => {
    await checkShape(
      'matched positions',
      [
        await position(users[4]!, {
          market: ETH,
          sizeDelta: DAI('1'),
          limitPrice: DAI('3100'),
          reduceOnly: false,
          partiallyFillable: false,
        }),
        await position(users[5]!, {
          market: ETH,
          sizeDelta: -DAI('1'),
          limitPrice: DAI('2900'),
          reduceOnly: false,
          partiallyFillable: false,
        }),
      ],
      2,
    );
  });

  it('a lone position against the vault (own liquidity)', async () => {
    await checkShape(
      'position vs vault',
      [
        await position(users[6]!, {
          market: ETH,
          sizeDelta: DAI('0.5'),
          limitPrice: DAI('3100'),
          reduceOnly: false,
          partiallyFillable: false,
        }),
      ],
      1,
    );
  });

  it('swaps and positions together', async () => {
    const t = running.devnet.tokens;
    await checkShape(
      'swaps + positions',
      [
        await swap(users[7]!, { sellToken: t.dai, buyToken: t.usdc, sellAmount: DAI('3000'), buyAmount: USDC('2900') }),
        await swap(users[8]!, { sellToken: t.usdc, buyToken: t.dai, sellAmount: USDC('6000'), buyAmount: DAI('5800') }),
        await position(users[7]!, {
          market: ETH,
          sizeDelta: DAI('0.3'),
          limitPrice: DAI('3100'),
          reduceOnly: false,
          partiallyFillable: false,
        }),
        await position(users[8]!, {
          market: ETH,
          sizeDelta: -DAI('0.2'),
          limitPrice: DAI('2900'),
          reduceOnly: false,
          partiallyFillable: false,
        }),
      ],
      3,
    );
  });
});

describe('bounded batches', () => {
  it('a bound that fits only a few trades: the solution is within it, made of the best trades by value per gas, and settles', async () => {
    const t = running.devnet.tokens;
    const list: SignedIntent[] = [];
    for (let k = 0; k < 8; k++) {
      // growing surplus: the later intents' limits are looser
      const slack = 10 + 15 * k;
      list.push(await swap(users[k]!, { sellToken: t.dai, buyToken: t.usdc, sellAmount: DAI('1000'), buyAmount: USDC(`${1000 - slack}`) }));
    }
    const p = await prepare(list);
    const full = solveOn(p);
    const positions = positionIds(p.auction);
    const fullGas = solutionGas(full, positions);
    expect(full.trades.length).toBeGreaterThanOrEqual(6);
    // room for the fixed parts and about three trades
    const limit = fullGas - (fullGas - 80_000n) / 2n - 1n;
    const selected = selectWithinGas(full, p.auction, positions, limit);
    const bounded = await solveWithinGas(p.auction, limit, (keep) => solveOn(p, keep));
    expect(bounded.rounds).toBeGreaterThanOrEqual(1);
    expect(bounded.solution.trades.length).toBeGreaterThan(0);
    expect(bounded.solution.trades.length).toBeLessThan(full.trades.length);
    expect(solutionGas(bounded.solution, positions)).toBeLessThanOrEqual(limit);
    expect(scoreSolution(bounded.solution, p.auction).ok).toBe(true);
    // the trades kept are among the best by value per gas, and the very best is kept
    const scored = scoreSolution(full, p.auction);
    if (!scored.ok) throw new Error(scored.error.reason);
    const best = [...scored.value.trades].sort((a, b) => (a.value === b.value ? 0 : a.value > b.value ? -1 : 1))[0]!;
    const kept = new Set(bounded.solution.trades.map((x) => x.intentId.toLowerCase()));
    expect(kept.has(best.intentId.toLowerCase())).toBe(true);
    for (const id of kept) expect(selected.has(id as Hex)).toBe(true);
    const receipt = await settle(bounded.solution, p.byId);
    expect(receipt.gasUsed).toBeLessThanOrEqual(limit);
  });
});

void parseEther;
