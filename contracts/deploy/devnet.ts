// The whole devnet in one call: tokens, WETH, Uniswap V2 and V3 with liquidity, the third
// liquidity source (StableSwap), and our Settlement + Vault with a bonded solver. Tests, benchmarks and the
// local devnet all start from here so they exercise the same deployment.
import { getContract, parseEther, parseUnits, type Address, type LocalAccount } from 'viem';
import { testTokenAbi } from '../artifacts/TestToken.ts';
import { startAnvil, type Anvil, type AnvilOptions } from './anvil.ts';
import { confirm, devnetClients, type DevnetClients } from './clients.ts';
import { bondSolver, deploySettlement, settlementContract, type SettlementDeployment, type SettlementOptions } from './settlement.ts';
import { addStableLiquidity, deployStableSwapPool } from './stable-swap.ts';
import { approveMax, deployTestToken, deployWeth, mint } from './tokens.ts';
import { addV2Liquidity, deployUniswapV2, type UniswapV2 } from './uniswap-v2.ts';
import { createV3Pool, deployUniswapV3, fullRangeLiquidity, sortTokens, type UniswapV3 } from './uniswap-v3.ts';

export type DevnetTokens = { dai: Address; usdc: Address; wbtc: Address; weth: Address };

export type Devnet = {
  chainId: number;
  /** Deployed everything; owns Settlement governance and every pool's LP tokens. */
  deployer: Address;
  /** Bonded solver (anvil account 1): may call settle. */
  solver: LocalAccount;
  tokens: DevnetTokens;
  uniswapV2: UniswapV2 & { pairs: { daiUsdc: Address; wbtcUsdc: Address } };
  uniswapV3: UniswapV3 & { pools: { daiUsdc: Address; wbtcUsdc: Address }; fees: { daiUsdc: number; wbtcUsdc: number } };
  /** The third liquidity source (ILiquiditySource): a Curve-style StableSwap DAI/USDC pool. */
  stableSwap: { pools: { daiUsdc: Address } };
  settlement: SettlementDeployment;
};

export type DevnetOptions = { settlement?: SettlementOptions; solverBond?: bigint };

