// The TypeScript mirror of the option book's account valuation (protocol/options/option-health.ts,
// fed by node/chain/option-health.ts) against OptionBook.optionHealth on anvil, to the wei: seeded
// random books of up to 4 series on 2 underlyings with perps, opened through real settles between
// pairs of accounts; compared with fresh marks (loose and strict), after an expiry with stale marks
// and surfaces (loose; strict refused by both), and after the expired series settled.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Address, keccak256, type LocalAccount, parseUnits, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { optionBookAbi } from '../../contracts/artifacts/OptionBook.ts';
import { settlementAbi } from '../../contracts/artifacts/Settlement.ts';
import { encodeOptionBatch, encodeOptionTrade, signOptionIntent } from '../../contracts/client/options.ts';
import { encodePositionBatch, encodePositionTrade, signPositionIntent } from '../../contracts/client/positions.ts';
import { spotBatch } from '../../contracts/client/settlement.ts';
import { confirm } from '../../contracts/deploy/clients.ts';
import { fundUser, type RunningDevnet, startDevnet } from '../../contracts/deploy/devnet.ts';
import { deployOptionBook } from '../../contracts/deploy/option-book.ts';
import { deployOptionSeries, listSeries, settleSeries } from '../../contracts/deploy/option-series.ts';
import { defaultVolBounds, deployVolatilityFeed, publishSurface } from '../../contracts/deploy/options.ts';
import {
  clearingHouseContract,
  deployDevnetPerp,
  depositCollateral,
  type PerpDeployment,
  setFeedPrice,
} from '../../contracts/deploy/perp.ts';
import { devnetSeries } from '../../devnet/option-listing.ts';
import { rng } from '../../devnet/rng.ts';
import { devnetSurface, smileParams } from '../../devnet/vol-model.ts';
import { readMarketSurface, valueSeries } from '../../node/chain/option-series.ts';
import { readOptionHealthInputs } from '../../node/chain/option-health.ts';
import type { OptionIntent, PositionIntent } from '../../protocol/intent.ts';
import { healthAfterOptionFill, OptionHealthRefused, optionHealth } from '../../protocol/options/option-health.ts';

const DAI = (n: string): bigint => parseUnits(n, 18);
const MARKETS = [1, 2] as const;
const PAIRS = 6;

let running: RunningDevnet;
let perp: PerpDeployment;
let book: Address;
let registry: Address;
let shortDated: bigint;
let feed: Address;
const listed: Listed[] = [];
const accounts: LocalAccount[] = [];

type Listed = { id: bigint; market: number; strike: bigint; expiry: bigint; isCall: boolean };

