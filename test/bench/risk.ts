// bench:risk: a seeded market simulation of the cross-margin clearing house on anvil.
// 200 accounts build random cross-margined portfolios on 3 markets through real settles of signed
// position intents (20 trades per settle across the 3 markets); then the devnet price feeder moves
// prices (random walk, jumps, and a 30% crash of every market within about a minute) while a keeper
// scans every account after each price update and liquidates those below maintenance.
// Then 60 of them take a lone position against the perp liquidity vault (PerpVault, the devnet's
// parameters and 1,000,000 DAI of LP capital) at its quote, so the vault carries the traders' net
// exposure through the crash; the keeper watches the vault like any account.
// Reports bad debt (covered by the insurance fund / uncovered), ADL, the number and gas of
// liquidations, the worst equity shortfall seen, the vault's PnL and drawdown, and the gas of a
// 20-trade position settle.
// Crash traders and the circuit breaker: at each crash update and the 2 after it, 20 fresh accounts
// (10 pairs, a dip buyer against a momentum short, one settle per pair so each refusal is per
// attempt) try to open positions at 8-8.8x leverage (initial margin 10%) in the falling markets at
// a price within 0.8% of the mark. The whole simulation runs three times in one process with the
// same seed (the crash traders draw from their own seeded stream, so the portfolios, the vault's
// positions and the price path are the same in every run): without crash traders (the figures of
// the bench before they were added), with them and no breaker, and with them and the devnet's
// DEFAULT_BREAKER_CONFIG on all 3 markets (10% within 60 s halts risk-increasing fills for 5
// minutes; the updates are 10 s apart, so the 16 rounds the breaker reads cover the window) and
// the devnet's breaker keeper (keepBreaker: the feeder observes a due trip after its ticks).
// Option books (test/bench/risk-options.ts): 30 pairs write and buy options (a third delta-hedged
// in perps in the same settle) before the crash, whose vol rise and price fall they carry.
// Writes test/bench/results/risk.json (all three runs and a side-by-side of the last two).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { keccak256, maxUint256, parseEther, toFunctionSelector, toHex, type Address, type LocalAccount } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { PositionIntent } from '../../protocol/intent.ts';
import { clearingHouseAbi } from '../../contracts/artifacts/ClearingHouse.ts';
import { settlementAbi } from '../../contracts/artifacts/Settlement.ts';
import { testTokenAbi } from '../../contracts/artifacts/TestToken.ts';
import { confirm } from '../../contracts/deploy/clients.ts';
import { circuitBreakerAbi } from '../../contracts/artifacts/CircuitBreaker.ts';
import { type BreakerConfig, DEFAULT_BREAKER_CONFIG, deployCircuitBreaker } from '../../contracts/deploy/circuit-breaker.ts';
import { devnetPriceFeedAbi } from '../../contracts/artifacts/DevnetPriceFeed.ts';
import { startDevnet } from '../../contracts/deploy/devnet.ts';
import { DEVNET_PERP_MARKETS, deployDevnetPerp, WAD } from '../../contracts/deploy/perp.ts';
import { encodePositionBatch, encodePositionTrade, type PositionTrade, signPositionIntent } from '../../contracts/client/positions.ts';
import { spotBatch } from '../../contracts/client/settlement.ts';
import { perpVaultAbi } from '../../contracts/artifacts/PerpVault.ts';
import { DEVNET_VAULT, DEVNET_VAULT_MARKETS, deployPerpVault } from '../../contracts/deploy/perp-vault.ts';
import { vaultLiquidity } from '../../solver/infra/perp-state.ts';
import { mint } from '../../contracts/deploy/tokens.ts';
import { keepBreaker } from '../../devnet/network.ts';
import { rng as mulberry32 } from '../../devnet/rng.ts';
import { CRASH_VOL_RISE, deployRiskOptions, OPTION_PAIRS, openOptionBooks, optionExposure, raiseVols } from './risk-options.ts';

const SEED = Number(process.env.RISK_SEED ?? 20261121);
const ACCOUNTS = 200;
const STEPS = 90; // price updates, 10 s apart (15 minutes)
const CRASH_START = 40;
const CRASH_MOVES = [-0.06, -0.08, -0.05, -0.06, -0.05, -0.05]; // -30.3% over 6 updates (one minute)
const INSURANCE = parseEther('100000');
const KEEPER_COLLATERAL = parseEther('50000000');
const OPTION_KEEPER_COLLATERAL = parseEther('2000000');
const VAULT_TRADERS = 60;
// Crash traders: at crash updates 0-5 and the 2 after them, 10 pairs of fresh accounts per update.
const CRASH_TRADER_STEPS = CRASH_MOVES.length + 2;
const CRASH_PAIRS_PER_STEP = 10;
const MARKET_HALTED = toFunctionSelector('MarketHalted(uint32)');
const TOO_MANY_OPTION_POSITIONS = toFunctionSelector('TooManyOptionPositions(address)');

function rng(seed: number) {
  const next = mulberry32(seed);
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!,
  };
}

const bps = (x: bigint, b: number): bigint => (x * BigInt(Math.round(10_000 + b))) / 10_000n;
const fmt = (x: bigint): string => (Number(x) / 1e18).toLocaleString('en-US', { maximumFractionDigits: 2 });
const median = (xs: readonly bigint[]): bigint => [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))[Math.floor(xs.length / 2)] ?? 0n;

async function send(pub: Parameters<typeof confirm>[0], sent: Promise<`0x${string}`>) {
  const hash = await sent;
  try {
    return await confirm(pub, hash);
  } catch (e) {
    const tx = await pub.getTransaction({ hash }).catch((err: unknown) => String(err).slice(0, 300));
    console.error('tx', hash, tx);
    throw e;
  }
}

