// One Settlement.settle carrying all three legs on the real devnet, built with the TypeScript
// client helpers: a coincidence-of-wants swap pair, a perp pair and an option pair, under the one
// margin check the batch runs per account. A "hedger" buys a call and sells the perp at about the
// call's delta with collateral that covers the two together (portfolio margin) but neither alone:
// the call-only and the perp-only batches revert InsufficientMargin, the joint one settles, and the
// hedger's health afterwards equals the TypeScript mirrors' prediction to the wei. The same batch
// with one leg broken (premium over a limit, a perp fill that leaves an account under margin, a bad
// swap signature) reverts whole: nothing moves in any leg, and the same signed intents settle after.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  encodeFunctionData,
  getAbiItem,
  getAddress,
  keccak256,
  type LocalAccount,
  parseEventLogs,
  parseUnits,
  toFunctionSelector,
  toHex,
  zeroAddress,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { clearingHouseAbi } from '../../contracts/artifacts/ClearingHouse.ts';
import { optionBookAbi } from '../../contracts/artifacts/OptionBook.ts';
import { settlementAbi } from '../../contracts/artifacts/Settlement.ts';
import { encodeOptionBatch, encodeOptionTrade, signOptionIntent } from '../../contracts/client/options.ts';
import { encodePositionBatch, encodePositionTrade, signPositionIntent } from '../../contracts/client/positions.ts';
import { encodeTrade, type SettleBatch, signSwapIntent, sortAddresses } from '../../contracts/client/settlement.ts';
import { confirm } from '../../contracts/deploy/clients.ts';
import { fundUser, type RunningDevnet, startDevnet } from '../../contracts/deploy/devnet.ts';
import { deployOptionBook, optionBookContract } from '../../contracts/deploy/option-book.ts';
import { deployOptionSeries, listSeries } from '../../contracts/deploy/option-series.ts';
import { defaultVolBounds, deployVolatilityFeed, publishSurface } from '../../contracts/deploy/options.ts';
import {
  clearingHouseContract,
  deployDevnetPerp,
  depositCollateral,
  type PerpDeployment,
  POSITION_TX_GAS,
} from '../../contracts/deploy/perp.ts';
import { balanceOf } from '../../contracts/deploy/tokens.ts';
import { type OptionHealthInputs, readOptionHealthInputs } from '../../node/chain/option-health.ts';
import type { OptionIntent, PositionIntent, SwapIntent } from '../../protocol/intent.ts';
import { type AccountHealth, accountHealth, applyFill, emptyPosition, tradeFee } from '../../protocol/margin.ts';
import { greeks } from '../../protocol/options/greeks.ts';
import { healthAfterOptionFill } from '../../protocol/options/option-health.ts';

const DAI = (n: string): bigint => parseUnits(n, 18);
const USDC = (n: string): bigint => parseUnits(n, 6);
const WAD = 10n ** 18n;
const MARKET = 1;
const STRIKE = DAI('3000');
/** Mark 3000, flat 80% surface, 30-day ATM call: model value ~273.9, delta ~0.546. */
const PREMIUM = DAI('274');
const CALLS = DAI('1');
const HEDGE = DAI('0.55');
/**
 * The hedger's clearing-house collateral. Joint requirement (call + perp short 0.55 stressed
 * together) is ~82; the call alone needs ~258, the perp short alone 10% of 1,650 = 165 (all
 * asserted below from the mirrors). Negative cash after the premium is fine: equity counts the call.
 */
const HEDGER_COLLATERAL = DAI('120');
/** The perp counterparty: enough for 0.55 long at 3,000 (165 + fee), not after a 55 loss at 3,100. */
const PERP_LONG_COLLATERAL = DAI('190');
/** Errors and events of all three legs, to decode reverts and receipts. */
const LEG_ABIS = [...settlementAbi, ...optionBookAbi, ...clearingHouseAbi] as const;

let running: RunningDevnet;
let perp: PerpDeployment;
let book: Address;
let series: bigint;
let expiry: bigint;
/** Spot pair: alice sells DAI for USDC, bob the reverse. */
let alice: LocalAccount;
let bob: LocalAccount;
let hedger: LocalAccount;
/** The hedger's perp counterparty (long) and option counterparty (writes the call). */
let perpLong: LocalAccount;
let writer: LocalAccount;
let validTo: number;
/** Per account, the option book's optionHealth evaluations inside the combined settle (its trace). */
let healthEvaluations: Map<Address, bigint[]> | undefined;

