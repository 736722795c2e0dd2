// The VolatilityFeed contract against protocol/options/vol-surface.ts on anvil: random valid
// surfaces (seeded, reproducible) are published on three markets, and a few hundred random
// queries (nodes, tenors, between them and beyond the grid) must give the same vol to the wei on
// chain as in TypeScript. Then a set of bad grids, hand-written and mutated from valid ones: the
// TypeScript validator must refuse exactly what `publish` refuses, with the same error and arguments.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BaseError, ContractFunctionRevertedError, parseEventLogs, type Address, type LocalAccount } from 'viem';
import { volatilityFeedAbi } from '../../contracts/artifacts/VolatilityFeed.ts';
import { startAnvil, type Anvil } from '../../contracts/deploy/anvil.ts';
import { devnetClients, type DevnetClients } from '../../contracts/deploy/clients.ts';
import { defaultVolBounds, deployVolatilityFeed, publishSurface, readSurface } from '../../contracts/deploy/options.ts';
import { increaseTime } from '../../contracts/deploy/timelock.ts';
import {
  impliedVol,
  isFresh,
  MAX_ABS_K,
  MAX_TENOR,
  validateSurface,
  WAD,
  type SurfaceError,
  type VolBounds,
  type VolSurface,
} from '../../protocol/options/vol-surface.ts';
import { rng as mulberry32 } from '../../devnet/rng.ts';

const DAY = 86_400n;
const MAX_AGE = 3600n;
const bounds: VolBounds = defaultVolBounds;

