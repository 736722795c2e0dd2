// End to end on the real devnet: anvil, the contracts, three node processes over libp2p, two
// solver processes (baseline and optimal) and a price feeder, as `npm start` runs them. Twenty
// wallets submit 100 mixed intents (swaps and position pairs) through different nodes; every
// accepted intent must end filled or expired at every node (none lost); on-chain token balances and
// clearing-house positions must equal what the Settlement's events say; every fill must respect
// its limit; and at least one batch must clear swaps and positions together.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { NodeApi, NodeApiError } from '../../protocol/client.ts';
import type { Address, Hex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearingHouseAbi } from '../../contracts/artifacts/ClearingHouse.ts';
import { balanceOf } from '../../contracts/deploy/tokens.ts';
import { startNetwork, type Network } from '../../devnet/network.ts';
import type { Tracked } from '../../devnet/tracker.ts';
import { FUNDING, fundWallets, makeMix, makeWallets, readPrices, submit, type Wallet } from '../../devnet/traffic.ts';
import { rng } from '../../devnet/rng.ts';

const dir = mkdtempSync(join(tmpdir(), 'e2e-'));
const INTERVAL = 1500;
const LIFETIME = 45;
let net: Network;
let wallets: Wallet[];
let tracked: Tracked[] = [];
const pids: number[] = [];

beforeAll(async () => {
  net = await startNetwork({
    dataDir: dir,
    log: pino({ level: 'silent' }),
    auctionIntervalMs: INTERVAL,
    feederMs: 3000,
    feederStep: 0.001,
  });
  pids.push(...net.nodes.map((n) => n.child.pid), ...net.solvers.map((s) => s.child.pid), net.anvil!.pid);
  wallets = makeWallets(`e2e-${Date.now()}`, 20);
  await fundWallets(net.clients, net.deployment, wallets);
}, 180_000);

