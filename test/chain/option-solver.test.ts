// Option intents through the off-chain parts on a real chain: the node's chain checker accepts two
// users' crossing option intents and refuses what cannot settle (no option book yet, an unknown
// series, an expired one), the solver reads the series (infra/option-state.ts), clears them at one
// premium (domain/option-clearing.ts), the nodes' scoring rule accepts its solution, and the
// bundle (driver/bundle.ts) settles on anvil within the protocol's gas bound.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keccak256, parseUnits, toHex, type Address, type Hex, type LocalAccount } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { settlementAbi } from '../../contracts/artifacts/Settlement.ts';
import { signOptionIntent } from '../../contracts/client/options.ts';
import { confirm } from '../../contracts/deploy/clients.ts';
import { fundUser, startDevnet, type RunningDevnet } from '../../contracts/deploy/devnet.ts';
import { deployOptionBook, optionBookContract } from '../../contracts/deploy/option-book.ts';
import { deployOptionSeries, listSeries } from '../../contracts/deploy/option-series.ts';
import { defaultVolBounds, deployVolatilityFeed, publishSurface } from '../../contracts/deploy/options.ts';
import { depositCollateral, deployDevnetPerp, type PerpDeployment } from '../../contracts/deploy/perp.ts';
import { increaseTime } from '../../contracts/deploy/timelock.ts';
import { ViemChainChecker } from '../../node/chain/checker.ts';
import { silentLogger } from '../../node/log.ts';
import { solutionGas } from '../../protocol/batch-gas.ts';
import { intentDomain } from '../../protocol/eip712.ts';
import { domainSeparator, intentDigest } from '../../protocol/hash.ts';
import { verifySignedIntent } from '../../protocol/verify.ts';
import type { OptionIntent, SignedIntent } from '../../protocol/intent.ts';
import { type Auction, PRICE_SCALE, scoreSolution } from '../../protocol/score.ts';
import { solveAuction } from '../../solver/domain/solve-auction.ts';
import { buildBatch } from '../../solver/driver/bundle.ts';
import { ownOptionLiquidity, readOptionContracts, readOptionState } from '../../solver/infra/option-state.ts';

const DAI = (n: string): bigint => parseUnits(n, 18);

let running: RunningDevnet;
let perp: PerpDeployment;
let book: Address;
let series: bigint;
let shortLived: bigint;
/** Three more calls: with `series`, the four an account may hold (OptionBook.MAX_ACCOUNT_OPTIONS). */
let more: bigint[] = [];
let alice: LocalAccount;
let bob: LocalAccount;
let settlement: Address;
let checker: ViemChainChecker;
let beforeBook: Awaited<ReturnType<ViemChainChecker['check']>>;

async function signed(account: LocalAccount, o: Omit<OptionIntent, 'account'>): Promise<SignedIntent & { id: Hex }> {
  const intent = { ...o, account: account.address };
  const data = await signOptionIntent(account, running.devnet.chainId, settlement, intent);
  const s: SignedIntent = { type: 'option', intent, signature: { scheme: 'eoa', data } };
  return { ...s, id: intentDigest(s, intentDomain(running.devnet.chainId, settlement)).toLowerCase() as Hex };
}

const check = (s: SignedIntent & { id: Hex }) => checker.check(s, s.id, false);
/** A checker that reads the latest block (a checker asks for the block number at most every 500 ms). */
const freshCheck = (s: SignedIntent & { id: Hex }) =>
  new ViemChainChecker({ client: running.clients.publicClient, settlement, log: silentLogger() }).check(s, s.id, false);