/** Deploys the devnet on the chain `clients` points at (normally a fresh anvil). */
export async function deployDevnet(clients: DevnetClients, options: DevnetOptions = {}): Promise<Devnet> {
  const deployer = clients.accounts[0]!;
  const solver = clients.accounts[1]!;
  const weth = await deployWeth(clients);
  const dai = await deployTestToken(clients, { name: 'Dai Stablecoin', symbol: 'DAI', decimals: 18 });
  const usdc = await deployTestToken(clients, { name: 'USD Coin', symbol: 'USDC', decimals: 6 });
  const wbtc = await deployTestToken(clients, { name: 'Wrapped BTC', symbol: 'WBTC', decimals: 8 });
  await mint(clients, dai, deployer.address, parseUnits('100000000', 18));
  await mint(clients, usdc, deployer.address, parseUnits('100000000', 6));
  await mint(clients, wbtc, deployer.address, parseUnits('1000', 8));

  // Pools at round prices: 1 DAI = 1 USDC, 1 WBTC = 100,000 USDC; about $2M of depth each.
  const v2 = await deployUniswapV2(clients, weth);
  const v2DaiUsdc = await addV2Liquidity(clients, v2, dai, usdc, parseUnits('1000000', 18), parseUnits('1000000', 6));
  const v2WbtcUsdc = await addV2Liquidity(clients, v2, wbtc, usdc, parseUnits('10', 8), parseUnits('1000000', 6));

  const v3 = await deployUniswapV3(clients, weth);
  const v3Pool = async (a: Address, amountA: bigint, b: Address, amountB: bigint, fee: number): Promise<Address> => {
    const [token0] = sortTokens(a, b);
    const [amount0, amount1] = token0 === a ? [amountA, amountB] : [amountB, amountA];
    return createV3Pool(clients, v3, {
      tokenA: a,
      tokenB: b,
      fee,
      price: { amount0, amount1 },
      liquidity: fullRangeLiquidity(amount0, amount1),
    });
  };
  const fees = { daiUsdc: 500, wbtcUsdc: 3000 };
  const v3DaiUsdc = await v3Pool(dai, parseUnits('1000000', 18), usdc, parseUnits('1000000', 6), fees.daiUsdc);
  const v3WbtcUsdc = await v3Pool(wbtc, parseUnits('10', 8), usdc, parseUnits('1000000', 6), fees.wbtcUsdc);

  const [stable0, stable1] = sortTokens(dai, usdc);
  const stableDaiUsdc = await deployStableSwapPool(clients, {
    token0: stable0,
    token1: stable1,
    decimals0: stable0 === dai ? 18 : 6,
    decimals1: stable1 === dai ? 18 : 6,
    amplification: 200n,
    fee: 4_000_000n,
  });
  await addStableLiquidity(
    clients,
    stableDaiUsdc,
    stable0 === dai ? parseUnits('1000000', 18) : parseUnits('1000000', 6),
    stable1 === dai ? parseUnits('1000000', 18) : parseUnits('1000000', 6),
  );

  const settlement = await deploySettlement(clients, options.settlement);
  await bondSolver(clients, settlement.settlement, clients.walletFor(solver), options.solverBond ?? parseEther('1'));

  return {
    chainId: clients.chain.id,
    deployer: deployer.address,
    solver,
    tokens: { dai, usdc, wbtc, weth },
    uniswapV2: { ...v2, pairs: { daiUsdc: v2DaiUsdc, wbtcUsdc: v2WbtcUsdc } },
    uniswapV3: { ...v3, pools: { daiUsdc: v3DaiUsdc, wbtcUsdc: v3WbtcUsdc }, fees },
    stableSwap: { pools: { daiUsdc: stableDaiUsdc } },
    settlement,
  };
}

/** viem contract objects for the devnet's main contracts (reads via the public client, writes as the deployer). */
export function devnetContracts(clients: DevnetClients, devnet: Devnet) {
  const token = (address: Address) =>
    getContract({ address, abi: testTokenAbi, client: { public: clients.publicClient, wallet: clients.deployer } });
  return {
    settlement: settlementContract(clients, devnet.settlement.settlement),
    dai: token(devnet.tokens.dai),
    usdc: token(devnet.tokens.usdc),
    wbtc: token(devnet.tokens.wbtc),
  };
}

/**
 * Gives `user` some ether and `amounts` of devnet tokens, and approves the Vault for each token
 * (the one approval a user of our protocol ever makes).
 */
export async function fundUser(
  clients: DevnetClients,
  devnet: Devnet,
  user: LocalAccount,
  amounts: Partial<Record<'dai' | 'usdc' | 'wbtc', bigint>>,
): Promise<void> {
  await confirm(clients.publicClient, clients.deployer.sendTransaction({ to: user.address, value: parseEther('1') }));
  const wallet = clients.walletFor(user);
  for (const [symbol, amount] of Object.entries(amounts) as ['dai' | 'usdc' | 'wbtc', bigint][]) {
    const token = devnet.tokens[symbol];
    await mint(clients, token, user.address, amount);
    await approveMax(clients, wallet, token, devnet.settlement.vault);
  }
}

export type RunningDevnet = { anvil: Anvil; clients: DevnetClients; devnet: Devnet; stop: () => Promise<void> };

/** Starts a fresh anvil, deploys the devnet on it, and returns both; `stop()` ends anvil. */
export async function startDevnet(options: { anvil?: AnvilOptions; devnet?: DevnetOptions } = {}): Promise<RunningDevnet> {
  const anvil = await startAnvil(options.anvil);
  try {
    const clients = devnetClients(anvil.rpcUrl, anvil.chainId);
    const devnet = await deployDevnet(clients, options.devnet);
    return { anvil, clients, devnet, stop: anvil.stop };
  } catch (error) {
    await anvil.stop();
    throw error;
  }
}
