// Quotes end to end on an anvil devnet: a node process (node/cli.ts --quoter ...) asks two
// in-process solvers' quote servers (solver/driver/quote-server.ts) and one quoter that never
// answers. Solver A (optimal, every devnet pool, the vault with a 0.5% margin) and solver B (the
// baseline, the Uniswap V2 pools only, a 1% vault margin) answer different quotes: the node picks
// the better one for the trader and lists the silent quoter as failed without waiting past its
// deadline. Then the sell quote is signed with 1% slippage and settled by solver A through the
// node's auction: the executed amount is at least the limit and close to the quote.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keccak256, parseUnits, toHex, zeroAddress, type Address, type Hex, type LocalAccount } from 'viem';
import { mnemonicToAccount, privateKeyToAccount } from 'viem/accounts';
import { signSwapIntent } from '../../contracts/client/settlement.ts';
import { ANVIL_MNEMONIC } from '../../contracts/deploy/clients.ts';
import { fundUser, startDevnet, type RunningDevnet } from '../../contracts/deploy/devnet.ts';
import { deployDevnetPerp } from '../../contracts/deploy/perp.ts';
import { DEVNET_VAULT, DEVNET_VAULT_MARKETS, deployPerpVault } from '../../contracts/deploy/perp-vault.ts';
import { devnetPoolSpecs } from '../../contracts/deploy/solver-fixtures.ts';
import { balanceOf } from '../../contracts/deploy/tokens.ts';
import type { ApiErrorBody, QuoteRequest, QuoteResponse, SolverQuote } from '../../protocol/api.ts';
import { intentDomain } from '../../protocol/eip712.ts';
import { intentDigest } from '../../protocol/hash.ts';
import type { SwapIntent } from '../../protocol/intent.ts';
import { signedIntentToJson } from '../../protocol/json.ts';
import { startQuoteServer, type QuoteServer } from '../../solver/driver/quote-server.ts';
import { SolverProcess } from '../../solver/driver/solver-process.ts';
import { spawnNode, waitExit, type Spawned } from '../node/spawn.ts';
import { devnetReferencePrices } from '../helpers/solving-node.ts';

const keyOf = (i: number): Hex => toHex(mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: i }).getHdKey().privateKey!);
const DAI = (n: string): bigint => parseUnits(n, 18);
const USDC = (n: string): bigint => parseUnits(n, 6);
/** The node's quote deadline in this test: generous for a loaded 2-core machine, where both solvers share the test's event loop. */
const QUOTE_TIMEOUT_MS = 2000;

const log = pino({ level: 'silent' });
let running: RunningDevnet;
let node: Spawned;
let solverA: SolverProcess;
let solverB: SolverProcess;
const servers: QuoteServer[] = [];
let silent: Server;
let silentUrl: string;
const dir = mkdtempSync(join(tmpdir(), 'quote-'));

const postQuote = async (req: unknown): Promise<{ status: number; body: QuoteResponse & ApiErrorBody; ms: number }> => {
  const t0 = Date.now();
  const res = await fetch(`${node.api}/v1/quote`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(req),
  });
  return { status: res.status, body: (await res.json()) as QuoteResponse & ApiErrorBody, ms: Date.now() - t0 };
};

