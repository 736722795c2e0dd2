// One bad intent must not block the others (solver/driver/isolate.ts), on a real anvil devnet with a node
// process (node/cli.ts --rpc-url) and a SolverProcess posting over the node's HTTP API. Intents are
// accepted by the node while valid and go bad afterwards, as an attacker (or a careless user) would
// do it: (1) among several valid swap intents, one owner revokes the Vault approval and another moves
// the sell tokens away after signing: the solver leaves the second out before solving (it reads the
// owners' balances), the settle would revert TransferFromFailed on the first; the solver drops it,
// re-solves, and the others settle on chain while the bad ones stay open and unfilled.
// (2) Two matched long/short pairs on one market, and one account withdraws its margin: the settle
// would revert InsufficientMargin; the solver drops that account's intent (its counterparty has no
// match left) and the other pair settles, in the same batch as a swap.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { erc20Abi, keccak256, parseEventLogs, parseUnits, toHex, zeroAddress, type Address, type Hex, type LocalAccount } from 'viem';
import { mnemonicToAccount, privateKeyToAccount } from 'viem/accounts';
import pino from 'pino';
import { fundUser, startDevnet, type RunningDevnet } from '../../contracts/deploy/devnet.ts';
import { settlementAbi } from '../../contracts/artifacts/Settlement.ts';
import { clearingHouseAbi } from '../../contracts/artifacts/ClearingHouse.ts';
import { ANVIL_MNEMONIC, confirm } from '../../contracts/deploy/clients.ts';
import { signSwapIntent } from '../../contracts/client/settlement.ts';
import { clearingHouseContract, depositCollateral, deployDevnetPerp, type PerpDeployment } from '../../contracts/deploy/perp.ts';
import { signPositionIntent } from '../../contracts/client/positions.ts';
import { addNarrowPositions, devnetPoolSpecs } from '../../contracts/deploy/solver-fixtures.ts';
import { balanceOf } from '../../contracts/deploy/tokens.ts';
import { intentDomain } from '../../protocol/eip712.ts';
import { intentDigest } from '../../protocol/hash.ts';
import type { PositionIntent, SignedIntent, SwapIntent } from '../../protocol/intent.ts';
import type { AuctionResponse } from '../../protocol/api.ts';
import { NodeApi } from '../../protocol/client.ts';
import { signedIntentToJson } from '../../protocol/json.ts';
import type { AuctionOutcome } from '../../solver/driver/outcome.ts';
import { SolverProcess } from '../../solver/driver/solver-process.ts';
import { spawnNode, waitExit, type Spawned } from '../node/spawn.ts';
import { devnetReferencePrices } from '../helpers/solving-node.ts';

const keyOf = (i: number): Hex => toHex(mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: i }).getHdKey().privateKey!);
const DAI = (n: string): bigint => parseUnits(n, 18);
const USDC = (n: string): bigint => parseUnits(n, 6);

type Line = { event?: string; auctionId?: number; intentId?: Hex; reason?: string };
const lines: Line[] = [];
const log = pino(
  { level: 'info' },
  new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Line);
      done();
    },
  }),
);

let running: RunningDevnet;
let perp: PerpDeployment;
let node: Spawned;
let solver: SolverProcess;
const dir = mkdtempSync(join(tmpdir(), 'isolate-'));
let nonce = 100n;

/** The node's API (the node process starts in beforeAll). */
const api = (): NodeApi => new NodeApi(node.api);
const stateOf = async (id: Hex): Promise<string> => (await api().intent(id)).state;

/** Waits until the node's chain watcher has seen the auction's settlement (it follows the chain a block or so behind). */
async function nodeSawSettlement(auctionId: number): Promise<void> {
  while (!(await api().auctionById(auctionId)).settlement) await new Promise((r) => setTimeout(r, 100));
}

const user = (name: string): LocalAccount => privateKeyToAccount(keccak256(toHex(`isolate-${name}`)));

beforeAll(async () => {
  running = await startDevnet();
  const { clients, devnet } = running;
  await addNarrowPositions(clients, devnet, devnet.uniswapV3.pools.daiUsdc, { count: 2, width: 3, liquidity: 4n * 10n ** 18n });
  // before the solver attaches: it reads Settlement.clearingHouse once at init
  perp = await deployDevnetPerp(clients, devnet);
  const config = join(dir, 'node.json');
  const t = devnet.tokens;
  // collateralToken: the node scores position surplus in it
  writeFileSync(
    config,
    JSON.stringify({
      collateralToken: t.dai,
      referencePrices: devnetReferencePrices(t),
    }),
  );
  node = await spawnNode([
    '--config',
    config,
    '--chain-id',
    String(devnet.chainId),
    '--settlement',
    devnet.settlement.settlement,
    '--data-dir',
    join(dir, 'node'),
    '--listen',
    '/ip4/127.0.0.1/tcp/0',
    '--api-port',
    '0',
    '--rpc-url',
    running.anvil.rpcUrl,
    '--auction-interval-ms',
    '2000',
    // isolation rounds (simulate, blame, re-solve) must fit the solve window; on a loaded machine
    // the default half interval left room for two and the test is about isolation, not speed
    '--auction-solve-window-ms',
    '4000',
    '--log-level',
    'warn',
  ]);
  // account 1: the devnet's bonded solver
  solver = new SolverProcess({
    strategy: 'optimal',
    privateKey: keyOf(1),
    nodeUrl: node.api,
    publicClient: clients.publicClient,
    wallet: clients.walletFor(clients.accounts[1]!),
    pools: devnetPoolSpecs(devnet),
    log,
  });
  await solver.init();
}, 120_000);

