// The node against a real anvil with the real Settlement contract: on-chain checks (balance,
// allowance, nonce) per block, an RPC endpoint that hangs (validation degrades to off-chain
// checks, says so in logs and metrics, and recovers), and the chain watcher following
// NoncesInvalidated through a reorg (evm_revert + new blocks) by block hash.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEther, parseUnits, type Address, type Hex, type LocalAccount } from 'viem';
import { settlementAbi } from '../../contracts/artifacts/Settlement.ts';
import { startAnvil, type Anvil } from '../../contracts/deploy/anvil.ts';
import { confirm, devnetClients, type DevnetClients } from '../../contracts/deploy/clients.ts';
import { bondSolver, deploySettlement } from '../../contracts/deploy/settlement.ts';
import { encodeTrade, signSwapIntent, sortAddresses, spotBatch } from '../../contracts/client/settlement.ts';
import { approveMax, deployTestToken, mint } from '../../contracts/deploy/tokens.ts';
import { NodeApi } from '../../protocol/client.ts';
import type { SignedIntent, SwapIntent } from '../../protocol/intent.ts';
import { pino } from 'pino';
import { IntentNode } from '../../node/node.ts';
import { type SubmitOutcome, submitOutcome } from '../helpers/api.ts';
import { tempDir, testConfig } from '../helpers/node.ts';
import type { ChainWatcher } from '../../node/chain/watcher.ts';

let anvil: Anvil;
let clients: DevnetClients;
let settlement: Address;
let vault: Address;
let dai: Address;
let usdc: Address;
let proxy: Server;
let mode: 'forward' | 'hang' = 'forward';
let node: IntentNode;
let watcher: ChainWatcher;
const logs: { event?: string }[] = [];
const dir = tempDir('node-chain-');

beforeAll(async () => {
  anvil = await startAnvil();
  clients = devnetClients(anvil.rpcUrl, anvil.chainId);
  ({ settlement, vault } = await deploySettlement(clients));
  dai = await deployTestToken(clients, { name: 'Dai', symbol: 'DAI', decimals: 18 });
  usdc = await deployTestToken(clients, { name: 'USDC', symbol: 'USDC', decimals: 6 });
  const alice = clients.accounts[2]!;
  await mint(clients, dai, alice.address, parseUnits('1000', 18));
  await approveMax(clients, clients.walletFor(alice), dai, vault);
  const carol = clients.accounts[4]!;
  await mint(clients, usdc, carol.address, parseUnits('1000', 6));
  await approveMax(clients, clients.walletFor(carol), usdc, vault);
  await bondSolver(clients, settlement, clients.walletFor(clients.accounts[1]!), parseEther('1'));
  // An RPC proxy the test can make hang.
  proxy = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (mode === 'hang') return; // never answers
    const r = await fetch(anvil.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks) });
    res.writeHead(r.status, { 'content-type': 'application/json' });
    res.end(Buffer.from(await r.arrayBuffer()));
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const rpcUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const log = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as { event?: string }) });
  // One chain client for the checker and the watcher (through the proxy); the test drives the watcher's polls.
  node = new IntentNode(testConfig(dir.path, { chainId: anvil.chainId, settlement, rpcUrl, rpcTimeoutMs: 400 }), {
    log,
    watcher: { manual: true },
  });
  await node.start();
  watcher = node.watcher!;
}, 60_000);

afterAll(async () => {
  watcher?.stop();
  proxy?.closeAllConnections();
  proxy?.close();
  await node?.stop();
  await anvil?.stop();
  dir.cleanup();
});

let nonce = 0n;
async function signed(owner: LocalAccount, over: Partial<SwapIntent> = {}): Promise<SignedIntent> {
  const intent: SwapIntent = {
    owner: owner.address.toLowerCase() as Address,
    sellToken: dai,
    buyToken: usdc,
    receiver: '0x0000000000000000000000000000000000000000',
    sellAmount: parseUnits('100', 18),
    buyAmount: parseUnits('99', 6),
    validTo: Math.floor(Date.now() / 1000) + 3600,
    nonce: nonce++,
    kind: 0,
    partiallyFillable: false,
    appData: `0x${'00'.repeat(32)}`,
    ...over,
  };
  const data = await signSwapIntent(owner, anvil.chainId, settlement, intent);
  return { type: 'swap', intent, signature: { scheme: 'eoa', data } };
}
const submit = (s: SignedIntent): Promise<SubmitOutcome> => submitOutcome(new NodeApi(node.apiUrl), s);
const degradedGauge = async (): Promise<number> => Number((await node.metrics.chainCheckDegraded.get()).values[0]?.value ?? 0);