type Legs = {
  swapA: SwapIntent;
  swapB: SwapIntent;
  callBuy: OptionIntent;
  callSell: OptionIntent;
  perpShort: PositionIntent;
  perpLongIntent: PositionIntent;
};
let legs: Legs;
let sigs: Record<keyof Legs, `0x${string}`>;

beforeAll(async () => {
  running = await startDevnet();
  const { clients, devnet } = running;
  perp = await deployDevnetPerp(clients, devnet);
  const deployer = clients.deployer.account.address;
  const registry = await deployOptionSeries(clients, { clearingHouse: perp.clearingHouse });
  const feed = await deployVolatilityFeed(clients, { feeder: deployer, maxAge: 3600n, bounds: defaultVolBounds });
  await publishSurface(clients, feed, BigInt(MARKET), { tenors: [30n * 86_400n], nodes: [0n], vols: [DAI('0.8')] });
  const now = (await clients.publicClient.getBlock()).timestamp;
  expiry = now + 30n * 86_400n;
  ({ seriesId: series } = await listSeries(clients, registry, { market: MARKET, strike: STRIKE, expiry, isCall: true }));
  book = await deployOptionBook(clients, {
    clearingHouse: perp.clearingHouse,
    settlement: devnet.settlement.settlement,
    registry,
    volatilityFeed: feed,
  });
  const account = (name: string): LocalAccount => privateKeyToAccount(keccak256(toHex(`option-atomic-${name}`)));
  [alice, bob, hedger, perpLong, writer] = ['alice', 'bob', 'hedger', 'perp-long', 'writer'].map(account) as [
    LocalAccount,
    LocalAccount,
    LocalAccount,
    LocalAccount,
    LocalAccount,
  ];
  await fundUser(clients, devnet, alice, { dai: DAI('1000') });
  await fundUser(clients, devnet, bob, { usdc: USDC('1000') });
  for (const [who, amount] of [
    [hedger, HEDGER_COLLATERAL],
    [perpLong, PERP_LONG_COLLATERAL],
    [writer, DAI('10000')],
  ] as const) {
    await fundUser(clients, devnet, who, { dai: amount });
    await depositCollateral(clients, perp.clearingHouse, devnet.tokens.dai, who, amount);
  }

  validTo = Number(now) + 3600;
  const { dai, usdc } = devnet.tokens;
  const appData = keccak256(toHex('option-atomic'));
  const swap = { receiver: zeroAddress, validTo, nonce: 0n, kind: 0, partiallyFillable: false, appData } as const;
  const option = { series, reduceOnly: false, partiallyFillable: false, validTo } as const;
  const position = { market: MARKET, reduceOnly: false, partiallyFillable: false, validTo } as const;
  legs = {
    swapA: { ...swap, owner: alice.address, sellToken: dai, buyToken: usdc, sellAmount: DAI('1000'), buyAmount: USDC('999') },
    swapB: { ...swap, owner: bob.address, sellToken: usdc, buyToken: dai, sellAmount: USDC('1000'), buyAmount: DAI('999') },
    // option and position intents share Settlement's nonce bitmap: the hedger's two use 1 and 2
    callBuy: { ...option, account: hedger.address, size: CALLS, premiumLimit: DAI('280'), nonce: 1n },
    callSell: { ...option, account: writer.address, size: -CALLS, premiumLimit: DAI('270'), nonce: 1n },
    perpShort: { ...position, account: hedger.address, sizeDelta: -HEDGE, limitPrice: DAI('2990'), nonce: 2n },
    // a generous limit: a solver may clear up to 3,100, which the broken perp leg below does
    perpLongIntent: { ...position, account: perpLong.address, sizeDelta: HEDGE, limitPrice: DAI('3100'), nonce: 1n },
  };
  const s = devnet.settlement.settlement;
  const id = devnet.chainId;
  sigs = {
    swapA: await signSwapIntent(alice, id, s, legs.swapA),
    swapB: await signSwapIntent(bob, id, s, legs.swapB),
    callBuy: await signOptionIntent(hedger, id, s, legs.callBuy),
    callSell: await signOptionIntent(writer, id, s, legs.callSell),
    perpShort: await signPositionIntent(hedger, id, s, legs.perpShort),
    perpLongIntent: await signPositionIntent(perpLong, id, s, legs.perpLongIntent),
  };
}, 180_000);

afterAll(async () => {
  await running?.stop();
});

type Parts = { spot?: boolean; perp?: boolean; option?: boolean };
type Breaks = { premium?: bigint; perpPrice?: bigint; swapASignature?: `0x${string}` };

