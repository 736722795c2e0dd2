// Option quotes end to end on an anvil devnet: a node process (node/cli.ts --quoter) asks a real
// solver's quote server, whose option quoter (solver/driver/quote-option.ts) reads the series and
// the options vault (OptionVault, seeded with the devnet's parameters) at the latest block. The
// quoted premium for buying and for writing equals the vault's quote recomputed off chain by the
// TypeScript mirror (protocol/options/option-vault.ts) from the vault's state at that block, made
// worse for the trader by the solver's 0.5% margin. An intent signed at the buy quote's premium
// then fills through the solver's real clearing in the node's auction, at no worse a premium. The
// refusals: an unknown series, a size over the vault's contracts limit, an underlying halted by its
// circuit breaker.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { keccak256, parseUnits, toHex, type Address, type Hex, type LocalAccount } from 'viem';
import { mnemonicToAccount, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { circuitBreakerAbi } from '../../contracts/artifacts/CircuitBreaker.ts';
import { clearingHouseAbi } from '../../contracts/artifacts/ClearingHouse.ts';
import { optionBookAbi } from '../../contracts/artifacts/OptionBook.ts';
import { optionSeriesAbi } from '../../contracts/artifacts/OptionSeries.ts';
import { optionVaultAbi } from '../../contracts/artifacts/OptionVault.ts';
import { volatilityFeedAbi } from '../../contracts/artifacts/VolatilityFeed.ts';
import { signOptionIntent } from '../../contracts/client/options.ts';
import { ANVIL_MNEMONIC } from '../../contracts/deploy/clients.ts';
import { DEFAULT_BREAKER_CONFIG, deployCircuitBreaker } from '../../contracts/deploy/circuit-breaker.ts';
import { fundUser, startDevnet, type RunningDevnet } from '../../contracts/deploy/devnet.ts';
import { deployOptionBook } from '../../contracts/deploy/option-book.ts';
import { deployOptionSeries, listSeries } from '../../contracts/deploy/option-series.ts';
import { DEVNET_OPTION_VAULT, DEVNET_OPTION_VAULT_UNDERLYINGS, deployOptionVault } from '../../contracts/deploy/option-vault.ts';
import { defaultVolBounds, deployVolatilityFeed, publishSurface } from '../../contracts/deploy/options.ts';
import {
  DEVNET_PERP_MARKETS,
  depositCollateral,
  deployDevnetPerp,
  type PerpDeployment,
  setFeedPrice,
} from '../../contracts/deploy/perp.ts';
import { devnetSurface, smileParams } from '../../devnet/vol-model.ts';
import type { ApiErrorBody, OptionQuoteRequest, OptionSolverQuote, QuoteResponse } from '../../protocol/api.ts';
import { intentDomain } from '../../protocol/eip712.ts';
import { intentDigest } from '../../protocol/hash.ts';
import type { OptionIntent, SignedIntent } from '../../protocol/intent.ts';
import { signedIntentToJson } from '../../protocol/json.ts';
import { WAD } from '../../protocol/margin.ts';
import { optionVaultQuote, type OptionVaultParams, type OptionVaultState, type SeriesTerms } from '../../protocol/options/option-vault.ts';
import { OptionQuoter } from '../../solver/driver/quote-option.ts';
import { startQuoteServer, type QuoteServer } from '../../solver/driver/quote-server.ts';
import { SolverProcess } from '../../solver/driver/solver-process.ts';
import { readOptionContracts } from '../../solver/infra/option-state.ts';
import { VAULT_QUOTE_MARGIN } from '../../solver/infra/perp-state.ts';
import { devnetReferencePrices } from '../helpers/solving-node.ts';
import { SchemaChecker } from '../node/openapi-schema.ts';
import { spawnNode, waitExit, type Spawned } from '../node/spawn.ts';

const DAI = (n: string): bigint => parseUnits(n, 18);
const ETH = 1;
const SOL = 3;
const keyOf = (i: number): Hex => toHex(mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: i }).getHdKey().privateKey!);

let running: RunningDevnet;
let perp: PerpDeployment;
let registry: Address;
let book: Address;
let feed: Address;
let vault: Address;
let call: SeriesTerms;
let solCall: bigint;
let node: Spawned;
let solver: SolverProcess;
let server: QuoteServer;
const dir = mkdtempSync(join(tmpdir(), 'option-quote-'));

