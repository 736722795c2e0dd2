// Runner-up settlement (issue 4: "If the winner has not settled within a deadline, the next-best
// valid solution may settle"), with a real anvil devnet, a node process (node/cli.ts with
// --rpc-url: auction clock + chain watcher) and two solvers (solver/driver's SolverProcess, optimal
// and baseline) posting over the node's HTTP API. The optimal solver ranks first on an instance
// where splitting pays. (1) Its key holds no ETH, so it never settles: the baseline solver, ranked
// second, waits for its own window, checks the intents are still open, simulates and settles; the
// node records the settlement with the settler's rank. (2) The winner settles: the runner-up stands
// down without sending a transaction.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keccak256, parseEventLogs, parseEther, parseUnits, toHex, zeroAddress, type Hex, type LocalAccount } from 'viem';
import { mnemonicToAccount, privateKeyToAccount } from 'viem/accounts';
import pino from 'pino';
import { fundUser, startDevnet, type RunningDevnet } from '../../contracts/deploy/devnet.ts';
import { settlementAbi } from '../../contracts/artifacts/Settlement.ts';
import { ANVIL_MNEMONIC } from '../../contracts/deploy/clients.ts';
import { bondSolver } from '../../contracts/deploy/settlement.ts';
import { signSwapIntent } from '../../contracts/client/settlement.ts';
import { addNarrowPositions, devnetPoolSpecs } from '../../contracts/deploy/solver-fixtures.ts';
import { intentDomain } from '../../protocol/eip712.ts';
import { intentDigest } from '../../protocol/hash.ts';
import type { SignedIntent, SwapIntent } from '../../protocol/intent.ts';
import type { AuctionByIdResponse, AuctionResponse } from '../../protocol/api.ts';
import { NodeApi } from '../../protocol/client.ts';
import { signedIntentToJson } from '../../protocol/json.ts';
import type { AuctionOutcome } from '../../solver/driver/outcome.ts';
import { SolverProcess } from '../../solver/driver/solver-process.ts';
import { spawnNode, waitExit, type Spawned } from '../node/spawn.ts';
import { devnetReferencePrices } from '../helpers/solving-node.ts';

const INTERVAL = 2000;
const keyOf = (i: number): Hex => toHex(mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: i }).getHdKey().privateKey!);
const log = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
const DAI = (n: string): bigint => parseUnits(n, 18);
const USDC = (n: string): bigint => parseUnits(n, 6);

let running: RunningDevnet;
let node: Spawned;
let optimal: SolverProcess;
let baseline: SolverProcess;
let users: LocalAccount[];
const dir = mkdtempSync(join(tmpdir(), 'runner-up-'));
let nonce = 0n;

/** The node's API (the node process starts in beforeAll). */
const api = (): NodeApi => new NodeApi(node.api);

