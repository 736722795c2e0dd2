// A lone wallet trades a perpetual on the real network (anvil, the contracts with the perp vault,
// a node process, an optimal solver process), with nobody on the other side: its long fills
// against the vault within two auctions of the one it entered, and a reduce-only close larger than
// the position closes it exactly. The node answers quotes from its solver (devnet: every node has
// every solver's quote port as a --quoter), and the long fills at the price it was quoted.
import { parseUnits } from 'viem';
import { describe, expect, it } from 'vitest';
import type { QuoteResponse } from '../../protocol/api.ts';
import { makePosition, readPrices, submit, type Made } from '../../devnet/traffic.ts';
import { useLoneNetwork } from '../helpers/lone-network.ts';

const INTERVAL = 2000;
const ETH = 1;
const lone = useLoneNetwork('lone-position', INTERVAL);

/** Submits through the node, then waits for its fill on chain; returns the auction that settled it and the first it could be in. */
async function trade(m: Made): Promise<{ first: bigint; settledIn: bigint }> {
  const at = Date.now();
  const r = await submit(lone.net.nodes[0]!.api, m);
  expect(r.status, `refused: ${r.code}`).toBe(201);
  lone.net.tracker.track(m, 0, at, true);
  const t = lone.net.tracker.tracked.get(m.id)!;
  await lone.net.tracker.waitFor(() => lone.net.tracker.isFilled(t), 90_000);
  const tx = t.fills[0]!.tx;
  const settled = lone.net.tracker.settled.find((s) => s.tx === tx);
  expect(settled).toBeDefined();
  // auction ids are floor(closeTime / interval): the first auction to close after the submission
  return { first: BigInt(Math.floor(at / INTERVAL) + 1), settledIn: settled!.auctionId };
}

const held = (): Promise<bigint> => lone.held(ETH);

const quote = async (req: unknown): Promise<{ status: number; body: QuoteResponse }> => {
  const res = await fetch(`${lone.net.nodes[0]!.api}/v1/quote`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(req),
  });
  return { status: res.status, body: (await res.json()) as QuoteResponse };
};

describe('a lone wallet trades a perpetual', () => {
  it('the node quotes a swap from its solver', async () => {
    const t = lone.net.deployment.tokens;
    const r = await quote({ type: 'swap', sellToken: t.dai, buyToken: t.usdc, kind: 'sell', amount: parseUnits('1000', 18).toString() });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.failed).toEqual([]);
    expect(r.body.quotes).toHaveLength(1);
    expect(r.body.quote.solver.toLowerCase()).toBe(lone.net.solvers[0]!.address);
  });

  it('a long with nobody on the other side fills against the vault within two auctions, at the quoted price', async () => {
    const d = lone.net.deployment;
    const prices = await readPrices(lone.net.clients, d);
    const validTo = Number((await lone.net.clients.publicClient.getBlock()).timestamp) + 120;
    const q = await quote({
      type: 'position',
      market: ETH,
      sizeDelta: parseUnits('0.7', 18).toString(),
      owner: lone.wallet.account.address,
    });
    expect(q.status, JSON.stringify(q.body)).toBe(200);
    const quoted = q.body.quote.type === 'position' ? BigInt(q.body.quote.price) : 0n;
    const long = await makePosition(d, lone.wallet, prices, { market: ETH, size: parseUnits('0.7', 18), slippage: 0.02, validTo });
    const { first, settledIn } = await trade(long);
    expect(settledIn - first).toBeLessThanOrEqual(1n);
    expect(await held()).toBe(parseUnits('0.7', 18));
    const fill = lone.net.tracker.tracked.get(long.id)!.fills[0]!;
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
    const d = lone.net.deployment;
    const prices = await readPrices(lone.net.clients, d);
    const validTo = Number((await lone.net.clients.publicClient.getBlock()).timestamp) + 120;
    const close = await makePosition(d, lone.wallet, prices, {
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
