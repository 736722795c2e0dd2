// npm run bench:gas — our Settlement against CoW Protocol's GPv2Settlement on ONE anvil.
//
// Both contracts settle the same batches: the same users, tokens, amounts and clearing prices,
// every order/intent signed with EIP-712 by a local key (what a wallet does), submitted by the
// same solver account. Every figure is measured in steady state: before the measured batch, a
// warm-up batch of the same shape has already made every balance, allowance and (for us) nonce
// word non-zero, so no zero -> non-zero storage write flatters or penalises either side. (CoW's
// `filledAmount[orderUid]` is a fresh slot per order by design; that is part of its cost.)
//
// Scenarios: (a) 2, 10, 20 intents matched against each other, no AMM; (b) one intent routed
// through a Uniswap V2 pair (transfer + pair.swap interactions, for both); (c) one intent routed
// through a Uniswap V3 pool (CoW: SwapRouter.exactInputSingle after an approve made in a warm-up,
// as a CoW solver does, since GPv2Settlement has no V3 callback; ours: pool.swap directly, paid by
// Settlement's uniswapV3SwapCallback); (d) one intent through the StableSwap pool behind
// ILiquiditySource (transfer + swap, the same interactions for both); plus an empty settle.
// Position rows (ours only; CoW has no perpetuals): one settle of 20 position trades across 3
// markets by 20 accounts that each already hold a position in all 3 markets (the clearing house as
// deployDevnetPerp deploys it, WBTC listed as extra collateral), and a partial liquidation of an
// account holding 3 positions by a keeper that already holds all 3; each split by call frame.
//
// Every block advances the clock by 12 s (anvil_setBlockTimestampInterval), as on mainnet: pools
// that update price oracles once per block (V2 cumulative prices, V3 observations) then do so on
// every measured swap, for both contracts alike, instead of depending on wall-clock timing.
//
// Output: a table on stdout and test/bench/results/gas.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  encodeFunctionData,
  keccak256,
  maxUint256,
  pad,
  parseEther,
  parseEventLogs,
  toHex,
  type Address,
  type Hash,
  type Hex,
  type LocalAccount,
  type TransactionReceipt,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { PositionIntent, SwapIntent } from '../../protocol/intent.ts';
import { encodePositionBatch, encodePositionTrade, signPositionIntent } from '../../contracts/client/positions.ts';
import { DEVNET_PERP_MARKETS, deployDevnetPerp, POSITION_TX_GAS, type PerpDeployment } from '../../contracts/deploy/perp.ts';
import { gpv2SettlementAbi } from '../../contracts/artifacts/GPv2Settlement.ts';
import { settlementAbi } from '../../contracts/artifacts/Settlement.ts';
import { clearingHouseAbi } from '../../contracts/artifacts/ClearingHouse.ts';
import { devnetPriceFeedAbi } from '../../contracts/artifacts/DevnetPriceFeed.ts';
import { swapRouterAbi } from '../../contracts/artifacts/SwapRouter.ts';
import { testTokenAbi } from '../../contracts/artifacts/TestToken.ts';
import { uniswapV2PairAbi } from '../../contracts/artifacts/UniswapV2Pair.ts';
import { uniswapV3PoolAbi } from '../../contracts/artifacts/UniswapV3Pool.ts';
import { startAnvil } from '../../contracts/deploy/anvil.ts';
import { confirm, devnetClients, type DevnetClients, type DevnetWalletClient } from '../../contracts/deploy/clients.ts';
import {
  cowTrade,
  deployCow,
  signCowOrder,
  type CowDeployment,
  type CowInteraction,
  type CowOrder,
  type CowTrade,
} from '../../contracts/deploy/cow.ts';
import { bondSolver, deploySettlement, type SettlementDeployment } from '../../contracts/deploy/settlement.ts';
import {
  encodeTrade,
  signSwapIntent,
  sortAddresses,
  spotBatch,
  type SettleInteraction,
  type SettleTrade,
} from '../../contracts/client/settlement.ts';
import { approveMax, balanceOf, deployTestToken, deployWeth, mint } from '../../contracts/deploy/tokens.ts';
import { addV2Liquidity, deployUniswapV2, v2AmountOut, v2Reserves } from '../../contracts/deploy/uniswap-v2.ts';
import {
  addStableLiquidity,
  deployStableSwapPool,
  liquiditySourceInteractions,
  quoteLiquiditySource,
} from '../../contracts/deploy/stable-swap.ts';
import { createV3Pool, deployUniswapV3, quoteV3ExactInput, sortTokens, type UniswapV3 } from '../../contracts/deploy/uniswap-v3.ts';

const USERS = 20;
const V3_FEE = 3000;
const MIN_SQRT_RATIO_PLUS_ONE = 4295128739n + 1n;
const MAX_SQRT_RATIO_MINUS_ONE = 1461446703485210103287273052203988822378723970342n - 1n;
const ZERO: Address = '0x0000000000000000000000000000000000000000';

