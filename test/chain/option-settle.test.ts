// Option positions on the real devnet through the TypeScript helpers: contracts/deploy/option-book.ts
// deploys and wires the OptionBook, contracts/client/options.ts signs and encodes the option leg,
// and one Settlement.settle fills a call between two margin accounts at a uniform premium.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keccak256, parseEventLogs, parseUnits, toHex, type LocalAccount } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { OptionIntent } from '../../protocol/intent.ts';
import { optionBookAbi } from '../../contracts/artifacts/OptionBook.ts';
import { settlementAbi } from '../../contracts/artifacts/Settlement.ts';
import { encodeOptionBatch, encodeOptionTrade, signOptionIntent } from '../../contracts/client/options.ts';
import { spotBatch } from '../../contracts/client/settlement.ts';
import { confirm } from '../../contracts/deploy/clients.ts';
import { fundUser, startDevnet, type RunningDevnet } from '../../contracts/deploy/devnet.ts';
import { deployOptionBook, optionBookContract } from '../../contracts/deploy/option-book.ts';
import { deployOptionSeries, listSeries } from '../../contracts/deploy/option-series.ts';
import { defaultVolBounds, deployVolatilityFeed, publishSurface } from '../../contracts/deploy/options.ts';
import { clearingHouseContract, depositCollateral, deployDevnetPerp, type PerpDeployment } from '../../contracts/deploy/perp.ts';
import { ChainActivity } from '../../node/chain/activity.ts';
import { referencePrices } from '../helpers/black-scholes-reference.ts';

const DAI = (n: string): bigint => parseUnits(n, 18);

let running: RunningDevnet;
let perp: PerpDeployment;
let book: `0x${string}`;
let series: bigint;
let alice: LocalAccount;
let bob: LocalAccount;

beforeAll(async () => {
  running = await startDevnet();
  const { clients, devnet } = running;
  perp = await deployDevnetPerp(clients, devnet);
  const deployer = clients.deployer.account.address;
  const registry = await deployOptionSeries(clients, { clearingHouse: perp.clearingHouse });
  const feed = await deployVolatilityFeed(clients, { feeder: deployer, maxAge: 3600n, bounds: defaultVolBounds });
  await publishSurface(clients, feed, 1n, { tenors: [30n * 86_400n], nodes: [0n], vols: [DAI('0.8')] });
  const now = (await clients.publicClient.getBlock()).timestamp;
  ({ seriesId: series } = await listSeries(clients, registry, {
    market: 1,
    strike: DAI('3000'),
    expiry: now + 30n * 86_400n,
    isCall: true,
  }));
  book = await deployOptionBook(clients, {
    clearingHouse: perp.clearingHouse,
    settlement: devnet.settlement.settlement,
    registry,
    volatilityFeed: feed,
  });
  alice = privateKeyToAccount(keccak256(toHex('option-settle-alice')));
  bob = privateKeyToAccount(keccak256(toHex('option-settle-bob')));
  await fundUser(clients, devnet, alice, { dai: DAI('10000') });
  await fundUser(clients, devnet, bob, { dai: DAI('10000') });
  await depositCollateral(clients, perp.clearingHouse, devnet.tokens.dai, alice, DAI('10000'));
  await depositCollateral(clients, perp.clearingHouse, devnet.tokens.dai, bob, DAI('10000'));
}, 180_000);

afterAll(async () => {
  await running?.stop();
});