beforeAll(async () => {
  running = await startDevnet();
  const { clients, devnet } = running;
  const pub = clients.publicClient;
  perp = await deployDevnetPerp(clients, devnet);
  registry = await deployOptionSeries(clients, { clearingHouse: perp.clearingHouse });
  feed = await deployVolatilityFeed(clients, { feeder: clients.deployer.account.address, maxAge: 3600n, bounds: defaultVolBounds });
  for (const m of MARKETS) await publishSurface(clients, feed, BigInt(m), devnetSurface(smileParams(m)));
  // marks off round numbers, so notional x margin fraction has something to round
  const answers = { 1: 3_012_34567891n, 2: 100_345_67891234n } as const;
  for (const m of MARKETS) await setFeedPrice(clients, perp.feeds[m]!, answers[m]);
  const now = (await pub.getBlock()).timestamp;
  const marks = MARKETS.map((id) => ({ id, price: answers[id] * 10n ** 10n }));
  for (const t of devnetSeries(marks, now)) listed.push({ id: (await listSeries(clients, registry, t)).seriesId, ...t });
  // a 2-hour ETH call, to see a leg expire
  const short = { market: 1, strike: DAI('3000'), expiry: now + 7200n, isCall: true };
  shortDated = (await listSeries(clients, registry, short)).seriesId;
  listed.push({ id: shortDated, ...short });
  book = await deployOptionBook(clients, {
    clearingHouse: perp.clearingHouse,
    settlement: devnet.settlement.settlement,
    registry,
    volatilityFeed: feed,
  });

  // Pairs: the same 1-4 random series (the short-dated one in the first pair) and a random perp on
  // one underlying, opposite sizes, at the model premium and the mark, one settle per pair.
  const r = rng(20261204);
  const solver = clients.walletFor(devnet.solver);
  const settlement = devnet.settlement.settlement;
  const validTo = Number(now) + 86_400;
  /** A size between lo and hi contracts down to the wei, so every rounding step has something to round. */
  const odd = (lo: number, hi: number): bigint =>
    BigInt(Math.floor((lo + r() * (hi - lo)) * 1e9)) * 10n ** 9n + BigInt(Math.floor(r() * 1e9));
  for (let p = 0; p < PAIRS; p++) {
    const [a, b] = [0, 1].map((j) => privateKeyToAccount(keccak256(toHex(`option-health-${p}-${j}`)))) as [LocalAccount, LocalAccount];
    for (const x of [a, b]) {
      await fundUser(clients, devnet, x, { dai: DAI('2000000') });
      await depositCollateral(clients, perp.clearingHouse, devnet.tokens.dai, x, DAI('2000000'));
    }
    accounts.push(a, b);
    const picks = new Set<bigint>(p === 0 ? [shortDated] : []);
    const count = 1 + Math.floor(r() * 4);
    while (picks.size < count) picks.add(listed[Math.floor(r() * listed.length)]!.id);
    const series = [...picks].sort((x, y) => (x < y ? -1 : 1)).map((id) => listed.find((l) => l.id === id)!);
    const block = await pub.getBlock();
    const premiums: bigint[] = [];
    const trades = [];
    for (const [k, s] of series.entries()) {
      const mark = marks.find((m) => m.id === s.market)!.price;
      const row = valueSeries(
        s.id,
        s,
        { name: '', mark: mark.toString(), fresh: true },
        await readMarketSurface(pub, feed, s.market, block.timestamp),
        block.timestamp,
      );
      premiums.push(BigInt(row.price!));
      const size = odd(0.1, 5) * (r() < 0.5 ? 1n : -1n);
      for (const [who, sz] of [
        [a, size],
        [b, -size],
      ] as const) {
        const intent: OptionIntent = {
          account: who.address,
          series: s.id,
          size: sz,
          premiumLimit: sz > 0n ? (premiums[k]! * 11n) / 10n : (premiums[k]! * 9n) / 10n,
          reduceOnly: false,
          partiallyFillable: false,
          validTo,
          nonce: BigInt(k),
        };
        trades.push(
          encodeOptionTrade(
            series.map((x) => x.id),
            intent,
            await signOptionIntent(who, devnet.chainId, settlement, intent),
          ),
        );
      }
    }
    const market = series[0]!.market;
    const mark = marks.find((m) => m.id === market)!.price;
    const perpSize = r() < 0.2 ? 0n : odd(0.1, 2) * (r() < 0.5 ? 1n : -1n);
    const legs = [];
    if (perpSize !== 0n)
      for (const [who, sz] of [
        [a, perpSize],
        [b, -perpSize],
      ] as const) {
        const intent: PositionIntent = {
          account: who.address,
          market,
          sizeDelta: sz,
          limitPrice: sz > 0n ? (mark * 101n) / 100n : (mark * 99n) / 100n,
          reduceOnly: false,
          partiallyFillable: false,
          validTo,
          nonce: 100n,
        };
        legs.push(encodePositionTrade([market], intent, await signPositionIntent(who, devnet.chainId, settlement, intent)));
      }
    const batch = {
      ...spotBatch({ auctionId: BigInt(p + 1), tokens: [], clearingPrices: [], trades: [], interactions: [] }),
      positions: legs.length ? encodePositionBatch({ markets: [market], prices: [mark], trades: legs }) : ('0x' as const),
      options: encodeOptionBatch({ series: series.map((s) => s.id), premiums, trades }),
    };
    await confirm(
      pub,
      solver.writeContract({ address: settlement, abi: settlementAbi, functionName: 'settle', args: [batch], gas: 8_000_000n }),
    );
  }
}, 300_000);