type Env = {
  clients: DevnetClients;
  chainId: number;
  solver: DevnetWalletClient;
  users: LocalAccount[];
  tokenA: Address;
  tokenB: Address;
  /** tokenA and tokenB ascending by address: our settle requires it; CoW gets the same list. */
  tokens: Address[];
  pair: Address;
  pool: Address;
  stablePool: Address;
  v3: UniswapV3;
  cow: CowDeployment;
  ours: SettlementDeployment;
  validTo: number;
};

async function setup(clients: DevnetClients, chainId: number): Promise<Env> {
  const deployer = clients.accounts[0]!;
  const solver = clients.walletFor(clients.accounts[1]!);
  const weth = await deployWeth(clients);
  const tokenA = await deployTestToken(clients, { name: 'Token A', symbol: 'TKA', decimals: 18 });
  const tokenB = await deployTestToken(clients, { name: 'Token B', symbol: 'TKB', decimals: 18 });
  for (const t of [tokenA, tokenB]) await mint(clients, t, deployer.address, parseEther('100000000'));

  const v2 = await deployUniswapV2(clients, weth);
  const pair = await addV2Liquidity(clients, v2, tokenA, tokenB, parseEther('1000000'), parseEther('1000000'));
  const v3 = await deployUniswapV3(clients, weth);
  const pool = await createV3Pool(clients, v3, {
    tokenA,
    tokenB,
    fee: V3_FEE,
    price: { amount0: 1n, amount1: 1n },
    liquidity: parseEther('1000000'),
  });

  const [stable0, stable1] = sortTokens(tokenA, tokenB);
  const stablePool = await deployStableSwapPool(clients, {
    token0: stable0,
    token1: stable1,
    decimals0: 18,
    decimals1: 18,
    amplification: 200n,
    fee: 4_000_000n,
  });
  await addStableLiquidity(clients, stablePool, parseEther('1000000'), parseEther('1000000'));

  const cow = await deployCow(clients, { solvers: [solver.account.address] });
  const ours = await deploySettlement(clients);
  await bondSolver(clients, ours.settlement, solver, parseEther('1'));

  // Both settlement contracts hold a buffer of each token, as live ones do (CoW's holds fees and
  // dust): paying out of and back into a non-zero balance is the steady state.
  for (const s of [cow.settlement, ours.settlement]) {
    for (const t of [tokenA, tokenB]) await mint(clients, t, s, parseEther('1000'));
  }

  // Users: deterministic keys, some ether for their approval transactions, both tokens, and
  // unlimited approvals of CoW's vault relayer and our Vault (the contracts users approve).
  const users = Array.from({ length: USERS }, (_, i) => privateKeyToAccount(keccak256(toHex(`bench-user-${i}`))));
  for (const user of users) {
    await confirm(clients.publicClient, clients.deployer.sendTransaction({ to: user.address, value: parseEther('1') }));
    const wallet = clients.walletFor(user);
    for (const t of [tokenA, tokenB]) {
      await mint(clients, t, user.address, parseEther('1000000'));
      await approveMax(clients, wallet, t, cow.vaultRelayer);
      await approveMax(clients, wallet, t, ours.vault);
    }
  }
  const block = await clients.publicClient.getBlock();
  return {
    clients,
    chainId,
    solver,
    users,
    tokenA,
    tokenB,
    tokens: sortAddresses([tokenA, tokenB]),
    pair,
    pool,
    stablePool,
    v3,
    cow,
    ours,
    validTo: Number(block.timestamp) + 7 * 86_400,
  };
}

/** One user's swap: the same economic content, signed once for each protocol. */
type Swap = { user: LocalAccount; sellToken: Address; buyToken: Address; sellAmount: bigint; buyAmount: bigint; round: number };

function cowOrderOf(env: Env, s: Swap): CowOrder {
  return {
    sellToken: s.sellToken,
    buyToken: s.buyToken,
    receiver: ZERO,
    sellAmount: s.sellAmount,
    buyAmount: s.buyAmount,
    validTo: env.validTo,
    appData: pad(toHex(s.round), { size: 32 }),
    feeAmount: 0n,
    kind: 'sell',
    partiallyFillable: false,
    sellTokenBalance: 'erc20',
    buyTokenBalance: 'erc20',
  };
}

function intentOf(env: Env, s: Swap): SwapIntent {
  return {
    owner: s.user.address,
    sellToken: s.sellToken,
    buyToken: s.buyToken,
    receiver: ZERO,
    sellAmount: s.sellAmount,
    buyAmount: s.buyAmount,
    validTo: env.validTo,
    // One nonce per user per round: every round after the first writes a bit into an already
    // non-zero bitmap word (word 0), the steady state of an active user.
    nonce: BigInt(s.round),
    kind: 0,
    partiallyFillable: false,
    appData: pad(toHex(s.round), { size: 32 }),
  };
}

async function cowTrades(env: Env, swaps: Swap[]): Promise<CowTrade[]> {
  return Promise.all(
    swaps.map(async (s) => {
      const order = cowOrderOf(env, s);
      return cowTrade(env.tokens, order, await signCowOrder(s.user, env.chainId, env.cow.settlement, order));
    }),
  );
}