beforeAll(async () => {
  running = await startDevnet();
  const { clients, devnet } = running;
  settlement = devnet.settlement.settlement;
  perp = await deployDevnetPerp(clients, devnet);
  checker = new ViemChainChecker({ client: clients.publicClient, settlement, log: silentLogger() });
  alice = privateKeyToAccount(keccak256(toHex('option-solver-alice')));
  bob = privateKeyToAccount(keccak256(toHex('option-solver-bob')));
  const validTo = Number((await clients.publicClient.getBlock()).timestamp) + 3600;
  // a Settlement without an option book refuses option intents with a clear code
  beforeBook = await check(
    await signed(alice, { series: 1n, size: DAI('1'), premiumLimit: 1n, reduceOnly: false, partiallyFillable: false, validTo, nonce: 1n }),
  );
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
  more = [];
  for (const strike of ['2800', '3200', '3400']) {
    const { seriesId } = await listSeries(clients, registry, { market: 1, strike: DAI(strike), expiry: now + 30n * 86_400n, isCall: true });
    more.push(seriesId);
  }
  ({ seriesId: shortLived } = await listSeries(clients, registry, { market: 1, strike: DAI('3000'), expiry: now + 7200n, isCall: false }));
  book = await deployOptionBook(clients, { clearingHouse: perp.clearingHouse, settlement, registry, volatilityFeed: feed });
  for (const who of [alice, bob]) {
    await fundUser(clients, devnet, who, { dai: DAI('10000') });
    await depositCollateral(clients, perp.clearingHouse, devnet.tokens.dai, who, DAI('10000'));
  }
  // a fresh checker: the first one's block (asked at most every 500 ms) may predate the book
  checker = new ViemChainChecker({ client: clients.publicClient, settlement, log: silentLogger() });
}, 180_000);

afterAll(async () => {
  await running?.stop();
});

