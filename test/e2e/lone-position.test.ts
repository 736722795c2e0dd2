// A lone wallet trades a perpetual on the real network (anvil, the contracts with the perp vault,
// a node process, an optimal solver process), with nobody on the other side: its long fills
// against the vault within two auctions of the one it entered, and a reduce-only close larger than
// the position closes it exactly. The node answers quotes from its solver (devnet: every node has
// every solver's quote port as a --quoter), and the long fills at the price it was quoted.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { parseUnits } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearingHouseAbi } from '../../contracts/artifacts/ClearingHouse.ts';
import { startNetwork, type Network } from '../../devnet/network.ts';
import type { QuoteResponse } from '../../protocol/api.ts';
import { fundWallets, makePosition, makeWallets, readPrices, submit, type Made, type Wallet } from '../../devnet/traffic.ts';

const dir = mkdtempSync(join(tmpdir(), 'lone-position-'));
const INTERVAL = 2000;
const ETH = 1;
let net: Network;
let wallet: Wallet;

beforeAll(async () => {
  net = await startNetwork({
    dataDir: dir,
    log: pino({ level: 'silent' }),
    nodes: 1,
    solvers: ['optimal'],
    auctionIntervalMs: INTERVAL,
    feederMs: 0,
  });
  [wallet] = makeWallets(`lone-${Date.now()}`, 1) as [Wallet];
  await fundWallets(net.clients, net.deployment, [wallet]);
}, 180_000);

afterAll(async () => {
  await net?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Submits through the node, then waits for its fill on chain; returns the auction that settled it and the first it could be in. */
async function trade(m: Made): Promise<{ first: bigint; settledIn: bigint }> {
  const at = Date.now();
  const r = await submit(net.nodes[0]!.api, m);
  expect(r.status, `refused: ${r.code}`).toBe(201);
  net.tracker.track(m, 0, at, true);
  const t = net.tracker.tracked.get(m.id)!;
  await net.tracker.waitFor(() => net.tracker.isFilled(t), 90_000);
  const tx = t.fills[0]!.tx;
  const settled = net.tracker.settled.find((s) => s.tx === tx);
  expect(settled).toBeDefined();
  // auction ids are floor(closeTime / interval): the first auction to close after the submission
  return { first: BigInt(Math.floor(at / INTERVAL) + 1), settledIn: settled!.auctionId };
}

const held = async (): Promise<bigint> =>
  (
    await net.clients.publicClient.readContract({
      address: net.deployment.clearingHouse,
      abi: clearingHouseAbi,
      functionName: 'position',
      args: [wallet.account.address, ETH],
    })
  ).size;

const quote = async (req: unknown): Promise<{ status: number; body: QuoteResponse }> => {
  const res = await fetch(`${net.nodes[0]!.api}/v1/quote`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(req),
  });
  return { status: res.status, body: (await res.json()) as QuoteResponse };
};

describe('a lone wallet trades a perpetual', () => {
  it('the node quotes a swap from its solver', async () => {
    const t = net.deployment.tokens;
    const r = await quote({ type: 'swap', sellToken: t.dai, buyToken: t.usdc, kind: 'sell', amount: parseUnits('1000', 18).toString() });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.failed).toEqual([]);
    expect(r.body.quotes).toHaveLength(1);
    expect(r.body.quote.solver.toLowerCase()).toBe(net.solvers[0]!.address);
  });

  it('a long with nobody on the other side fills against the vault within two auctions, at the quoted price', async () => {
    const d = net.deployment;
    const prices = await readPrices(net.clients, d);
    const validTo = Number((await net.clients.publicClient.getBlock()).timestamp) + 120;
    const q = await quote({ type: 'position', market: ETH, sizeDelta: parseUnits('0.7', 18).toString(), owner: wallet.account.address });
    expect(q.status, JSON.stringify(q.body)).toBe(200);
    const quoted = q.body.quote.type === 'position' ? BigInt(q.body.quote.price) : 0n;
    const long = await makePosition(d, wallet, prices, { market: ETH, size: parseUnits('0.7', 18), slippage: 0.02, validTo });
    const { first, settledIn } = await trade(long);
    expect(settledIn - first).toBeLessThanOrEqual(1n);
    expect(await held()).toBe(parseUnits('0.7', 18));
    const fill = net.tracker.tracked.get(long.id)!.fills[0]!;
    // the vault's ask for 0.7 ETH: above the mark (skew premium and spread), within the 2% limit
    if (fill.kind !== 'position') throw new Error('a position fill');
    expect(fill.price).toBeGreaterThan(prices.marks.get(ETH)!);
    expect(fill.price).toBeLessThanOrEqual(long.signed.type === 'position' ? long.signed.intent.limitPrice : 0n);
    // no oracle moves (no feeder) and nobody else trading: the vault's curve at the same state
    const dev = Number(fill.price > quoted ? fill.price - quoted : quoted - fill.price) / Number(quoted);
    console.log(`0.7 ETH long: quoted ${quoted}, filled ${fill.price}, deviation ${dev}`);
    expect(dev).toBeLessThan(0.001);
  });

  it('a reduce-only close larger than the position closes it exactly', async () => {
    const d = net.deployment;
    const prices = await readPrices(net.clients, d);
    const validTo = Number((await net.clients.publicClient.getBlock()).timestamp) + 120;
    const close = await makePosition(d, wallet, prices, {
      market: ETH,
      size: -parseUnits('1', 18),
      slippage: 0.03,
      validTo,
      reduceOnly: true,
    });
    await trade(close);
    expect(await held()).toBe(0n);
  });
});