async function ourTrades(env: Env, swaps: Swap[]): Promise<SettleTrade[]> {
  return Promise.all(
    swaps.map(async (s) => {
      const intent = intentOf(env, s);
      return encodeTrade(env.tokens, intent, await signSwapIntent(s.user, env.chainId, env.ours.settlement, intent));
    }),
  );
}

function priceVector(env: Env, prices: Record<Address, bigint>): bigint[] {
  return env.tokens.map((t) => prices[t]!);
}

async function settleCow(env: Env, trades: CowTrade[], prices: bigint[], interactions: CowInteraction[] = []): Promise<TransactionReceipt> {
  const tokens = trades.length === 0 && interactions.length === 0 ? [] : env.tokens;
  const hash = await env.solver.writeContract({
    address: env.cow.settlement,
    abi: gpv2SettlementAbi,
    functionName: 'settle',
    args: [tokens, tokens.length === 0 ? [] : prices, trades, [[], interactions, []]],
  });
  const receipt = await confirm(env.clients.publicClient, hash);
  const events = parseEventLogs({ abi: gpv2SettlementAbi, eventName: 'Trade', logs: receipt.logs });
  if (events.length !== trades.length) throw new Error(`CoW settle emitted ${events.length} Trade events for ${trades.length} trades`);
  return receipt;
}

async function settleOurs(
  env: Env,
  trades: SettleTrade[],
  prices: bigint[],
  interactions: SettleInteraction[] = [],
  auctionId = 0n,
): Promise<TransactionReceipt> {
  const tokens = trades.length === 0 && interactions.length === 0 ? [] : env.tokens;
  const hash = await env.solver.writeContract({
    address: env.ours.settlement,
    abi: settlementAbi,
    functionName: 'settle',
    args: [spotBatch({ auctionId, tokens, clearingPrices: tokens.length === 0 ? [] : prices, trades, interactions })],
  });
  const receipt = await confirm(env.clients.publicClient, hash);
  const events = parseEventLogs({ abi: settlementAbi, eventName: 'TradeSettled', logs: receipt.logs });
  if (events.length !== trades.length)
    throw new Error(`our settle emitted ${events.length} TradeSettled events for ${trades.length} trades`);
  return receipt;
}

/** n matched swaps: pairs of users trading A->B and B->A with the same amount, so prices 1:1 clear them. */
function matchedSwaps(env: Env, n: number, round: number): Swap[] {
  return Array.from({ length: n }, (_, i) => {
    const amount = parseEther(String(100 + Math.floor(i / 2)));
    const aToB = i % 2 === 0;
    return {
      user: env.users[i]!,
      sellToken: aToB ? env.tokenA : env.tokenB,
      buyToken: aToB ? env.tokenB : env.tokenA,
      sellAmount: amount,
      buyAmount: (amount * 99n) / 100n,
      round,
    };
  });
}

type Row = {
  scenario: string;
  trades: number;
  cow: { gasUsed: number; perTrade: number };
  ours: { gasUsed: number; perTrade: number };
  ratio: number;
};

function row(scenario: string, trades: number, cow: TransactionReceipt, ours: TransactionReceipt): Row {
  const per = (r: TransactionReceipt): number => Number(r.gasUsed) / Math.max(trades, 1);
  return {
    scenario,
    trades,
    cow: { gasUsed: Number(cow.gasUsed), perTrade: Math.round(per(cow)) },
    ours: { gasUsed: Number(ours.gasUsed), perTrade: Math.round(per(ours)) },
    ratio: Number((per(ours) / per(cow)).toFixed(3)),
  };
}

let round = 0;

async function benchMatched(env: Env, n: number): Promise<{ row: Row; ours: TransactionReceipt }> {
  const prices = priceVector(env, { [env.tokenA]: 1n, [env.tokenB]: 1n });
  // Warm-up: same shape, different intents (fresh round), then the measured batch.
  let measured: { cow: TransactionReceipt; ours: TransactionReceipt } | undefined;
  for (const phase of ['warm-up', 'measured'] as const) {
    const swaps = matchedSwaps(env, n, ++round);
    const cow = await settleCow(env, await cowTrades(env, swaps), prices);
    const ours = await settleOurs(env, await ourTrades(env, swaps), prices, [], BigInt(round));
    if (phase === 'measured') measured = { cow, ours };
  }
  return { row: row(`matched (no AMM)`, n, measured!.cow, measured!.ours), ours: measured!.ours };
}

function transferCall(token: Address, to: Address, amount: bigint): { target: Address; value: bigint; callData: Hex } {
  return { target: token, value: 0n, callData: encodeFunctionData({ abi: testTokenAbi, functionName: 'transfer', args: [to, amount] }) };
}