beforeAll(async () => {
  running = await startDevnet();
  const { clients, devnet } = running;
  const perp = await deployDevnetPerp(clients, devnet);
  const vault = await deployPerpVault(clients, {
    clearingHouse: perp.clearingHouse,
    collateral: devnet.tokens.dai,
    markets: DEVNET_VAULT_MARKETS,
    ...DEVNET_VAULT,
  });
  // a quoter that accepts the connection and never answers
  silent = createServer(() => undefined);
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  silentUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}/v1/quote`;

  const t = devnet.tokens;
  const config = join(dir, 'node.json');
  writeFileSync(
    config,
    JSON.stringify({
      collateralToken: t.dai,
      referencePrices: devnetReferencePrices(t),
    }),
  );
  // the solvers attach to the node (init reads its health) and the node needs their quote URLs
  // first: their ports are chosen before either starts
  const ports = await Promise.all(
    [0, 1].map(
      () =>
        new Promise<number>((resolve) => {
          const s = createServer();
          s.listen(0, '127.0.0.1', () => {
            const p = (s.address() as { port: number }).port;
            s.close(() => resolve(p));
          });
        }),
    ),
  );
  node = await spawnNode([
    ...['--config', config],
    ...['--chain-id', String(devnet.chainId)],
    ...['--settlement', devnet.settlement.settlement],
    ...['--data-dir', join(dir, 'node')],
    ...['--listen', '/ip4/127.0.0.1/tcp/0'],
    ...['--api-port', '0'],
    ...['--rpc-url', running.anvil.rpcUrl],
    ...['--auction-interval-ms', '2000'],
    ...['--auction-solve-window-ms', '4000'],
    ...['--quote-timeout-ms', String(QUOTE_TIMEOUT_MS)],
    ...ports.flatMap((p) => ['--quoter', `http://127.0.0.1:${p}/v1/quote`]),
    ...['--quoter', silentUrl],
    ...['--log-level', 'warn'],
  ]);
  const pools = devnetPoolSpecs(devnet);
  solverA = new SolverProcess({
    strategy: 'optimal',
    privateKey: keyOf(1),
    nodeUrl: node.api,
    publicClient: clients.publicClient,
    wallet: clients.walletFor(clients.accounts[1]!),
    pools,
    log,
    perpVault: vault,
    perpVaultMargin: 5n * 10n ** 15n,
  });
  solverB = new SolverProcess({
    strategy: 'baseline',
    privateKey: keyOf(2),
    nodeUrl: node.api,
    publicClient: clients.publicClient,
    wallet: clients.walletFor(clients.accounts[2]!),
    pools: pools.filter((p) => p.kind === 'uniswapV2'),
    log,
    perpVault: vault,
    perpVaultMargin: 10n ** 16n,
  });
  await solverA.init();
  await solverB.init();
  servers.push(await startQuoteServer(solverA, { port: ports[0]! }));
  servers.push(await startQuoteServer(solverB, { port: ports[1]! }));
}, 120_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  silent?.closeAllConnections();
  silent?.close();
  if (node) {
    node.child.kill('SIGTERM');
    await waitExit(node.child);
  }
  await running?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The node's answer must be the best of its quotes for the trader, with the silent quoter failed by the deadline. */
function checkAnswer(r: { status: number; body: QuoteResponse; ms: number }): QuoteResponse {
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expect(r.body.quotes).toHaveLength(2);
  expect(r.body.failed).toEqual([{ url: silentUrl, reason: 'timeout' }]);
  // the silent quoter costs the deadline, not more (slack for a loaded machine)
  expect(r.ms).toBeGreaterThanOrEqual(QUOTE_TIMEOUT_MS - 50);
  expect(r.ms).toBeLessThan(QUOTE_TIMEOUT_MS + 1000);
  expect(r.body.quote).toEqual(r.body.quotes[0]);
  expect(Date.parse(r.body.expiresAt)).toBeGreaterThan(Date.parse(r.body.quotedAt));
  return r.body;
}

const swapOf = (q: SolverQuote): Extract<SolverQuote, { type: 'swap' }> => {
  if (q.type !== 'swap') throw new Error('not a swap quote');
  return q;
};