describe('option intents from node checks to a settled solver bundle', () => {
  it('refuses option intents while Settlement has no option book', () => {
    expect(beforeBook).toMatchObject({ status: 'invalid', code: 'no_option_book' });
  });

  it("settles the solver's clearing of two crossing intents at one premium, within the gas bound", async () => {
    const { clients, devnet } = running;
    const block = await clients.publicClient.getBlock();
    const now = Number(block.timestamp);
    const base = { series, reduceOnly: false, partiallyFillable: false, validTo: now + 3600 };
    const buy = await signed(alice, { ...base, size: DAI('2'), premiumLimit: DAI('300'), nonce: 11n });
    const sell = await signed(bob, { ...base, size: -DAI('2'), premiumLimit: DAI('260'), nonce: 12n });
    expect(await check(buy)).toEqual({ status: 'ok' });
    expect(await check(sell)).toEqual({ status: 'ok' });
    expect(await check(await signed(alice, { ...base, series: 999n, size: DAI('1'), premiumLimit: 1n, nonce: 13n }))).toMatchObject({
      code: 'unknown_series',
    });
    expect(
      await check(await signed(bob, { ...base, reduceOnly: true, size: DAI('1'), premiumLimit: DAI('1000'), nonce: 14n })),
    ).toMatchObject({ code: 'not_reducing' });

    const auction: Auction = {
      id: 5n,
      intents: new Map([buy, sell].map((s) => [s.id, { id: s.id, intent: s }])),
      referencePrices: new Map([[devnet.tokens.dai.toLowerCase() as Address, PRICE_SCALE]]),
      collateralToken: devnet.tokens.dai.toLowerCase() as Address,
    };
    const contracts = await readOptionContracts(clients.publicClient, settlement);
    expect(contracts?.book.toLowerCase()).toBe(book.toLowerCase());
    const state = await readOptionState(clients.publicClient, contracts, undefined, auction, block.number, now);
    expect([...state.series.keys()]).toEqual([series]);
    const { solution } = solveAuction(
      auction,
      [],
      { settlement, solver: devnet.solver.address, now, strategy: 'baseline' },
      undefined,
      state,
    );
    expect(solution.optionPremiums).toEqual([{ series, premium: DAI('280') }]);
    const scored = scoreSolution(solution, auction);
    expect(scored).toMatchObject({ ok: true, value: { score: DAI('80') } });

    const ids = new Set([buy.id, sell.id]);
    const bound = solutionGas(solution, new Set(), ids);
    const batch = buildBatch(solution, new Map([buy, sell].map((s) => [s.id, s])));
    const receipt = await confirm(
      clients.publicClient,
      clients
        .walletFor(devnet.solver)
        .writeContract({ address: settlement, abi: settlementAbi, functionName: 'settle', args: [batch], gas: bound }),
    );
    expect(receipt.status).toBe('success');
    expect(receipt.gasUsed).toBeLessThanOrEqual(bound);
    console.log(`solver bundle with one option pair: ${receipt.gasUsed} gas used, bound ${bound}`);
    const b = optionBookContract(clients, book);
    expect(await b.read.positionOf([alice.address, series])).toBe(DAI('2'));
    expect(await b.read.positionOf([bob.address, series])).toBe(-DAI('2'));
    // replayed: the nonce is used
    expect(await freshCheck(buy)).toMatchObject({ code: 'nonce_used' });
  });

  it("a solver's own signed option quote takes a lone buyer: own liquidity, checked like an intent, scored nothing", async () => {
    const { clients, devnet } = running;
    const maker = privateKeyToAccount(keccak256(toHex('option-solver-maker')));
    const carol = privateKeyToAccount(keccak256(toHex('option-solver-carol')));
    for (const who of [maker, carol]) {
      await fundUser(clients, devnet, who, { dai: DAI('20000') });
      await depositCollateral(clients, perp.clearingHouse, devnet.tokens.dai, who, DAI('20000'));
    }
    const block = await clients.publicClient.getBlock();
    const now = Number(block.timestamp);
    const buy = await signed(carol, {
      series,
      size: DAI('1.5'),
      premiumLimit: DAI('300'),
      reduceOnly: false,
      partiallyFillable: false,
      validTo: now + 3600,
      nonce: 31n,
    });
    const auction: Auction = {
      id: 7n,
      intents: new Map([[buy.id, { id: buy.id, intent: buy }]]),
      referencePrices: new Map([[devnet.tokens.dai.toLowerCase() as Address, PRICE_SCALE]]),
      collateralToken: devnet.tokens.dai.toLowerCase() as Address,
    };
    const contracts = await readOptionContracts(clients.publicClient, settlement);
    const state = await readOptionState(clients.publicClient, contracts, undefined, auction, block.number, now);
    // the maker quotes what the lone buyer asks (its side: sells 1.5) at 270 a contract
    const quotes = new Map([[series, { sizeDelta: -DAI('1.5'), premium: DAI('270') }]]);
    const solved = solveAuction(auction, [], { settlement, solver: devnet.solver.address, now, strategy: 'baseline' }, undefined, {
      ...state,
      quotes,
    });
    expect(solved.optionSourceTrades).toEqual([{ series, sizeDelta: -DAI('1.5'), premiumLimit: DAI('270') }]);
    const own = await ownOptionLiquidity(maker, solved.optionSourceTrades[0]!, {
      chainId: devnet.chainId,
      settlement,
      validTo: now + 300,
      nonce: 1n,
    });
    const solution = { ...solved.solution, optionLiquidity: [own] };
    // the buyer's surplus alone: (300 - 270) x 1.5; the maker's fill scores nothing
    expect(solution.optionPremiums).toEqual([{ series, premium: DAI('270') }]);
    expect(scoreSolution(solution, auction)).toMatchObject({ ok: true, value: { score: DAI('45') } });
    // nodes verify own liquidity like an intent (node/auction/clock.ts): the maker's signature
    // holds, and the quote with any field changed (a lower premium) no longer does
    const rules = { now, domainSeparator: domainSeparator(intentDomain(devnet.chainId, settlement)) };
    expect(verifySignedIntent({ type: 'option', ...own }, rules).ok).toBe(true);
    const forged = { ...own.intent, premiumLimit: DAI('260') };
    expect(verifySignedIntent({ type: 'option', intent: forged, signature: own.signature }, rules).ok).toBe(false);

    const bound = solutionGas(solution, new Set(), new Set([buy.id]));
    const batch = buildBatch(solution, new Map([[buy.id, buy]]));
    const receipt = await confirm(
      clients.publicClient,
      clients
        .walletFor(devnet.solver)
        .writeContract({ address: settlement, abi: settlementAbi, functionName: 'settle', args: [batch], gas: bound }),
    );
    expect(receipt.status).toBe('success');
    const b = optionBookContract(clients, book);
    expect(await b.read.positionOf([carol.address, series])).toBe(DAI('1.5'));
    expect(await b.read.positionOf([maker.address, series])).toBe(-DAI('1.5'));
  });

  it('settles fills of accounts holding the most series an account may (4) within the gas bound', async () => {
    const { clients, devnet } = running;
    let nonce = 100n;
    let worst = 0n;
    for (const id of more) {
      const block = await clients.publicClient.getBlock();
      const now = Number(block.timestamp);
      const base = { series: id, reduceOnly: false, partiallyFillable: false, validTo: now + 3600 };
      const buy = await signed(alice, { ...base, size: DAI('1'), premiumLimit: DAI('600'), nonce: nonce++ });
      const sell = await signed(bob, { ...base, size: -DAI('1'), premiumLimit: DAI('1'), nonce: nonce++ });
      const auction: Auction = {
        id: 7n,
        intents: new Map([buy, sell].map((s) => [s.id, { id: s.id, intent: s }])),
        referencePrices: new Map([[devnet.tokens.dai.toLowerCase() as Address, PRICE_SCALE]]),
        collateralToken: devnet.tokens.dai.toLowerCase() as Address,
      };
      const state = await readOptionState(
        clients.publicClient,
        await readOptionContracts(clients.publicClient, settlement),
        undefined,
        auction,
        block.number,
        now,
      );
      const { solution } = solveAuction(
        auction,
        [],
        { settlement, solver: devnet.solver.address, now, strategy: 'baseline' },
        undefined,
        state,
      );
      const bound = solutionGas(solution, new Set(), new Set([buy.id, sell.id]));
      const receipt = await confirm(
        clients.publicClient,
        clients.walletFor(devnet.solver).writeContract({
          address: settlement,
          abi: settlementAbi,
          functionName: 'settle',
          args: [buildBatch(solution, new Map([buy, sell].map((s) => [s.id, s])))],
          gas: bound,
        }),
      );
      expect(receipt.status).toBe('success');
      expect(receipt.gasUsed).toBeLessThanOrEqual(bound);
      if (receipt.gasUsed > worst) worst = receipt.gasUsed;
    }
    const b = optionBookContract(clients, book);
    expect(await b.read.seriesOf([alice.address])).toHaveLength(4);
    console.log(`option pair between accounts holding 4 series: ${worst} gas at most`);
  });

  it('refuses an intent on a series that expired, and the solver leaves the series out', async () => {
    const { clients } = running;
    await increaseTime(clients, 7300n);
    const block = await clients.publicClient.getBlock();
    const now = Number(block.timestamp);
    const late = await signed(alice, {
      series: shortLived,
      size: DAI('1'),
      premiumLimit: DAI('10'),
      reduceOnly: false,
      partiallyFillable: false,
      validTo: now + 600,
      nonce: 21n,
    });
    expect(await freshCheck(late)).toMatchObject({ status: 'invalid', code: 'series_expired' });
    const auction: Auction = { id: 6n, intents: new Map([[late.id, { id: late.id, intent: late }]]), referencePrices: new Map() };
    const state = await readOptionState(
      clients.publicClient,
      await readOptionContracts(clients.publicClient, settlement),
      undefined,
      auction,
      block.number,
      now,
    );
    expect(state.series.size).toBe(0);
  });
});