async function benchV2(env: Env): Promise<Row> {
  const { tokenA, tokenB, pair } = env;
  let measured: { cow: TransactionReceipt; ours: TransactionReceipt } | undefined;
  for (const phase of ['warm-up', 'measured'] as const) {
    const r = ++round;
    const sellAmount = parseEther('100');
    const swaps: Swap[] = [{ user: env.users[0]!, sellToken: tokenA, buyToken: tokenB, sellAmount, buyAmount: parseEther('90'), round: r }];
    const route = async (settlement: Address): Promise<{ interactions: CowInteraction[]; prices: bigint[] }> => {
      const [reserveIn, reserveOut] = await v2Reserves(env.clients, pair, tokenA);
      const out = v2AmountOut(sellAmount, reserveIn, reserveOut);
      const token0 = sortTokens(tokenA, tokenB)[0];
      const [out0, out1] = token0 === tokenA ? [0n, out] : [out, 0n];
      return {
        interactions: [
          transferCall(tokenA, pair, sellAmount),
          {
            target: pair,
            value: 0n,
            callData: encodeFunctionData({ abi: uniswapV2PairAbi, functionName: 'swap', args: [out0, out1, settlement, '0x'] }),
          },
        ],
        // The user receives exactly what the pair pays: sellAmount * p[A] / p[B] = out.
        prices: priceVector(env, { [tokenA]: out, [tokenB]: sellAmount }),
      };
    };
    const cowRoute = await route(env.cow.settlement);
    const cow = await settleCow(env, await cowTrades(env, swaps), cowRoute.prices, cowRoute.interactions);
    const ourRoute = await route(env.ours.settlement);
    const ours = await settleOurs(env, await ourTrades(env, swaps), ourRoute.prices, ourRoute.interactions, BigInt(r));
    if (phase === 'measured') measured = { cow, ours };
  }
  return row('Uniswap V2 pair', 1, measured!.cow, measured!.ours);
}

async function benchV3(env: Env): Promise<Row> {
  const { tokenA, tokenB, pool, v3 } = env;
  const zeroForOne = sortTokens(tokenA, tokenB)[0] === tokenA;
  let measured: { cow: TransactionReceipt; ours: TransactionReceipt } | undefined;
  for (const phase of ['warm-up', 'measured'] as const) {
    const r = ++round;
    const sellAmount = parseEther('100');
    const swaps: Swap[] = [{ user: env.users[0]!, sellToken: tokenA, buyToken: tokenB, sellAmount, buyAmount: parseEther('90'), round: r }];

    // CoW: through SwapRouter, which pulls from the settlement with transferFrom, so the
    // settlement must approve the router: done by an interaction in the warm-up batch only.
    const cowOut = await quoteV3ExactInput(env.clients, v3, tokenA, tokenB, V3_FEE, sellAmount);
    const cowInteractions: CowInteraction[] = [];
    if (phase === 'warm-up') {
      cowInteractions.push({
        target: tokenA,
        value: 0n,
        callData: encodeFunctionData({ abi: testTokenAbi, functionName: 'approve', args: [v3.swapRouter, maxUint256] }),
      });
    }
    cowInteractions.push({
      target: v3.swapRouter,
      value: 0n,
      callData: encodeFunctionData({
        abi: swapRouterAbi,
        functionName: 'exactInputSingle',
        args: [
          {
            tokenIn: tokenA,
            tokenOut: tokenB,
            fee: V3_FEE,
            recipient: env.cow.settlement,
            deadline: BigInt(env.validTo),
            amountIn: sellAmount,
            amountOutMinimum: cowOut,
            sqrtPriceLimitX96: 0n,
          },
        ],
      }),
    });
    const cow = await settleCow(
      env,
      await cowTrades(env, swaps),
      priceVector(env, { [tokenA]: cowOut, [tokenB]: sellAmount }),
      cowInteractions,
    );

    // Ours: pool.swap directly; the pool calls Settlement.uniswapV3SwapCallback for payment.
    const ourOut = await quoteV3ExactInput(env.clients, v3, tokenA, tokenB, V3_FEE, sellAmount);
    const ourInteractions: SettleInteraction[] = [
      {
        target: pool,
        value: 0n,
        callData: encodeFunctionData({
          abi: uniswapV3PoolAbi,
          functionName: 'swap',
          args: [env.ours.settlement, zeroForOne, sellAmount, zeroForOne ? MIN_SQRT_RATIO_PLUS_ONE : MAX_SQRT_RATIO_MINUS_ONE, '0x'],
        }),
      },
    ];
    const ours = await settleOurs(
      env,
      await ourTrades(env, swaps),
      priceVector(env, { [tokenA]: ourOut, [tokenB]: sellAmount }),
      ourInteractions,
      BigInt(r),
    );
    if (phase === 'measured') measured = { cow, ours };
  }
  return row('Uniswap V3 pool', 1, measured!.cow, measured!.ours);
}