beforeAll(async () => {
  running = await startDevnet();
  const { clients, devnet } = running;
  perp = await deployDevnetPerp(clients, devnet);
  // SOL's breaker only: the halted-underlying refusal moves SOL's feed and leaves ETH's alone
  await deployCircuitBreaker(clients, { clearingHouse: perp.clearingHouse, markets: { [SOL]: DEFAULT_BREAKER_CONFIG } });
  const me = clients.deployer.account.address;
  feed = await deployVolatilityFeed(clients, { feeder: me, maxAge: 3600n, bounds: defaultVolBounds });
  for (const m of DEVNET_PERP_MARKETS) await publishSurface(clients, feed, BigInt(m.id), devnetSurface(smileParams(m.id)));
  registry = await deployOptionSeries(clients, { clearingHouse: perp.clearingHouse });
  const now = (await clients.publicClient.getBlock()).timestamp;
  const expiry = now + 30n * 86_400n;
  const { seriesId } = await listSeries(clients, registry, { market: ETH, strike: DAI('3000'), expiry, isCall: true });
  call = { id: seriesId, strike: DAI('3000'), expiry, isCall: true };
  ({ seriesId: solCall } = await listSeries(clients, registry, { market: SOL, strike: DAI('150'), expiry, isCall: true }));
  book = await deployOptionBook(clients, {
    clearingHouse: perp.clearingHouse,
    settlement: devnet.settlement.settlement,
    registry,
    volatilityFeed: feed,
  });
  vault = await deployOptionVault(clients, {
    book,
    collateral: devnet.tokens.dai,
    underlyings: DEVNET_OPTION_VAULT_UNDERLYINGS,
    ...DEVNET_OPTION_VAULT,
  });

  const config = join(dir, 'node.json');
  writeFileSync(config, JSON.stringify({ collateralToken: devnet.tokens.dai, referencePrices: devnetReferencePrices(devnet.tokens) }));
  // the node needs the quoter's URL before the solver can attach to it: the server listens first
  // and reaches the solver once it exists
  let quoter: { quote: SolverProcess['quote']; quoteOption: OptionQuoter['quote'] } | undefined;
  server = await startQuoteServer({ quote: async (r) => quoter?.quote(r), quoteOption: async (r) => quoter?.quoteOption(r) }, { port: 0 });
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
    ...['--quote-timeout-ms', '5000'],
    ...['--quoter', server.url],
    ...['--log-level', 'warn'],
  ]);
  solver = new SolverProcess({
    strategy: 'baseline',
    privateKey: keyOf(1),
    nodeUrl: node.api,
    publicClient: clients.publicClient,
    wallet: clients.walletFor(clients.accounts[1]!),
    pools: [],
    log: pino({ level: 'silent' }),
    optionVault: vault,
  });
  await solver.init();
  const settlement = devnet.settlement.settlement;
  const options = new OptionQuoter({
    publicClient: clients.publicClient,
    contracts: await readOptionContracts(clients.publicClient, settlement),
    vault,
    settlement,
    solver: solver.address,
  });
  quoter = { quote: (r) => solver.quote(r), quoteOption: (r) => options.quote(r) };
}, 180_000);