describe('settle with an option leg', () => {
  it('fills a call at one premium: positions, premium cash and fees, events', async () => {
    const { clients, devnet } = running;
    const settlementAddress = devnet.settlement.settlement;
    const validTo = Number((await clients.publicClient.getBlock()).timestamp) + 3600;
    const buy: OptionIntent = {
      account: alice.address,
      series,
      size: DAI('1'),
      premiumLimit: DAI('280'),
      reduceOnly: false,
      partiallyFillable: false,
      validTo,
      nonce: 1n,
    };
    const sell: OptionIntent = { ...buy, account: bob.address, size: -DAI('1'), premiumLimit: DAI('270') };
    const ids = [series];
    const batch = {
      ...spotBatch({ auctionId: 1n, tokens: [], clearingPrices: [], trades: [], interactions: [] }),
      options: encodeOptionBatch({
        series: ids,
        premiums: [DAI('275')],
        trades: [
          encodeOptionTrade(ids, buy, await signOptionIntent(alice, devnet.chainId, settlementAddress, buy)),
          encodeOptionTrade(ids, sell, await signOptionIntent(bob, devnet.chainId, settlementAddress, sell)),
        ],
      }),
    };
    const solver = clients.walletFor(devnet.solver);
    const receipt = await confirm(
      clients.publicClient,
      solver.writeContract({ address: settlementAddress, abi: settlementAbi, functionName: 'settle', args: [batch], gas: 3_000_000n }),
    );
    const b = optionBookContract(clients, book);
    expect(await b.read.positionOf([alice.address, series])).toBe(DAI('1'));
    expect(await b.read.positionOf([bob.address, series])).toBe(-DAI('1'));
    const ch = clearingHouseContract(clients, perp.clearingHouse);
    // 0.1% fee on 275 from each side
    expect(await ch.read.collateral([alice.address])).toBe(DAI('10000') - DAI('275') - DAI('0.275'));
    expect(await ch.read.collateral([bob.address])).toBe(DAI('10000') + DAI('275') - DAI('0.275'));
    const names = parseEventLogs({ abi: [...settlementAbi, ...optionBookAbi], logs: receipt.logs }).map((e) => e.eventName);
    expect(names.filter((n) => n === 'OptionTradeSettled')).toHaveLength(2);
    expect(names.filter((n) => n === 'OptionFilled')).toHaveLength(2);
    expect(names).toContain('SeriesCleared');
    console.log(`settle with 2 option trades: ${receipt.gasUsed} gas`);
  });

  it("a node's account view values each option position and sums the book's greeks per underlying", async () => {
    const { clients, devnet } = running;
    const activity = new ChainActivity(clients.publicClient, devnet.settlement.settlement);
    const [long, short] = await Promise.all([activity.margin(alice.address), activity.margin(bob.address)]);
    const block = await clients.publicClient.getBlock();
    const [mark] = await clearingHouseContract(clients, perp.clearingHouse).read.markPrice([1]);
    const o = long!.options[0]!;
    expect(long!.options).toHaveLength(1);
    expect(o).toMatchObject({
      series: series.toString(),
      market: 1,
      isCall: true,
      strike: DAI('3000').toString(),
      size: DAI('1').toString(),
      entryPremium: DAI('275').toString(),
    });
    // PnL against the entry: the value less the 275 paid (the seller's mirror: 275 received less the value)
    expect(BigInt(o.pnl!)).toBe(BigInt(o.value!) - DAI('275'));
    // the surface is flat at 80%: priced within 1e-9 of the spot by a float64 reference at that vol
    const ref = referencePrices({
      spot: mark,
      strike: DAI('3000'),
      secondsToExpiry: BigInt(o.expiry) - block.timestamp,
      volatility: DAI('0.8'),
    });
    expect(Math.abs(Number(o.value!) / 1e18 - ref.call) / (Number(mark) / 1e18)).toBeLessThan(1e-9);
    expect(Number(o.delta!) / 1e18).toBeCloseTo(ref.callDelta, 9);
    // the short is the long's mirror; per underlying the book's greeks are the option's (no perp)
    const s = short!.options[0]!;
    for (const k of ['delta', 'gamma', 'vega', 'theta'] as const) expect(BigInt(s[k]!)).toBe(-BigInt(o[k]!));
    expect(s.entryPremium).toBe(DAI('275').toString());
    expect(BigInt(s.pnl!)).toBe(BigInt(s.value!) + DAI('275'));
    expect(long!.greeks).toEqual([{ market: 1, name: o.name, delta: o.delta, gamma: o.gamma, vega: o.vega, theta: o.theta }]);
    expect(BigInt(o.theta!) < 0n && BigInt(o.gamma!) > 0n).toBe(true);
  });
});
