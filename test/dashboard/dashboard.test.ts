// The dashboard in a real headless Chromium against a real node on a real devnet:
// anvil + the devnet (pools, Settlement, ClearingHouse); positions opened by a settle on chain and
// the oracle moved so accounts have different margin health; a node (libp2p host, pool, HTTP API,
// auction clock, chain watcher, as node/cli.ts wires them) with two competing solver processes
// (optimal and baseline, bonded) that solve its auctions, publish signed solutions and settle when
// they win. Wallets submit swap intents over HTTP; the page must show the auctions with both
// solvers' scores, the settled trades with their transaction, the leaderboard, the accounts'
// margin, both charts, and an intent submitted while the page is open.
// Browser and node with its solvers: test/helpers/browser.ts and test/helpers/solving-node.ts.
// The screenshot goes to a temp file; UPDATE_SCREENSHOT=1 writes test/dashboard/screenshot.png
// (the one the README embeds), which is checked to be a real image of the expected size.
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keccak256, parseEther, parseUnits, toHex, zeroAddress, type Address, type Hex, type LocalAccount } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { Browser } from 'playwright-core';
import { settlementAbi } from '../../contracts/artifacts/Settlement.ts';
import { confirm } from '../../contracts/deploy/clients.ts';
import { fundUser, startDevnet, type RunningDevnet } from '../../contracts/deploy/devnet.ts';
import { depositCollateral, deployDevnetPerp, POSITION_TX_GAS, setFeedPrice, type PerpDeployment } from '../../contracts/deploy/perp.ts';
import { encodePositionBatch, encodePositionTrade, signPositionIntent } from '../../contracts/client/positions.ts';
import { bondSolver } from '../../contracts/deploy/settlement.ts';
import { circuitBreakerAbi } from '../../contracts/artifacts/CircuitBreaker.ts';
import { DEFAULT_BREAKER_CONFIG, deployCircuitBreaker } from '../../contracts/deploy/circuit-breaker.ts';
import { defaultVolBounds, deployVolatilityFeed, publishSurface } from '../../contracts/deploy/options.ts';
import { devnetSurface, smileParams } from '../../devnet/vol-model.ts';
import { devnetSeries } from '../../devnet/option-listing.ts';
import { deployOptionSeries, listSeries } from '../../contracts/deploy/option-series.ts';
import { deployOptionBook, optionBookContract } from '../../contracts/deploy/option-book.ts';
import { encodeOptionBatch, encodeOptionTrade, signOptionIntent } from '../../contracts/client/options.ts';
import { spotBatch } from '../../contracts/client/settlement.ts';
import { clearingHouseAbi } from '../../contracts/artifacts/ClearingHouse.ts';
import { volatilityFeedAbi } from '../../contracts/artifacts/VolatilityFeed.ts';
import { ln } from '../../protocol/options/black-scholes.ts';
import { referencePrices } from '../helpers/black-scholes-reference.ts';
import { signSwapIntent } from '../../contracts/client/settlement.ts';
import type { OptionSeriesResponse, VolatilityResponse } from '../../protocol/api.ts';
import type { OptionIntent, PositionIntent, SwapIntent } from '../../protocol/intent.ts';
import { signedIntentToJson } from '../../protocol/json.ts';
import { launchBrowser, pngSize, sampledColours } from '../helpers/browser.ts';
import { type SolvingNode, startSolvingNode } from '../helpers/solving-node.ts';
import { SchemaChecker } from '../node/openapi-schema.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const SCREENSHOT = join(ROOT, 'test', 'dashboard', 'screenshot.png');
const VIEWPORT = { width: 1280, height: 1100 };
const INTERVAL_MS = 1500;
const DAI = (n: string): bigint => parseUnits(n, 18);
/** The dashboard's short form of an address. */
const short = (a: string): string => `${a.slice(0, 6)}…${a.slice(-4)}`;
const USDC = (n: string): bigint => parseUnits(n, 6);
const WBTC = (n: string): bigint => parseUnits(n, 8);