afterAll(async () => {
  await server?.close();
  if (node) {
    node.child.kill('SIGTERM');
    await waitExit(node.child);
  }
  await running?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const postQuote = async (req: OptionQuoteRequest): Promise<{ status: number; body: QuoteResponse & ApiErrorBody }> => {
  const res = await fetch(`${node.api}/v1/quote`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(req),
  });
  return { status: res.status, body: (await res.json()) as QuoteResponse & ApiErrorBody };
};

/** What the TypeScript mirror of the vault's quote reads, at `blockNumber`: the ETH underlying's state. */
async function vaultState(blockNumber: bigint): Promise<{ params: OptionVaultParams; state: OptionVaultState }> {
  const pc = running.clients.publicClient;
  const at = { blockNumber } as const;
  const block = await pc.getBlock(at);
  const [mark] = await pc.readContract({
    address: perp.clearingHouse,
    abi: clearingHouseAbi,
    functionName: 'markPrice',
    args: [ETH],
    ...at,
  });
  const position = await pc.readContract({
    address: perp.clearingHouse,
    abi: clearingHouseAbi,
    functionName: 'position',
    args: [vault, ETH],
    ...at,
  });
  const held = await pc.readContract({ address: book, abi: optionBookAbi, functionName: 'seriesOf', args: [vault], ...at });
  const legs = [];
  for (const id of held) {
    const s = await pc.readContract({ address: registry, abi: optionSeriesAbi, functionName: 'series', args: [id], ...at });
    if (s.market !== ETH) continue;
    const size = await pc.readContract({ address: book, abi: optionBookAbi, functionName: 'positionOf', args: [vault, id], ...at });
    legs.push({ id, strike: s.strike, expiry: s.expiry, isCall: s.isCall, size });
  }
  const [tenors, nodes, vols] = await pc.readContract({
    address: feed,
    abi: volatilityFeedAbi,
    functionName: 'surface',
    args: [BigInt(ETH)],
    ...at,
  });
  const params = await pc.readContract({ address: vault, abi: optionVaultAbi, functionName: 'underlyingParams', args: [ETH], ...at });
  return {
    params,
    state: {
      now: block.timestamp,
      mark,
      perpSize: position.size,
      legs: [...legs],
      heldSeries: held.length,
      surface: { tenors: [...tenors], nodes: [...nodes], vols: [...vols] },
    },
  };
}

/** The premium the solver should quote for a trader's `size`: the mirror's vault quote for the opposite side, worse by the margin. */
async function expectedPremium(size: bigint, blockNumber: bigint): Promise<bigint> {
  const { params, state } = await vaultState(blockNumber);
  const vaultSide = -size;
  const p = optionVaultQuote(params, state, call, vaultSide);
  if (p === undefined) throw new Error('the mirror refuses the size');
  const margin = (p * VAULT_QUOTE_MARGIN + WAD - 1n) / WAD;
  return vaultSide < 0n ? p + margin : p - margin;
}

/** Quotes `size` of the ETH call at one block (retried if a block lands during the request) and returns the quote and that block. */
async function quoteAtOneBlock(size: bigint): Promise<{ quote: OptionSolverQuote; block: bigint; body: QuoteResponse }> {
  const pc = running.clients.publicClient;
  for (;;) {
    const before = await pc.getBlockNumber();
    const r = await postQuote({ type: 'option', series: call.id.toString(), size: size.toString() });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    // as node/openapi.json documents it
    const schemas = new SchemaChecker();
    expect(schemas.check(schemas.response('POST', '/v1/quote', 200), r.body, '/v1/quote')).toEqual([]);
    if ((await pc.getBlockNumber()) !== before) continue;
    const q = r.body.quote;
    if (q.type !== 'option') throw new Error('not an option quote');
    return { quote: q, block: before, body: r.body };
  }
}

describe('option quotes through POST /v1/quote', () => {
  it('buying and writing: the vault mirror premium with the solver margin, and an intent at the buy quote fills no worse', async () => {
    const { clients, devnet } = running;
    const size = DAI('2');
    const buy = await quoteAtOneBlock(size);
    const expectBuy = await expectedPremium(size, buy.block);
    expect(buy.quote).toMatchObject({ type: 'option', series: call.id.toString(), size: size.toString(), source: 'vault' });
    expect(buy.quote.solver.toLowerCase()).toBe(solver.address.toLowerCase());
    expect(BigInt(buy.quote.premium)).toBe(expectBuy);
    expect(buy.quote.gas).toBeGreaterThan(1_000_000);
    expect(Date.parse(buy.body.expiresAt)).toBeLessThanOrEqual(buy.quote.validTo * 1000);
    expect(buy.quote.validTo * 1000).toBeGreaterThan(Date.parse(buy.body.quotedAt));
    const write = await quoteAtOneBlock(-DAI('1'));
    expect(BigInt(write.quote.premium)).toBe(await expectedPremium(-DAI('1'), write.block));
    // the vault's bid is below its ask
    expect(BigInt(write.quote.premium)).toBeLessThan(expectBuy);
    console.log(
      `ETH 3000 call, 30 days: buy 2 at ${buy.quote.premium}, write 1 at ${write.quote.premium} (per 1e18 contracts), gas ${buy.quote.gas}`,
    );

    // sign the buy at the quoted premium; the solver clears it against the vault in the node's auction
    const user: LocalAccount = privateKeyToAccount(keccak256(toHex('option-quote-user')));
    await fundUser(clients, devnet, user, { dai: DAI('20000') });
    await depositCollateral(clients, perp.clearingHouse, devnet.tokens.dai, user, DAI('20000'));
    const settlement = devnet.settlement.settlement;
    const now = Number((await clients.publicClient.getBlock()).timestamp);
    const intent: OptionIntent = {
      account: user.address,
      series: call.id,
      size,
      premiumLimit: BigInt(buy.quote.premium),
      reduceOnly: false,
      partiallyFillable: false,
      validTo: now + 600,
      nonce: 1n,
    };
    const signed: SignedIntent = {
      type: 'option',
      intent,
      signature: { scheme: 'eoa', data: await signOptionIntent(user, devnet.chainId, settlement, intent) },
    };
    const res = await fetch(`${node.api}/v1/intents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(signedIntentToJson(signed)),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const id = intentDigest(signed, intentDomain(devnet.chainId, settlement)).toLowerCase() as Hex;
    const fromBlock = await clients.publicClient.getBlockNumber();
    let auction: { id: number | null; intents: { id: Hex }[] };
    for (;;) {
      auction = (await (await fetch(`${node.api}/v1/auction`)).json()) as typeof auction;
      if (auction.id !== null && auction.intents.some((e) => e.id.toLowerCase() === id)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const out = await solver.runAuction(auction as never);
    expect(
      out.status,
      JSON.stringify(out, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)),
    ).toBe('submitted');
    if (out.status !== 'submitted') throw new Error('not submitted');
    expect(out.result.status).toBe('settled');
    const fills = await clients.publicClient.getContractEvents({
      address: book,
      abi: optionBookAbi,
      eventName: 'OptionFilled',
      args: { account: user.address },
      fromBlock,
    });
    expect(fills).toHaveLength(1);
    const paid = fills[0]!.args.premium!;
    expect(fills[0]!.args.sizeDelta).toBe(size);
    expect(paid).toBeLessThanOrEqual(BigInt(buy.quote.premium));
    // the vault's quote moves only with time between quote and fill (nobody else trades): close
    expect(Number(BigInt(buy.quote.premium) - paid) / Number(paid)).toBeLessThan(0.001);
    console.log(`quoted ${buy.quote.premium}, filled at ${paid}`);
    const position = await clients.publicClient.readContract({
      address: book,
      abi: optionBookAbi,
      functionName: 'positionOf',
      args: [user.address, call.id],
    });
    expect(position).toBe(size);
  }, 120_000);

  it('refuses an unknown series, a size over the vault limit and a halted underlying, with their codes', async () => {
    const unknown = await postQuote({ type: 'option', series: '999', size: DAI('1').toString() });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.code).toBe('no_quote');
    expect(unknown.body.error.message).toContain('unknown_series');
    // ETH's vault takes at most 200 contracts
    const over = await postQuote({ type: 'option', series: call.id.toString(), size: DAI('250').toString() });
    expect(over.status).toBe(422);
    expect(over.body.error.message).toContain('vault_refused');
    // a 30% fall of SOL's feed: its breaker halts risk-increasing fills
    const sol = { type: 'option', series: solCall.toString(), size: DAI('1').toString() } as const;
    expect((await postQuote(sol)).status).toBe(200);
    const { clients } = running;
    await setFeedPrice(clients, perp.feeds[SOL]!, 105n * 10n ** 8n);
    const breaker = await clients.publicClient.readContract({
      address: perp.clearingHouse,
      abi: clearingHouseAbi,
      functionName: 'circuitBreaker',
    });
    const [halted] = await clients.publicClient.readContract({
      address: breaker,
      abi: circuitBreakerAbi,
      functionName: 'isHalted',
      args: [SOL],
    });
    expect(halted).toBe(true);
    const refused = await postQuote(sol);
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toContain('market_halted');
    // the solver's own endpoint answers the code itself
    const direct = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(sol) });
    expect(direct.status).toBe(422);
    expect(((await direct.json()) as ApiErrorBody).error.code).toBe('market_halted');
  }, 60_000);
});
