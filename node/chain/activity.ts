// What the dashboard shows from the chain: settled swaps (the Settlement's TradeSettled events),
// position fills and the accounts seen (the clearing house's PositionChanged / Deposited events),
// the circuit breaker's halts and resumes, account margin (clearing house views), token metadata
// and market names. Events are read from
// the first block on, so the page shows trades settled before this node started; the lists keep
// the last 1,000 of each. Unlike the chain watcher this is display only: it does not follow
// reorgs, and nothing it reads changes the pool.
import { parseAbi, zeroAddress, type Address, type PublicClient } from 'viem';
import { circuitBreakerEventsIn, clearingHouseEventsIn, settlementEventsIn } from '../../contracts/client/events.ts';
import { circuitBreakerAbi } from '../../contracts/artifacts/CircuitBreaker.ts';
import { clearingHouseAbi } from '../../contracts/artifacts/ClearingHouse.ts';
import { perpVaultAbi } from '../../contracts/artifacts/PerpVault.ts';
import { settlementAbi } from '../../contracts/artifacts/Settlement.ts';
import type {
  AccountMargin,
  AccountOption,
  BreakerEvent,
  MarketInfo,
  OptionTrade,
  PositionTrade,
  SwapTrade,
  VaultMarket,
  VaultResponse,
} from '../../protocol/api.ts';
import { optionBookAbi } from '../../contracts/artifacts/OptionBook.ts';
import { optionSeriesAbi } from '../../contracts/artifacts/OptionSeries.ts';
import { premiumCash } from '../../protocol/options/option-health.ts';
import { readMarketSurface, type Surface, valueSeries } from './option-series.ts';

const erc20MetadataAbi = parseAbi(['function symbol() view returns (string)', 'function decimals() view returns (uint8)']);
const feedAbi = parseAbi(['function description() view returns (string)']);

/** Events kept per list (the page shows the latest). */
const KEEP = 1000;

export type TokenInfo = { symbol: string; decimals: number };

export class ChainActivity {
  readonly client: PublicClient;
  private readonly settlement: Address;
  private clearingHouse?: Address;
  private clearingHouseCheckedAt = 0;
  private houseRead?: Promise<Address | undefined>;
  private optionBookAddress?: Address;
  private settlementScannedTo = -1n;
  private houseScannedTo = -1n;
  private scanning?: Promise<void>;
  private readonly accounts = new Set<Address>();
  readonly positionFills: PositionTrade[] = [];
  /** The circuit breaker's halts and resumes, oldest first (of the breaker the clearing house names now). */
  readonly breakerEvents: BreakerEvent[] = [];
  private breakerScanned?: { breaker: Address; to: bigint };
  readonly swaps: SwapTrade[] = [];
  /** Option fills (OptionTradeSettled), oldest first. */
  readonly optionFills: OptionTrade[] = [];
  private readonly seriesTerms = new Map<bigint, Promise<Pick<OptionTrade, 'market' | 'name' | 'isCall' | 'strike'>>>();
  private readonly tokens = new Map<string, Promise<TokenInfo | null>>();
  private readonly marketNames = new Map<number, Promise<string>>();
  private vaultAddress?: Promise<Address>;

  constructor(client: PublicClient, settlement: Address) {
    this.client = client;
    this.settlement = settlement;
  }

  /**
   * The Settlement's clearing house (asked again at most every 5 s while it has none). Concurrent
   * callers share the read in flight: before, a second caller during the first read was told
   * there was none.
   */
  house(): Promise<Address | undefined> {
    if (this.clearingHouse) return Promise.resolve(this.clearingHouse);
    if (this.houseRead) return this.houseRead;
    if (Date.now() - this.clearingHouseCheckedAt < 5000) return Promise.resolve(undefined);
    this.clearingHouseCheckedAt = Date.now();
    this.houseRead = this.client
      .readContract({ address: this.settlement, abi: settlementAbi, functionName: 'clearingHouse' })
      .then((a) => {
        if (a && a !== zeroAddress) this.clearingHouse = a.toLowerCase() as Address;
        return this.clearingHouse;
      })
      .finally(() => {
        this.houseRead = undefined;
      });
    return this.houseRead;
  }