type RunOptions = { crashTraders: boolean; breaker?: BreakerConfig };
type CrashPair = {
  long: LocalAccount; // the dip buyer
  short: LocalAccount; // the momentum short
  market: number;
  collateral: bigint; // each of the two
  leverageBps: number; // notional / collateral, in basis points
  offsetBps: number; // clearing price vs the mark
};
type Attempt = { outcome: 'filled'; gas: bigint } | { outcome: 'halted' | 'other'; reason: string };

/** Whether a thrown error carries the MarketHalted revert (by name or by its selector in the raw data). */
function isMarketHalted(e: unknown, depth = 0): boolean {
  if (e === null || e === undefined || depth > 6) return false;
  if (typeof e === 'string') return e.includes('MarketHalted') || e.toLowerCase().includes(MARKET_HALTED);
  if (typeof e !== 'object') return false;
  const o = e as Record<string, unknown>;
  for (const key of ['errorName', 'message', 'shortMessage', 'details', 'data', 'raw', 'signature']) {
    if (isMarketHalted(o[key], depth + 1)) return true;
  }
  return isMarketHalted(o.cause, depth + 1);
}

async function simulate(o: RunOptions) {
  const started = Date.now();
  const r = rng(SEED);
  // The crash traders draw from their own stream: the main one (portfolios, vault, prices) is the
  // same with or without them.
  const cr = rng((SEED ^ 0x5f3759df) >>> 0);
  // and so do the option books (test/bench/risk-options.ts)
  const or = rng((SEED ^ 0x0b7105) >>> 0);
  const running = await startDevnet({ anvil: { accounts: 10 } });
  try {
    const { clients, devnet } = running;
    const pub = clients.publicClient;
    const perp = await deployDevnetPerp(clients, devnet);
    const ch = perp.clearingHouse;
    const dai = devnet.tokens.dai;
    const settlementAddress = devnet.settlement.settlement;
    const solver = clients.walletFor(devnet.solver);
    const keeper = clients.accounts[2]!;
    // liquidators of option holders (anvil's accounts 4-9, ether included), each up to 4 series
    const optionKeepers = clients.accounts.slice(4, 10);
    let optionKeeper = 0;
    const deployer = clients.deployer;

    // Collateral: the deployer mints and deposits for everyone (deposit credits any account).
    await mint(clients, dai, deployer.account.address, parseEther('100000000'));
    await send(pub, deployer.writeContract({ address: dai, abi: testTokenAbi, functionName: 'approve', args: [ch, maxUint256] }));
    await send(pub, deployer.writeContract({ address: ch, abi: clearingHouseAbi, functionName: 'fundInsurance', args: [INSURANCE] }));
    await send(
      pub,
      deployer.writeContract({ address: ch, abi: clearingHouseAbi, functionName: 'deposit', args: [keeper.address, KEEPER_COLLATERAL] }),
    );
    for (const k of optionKeepers)
      await send(
        pub,
        deployer.writeContract({
          address: ch,
          abi: clearingHouseAbi,
          functionName: 'deposit',
          args: [k.address, OPTION_KEEPER_COLLATERAL],
        }),
      );
    const traders: LocalAccount[] = Array.from({ length: ACCOUNTS }, (_, i) => privateKeyToAccount(keccak256(toHex(`risk-${SEED}-${i}`))));
    const collateralOf = new Map<Address, bigint>();
    for (const t of traders) {
      const amount = parseEther(String(r.int(1_000, 50_000)));
      collateralOf.set(t.address, amount);
      await send(pub, deployer.writeContract({ address: ch, abi: clearingHouseAbi, functionName: 'deposit', args: [t.address, amount] }));
    }
    // Crash traders: fresh accounts, each pair with the same collateral (2,000-20,000 DAI each).
    const crashPairs: CrashPair[][] = [];
    if (o.crashTraders) {
      for (let k = 0; k < CRASH_TRADER_STEPS; k++) {
        const pairs: CrashPair[] = [];
        for (let p = 0; p < CRASH_PAIRS_PER_STEP; p++) {
          const [long, short] = [0, 1].map((j) => privateKeyToAccount(keccak256(toHex(`risk-${SEED}-crash-${k}-${2 * p + j}`)))) as [
            LocalAccount,
            LocalAccount,
          ];
          const collateral = parseEther(String(cr.int(2_000, 20_000)));
          pairs.push({
            long,
            short,
            market: DEVNET_PERP_MARKETS[p % 3]!.id,
            collateral,
            leverageBps: cr.int(80_000, 88_000),
            offsetBps: cr.int(-80, 80),
          });
          for (const acct of [long, short]) {
            await send(
              pub,
              deployer.writeContract({ address: ch, abi: clearingHouseAbi, functionName: 'deposit', args: [acct.address, collateral] }),
            );
          }
        }
        crashPairs.push(pairs);
      }
    }

    // Oracle answers (8 decimals) and marks (18 decimals).
    const answers = new Map<number, bigint>(DEVNET_PERP_MARKETS.map((m) => [m.id, m.answer]));
    const mark = (id: number): bigint => answers.get(id)! * 10n ** 10n;
    const markets = DEVNET_PERP_MARKETS.map((m) => m.id);

    // ---------------------------------------------------------------- portfolios
    // Two pairing rounds: each pair takes opposite sides of one market, so accounts end with 1-3
    // legs on random markets and sides. Leg notional: 1-4x the smaller collateral, capped so an
    // account's total notional stays under 8x its collateral (IMF 10%).
    const nonce = new Map<Address, bigint>();
    const plannedNotional = new Map<Address, bigint>();
    const validTo = Number((await pub.getBlock()).timestamp) + 86_400;
    type Leg = { a: LocalAccount; b: LocalAccount; market: number; size: bigint };
    const legs: Leg[] = [];
    for (let round = 0; round < 3; round++) {
      const shuffled = [...traders].sort(() => r.next() - 0.5);
      for (let i = 0; i + 1 < shuffled.length; i += 2) {
        const a = shuffled[i]!;
        const b = shuffled[i + 1]!;
        const market = markets[legs.length % 3]!;
        const base = [collateralOf.get(a.address)!, collateralOf.get(b.address)!].reduce((x, y) => (x < y ? x : y));
        let notional = (base * BigInt(r.int(100, 400))) / 100n;
        for (const acct of [a, b]) {
          const room = collateralOf.get(acct.address)! * 8n - (plannedNotional.get(acct.address) ?? 0n);
          if (notional > room) notional = room;
        }
        if (notional <= parseEther('100')) continue;
        for (const acct of [a, b]) plannedNotional.set(acct.address, (plannedNotional.get(acct.address) ?? 0n) + notional);
        const size = (notional * WAD) / mark(market) + BigInt(r.int(0, 999_999));
        legs.push(r.next() < 0.5 ? { a, b, market, size } : { a: b, b: a, market, size });
      }
    }
    const read = <T>(functionName: string, args: readonly unknown[]): Promise<T> =>
      pub.readContract({ address: ch, abi: clearingHouseAbi, functionName: functionName as never, args: args as never }) as Promise<T>;
    const settleGas: bigint[] = [];
    /** A fill-or-kill position intent of `acct` in `market`, limited 1% beyond `price`, signed and encoded for `ids`. */
    const signLeg = async (ids: number[], acct: LocalAccount, market: number, sizeDelta: bigint, price: bigint) => {
      const n = nonce.get(acct.address) ?? 0n;
      nonce.set(acct.address, n + 1n);
      const intent: PositionIntent = {
        account: acct.address,
        market,
        sizeDelta,
        limitPrice: sizeDelta > 0n ? bps(price, 100) : bps(price, -100),
        reduceOnly: false,
        partiallyFillable: false,
        validTo,
        nonce: n,
      };
      return encodePositionTrade(ids, intent, await signPositionIntent(acct, devnet.chainId, settlementAddress, intent));
    };
    /** A settle batch with only a position leg. */
    const positionsBatch = (auctionId: bigint, ids: number[], prices: bigint[], trades: PositionTrade[]) => ({
      ...spotBatch({ auctionId, tokens: [], clearingPrices: [], trades: [], interactions: [] }),
      positions: encodePositionBatch({ markets: ids, prices, trades }),
    });
    const settleLegs = async (chunk: readonly Leg[], auctionId: bigint): Promise<bigint> => {
      const ids = [...new Set(chunk.map((l) => l.market))].sort((x, y) => x - y);
      const prices = ids.map((id) => bps(mark(id), r.int(-30, 30)));
      const trades = [];
      for (const leg of chunk) {
        const price = prices[ids.indexOf(leg.market)]!;
        for (const [acct, size] of [
          [leg.a, leg.size],
          [leg.b, -leg.size],
        ] as const) {
          trades.push(await signLeg(ids, acct, leg.market, size, price));
        }
      }
      const batch = positionsBatch(auctionId, ids, prices, trades);
      // eth_estimateGas on anvil comes out slightly short for these settles (the ClearingHouse call
      // gets 63/64 of what is left and runs out), so the solver adds 25% headroom.
      const estimate = await pub.estimateContractGas({
        account: devnet.solver,
        address: settlementAddress,
        abi: settlementAbi,
        functionName: 'settle',
        args: [batch],
      });
      const receipt = await send(
        pub,
        solver.writeContract({
          address: settlementAddress,
          abi: settlementAbi,
          functionName: 'settle',
          args: [batch],
          gas: (estimate * 5n) / 4n,
        }),
      );
      return receipt.gasUsed;
    };
    for (let i = 0; i < legs.length; i += 10) settleGas.push(await settleLegs(legs.slice(i, i + 10), BigInt(i)));
    // Steady state: 10 pairs that already hold these positions add 10% to them, 3 markets, 20 trades.
    const settleGas3Markets: bigint[] = [];
    for (let k = 0; k < 3; k++) {
      const chunk = legs.slice(k * 10, k * 10 + 10).map((l) => ({ ...l, size: l.size / 10n }));
      if (new Set(chunk.map((l) => l.market)).size === 3) settleGas3Markets.push(await settleLegs(chunk, 1000n + BigInt(k)));
    }
    console.log(`portfolios: ${legs.length} legs in ${settleGas.length} settles (${Date.now() - started} ms)`);

    // ---------------------------------------------------------------- the vault as counterparty
    // Each of VAULT_TRADERS accounts takes one lone position (random market and side, 0.5-2x its
    // collateral, within its 8x cap) that nobody else offsets: the vault takes it at its quote.
    const vault = await deployPerpVault(clients, { clearingHouse: ch, collateral: dai, markets: DEVNET_VAULT_MARKETS, ...DEVNET_VAULT });
    const navOf = (): Promise<bigint> => pub.readContract({ address: vault, abi: perpVaultAbi, functionName: 'totalAssets' });
    const vaultFills: { market: number; size: bigint; price: bigint; mark: bigint }[] = [];
    let vaultRefused = 0;
    for (const t of traders.slice(0, VAULT_TRADERS)) {
      const market = r.pick(markets);
      const room = collateralOf.get(t.address)! * 8n - (plannedNotional.get(t.address) ?? 0n);
      let notional = (collateralOf.get(t.address)! * BigInt(r.int(50, 200))) / 100n;
      if (notional > room) notional = room;
      if (notional <= parseEther('100')) continue;
      const size = ((notional * WAD) / mark(market)) * (r.next() < 0.5 ? 1n : -1n);
      const price = await pub
        .readContract({ address: vault, abi: perpVaultAbi, functionName: 'quote', args: [market, -size] })
        .catch(() => undefined);
      if (price === undefined) {
        vaultRefused++;
        continue;
      }
      const n = nonce.get(t.address) ?? 0n;
      nonce.set(t.address, n + 1n);
      const intent: PositionIntent = {
        account: t.address,
        market,
        sizeDelta: size,
        limitPrice: size > 0n ? bps(mark(market), 200) : bps(mark(market), -200),
        reduceOnly: false,
        partiallyFillable: false,
        validTo,
        nonce: n,
      };
      const ids = [market];
      const now = Number((await pub.getBlock()).timestamp);
      const l = vaultLiquidity(
        vault,
        { market, sizeDelta: -size, limitPrice: price },
        { auctionId: 5000n + BigInt(vaultFills.length), index: 0, now },
      );
      const trades = [
        encodePositionTrade(ids, intent, await signPositionIntent(t, devnet.chainId, settlementAddress, intent)),
        encodePositionTrade(ids, l.intent, l.signature.data, { eip1271: true }),
      ];
      const batch = {
        auctionId: 5000n + BigInt(vaultFills.length),
        tokens: [],
        clearingPrices: [],
        trades: [],
        interactions: [],
        options: '0x' as const,
        positions: encodePositionBatch({ markets: ids, prices: [price], trades }),
      };
      await send(
        pub,
        solver.writeContract({ address: settlementAddress, abi: settlementAbi, functionName: 'settle', args: [batch], gas: 2_000_000n }),
      );
      plannedNotional.set(t.address, (plannedNotional.get(t.address) ?? 0n) + notional);
      vaultFills.push({ market, size, price, mark: mark(market) });
    }
    // ---------------------------------------------------------------- option books
    const optionStack = await deployRiskOptions(
      clients,
      devnet,
      ch,
      markets.map((id) => ({ id, price: mark(id) })),
    );
    const optionBooks = await openOptionBooks({
      clients,
      devnet,
      clearingHouse: ch,
      options: optionStack,
      mark,
      rng: or,
      seed: SEED,
      validTo,
      firstAuctionId: 7000n,
    });
    const optionAccounts = optionBooks.accounts.map((a) => a.account.address);
    const optionExposureStart = await optionExposure(clients, optionStack, optionAccounts);
    console.log(
      `option books: ${optionBooks.settles} of ${OPTION_PAIRS} pairs opened (${optionBooks.hedgedSettles} with the perp hedge in the same settle), ${optionExposureStart.contractsHeld / WAD} contracts`,
    );

    const navStart = await navOf();
    const vaultStart = await Promise.all(markets.map(async (id) => (await read<{ size: bigint }>('position', [vault, id])).size));
    console.log(`vault: ${vaultFills.length} lone positions taken (${vaultRefused} refused by its limits); NAV ${fmt(navStart)}`);

    // ---------------------------------------------------------------- price path and keepers
    const liquidationGas: bigint[] = [];
    const optionLiquidationGas: bigint[] = [];
    const plainLiquidationGas: bigint[] = [];
    let partial = 0;
    let full = 0;
    let worstShortfall = 0n; // maintenance - equity at liquidation time, max
    let worstEquity: bigint | undefined; // lowest equity of an account at liquidation time
    let bankruptAtLiquidation = 0;
    const liquidatedAccounts = new Set<Address>();
    // the keeper watches the vault (and the crash traders) like any account
    const crashAccounts = crashPairs.flat().flatMap((p) => [p.long.address, p.short.address]);
    const active = [...traders.map((t) => t.address), vault, ...crashAccounts, ...optionAccounts];
    const optionAccountSet = new Set<Address>(optionAccounts);
    /** Liquidations the clearing house refused (the keeper's estimate reverted), by reason. */
    const liquidationRefusals = new Map<string, number>();
    const crashAccountSet = new Set<Address>(crashAccounts);

    // ---------------------------------------------------------------- circuit breaker
    let breaker: Address | undefined;
    let breakerFromBlock = 0n;
    if (o.breaker !== undefined) {
      const config = o.breaker;
      breaker = await deployCircuitBreaker(clients, { clearingHouse: ch, markets: Object.fromEntries(markets.map((id) => [id, config])) });
      breakerFromBlock = await pub.getBlockNumber();
    }
    const haltedSteps: Record<number, number[]> = Object.fromEntries(markets.map((m) => [m, [] as number[]]));

    // ---------------------------------------------------------------- crash traders
    const crashSteps: {
      step: number;
      attempts: number;
      filled: number;
      refusedMarketHalted: number;
      refusedOther: number;
      notionalFilled: string;
    }[] = [];
    const crashGas: bigint[] = [];
    const otherReasons = new Set<string>();
    const attemptOpen = async (pair: CrashPair, auctionId: bigint): Promise<Attempt> => {
      const m = pair.market;
      const ids = [m];
      const price = bps(mark(m), pair.offsetBps);
      const size = (pair.collateral * BigInt(pair.leverageBps) * WAD) / 10_000n / mark(m);
      const trades = [];
      for (const [acct, delta] of [
        [pair.long, size],
        [pair.short, -size],
      ] as const) {
        trades.push(await signLeg(ids, acct, m, delta, price));
      }
      const batch = positionsBatch(auctionId, ids, [price], trades);
      const refused = (e: unknown): Attempt =>
        isMarketHalted(e)
          ? { outcome: 'halted', reason: 'MarketHalted' }
          : { outcome: 'other', reason: String((e as { shortMessage?: string }).shortMessage ?? e).slice(0, 200) };
      let estimate: bigint;
      try {
        estimate = await pub.estimateContractGas({
          account: devnet.solver,
          address: settlementAddress,
          abi: settlementAbi,
          functionName: 'settle',
          args: [batch],
        });
      } catch (e) {
        return refused(e);
      }
      try {
        const receipt = await confirm(
          pub,
          solver.writeContract({
            address: settlementAddress,
            abi: settlementAbi,
            functionName: 'settle',
            args: [batch],
            gas: (estimate * 5n) / 4n,
          }),
        );
        return { outcome: 'filled', gas: receipt.gasUsed };
      } catch (e) {
        return refused(e);
      }
    };
    let navPeak = navStart;
    let navLow = navStart;
    let maxDrawdown = 0n;
    const path: Record<number, number[]> = Object.fromEntries(markets.map((m) => [m, [] as number[]]));

    for (let step = 0; step < STEPS; step++) {
      await pub.request({ method: 'evm_increaseTime' as never, params: [10] as never });
      const crashIndex = step - CRASH_START;
      for (const id of markets) {
        let move: number;
        if (crashIndex >= 0 && crashIndex < CRASH_MOVES.length) move = CRASH_MOVES[crashIndex]! * 10_000;
        else if (r.next() < 0.04)
          move = (r.next() < 0.5 ? -1 : 1) * r.int(200, 400); // jump 2-4%
        else move = r.int(-80, 80); // noise up to 0.8%
        answers.set(id, bps(answers.get(id)!, move));
        await send(
          pub,
          clients.deployer.writeContract({
            address: perp.feeds[id]!,
            abi: devnetPriceFeedAbi,
            functionName: 'submit',
            args: [answers.get(id)!],
          }),
        );
        path[id]!.push(Number(answers.get(id)!) / 1e8);
      }
      // A crash is a vol event: the surfaces' at-the-money vols climb to x(1 + CRASH_VOL_RISE) over it.
      if (crashIndex >= 0 && crashIndex < CRASH_MOVES.length)
        await raiseVols(clients, optionStack, markets, (CRASH_VOL_RISE * (crashIndex + 1)) / CRASH_MOVES.length);
      // The devnet's breaker keeper (the feeder, after its price ticks): records a trip (and a resume)
      // on chain when one is due. Without it nothing would store a halt: a refused settle reverts,
      // its observation with it, so a halt would last only while the move is inside the window.
      if (breaker !== undefined) await keepBreaker(clients, breaker, DEVNET_PERP_MARKETS, deployer);
      // Crash traders try to open new risk in the falling markets, one settle per pair.
      if (crashIndex >= 0 && crashIndex < crashPairs.length) {
        const row = { step, attempts: 0, filled: 0, refusedMarketHalted: 0, refusedOther: 0, notionalFilled: '0' };
        let notional = 0n;
        for (const [p, pair] of crashPairs[crashIndex]!.entries()) {
          const outcome = await attemptOpen(pair, 9000n + BigInt(crashIndex * CRASH_PAIRS_PER_STEP + p));
          row.attempts += 2;
          if (outcome.outcome === 'filled') {
            row.filled += 2;
            crashGas.push(outcome.gas);
            notional += (2n * pair.collateral * BigInt(pair.leverageBps)) / 10_000n;
          } else if (outcome.outcome === 'halted') row.refusedMarketHalted += 2;
          else {
            row.refusedOther += 2;
            otherReasons.add(outcome.reason);
          }
        }
        row.notionalFilled = fmt(notional);
        crashSteps.push(row);
      }
      if (breaker !== undefined) {
        const halts = await Promise.all(
          markets.map((id) => pub.readContract({ address: breaker, abi: circuitBreakerAbi, functionName: 'isHalted', args: [id] })),
        );
        for (const [k, id] of markets.entries()) if (halts[k]![0]) haltedSteps[id]!.push(step);
      }
      const nav = await navOf();
      if (nav > navPeak) navPeak = nav;
      if (nav < navLow) navLow = nav;
      if (navPeak - nav > maxDrawdown) maxDrawdown = navPeak - nav;
      // Keeper: scan everyone, liquidate the accounts below maintenance.
      const flags = await Promise.all(active.map((a) => read<boolean>('isLiquidatable', [a])));
      for (let k = 0; k < active.length; k++) {
        if (!flags[k]) continue;
        const account = active[k]!;
        const [equity, , maintenance] = await read<readonly [bigint, bigint, bigint]>('accountHealth', [account]);
        if (maintenance - equity > worstShortfall) worstShortfall = maintenance - equity;
        if (worstEquity === undefined || equity < worstEquity) worstEquity = equity;
        if (equity < 0n) bankruptAtLiquidation++;
        // An option holder's liquidator takes over option legs and may hold at most 4 series: those
        // go to the option keepers, the next one once the current one is full (as a liquidator
        // would open another margin account).
        const holdsOptions = optionAccountSet.has(account);
        let liquidator = holdsOptions ? optionKeepers[optionKeeper]! : keeper;
        let gas: bigint | undefined;
        for (;;) {
          try {
            gas = await pub.estimateContractGas({
              account: liquidator,
              address: ch,
              abi: clearingHouseAbi,
              functionName: 'liquidate',
              args: [account],
            });
            break;
          } catch (e) {
            const reason = String((e as { shortMessage?: string }).shortMessage ?? e).slice(0, 160);
            if (holdsOptions && reason.includes(TOO_MANY_OPTION_POSITIONS) && optionKeeper + 1 < optionKeepers.length) {
              liquidator = optionKeepers[++optionKeeper]!;
              continue;
            }
            liquidationRefusals.set(reason, (liquidationRefusals.get(reason) ?? 0) + 1);
            break;
          }
        }
        if (gas === undefined) continue;
        const receipt = await send(
          pub,
          clients.walletFor(liquidator).writeContract({
            address: ch,
            abi: clearingHouseAbi,
            functionName: 'liquidate',
            args: [account],
            gas: (gas * 5n) / 4n,
          }),
        );
        liquidationGas.push(receipt.gasUsed);
        (holdsOptions ? optionLiquidationGas : plainLiquidationGas).push(receipt.gasUsed);
        liquidatedAccounts.add(account);
        const left = await read<readonly number[]>('accountMarkets', [account]);
        if (left.length === 0) full++;
        else partial++;
      }
    }

    // Final sweep: nobody may be left below maintenance.
    const stillLiquidatable = (await Promise.all(active.map((a) => read<boolean>('isLiquidatable', [a])))).filter(Boolean).length;
    const badDebtCovered = await read<bigint>('badDebtCovered', []);
    const badDebtUncovered = await read<bigint>('badDebtUncovered', []);
    const insuranceFund = await read<bigint>('insuranceFund', []);
    const [keeperEquity, keeperInitial] = await read<readonly [bigint, bigint, bigint]>('accountHealth', [keeper.address]);
    const navEnd = await navOf();
    const optionExposureEnd = await optionExposure(clients, optionStack, optionAccounts);
    const optionLiquidated = [...liquidatedAccounts].filter((a) => optionAccountSet.has(a)).length;
    const optionStillLiquidatable = (await Promise.all(optionAccounts.map((a) => read<boolean>('isLiquidatable', [a])))).filter(
      Boolean,
    ).length;
    const vaultEnd = await Promise.all(markets.map(async (id) => (await read<{ size: bigint }>('position', [vault, id])).size));
    const mean = (xs: readonly bigint[]): number => (xs.length === 0 ? 0 : Number(xs.reduce((s, x) => s + x, 0n) / BigInt(xs.length)));

    // The breaker: how long each market was halted. Block time from the first trip to the last
    // stored end (each observation that still saw the move pushed the end out), and the updates at
    // which isHalted (what a solver sees) said halted.
    let circuitBreaker: Record<string, unknown> | null = null;
    if (breaker !== undefined) {
      const trips = await pub.getContractEvents({
        address: breaker,
        abi: circuitBreakerAbi,
        eventName: 'CircuitBreakerTripped',
        fromBlock: breakerFromBlock,
      });
      const endTs = (await pub.getBlock()).timestamp;
      const perMarket: Record<number, unknown> = {};
      for (const id of markets) {
        const mine = trips.filter((e) => e.args.market === id);
        const steps = haltedSteps[id]!;
        if (mine.length === 0) {
          perMarket[id] = { tripped: false, haltedUpdates: steps.length };
          continue;
        }
        const first = mine[0]!;
        const firstTs = (await pub.getBlock({ blockNumber: first.blockNumber })).timestamp;
        const until = mine.reduce((m, e) => (e.args.haltedUntil! > m ? e.args.haltedUntil! : m), 0n);
        perMarket[id] = {
          tripped: true,
          tripEvents: mine.length,
          firstTrip: { fromPrice: Number(first.args.fromPrice!) / 1e8, toPrice: Number(first.args.toPrice!) / 1e8 },
          haltedSeconds: Number(until - firstTs),
          haltEndedBeforeRunEnd: until <= endTs,
          haltedUpdates: steps.length,
          firstHaltedStep: steps[0] ?? null,
          lastHaltedStep: steps.at(-1) ?? null,
        };
      }
      circuitBreaker = {
        config: {
          maxMove: Number(o.breaker!.maxMove) / 1e18,
          windowSeconds: o.breaker!.window,
          cooldownSeconds: o.breaker!.cooldown,
        },
        markets: perMarket,
      };
    }
    const crashTotals = {
      attempts: crashSteps.reduce((t, x) => t + x.attempts, 0),
      filled: crashSteps.reduce((t, x) => t + x.filled, 0),
      refusedMarketHalted: crashSteps.reduce((t, x) => t + x.refusedMarketHalted, 0),
      refusedOther: crashSteps.reduce((t, x) => t + x.refusedOther, 0),
    };

    const result = {
      crashTraders: o.crashTraders,
      breaker: o.breaker !== undefined,
      finalPrices: Object.fromEntries(markets.map((id) => [id, Number(answers.get(id)!) / 1e8])),
      portfolios: { legs: legs.length, settles: settleGas.length },
      badDebt: {
        coveredByInsuranceFund: fmt(badDebtCovered),
        beyondInsuranceFund: fmt(badDebtUncovered),
        insuranceFundStart: fmt(INSURANCE),
        insuranceFundEnd: fmt(insuranceFund),
        adlEvents: 0,
        socialisedByAdl: fmt(await read<bigint>('badDebtSocialised', [])),
        adlNote:
          badDebtUncovered === 0n
            ? 'the keeper liquidates; ClearingHouse.autoDeleverage is only for accounts bankrupt beyond the insurance fund, which this run never had'
            : 'bad debt went beyond the insurance fund; the bench does not run autoDeleverage',
      },
      liquidations: {
        count: liquidationGas.length,
        accountsLiquidated: liquidatedAccounts.size,
        partial,
        full,
        gasMean: mean(liquidationGas),
        gasTotal: Number(liquidationGas.reduce((t, x) => t + x, 0n)),
        gasMedian: Number(median(liquidationGas)),
        gasMax: Number(liquidationGas.reduce((m, x) => (x > m ? x : m), 0n)),
        withoutOptions: { count: plainLiquidationGas.length, gasMedian: Number(median(plainLiquidationGas)) },
        optionHolders: {
          count: optionLiquidationGas.length,
          gasMedian: Number(median(optionLiquidationGas)),
          keepersUsed: optionKeeper + 1,
        },
        bankruptAtLiquidation,
        stillLiquidatableAtEnd: stillLiquidatable,
      },
      worstShortfall: {
        maintenanceMinusEquity: fmt(worstShortfall),
        lowestEquityAtLiquidation: worstEquity === undefined ? null : fmt(worstEquity),
      },
      keeper: { equity: fmt(keeperEquity), initialRequirement: fmt(keeperInitial) },
      vault: {
        lonePositionsTaken: vaultFills.length,
        refusedByLimits: vaultRefused,
        positionsBeforeCrash: Object.fromEntries(markets.map((id, k) => [id, Number(vaultStart[k]!) / 1e18])),
        positionsAtEnd: Object.fromEntries(markets.map((id, k) => [id, Number(vaultEnd[k]!) / 1e18])),
        navStart: fmt(navStart),
        navEnd: fmt(navEnd),
        pnl: fmt(navEnd - navStart),
        navLow: fmt(navLow),
        maxDrawdown: fmt(maxDrawdown),
        maxDrawdownPct: navPeak > 0n ? Number((maxDrawdown * 1_000_000n) / navPeak) / 10_000 : 0,
        liquidated: liquidatedAccounts.has(vault),
      },
      gas: {
        positionSettle20Trades3Markets: { median: Number(median(settleGas3Markets)), samples: settleGas3Markets.map(Number) },
        perTrade: Math.round(Number(median(settleGas3Markets)) / 20),
      },
      crashOpenings:
        crashSteps.length === 0
          ? null
          : {
              ...crashTotals,
              settles: crashSteps.length * CRASH_PAIRS_PER_STEP,
              settleGasMedian: Number(median(crashGas)),
              accountsLiquidated: [...liquidatedAccounts].filter((a) => crashAccountSet.has(a)).length,
              otherReasons: [...otherReasons],
              perStep: crashSteps,
            },
      optionBooks: {
        pairs: OPTION_PAIRS,
        opened: optionBooks.settles,
        withPerpHedgeInTheSameSettle: optionBooks.hedgedSettles,
        refusedByMargin: optionBooks.refused,
        premiumPaid: fmt(optionBooks.premiumPaid),
        settleGasMedian: Number(median(optionBooks.gas)),
        atStart: { accountsHolding: optionExposureStart.accountsHolding, contracts: fmt(optionExposureStart.contractsHeld) },
        atEnd: { accountsHolding: optionExposureEnd.accountsHolding, contracts: fmt(optionExposureEnd.contractsHeld) },
        accountsLiquidated: optionLiquidated,
        stillLiquidatableAtEnd: optionStillLiquidatable,
        crashVolRise: CRASH_VOL_RISE,
      },
      liquidationRefusals: Object.fromEntries(liquidationRefusals),
      circuitBreaker,
      wallClockMs: Date.now() - started,
    };
    return result;
  } finally {
    await running.stop();
  }
}