afterAll(async () => {
  if (node) {
    node.child.kill('SIGTERM');
    await waitExit(node.child);
  }
  await running?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Posts a signed intent to the node (which checks balance, allowance, margin on chain) and returns its id. */
async function post(signed: SignedIntent): Promise<Hex> {
  const { devnet } = running;
  const id = intentDigest(signed, intentDomain(devnet.chainId, devnet.settlement.settlement)).toLowerCase() as Hex;
  // stored as new (a refusal rejects with the node's code and message)
  expect(await api().submitIntent(signedIntentToJson(signed))).toEqual({ id, state: 'open' });
  return id;
}

async function swap(owner: LocalAccount, spec: Pick<SwapIntent, 'sellToken' | 'buyToken' | 'sellAmount' | 'buyAmount'>): Promise<Hex> {
  const { devnet, clients } = running;
  const validTo = Number((await clients.publicClient.getBlock()).timestamp) + 600;
  const intent: SwapIntent = {
    owner: owner.address,
    receiver: zeroAddress,
    validTo,
    nonce: nonce++,
    kind: 0,
    partiallyFillable: false,
    appData: keccak256(toHex('isolate')),
    ...spec,
  };
  return post({
    type: 'swap',
    intent,
    signature: { scheme: 'eoa', data: await signSwapIntent(owner, devnet.chainId, devnet.settlement.settlement, intent) },
  });
}

async function position(account: LocalAccount, sizeDelta: bigint, limitPrice: bigint): Promise<Hex> {
  const { devnet, clients } = running;
  const validTo = Number((await clients.publicClient.getBlock()).timestamp) + 600;
  const intent: PositionIntent = {
    account: account.address,
    market: 1,
    sizeDelta,
    limitPrice,
    reduceOnly: false,
    partiallyFillable: false,
    validTo,
    nonce: nonce++,
  };
  return post({
    type: 'position',
    intent,
    signature: { scheme: 'eoa', data: await signPositionIntent(account, devnet.chainId, devnet.settlement.settlement, intent) },
  });
}

/** The first auction offered to solvers that holds every one of `ids` (polls the node's auction clock). */
async function auctionWith(ids: Hex[]): Promise<AuctionResponse> {
  for (;;) {
    const a = await api().auction();
    if (a.id !== null && ids.every((id) => a.intents.some((e) => e.id.toLowerCase() === id))) return a;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function settledReceipt(out: AuctionOutcome) {
  // on failure, say what the solver logged about this auction
  const said = lines.filter((l) => (l.auctionId === out.auctionId || l.auctionId === undefined) && l.event !== 'auction_solved');
  expect(
    out.status,
    JSON.stringify({ out, said }, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)),
  ).toBe('submitted');
  if (out.status !== 'submitted') throw new Error('not submitted');
  expect(out.result.status).toBe('settled');
  if (out.result.status !== 'settled') throw new Error('not settled');
  return out.result.receipt;
}

const isolatedIn = (auctionId: number): Line[] => lines.filter((l) => l.event === 'intent_isolated' && l.auctionId === auctionId);

describe('culprit isolation on the devnet', () => {
  it('swaps: an owner who revoked the Vault approval (isolated) and one who moved the sell tokens away (left out on its balance) are dropped; the others settle', async () => {
    const { clients, devnet } = running;
    const t = devnet.tokens;
    const [alice, bob, carol, dave, erin] = ['alice', 'bob', 'carol', 'dave', 'erin'].map(user) as [
      LocalAccount,
      LocalAccount,
      LocalAccount,
      LocalAccount,
      LocalAccount,
    ];
    for (const u of [alice, bob, carol, dave, erin]) await fundUser(clients, devnet, u, { dai: DAI('50000'), usdc: USDC('50000') });
    const good = [
      await swap(alice, { sellToken: t.dai, buyToken: t.usdc, sellAmount: DAI('3000'), buyAmount: USDC('2940') }),
      await swap(bob, { sellToken: t.usdc, buyToken: t.dai, sellAmount: USDC('1000'), buyAmount: DAI('980') }),
      await swap(carol, { sellToken: t.dai, buyToken: t.usdc, sellAmount: DAI('2000'), buyAmount: USDC('1960') }),
    ];
    const revoked = await swap(dave, { sellToken: t.usdc, buyToken: t.dai, sellAmount: USDC('1500'), buyAmount: DAI('1470') });
    const emptied = await swap(erin, { sellToken: t.dai, buyToken: t.usdc, sellAmount: DAI('2500'), buyAmount: USDC('2450') });
    // accepted by the node while valid; then the owners pull the rug
    await confirm(
      clients.publicClient,
      clients
        .walletFor(dave)
        .writeContract({ address: t.usdc, abi: erc20Abi, functionName: 'approve', args: [devnet.settlement.vault, 0n] }),
    );
    const sink = user('sink').address;
    await confirm(
      clients.publicClient,
      clients.walletFor(erin).writeContract({ address: t.dai, abi: erc20Abi, functionName: 'transfer', args: [sink, DAI('50000')] }),
    );
    const daveUsdc = await balanceOf(clients, t.usdc, dave.address);

    const a = await auctionWith([...good, revoked, emptied]);
    const receipt = settledReceipt(await solver.runAuction(a));

    await nodeSawSettlement(a.id!);
    const fills = parseEventLogs({ abi: settlementAbi, logs: receipt.logs, eventName: 'TradeSettled' }).map(
      (e) => e.args.digest.toLowerCase() as Hex,
    );
    expect(fills.sort()).toEqual([...good].sort());
    for (const id of good) expect(await stateOf(id)).toBe('filled');
    // the bad ones: not filled on chain, still open at the node, the owner's tokens untouched
    for (const id of [revoked, emptied]) expect(await stateOf(id)).toBe('open');
    for (const [owner, n] of [
      [dave.address, 103n],
      [erin.address, 104n],
    ] as [Address, bigint][]) {
      expect(
        await clients.publicClient.readContract({
          address: devnet.settlement.settlement,
          abi: settlementAbi,
          functionName: 'isNonceUsed',
          args: [owner, n],
        }),
      ).toBe(false);
    }
    expect(await balanceOf(clients, t.usdc, dave.address)).toBe(daveUsdc);
    // the owner who moved the tokens away is left out before the solve (the solver reads the
    // owners' balances: an intent its owner cannot pay for never enters the batch)
    const solved = lines.find((l) => l.event === 'auction_solved' && l.auctionId === a.id) as Line & { unfunded?: number };
    expect(solved?.unfunded).toBe(1);
    // the revoked approval is found by isolation: one structured line, naming the revert that pointed at it
    const dropped = isolatedIn(a.id!);
    expect(dropped.map((l) => l.intentId)).toEqual([revoked]);
    for (const l of dropped) expect(l.reason).toBe('TransferFromFailed');
  }, 90_000);

  it('positions: an account that withdrew its margin is dropped; the other pair settles with a swap in the same batch', async () => {
    const { clients, devnet } = running;
    const t = devnet.tokens;
    const [pa, pb, pc, pd, swapper] = ['pa', 'pb', 'pc', 'pd', 'swapper'].map(user) as [
      LocalAccount,
      LocalAccount,
      LocalAccount,
      LocalAccount,
      LocalAccount,
    ];
    for (const u of [pa, pb, pc, pd]) {
      await fundUser(clients, devnet, u, { dai: DAI('20000') });
      await depositCollateral(clients, perp.clearingHouse, t.dai, u, DAI('10000'));
    }
    await fundUser(clients, devnet, swapper, { dai: DAI('10000') });
    const mark = DAI('3000');
    const longA = await position(pa, DAI('2'), mark + DAI('30'));
    const shortB = await position(pb, -DAI('2'), mark - DAI('30'));
    const longC = await position(pc, DAI('1'), mark + DAI('30'));
    const shortD = await position(pd, -DAI('1'), mark - DAI('30'));
    const swapId = await swap(swapper, { sellToken: t.dai, buyToken: t.usdc, sellAmount: DAI('1000'), buyAmount: USDC('980') });
    // C takes its whole margin out after the node accepted the intent
    await confirm(
      clients.publicClient,
      clients
        .walletFor(pc)
        .writeContract({ address: perp.clearingHouse, abi: clearingHouseAbi, functionName: 'withdraw', args: [DAI('10000'), pc.address] }),
    );

    const a = await auctionWith([longA, shortB, longC, shortD, swapId]);
    const receipt = settledReceipt(await solver.runAuction(a));

    const ch = clearingHouseContract(clients, perp.clearingHouse);
    expect((await ch.read.position([pa.address, 1])).size).toBe(DAI('2'));
    expect((await ch.read.position([pb.address, 1])).size).toBe(-DAI('2'));
    expect((await ch.read.position([pc.address, 1])).size).toBe(0n);
    await nodeSawSettlement(a.id!);
    expect(await stateOf(longC)).toBe('open');
    const events = parseEventLogs({ abi: [...settlementAbi, ...clearingHouseAbi], logs: receipt.logs });
    const swaps = events.filter((e) => e.eventName === 'TradeSettled').map((e) => (e.args as { digest: Hex }).digest.toLowerCase());
    expect(swaps).toContain(swapId);
    const dropped = isolatedIn(a.id!);
    const c = dropped.find((l) => l.intentId === longC);
    expect(c?.reason).toBe('InsufficientMargin');
    // the matched pair's intents are not blamed
    for (const id of [longA, shortB, swapId]) expect(dropped.map((l) => l.intentId)).not.toContain(id);
  }, 90_000);
});