  /** A token's symbol and decimals, or null when it does not answer them. */
  token(address: string): Promise<TokenInfo | null> {
    const k = address.toLowerCase() as Address;
    let p = this.tokens.get(k);
    if (!p) {
      p = Promise.all([
        this.client.readContract({ address: k, abi: erc20MetadataAbi, functionName: 'symbol' }),
        this.client.readContract({ address: k, abi: erc20MetadataAbi, functionName: 'decimals' }),
      ]).then(
        ([symbol, decimals]) => ({ symbol, decimals }),
        () => {
          this.tokens.delete(k);
          return null;
        },
      );
      this.tokens.set(k, p);
    }
    return p;
  }

  /** The market's oracle feed description ("ETH / USD"), else "market <id>". */
  marketName(house: Address, id: number): Promise<string> {
    let p = this.marketNames.get(id);
    if (!p) {
      const fallback = `market ${id}`;
      p = (async () => {
        const config = await this.client.readContract({ address: house, abi: clearingHouseAbi, functionName: 'marketConfig', args: [id] });
        return (await this.client.readContract({ address: config.feed, abi: feedAbi, functionName: 'description' })) || fallback;
      })().catch(() => {
        this.marketNames.delete(id);
        return fallback;
      });
      this.marketNames.set(id, p);
    }
    return p;
  }

  /** A series' market, name, side and strike from the option book's registry (kept; empty when unreadable). */
  private optionSeriesTerms(id: bigint): Promise<Pick<OptionTrade, 'market' | 'name' | 'isCall' | 'strike'>> {
    let p = this.seriesTerms.get(id);
    if (!p) {
      p = (async () => {
        const [book, house] = await Promise.all([this.optionBook(), this.house()]);
        if (!book || !house) return {};
        const registry = await this.client.readContract({ address: book, abi: optionBookAbi, functionName: 'registry' });
        const s = await this.client.readContract({ address: registry, abi: optionSeriesAbi, functionName: 'series', args: [id] });
        return { market: s.market, name: await this.marketName(house, s.market), isCall: s.isCall, strike: s.strike.toString() };
      })().catch(() => {
        this.seriesTerms.delete(id);
        return {};
      });
      this.seriesTerms.set(id, p);
    }
    return p;
  }

  /** Reads the events since the last scan (one scan at a time; concurrent callers share it). */
  scan(): Promise<void> {
    this.scanning ??= this.scanOnce().finally(() => {
      this.scanning = undefined;
    });
    return this.scanning;
  }