type RunResult = Awaited<ReturnType<typeof simulate>>;

function summarise(label: string, run: RunResult): void {
  console.log(`\n  [${label}]`);
  const l = run.liquidations;
  console.log(
    `  liquidations: ${l.count} (${l.partial} partial, ${l.full} full) on ${l.accountsLiquidated} accounts; gas mean ${l.gasMean}, median ${l.gasMedian}, max ${l.gasMax}; without options ${l.withoutOptions.count} (median ${l.withoutOptions.gasMedian}), option holders ${l.optionHolders.count} (median ${l.optionHolders.gasMedian}, ${l.optionHolders.keepersUsed} liquidator accounts)`,
  );
  const b = run.badDebt;
  console.log(
    `  bad debt: covered by insurance ${b.coveredByInsuranceFund}, beyond insurance ${b.beyondInsuranceFund}; ADL ${b.socialisedByAdl}; insurance fund ${b.insuranceFundStart} -> ${b.insuranceFundEnd}`,
  );
  console.log(
    `  worst shortfall at liquidation (maintenance - equity): ${run.worstShortfall.maintenanceMinusEquity}; lowest equity ${run.worstShortfall.lowestEquityAtLiquidation}; bankrupt when liquidated: ${l.bankruptAtLiquidation}`,
  );
  console.log(`  still liquidatable at end: ${l.stillLiquidatableAtEnd}`);
  const v = run.vault;
  console.log(
    `  vault: ${v.lonePositionsTaken} lone positions taken; NAV ${v.navStart} -> ${v.navEnd} (PnL ${v.pnl}), max drawdown ${v.maxDrawdown} (${v.maxDrawdownPct}%), liquidated: ${v.liquidated}`,
  );
  console.log(
    `  settle with 20 position trades across 3 markets: ${run.gas.positionSettle20Trades3Markets.median} gas (${run.gas.perTrade}/trade)`,
  );
  if (run.crashOpenings !== null) {
    const c = run.crashOpenings;
    console.log(
      `  crash openings: ${c.attempts} attempts in ${c.settles} settles: ${c.filled} filled, ${c.refusedMarketHalted} refused MarketHalted, ${c.refusedOther} refused otherwise; ${c.accountsLiquidated} crash-trader accounts liquidated`,
    );
    console.log(`  per update (step: filled/attempts): ${c.perStep.map((x) => `${x.step}: ${x.filled}/${x.attempts}`).join(', ')}`);
    if (c.otherReasons.length > 0) console.log(`  other refusals: ${c.otherReasons.join(' | ')}`);
  }
  if (run.circuitBreaker !== null) console.log(`  breaker: ${JSON.stringify(run.circuitBreaker.markets)}`);
  const o = run.optionBooks;
  console.log(
    `  option books: ${o.opened}/${o.pairs} pairs opened (${o.withPerpHedgeInTheSameSettle} with the perp hedge in the same settle, ${o.refusedByMargin} refused by margin), premium ${o.premiumPaid}, settle gas median ${o.settleGasMedian}; contracts ${o.atStart.contracts} -> ${o.atEnd.contracts} on ${o.atStart.accountsHolding} -> ${o.atEnd.accountsHolding} accounts; ${o.accountsLiquidated} option accounts liquidated, ${o.stillLiquidatableAtEnd} still liquidatable at end`,
  );
  const refusals = Object.entries(run.liquidationRefusals);
  if (refusals.length > 0)
    console.log(`  liquidations refused by the clearing house: ${refusals.map(([r, n]) => `${n}x ${r}`).join(' | ')}`);
  console.log(`  (${run.wallClockMs} ms)`);
}