afterAll(async () => {
  await running?.stop();
});

type Row = { chain: readonly [bigint, bigint, bigint] | Error; mirror: readonly [bigint, bigint, bigint] | Error };

/** The same answer, or the same refusal (the mirror's reason is the contract's error name). Returns whether refused. */
function expectSame({ chain, mirror }: Row): boolean {
  if (chain instanceof Error) {
    expect(mirror).toBeInstanceOf(OptionHealthRefused);
    expect(chain.message).toContain((mirror as OptionHealthRefused).reason);
    return true;
  }
  expect(mirror).toEqual(chain);
  return false;
}

/** Chain and mirror for every account at the latest block; `strict` as the book's flag. */
async function compare(strict: boolean): Promise<Row[]> {
  const pub = running.clients.publicClient;
  const blockNumber = await pub.getBlockNumber();
  return Promise.all(
    accounts.map(async (a) => {
      const chain = await pub
        .readContract({ address: book, abi: optionBookAbi, functionName: 'optionHealth', args: [a.address, strict], blockNumber })
        .catch((e: Error) => e);
      const i = await readOptionHealthInputs(pub, book, a.address, blockNumber);
      let mirror: readonly [bigint, bigint, bigint] | Error;
      try {
        const h = optionHealth(i.held, i.underlyings, i.now, i.params, strict);
        mirror = [h.value, h.initialDelta, h.maintenanceDelta];
      } catch (e) {
        mirror = e as Error;
      }
      return { chain, mirror };
    }),
  );
}