  private async scanOnce(): Promise<void> {
    const head = await this.client.getBlockNumber({ cacheTime: 0 });
    if (head > this.settlementScannedTo) {
      for (const ev of await settlementEventsIn(this.client, this.settlement, {
        fromBlock: this.settlementScannedTo + 1n,
        toBlock: head,
      })) {
        if (ev.eventName === 'OptionTradeSettled') {
          const a = ev.args;
          this.optionFills.push({
            kind: 'option',
            id: a.digest.toLowerCase() as OptionTrade['id'],
            account: a.account.toLowerCase() as Address,
            series: a.series.toString(),
            ...(await this.optionSeriesTerms(a.series)),
            size: a.size.toString(),
            premium: a.premium.toString(),
            txHash: ev.transactionHash,
            blockNumber: Number(ev.blockNumber),
          });
          continue;
        }
        if (ev.eventName !== 'TradeSettled') continue;
        const a = ev.args;
        this.swaps.push({
          kind: 'swap',
          id: a.digest.toLowerCase() as SwapTrade['id'],
          owner: a.owner.toLowerCase() as Address,
          sellToken: a.sellToken.toLowerCase() as Address,
          buyToken: a.buyToken.toLowerCase() as Address,
          executedSellAmount: a.executedSellAmount.toString(),
          executedBuyAmount: a.executedBuyAmount.toString(),
          txHash: ev.transactionHash,
          blockNumber: Number(ev.blockNumber),
        });
      }
      if (this.swaps.length > KEEP) this.swaps.splice(0, this.swaps.length - KEEP);
      if (this.optionFills.length > KEEP) this.optionFills.splice(0, this.optionFills.length - KEEP);
      this.settlementScannedTo = head;
    }
    const house = await this.house();
    if (house && head > this.houseScannedTo) {
      for (const ev of await clearingHouseEventsIn(this.client, house, { fromBlock: this.houseScannedTo + 1n, toBlock: head })) {
        const account = ev.args.account.toLowerCase() as Address;
        this.accounts.add(account);
        if (ev.eventName !== 'PositionChanged') continue;
        const a = ev.args;
        this.positionFills.push({
          kind: 'position',
          account,
          market: a.market,
          name: await this.marketName(house, a.market),
          sizeDelta: a.sizeDelta.toString(),
          price: a.price.toString(),
          fee: a.fee.toString(),
          txHash: ev.transactionHash,
          blockNumber: Number(ev.blockNumber),
        });
      }
      if (this.positionFills.length > KEEP) this.positionFills.splice(0, this.positionFills.length - KEEP);
      this.houseScannedTo = head;
      await this.scanBreaker(house, head);
    }
  }

  /** The clearing house's circuit breaker (undefined: none). Read each time: governance may change it. */
  async breaker(house: Address): Promise<Address | undefined> {
    const b = await this.client.readContract({ address: house, abi: clearingHouseAbi, functionName: 'circuitBreaker' });
    return b === zeroAddress ? undefined : (b.toLowerCase() as Address);
  }

  /** Halts and resumes of the current breaker up to `head` (a new breaker is read from its first block). */
  private async scanBreaker(house: Address, head: bigint): Promise<void> {
    const breaker = await this.breaker(house);
    if (!breaker) return;
    if (this.breakerScanned?.breaker !== breaker) {
      this.breakerScanned = { breaker, to: -1n };
      this.breakerEvents.length = 0;
    }
    if (head <= this.breakerScanned.to) return;
    for (const ev of await circuitBreakerEventsIn(this.client, breaker, { fromBlock: this.breakerScanned.to + 1n, toBlock: head })) {
      const market = ev.args.market;
      const base = { market, name: await this.marketName(house, market), txHash: ev.transactionHash, blockNumber: Number(ev.blockNumber) };
      if (ev.eventName === 'CircuitBreakerTripped') {
        const a = ev.args;
        this.breakerEvents.push({
          ...base,
          kind: 'halted',
          fromPrice: a.fromPrice.toString(),
          toPrice: a.toPrice.toString(),
          haltedUntil: Number(a.haltedUntil),
        });
      } else this.breakerEvents.push({ ...base, kind: 'resumed' });
    }
    if (this.breakerEvents.length > KEEP) this.breakerEvents.splice(0, this.breakerEvents.length - KEEP);
    this.breakerScanned.to = head;
  }

  /** Each of `ids`' halt now (CircuitBreaker.isHalted); all running when there is no breaker. */
  async halts(house: Address, ids: readonly number[]): Promise<Map<number, { halted: boolean; haltedUntil: number }>> {
    const breaker = await this.breaker(house);
    const out = new Map<number, { halted: boolean; haltedUntil: number }>();
    const answers = await Promise.all(
      ids.map((id) =>
        breaker
          ? this.client.readContract({ address: breaker, abi: circuitBreakerAbi, functionName: 'isHalted', args: [id] })
          : ([false, 0n] as const),
      ),
    );
    for (const [k, id] of ids.entries()) out.set(id, { halted: answers[k]![0], haltedUntil: Number(answers[k]![1]) });
    return out;
  }

