// Chain tests against a real anvil with the real devnet deployment (one anvil for the file,
// deployed once): deploy sanity, EIP-712 agreement between Solidity and protocol/, settling
// signed intents matched against each other and routed through Uniswap V2 / V3, solver
// authorisation, and atomicity of a reverting settle.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BaseError,
  ContractFunctionRevertedError,
  encodeFunctionData,
  hashDomain,
  hashTypedData,
  keccak256,
  parseEventLogs,
  parseUnits,
  toHex,
  zeroAddress,
  type Address,
  type Hex,
  type LocalAccount,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { intentDomain, positionIntentTypes, swapIntentTypes } from '../../protocol/eip712.ts';
import type { PositionIntent, SwapIntent } from '../../protocol/intent.ts';
import { settlementAbi } from '../../contracts/artifacts/Settlement.ts';
import { testTokenAbi } from '../../contracts/artifacts/TestToken.ts';
import { uniswapV2PairAbi } from '../../contracts/artifacts/UniswapV2Pair.ts';
import { uniswapV3PoolAbi } from '../../contracts/artifacts/UniswapV3Pool.ts';
import { TransactionRevertedError, confirm } from '../../contracts/deploy/clients.ts';
import { fundUser, startDevnet, type RunningDevnet } from '../../contracts/deploy/devnet.ts';
import {
  encodeTrade,
  signSwapIntent,
  sortAddresses,
  spotBatch,
  type SettleBatch,
  type SettleInteraction,
} from '../../contracts/client/settlement.ts';
import { liquiditySourceInteractions, quoteLiquiditySource } from '../../contracts/deploy/stable-swap.ts';
import { balanceOf } from '../../contracts/deploy/tokens.ts';
import { v2AmountOut, v2Reserves } from '../../contracts/deploy/uniswap-v2.ts';
import { quoteV3ExactInput, sortTokens } from '../../contracts/deploy/uniswap-v3.ts';

const DAI = (n: string): bigint => parseUnits(n, 18);
const USDC = (n: string): bigint => parseUnits(n, 6);

let running: RunningDevnet;
let alice: LocalAccount;
let bob: LocalAccount;
let validTo: number;
let nextNonce = 0n;

beforeAll(async () => {
  running = await startDevnet();
  const { clients, devnet } = running;
  alice = privateKeyToAccount(keccak256(toHex('chain-test-alice')));
  bob = privateKeyToAccount(keccak256(toHex('chain-test-bob')));
  await fundUser(clients, devnet, alice, { dai: DAI('100000'), usdc: USDC('100000') });
  await fundUser(clients, devnet, bob, { dai: DAI('100000'), usdc: USDC('100000') });
  const block = await clients.publicClient.getBlock();
  validTo = Number(block.timestamp) + 3600;
});

afterAll(async () => {
  await running?.stop();
});

function swapIntent(owner: LocalAccount, fields: Pick<SwapIntent, 'sellToken' | 'buyToken' | 'sellAmount' | 'buyAmount'>): SwapIntent {
  return {
    owner: owner.address,
    receiver: zeroAddress,
    validTo,
    nonce: nextNonce++,
    kind: 0,
    partiallyFillable: false,
    appData: keccak256(toHex('chain-test')),
    ...fields,
  };
}

async function trade(tokens: Address[], owner: LocalAccount, intent: SwapIntent) {
  const { devnet } = running;
  return encodeTrade(tokens, intent, await signSwapIntent(owner, devnet.chainId, devnet.settlement.settlement, intent));
}

/** Submits settle as `from` (the bonded solver by default) and returns the mined receipt. */
async function settle(batch: SettleBatch, from: LocalAccount = running.devnet.solver) {
  const { clients, devnet } = running;
  return confirm(
    clients.publicClient,
    clients
      .walletFor(from)
      .writeContract({ address: devnet.settlement.settlement, abi: settlementAbi, functionName: 'settle', args: [batch] }),
  );
}

async function balances(holders: Address[], tokens: Address[]): Promise<bigint[]> {
  const { clients } = running;
  return Promise.all(holders.flatMap((h) => tokens.map((t) => balanceOf(clients, t, h))));
}

function tradeEvents(logs: Parameters<typeof parseEventLogs>[0]['logs']) {
  return parseEventLogs({ abi: settlementAbi, eventName: 'TradeSettled', logs });
}