async function main(): Promise<void> {
  const started = Date.now();
  const withoutCrashTraders = await simulate({ crashTraders: false });
  console.log(`run 1/3 (no crash traders, no breaker) done (${Date.now() - started} ms)`);
  const noBreaker = await simulate({ crashTraders: true });
  console.log(`run 2/3 (crash traders, no breaker) done (${Date.now() - started} ms)`);
  const withBreaker = await simulate({ crashTraders: true, breaker: DEFAULT_BREAKER_CONFIG });
  console.log(`run 3/3 (crash traders, DEFAULT_BREAKER_CONFIG) done (${Date.now() - started} ms)`);

  const side = (f: (x: RunResult) => unknown) => ({ noBreaker: f(noBreaker), breaker: f(withBreaker) });
  const comparison = {
    openingAttempts: side((x) => x.crashOpenings?.attempts),
    filled: side((x) => x.crashOpenings?.filled),
    refusedMarketHalted: side((x) => x.crashOpenings?.refusedMarketHalted),
    refusedOther: side((x) => x.crashOpenings?.refusedOther),
    crashTraderAccountsLiquidated: side((x) => x.crashOpenings?.accountsLiquidated),
    liquidations: side((x) => x.liquidations.count),
    accountsLiquidated: side((x) => x.liquidations.accountsLiquidated),
    liquidationGasMedian: side((x) => x.liquidations.gasMedian),
    liquidationGasTotal: side((x) => x.liquidations.gasTotal),
    bankruptAtLiquidation: side((x) => x.liquidations.bankruptAtLiquidation),
    badDebtCoveredByInsuranceFund: side((x) => x.badDebt.coveredByInsuranceFund),
    badDebtBeyondInsuranceFund: side((x) => x.badDebt.beyondInsuranceFund),
    socialisedByAdl: side((x) => x.badDebt.socialisedByAdl),
    insuranceFundEnd: side((x) => x.badDebt.insuranceFundEnd),
    worstShortfall: side((x) => x.worstShortfall.maintenanceMinusEquity),
    lowestEquityAtLiquidation: side((x) => x.worstShortfall.lowestEquityAtLiquidation),
    vaultPnl: side((x) => x.vault.pnl),
    vaultMaxDrawdown: side((x) => x.vault.maxDrawdown),
    vaultMaxDrawdownPct: side((x) => x.vault.maxDrawdownPct),
    stillLiquidatableAtEnd: side((x) => x.liquidations.stillLiquidatableAtEnd),
    optionAccountsLiquidated: side((x) => x.optionBooks.accountsLiquidated),
    optionAccountsStillLiquidatable: side((x) => x.optionBooks.stillLiquidatableAtEnd),
    haltedSeconds: side((x) =>
      x.circuitBreaker === null
        ? null
        : Object.fromEntries(
            Object.entries(x.circuitBreaker.markets as Record<string, { haltedSeconds?: number }>).map(([id, m]) => [
              id,
              m.haltedSeconds ?? 0,
            ]),
          ),
    ),
  };
  const result = {
    seed: SEED,
    accounts: ACCOUNTS,
    markets: DEVNET_PERP_MARKETS.map((m) => m.description),
    scenario: {
      steps: STEPS,
      secondsPerStep: 10,
      crash: { startStep: CRASH_START, moves: CRASH_MOVES, total: CRASH_MOVES.reduce((p, m) => p * (1 + m), 1) - 1 },
      jumps: '4% chance per step and market of a 2-4% jump; otherwise noise up to 0.8%',
      marginFractions: { initial: 0.1, maintenance: 0.05, liquidationPenalty: 0.01, liquidatorShare: 0.5 },
      crashTraders: {
        steps: `updates ${CRASH_START}-${CRASH_START + CRASH_TRADER_STEPS - 1} (the 6 crash updates and the 2 after)`,
        perStep: `${CRASH_PAIRS_PER_STEP} pairs of fresh accounts (dip buyer long, momentum short), one settle per pair, markets ETH, BTC, SOL in turn`,
        collateral: '2,000-20,000 DAI each (the same for both of a pair)',
        leverage: '8-8.8x notional / collateral (initial margin 10%, fee 0.05%)',
        price: 'mark +/- up to 0.8% (deviation band 5%)',
      },
      optionBooks: `${OPTION_PAIRS} writer/buyer pairs of fresh accounts (5,000-50,000 DAI each), one settle per pair, a random devnet series (90/100/110% strikes, 7/30 days, calls and puts) at the model premium; every third pair with the delta hedge in perps in the same settle; the surfaces' ATM vols rise to x${1 + CRASH_VOL_RISE} over the crash`,
      breakerConfig: {
        maxMove: Number(DEFAULT_BREAKER_CONFIG.maxMove) / 1e18,
        windowSeconds: DEFAULT_BREAKER_CONFIG.window,
        cooldownSeconds: DEFAULT_BREAKER_CONFIG.cooldown,
        note: "the devnet's DEFAULT_BREAKER_CONFIG on all 3 markets; updates are 10 s apart, so the 16 rounds the breaker reads span 150 s and the 60 s window is what counts; the devnet's breaker keeper (keepBreaker) observes after every update, as the feeder does on the devnet, so a trip is stored and lasts the cooldown (refused settles revert, their observation with them)",
      },
    },
    runs: { withoutCrashTraders, noBreaker, breaker: withBreaker },
    comparison,
    wallClockMs: Date.now() - started,
  };
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'risk.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);

  console.log('\nbench:risk summary');
  console.log(
    `  ${ACCOUNTS} accounts, ${withoutCrashTraders.portfolios.legs} legs on 3 markets; ${STEPS} price updates incl. a ${(result.scenario.crash.total * 100).toFixed(1)}% crash`,
  );
  summarise('1: without crash traders, no breaker (the figures before crash traders were added)', withoutCrashTraders);
  summarise('2: crash traders, no breaker', noBreaker);
  summarise('3: crash traders, DEFAULT_BREAKER_CONFIG on all 3 markets', withBreaker);
  console.log('\n  side by side (no breaker | breaker):');
  for (const [k, v] of Object.entries(comparison))
    console.log(`  ${k.padEnd(32)} ${JSON.stringify(v.noBreaker)} | ${JSON.stringify(v.breaker)}`);
  console.log(`  wrote ${out} (${result.wallClockMs} ms)`);
}

await main();