  /** Accounts seen in Deposited or PositionChanged events. */
  knownAccounts(): Address[] {
    return [...this.accounts];
  }

  /** An account's margin at the latest block; undefined when the settlement has no clearing house. */
  /** The perp liquidity vault's books (NAV, shares, per-market skew and PnL); undefined without a clearing house. */
  async vault(vault: Address): Promise<VaultResponse | undefined> {
    const house = await this.house();
    if (!house) return undefined;
    const v = { address: vault, abi: perpVaultAbi } as const;
    const read = { address: house, abi: clearingHouseAbi } as const;
    const [nav, totalSupply, decimals, gross, maxLeverage, count] = await Promise.all([
      this.client.readContract({ ...v, functionName: 'totalAssets' }),
      this.client.readContract({ ...v, functionName: 'totalSupply' }),
      this.client.readContract({ ...v, functionName: 'decimals' }),
      this.client.readContract({ ...v, functionName: 'grossNotional' }),
      this.client.readContract({ ...v, functionName: 'maxLeverage' }),
      this.client.readContract({ ...read, functionName: 'marketCount' }),
    ]);
    const markets = await Promise.all(
      Array.from({ length: Number(count) }, (_, k) => this.client.readContract({ ...read, functionName: 'marketIds', args: [BigInt(k)] })),
    );
    const sharePrice = await this.client.readContract({ ...v, functionName: 'convertToAssets', args: [10n ** BigInt(decimals)] });
    const rows: VaultMarket[] = [];
    let pnl = 0n;
    for (const m of markets) {
      const [p, [mark], params, name] = await Promise.all([
        this.client.readContract({ ...read, functionName: 'position', args: [vault, m] }),
        this.client.readContract({ ...read, functionName: 'markPrice', args: [m] }),
        this.client.readContract({ ...v, functionName: 'marketParams', args: [m] }),
        this.marketName(house, m),
      ]);
      const [skewScale, feeFraction, maxPosition, enabled] = params;
      const upnl = (p.size * mark) / 10n ** 18n - p.openNotional;
      pnl += upnl;
      rows.push({
        market: m,
        name,
        size: p.size.toString(),
        mark: mark.toString(),
        unrealisedPnl: upnl.toString(),
        skewScale: skewScale.toString(),
        feeFraction: feeFraction.toString(),
        maxPosition: maxPosition.toString(),
        enabled,
      });
    }
    return {
      available: true,
      vault: vault.toLowerCase() as Address,
      nav: nav.toString(),
      totalSupply: totalSupply.toString(),
      sharePrice: sharePrice.toString(),
      shareDecimals: decimals,
      grossNotional: gross.toString(),
      maxLeverage: maxLeverage.toString(),
      unrealisedPnl: pnl.toString(),
      markets: rows,
    };
  }

  async margin(account: Address): Promise<AccountMargin | undefined> {
    const house = await this.house();
    if (!house) return undefined;
    const read = { address: house, abi: clearingHouseAbi } as const;
    const [[equity, initial, maintenance], markets, collateral] = await Promise.all([
      this.client.readContract({ ...read, functionName: 'accountHealth', args: [account] }),
      this.client.readContract({ ...read, functionName: 'accountMarkets', args: [account] }),
      this.client.readContract({ ...read, functionName: 'collateral', args: [account] }),
    ]);
    const positions: AccountMargin['positions'] = [];
    let notional = 0n;
    for (const m of markets) {
      const [p, [mark], name] = await Promise.all([
        this.client.readContract({ ...read, functionName: 'position', args: [account, m] }),
        this.client.readContract({ ...read, functionName: 'markPrice', args: [m] }),
        this.marketName(house, m),
      ]);
      if (p.size === 0n) continue;
      const value = (p.size * mark) / 10n ** 18n;
      notional += value < 0n ? -value : value;
      positions.push({
        market: m,
        name,
        size: p.size.toString(),
        openNotional: p.openNotional.toString(),
        mark: mark.toString(),
        unrealisedPnl: (value - p.openNotional).toString(),
      });
    }
    const ratio = (a: bigint, b: bigint): number | null => (b > 0n ? Number((a * 10_000n) / b) / 10_000 : null);
    const options = await this.accountOptions(house, account);
    return {
      account: account.toLowerCase() as Address,
      collateral: collateral.toString(),
      equity: equity.toString(),
      initialRequirement: initial.toString(),
      maintenanceRequirement: maintenance.toString(),
      notional: notional.toString(),
      health: ratio(equity, maintenance),
      marginRatio: ratio(equity, notional),
      liquidatable: maintenance > 0n && equity < maintenance,
      positions,
      options,
      greeks: bookGreeks(positions, options),
    };
  }