let running: RunningDevnet;
let perp: PerpDeployment;
let solving: SolvingNode;
let browser: Browser | undefined;
let api = '';
let validTo = 0;
let volatilityFeed: Address;
let optionSeries: Address;
/** The 7-day at-the-money BTC call dave buys from erin. */
let btcCall = 0n;
const users: Record<string, LocalAccount> = {};
const nonces = new Map<string, bigint>();

async function submitSwap(
  owner: LocalAccount,
  spec: Pick<SwapIntent, 'sellToken' | 'buyToken' | 'sellAmount' | 'buyAmount'>,
): Promise<Hex> {
  const { devnet } = running;
  const nonce = nonces.get(owner.address) ?? 100n;
  nonces.set(owner.address, nonce + 1n);
  const intent: SwapIntent = {
    owner: owner.address,
    receiver: zeroAddress,
    validTo,
    nonce,
    kind: 0,
    partiallyFillable: false,
    appData: keccak256(toHex('dashboard')),
    ...spec,
  };
  const data = await signSwapIntent(owner, devnet.chainId, devnet.settlement.settlement, intent);
  const res = await fetch(`${api}/v1/intents`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(signedIntentToJson({ type: 'swap', intent, signature: { scheme: 'eoa', data } })),
  });
  const body = (await res.json()) as { id: Hex; error?: unknown };
  if (res.status !== 201) throw new Error(`submit failed: ${res.status} ${JSON.stringify(body)}`);
  return body.id;
}

