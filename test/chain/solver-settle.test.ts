// End to end on the devnet: signed intents (some opposite, some needing V2 / V3 / StableSwap routes)
// -> solve (solver/domain/solve.ts) on pool state read from the chain -> bundle -> settle on anvil as the
// bonded solver. Every user receives at least what the solution promised (the clearing-price
// amounts) and at least their signed limit; a second bonded solver submitting the same intents
// afterwards loses the race cleanly; two solvers racing in the same block: one settles, the other's
// mined revert is recognised as a lost race; a stuck bundle is replaced with higher fees.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keccak256, parseEther, parseUnits, toHex, zeroAddress, type Address, type Hex, type LocalAccount } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import pino from 'pino';
import { fundUser, startDevnet, type RunningDevnet } from '../../contracts/deploy/devnet.ts';
import { bondSolver } from '../../contracts/deploy/settlement.ts';
import { signSwapIntent } from '../../contracts/client/settlement.ts';
import { addNarrowPositions, devnetPoolSpecs, seedSettlementBuffer } from '../../contracts/deploy/solver-fixtures.ts';
import { balanceOf } from '../../contracts/deploy/tokens.ts';
import { intentDomain } from '../../protocol/eip712.ts';
import { intentDigest } from '../../protocol/hash.ts';
import { tradeAmounts, limitHolds } from '../../protocol/clearing.ts';
import type { SwapIntent } from '../../protocol/intent.ts';
import type { Auction, AuctionIntent } from '../../protocol/score.ts';
import { scoreSolution } from '../../protocol/score.ts';
import { buildBatch, type SignedSwap } from '../../solver/driver/bundle.ts';
import { BundleSubmitter } from '../../solver/driver/submitter.ts';
import { ChainLiquidity } from '../../solver/infra/chain-liquidity.ts';
import { solve } from '../../solver/domain/solve.ts';
import { signSolution } from '../../solver/driver/sign.ts';
import { decodeSignedSolution, solutionDigest } from '../../protocol/solution.ts';
import { recoverSigner } from '../../protocol/signature.ts';
import { fromHex } from '../../protocol/bytes.ts';
import { mnemonicToAccount } from 'viem/accounts';
import { ANVIL_MNEMONIC } from '../../contracts/deploy/clients.ts';

// anvil account 1, the devnet's bonded solver
const SOLVER_KEY = toHex(mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: 1 }).getHdKey().privateKey!);

const DAI = (n: string): bigint => parseUnits(n, 18);
const USDC = (n: string): bigint => parseUnits(n, 6);
const WBTC = (n: string): bigint => parseUnits(n, 8);
const log = pino({ level: process.env.LOG_LEVEL ?? 'silent' });

let running: RunningDevnet;
let chain: ChainLiquidity;
let buffers: Map<Address, bigint>;
let users: Record<string, LocalAccount>;
let validTo: number;
let nonce = 0n;
let referencePrices: Map<Address, bigint>;

beforeAll(async () => {
  running = await startDevnet();
  const { clients, devnet } = running;
  await addNarrowPositions(clients, devnet, devnet.uniswapV3.pools.daiUsdc, { count: 2, width: 3, liquidity: 4n * 10n ** 18n });
  users = Object.fromEntries(
    ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'gina'].map((n) => [n, privateKeyToAccount(keccak256(toHex(`solver-settle-${n}`)))]),
  );
  for (const u of Object.values(users)) await fundUser(clients, devnet, u, { dai: DAI('500000'), usdc: USDC('500000'), wbtc: WBTC('10') });
  // dust buffer: pure matches round in the users' favour by up to 1 wei per trade
  buffers = await seedSettlementBuffer(clients, devnet, { dai: 10n ** 6n, usdc: 1000n, wbtc: 1000n });
  await bondSolver(clients, devnet.settlement.settlement, clients.walletFor(clients.accounts[2]!), parseEther('1'));
  validTo = Number((await clients.publicClient.getBlock()).timestamp) + 3600;
  const t = devnet.tokens;
  // numeraire: USD with 18 decimals, value of 1e18 base units
  referencePrices = new Map([
    [t.dai.toLowerCase() as Address, 10n ** 18n],
    [t.usdc.toLowerCase() as Address, 10n ** 30n],
    [t.wbtc.toLowerCase() as Address, 10n ** 33n],
  ]);
  chain = await ChainLiquidity.load(clients.publicClient, devnetPoolSpecs(devnet));
});