describe('devnet deployment', () => {
  it('deploys every contract with code, seeded pools and a bonded solver', async () => {
    const { clients, devnet } = running;
    const addresses = [
      ...Object.values(devnet.tokens),
      devnet.uniswapV2.factory,
      devnet.uniswapV2.router,
      ...Object.values(devnet.uniswapV2.pairs),
      devnet.uniswapV3.factory,
      devnet.uniswapV3.swapRouter,
      devnet.uniswapV3.quoter,
      ...Object.values(devnet.uniswapV3.pools),
      ...Object.values(devnet.stableSwap.pools),
      devnet.settlement.settlement,
      devnet.settlement.vault,
    ];
    for (const address of addresses) {
      const code = await clients.publicClient.getCode({ address });
      expect(code?.length ?? 0, address).toBeGreaterThan(2);
    }
    const [rDai, rUsdc] = await v2Reserves(clients, devnet.uniswapV2.pairs.daiUsdc, devnet.tokens.dai);
    expect(rDai).toBe(DAI('1000000'));
    expect(rUsdc).toBe(USDC('1000000'));
    // The V3 pool is initialised near 1:1 and quotes within its 0.05% fee plus a little slippage.
    const out = await quoteV3ExactInput(
      clients,
      devnet.uniswapV3,
      devnet.tokens.dai,
      devnet.tokens.usdc,
      devnet.uniswapV3.fees.daiUsdc,
      DAI('1000'),
    );
    expect(out).toBeGreaterThan(USDC('998'));
    expect(out).toBeLessThan(USDC('1000'));
    const read = (functionName: 'vault') =>
      clients.publicClient.readContract({ address: devnet.settlement.settlement, abi: settlementAbi, functionName });
    expect(await read('vault')).toBe(devnet.settlement.vault);
    const isSolver = (who: Address) =>
      clients.publicClient.readContract({
        address: devnet.settlement.settlement,
        abi: settlementAbi,
        functionName: 'isSolver',
        args: [who],
      });
    expect(await isSolver(devnet.solver.address)).toBe(true);
    expect(await isSolver(alice.address)).toBe(false);
  });
});

describe('EIP-712 agreement with protocol/', () => {
  it('domainSeparator, hashSwapIntent and hashPositionIntent equal viem for this deployment', async () => {
    const { clients, devnet } = running;
    const address = devnet.settlement.settlement;
    const domain = intentDomain(devnet.chainId, address);
    const separator = await clients.publicClient.readContract({ address, abi: settlementAbi, functionName: 'domainSeparator' });
    expect(separator).toBe(
      hashDomain({
        domain: { ...domain, chainId: BigInt(domain.chainId) },
        types: {
          EIP712Domain: [
            { name: 'name', type: 'string' },
            { name: 'version', type: 'string' },
            { name: 'chainId', type: 'uint256' },
            { name: 'verifyingContract', type: 'address' },
          ],
        },
      }),
    );

    const swaps: SwapIntent[] = [
      swapIntent(alice, { sellToken: devnet.tokens.dai, buyToken: devnet.tokens.usdc, sellAmount: DAI('1'), buyAmount: USDC('1') }),
      {
        ...swapIntent(bob, { sellToken: devnet.tokens.wbtc, buyToken: devnet.tokens.usdc, sellAmount: 2n ** 255n, buyAmount: 1n }),
        receiver: alice.address,
        kind: 1,
        partiallyFillable: true,
        validTo: 2 ** 32 - 1,
        nonce: 2n ** 256n - 1n,
      },
    ];
    for (const intent of swaps) {
      const onChain = await clients.publicClient.readContract({
        address,
        abi: settlementAbi,
        functionName: 'hashSwapIntent',
        args: [intent],
      });
      expect(onChain).toBe(hashTypedData({ domain, types: swapIntentTypes, primaryType: 'SwapIntent', message: intent }));
    }

    const position: PositionIntent = {
      account: alice.address,
      market: 7,
      sizeDelta: -(2n * 10n ** 18n),
      limitPrice: 3000n * 10n ** 18n,
      reduceOnly: true,
      partiallyFillable: false,
      validTo,
      nonce: 42n,
    };
    const positionOnChain = await clients.publicClient.readContract({
      address,
      abi: settlementAbi,
      functionName: 'hashPositionIntent',
      args: [position],
    });
    expect(positionOnChain).toBe(hashTypedData({ domain, types: positionIntentTypes, primaryType: 'PositionIntent', message: position }));

    // A different verifying contract gives a different digest: signatures are deployment-bound.
    const elsewhere = hashTypedData({
      domain: intentDomain(devnet.chainId, devnet.settlement.vault),
      types: swapIntentTypes,
      primaryType: 'SwapIntent',
      message: swaps[0]!,
    });
    expect(elsewhere).not.toBe(
      await clients.publicClient.readContract({ address, abi: settlementAbi, functionName: 'hashSwapIntent', args: [swaps[0]!] }),
    );
  });
});