async function benchStableSwap(env: Env): Promise<Row> {
  const { tokenA, tokenB, stablePool } = env;
  let measured: { cow: TransactionReceipt; ours: TransactionReceipt } | undefined;
  for (const phase of ['warm-up', 'measured'] as const) {
    const r = ++round;
    const sellAmount = parseEther('100');
    const swaps: Swap[] = [{ user: env.users[0]!, sellToken: tokenA, buyToken: tokenB, sellAmount, buyAmount: parseEther('90'), round: r }];
    const route = async (settlement: Address) => {
      const out = await quoteLiquiditySource(env.clients, stablePool, tokenA, tokenB, sellAmount);
      return {
        interactions: liquiditySourceInteractions(stablePool, tokenA, tokenB, sellAmount, out, settlement),
        prices: priceVector(env, { [tokenA]: out, [tokenB]: sellAmount }),
      };
    };
    const cowRoute = await route(env.cow.settlement);
    const cow = await settleCow(env, await cowTrades(env, swaps), cowRoute.prices, cowRoute.interactions);
    const ourRoute = await route(env.ours.settlement);
    const ours = await settleOurs(env, await ourTrades(env, swaps), ourRoute.prices, ourRoute.interactions, BigInt(r));
    if (phase === 'measured') measured = { cow, ours };
  }
  return row('StableSwap source', 1, measured!.cow, measured!.ours);
}

async function benchEmpty(env: Env): Promise<Row> {
  let measured: { cow: TransactionReceipt; ours: TransactionReceipt } | undefined;
  for (const phase of ['warm-up', 'measured'] as const) {
    const cow = await settleCow(env, [], []);
    const ours = await settleOurs(env, [], []);
    if (phase === 'measured') measured = { cow, ours };
  }
  return row('empty settle', 0, measured!.cow, measured!.ours);
}

// ---------------------------------------------------------------- where our gas goes

type CallFrame = { type: string; to?: string; input?: string; gasUsed: string; calls?: CallFrame[] };

const ECRECOVER = '0x0000000000000000000000000000000000000001';

/** Calldata cost as the intrinsic gas counts it (EIP-2028: 16 per non-zero byte, 4 per zero byte). */
function calldataGas(input: Hex): number {
  let gas = 0;
  for (let i = 2; i < input.length; i += 2) gas += input.slice(i, i + 2) === '00' ? 4 : 16;
  return gas;
}

type Breakdown = Record<string, number>;

/** A mined transaction's call-frame trace, its gas used, and its intrinsic and calldata gas. */
async function tracedTransaction(env: Env, hash: Hash): Promise<{ trace: CallFrame; total: number; intrinsic: number }> {
  const trace = (await env.clients.publicClient.request({
    method: 'debug_traceTransaction' as 'eth_call',
    params: [hash, { tracer: 'callTracer' }] as never,
  })) as unknown as CallFrame;
  const tx = await env.clients.publicClient.getTransaction({ hash });
  const receipt = await env.clients.publicClient.getTransactionReceipt({ hash });
  return { trace, total: Number(receipt.gasUsed), intrinsic: 21_000 + calldataGas(tx.input) };
}

/**
 * Splits one settle transaction's gas by call frame (anvil's debug_traceTransaction callTracer):
 * ecrecover precompile calls, Vault pulls (including the token transferFrom they make), payouts
 * (token transfers made by Settlement itself), balance reads, and what is left for Settlement's own
 * code (decoding, hashing, nonce storage, checks, events, loop). Frame gas includes the callee's
 * own execution but not the caller's CALL overhead (cold-account access and so on), which stays in
 * "settlement logic".
 */
async function breakdown(env: Env, hash: Hash, trades: number): Promise<Breakdown> {
  const { trace, total, intrinsic } = await tracedTransaction(env, hash);
  const parts = { ecrecover: 0, vaultPull: 0, pullTransferFrom: 0, payoutTransfer: 0, balanceOf: 0, nonceAndEvent: 0 };
  const vault = env.ours.vault.toLowerCase();
  const tokens = env.tokens.map((t) => t.toLowerCase());
  for (const call of trace.calls ?? []) {
    const gas = Number(BigInt(call.gasUsed));
    const to = (call.to ?? '').toLowerCase();
    const selector = (call.input ?? '').slice(0, 10);
    if (to === ECRECOVER) parts.ecrecover += gas;
    else if (to === vault) {
      parts.vaultPull += gas;
      for (const inner of call.calls ?? []) parts.pullTransferFrom += Number(BigInt(inner.gasUsed));
    } else if (tokens.includes(to) && selector === '0xa9059cbb') parts.payoutTransfer += gas;
    else if (tokens.includes(to) && selector === '0x70a08231') parts.balanceOf += gas;
  }
  const logic = total - intrinsic - parts.ecrecover - parts.vaultPull - parts.payoutTransfer - parts.balanceOf;
  const perTrade = (v: number): number => Math.round(v / trades);
  // Replay protection in steady state: a cold SLOAD of an already non-zero nonce word (2,100) plus
  // a non-zero -> non-zero SSTORE (2,900). TradeSettled: LOG2 (375 + 2 x 375) and 5 data words (8 gas
  // a byte). Both are inside "settlementLogic" above; they are named here to show the floor.
  const nonceWrite = 2_100 + 2_900;
  const tradeEvent = 375 + 2 * 375 + 5 * 32 * 8;
  return {
    totalPerTrade: perTrade(total),
    intrinsicAndCalldata: perTrade(intrinsic),
    ecrecover: perTrade(parts.ecrecover),
    vaultPull: perTrade(parts.vaultPull),
    'vaultPull.tokenTransferFrom': perTrade(parts.pullTransferFrom),
    payoutTransfer: perTrade(parts.payoutTransfer),
    balanceSnapshotsAndChecks: perTrade(parts.balanceOf),
    settlementLogic: perTrade(logic),
    'settlementLogic.nonceWrite': nonceWrite,
    'settlementLogic.tradeEvent': tradeEvent,
    // What any design with these tokens, a signature per trade, a transfer in and out, a replay
    // bit and an event must pay: calldata, ecrecover, the two token transfers, nonce, event.
    floorPerTrade:
      perTrade(intrinsic) +
      perTrade(parts.ecrecover) +
      perTrade(parts.pullTransferFrom) +
      perTrade(parts.payoutTransfer) +
      nonceWrite +
      tradeEvent,
  };
}