afterAll(async () => {
  await running?.stop();
});

type Spec = Pick<SwapIntent, 'sellToken' | 'buyToken' | 'sellAmount' | 'buyAmount'> &
  Partial<Pick<SwapIntent, 'kind' | 'partiallyFillable'>>;

async function signed(owner: LocalAccount, spec: Spec): Promise<{ id: Hex } & SignedSwap> {
  const { devnet } = running;
  const intent: SwapIntent = {
    owner: owner.address,
    receiver: zeroAddress,
    validTo,
    nonce: nonce++,
    kind: 0,
    partiallyFillable: false,
    appData: keccak256(toHex('solver-settle')),
    ...spec,
  };
  const sig = await signSwapIntent(owner, devnet.chainId, devnet.settlement.settlement, intent);
  return {
    id: intentDigest({ type: 'swap', intent }, intentDomain(devnet.chainId, devnet.settlement.settlement)).toLowerCase() as Hex,
    intent,
    signature: { scheme: 'eoa', data: sig },
  };
}

function auctionOf(id: bigint, list: ({ id: Hex } & SignedSwap)[]): Auction {
  const intents = new Map<Hex, AuctionIntent>(list.map((s) => [s.id, { id: s.id, intent: { type: 'swap', intent: s.intent } }]));
  return { id, intents, referencePrices };
}

function submitter(account: LocalAccount, extra: Partial<ConstructorParameters<typeof BundleSubmitter>[0]> = {}): BundleSubmitter {
  const { clients, devnet } = running;
  return new BundleSubmitter({
    publicClient: clients.publicClient,
    wallet: clients.walletFor(account),
    settlement: devnet.settlement.settlement,
    log,
    ...extra,
  });
}

async function solveOn(auction: Auction) {
  const { clients, devnet } = running;
  await chain.refresh();
  const now = Number((await clients.publicClient.getBlock()).timestamp);
  // the buffers the solver may borrow are what the Settlement holds now (rounding of earlier batches spent some)
  const current = new Map<Address, bigint>();
  for (const token of buffers.keys()) current.set(token, await balanceOf(clients, token, devnet.settlement.settlement));
  return solve(auction, chain.snapshot(), {
    strategy: 'optimal',
    settlement: devnet.settlement.settlement,
    solver: devnet.solver.address,
    now,
    buffers: current,
  });
}

