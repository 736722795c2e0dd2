// The circuit breaker on the real network (anvil, the devnet contracts with the breaker and the perp
// vault, a node process, an optimal solver process): a wallet holds a long; the ETH oracle crashes
// 30% in one round. The breaker halts the market: a new long waits in the pool, offered in auction
// after auction but never filled, while a reduce-only close still fills against the vault (whose
// side reduces too), and no transaction reverts on the way (the solver reads the halt before it
// builds a batch). The node's GET /v1/circuit-breaker reports the halt and its event; once the
// cool-down has passed the same long fills, and the resume is an event too.
import { parseUnits, type Hex } from 'viem';
import { describe, expect, it } from 'vitest';
import { circuitBreakerAbi } from '../../contracts/artifacts/CircuitBreaker.ts';
import { devnetPriceFeedAbi } from '../../contracts/artifacts/DevnetPriceFeed.ts';
import { DEFAULT_BREAKER_CONFIG } from '../../contracts/deploy/circuit-breaker.ts';
import { setFeedPrice } from '../../contracts/deploy/perp.ts';
import { increaseTime } from '../../contracts/deploy/timelock.ts';
import { keepBreaker } from '../../devnet/network.ts';
import { makePosition, readPrices, submit, type Made } from '../../devnet/traffic.ts';
import { readPositionState } from '../../solver/infra/perp-state.ts';
import type { AuctionsResponse, CircuitBreakerResponse, IntentStatusResponse } from '../../protocol/api.ts';
import { useLoneNetwork } from '../helpers/lone-network.ts';

const INTERVAL = 2000;
const ETH = 1;
const lone = useLoneNetwork('crash', INTERVAL);

const api = (): string => lone.net.nodes[0]!.api;
const getJson = async <T>(path: string): Promise<T> => (await fetch(`${api()}${path}`)).json() as Promise<T>;

/** Submits through the node and tracks the intent's fills. */
async function send(m: Made): Promise<void> {
  const r = await submit(api(), m);
  expect(r.status, `refused: ${r.code}`).toBe(201);
  lone.net.tracker.track(m, 0, Date.now(), true);
}
const filled = (m: Made): Promise<void> =>
  lone.net.tracker.waitFor(() => lone.net.tracker.isFilled(lone.net.tracker.tracked.get(m.id)!), 90_000);

const held = (): Promise<bigint> => lone.held(ETH);

