// bench:risk's option books: the option stack deployed into the bench's devnet (series registry,
// volatility feed, option book, as the devnet deploys them), and accounts that write and buy
// options through real settles before the crash. Kept apart from risk.ts so the perp simulation
// reads as before; risk.ts calls these at fixed points and its keeper treats these accounts as any.
//
// The books: OPTION_PAIRS pairs of fresh accounts, each pair one settle. A writer sells contracts of
// a random devnet series (90/100/110% strikes, 7 and 30 days, calls and puts) to a buyer at the
// model premium (Black-Scholes at the mark and the surface's vol, as the chain values it); a third
// of the pairs also carry the delta hedge in the same settle (the writer long the call's delta in
// perps or short the put's, the buyer the opposite), so spot-free option + perp batches clear under
// one margin check. Writers size to a random 40-90% of what their collateral could carry: the size
// is halved until the settle's margin check accepts it (an eth_estimateGas that does not revert).
// The surface's at-the-money vols rise by half during the crash (a crash is a vol event), which is
// what makes short options lose on both the price and the vol leg.
import type { Address, LocalAccount } from 'viem';
import { keccak256, parseEther, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { clearingHouseAbi } from '../../contracts/artifacts/ClearingHouse.ts';
import { optionBookAbi } from '../../contracts/artifacts/OptionBook.ts';
import { settlementAbi } from '../../contracts/artifacts/Settlement.ts';
import { encodeOptionBatch, encodeOptionTrade, signOptionIntent } from '../../contracts/client/options.ts';
import { encodePositionBatch, encodePositionTrade, signPositionIntent } from '../../contracts/client/positions.ts';
import { spotBatch } from '../../contracts/client/settlement.ts';
import { confirm, type DevnetClients } from '../../contracts/deploy/clients.ts';
import type { Devnet } from '../../contracts/deploy/devnet.ts';
import { deployOptionBook } from '../../contracts/deploy/option-book.ts';
import { deployOptionSeries, listSeries } from '../../contracts/deploy/option-series.ts';
import { defaultVolBounds, deployVolatilityFeed, publishSurface } from '../../contracts/deploy/options.ts';
import { devnetSeries } from '../../devnet/option-listing.ts';
import { DEVNET_BASE_VOL, devnetSurface, smileParams } from '../../devnet/vol-model.ts';
import { readMarketSurface, valueSeries } from '../../node/chain/option-series.ts';
import type { OptionIntent, PositionIntent } from '../../protocol/intent.ts';

const WAD = 10n ** 18n;
export const OPTION_PAIRS = 30;
/** How far the at-the-money vols rise over the crash: x1.5 by its last update. */
export const CRASH_VOL_RISE = 0.5;

export type ListedSeries = { id: bigint; market: number; strike: bigint; expiry: bigint; isCall: boolean };
export type RiskOptions = { book: Address; registry: Address; feed: Address; series: ListedSeries[] };

type Rng = { next(): number; int(lo: number, hi: number): number; pick<T>(xs: readonly T[]): T };

/** Deploys the registry, the feed (the deployer feeds it) and the book; lists the devnet's series. */
export async function deployRiskOptions(
  clients: DevnetClients,
  devnet: Devnet,
  clearingHouse: Address,
  markets: readonly { id: number; price: bigint }[],
): Promise<RiskOptions> {
  const registry = await deployOptionSeries(clients, { clearingHouse });
  const feed = await deployVolatilityFeed(clients, { feeder: clients.deployer.account.address, maxAge: 3600n, bounds: defaultVolBounds });
  for (const m of markets) await publishSurface(clients, feed, BigInt(m.id), devnetSurface(smileParams(m.id)));
  const now = (await clients.publicClient.getBlock()).timestamp;
  const series: ListedSeries[] = [];
  for (const t of devnetSeries(markets, now)) {
    const { seriesId } = await listSeries(clients, registry, t);
    series.push({ id: seriesId, ...t });
  }
  const book = await deployOptionBook(clients, { clearingHouse, settlement: devnet.settlement.settlement, registry, volatilityFeed: feed });
  return { book, registry, feed, series };
}

/** Republishes every market's surface with its at-the-money vol raised by `rise` (0.5 = x1.5). */
export async function raiseVols(clients: DevnetClients, o: RiskOptions, markets: readonly number[], rise: number): Promise<void> {
  for (const id of markets)
    await publishSurface(clients, o.feed, BigInt(id), devnetSurface(smileParams(id, (DEVNET_BASE_VOL[id] ?? 0.6) * (1 + rise))));
}

export type OptionBookAccount = { account: LocalAccount; role: 'writer' | 'buyer'; hedged: boolean; series: ListedSeries; size: bigint };

export type OpenedBooks = {
  accounts: OptionBookAccount[];
  settles: number;
  hedgedSettles: number;
  /** Pairs whose writer could not carry even 1/16 of the first size. */
  refused: number;
  gas: bigint[];
  premiumPaid: bigint;
};

type OpenContext = {
  clients: DevnetClients;
  devnet: Devnet;
  clearingHouse: Address;
  options: RiskOptions;
  /** The oracle mark (18 decimals) of a market now. */
  mark(market: number): bigint;
  rng: Rng;
  seed: number;
  validTo: number;
  firstAuctionId: bigint;
};

/** Funds OPTION_PAIRS writer/buyer pairs and opens their books, one settle per pair. */
export async function openOptionBooks(c: OpenContext): Promise<OpenedBooks> {
  const { clients, devnet, options } = c;
  const pub = clients.publicClient;
  const settlement = devnet.settlement.settlement;
  const solver = clients.walletFor(devnet.solver);
  const out: OpenedBooks = { accounts: [], settles: 0, hedgedSettles: 0, refused: 0, gas: [], premiumPaid: 0n };
  for (let p = 0; p < OPTION_PAIRS; p++) {
    const [writer, buyer] = [0, 1].map((j) => privateKeyToAccount(keccak256(toHex(`risk-${c.seed}-option-${2 * p + j}`)))) as [
      LocalAccount,
      LocalAccount,
    ];
    const collateral = parseEther(String(c.rng.int(5_000, 50_000)));
    for (const a of [writer, buyer])
      await confirm(
        pub,
        clients.deployer.writeContract({
          address: c.clearingHouse,
          abi: clearingHouseAbi,
          functionName: 'deposit',
          args: [a.address, collateral],
        }),
      );
    const s = c.rng.pick(options.series);
    const hedged = p % 3 === 0;
    const now = (await pub.getBlock()).timestamp;
    const m = { name: '', mark: c.mark(s.market).toString(), fresh: true };
    const row = valueSeries(s.id, s, m, await readMarketSurface(pub, options.feed, s.market, now), now);
    if (row.price === null || row.delta === null) throw new Error(`series ${s.id} unpriced: ${row.unpriced}`);
    const premium = BigInt(row.price);
    const delta = BigInt(row.delta);
    // A first size a writer of this collateral could plausibly carry (a quarter of spot at risk per
    // contract), scaled by the draw; halved until the margin check accepts it.
    let size = (((collateral * WAD) / (c.mark(s.market) / 4n)) * BigInt(c.rng.int(40, 90))) / 100n;
    let filled = false;
    for (let attempt = 0; attempt < 5 && !filled; attempt++, size /= 2n) {
      const batch = await pairBatch(c, { writer, buyer, series: s, size, premium, hedge: hedged ? (delta * size) / WAD : 0n }, p, attempt);
      const estimate = await pub
        .estimateContractGas({ account: devnet.solver, address: settlement, abi: settlementAbi, functionName: 'settle', args: [batch] })
        .catch(() => undefined);
      if (estimate === undefined) continue;
      const receipt = await confirm(
        pub,
        solver.writeContract({ address: settlement, abi: settlementAbi, functionName: 'settle', args: [batch], gas: (estimate * 5n) / 4n }),
      );
      out.gas.push(receipt.gasUsed);
      out.settles++;
      if (hedged) out.hedgedSettles++;
      out.premiumPaid += (premium * size) / WAD;
      out.accounts.push(
        { account: writer, role: 'writer', hedged, series: s, size: -size },
        { account: buyer, role: 'buyer', hedged, series: s, size },
      );
      filled = true;
    }
    if (!filled) out.refused++;
  }
  return out;
}

/**
 * One pair's settle: the writer sells `size` contracts to the buyer at `premium` (limits 2% either
 * side), and with `hedge` (the call's or put's delta times the size) the writer takes +hedge in
 * perps and the buyer -hedge, at the mark.
 */
async function pairBatch(
  c: OpenContext,
  t: { writer: LocalAccount; buyer: LocalAccount; series: ListedSeries; size: bigint; premium: bigint; hedge: bigint },
  pair: number,
  attempt: number,
) {
  const { devnet } = c;
  const settlement = devnet.settlement.settlement;
  const nonce = BigInt(pair * 16 + attempt);
  const ids = [t.series.id];
  const intent = (account: LocalAccount, size: bigint, limit: bigint): OptionIntent => ({
    account: account.address,
    series: t.series.id,
    size,
    premiumLimit: limit,
    reduceOnly: false,
    partiallyFillable: false,
    validTo: c.validTo,
    nonce,
  });
  const buy = intent(t.buyer, t.size, (t.premium * 102n) / 100n);
  const sell = intent(t.writer, -t.size, (t.premium * 98n) / 100n);
  const options = encodeOptionBatch({
    series: ids,
    premiums: [t.premium],
    trades: [
      encodeOptionTrade(ids, buy, await signOptionIntent(t.buyer, devnet.chainId, settlement, buy)),
      encodeOptionTrade(ids, sell, await signOptionIntent(t.writer, devnet.chainId, settlement, sell)),
    ],
  });
  let positions: `0x${string}` = '0x';
  if (t.hedge !== 0n) {
    const market = t.series.market;
    const price = c.mark(market);
    const leg = (account: LocalAccount, sizeDelta: bigint): PositionIntent => ({
      account: account.address,
      market,
      sizeDelta,
      limitPrice: sizeDelta > 0n ? (price * 101n) / 100n : (price * 99n) / 100n,
      reduceOnly: false,
      partiallyFillable: false,
      validTo: c.validTo,
      nonce: nonce + (1n << 32n),
    });
    const w = leg(t.writer, t.hedge);
    const b = leg(t.buyer, -t.hedge);
    positions = encodePositionBatch({
      markets: [market],
      prices: [price],
      trades: [
        encodePositionTrade([market], w, await signPositionIntent(t.writer, devnet.chainId, settlement, w)),
        encodePositionTrade([market], b, await signPositionIntent(t.buyer, devnet.chainId, settlement, b)),
      ],
    });
  }
  return {
    ...spotBatch({
      auctionId: c.firstAuctionId + BigInt(pair * 16 + attempt),
      tokens: [],
      clearingPrices: [],
      trades: [],
      interactions: [],
    }),
    positions,
    options,
  };
}

/** The book's open interest summed over the listed series (1e18 contracts), and the number holding options. */
export async function optionExposure(clients: DevnetClients, o: RiskOptions, accounts: readonly Address[]) {
  const pub = clients.publicClient;
  const held = await Promise.all(
    accounts.map((a) => pub.readContract({ address: o.book, abi: optionBookAbi, functionName: 'seriesOf', args: [a] })),
  );
  let contracts = 0n;
  for (const [k, ids] of held.entries())
    for (const id of ids) {
      const size = await pub.readContract({ address: o.book, abi: optionBookAbi, functionName: 'positionOf', args: [accounts[k]!, id] });
      contracts += size < 0n ? -size : size;
    }
  return { accountsHolding: held.filter((ids) => ids.length > 0).length, contractsHeld: contracts / 2n };
}