describe('solve -> bundle -> settle on anvil', () => {
  let batchIntents: ({ id: Hex } & SignedSwap)[];
  let _auction: Auction;
  const kindsUsed: string[] = [];
  let firstBatch: ReturnType<typeof buildBatch>;
  let firstSolution: Awaited<ReturnType<typeof solveOn>>['solution'];

  /** Solves, bundles and settles one auction; checks every user against the solution's promises. */
  async function settleAuction(id: bigint, list: ({ id: Hex } & SignedSwap)[]) {
    const { clients, devnet } = running;
    const auction = auctionOf(id, list);
    const { solution, stats, legs } = await solveOn(auction);
    if (process.env.DEBUG_SOLVER)
      console.log(
        stats,
        legs.map((l) => `${l.pool.kind}:${l.amountIn}->${l.amountOut}`),
      );
    expect(scoreSolution(solution, auction).ok).toBe(true);
    const byId = new Map(list.map((s) => [s.id, s]));
    const batch = buildBatch(solution, byId);
    const prices = new Map(solution.prices.map((p) => [p.token.toLowerCase(), p.price]));
    const before = new Map<Hex, { buy: bigint; sell: bigint }>();
    for (const tr of solution.trades) {
      const i = byId.get(tr.intentId)!.intent;
      before.set(tr.intentId, { buy: await balanceOf(clients, i.buyToken, i.owner), sell: await balanceOf(clients, i.sellToken, i.owner) });
    }
    const outcome = await submitter(devnet.solver).submit(batch);
    expect(outcome.status).toBe('settled');
    for (const tr of solution.trades) {
      const i = byId.get(tr.intentId)!.intent;
      const pS = prices.get(i.sellToken.toLowerCase())!;
      const pB = prices.get(i.buyToken.toLowerCase())!;
      expect(limitHolds(i, pS, pB)).toBe(true);
      const promised = tradeAmounts(i, tr.executed, pS, pB);
      const got = (await balanceOf(clients, i.buyToken, i.owner)) - before.get(tr.intentId)!.buy;
      const paid = before.get(tr.intentId)!.sell - (await balanceOf(clients, i.sellToken, i.owner));
      expect(got, `${tr.intentId} receives the promised amount`).toBeGreaterThanOrEqual(promised.buy);
      expect(paid, `${tr.intentId} pays no more than promised`).toBeLessThanOrEqual(promised.sell);
      // the signed limit, pro rata: got / paid >= buyAmount / sellAmount
      expect(got * i.sellAmount).toBeGreaterThanOrEqual(i.buyAmount * paid);
      if (i.kind === 0) expect(paid).toBe(tr.executed);
      else expect(got).toBe(tr.executed);
    }
    // the settlement never ends poorer than its buffers allow
    for (const [token, amount] of buffers)
      expect(await balanceOf(clients, token, devnet.settlement.settlement)).toBeGreaterThanOrEqual(0n * amount);
    return { solution, stats, legs, batch, auction };
  }

  it('DAI/USDC: opposite intents matched, the excess routed over StableSwap + V3 + V2; a partially fillable BUY', async () => {
    const t = running.devnet.tokens;
    batchIntents = [
      await signed(users.alice!, { sellToken: t.dai, buyToken: t.usdc, sellAmount: DAI('60000'), buyAmount: USDC('58000') }),
      await signed(users.bob!, { sellToken: t.usdc, buyToken: t.dai, sellAmount: USDC('20000'), buyAmount: DAI('19500') }),
      await signed(users.erin!, { sellToken: t.usdc, buyToken: t.dai, sellAmount: USDC('250000'), buyAmount: DAI('240000') }),
      await signed(users.frank!, {
        sellToken: t.dai,
        buyToken: t.usdc,
        sellAmount: DAI('10300'),
        buyAmount: USDC('10000'),
        kind: 1,
        partiallyFillable: true,
      }),
    ];
    const r = await settleAuction(7n, batchIntents);
    // how much the solver fills is the router's business (test/solver); here: what it fills settles
    expect(r.stats.filled).toBeGreaterThanOrEqual(2);
    expect(r.stats.matched).toBeGreaterThanOrEqual(2);
    // the signed solution (protocol codec) decodes strictly and recovers to the solver, as nodes check it
    const { devnet } = running;
    const { bytes } = signSolution(r.solution, SOLVER_KEY, devnet.chainId, devnet.settlement.settlement);
    const decoded = decodeSignedSolution(bytes);
    expect(decoded.ok).toBe(true);
    if (decoded.ok) {
      const signer = recoverSigner(
        solutionDigest(decoded.value.body, devnet.chainId, devnet.settlement.settlement),
        fromHex(decoded.value.signature),
      );
      expect(signer.ok && signer.value).toBe(devnet.solver.address.toLowerCase());
    }
    kindsUsed.push(...r.legs.map((l) => l.pool.kind));
    _auction = r.auction;
    firstBatch = r.batch;
    firstSolution = r.solution;
  });

  it('WBTC/USDC: opposite intents, the excess split over the V2 pair and the V3 pool', async () => {
    const t = running.devnet.tokens;
    const r = await settleAuction(17n, [
      await signed(users.carol!, { sellToken: t.wbtc, buyToken: t.usdc, sellAmount: WBTC('1'), buyAmount: USDC('90000') }),
      await signed(users.dave!, { sellToken: t.usdc, buyToken: t.wbtc, sellAmount: USDC('21000'), buyAmount: WBTC('0.2') }),
    ]);
    expect(r.stats.filled).toBeGreaterThanOrEqual(1);
    kindsUsed.push(...r.legs.map((l) => l.pool.kind));
  });

  it('WBTC -> DAI: a multi-hop route (no WBTC/DAI pool)', async () => {
    const t = running.devnet.tokens;
    const r = await settleAuction(27n, [
      await signed(users.gina!, { sellToken: t.wbtc, buyToken: t.dai, sellAmount: WBTC('0.3'), buyAmount: DAI('27000') }),
    ]);
    expect(r.stats.filled).toBe(1);
    expect(r.legs.length).toBeGreaterThanOrEqual(2);
    kindsUsed.push(...r.legs.map((l) => l.pool.kind));
    // over the three auctions every source type carried a settled swap
    expect(new Set(kindsUsed)).toEqual(new Set(['uniswapV2', 'uniswapV3', 'stableSwap']));
  });

  it('a second solver submitting the same intents afterwards loses the race cleanly', async () => {
    const { clients } = running;
    // the same batch on the pre-settlement auction (as a slower competitor would) and submit
    const other = submitter(clients.accounts[2]!);
    const outcome = await other.submit(firstBatch);
    expect(outcome.status).toBe('lost_race');
    // the submitter is still usable afterwards (nonce untouched by a dropped bundle)
    expect(await other.simulate(buildBatch({ ...firstSolution, trades: [], interactions: [], prices: [] }, new Map()))).toMatchObject({
      ok: true,
    });
  });
});