describe('option health: the TypeScript mirror against OptionBook.optionHealth', () => {
  it('equals the chain to the wei on random books with fresh marks, loose and strict', async () => {
    for (const strict of [false, true]) {
      const rows = await compare(strict);
      expect(rows.map(expectSame)).toEqual(accounts.map(() => false));
      // the books are not trivial: some value and requirement on every account
      expect(rows.every(({ chain }) => !(chain instanceof Error) && chain[1] !== 0n)).toBe(true);
    }
  });

  it("predicts an account's health after an option fill to the wei (buyer and writer, the fee included)", async () => {
    const { clients, devnet } = running;
    const pub = clients.publicClient;
    const [buyer, writer] = [0, 1].map((j) => privateKeyToAccount(keccak256(toHex(`option-health-preview-${j}`)))) as [
      LocalAccount,
      LocalAccount,
    ];
    for (const x of [buyer, writer]) {
      await fundUser(clients, devnet, x, { dai: DAI('50000') });
      await depositCollateral(clients, perp.clearingHouse, devnet.tokens.dai, x, DAI('50000'));
    }
    const s = listed.find((l) => l.market === 1 && !l.isCall && l.id !== shortDated)!;
    const block = await pub.getBlock();
    const time = block.timestamp + 5n;
    const [mark] = await clearingHouseContract(clients, perp.clearingHouse).read.markPrice([1]);
    const row = valueSeries(s.id, s, { name: '', mark: mark.toString(), fresh: true }, await readMarketSurface(pub, feed, 1, time), time);
    const premium = BigInt(row.price!);
    const size = 2_345_678_901_234_567_891n;
    const feeFraction = await pub.readContract({ address: book, abi: optionBookAbi, functionName: 'feeFraction' });
    const predicted = await Promise.all(
      [
        [buyer, size],
        [writer, -size],
      ].map(async ([who, sizeDelta]) => {
        const i = await readOptionHealthInputs(pub, book, (who as LocalAccount).address, block.number, [1]);
        const [equity, initialRequirement, maintenanceRequirement] = await clearingHouseContract(
          clients,
          perp.clearingHouse,
        ).read.accountHealth([(who as LocalAccount).address]);
        return healthAfterOptionFill(
          { equity, initialRequirement, maintenanceRequirement },
          i.held,
          { ...s, sizeDelta: sizeDelta as bigint, premium, feeFraction },
          i.underlyings,
          time,
          i.params,
        );
      }),
    );
    const settlement = devnet.settlement.settlement;
    const validTo = Number(time) + 3600;
    const trades = [];
    for (const [who, sz] of [
      [buyer, size],
      [writer, -size],
    ] as const) {
      const intent: OptionIntent = {
        account: who.address,
        series: s.id,
        size: sz,
        premiumLimit: premium,
        reduceOnly: false,
        partiallyFillable: false,
        validTo,
        nonce: 1n,
      };
      trades.push(encodeOptionTrade([s.id], intent, await signOptionIntent(who, devnet.chainId, settlement, intent)));
    }
    const batch = {
      ...spotBatch({ auctionId: 99n, tokens: [], clearingPrices: [], trades: [], interactions: [] }),
      options: encodeOptionBatch({ series: [s.id], premiums: [premium], trades }),
    };
    await pub.request({ method: 'evm_setNextBlockTimestamp' as never, params: [Number(time)] as never });
    const receipt = await confirm(
      pub,
      clients
        .walletFor(devnet.solver)
        .writeContract({ address: settlement, abi: settlementAbi, functionName: 'settle', args: [batch], gas: 4_000_000n }),
    );
    expect((await pub.getBlock({ blockNumber: receipt.blockNumber })).timestamp).toBe(time);
    for (const [k, who] of [buyer, writer].entries()) {
      const [equity, initialRequirement, maintenanceRequirement] = await pub.readContract({
        address: perp.clearingHouse,
        abi: clearingHouseContract(clients, perp.clearingHouse).abi,
        functionName: 'accountHealth',
        args: [who.address],
        blockNumber: receipt.blockNumber,
      });
      expect({ equity, initialRequirement, maintenanceRequirement }).toEqual(predicted[k]);
    }
    // a long put needs at most what it can lose (its value); the writer more (its losses + the floor)
    expect(predicted[0]!.initialRequirement > 0n).toBe(true);
    expect(predicted[1]!.initialRequirement > predicted[0]!.initialRequirement).toBe(true);
  });

  it('after a leg expires with stale marks and surfaces: equal when loose, refused by both when strict; then at the settlement price', async () => {
    const { clients } = running;
    const pub = clients.publicClient;
    await pub.request({ method: 'evm_increaseTime' as never, params: [3 * 3600 + 60] as never });
    await pub.request({ method: 'evm_mine' as never, params: [] as never });
    expect((await compare(false)).map(expectSame)).toEqual(accounts.map(() => false));
    // every account holds options, so a strict valuation meets the stale mark first
    for (const row of await compare(true)) {
      expect(expectSame(row)).toBe(true);
      expect((row.mirror as OptionHealthRefused).reason).toBe('StaleMark');
    }
    // fresh marks again (ETH 3% up) and the short-dated series settled at the first round after expiry
    await setFeedPrice(clients, perp.feeds[1]!, 3_102_98765432n);
    await setFeedPrice(clients, perp.feeds[2]!, 101_012_34567891n);
    const { settlementPrice } = await settleSeries(clients, registry, shortDated);
    expect(settlementPrice).toBe(3_102_98765432n * 10n ** 10n);
    expect((await compare(false)).map(expectSame)).toEqual(accounts.map(() => false));
    // the first pair holds the settled call, valued at its intrinsic value at the settlement price
    const held = (await readOptionHealthInputs(pub, book, accounts[0]!.address)).held.find((o) => o.settlementPrice !== 0n);
    expect(held?.settlementPrice).toBe(settlementPrice);
    // strict refuses the stale surface now that marks are fresh (the feed's max age is an hour),
    // for every account with a live leg; an account left with only the expired leg passes
    const strictRows = await compare(true);
    const refused = strictRows.map(expectSame);
    expect(refused.filter(Boolean).length).toBeGreaterThan(0);
    for (const [k, row] of strictRows.entries()) if (refused[k]) expect((row.mirror as OptionHealthRefused).reason).toBe('StaleVolSurface');
  });
});