afterAll(async () => {
  await net?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The intent's state at a node, undefined when the node answers an error (404 before it has it). */
const stateAt = (api: string, id: Hex): Promise<string | undefined> =>
  new NodeApi(api).intent(id).then(
    (st) => st.state,
    (e: unknown) => {
      if (e instanceof NodeApiError) return undefined;
      throw e;
    },
  );

describe('the network end to end', () => {
  it('settles 100 mixed intents from 20 wallets through 3 nodes and 2 solvers; none lost, chain equals events, limits hold', async () => {
    const d = net.deployment;
    const prices = await readPrices(net.clients, d);
    const block = await net.clients.publicClient.getBlock();
    const validTo = Number(block.timestamp) + LIFETIME;
    const made = await makeMix(d, wallets, prices, { n: 100, positionShare: 0.4, validTo, random: rng(7) });
    expect(made).toHaveLength(100);
    // submit through the three nodes in turn, a few at a time (wallets are independent)
    let k = 0;
    for (let i = 0; i < made.length; i += 10) {
      await Promise.all(
        made.slice(i, i + 10).map(async (m) => {
          const node = k++ % net.nodes.length;
          const at = Date.now();
          const r = await submit(net.nodes[node]!.api, m);
          net.tracker.track(m, node, at, r.status === 201, r.code);
          expect(r.status, `${m.kind} intent refused: ${r.code}`).toBe(201);
        }),
      );
    }
    tracked = made.map((m) => net.tracker.tracked.get(m.id)!);

    // every intent ends filled or expired at every node
    const final = new Set(['filled', 'expired']);
    const deadline = Date.now() + (LIFETIME + 40) * 1000;
    let states: string[][] = [];
    for (;;) {
      states = await Promise.all(
        tracked.map((t) => Promise.all(net.nodes.map(async (n) => (await stateAt(n.api, t.made.id)) ?? 'missing'))),
      );
      if (states.every((s) => s.every((x) => final.has(x)))) break;
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const counts: Record<string, number> = {};
    for (const s of states) for (const x of s) counts[x] = (counts[x] ?? 0) + 1;
    expect(
      states.flat().filter((x) => !final.has(x)),
      JSON.stringify(counts),
    ).toEqual([]);
    await net.tracker.poll();

    // nodes and chain agree: filled at the nodes <=> filled by events
    for (const [i, t] of tracked.entries()) {
      const chainFilled = net.tracker.isFilled(t);
      for (const s of states[i]!)
        expect(s === 'filled', `${t.made.kind} ${t.made.id}: node says ${s}, events say ${chainFilled ? 'filled' : 'not filled'}`).toBe(
          chainFilled,
        );
    }
    const filled = tracked.filter((t) => net.tracker.isFilled(t));
    const swapsFilled = filled.filter((t) => t.made.kind === 'swap').length;
    const positionsFilled = filled.filter((t) => t.made.kind === 'position').length;
    console.log(
      `e2e: ${filled.length}/100 filled (${swapsFilled} swaps, ${positionsFilled} positions), ${100 - filled.length} expired; batches ${net.tracker.settled.length}`,
    );
    expect(swapsFilled).toBeGreaterThan(20);
    expect(positionsFilled).toBeGreaterThan(4);

    // limits: every fill at or better than what the user signed
    for (const t of filled) {
      const s = t.made.signed;
      for (const f of t.fills) {
        if (s.type === 'swap' && f.kind === 'swap') {
          expect(f.executedSell <= s.intent.sellAmount).toBe(true);
          expect(f.executedBuy * s.intent.sellAmount >= s.intent.buyAmount * f.executedSell, `limit of ${t.made.id}`).toBe(true);
        } else if (s.type === 'position' && f.kind === 'position') {
          expect(f.sizeDelta).toBe(s.intent.sizeDelta);
          expect(s.intent.sizeDelta > 0n ? f.price <= s.intent.limitPrice : f.price >= s.intent.limitPrice).toBe(true);
        } else throw new Error('fill kind does not match intent kind');
      }
    }

    // chain equals events: token balances and positions of every wallet
    const tokens = { dai: d.tokens.dai, usdc: d.tokens.usdc, wbtc: d.tokens.wbtc } as const;
    const initial: Record<string, bigint> = {
      [d.tokens.dai.toLowerCase()]: FUNDING.dai,
      [d.tokens.usdc.toLowerCase()]: FUNDING.usdc,
      [d.tokens.wbtc.toLowerCase()]: FUNDING.wbtc,
    };
    const allFills = [...net.tracker.fills.values()].flat();
    for (const w of wallets) {
      const me = w.account.address.toLowerCase();
      const expected = { ...initial };
      const size = new Map<number, bigint>();
      for (const f of allFills) {
        if (f.owner.toLowerCase() !== me) continue;
        const t = net.tracker.tracked.get(f.id);
        expect(t, `a fill of an intent this test never submitted: ${f.id}`).toBeDefined();
        if (f.kind === 'swap' && t!.made.signed.type === 'swap') {
          const i = t!.made.signed.intent;
          expected[i.sellToken.toLowerCase()] = expected[i.sellToken.toLowerCase()]! - f.executedSell;
          expected[i.buyToken.toLowerCase()] = expected[i.buyToken.toLowerCase()]! + f.executedBuy;
        } else if (f.kind === 'position') size.set(f.market, (size.get(f.market) ?? 0n) + f.sizeDelta);
      }
      for (const token of Object.values(tokens))
        expect(await balanceOf(net.clients, token, w.account.address), `${me} ${token}`).toBe(expected[token.toLowerCase()]);
      for (const m of d.markets) {
        const p = await net.clients.publicClient.readContract({
          address: d.clearingHouse,
          abi: clearingHouseAbi,
          functionName: 'position',
          args: [w.account.address as Address, m.id],
        });
        expect(p.size, `${me} market ${m.id}`).toBe(size.get(m.id) ?? 0n);
      }
    }

    // swaps and positions cleared together in one batch
    const kindsByTx = new Map<Hex, Set<string>>();
    for (const f of allFills) kindsByTx.set(f.tx, (kindsByTx.get(f.tx) ?? new Set()).add(f.kind));
    expect([...kindsByTx.values()].some((s) => s.has('swap') && s.has('position'))).toBe(true);
    // both solvers took part (each ranked at least once at some node)
    const wins = net.solvers.map((s) => net.tracker.settled.filter((e) => e.solver === s.address).length);
    expect(wins.reduce((a, b) => a + b, 0)).toBe(net.tracker.settled.length);
  }, 240_000);

  it('stops every process it started', async () => {
    await net.stop();
    const alive = (pid: number): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    // stop() waited for each child's exit; the OS may take a moment more to reap it on a loaded machine
    const until = Date.now() + 20_000;
    while (pids.some(alive) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    for (const pid of pids) expect(alive(pid), `pid ${pid} still running`).toBe(false);
  }, 60_000);
});