async function rpc(method: string, params: unknown[]): Promise<unknown> {
  const res = await fetch(running.anvil.rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return ((await res.json()) as { result: unknown }).result;
}

beforeAll(async () => {
  running = await startDevnet();
  const { clients, devnet } = running;
  await addNarrowPositions(clients, devnet, devnet.uniswapV3.pools.daiUsdc, { count: 2, width: 3, liquidity: 4n * 10n ** 18n });
  users = [0, 1, 2, 3].map((k) => privateKeyToAccount(keccak256(toHex(`runner-up-${k}`))));
  for (const u of users) await fundUser(clients, devnet, u, { dai: DAI('500000'), usdc: USDC('500000') });
  // account 1 is the devnet's bonded solver; bond account 2 as the second
  await bondSolver(clients, devnet.settlement.settlement, clients.walletFor(clients.accounts[2]!), parseEther('1'));
  const config = join(dir, 'node.json');
  const t = devnet.tokens;
  writeFileSync(
    config,
    JSON.stringify({
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
    String(INTERVAL),
    '--log-level',
    'warn',
  ]);
  const make = (strategy: 'optimal' | 'baseline', index: number): SolverProcess =>
    new SolverProcess({
      strategy,
      privateKey: keyOf(index),
      nodeUrl: node.api,
      publicClient: clients.publicClient,
      wallet: clients.walletFor(clients.accounts[index]!),
      pools: devnetPoolSpecs(devnet),
      log: log.child({ solver: strategy }),
    });
  optimal = make('optimal', 1);
  baseline = make('baseline', 2);
  await optimal.init();
  await baseline.init();
}, 120_000);

afterAll(async () => {
  if (node) {
    node.child.kill('SIGTERM');
    await waitExit(node.child);
  }
  await running?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function submitIntents(): Promise<Hex[]> {
  const { devnet, clients } = running;
  const t = devnet.tokens;
  const validTo = Number((await clients.publicClient.getBlock()).timestamp) + 600;
  // large one-sided DAI -> USDC sells: a single path leaves surplus that a split over StableSwap,
  // V3 and V2 captures, so the optimal solver's solution scores strictly higher
  const specs: Partial<SwapIntent>[] = [
    { sellToken: t.dai, buyToken: t.usdc, sellAmount: DAI('150000'), buyAmount: USDC('140000') },
    { sellToken: t.dai, buyToken: t.usdc, sellAmount: DAI('120000'), buyAmount: USDC('110000') },
  ];
  const ids: Hex[] = [];
  for (const [k, spec] of specs.entries()) {
    const owner = users[(Number(nonce) + k) % users.length]!;
    const intent: SwapIntent = {
      owner: owner.address,
      receiver: zeroAddress,
      validTo,
      nonce: nonce++,
      kind: 0,
      partiallyFillable: false,
      appData: keccak256(toHex('runner-up')),
      sellToken: t.dai,
      buyToken: t.usdc,
      sellAmount: 0n,
      buyAmount: 0n,
      ...spec,
    };
    const signed: SignedIntent = {
      type: 'swap',
      intent,
      signature: { scheme: 'eoa', data: await signSwapIntent(owner, devnet.chainId, devnet.settlement.settlement, intent) },
    };
    const id = intentDigest(signed, intentDomain(devnet.chainId, devnet.settlement.settlement)).toLowerCase() as Hex;
    // stored as new (a refusal rejects with the node's code and message)
    expect(await api().submitIntent(signedIntentToJson(signed))).toEqual({ id, state: 'open' });
    ids.push(id);
  }
  return ids;
}

/** The first auction offered to solvers that holds every one of `ids`. */
async function auctionWith(ids: Hex[]): Promise<AuctionResponse> {
  const end = Date.now() + 20_000;
  while (Date.now() < end) {
    const a = await api().auction();
    if (a.id !== null && ids.every((id) => a.intents.some((e) => e.id.toLowerCase() === id))) return a;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no auction with the intents');
}

const stateOf = async (id: Hex): Promise<string> => (await api().intent(id)).state;

describe('runner-up settlement', () => {
  it('a winner that never settles (no ETH): the runner-up settles in its own window, and the node records it', async () => {
    const { clients } = running;
    const winnerAddr = clients.accounts[1]!.address;
    const savedBalance = await clients.publicClient.getBalance({ address: winnerAddr });
    await rpc('anvil_setBalance', [winnerAddr, '0x0']);
    try {
      const ids = await submitIntents();
      const a = await auctionWith(ids);
      const [w, r] = (await Promise.all([optimal.runAuction(a), baseline.runAuction(a)])) as [AuctionOutcome, AuctionOutcome];
      const view = await api().auctionById(a.id);
      expect(view.ranking?.length).toBe(2);
      expect(view.ranking![0]!.solver).toBe(winnerAddr.toLowerCase());
      // the winner tried and could not pay for gas
      expect(w.status).toBe('submitted');
      if (w.status === 'submitted') expect(w.result.status).toBe('failed');
      // the runner-up settled, within its window
      expect(r.status).toBe('submitted');
      if (r.status !== 'submitted') return;
      expect(r.rank).toBe(1);
      expect(r.result.status).toBe('settled');
      if (r.result.status !== 'settled') return;
      const block = await clients.publicClient.getBlock({ blockNumber: r.result.receipt.blockNumber });
      const from = Date.parse(view.ranking![1]!.settleFrom);
      const until = Date.parse(view.ranking![1]!.settleUntil);
      expect(Number(block.timestamp) * 1000).toBeGreaterThanOrEqual(Math.floor(from / 1000) * 1000);
      expect(Date.now()).toBeLessThan(until + 2000);
      // the node's watcher records who settled, with its rank; the intents end filled
      let settled: AuctionByIdResponse['settlement'] = null;
      for (let k = 0; k < 100 && !settled; k++) {
        settled = (await api().auctionById(a.id)).settlement;
        if (!settled) await new Promise((res) => setTimeout(res, 100));
      }
      expect(settled).toMatchObject({ solver: clients.accounts[2]!.address.toLowerCase(), txHash: r.result.hash, rank: 1 });
      // the runner-up's bundle filled intents of this auction (the baseline may route only some)
      const fills = parseEventLogs({ abi: settlementAbi, logs: r.result.receipt.logs, eventName: 'TradeSettled' }).map(
        (e) => e.args.digest.toLowerCase() as Hex,
      );
      expect(fills.length).toBeGreaterThan(0);
      for (const id of fills) {
        expect(ids).toContain(id);
        expect(await stateOf(id)).toBe('filled');
      }
    } finally {
      await rpc('anvil_setBalance', [winnerAddr, toHex(savedBalance)]);
    }
  }, 90_000);

  it('a winner that settles: the runner-up does not submit', async () => {
    const { clients } = running;
    const runnerUp = clients.accounts[2]!.address;
    const ids = await submitIntents();
    const a = await auctionWith(ids);
    const txsBefore = await clients.publicClient.getTransactionCount({ address: runnerUp });
    const [w, r] = (await Promise.all([optimal.runAuction(a), baseline.runAuction(a)])) as [AuctionOutcome, AuctionOutcome];
    const view = await api().auctionById(a.id);
    expect(view.ranking![0]!.solver).toBe(clients.accounts[1]!.address.toLowerCase());
    expect(w.status === 'submitted' && w.result.status).toBe('settled');
    expect(['settled_by_other', 'runner_up_skipped']).toContain(r.status);
    expect(await clients.publicClient.getTransactionCount({ address: runnerUp })).toBe(txsBefore);
    expect(view.settlement).toMatchObject({ solver: clients.accounts[1]!.address.toLowerCase(), rank: 0 });
    for (const id of ids) expect(await stateOf(id)).toBe('filled');
  }, 90_000);
});