  /** The clearing house's option book, undefined while none is set. */
  async optionBook(): Promise<Address | undefined> {
    const house = await this.house();
    if (!house) return undefined;
    // set once on chain (setOptionBook refuses a second book), so kept once known
    this.optionBookAddress ??= await this.client.readContract({ address: house, abi: clearingHouseAbi, functionName: 'optionBook' });
    if (this.optionBookAddress !== zeroAddress) return this.optionBookAddress;
    this.optionBookAddress = undefined;
    return undefined;
  }

  /** The account's option positions valued now (none without an option book or options). */
  private async accountOptions(house: Address, account: Address): Promise<AccountOption[]> {
    const book = await this.optionBook();
    if (!book) return [];
    const ids = await this.client.readContract({ address: book, abi: optionBookAbi, functionName: 'seriesOf', args: [account] });
    if (!ids.length) return [];
    const read = { address: book, abi: optionBookAbi } as const;
    const [registry, feed, block] = await Promise.all([
      this.client.readContract({ ...read, functionName: 'registry' }),
      this.client.readContract({ ...read, functionName: 'volatilityFeed' }),
      this.client.getBlock({ blockTag: 'latest' }),
    ]);
    const rows = await Promise.all(
      ids.map(async (id) => {
        const [size, entryPremium, terms] = await Promise.all([
          this.client.readContract({ ...read, functionName: 'positionOf', args: [account, id] }),
          this.client.readContract({ ...read, functionName: 'entryPremiumOf', args: [account, id] }),
          this.client.readContract({ address: registry, abi: optionSeriesAbi, functionName: 'series', args: [id] }),
        ]);
        return { id, size, entryPremium, terms };
      }),
    );
    const markets = [...new Set(rows.map((r) => r.terms.market))];
    const info = new Map<number, { mark: bigint; fresh: boolean; name: string; surface: Surface }>();
    await Promise.all(
      markets.map(async (m) => {
        const [[mark, fresh], name, surface] = await Promise.all([
          this.client.readContract({ address: house, abi: clearingHouseAbi, functionName: 'markPrice', args: [m] }),
          this.marketName(house, m),
          readMarketSurface(this.client, feed, m, block.timestamp),
        ]);
        info.set(m, { mark, fresh, name, surface });
      }),
    );
    return rows.map(({ id, size, entryPremium, terms }) => {
      const m = info.get(terms.market)!;
      const row = valueSeries(id, terms, { name: m.name, mark: m.mark.toString(), fresh: m.fresh }, m.surface, block.timestamp);
      const scale = (x: string | null): string | null => (x === null ? null : ((BigInt(x) * size) / WAD).toString());
      return {
        series: row.id,
        market: row.market,
        name: row.name,
        isCall: row.isCall,
        strike: row.strike,
        expiry: row.expiry,
        size: size.toString(),
        entryPremium: entryPremium.toString(),
        value: scale(row.price),
        pnl: row.price === null ? null : (BigInt(scale(row.price)!) - premiumCash(size, entryPremium)).toString(),
        delta: scale(row.delta),
        gamma: scale(row.gamma),
        vega: scale(row.vega),
        theta: scale(row.theta),
        ...(row.unpriced ? { unpriced: row.unpriced } : {}),
      };
    });
  }