/** Seeded (devnet/rng.ts, mulberry32) so failures reproduce. */
function rng(seed: number) {
  const next = mulberry32(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(next() * (hi - lo + 1));
  /** A bigint in [lo, hi], from 96 random bits (bias is irrelevant here). */
  const big = (lo: bigint, hi: bigint): bigint => {
    const bits =
      (BigInt(Math.floor(next() * 2 ** 32)) << 64n) | (BigInt(Math.floor(next() * 2 ** 32)) << 32n) | BigInt(Math.floor(next() * 2 ** 32));
    return lo + (bits % (hi - lo + 1n));
  };
  return { next, int, big };
}
type Rng = ReturnType<typeof rng>;

/** A random valid surface: 1-8 tenors, 1-16 nodes, gaps sometimes of a few units, vols sometimes at the bounds. */
function randomSurface(r: Rng): VolSurface {
  const tenors: bigint[] = [];
  let t = 0n;
  for (let i = r.int(1, 8); i > 0; i--) {
    t += r.next() < 0.2 ? r.big(1n, 100n) : r.big(1n, 60n * DAY);
    tenors.push(t);
  }
  const nodes: bigint[] = [];
  let k = -MAX_ABS_K + r.big(0n, WAD);
  for (let j = r.int(1, 16); j > 0; j--) {
    nodes.push(k);
    k += r.next() < 0.2 ? r.big(1n, 100n) : r.big(1n, WAD / 2n);
  }
  const vols = Array.from({ length: tenors.length * nodes.length }, () => {
    const x = r.next();
    return x < 0.05 ? bounds.minVol : x < 0.1 ? bounds.maxVol : r.big(bounds.minVol, bounds.maxVol);
  });
  return { tenors, nodes, vols };
}

/** A query: exactly on a node or tenor some of the time, else anywhere around and beyond the grid. */
function randomQuery(r: Rng, s: VolSurface): { k: bigint; t: bigint } {
  const k = r.next() < 0.25 ? s.nodes[r.int(0, s.nodes.length - 1)]! : r.big(-6n * WAD, 6n * WAD);
  const last = s.tenors[s.tenors.length - 1]!;
  const t = r.next() < 0.25 ? s.tenors[r.int(0, s.tenors.length - 1)]! : r.big(0n, last + 30n * DAY);
  return { k, t };
}

let anvil: Anvil;
let clients: DevnetClients;
let feeder: LocalAccount;
let feed: Address;

beforeAll(async () => {
  anvil = await startAnvil();
  clients = devnetClients(anvil.rpcUrl, anvil.chainId);
  feeder = clients.accounts[1]!;
  feed = await deployVolatilityFeed(clients, { feeder: feeder.address, maxAge: MAX_AGE, bounds });
});

afterAll(async () => {
  await anvil?.stop();
});

async function chainVol(market: bigint, k: bigint, t: bigint): Promise<readonly [bigint, boolean]> {
  return clients.publicClient.readContract({ address: feed, abi: volatilityFeedAbi, functionName: 'impliedVol', args: [market, k, t] });
}

/** What `publish` reverts with (error name and arguments), or undefined when it would succeed. */
async function publishVerdict(s: VolSurface): Promise<{ name: string; args: readonly unknown[] } | undefined> {
  try {
    await clients.publicClient.simulateContract({
      address: feed,
      abi: volatilityFeedAbi,
      functionName: 'publish',
      args: [9n, [...s.tenors], [...s.nodes], [...s.vols]],
      account: feeder,
    });
    return undefined;
  } catch (error) {
    if (!(error instanceof BaseError)) throw error;
    const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
    if (reverted?.data === undefined) throw error;
    return { name: reverted.data.errorName, args: reverted.data.args ?? [] };
  }
}

/** The TypeScript verdict in the contract's shape (error name and its arguments in ABI order). */
function tsVerdict(s: VolSurface): { name: string; args: readonly unknown[] } | undefined {
  const e: SurfaceError | undefined = validateSurface(s, bounds);
  if (e === undefined) return undefined;
  switch (e.error) {
    case 'EmptyGrid':
      return { name: e.error, args: [] };
    case 'TooManyTenors':
    case 'TooManyNodes':
      return { name: e.error, args: [BigInt(e.count), BigInt(e.max)] };
    case 'VolCountMismatch':
      return { name: e.error, args: [BigInt(e.count), BigInt(e.expected)] };
    case 'TenorOutOfRange':
      return { name: e.error, args: [BigInt(e.index), e.tenor] };
    case 'TenorsNotIncreasing':
    case 'NodesNotIncreasing':
      return { name: e.error, args: [BigInt(e.index)] };
    case 'NodeOutOfRange':
      return { name: e.error, args: [BigInt(e.index), e.node] };
    case 'VolOutOfBounds':
      return { name: e.error, args: [BigInt(e.index), e.vol] };
  }
}

describe('VolatilityFeed on anvil equals protocol/options/vol-surface.ts', () => {
  it('answers every query to the wei on random surfaces', async () => {
    const r = rng(17);
    const wallet = clients.walletFor(feeder);
    let queries = 0;
    let interior = 0;
    for (let round = 0; round < 12; round++) {
      const market = BigInt(1 + (round % 3));
      const surface = randomSurface(r);
      const receipt = await publishSurface(clients, feed, market, surface, wallet);
      const [event] = parseEventLogs({ abi: volatilityFeedAbi, eventName: 'SurfacePublished', logs: receipt.logs });
      expect(event?.args.market).toBe(market);
      expect(event?.args.tenorCount).toBe(BigInt(surface.tenors.length));
      expect(event?.args.nodeCount).toBe(BigInt(surface.nodes.length));
      const stored = await readSurface(clients, feed, market);
      expect({ tenors: stored.tenors, nodes: stored.nodes, vols: stored.vols }).toEqual(surface);

      const batch = Array.from({ length: 30 }, () => randomQuery(r, surface));
      const answers = await Promise.all(batch.map((q) => chainVol(market, q.k, q.t)));
      batch.forEach((q, n) => {
        const [vol, fresh] = answers[n]!;
        expect(vol, `market ${market} k ${q.k} t ${q.t}`).toBe(impliedVol(surface, q.k, q.t));
        expect(fresh).toBe(true);
        const ts = surface.tenors;
        if (q.t > ts[0]! && q.t < ts[ts.length - 1]! && !ts.includes(q.t)) interior++;
      });
      queries += batch.length;
    }
    expect(queries).toBe(360);
    // the total-variance branch (strictly between two tenors) was exercised, not only the clamps
    expect(interior).toBeGreaterThan(50);
  });

  it('turns stale after maxAge, as isFresh says', async () => {
    const surface = randomSurface(rng(5));
    const receipt = await publishSurface(clients, feed, 42n, surface, clients.walletFor(feeder));
    const publishedAt = (await clients.publicClient.getBlock({ blockNumber: receipt.blockNumber })).timestamp;
    expect((await readSurface(clients, feed, 42n)).publishedAt).toBe(publishedAt);
    for (const step of [MAX_AGE / 2n, MAX_AGE]) {
      await increaseTime(clients, step);
      const now = (await clients.publicClient.getBlock()).timestamp;
      const [vol, fresh] = await chainVol(42n, 0n, DAY);
      expect(fresh).toBe(isFresh(publishedAt, now, MAX_AGE));
      expect(vol).toBe(impliedVol(surface, 0n, DAY));
    }
    // after 1.5 maxAge it is stale, and a market never published is stale with vol 0
    expect((await chainVol(42n, 0n, DAY))[1]).toBe(false);
    expect(await chainVol(4242n, 0n, DAY)).toEqual([0n, false]);
  });

  it('the TypeScript validator refuses exactly what publish refuses', async () => {
    const base: VolSurface = {
      tenors: [7n * DAY, 30n * DAY, 90n * DAY],
      nodes: [-WAD / 2n, 0n, WAD / 2n],
      vols: Array.from({ length: 9 }, (_, i) => WAD / 2n + BigInt(i) * 10n ** 16n),
    };
    const sized = (nt: number, nk: number): VolSurface => ({
      tenors: Array.from({ length: nt }, (_, i) => BigInt(i + 1) * DAY),
      nodes: Array.from({ length: nk }, (_, j) => BigInt(j) * 10n ** 17n),
      vols: Array(nt * nk).fill(WAD),
    });
    const bad: VolSurface[] = [
      { ...base, tenors: [], vols: [] },
      { ...base, nodes: [], vols: [] },
      sized(9, 3),
      sized(3, 17),
      sized(8, 16), // the largest allowed grid: accepted
      { ...base, vols: base.vols.slice(1) },
      { ...base, vols: [...base.vols, WAD] },
      { ...base, tenors: [0n, DAY, 2n * DAY] },
      { ...base, tenors: [1n, 2n, MAX_TENOR + 1n] },
      { ...base, tenors: [1n, 2n, MAX_TENOR] }, // the longest tenor: accepted
      { ...base, tenors: [DAY, DAY, 2n * DAY] },
      { ...base, tenors: [3n * DAY, 2n * DAY, DAY] },
      { ...base, nodes: [-MAX_ABS_K - 1n, 0n, 1n] },
      { ...base, nodes: [-1n, 0n, MAX_ABS_K + 1n] },
      { ...base, nodes: [-MAX_ABS_K, 0n, MAX_ABS_K] }, // the widest nodes: accepted
      { ...base, nodes: [0n, 0n, 1n] },
      { ...base, nodes: [-1n, 1n, 0n] },
      { ...base, vols: base.vols.map((v, i) => (i === 4 ? bounds.minVol - 1n : v)) },
      { ...base, vols: base.vols.map((v, i) => (i === 8 ? bounds.maxVol + 1n : v)) },
      { ...base, vols: base.vols.map((v, i) => (i === 0 ? 0n : v)) },
      { tenors: [2n, 1n, 3n], nodes: [1n, 0n, -1n], vols: Array(9).fill(0n) },
    ];
    // and random valid surfaces with one random fault each
    const r = rng(99);
    for (let n = 0; n < 40; n++) {
      const s = randomSurface(r);
      const tenors = [...s.tenors];
      const nodes = [...s.nodes];
      const vols = [...s.vols];
      const fault = r.int(0, 5);
      if (fault === 0 && tenors.length > 1) tenors[r.int(1, tenors.length - 1)] = tenors[0]!;
      else if (fault === 1 && nodes.length > 1) nodes[r.int(1, nodes.length - 1)] = nodes[0]! - r.big(0n, WAD);
      else if (fault === 2)
        vols[r.int(0, vols.length - 1)] = r.next() < 0.5 ? r.big(0n, bounds.minVol - 1n) : bounds.maxVol + r.big(1n, WAD);
      else if (fault === 3) vols.pop();
      else if (fault === 4) nodes[r.int(0, nodes.length - 1)] = r.next() < 0.5 ? MAX_ABS_K + r.big(1n, WAD) : -MAX_ABS_K - r.big(1n, WAD);
      // fault 5 (or a one-entry axis): left valid, so acceptance is compared too
      bad.push({ tenors, nodes, vols });
    }
    const verdicts = await Promise.all(bad.map(publishVerdict));
    let refused = 0;
    bad.forEach((s, n) => {
      expect(verdicts[n], `grid ${n}`).toEqual(tsVerdict(s));
      if (verdicts[n] !== undefined) refused++;
    });
    expect(refused).toBeGreaterThan(40);
    expect(refused).toBeLessThan(bad.length);
  });
});