describe('POST /v1/quote on the devnet', () => {
  it('sell and buy swap quotes: the best of two solvers, the silent quoter failed at the deadline, and the sell quote fills on chain within 1% slippage', async () => {
    const { clients, devnet } = running;
    const t = devnet.tokens;
    const a = solverA.address.toLowerCase();
    const sellReq: QuoteRequest = { type: 'swap', sellToken: t.dai, buyToken: t.usdc, kind: 'sell', amount: DAI('5000').toString() };
    const sell = checkAnswer(await postQuote(sellReq));
    const [best, other] = sell.quotes.map(swapOf) as [Extract<SolverQuote, { type: 'swap' }>, Extract<SolverQuote, { type: 'swap' }>];
    for (const q of [best, other]) expect(q.sellAmount).toBe(DAI('5000').toString());
    expect(BigInt(best.buyAmount)).toBeGreaterThanOrEqual(BigInt(other.buyAmount));
    // solver A routes through every pool, B through the V2 pools only
    expect(best.solver.toLowerCase()).toBe(a);
    expect(best.gas).toBeGreaterThan(150_000);
    console.log(`sell 5000 DAI: A ${best.buyAmount} USDC units, B ${other.buyAmount}; gas ${best.gas}`);

    const buyReq: QuoteRequest = { type: 'swap', sellToken: t.dai, buyToken: t.usdc, kind: 'buy', amount: USDC('2000').toString() };
    const buy = checkAnswer(await postQuote(buyReq));
    const [bBest, bOther] = buy.quotes.map(swapOf) as [Extract<SolverQuote, { type: 'swap' }>, Extract<SolverQuote, { type: 'swap' }>];
    for (const q of [bBest, bOther]) expect(q.buyAmount).toBe(USDC('2000').toString());
    expect(BigInt(bBest.sellAmount)).toBeLessThanOrEqual(BigInt(bOther.sellAmount));
    // about 2000 DAI for 2000 USDC on the devnet's pools
    expect(BigInt(bBest.sellAmount)).toBeGreaterThan(DAI('1900'));
    expect(BigInt(bBest.sellAmount)).toBeLessThan(DAI('2100'));
    console.log(`buy 2000 USDC: A ${bBest.sellAmount} DAI wei, B ${bOther.sellAmount}`);

    // sign the sell at the quote less 1% slippage; solver A settles it through the node's auction
    const quoted = BigInt(best.buyAmount);
    const limit = (quoted * 99n) / 100n;
    const user: LocalAccount = privateKeyToAccount(keccak256(toHex('quote-user')));
    await fundUser(clients, devnet, user, { dai: DAI('10000') });
    const intent: SwapIntent = {
      owner: user.address,
      sellToken: t.dai,
      buyToken: t.usdc,
      receiver: zeroAddress,
      sellAmount: DAI('5000'),
      buyAmount: limit,
      validTo: Number((await clients.publicClient.getBlock()).timestamp) + 600,
      nonce: 1n,
      kind: 0,
      partiallyFillable: false,
      appData: keccak256(toHex('quote')),
    };
    const signed = {
      type: 'swap' as const,
      intent,
      signature: { scheme: 'eoa' as const, data: await signSwapIntent(user, devnet.chainId, devnet.settlement.settlement, intent) },
    };
    const res = await fetch(`${node.api}/v1/intents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(signedIntentToJson(signed)),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const id = intentDigest(signed, intentDomain(devnet.chainId, devnet.settlement.settlement)).toLowerCase() as Hex;
    const before = await balanceOf(clients, t.usdc, user.address);
    let auction: { id: number | null; intents: { id: Hex }[] };
    for (;;) {
      auction = (await (await fetch(`${node.api}/v1/auction`)).json()) as typeof auction;
      if (auction.id !== null && auction.intents.some((e) => e.id.toLowerCase() === id)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const out = await solverA.runAuction(auction as never);
    expect(
      out.status,
      JSON.stringify(out, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)),
    ).toBe('submitted');
    if (out.status !== 'submitted') throw new Error('not submitted');
    expect(out.result.status).toBe('settled');
    const executed = (await balanceOf(clients, t.usdc, user.address)) - before;
    expect(executed).toBeGreaterThanOrEqual(limit);
    // the same pools, a few blocks later, nobody else trading: within 0.1% of the quote
    const dev = Number(executed > quoted ? executed - quoted : quoted - executed) / Number(quoted);
    console.log(`quoted ${quoted}, executed ${executed}, |executed - quoted| / quoted = ${dev}`);
    expect(dev).toBeLessThan(0.001);
  }, 120_000);

  it('position quotes: the better vault price for each side', async () => {
    const long = checkAnswer(await postQuote({ type: 'position', market: 1, sizeDelta: DAI('2').toString() }));
    const short = checkAnswer(await postQuote({ type: 'position', market: 1, sizeDelta: (-DAI('2')).toString() }));
    const price = (q: SolverQuote): bigint => (q.type === 'position' ? BigInt(q.price) : 0n);
    const [l0, l1] = long.quotes.map(price) as [bigint, bigint];
    const [s0, s1] = short.quotes.map(price) as [bigint, bigint];
    // a long pays the lower ask, a short gets the higher bid; A's margin (0.5%) is below B's (1%)
    expect(l0).toBeLessThan(l1);
    expect(s0).toBeGreaterThan(s1);
    expect(l0).toBeGreaterThan(s0);
    expect(long.quote.solver.toLowerCase()).toBe(solverA.address.toLowerCase());
    expect(short.quote.solver.toLowerCase()).toBe(solverA.address.toLowerCase());
    expect(long.quote.gas).toBeGreaterThan(300_000);
    console.log(`2 ETH-perp: long ${l0} (B ${l1}), short ${s0} (B ${s1})`);
  }, 60_000);

  it('refuses bad requests (400) and answers no_quote (422) when no quoter can quote', async () => {
    const { devnet } = running;
    const t = devnet.tokens;
    const bad = await postQuote({ type: 'swap', sellToken: t.dai, buyToken: t.dai, kind: 'sell', amount: '1' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('bad_quote_request');
    const neg = await postQuote({ type: 'swap', sellToken: t.dai, buyToken: t.usdc, kind: 'sell', amount: '-5' });
    expect(neg.status).toBe(400);
    // a token no pool trades
    const none = await postQuote({
      type: 'swap',
      sellToken: t.dai,
      buyToken: '0x00000000000000000000000000000000000000aa' as Address,
      kind: 'sell',
      amount: '1000',
    });
    expect(none.status).toBe(422);
    expect(none.body.error.code).toBe('no_quote');
    expect(none.body.error.message).toContain('no_route');
    // the solver's own endpoint: 422 no_route, 400 bad_request
    const direct = await fetch(servers[0]!.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'swap', sellToken: t.dai, buyToken: t.usdc, kind: 'sideways', amount: '1' }),
    });
    expect(direct.status).toBe(400);
    expect(((await direct.json()) as ApiErrorBody).error.code).toBe('bad_request');
  }, 60_000);
});