describe('node on a real chain', () => {
  it('checks balance, allowance and nonce on chain', async () => {
    const alice = clients.accounts[2]!;
    const bob = clients.accounts[3]!; // holds no DAI
    expect((await submit(await signed(alice))).status).toBe(201);
    const r = await submit(await signed(bob));
    expect(r).toMatchObject({ status: 400, code: 'insufficient_balance' });
    const tooMuch = await submit(await signed(alice, { sellAmount: parseUnits('5000', 18) }));
    expect(tooMuch.code).toBe('insufficient_balance');
    // A nonce already invalidated on chain is refused.
    await confirm(
      clients.publicClient,
      clients
        .walletFor(alice)
        .writeContract({ address: settlement, abi: settlementAbi, functionName: 'invalidateNonces', args: [0n, 1n << 200n] }),
    );
    await new Promise((r) => setTimeout(r, 600)); // the checker reads the head at most every 500 ms, then caches per block
    const used = await submit(await signed(alice, { nonce: 200n }));
    expect(used).toMatchObject({ status: 409, code: 'nonce_used' });
  });

  it('degrades to off-chain checks when the RPC endpoint hangs, says so, and recovers', async () => {
    const alice = clients.accounts[2]!;
    mode = 'hang';
    const t = Date.now();
    expect((await submit(await signed(alice))).status).toBe(201);
    expect(Date.now() - t).toBeLessThan(3000);
    expect(await degradedGauge()).toBe(1);
    expect(logs.some((l) => l.event === 'chain_check_degraded')).toBe(true);
    // Off-chain checks still run: a bad signature is refused while degraded.
    const s = await signed(alice);
    const bad = { ...s, intent: { ...s.intent, buyAmount: 1n } } as SignedIntent;
    expect((await submit(bad)).code).toBe('wrong_signer');
    mode = 'forward';
    expect((await submit(await signed(alice))).status).toBe(201);
    expect(await degradedGauge()).toBe(0);
    expect(logs.some((l) => l.event === 'chain_check_recovered')).toBe(true);
    const metrics = await new NodeApi(node.apiUrl).metrics();
    expect(metrics).toMatch(/node_chain_check_degraded 0/);
  });

  it('follows NoncesInvalidated to cancel an intent, and undoes it when a reorg drops the block', async () => {
    const alice = clients.accounts[2]!;
    await watcher.poll(); // cursor at the current head
    const s = await signed(alice, { nonce: 300n });
    const id = (await submit(s)).id!;
    const snapshot = (await clients.publicClient.request({ method: 'evm_snapshot' as never })) as string;
    await confirm(
      clients.publicClient,
      clients
        .walletFor(alice)
        .writeContract({ address: settlement, abi: settlementAbi, functionName: 'invalidateNonces', args: [1n, 1n << 44n] }),
    );
    await watcher.poll();
    const cancelled = await node.pool.get(id);
    expect(cancelled).toMatchObject({ state: 'cancelled' });
    expect(cancelled!.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    // Reorg: back to before the invalidation, then a longer chain without it.
    await clients.publicClient.request({ method: 'evm_revert' as never, params: [snapshot] as never });
    await clients.publicClient.request({ method: 'anvil_mine' as never, params: ['0x3'] as never });
    await watcher.poll();
    expect(watcher.reorgs).toBeGreaterThan(0);
    expect((await node.pool.get(id))?.state).toBe('open');
    const status = await new NodeApi(node.apiUrl).intent(id);
    expect(status).toMatchObject({ state: 'open', settlement: null });
  });

  it('follows TradeSettled: both intents of a settled batch become filled, with the settlement tx', async () => {
    const alice = clients.accounts[2]!;
    const carol = clients.accounts[4]!;
    await watcher.poll();
    const a = await signed(alice, {
      sellToken: dai,
      buyToken: usdc,
      sellAmount: parseUnits('100', 18),
      buyAmount: parseUnits('99', 6),
      nonce: 500n,
    });
    const c = await signed(carol, {
      sellToken: usdc,
      buyToken: dai,
      sellAmount: parseUnits('100', 6),
      buyAmount: parseUnits('99', 18),
      nonce: 501n,
    });
    const ids: Hex[] = [];
    for (const s of [a, c]) {
      const r = await submit(s);
      expect(r.status).toBe(201);
      ids.push(r.id!);
    }
    const tokens = sortAddresses([dai, usdc]);
    const price: Record<string, bigint> = { [dai.toLowerCase()]: 1n, [usdc.toLowerCase()]: 10n ** 12n };
    const trades = [a, c].map((s) => encodeTrade(tokens, s.intent as SwapIntent, s.signature.data));
    const batch = spotBatch({
      auctionId: 7n,
      tokens,
      clearingPrices: tokens.map((t) => price[t.toLowerCase()]!),
      trades,
      interactions: [],
    });
    const receipt = await confirm(
      clients.publicClient,
      clients
        .walletFor(clients.accounts[1]!)
        .writeContract({ address: settlement, abi: settlementAbi, functionName: 'settle', args: [batch] }),
    );
    await watcher.poll();
    for (const id of ids) {
      const st = await new NodeApi(node.apiUrl).intent(id);
      expect(st.state).toBe('filled');
      expect(st.settlement?.txHash).toBe(receipt.transactionHash);
      expect(st.settlement?.blockNumber).toBe(Number(receipt.blockNumber));
    }
    expect(node.pool.liveByOwner(carol.address)).toEqual([]);
    // The backlog estimator measured the fills (two in one 10 s window is 0.2 intents/s; 0.1 if a
    // window boundary fell between them).
    const backlog = await new NodeApi(node.apiUrl).backlog();
    expect(backlog.measuredPerSec).toBeGreaterThanOrEqual(0.1);
    expect(JSON.stringify(await node.db.auctions.settlement(7))).toContain(receipt.transactionHash);
    // The auction's bond check reads the same contract: the solver that settled is bonded, carol is not.
    expect(await node.chain!.isSolver!(clients.accounts[1]!.address)).toBe(true);
    expect(await node.chain!.isSolver!(carol.address)).toBe(false);
    // A filled intent is never re-admitted.
    expect((await submit(c)).status).toBe(409);
  });

  it('follows a partial fill: the partially fillable intent stays live with its filled amount', async () => {
    const alice = clients.accounts[2]!;
    const carol = clients.accounts[4]!;
    await watcher.poll();
    const a = await signed(alice, {
      sellToken: dai,
      buyToken: usdc,
      sellAmount: parseUnits('100', 18),
      buyAmount: parseUnits('99', 6),
      nonce: 600n,
      partiallyFillable: true,
    });
    const c = await signed(carol, {
      sellToken: usdc,
      buyToken: dai,
      sellAmount: parseUnits('50', 6),
      buyAmount: parseUnits('49', 18),
      nonce: 601n,
    });
    const ids: `0x${string}`[] = [];
    for (const s of [a, c]) ids.push((await submit(s)).id as `0x${string}`);
    const tokens = sortAddresses([dai, usdc]);
    const price: Record<string, bigint> = { [dai.toLowerCase()]: 1n, [usdc.toLowerCase()]: 10n ** 12n };
    const trades = [
      encodeTrade(tokens, a.intent as SwapIntent, a.signature.data, { executedAmount: parseUnits('50', 18) }),
      encodeTrade(tokens, c.intent as SwapIntent, c.signature.data),
    ];
    const batch = spotBatch({
      auctionId: 8n,
      tokens,
      clearingPrices: tokens.map((t) => price[t.toLowerCase()]!),
      trades,
      interactions: [],
    });
    await confirm(
      clients.publicClient,
      clients
        .walletFor(clients.accounts[1]!)
        .writeContract({ address: settlement, abi: settlementAbi, functionName: 'settle', args: [batch] }),
    );
    await watcher.poll();
    expect(await node.pool.get(ids[0]!)).toMatchObject({ state: 'partially_filled', filled: parseUnits('50', 18).toString() });
    expect(await node.pool.get(ids[1]!)).toMatchObject({ state: 'filled' });
    expect(node.pool.liveByOwner(alice.address).map((r) => r.digest)).toContain(ids[0]!);
  });
});
