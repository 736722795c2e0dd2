// One Settlement.settle that clears swap intents and position intents together on the real devnet
// (Settlement + Vault + the ClearingHouse connected to it), signed with viem as wallets do.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BaseError,
  ContractFunctionRevertedError,
  keccak256,
  parseEventLogs,
  parseUnits,
  toHex,
  zeroAddress,
  type LocalAccount,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { PositionIntent, SwapIntent } from '../../protocol/intent.ts';
import { clearingHouseAbi } from '../../contracts/artifacts/ClearingHouse.ts';
import { settlementAbi } from '../../contracts/artifacts/Settlement.ts';
import { confirm } from '../../contracts/deploy/clients.ts';
import { fundUser, startDevnet, type RunningDevnet } from '../../contracts/deploy/devnet.ts';
import {
  clearingHouseContract,
  depositCollateral,
  deployDevnetPerp,
  POSITION_TX_GAS,
  type PerpDeployment,
} from '../../contracts/deploy/perp.ts';
import { encodePositionBatch, encodePositionTrade, signPositionIntent } from '../../contracts/client/positions.ts';
import { encodeTrade, signSwapIntent, sortAddresses, type SettleBatch } from '../../contracts/client/settlement.ts';
import { balanceOf } from '../../contracts/deploy/tokens.ts';

const DAI = (n: string): bigint => parseUnits(n, 18);
const USDC = (n: string): bigint => parseUnits(n, 6);

let running: RunningDevnet;
let perp: PerpDeployment;
let alice: LocalAccount;
let bob: LocalAccount;
let validTo: number;

beforeAll(async () => {
  running = await startDevnet();
  const { clients, devnet } = running;
  perp = await deployDevnetPerp(clients, devnet);
  alice = privateKeyToAccount(keccak256(toHex('perp-settle-alice')));
  bob = privateKeyToAccount(keccak256(toHex('perp-settle-bob')));
  await fundUser(clients, devnet, alice, { dai: DAI('20000') });
  await fundUser(clients, devnet, bob, { dai: DAI('10000'), usdc: USDC('10000') });
  await depositCollateral(clients, perp.clearingHouse, devnet.tokens.dai, alice, DAI('10000'));
  await depositCollateral(clients, perp.clearingHouse, devnet.tokens.dai, bob, DAI('10000'));
  validTo = Number((await clients.publicClient.getBlock()).timestamp) + 3600;
});

afterAll(async () => {
  await running?.stop();
});