/** The batch of the chosen legs (default all three), with at most the given break. */
function batch(parts: Parts = { spot: true, perp: true, option: true }, broken: Breaks = {}): SettleBatch {
  const { dai, usdc } = running.devnet.tokens;
  const tokens = parts.spot ? sortAddresses([dai, usdc]) : [];
  const ids = [series];
  const markets = [MARKET];
  return {
    auctionId: 7n,
    tokens,
    // 1 DAI (1e18 units) = 1 USDC (1e6 units): each side gets 1,000 for 1,000, above its 999 limit
    clearingPrices: tokens.map((t) => (t === dai ? 10n ** 6n : 10n ** 18n)),
    trades: parts.spot
      ? [encodeTrade(tokens, legs.swapA, broken.swapASignature ?? sigs.swapA), encodeTrade(tokens, legs.swapB, sigs.swapB)]
      : [],
    interactions: [],
    options: parts.option
      ? encodeOptionBatch({
          series: ids,
          premiums: [broken.premium ?? PREMIUM],
          trades: [encodeOptionTrade(ids, legs.callBuy, sigs.callBuy), encodeOptionTrade(ids, legs.callSell, sigs.callSell)],
        })
      : '0x',
    positions: parts.perp
      ? encodePositionBatch({
          markets,
          prices: [broken.perpPrice ?? DAI('3000')],
          trades: [
            encodePositionTrade(markets, legs.perpShort, sigs.perpShort),
            encodePositionTrade(markets, legs.perpLongIntent, sigs.perpLongIntent),
          ],
        })
      : '0x',
  };
}

/** The revert settle would give now (eth_call): error name and args. */
async function revertOf(b: SettleBatch): Promise<{ name: string | undefined; args: readonly unknown[] }> {
  const { clients, devnet } = running;
  const error = await clients.publicClient
    .simulateContract({ account: devnet.solver, address: devnet.settlement.settlement, abi: LEG_ABIS, functionName: 'settle', args: [b] })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(error).toBeInstanceOf(BaseError);
  const reverted = (error as BaseError).walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
  return { name: reverted?.data?.errorName, args: reverted?.data?.args ?? [] };
}

type CallFrame = { to?: Address; input?: `0x${string}`; error?: string; gasUsed: `0x${string}`; calls?: CallFrame[] };

/**
 * Which call frame a reverting settle reverted in (anvil's debug_traceCall callTracer): the deepest
 * failed frame whose calls all succeeded, as [contract, function selector].
 */
async function revertOrigin(b: SettleBatch): Promise<[Address | undefined, string | undefined]> {
  const { clients, devnet } = running;
  const trace = (await clients.publicClient.request({
    method: 'debug_traceCall' as 'eth_call',
    params: [
      {
        from: devnet.solver.address,
        to: devnet.settlement.settlement,
        data: encodeFunctionData({ abi: settlementAbi, functionName: 'settle', args: [b] }),
        gas: toHex(POSITION_TX_GAS),
      },
      'latest',
      { tracer: 'callTracer' },
    ] as never,
  })) as unknown as CallFrame;
  expect(trace.error).toBeDefined();
  let frame = trace;
  for (let next = frame.calls?.findLast((c) => c.error); next; next = frame.calls?.findLast((c) => c.error)) frame = next;
  return [frame.to === undefined ? undefined : getAddress(frame.to), frame.input?.slice(0, 10)];
}

/** Sends settle with a fixed gas limit: no estimate, so a reverting batch is mined too. */
function send(b: SettleBatch): Promise<`0x${string}`> {
  const { clients, devnet } = running;
  return clients
    .walletFor(devnet.solver)
    .writeContract({ address: devnet.settlement.settlement, abi: settlementAbi, functionName: 'settle', args: [b], gas: POSITION_TX_GAS });
}