// ---------------------------------------------------------------- positions

type PositionRows = {
  settle20Trades3Markets: { gasUsed: number; perTrade: number; breakdownPerTrade: Breakdown };
  liquidation3Markets: { gasUsed: number; breakdown: Breakdown };
};

/**
 * Splits a position transaction by call frame: ecrecover, the clearing house's frame (settle) and,
 * inside the clearing house, oracle reads (feeds' latestRoundData) and extra-collateral vault calls;
 * the rest of the clearing house frame is its own storage, arithmetic and events. Frame gas excludes
 * the caller's CALL overhead (it stays with the caller's share).
 */
async function positionBreakdown(env: Env, perp: PerpDeployment, hash: Hash, divisor: number): Promise<Breakdown> {
  const { trace, total, intrinsic } = await tracedTransaction(env, hash);
  const ch = perp.clearingHouse.toLowerCase();
  const feeds = Object.values(perp.feeds).map((f) => f.toLowerCase());
  const vault = perp.collateralVault.toLowerCase();
  const parts = { ecrecover: 0, clearingHouse: 0, oracleReads: 0, oracleReadCount: 0, collateralVault: 0 };
  const inner = (frame: CallFrame): void => {
    for (const call of frame.calls ?? []) {
      const to = (call.to ?? '').toLowerCase();
      const gas = Number(BigInt(call.gasUsed));
      if (feeds.includes(to)) {
        parts.oracleReads += gas;
        parts.oracleReadCount++;
      } else if (to === vault) parts.collateralVault += gas;
      else inner(call);
    }
  };
  if ((trace.to ?? '').toLowerCase() === ch) {
    parts.clearingHouse = Number(BigInt(trace.gasUsed)) - intrinsic;
    inner(trace);
  } else {
    for (const call of trace.calls ?? []) {
      const to = (call.to ?? '').toLowerCase();
      if (to === ECRECOVER) parts.ecrecover += Number(BigInt(call.gasUsed));
      else if (to === ch) {
        parts.clearingHouse += Number(BigInt(call.gasUsed));
        inner(call);
      }
    }
  }
  const per = (v: number): number => Math.round(v / divisor);
  return {
    total: per(total),
    intrinsicAndCalldata: per(intrinsic),
    ecrecover: per(parts.ecrecover),
    settlementLogic: parts.ecrecover === 0 ? 0 : per(total - intrinsic - parts.ecrecover - parts.clearingHouse),
    clearingHouse: per(parts.clearingHouse),
    'clearingHouse.oracleReads': per(parts.oracleReads),
    'clearingHouse.oracleReadCount': parts.oracleReadCount,
    'clearingHouse.collateralVault': per(parts.collateralVault),
    'clearingHouse.storageMathEvents': per(parts.clearingHouse - parts.oracleReads - parts.collateralVault),
  };
}