describe('settle', () => {
  it('settles two opposite intents signed with viem; balances move exactly as the events say', async () => {
    const { clients, devnet } = running;
    const { dai, usdc } = devnet.tokens;
    const tokens = sortAddresses([dai, usdc]);
    const a = swapIntent(alice, { sellToken: dai, buyToken: usdc, sellAmount: DAI('1000'), buyAmount: USDC('990') });
    const b = swapIntent(bob, { sellToken: usdc, buyToken: dai, sellAmount: USDC('1000'), buyAmount: DAI('990') });
    // 1 DAI (1e18 units) = 1 USDC (1e6 units): amount * price equal on both sides.
    const price: Record<Address, bigint> = { [dai]: 1n, [usdc]: 10n ** 12n };
    const holders = [alice.address, bob.address, devnet.settlement.settlement];
    const before = await balances(holders, [dai, usdc]);
    const receipt = await settle(
      spotBatch({
        auctionId: 1n,
        tokens,
        clearingPrices: tokens.map((t) => price[t]!),
        trades: [await trade(tokens, alice, a), await trade(tokens, bob, b)],
        interactions: [],
      }),
    );
    const after = await balances(holders, [dai, usdc]);
    const events = tradeEvents(receipt.logs);
    expect(events).toHaveLength(2);
    const byOwner = new Map(events.map((e) => [e.args.owner, e.args]));
    const ea = byOwner.get(alice.address)!;
    const eb = byOwner.get(bob.address)!;
    expect(ea.executedSellAmount).toBe(DAI('1000'));
    expect(ea.executedBuyAmount).toBe(USDC('1000'));
    expect(eb.executedSellAmount).toBe(USDC('1000'));
    expect(eb.executedBuyAmount).toBe(DAI('1000'));
    // [alice dai, alice usdc, bob dai, bob usdc, settlement dai, settlement usdc]
    expect(after[0]! - before[0]!).toBe(-ea.executedSellAmount);
    expect(after[1]! - before[1]!).toBe(ea.executedBuyAmount);
    expect(after[2]! - before[2]!).toBe(eb.executedBuyAmount);
    expect(after[3]! - before[3]!).toBe(-eb.executedSellAmount);
    expect(after[4]).toBe(before[4]);
    expect(after[5]).toBe(before[5]);
    // The digest in the event is the one the wallet signed.
    const digest = hashTypedData({
      domain: intentDomain(devnet.chainId, devnet.settlement.settlement),
      types: swapIntentTypes,
      primaryType: 'SwapIntent',
      message: a,
    });
    expect(ea.digest).toBe(digest);
    const settled = parseEventLogs({ abi: settlementAbi, eventName: 'Settled', logs: receipt.logs });
    expect(settled).toHaveLength(1);
    expect(settled[0]!.args.solver).toBe(devnet.solver.address);
    expect(settled[0]!.args.auctionId).toBe(1n);
    expect(
      await clients.publicClient.readContract({
        address: devnet.settlement.settlement,
        abi: settlementAbi,
        functionName: 'isNonceUsed',
        args: [alice.address, a.nonce],
      }),
    ).toBe(true);

    // The same signed intents cannot settle again.
    await expect(
      settle(
        spotBatch({
          auctionId: 2n,
          tokens,
          clearingPrices: tokens.map((t) => price[t]!),
          trades: [await trade(tokens, alice, a), await trade(tokens, bob, b)],
          interactions: [],
        }),
      ),
    ).rejects.toThrow(/NonceAlreadyUsed/);
  });

  it('routes an intent through a Uniswap V2 pair (transfer + pair.swap interactions)', async () => {
    const { clients, devnet } = running;
    const { dai, usdc } = devnet.tokens;
    const pair = devnet.uniswapV2.pairs.daiUsdc;
    const tokens = sortAddresses([dai, usdc]);
    const sellAmount = DAI('500');
    const intent = swapIntent(alice, { sellToken: dai, buyToken: usdc, sellAmount, buyAmount: USDC('495') });
    const [reserveIn, reserveOut] = await v2Reserves(clients, pair, dai);
    const out = v2AmountOut(sellAmount, reserveIn, reserveOut);
    const [token0] = sortTokens(dai, usdc);
    const interactions: SettleInteraction[] = [
      { target: dai, value: 0n, callData: encodeFunctionData({ abi: testTokenAbi, functionName: 'transfer', args: [pair, sellAmount] }) },
      {
        target: pair,
        value: 0n,
        callData: encodeFunctionData({
          abi: uniswapV2PairAbi,
          functionName: 'swap',
          args: token0 === dai ? [0n, out, devnet.settlement.settlement, '0x'] : [out, 0n, devnet.settlement.settlement, '0x'],
        }),
      },
    ];
    // Prices chosen so the user gets exactly what the pair pays: sellAmount * p[dai] / p[usdc] = out.
    const price: Record<Address, bigint> = { [dai]: out, [usdc]: sellAmount };
    const before = await balances([alice.address, devnet.settlement.settlement], [dai, usdc]);
    const receipt = await settle(
      spotBatch({
        auctionId: 3n,
        tokens,
        clearingPrices: tokens.map((t) => price[t]!),
        trades: [await trade(tokens, alice, intent)],
        interactions,
      }),
    );
    const after = await balances([alice.address, devnet.settlement.settlement], [dai, usdc]);
    const [event] = tradeEvents(receipt.logs);
    expect(event!.args.executedBuyAmount).toBe(out);
    expect(after[0]! - before[0]!).toBe(-sellAmount);
    expect(after[1]! - before[1]!).toBe(out);
    expect(after[2]).toBe(before[2]);
    expect(after[3]).toBe(before[3]);
    const [newIn, newOut] = await v2Reserves(clients, pair, dai);
    expect(newIn).toBe(reserveIn + sellAmount);
    expect(newOut).toBe(reserveOut - out);
  });

  it('routes an intent through a Uniswap V3 pool (pool.swap, paid from the swap callback)', async () => {
    const { clients, devnet } = running;
    const { dai, usdc } = devnet.tokens;
    const pool = devnet.uniswapV3.pools.daiUsdc;
    const tokens = sortAddresses([dai, usdc]);
    const sellAmount = USDC('700');
    const intent = swapIntent(bob, { sellToken: usdc, buyToken: dai, sellAmount, buyAmount: DAI('690') });
    const out = await quoteV3ExactInput(clients, devnet.uniswapV3, usdc, dai, devnet.uniswapV3.fees.daiUsdc, sellAmount);
    const zeroForOne = sortTokens(dai, usdc)[0] === usdc;
    const interactions: SettleInteraction[] = [
      {
        target: pool,
        value: 0n,
        callData: encodeFunctionData({
          abi: uniswapV3PoolAbi,
          functionName: 'swap',
          args: [
            devnet.settlement.settlement,
            zeroForOne,
            sellAmount,
            zeroForOne ? 4295128740n : 1461446703485210103287273052203988822378723970341n,
            '0x',
          ],
        }),
      },
    ];
    const price: Record<Address, bigint> = { [usdc]: out, [dai]: sellAmount };
    const before = await balances([bob.address, devnet.settlement.settlement, pool], [usdc, dai]);
    const receipt = await settle(
      spotBatch({
        auctionId: 4n,
        tokens,
        clearingPrices: tokens.map((t) => price[t]!),
        trades: [await trade(tokens, bob, intent)],
        interactions,
      }),
    );
    const after = await balances([bob.address, devnet.settlement.settlement, pool], [usdc, dai]);
    const [event] = tradeEvents(receipt.logs);
    expect(event!.args.executedSellAmount).toBe(sellAmount);
    expect(event!.args.executedBuyAmount).toBe(out);
    expect(after[0]! - before[0]!).toBe(-sellAmount);
    expect(after[1]! - before[1]!).toBe(out);
    expect(after[2]).toBe(before[2]);
    expect(after[3]).toBe(before[3]);
    expect(after[4]! - before[4]!).toBe(sellAmount);
    expect(after[5]! - before[5]!).toBe(-out);
  });

  it('routes an intent through the third source (StableSwap behind ILiquiditySource: transfer + swap)', async () => {
    const { clients, devnet } = running;
    const { dai, usdc } = devnet.tokens;
    const pool = devnet.stableSwap.pools.daiUsdc;
    const tokens = sortAddresses([dai, usdc]);
    const sellAmount = DAI('20000');
    const intent = swapIntent(alice, { sellToken: dai, buyToken: usdc, sellAmount, buyAmount: USDC('19900') });
    const out = await quoteLiquiditySource(clients, pool, dai, usdc, sellAmount);
    // Near the peg a StableSwap pool gives far better than constant product for the same depth.
    const [rIn, rOut] = await v2Reserves(clients, devnet.uniswapV2.pairs.daiUsdc, dai);
    expect(out).toBeGreaterThan(v2AmountOut(sellAmount, rIn, rOut));
    const interactions = liquiditySourceInteractions(pool, dai, usdc, sellAmount, out, devnet.settlement.settlement);
    const price: Record<Address, bigint> = { [dai]: out, [usdc]: sellAmount };
    const before = await balances([alice.address, devnet.settlement.settlement, pool], [dai, usdc]);
    const receipt = await settle(
      spotBatch({
        auctionId: 7n,
        tokens,
        clearingPrices: tokens.map((t) => price[t]!),
        trades: [await trade(tokens, alice, intent)],
        interactions,
      }),
    );
    const after = await balances([alice.address, devnet.settlement.settlement, pool], [dai, usdc]);
    const [event] = tradeEvents(receipt.logs);
    expect(event!.args.executedBuyAmount).toBe(out);
    expect(after[0]! - before[0]!).toBe(-sellAmount);
    expect(after[1]! - before[1]!).toBe(out);
    expect(after[2]).toBe(before[2]);
    expect(after[3]).toBe(before[3]);
    expect(after[4]! - before[4]!).toBe(sellAmount);
    expect(after[5]! - before[5]!).toBe(-out);
  });

  it('rejects a caller that has not bonded', async () => {
    const { clients, devnet } = running;
    const outsider = clients.accounts[2]!;
    const { dai, usdc } = devnet.tokens;
    const tokens = sortAddresses([dai, usdc]);
    const a = swapIntent(alice, { sellToken: dai, buyToken: usdc, sellAmount: DAI('10'), buyAmount: USDC('9') });
    const b = swapIntent(bob, { sellToken: usdc, buyToken: dai, sellAmount: USDC('10'), buyAmount: DAI('9') });
    const price: Record<Address, bigint> = { [dai]: 1n, [usdc]: 10n ** 12n };
    const batch = spotBatch({
      auctionId: 5n,
      tokens,
      clearingPrices: tokens.map((t) => price[t]!),
      trades: [await trade(tokens, alice, a), await trade(tokens, bob, b)],
      interactions: [],
    });
    const error = await clients.publicClient
      .simulateContract({
        account: outsider,
        address: devnet.settlement.settlement,
        abi: settlementAbi,
        functionName: 'settle',
        args: [batch],
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(BaseError);
    const revert = (error as BaseError).walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
    expect(revert?.data?.errorName).toBe('NotSolver');
    expect(revert?.data?.args?.[0]).toBe(outsider.address);
    // The same batch from the bonded solver goes through, so the rejection was about the caller.
    const receipt = await settle(batch);
    expect(tradeEvents(receipt.logs)).toHaveLength(2);
  });

  it('a settle that reverts on chain leaves every balance and nonce untouched', async () => {
    const { clients, devnet } = running;
    const { dai, usdc } = devnet.tokens;
    const tokens = sortAddresses([dai, usdc]);
    const a = swapIntent(alice, { sellToken: dai, buyToken: usdc, sellAmount: DAI('300'), buyAmount: USDC('299') });
    const b = swapIntent(bob, { sellToken: usdc, buyToken: dai, sellAmount: USDC('300'), buyAmount: DAI('299') });
    // Bob's trade carries Alice's signature: it fails after Alice's sell amount was already pulled.
    const goodA = await trade(tokens, alice, a);
    const forgedB = { ...(await trade(tokens, bob, b)), signature: goodA.signature as Hex };
    const price: Record<Address, bigint> = { [dai]: 1n, [usdc]: 10n ** 12n };
    const holders = [alice.address, bob.address, devnet.settlement.settlement, devnet.settlement.vault];
    const before = await balances(holders, [dai, usdc]);
    const blockBefore = await clients.publicClient.getBlockNumber();
    // An explicit gas limit skips estimation, so the transaction is really mined and reverts on chain.
    const hash = await clients.walletFor(devnet.solver).writeContract({
      address: devnet.settlement.settlement,
      abi: settlementAbi,
      functionName: 'settle',
      args: [
        spotBatch({ auctionId: 6n, tokens, clearingPrices: tokens.map((t) => price[t]!), trades: [goodA, forgedB], interactions: [] }),
      ],
      gas: 1_000_000n,
    });
    const error = await confirm(clients.publicClient, hash).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TransactionRevertedError);
    expect((error as TransactionRevertedError).receipt.blockNumber).toBeGreaterThan(blockBefore);
    expect(await balances(holders, [dai, usdc])).toEqual(before);
    const used = (owner: Address, nonce: bigint) =>
      clients.publicClient.readContract({
        address: devnet.settlement.settlement,
        abi: settlementAbi,
        functionName: 'isNonceUsed',
        args: [owner, nonce],
      });
    expect(await used(alice.address, a.nonce)).toBe(false);
    expect(await used(bob.address, b.nonce)).toBe(false);
  });
});