/** Everything any leg could move: wallets, clearing-house cash and positions, option positions, nonces. */
async function snapshot() {
  const { clients, devnet } = running;
  const { dai, usdc } = devnet.tokens;
  const ch = clearingHouseContract(clients, perp.clearingHouse);
  const ob = optionBookContract(clients, book);
  const people = [alice, bob, hedger, perpLong, writer];
  const nonce = (who: LocalAccount, n: bigint) =>
    clients.publicClient.readContract({
      address: devnet.settlement.settlement,
      abi: settlementAbi,
      functionName: 'isNonceUsed',
      args: [who.address, n],
    });
  return {
    wallets: await Promise.all(
      people.map(async (p) => [await balanceOf(clients, dai, p.address), await balanceOf(clients, usdc, p.address)]),
    ),
    collateral: await Promise.all(people.map((p) => ch.read.collateral([p.address]))),
    perps: await Promise.all(people.map(async (p) => (await ch.read.position([p.address, MARKET])).size)),
    options: await Promise.all(people.map((p) => ob.read.positionOf([p.address, series]))),
    nonces: await Promise.all([
      nonce(alice, 0n),
      nonce(bob, 0n),
      nonce(hedger, 1n),
      nonce(hedger, 2n),
      nonce(writer, 1n),
      nonce(perpLong, 1n),
    ]),
  };
}

/** What the mirrors see of the hedger before the batch, and the fills' terms. */
async function mirrorInputs(blockNumber?: bigint) {
  const { clients } = running;
  const pub = clients.publicClient;
  const inputs: OptionHealthInputs = await readOptionHealthInputs(pub, book, hedger.address, blockNumber, [MARKET]);
  const u = inputs.underlyings.get(MARKET)!;
  const at = blockNumber === undefined ? {} : { blockNumber };
  const [config, [fundingIndex], optionFee] = await Promise.all([
    pub.readContract({ address: perp.clearingHouse, abi: clearingHouseAbi, functionName: 'marketConfig', args: [MARKET], ...at }),
    pub.readContract({ address: perp.clearingHouse, abi: clearingHouseAbi, functionName: 'marketState', args: [MARKET], ...at }),
    pub.readContract({ address: book, abi: optionBookAbi, functionName: 'feeFraction', ...at }),
  ]);
  const fill = { market: MARKET, strike: STRIKE, expiry, isCall: true, sizeDelta: CALLS, premium: PREMIUM, feeFraction: optionFee };
  return { inputs, u, config, fundingIndex, fill };
}

/** The perp side's health after the hedger's sale at `price` (margin.ts), from `collateral`. */
function perpHealth(m: Awaited<ReturnType<typeof mirrorInputs>>, collateral: bigint, price: bigint): AccountHealth {
  const { position } = applyFill(emptyPosition(m.fundingIndex), -HEDGE, price);
  return accountHealth(
    { collateral: collateral - tradeFee(-HEDGE, price, m.config.feeFraction), positions: new Map([[MARKET, position]]) },
    new Map([[MARKET, { ...m.config, mark: m.u.mark, fundingIndex: m.fundingIndex, fresh: m.u.fresh }]]),
  );
}