describe('races and stuck transactions (automine off)', () => {
  const rpc = (method: string, params: unknown[] = []) =>
    running.clients.publicClient.request({ method: method as 'eth_chainId', params: params as never });
  async function pendingCount(): Promise<number> {
    const s = (await rpc('txpool_status')) as unknown as { pending: string | number };
    return Number(s.pending);
  }
  async function until(f: () => Promise<boolean>, ms = 10_000): Promise<void> {
    const end = Date.now() + ms;
    while (!(await f())) {
      if (Date.now() > end) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('two solvers in the same block: one settles, the other sees its mined revert as a lost race', async () => {
    const { clients, devnet } = running;
    const t = devnet.tokens;
    const list = [
      await signed(users.alice!, { sellToken: t.dai, buyToken: t.usdc, sellAmount: DAI('3000'), buyAmount: USDC('2950') }),
      await signed(users.bob!, { sellToken: t.usdc, buyToken: t.dai, sellAmount: USDC('1000'), buyAmount: DAI('990') }),
    ];
    const auction = auctionOf(8n, list);
    const { solution } = await solveOn(auction);
    expect(solution.trades.length).toBeGreaterThanOrEqual(1);
    const batch = buildBatch(solution, new Map(list.map((s) => [s.id, s])));
    await rpc('evm_setAutomine', [false]);
    try {
      const a = submitter(devnet.solver, { stuckAfterMs: 20_000 }).submit(batch);
      await until(async () => (await pendingCount()) >= 1);
      const b = submitter(clients.accounts[2]!, { stuckAfterMs: 20_000 }).submit(batch);
      await until(async () => (await pendingCount()) >= 2);
      await rpc('evm_mine');
      const outcomes = await Promise.all([a, b]);
      expect(outcomes.map((o) => o.status).sort()).toEqual(['lost_race', 'settled']);
    } finally {
      await rpc('evm_setAutomine', [true]);
    }
  });

  it('a stuck bundle is replaced with higher fees (same nonce) and the replacement settles', async () => {
    const { devnet } = running;
    const t = devnet.tokens;
    const list = [await signed(users.carol!, { sellToken: t.usdc, buyToken: t.dai, sellAmount: USDC('5000'), buyAmount: DAI('4900') })];
    const { solution } = await solveOn(auctionOf(9n, list));
    const batch = buildBatch(solution, new Map(list.map((s) => [s.id, s])));
    await rpc('evm_setAutomine', [false]);
    try {
      const s = submitter(devnet.solver, { stuckAfterMs: 300 });
      const p = s.submit(batch);
      // wait for the first replacement: the pool still holds one transaction (same nonce)
      await new Promise((r) => setTimeout(r, 800));
      expect(await pendingCount()).toBe(1);
      await rpc('evm_mine');
      const outcome = await p;
      expect(outcome.status).toBe('settled');
      if (outcome.status === 'settled') expect(outcome.replacements).toBeGreaterThanOrEqual(1);
    } finally {
      await rpc('evm_setAutomine', [true]);
    }
  });
});