describe('settle: swaps and positions in one batch', () => {
  it('fills a matched DAI/USDC swap and an ETH-perp long/short in the same transaction', async () => {
    const { clients, devnet } = running;
    const settlementAddress = devnet.settlement.settlement;
    const { dai, usdc } = devnet.tokens;
    const appData = keccak256(toHex('perp-settle'));
    const swapA: SwapIntent = {
      owner: alice.address,
      sellToken: dai,
      buyToken: usdc,
      receiver: zeroAddress,
      sellAmount: DAI('1000'),
      buyAmount: USDC('999'),
      validTo,
      nonce: 0n,
      kind: 0,
      partiallyFillable: false,
      appData,
    };
    const swapB: SwapIntent = {
      owner: bob.address,
      sellToken: usdc,
      buyToken: dai,
      receiver: zeroAddress,
      sellAmount: USDC('1000'),
      buyAmount: DAI('999'),
      validTo,
      nonce: 0n,
      kind: 0,
      partiallyFillable: false,
      appData,
    };
    const tokens = sortAddresses([dai, usdc]);
    // 1 DAI (1e18 units) = 1 USDC (1e6 units): price(dai) * 1e18 == price(usdc) * 1e6
    const clearingPrices = tokens.map((t) => (t === dai ? 10n ** 6n : 10n ** 18n));
    const markets = [1];
    const long: PositionIntent = {
      account: alice.address,
      market: 1,
      sizeDelta: DAI('2'),
      limitPrice: DAI('3010'),
      reduceOnly: false,
      partiallyFillable: false,
      validTo,
      nonce: 1n,
    };
    const short: PositionIntent = {
      account: bob.address,
      market: 1,
      sizeDelta: -DAI('2'),
      limitPrice: DAI('2990'),
      reduceOnly: false,
      partiallyFillable: false,
      validTo,
      nonce: 1n,
    };
    const batch: SettleBatch = {
      auctionId: 42n,
      tokens,
      clearingPrices,
      trades: [
        encodeTrade(tokens, swapA, await signSwapIntent(alice, devnet.chainId, settlementAddress, swapA)),
        encodeTrade(tokens, swapB, await signSwapIntent(bob, devnet.chainId, settlementAddress, swapB)),
      ],
      interactions: [],
      options: '0x' as const,
      positions: encodePositionBatch({
        markets,
        prices: [DAI('3000')],
        trades: [
          encodePositionTrade(markets, long, await signPositionIntent(alice, devnet.chainId, settlementAddress, long)),
          encodePositionTrade(markets, short, await signPositionIntent(bob, devnet.chainId, settlementAddress, short)),
        ],
      }),
    };
    const usdcBefore = await balanceOf(clients, usdc, alice.address);
    const solver = clients.walletFor(devnet.solver);
    const receipt = await confirm(
      clients.publicClient,
      solver.writeContract({ address: settlementAddress, abi: settlementAbi, functionName: 'settle', args: [batch], gas: POSITION_TX_GAS }),
    );
    expect((await balanceOf(clients, usdc, alice.address)) - usdcBefore).toBe(USDC('1000'));
    const ch = clearingHouseContract(clients, perp.clearingHouse);
    expect((await ch.read.position([alice.address, 1])).size).toBe(DAI('2'));
    expect((await ch.read.position([bob.address, 1])).size).toBe(-DAI('2'));
    // fee 0.05% of 6,000 = 3 DAI each
    expect(await ch.read.collateral([alice.address])).toBe(DAI('10000') - DAI('3'));
    const events = parseEventLogs({ abi: [...settlementAbi, ...clearingHouseAbi], logs: receipt.logs });
    const names = events.map((e) => e.eventName);
    expect(names.filter((n) => n === 'TradeSettled')).toHaveLength(2);
    expect(names.filter((n) => n === 'PositionTradeSettled')).toHaveLength(2);
    expect(names).toContain('MarketCleared');
    expect(names).toContain('Settled');
    console.log(`settle with 2 swaps + 2 position trades: ${receipt.gasUsed} gas`);
  });

  it('reverts the settle, naming the account, when a position account would end below initial margin', async () => {
    const { clients, devnet } = running;
    const settlementAddress = devnet.settlement.settlement;
    const markets = [1];
    // 40 ETH = 120,000 notional needs 12,000 initial margin; bob has ~10,000
    const long: PositionIntent = {
      account: alice.address,
      market: 1,
      sizeDelta: DAI('40'),
      limitPrice: DAI('3010'),
      reduceOnly: false,
      partiallyFillable: false,
      validTo,
      nonce: 2n,
    };
    const short: PositionIntent = {
      account: bob.address,
      market: 1,
      sizeDelta: -DAI('40'),
      limitPrice: DAI('2990'),
      reduceOnly: false,
      partiallyFillable: false,
      validTo,
      nonce: 2n,
    };
    const batch: SettleBatch = {
      auctionId: 43n,
      tokens: [],
      clearingPrices: [],
      trades: [],
      interactions: [],
      options: '0x' as const,
      positions: encodePositionBatch({
        markets,
        prices: [DAI('3000')],
        trades: [
          encodePositionTrade(markets, long, await signPositionIntent(alice, devnet.chainId, settlementAddress, long)),
          encodePositionTrade(markets, short, await signPositionIntent(bob, devnet.chainId, settlementAddress, short)),
        ],
      }),
    };
    const error = await clients.publicClient
      .simulateContract({
        account: devnet.solver,
        address: settlementAddress,
        abi: [...settlementAbi, ...clearingHouseAbi],
        functionName: 'settle',
        args: [batch],
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(BaseError);
    const reverted = (error as BaseError).walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
    expect(reverted?.data?.errorName).toBe('InsufficientMargin');
    expect(reverted?.data?.args?.[0]).toBe(alice.address);
  });
});
