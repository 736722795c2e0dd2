// OptionSeries on anvil through contracts/deploy/option-series.ts: a clearing house with an ETH
// market (8-decimal devnet feed, 18-decimal collateral), listing within and outside the bounds
// (refused off chain with the contract's error name), listing through the Timelock, and settlement
// at the first round at or after expiry found by walking the feed (a later round is refused).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Address } from 'viem';
import { startAnvil, type Anvil } from '../../contracts/deploy/anvil.ts';
import { devnetClients, type DevnetClients } from '../../contracts/deploy/clients.ts';
import {
  deployOptionSeries,
  findSettlementRound,
  listSeries,
  listSeriesCalldata,
  optionSeriesContract,
  readSeries,
  seriesPayoff,
  settleSeries,
} from '../../contracts/deploy/option-series.ts';
import { deployPerp, setFeedPrice, WAD } from '../../contracts/deploy/perp.ts';
import { deployTimelock, executeCall, handOverToTimelock, increaseTime, scheduleCall } from '../../contracts/deploy/timelock.ts';

const ETH = 1;
const HOUR = 3600n;
const DAY = 86_400n;

let anvil: Anvil;
let clients: DevnetClients;
let feed: Address;
let registry: Address;

const now = async (): Promise<bigint> => (await clients.publicClient.getBlock()).timestamp;

beforeAll(async () => {
  anvil = await startAnvil();
  clients = devnetClients(anvil.rpcUrl, anvil.chainId);
  const deployer = clients.deployer.account.address;
  const perp = await deployPerp(clients, {
    settlement: deployer,
    collateral: '0x00000000000000000000000000000000000000d1',
    collateralDecimals: 18,
    markets: [{ id: ETH, description: 'ETH / USD', answer: 3000n * 10n ** 8n }],
  });
  feed = perp.feeds[ETH]!;
  registry = await deployOptionSeries(clients, { clearingHouse: perp.clearingHouse });
});

afterAll(async () => {
  await anvil?.stop();
});

describe('OptionSeries on anvil', () => {
  it('lists within the bounds and refuses outside them before sending', async () => {
    const t = await now();
    const { seriesId } = await listSeries(clients, registry, { market: ETH, strike: 3200n * WAD, expiry: t + DAY, isCall: true });
    expect(seriesId).toBe(1n);
    await expect(listSeries(clients, registry, { market: ETH, strike: 3200n * WAD, expiry: t + DAY, isCall: true })).rejects.toThrow(
      /SeriesExists\(1\)/,
    );
    await expect(listSeries(clients, registry, { market: ETH, strike: 13_000n * WAD, expiry: t + DAY, isCall: true })).rejects.toThrow(
      /StrikeOutOfRange/,
    );
    await expect(listSeries(clients, registry, { market: ETH, strike: 3000n * WAD, expiry: t + 60n, isCall: false })).rejects.toThrow(
      /ExpiryOutOfRange/,
    );
    await expect(listSeries(clients, registry, { market: 9, strike: 3000n * WAD, expiry: t + DAY, isCall: false })).rejects.toThrow(
      /MarketNotListed/,
    );
    expect(await readSeries(clients, registry, 1n)).toMatchObject({
      market: ETH,
      strike: 3200n * WAD,
      isCall: true,
      multiplier: 10n ** 10n,
    });
  });

  it('settles at the first round at or after expiry, found by walking the feed; a later round is refused', async () => {
    const { expiry } = await readSeries(clients, registry, 1n);
    expect(await findSettlementRound(clients, feed, expiry)).toBeUndefined();
    await increaseTime(clients, expiry - (await now()) - 5n);
    await setFeedPrice(clients, feed, 3100n * 10n ** 8n); // just before expiry
    await increaseTime(clients, 30n);
    await setFeedPrice(clients, feed, 3350n * 10n ** 8n); // the first at/after expiry
    await increaseTime(clients, 30n);
    await setFeedPrice(clients, feed, 3900n * 10n ** 8n);
    const first = await findSettlementRound(clients, feed, expiry);
    expect(first).toBeDefined();
    await expect(settleSeries(clients, registry, 1n, first! + 1n)).rejects.toThrow();
    const settled = await settleSeries(clients, registry, 1n);
    expect(settled).toMatchObject({ roundId: first, settlementPrice: 3350n * WAD });
    expect(await seriesPayoff(clients, registry, 1n)).toBe(150n * WAD);
  });

  it('lists through the Timelock after its delay', async () => {
    const timelock = await deployTimelock(clients, { delay: DAY });
    await handOverToTimelock(clients, timelock, { optionSeries: registry });
    expect((await optionSeriesContract(clients, registry).read.owner()).toLowerCase()).toBe(timelock.toLowerCase());
    const terms = { market: ETH, strike: 3000n * WAD, expiry: (await now()) + 7n * DAY, isCall: false };
    const call = { target: registry, data: listSeriesCalldata(terms) };
    await scheduleCall(clients, timelock, call);
    await expect(executeCall(clients, timelock, call)).rejects.toThrow();
    await increaseTime(clients, DAY + HOUR);
    await setFeedPrice(clients, feed, 3000n * 10n ** 8n); // a fresh mark for the strike bound
    await executeCall(clients, timelock, call);
    expect(await optionSeriesContract(clients, registry).read.seriesIdOf([terms.market, terms.strike, terms.expiry, terms.isCall])).toBe(
      2n,
    );
  });
});