async function waitFor<T>(what: string, f: () => Promise<T | undefined | false>, timeoutMs = 45_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

type Trade = { kind: 'swap' | 'position'; id?: Hex; txHash: Hex };
const getJson = async <T>(path: string): Promise<T> => (await fetch(`${api}${path}`)).json() as Promise<T>;

beforeAll(async () => {
  const started = Date.now();
  running = await startDevnet();
  const { clients, devnet } = running;
  perp = await deployDevnetPerp(clients, devnet);
  await bondSolver(clients, devnet.settlement.settlement, clients.walletFor(clients.accounts[2]!), parseEther('1'));
  for (const n of ['alice', 'bob', 'carol']) users[n] = privateKeyToAccount(keccak256(toHex(`dashboard-${n}`)));
  for (const u of Object.values(users)) await fundUser(clients, devnet, u, { dai: DAI('20000'), usdc: USDC('20000'), wbtc: WBTC('1') });
  validTo = Number((await clients.publicClient.getBlock()).timestamp) + 3600;

  // Positions, settled directly on chain: alice +2 and carol +3 ETH long, bob -5 short at 3,000;
  // then the ETH oracle drops to 2,850 so the three accounts show different margin health.
  const deposits = { alice: DAI('1000'), bob: DAI('3000'), carol: DAI('1200') };
  for (const [n, amount] of Object.entries(deposits))
    await depositCollateral(clients, perp.clearingHouse, devnet.tokens.dai, users[n]!, amount);
  const markets = [1];
  const legs: [string, bigint, bigint][] = [
    ['alice', DAI('2'), DAI('3010')],
    ['carol', DAI('3'), DAI('3010')],
    ['bob', -DAI('5'), DAI('2990')],
  ];
  const trades = [];
  for (const [n, sizeDelta, limitPrice] of legs) {
    const intent: PositionIntent = {
      account: users[n]!.address,
      market: 1,
      sizeDelta,
      limitPrice,
      reduceOnly: false,
      partiallyFillable: false,
      validTo,
      nonce: 1n,
    };
    trades.push(
      encodePositionTrade(markets, intent, await signPositionIntent(users[n]!, devnet.chainId, devnet.settlement.settlement, intent)),
    );
  }
  await confirm(
    clients.publicClient,
    clients.walletFor(devnet.solver).writeContract({
      address: devnet.settlement.settlement,
      abi: settlementAbi,
      functionName: 'settle',
      args: [
        {
          auctionId: 1n,
          tokens: [],
          clearingPrices: [],
          trades: [],
          interactions: [],
          options: '0x' as const,
          positions: encodePositionBatch({ markets, prices: [DAI('3000')], trades }),
        },
      ],
      gas: POSITION_TX_GAS,
    }),
  );
  // A circuit breaker halting on a 1% move within the hour: the drop to 2,850 trips it (an event)
  const breaker = await deployCircuitBreaker(clients, {
    clearingHouse: perp.clearingHouse,
    markets: { 1: { maxMove: parseEther('0.01'), window: 3600, cooldown: 3600 }, 2: DEFAULT_BREAKER_CONFIG },
  });
  await setFeedPrice(clients, perp.feeds[1]!, 2850n * 10n ** 8n);
  await confirm(
    clients.publicClient,
    clients.deployer.writeContract({ address: breaker, abi: circuitBreakerAbi, functionName: 'observe', args: [1] }),
  );

  // The options' volatility feed with the devnet's surfaces, published by the deployer as feeder.
  volatilityFeed = await deployVolatilityFeed(clients, {
    feeder: clients.deployer.account.address,
    maxAge: 3600n,
    bounds: defaultVolBounds,
  });
  for (const id of [1, 2, 3]) await publishSurface(clients, volatilityFeed, BigInt(id), devnetSurface(smileParams(id)));

  // Option series as npm start lists them (12 per market), around the marks now.
  optionSeries = await deployOptionSeries(clients, { clearingHouse: perp.clearingHouse });
  const marks = await Promise.all(
    [1, 2, 3].map(async (id) => {
      const [price] = await clients.publicClient.readContract({
        address: perp.clearingHouse,
        abi: clearingHouseAbi,
        functionName: 'markPrice',
        args: [id],
      });
      return { id, price };
    }),
  );
  for (const terms of devnetSeries(marks, (await clients.publicClient.getBlock()).timestamp)) {
    const { seriesId } = await listSeries(clients, optionSeries, terms);
    if (terms.market === 2 && terms.isCall && terms.strike === marks[1]!.price && !btcCall) btcCall = seriesId;
  }

  // Option positions: dave buys a 7-day at-the-money BTC call from erin in one settle (BTC: the ETH
  // market is halted by the breaker above, and option fills follow it).
  const book = await deployOptionBook(clients, {
    clearingHouse: perp.clearingHouse,
    settlement: devnet.settlement.settlement,
    registry: optionSeries,
    volatilityFeed,
  });
  for (const n of ['dave', 'erin']) {
    users[n] = privateKeyToAccount(keccak256(toHex(`dashboard-${n}`)));
    await fundUser(clients, devnet, users[n]!, { dai: DAI('60000') });
    await depositCollateral(clients, perp.clearingHouse, devnet.tokens.dai, users[n]!, DAI('60000'));
  }
  const buy: OptionIntent = {
    account: users.dave!.address,
    series: btcCall,
    size: DAI('1'),
    premiumLimit: DAI('6000'),
    reduceOnly: false,
    partiallyFillable: false,
    validTo,
    nonce: 7n,
  };
  const sell: OptionIntent = { ...buy, account: users.erin!.address, size: -DAI('1'), premiumLimit: DAI('1000') };
  const optionIds = [btcCall];
  const settlementAddress = devnet.settlement.settlement;
  await confirm(
    clients.publicClient,
    clients.walletFor(devnet.solver).writeContract({
      address: settlementAddress,
      abi: settlementAbi,
      functionName: 'settle',
      args: [
        {
          ...spotBatch({ auctionId: 2n, tokens: [], clearingPrices: [], trades: [], interactions: [] }),
          options: encodeOptionBatch({
            series: optionIds,
            premiums: [DAI('3000')],
            trades: [
              encodeOptionTrade(optionIds, buy, await signOptionIntent(users.dave!, devnet.chainId, settlementAddress, buy)),
              encodeOptionTrade(optionIds, sell, await signOptionIntent(users.erin!, devnet.chainId, settlementAddress, sell)),
            ],
          }),
        },
      ],
      gas: POSITION_TX_GAS,
    }),
  );
  expect(await optionBookContract(clients, book).read.positionOf([users.dave!.address, btcCall])).toBe(DAI('1'));

  // The node, as node/cli.ts builds it, with fast auctions and two competing solvers.
  solving = await startSolvingNode(running, { intervalMs: INTERVAL_MS, prefix: 'dashboard-test-', volatilityFeed, optionSeries });
  api = solving.api;
  browser = await launchBrowser();
  console.log(`dashboard test setup: ${Date.now() - started} ms`);
});

afterAll(async () => {
  await browser?.close();
  await solving?.stop();
  await running?.stop();
});

describe('dashboard in headless Chromium', () => {
  it('shows live auctions with both solvers scored, settled trades, leaderboard, margin health and a new open intent', async () => {
    const { devnet } = running;
    const t = devnet.tokens;
    const { alice, bob, carol } = users as Record<'alice' | 'bob' | 'carol', LocalAccount>;

    // Two waves of opposite DAI/USDC intents, each solved, ranked and settled in its own auction.
    const wave1 = [
      await submitSwap(alice, { sellToken: t.dai, buyToken: t.usdc, sellAmount: DAI('1500'), buyAmount: USDC('1480') }),
      await submitSwap(bob, { sellToken: t.usdc, buyToken: t.dai, sellAmount: USDC('1200'), buyAmount: DAI('1185') }),
    ];
    await waitFor('wave 1 settled', async () => {
      const { trades } = await getJson<{ trades: Trade[] }>('/v1/trades');
      return wave1.every((id) => trades.some((x) => x.id === id && x.txHash));
    });
    const wave2 = [
      await submitSwap(carol, { sellToken: t.usdc, buyToken: t.dai, sellAmount: USDC('3000'), buyAmount: DAI('2950') }),
      await submitSwap(alice, { sellToken: t.dai, buyToken: t.usdc, sellAmount: DAI('800'), buyAmount: USDC('790') }),
    ];
    await waitFor('wave 2 settled', async () => {
      const { trades } = await getJson<{ trades: Trade[] }>('/v1/trades');
      return wave2.every((id) => trades.some((x) => x.id === id && x.txHash));
    });

    // The JSON behind the page.
    // the node's chain watcher records which auction each settle was for (Settled events)
    type AuctionRow = { id: number; solutions: { solver: Address; score: string }[]; settlement: { txHash: Hex } | null };
    const auctions = await waitFor('both auctions marked settled', async () => {
      const list = (await getJson<{ auctions: AuctionRow[] }>('/v1/auctions')).auctions;
      return list.filter((a) => a.settlement).length >= 2 && list;
    });
    const settled = auctions.filter((a) => a.settlement);
    expect(Math.max(...auctions.map((a) => a.solutions.length))).toBe(2);
    const { solvers: board } = await getJson<{ solvers: { solver: Address; wins: number }[] }>('/v1/leaderboard');
    expect(board).toHaveLength(2);
    expect(board.reduce((n, r) => n + r.wins, 0)).toBeGreaterThanOrEqual(2);
    const carolMargin = await getJson<{ positions: { size: string }[]; health: number; liquidatable: boolean }>(
      `/v1/accounts/${carol.address}/margin`,
    );
    expect(carolMargin.positions[0]!.size).toBe(DAI('3').toString());
    expect(carolMargin.health).toBeGreaterThan(1);
    expect(carolMargin.health).toBeLessThan(2);
    // The chain-backed answers, as node/openapi.json documents them (test/node/openapi.test.ts checks the rest).
    const schemas = new SchemaChecker();
    for (const path of [
      '/v1/trades',
      '/v1/accounts',
      `/v1/accounts/${carol.address}/margin`,
      '/v1/dashboard/summary',
      '/v1/auctions',
      '/v1/leaderboard',
      `/v1/auctions/${settled[0]!.id}`,
      '/v1/backlog',
      '/v1/volatility',
      '/v1/circuit-breaker',
      '/v1/options/series',
    ]) {
      const res = await fetch(`${api}${path}`);
      expect(schemas.check(schemas.response('GET', path, res.status), await res.json(), path)).toEqual([]);
    }

    // The volatility surfaces, as published: one smile per tenor, fresh.
    const vol = await getJson<VolatilityResponse>('/v1/volatility');
    if (!vol.available) throw new Error(`volatility unavailable: ${vol.reason}`);
    expect(vol.markets.map((m) => m.market)).toEqual([1, 2, 3]);
    const eth = devnetSurface(smileParams(1));
    expect(vol.markets[0]!.fresh).toBe(true);
    expect(vol.markets[0]!.smiles.map((s) => BigInt(s.tenorSec))).toEqual(eth.tenors);
    expect(vol.markets[0]!.smiles.flatMap((s) => s.points.map((p) => BigInt(p.vol)))).toEqual(eth.vols);
    expect(vol.markets[0]!.smiles[0]!.points.map((p) => BigInt(p.k))).toEqual(eth.nodes);

    // The option series: 12 per market, valued at the surface's vol, which is the contract's own
    // impliedVol at the series' k and time left, and priced within 1e-9 of a float64 reference.
    const series = await getJson<OptionSeriesResponse>('/v1/options/series');
    if (!series.available) throw new Error(`series unavailable: ${series.reason}`);
    expect(series.series).toHaveLength(36);
    const { clients } = running;
    const block = await clients.publicClient.getBlock();
    const ethMark = BigInt(vol.markets[0]!.mark);
    for (const x of series.series.filter((r) => r.market === 1)) {
      expect(x.vol).not.toBeNull();
      const [chainVol] = await clients.publicClient.readContract({
        address: volatilityFeed,
        abi: volatilityFeedAbi,
        functionName: 'impliedVol',
        args: [1n, ln((BigInt(x.strike) * 10n ** 18n) / ethMark), BigInt(x.expiry) - block.timestamp],
      });
      // the node read at its own (possibly earlier) block: its time left is at most a few seconds longer
      expect(Number(BigInt(x.vol!) - chainVol) / Number(chainVol)).toBeLessThan(1e-6);
      const ref = referencePrices({
        spot: ethMark,
        strike: BigInt(x.strike),
        secondsToExpiry: BigInt(x.secondsToExpiry),
        volatility: BigInt(x.vol!),
      });
      const want = x.isCall ? ref.call : ref.put;
      expect(Math.abs(Number(x.price!) / 1e18 - want) / Number(ethMark / 10n ** 18n)).toBeLessThan(1e-9);
      expect(Number(x.delta!) / 1e18).toBeCloseTo(x.isCall ? ref.callDelta : ref.callDelta - 1, 9);
    }

    // The page.
    const page = await browser!.newPage({ viewport: VIEWPORT });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${api}/dashboard`);
    await page.waitForSelector('#status.live');
    const shown = settled.find((a) => a.solutions.length === 2) ?? settled[0]!;
    const row = page.locator(`#auctions tr[data-auction="${shown.id}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain(`#${shown.id}`);
    expect(await row.locator('.sol').count()).toBe(shown.solutions.length);
    expect(await row.locator('.winner').count()).toBe(1);
    // the backlog card: open intents and the estimated wait, the capacity behind it
    await page.locator('#stat-capacity').filter({ hasText: 'intents/s' }).waitFor();
    expect(await page.locator('#stat-backlog').textContent()).toMatch(/^\d+ of \d+ · /);
    expect(await row.locator('.tx').getAttribute('title')).toBe(shown.settlement!.txHash);
    expect(await page.locator('#trades tbody').textContent()).toContain('DAI');
    // dave's option fill and erin's, each with the series read from the registry
    expect(await page.locator('#trades tbody').textContent()).toMatch(/bought 1\.000 BTC \/ USD call 100,000 @ [\d,]+\.\d\d/);
    expect(await page.locator('#trades tbody').textContent()).toMatch(/wrote 1\.000 BTC \/ USD call 100,000/);
    expect(await page.locator('#trades tbody tr').count()).toBeGreaterThanOrEqual(4 + 3);
    expect(await page.locator('#leaderboard tbody tr').count()).toBe(2);
    expect(await page.locator('#accounts tbody tr').count()).toBeGreaterThanOrEqual(3);
    expect(await page.locator('#accounts tbody').textContent()).toContain('1.7');
    // Charts: one bar per ranked auction, one bar per account with a position.
    expect(await page.locator('#surplus-chart rect.bar').count()).toBeGreaterThanOrEqual(2);
    // (alice, bob and carol's perps; dave's and erin's options)
    expect(await page.locator('#margin-chart rect.hbar').count()).toBe(5);
    // option positions in the accounts table: dave's long BTC call with its value, and the book's greeks
    await page.locator('#accounts tbody td.wrap', { hasText: 'BTC / USD call' }).first().waitFor();
    const daveRow = page.locator('#accounts tbody tr', { hasText: short(users.dave!.address.toLowerCase()) });
    expect(await daveRow.textContent()).toMatch(/1\.000 BTC \/ USD call 100,000 \(value [\d,]+\.\d\d\)/);
    expect(await daveRow.locator('.greeks').textContent()).toMatch(/^BTC \/ USD: Δ 0\.5\d\d Γ /);
    // the circuit breakers: ETH halted (the card and the event), BTC trading
    await page.locator('#breaker-markets .card[data-market="1"]').waitFor();
    expect(await page.locator('#breaker-markets .card[data-market="1"] .breaker-state').textContent()).toBe('halted');
    expect(await page.locator('#breaker-markets .card[data-market="2"] .breaker-state').textContent()).toBe('trading');
    expect(await page.locator('#breaker-events tbody tr.halted').count()).toBe(1);
    expect(await page.locator('#breaker-events tbody tr.halted').textContent()).toContain('-5.0%');
    // the smile chart: one line per tenor of the first market; another market's tab redraws it
    await page.locator('#vol-chart polyline.smile').first().waitFor();
    expect(await page.locator('#vol-chart polyline.smile').count()).toBe(eth.tenors.length);
    expect(await page.locator('#vol-note').textContent()).toContain('fresh');
    await page.locator('#option-series tbody tr[data-series]').first().waitFor();
    expect(await page.locator('#option-series tbody tr[data-series]').count()).toBe(12);
    expect(await page.locator('#option-series tbody td.price').count()).toBe(12);
    await page.locator('#vol-markets button[data-market="2"]').click();
    await page.locator('#vol-markets button.on[data-market="2"]').waitFor();
    expect(await page.locator('#vol-chart polyline.smile').count()).toBe(devnetSurface(smileParams(2)).tenors.length);
    // open interest from the option book: dave's BTC call holds the one contract open, the others none
    await page.locator(`#option-series tbody tr[data-series="${btcCall}"]`).waitFor();
    expect(await page.locator(`#option-series tbody tr[data-series="${btcCall}"] td.oi`).textContent()).toBe('1.00');
    expect(await page.locator('#option-series tbody td.oi', { hasText: /^0\.00$/ }).count()).toBe(11);

    // Live: an intent submitted now (a WBTC sale far above the market: nobody fills it) appears.
    const open = await submitSwap(carol, { sellToken: t.wbtc, buyToken: t.usdc, sellAmount: WBTC('0.5'), buyAmount: USDC('5000000') });
    await page.locator(`#open-intents tr[data-intent="${open}"]`).waitFor({ timeout: 10_000 });
    expect(await page.locator(`#open-intents tr[data-intent="${open}"]`).textContent()).toContain('WBTC');
    expect(errors).toEqual([]);

    // Screenshot: a real, non-blank image of the viewport's width.
    const png = await page.screenshot({ fullPage: true });
    const size = pngSize(png);
    expect(size.width).toBe(VIEWPORT.width);
    expect(size.height).toBeGreaterThanOrEqual(VIEWPORT.height);
    // Distinct colours in a sample of the screenshot's pixels, decoded by the browser itself.
    const colours = await sampledColours(page, png);
    expect(colours).toBeGreaterThan(50);
    const out = process.env.UPDATE_SCREENSHOT ? SCREENSHOT : join(tmpdir(), 'dashboard-screenshot.png');
    writeFileSync(out, png);
    console.log(`dashboard screenshot: ${out} (${size.width}x${size.height}, ${png.length} bytes, ${colours} colours sampled)`);
    await page.close();
  }, 120_000);

  it('the screenshot checked in for the README is a real image of the dashboard size', () => {
    const png = readFileSync(SCREENSHOT);
    const size = pngSize(png);
    expect(size.width).toBe(VIEWPORT.width);
    expect(size.height).toBeGreaterThanOrEqual(VIEWPORT.height);
    expect(png.length).toBeGreaterThan(50_000);
  });
});