describe('one settle: spot + perp + option legs under one margin check', () => {
  it('the mirrors: the hedger meets margin with the call and the perp sale together, with neither alone', async () => {
    const m = await mirrorInputs();
    const { inputs, u } = m;
    expect(u.perpSize).toBe(0n);
    expect(u.mark).toBe(DAI('3000'));
    // the hedge is about the call's delta
    const g = greeks(u.mark, STRIKE, expiry - inputs.now, DAI('0.8'));
    expect(Number(g.callDelta) / 1e18).toBeCloseTo(Number(HEDGE) / 1e18, 1);
    const cash = { equity: HEDGER_COLLATERAL, initialRequirement: 0n, maintenanceRequirement: 0n };
    const callAlone = healthAfterOptionFill(cash, [], m.fill, inputs.underlyings, inputs.now, inputs.params);
    const perpAlone = perpHealth(m, HEDGER_COLLATERAL, DAI('3000'));
    const hedged = new Map([[MARKET, { ...u, perpSize: -HEDGE }]]);
    const joint = healthAfterOptionFill(perpAlone, [], m.fill, hedged, inputs.now, inputs.params);
    expect(callAlone.initialRequirement).toBeGreaterThan(HEDGER_COLLATERAL);
    expect(callAlone.equity).toBeLessThan(callAlone.initialRequirement);
    expect(perpAlone.initialRequirement).toBeGreaterThan(HEDGER_COLLATERAL);
    expect(perpAlone.equity).toBeLessThan(perpAlone.initialRequirement);
    expect(joint.equity).toBeGreaterThanOrEqual(joint.initialRequirement);
    console.log(
      `hedger: collateral ${HEDGER_COLLATERAL / WAD}; call alone needs ${Number(callAlone.initialRequirement) / 1e18}, ` +
        `perp alone ${Number(perpAlone.initialRequirement) / 1e18}, together ${Number(joint.initialRequirement) / 1e18} ` +
        `(equity ${Number(joint.equity) / 1e18})`,
    );
  });

  it('with one leg broken the whole batch reverts and moves nothing in any leg', async () => {
    const before = await snapshot();
    // nothing has settled yet: every intent's nonce is free
    expect(before.nonces.every((used) => !used)).toBe(true);
    const forged = await signSwapIntent(bob, running.devnet.chainId, running.devnet.settlement.settlement, legs.swapA);
    const cases: [string, Breaks, string, unknown[]][] = [
      // the buyer's limit is 280 (trade 0 of the option leg)
      ['premium over the buyer limit', { premium: DAI('281') }, 'PremiumLimitNotMet', [0n, DAI('281'), DAI('280')]],
      // at 3,100 the long's 55 loss leaves it under its 165 initial margin
      ['perp fill under margin', { perpPrice: DAI('3100') }, 'InsufficientMargin', [perpLong.address]],
      // alice's swap signed by bob's key
      ['bad swap signature', { swapASignature: forged }, 'InvalidSigner', [bob.address, alice.address]],
    ];
    for (const [what, broken, error, args] of cases) {
      const b = batch(undefined, broken);
      const simulated = await revertOf(b);
      expect({ what, name: simulated.name }).toEqual({ what, name: error });
      expect({ what, args: simulated.args.slice(0, args.length) }).toEqual({ what, args });
      // sent and mined, too: a reverted transaction, and still nothing moved
      const receipt = await running.clients.publicClient.waitForTransactionReceipt({ hash: await send(b) });
      expect({ what, status: receipt.status }).toEqual({ what, status: 'reverted' });
      expect({ what, state: await snapshot() }).toEqual({ what, state: before });
    }
  });

  it('the call alone and the perp sale alone each revert InsufficientMargin naming the hedger (together: next test)', async () => {
    const m = await mirrorInputs();
    const callOnly = await revertOf(batch({ option: true }));
    // no position leg: the option book's checkMargins is the check that refuses it
    expect(callOnly.name).toBe('InsufficientMargin');
    expect(callOnly.args[0]).toBe(hedger.address);
    const [, callEquity, callRequirement] = callOnly.args as [Address, bigint, bigint];
    const cash = { equity: HEDGER_COLLATERAL, initialRequirement: 0n, maintenanceRequirement: 0n };
    const mirror = healthAfterOptionFill(cash, [], m.fill, m.inputs.underlyings, m.inputs.now, m.inputs.params);
    // eth_call runs on a pending block whose timestamp may be a second or two past the mirror's
    // block: theta (~4.5 DAI a day) and the grid move less than 0.01 DAI in that time
    expect(Math.abs(Number(callEquity - mirror.equity))).toBeLessThan(1e16);
    expect(Math.abs(Number(callRequirement - mirror.initialRequirement))).toBeLessThan(1e16);
    expect(callEquity).toBeLessThan(callRequirement);
    expect(await revertOrigin(batch({ option: true }))).toEqual([
      getAddress(book),
      toFunctionSelector(getAbiItem({ abi: optionBookAbi, name: 'checkMargins' })),
    ]);

    // no option leg: the clearing house's own check after the fills refuses it
    const perpOnly = await revertOf(batch({ perp: true }));
    expect(perpOnly.name).toBe('InsufficientMargin');
    const perpMirror = perpHealth(m, HEDGER_COLLATERAL, DAI('3000'));
    expect(perpOnly.args).toEqual([hedger.address, perpMirror.equity, perpMirror.initialRequirement]);
    expect(await revertOrigin(batch({ perp: true }))).toEqual([
      getAddress(perp.clearingHouse),
      toFunctionSelector(getAbiItem({ abi: clearingHouseAbi, name: 'settlePositions' })),
    ]);
  });

  it('the same intents settle together in one transaction: all legs move, the hedger health is the mirror', async () => {
    const { clients, devnet } = running;
    const { dai, usdc } = devnet.tokens;
    const before = await snapshot();
    const m = await mirrorInputs();
    const receipt = await confirm(clients.publicClient, send(batch()));
    expect(receipt.status).toBe('success');

    // one transaction carries the events of all three legs
    const events = parseEventLogs({ abi: LEG_ABIS, logs: receipt.logs });
    const named = (n: string) => events.filter((e) => e.eventName === n);
    expect(named('TradeSettled').map((e) => (e.args as { owner: Address }).owner)).toEqual([alice.address, bob.address]);
    expect(named('PositionChanged').map((e) => (e.args as { account: Address; size: bigint }).size)).toEqual([-HEDGE, HEDGE]);
    expect(named('PositionChanged').map((e) => (e.args as { account: Address }).account)).toEqual([hedger.address, perpLong.address]);
    expect(named('OptionFilled').map((e) => [(e.args as { account: Address }).account, (e.args as { size: bigint }).size])).toEqual([
      [hedger.address, CALLS],
      [writer.address, -CALLS],
    ]);
    expect(named('Settled')).toHaveLength(1);
    expect(new Set(receipt.logs.map((l) => l.transactionHash))).toEqual(new Set([receipt.transactionHash]));

    // balances and positions moved
    expect(await balanceOf(clients, usdc, alice.address)).toBe(before.wallets[0]![1]! + USDC('1000'));
    expect(await balanceOf(clients, dai, alice.address)).toBe(before.wallets[0]![0]! - DAI('1000'));
    expect(await balanceOf(clients, dai, bob.address)).toBe(before.wallets[1]![0]! + DAI('1000'));
    expect(await balanceOf(clients, usdc, bob.address)).toBe(0n);
    const after = await snapshot();
    expect(after.perps).toEqual([0n, 0n, -HEDGE, HEDGE, 0n]);
    expect(after.options).toEqual([0n, 0n, CALLS, 0n, -CALLS]);
    expect(after.nonces.every((used) => used)).toBe(true);
    // the hedger pays ceil(274 x 1) + 0.1% and the perp fee 0.05% of 1,650
    expect(after.collateral[2]).toBe(HEDGER_COLLATERAL - PREMIUM - PREMIUM / 1000n - DAI('0.825'));

    // the hedger's health at the settle's block: the mirrors from the pre-batch state, valued at that block's time
    const time = (await clients.publicClient.getBlock({ blockNumber: receipt.blockNumber })).timestamp;
    const perpSide = perpHealth(m, HEDGER_COLLATERAL, DAI('3000'));
    const hedged = new Map([[MARKET, { ...m.u, perpSize: -HEDGE }]]);
    const predicted = healthAfterOptionFill(perpSide, [], m.fill, hedged, time, m.inputs.params);
    const [equity, initial, maintenance] = await clients.publicClient.readContract({
      address: perp.clearingHouse,
      abi: clearingHouseAbi,
      functionName: 'accountHealth',
      args: [hedger.address],
      blockNumber: receipt.blockNumber,
    });
    expect({ equity, initial, maintenance }).toEqual({
      equity: predicted.equity,
      initial: predicted.initialRequirement,
      maintenance: predicted.maintenanceRequirement,
    });
    expect(equity).toBeGreaterThanOrEqual(initial);
    console.log(`settle with 2 swaps + 2 position trades + 2 option trades: ${receipt.gasUsed} gas`);

    // which margin evaluations the settle made: every call into the book's optionHealth, by account
    const trace = (await clients.publicClient.request({
      method: 'debug_traceTransaction' as 'eth_call',
      params: [receipt.transactionHash, { tracer: 'callTracer' }] as never,
    })) as unknown as CallFrame;
    const selector = toFunctionSelector(getAbiItem({ abi: optionBookAbi, name: 'optionHealth' }));
    healthEvaluations = new Map();
    const visit = (f: CallFrame): void => {
      if (f.to !== undefined && getAddress(f.to) === getAddress(book) && f.input?.startsWith(selector)) {
        const who = getAddress(`0x${f.input.slice(34, 74)}`);
        healthEvaluations!.set(who, [...(healthEvaluations!.get(who) ?? []), BigInt(f.gasUsed)]);
      }
      for (const c of f.calls ?? []) visit(c);
    };
    visit(trace);
    // the option-only account (the writer) is valued once, by the book's checkMargins; the hedger at least once
    expect(healthEvaluations.get(writer.address)).toHaveLength(1);
    expect(healthEvaluations.get(hedger.address)?.length).toBeGreaterThanOrEqual(1);
    expect(healthEvaluations.has(perpLong.address)).toBe(false);
    console.log(`hedger optionHealth evaluations (gas each): ${healthEvaluations.get(hedger.address)!.join(', ')}`);
  });

  // Settlement's one margin check: an account in both the perp and the option leg (the hedger) is
  // valued once, by OptionBook.checkMargins; ClearingHouse.settlePositions leaves it to that check
  // (OptionBook.marginCheckPending) instead of valuing it too (~100k gas more per such account).
  it('an account in both legs is margin-checked once', () => {
    expect(healthEvaluations?.get(hedger.address)).toHaveLength(1);
  });
});
