// A lone wallet trades a perpetual on the real network (anvil, the contracts with the perp vault,
// a node process, an optimal solver process), with nobody on the other side: its long fills
// against the vault within two auctions of the one it entered, and a reduce-only close larger than
// the position closes it exactly.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { parseUnits } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearingHouseAbi } from '../../contracts/artifacts/ClearingHouse.ts';
import { startNetwork, type Network } from '../../devnet/network.ts';
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

describe('a lone wallet trades a perpetual', () => {
  it('a long with nobody on the other side fills against the vault within two auctions', async () => {
    const d = net.deployment;
    const prices = await readPrices(net.clients, d);
    const validTo = Number((await net.clients.publicClient.getBlock()).timestamp) + 120;
    const long = await makePosition(d, wallet, prices, { market: ETH, size: parseUnits('0.7', 18), slippage: 0.02, validTo });
    const { first, settledIn } = await trade(long);
    expect(settledIn - first).toBeLessThanOrEqual(1n);
    expect(await held()).toBe(parseUnits('0.7', 18));
    const fill = net.tracker.tracked.get(long.id)!.fills[0]!;
    // the vault's ask for 0.7 ETH: above the mark (skew premium and spread), within the 2% limit
    if (fill.kind !== 'position') throw new Error('a position fill');
    expect(fill.price).toBeGreaterThan(prices.marks.get(ETH)!);
    expect(fill.price).toBeLessThanOrEqual(long.signed.type === 'position' ? long.signed.intent.limitPrice : 0n);
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