async function benchPositions(env: Env): Promise<PositionRows> {
  const { clients } = env;
  const pub = clients.publicClient;
  const wbtc = await deployTestToken(clients, { name: 'Wrapped BTC', symbol: 'WBTC', decimals: 8 });
  const collateral = env.tokenA;
  const perp = await deployDevnetPerp(clients, { settlement: { settlement: env.ours.settlement }, tokens: { dai: collateral, wbtc } });
  const ch = perp.clearingHouse;
  const deployer = clients.deployer;
  await confirm(pub, deployer.writeContract({ address: collateral, abi: testTokenAbi, functionName: 'approve', args: [ch, maxUint256] }));
  const accounts = [...env.users];
  const keeper = env.users[0]!;
  const victim = privateKeyToAccount(keccak256(toHex('bench-position-victim')));
  for (const a of accounts) {
    await confirm(
      pub,
      deployer.writeContract({ address: ch, abi: clearingHouseAbi, functionName: 'deposit', args: [a.address, parseEther('1000000')] }),
    );
  }
  await confirm(
    pub,
    deployer.writeContract({ address: ch, abi: clearingHouseAbi, functionName: 'deposit', args: [victim.address, parseEther('2000')] }),
  );
  const markets = DEVNET_PERP_MARKETS.map((m) => m.id);
  const marks = DEVNET_PERP_MARKETS.map((m) => m.answer * 10n ** 10n);
  const unit = (m: number): bigint => (1000n * 10n ** 36n) / marks[m]!; // about 1,000 of notional
  const nonces = new Map<Address, bigint>();
  let auction = 10_000n;
  const settle = async (legs: { account: LocalAccount; market: number; size: bigint }[]): Promise<Hash> => {
    const ids = [...new Set(legs.map((l) => markets[l.market]!))].sort((x, y) => x - y);
    const prices = ids.map((id) => marks[markets.indexOf(id)]!);
    const block = await pub.getBlock();
    const trades = [];
    for (const leg of legs) {
      const nonce = nonces.get(leg.account.address) ?? 1_000_000n;
      nonces.set(leg.account.address, nonce + 1n);
      const price = marks[leg.market]!;
      const intent: PositionIntent = {
        account: leg.account.address,
        market: markets[leg.market]!,
        sizeDelta: leg.size,
        limitPrice: leg.size > 0n ? (price * 101n) / 100n : (price * 99n) / 100n,
        reduceOnly: false,
        partiallyFillable: false,
        validTo: Number(block.timestamp) + 86_400,
        nonce,
      };
      trades.push(encodePositionTrade(ids, intent, await signPositionIntent(leg.account, env.chainId, env.ours.settlement, intent)));
    }
    const batch = {
      auctionId: auction++,
      tokens: [],
      clearingPrices: [],
      trades: [],
      interactions: [],
      options: '0x' as const,
      positions: encodePositionBatch({ markets: ids, prices, trades }),
    };
    const receipt = await confirm(
      pub,
      env.solver.writeContract({
        address: env.ours.settlement,
        abi: settlementAbi,
        functionName: 'settle',
        args: [batch],
        gas: POSITION_TX_GAS,
      }),
    );
    if (receipt.status !== 'success') throw new Error(`position settle reverted (${receipt.transactionHash})`);
    return receipt.transactionHash;
  };
  // Portfolios: every account trades in every market (pairs, alternating sides), then a mixed
  // settle in all 3 markets, then the measured one of the same shape.
  for (let m = 0; m < 3; m++) {
    await settle(
      accounts.map((account, k) => ({
        account,
        market: m,
        size: ((k % 2 === 0) === ((Math.floor(k / 2) + m) % 2 === 0) ? 1n : -1n) * unit(m),
      })),
    );
  }
  const mixed = (): { account: LocalAccount; market: number; size: bigint }[] =>
    accounts.map((account, k) => ({
      account,
      market: Math.floor(k / 2) % 3,
      size: (k % 2 === 0 ? 1n : -1n) * (unit(Math.floor(k / 2) % 3) / 10n),
    }));
  await settle(mixed());
  const measured = await settle(mixed());
  const settleReceipt = await pub.getTransactionReceipt({ hash: measured });
  const settleRow = {
    gasUsed: Number(settleReceipt.gasUsed),
    perTrade: Math.round(Number(settleReceipt.gasUsed) / accounts.length),
    breakdownPerTrade: await positionBreakdown(env, perp, measured, accounts.length),
  };

  // Liquidation: the victim holds 3 positions (about 1.8x leverage each way) against users 1-3;
  // ETH drops 25% and the keeper, which already holds all 3 markets, liquidates.
  await settle([
    { account: victim, market: 0, size: 6n * unit(0) },
    { account: env.users[1]!, market: 0, size: -6n * unit(0) },
    { account: victim, market: 1, size: -4n * unit(1) },
    { account: env.users[2]!, market: 1, size: 4n * unit(1) },
    { account: victim, market: 2, size: 6n * unit(2) },
    { account: env.users[3]!, market: 2, size: -6n * unit(2) },
  ]);
  const ethFeed = perp.feeds[markets[0]!]!;
  await confirm(
    pub,
    deployer.writeContract({
      address: ethFeed,
      abi: devnetPriceFeedAbi,
      functionName: 'submit',
      args: [(DEVNET_PERP_MARKETS[0]!.answer * 75n) / 100n],
    }),
  );
  const liquidatable = await pub.readContract({
    address: ch,
    abi: clearingHouseAbi,
    functionName: 'isLiquidatable',
    args: [victim.address],
  });
  if (!liquidatable) throw new Error('bench victim is not liquidatable');
  const liq = await confirm(
    pub,
    clients
      .walletFor(keeper)
      .writeContract({ address: ch, abi: clearingHouseAbi, functionName: 'liquidate', args: [victim.address], gas: POSITION_TX_GAS }),
  );
  if (liq.status !== 'success') throw new Error('bench liquidation reverted');
  return {
    settle20Trades3Markets: settleRow,
    liquidation3Markets: { gasUsed: Number(liq.gasUsed), breakdown: await positionBreakdown(env, perp, liq.transactionHash, 1) },
  };
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const started = Date.now();
  const anvil = await startAnvil({ chainId: 31337, accounts: 4 });
  try {
    const clients = devnetClients(anvil.rpcUrl, anvil.chainId, { accountCount: 4 });
    await clients.publicClient.request({ method: 'anvil_setBlockTimestampInterval' as 'eth_chainId', params: [12] as never });
    const env = await setup(clients, anvil.chainId);
    const rows: Row[] = [];
    const empty = await benchEmpty(env);
    rows.push(empty);
    const matched: Record<number, TransactionReceipt> = {};
    for (const n of [2, 10, 20]) {
      const result = await benchMatched(env, n);
      rows.push(result.row);
      matched[n] = result.ours;
    }
    rows.push(await benchV2(env));
    rows.push(await benchV3(env));
    rows.push(await benchStableSwap(env));

    // Marginal cost of one more matched trade: the per-trade gas with the fixed cost removed.
    const marginal = (Number(matched[20]!.gasUsed) - Number(matched[10]!.gasUsed)) / 10;
    const cowRow20 = rows.find((r) => r.scenario.startsWith('matched') && r.trades === 20)!;
    const cowRow10 = rows.find((r) => r.scenario.startsWith('matched') && r.trades === 10)!;
    const cowMarginal = (cowRow20.cow.gasUsed - cowRow10.cow.gasUsed) / 10;
    const split = await breakdown(env, matched[20]!.transactionHash, 20);
    const positions = await benchPositions(env);

    // Sanity: the users really traded (the measured batches moved tokens, not just emitted events).
    const userA = await balanceOf(clients, env.tokenA, env.users[0]!.address);
    if (userA >= parseEther('1000000')) throw new Error('user 0 never sold token A: the batches did not execute');

    const hardfork = (await clients.publicClient.request({ method: 'anvil_nodeInfo' as 'eth_chainId' }).catch(() => undefined)) as
      | { hardFork?: string }
      | undefined;
    const result = {
      measuredAt: new Date().toISOString(),
      chain: { client: 'anvil', chainId: anvil.chainId, hardfork: hardfork?.hardFork ?? 'anvil default' },
      method:
        'Same batches, users, amounts, prices and solver for both; EIP-712 signatures from local keys; steady state (warm-up batch of the same shape first, then a fresh batch measured). perTrade = settle tx gasUsed / trades (empty settle: the whole tx).',
      rows,
      goal: {
        matched20: { target: 0.75, ratio: cowRow20.ratio, met: cowRow20.ratio <= 0.75 },
        uniswapV2: { met: rows.find((r) => r.scenario === 'Uniswap V2 pair')!.ratio < 1 },
        uniswapV3: { met: rows.find((r) => r.scenario === 'Uniswap V3 pool')!.ratio < 1 },
      },
      marginalPerTrade: { ours: Math.round(marginal), cow: Math.round(cowMarginal) },
      oursBreakdownAt20: split,
      positions,
    };

    const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'gas.json');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);

    const fmt = (n: number): string => n.toLocaleString('en-US');
    const lines = [
      `Gas per trade, ours vs CoW GPv2Settlement (anvil, steady state)`,
      `${'scenario'.padEnd(20)} ${'trades'.padStart(6)} ${'CoW/trade'.padStart(10)} ${'ours/trade'.padStart(10)} ${'ratio'.padStart(6)}`,
      ...rows.map(
        (r) =>
          `${r.scenario.padEnd(20)} ${String(r.trades).padStart(6)} ${fmt(r.cow.perTrade).padStart(10)} ${fmt(r.ours.perTrade).padStart(10)} ${r.ratio.toFixed(3).padStart(6)}`,
      ),
      ``,
      `marginal gas of one more matched trade: ours ${fmt(result.marginalPerTrade.ours)}, CoW ${fmt(result.marginalPerTrade.cow)}`,
      `our 20-trade batch, per trade: ${Object.entries(split)
        .map(([k, v]) => `${k} ${fmt(v)}`)
        .join(', ')}`,
      `positions, 20 trades across 3 markets (3-market accounts): ${fmt(positions.settle20Trades3Markets.gasUsed)} gas, ` +
        `${fmt(positions.settle20Trades3Markets.perTrade)}/trade: ${Object.entries(positions.settle20Trades3Markets.breakdownPerTrade)
          .map(([k, v]) => `${k} ${fmt(v)}`)
          .join(', ')}`,
      `liquidation of a 3-market account: ${Object.entries(positions.liquidation3Markets.breakdown)
        .map(([k, v]) => `${k} ${fmt(v)}`)
        .join(', ')}`,
      `goal ours <= 0.75x CoW at 20 matched: ${result.goal.matched20.met ? 'met' : 'NOT met'} (${cowRow20.ratio}); ` +
        `V2 below CoW: ${result.goal.uniswapV2.met ? 'yes' : 'NO'}; V3 below CoW: ${result.goal.uniswapV3.met ? 'yes' : 'NO'}`,
      `wrote ${out} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await anvil.stop();
  }
}

await main();