  /** The Settlement's token vault (swaps pull sold tokens through it). */
  async settlementVault(): Promise<Address> {
    this.vaultAddress ??= this.client
      .readContract({ address: this.settlement, abi: settlementAbi, functionName: 'vault' })
      .then((a) => a.toLowerCase() as Address)
      .catch((e: unknown) => {
        this.vaultAddress = undefined;
        throw e;
      });
    return this.vaultAddress;
  }

  /** The clearing house's collateral token and every listed market's parameters and state (the trade page's margin preview). */
  async markets(): Promise<{ clearingHouse: Address; collateral: Address; markets: MarketInfo[] } | undefined> {
    const house = await this.house();
    if (!house) return undefined;
    const read = { address: house, abi: clearingHouseAbi } as const;
    const [collateral, count] = await Promise.all([
      this.client.readContract({ ...read, functionName: 'collateralToken' }),
      this.client.readContract({ ...read, functionName: 'marketCount' }),
    ]);
    const ids = await Promise.all(
      Array.from({ length: Number(count) }, (_, i) => this.client.readContract({ ...read, functionName: 'marketIds', args: [BigInt(i)] })),
    );
    const halts = await this.halts(house, ids);
    const markets = await Promise.all(
      ids.map(async (id): Promise<MarketInfo> => {
        const [config, [mark, fresh], [fundingIndex], name] = await Promise.all([
          this.client.readContract({ ...read, functionName: 'marketConfig', args: [id] }),
          this.client.readContract({ ...read, functionName: 'markPrice', args: [id] }),
          this.client.readContract({ ...read, functionName: 'marketState', args: [id] }),
          this.marketName(house, id),
        ]);
        return {
          id,
          name,
          mark: mark.toString(),
          fresh,
          fundingIndex: fundingIndex.toString(),
          initialMarginFraction: config.initialMarginFraction.toString(),
          maintenanceMarginFraction: config.maintenanceMarginFraction.toString(),
          feeFraction: config.feeFraction.toString(),
          maxPriceDeviation: config.maxPriceDeviation.toString(),
          ...halts.get(id)!,
        };
      }),
    );
    return { clearingHouse: house, collateral: collateral.toLowerCase() as Address, markets: markets.sort((a, b) => a.id - b.id) };
  }
}

const WAD = 10n ** 18n;

/**
 * Per underlying market: the perp's delta (its size) plus its options' delta, and the options'
 * gamma, vega and theta (options that cannot be valued count zero).
 */
function bookGreeks(positions: AccountMargin['positions'], options: AccountOption[]): AccountMargin['greeks'] {
  const by = new Map<number, { name: string; delta: bigint; gamma: bigint; vega: bigint; theta: bigint }>();
  const at = (market: number, name: string) => {
    const g = by.get(market) ?? { name, delta: 0n, gamma: 0n, vega: 0n, theta: 0n };
    by.set(market, g);
    return g;
  };
  for (const p of positions) at(p.market, p.name).delta += BigInt(p.size);
  for (const o of options) {
    const g = at(o.market, o.name);
    g.delta += BigInt(o.delta ?? '0');
    g.gamma += BigInt(o.gamma ?? '0');
    g.vega += BigInt(o.vega ?? '0');
    g.theta += BigInt(o.theta ?? '0');
  }
  return [...by.entries()]
    .sort(([a], [b]) => a - b)
    .map(([market, g]) => ({
      market,
      name: g.name,
      delta: g.delta.toString(),
      gamma: g.gamma.toString(),
      vega: g.vega.toString(),
      theta: g.theta.toString(),
    }));
}