async function waitUntil<T>(what: string, f: () => Promise<T | false | undefined>, ms = 90_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('a 30% oracle crash trips the circuit breaker', () => {
  it('halts risk-increasing fills (intents wait, no revert), lets a reduction fill, and resumes after the cool-down', async () => {
    const d = lone.net.deployment;
    const { clients } = lone.net;
    const breaker = d.circuitBreaker!;
    const now = async (): Promise<number> => Number((await clients.publicClient.getBlock()).timestamp);

    // 1. a long of 1 ETH against the vault, before the crash
    let prices = await readPrices(clients, d);
    const open = await makePosition(d, lone.wallet, prices, {
      market: ETH,
      size: parseUnits('1', 18),
      slippage: 0.02,
      validTo: (await now()) + 120,
    });
    await send(open);
    await filled(open);
    expect(await held()).toBe(parseUnits('1', 18));

    // 2. the crash: one round 30% down, then the devnet's keeper observes it (the halt is an event)
    const feed = d.feeds[String(ETH)]!;
    const [, answer] = await clients.publicClient.readContract({ address: feed, abi: devnetPriceFeedAbi, functionName: 'latestRoundData' });
    const crashBlock = await clients.publicClient.getBlockNumber();
    await setFeedPrice(clients, feed, (answer * 7n) / 10n, clients.walletFor(clients.accounts[3]!));
    const [halted, until] = await clients.publicClient.readContract({
      address: breaker,
      abi: circuitBreakerAbi,
      functionName: 'isHalted',
      args: [ETH],
    });
    expect(halted).toBe(true);
    expect(Number(until)).toBeGreaterThanOrEqual((await now()) + DEFAULT_BREAKER_CONFIG.cooldown - 1);
    await keepBreaker(clients, breaker, d.markets, clients.walletFor(clients.accounts[3]!));
    const state = await waitUntil('the node to report the halt', async () => {
      const b = await getJson<CircuitBreakerResponse>('/v1/circuit-breaker');
      return b.available && b.events.some((e) => e.market === ETH && e.kind === 'halted') && b;
    });
    if (!state.available) throw new Error('breaker state unavailable');
    expect(state.markets.find((m) => m.market === ETH)).toMatchObject({ halted: true });
    expect(state.markets.find((m) => m.market === 2)).toMatchObject({ halted: false, haltedUntil: 0 });
    const event = state.events.find((e) => e.kind === 'halted')!;
    // the move as the breaker measured it, in time order: from the answer before to the crash
    expect(BigInt(event.fromPrice!)).toBe(answer);
    expect(BigInt(event.toPrice!)).toBe((answer * 7n) / 10n);

    // 3. during the halt: a new long waits in the pool through several auctions
    prices = await readPrices(clients, d);
    const validTo = (await now()) + 3600;
    const more = await makePosition(d, lone.wallet, prices, { market: ETH, size: parseUnits('0.5', 18), slippage: 0.02, validTo });
    // the solver's read of the chain marks the market halted (it then clears only reductions there)
    const seen = await readPositionState(
      clients.publicClient,
      d.clearingHouse,
      d.perpVault,
      { id: 1n, intents: new Map([[more.id, { id: more.id, intent: more.signed }]]), referencePrices: new Map() },
      await clients.publicClient.getBlockNumber(),
    );
    expect(seen.markets.get(ETH)).toMatchObject({ halted: true });
    const submittedAt = Date.now();
    await send(more);
    const firstAuction = Math.floor(submittedAt / INTERVAL) + 1;
    await waitUntil('three auctions that offered the waiting long', async () => {
      const { auctions } = await getJson<AuctionsResponse>('/v1/auctions?limit=50');
      return auctions.filter((a) => a.id >= firstAuction && a.intents >= 1).length >= 3;
    });
    expect((await getJson<IntentStatusResponse>(`/v1/intents/${more.id}`)).state).toBe('open');
    expect(await held()).toBe(parseUnits('1', 18));

    // ... while a reduce-only close of 0.4 fills: the vault, short 1, buys back, reducing too
    const close = await makePosition(d, lone.wallet, prices, {
      market: ETH,
      size: -parseUnits('0.4', 18),
      slippage: 0.03,
      validTo,
      reduceOnly: true,
    });
    await send(close);
    await filled(close);
    expect(await held()).toBe(parseUnits('0.6', 18));
    expect((await getJson<IntentStatusResponse>(`/v1/intents/${more.id}`)).state).toBe('open');

    // no transaction reverted since the crash: the solver never sent a batch the halt refuses
    const head = await clients.publicClient.getBlockNumber();
    for (let b = crashBlock + 1n; b <= head; b++) {
      const block = await clients.publicClient.getBlock({ blockNumber: b });
      for (const tx of block.transactions as Hex[]) {
        const receipt = await clients.publicClient.getTransactionReceipt({ hash: tx });
        expect(receipt.status, `transaction ${tx} in block ${b}`).toBe('success');
      }
    }

    // 4. the cool-down passes (and the crash leaves the window): the waiting long fills, and the
    // batch that fills it records the resume
    await increaseTime(clients, BigInt(DEFAULT_BREAKER_CONFIG.cooldown + DEFAULT_BREAKER_CONFIG.window + 1));
    await filled(more);
    expect(await held()).toBe(parseUnits('1.1', 18));
    const after = await waitUntil('the node to report the resume', async () => {
      const b = await getJson<CircuitBreakerResponse>('/v1/circuit-breaker');
      return b.available && b.events.some((e) => e.market === ETH && e.kind === 'resumed') && b;
    });
    if (!after.available) throw new Error('breaker state unavailable');
    expect(after.markets.find((m) => m.market === ETH)).toMatchObject({ halted: false, haltedUntil: 0 });
  }, 300_000);
});
