// Instance families for measuring the solver against test/solver/certified.ts, written apart from
// test/solver/instances.ts (its own PRNG, its own shapes) so the instances the solver is judged on
// do not come from the hands that tuned it.
//
// Families:
//   twoSided  2 tokens, 3-7 V2 pools, 5-40 intents both ways, limits within ±2% of the pool price,
//             all partially fillable (the uniform-price problem is convex at fixed prices).
//   ring      3-5 tokens, one pool per ring edge (sometimes two), intents around the ring and some
//             reverse, all partially fillable.
//   fokMix    2-3 tokens, 10-26 intents, 30-60% fill-or-kill (a combinatorial problem).
//   routing   2 tokens, all intents one way, 3-8 parallel pools of mixed kinds: splitting matters.
//   mixedAmm  3 tokens, V2 + V3 + StableSwap pools (a stable pair among them), all partially fillable.
//   tiny      2-3 tokens, 1-3 intents, mixed fill-or-kill.
//   small     every shape at once, small (for the randomized sweep): 2-4 tokens, a connected set of
//             2-5 pools of any kind, 2-12 intents between any tokens, none / some / many fill-or-kill.
//   large     50 tokens, 1000 pools, 200 intents (timing only: too big to certify).
//
// Seeds: TUNING_SEEDS may be used freely while improving the solver; HELD_OUT_SEEDS must NOT be
// used for tuning (not looked at while changing the solver), only reported, so that an improvement
// that merely fits the tuning instances shows up as a gap between the two sets.
import type { Address, Hex } from 'viem';
import type { SwapIntent } from '../../protocol/intent.ts';
import type { Auction, AuctionIntent } from '../../protocol/score.ts';
import type { LiquidityAdapter } from '../../solver/domain/liquidity/adapter.ts';
import { StableSwapPool } from '../../solver/domain/liquidity/stable-swap.ts';
import { UniswapV2Pool } from '../../solver/domain/liquidity/uniswap-v2.ts';
import { UniswapV3Pool } from '../../solver/domain/liquidity/uniswap-v3.ts';
import { getTickAtSqrtRatio, MAX_TICK } from '../../solver/domain/math/v3.ts';

export const FAMILIES = ['twoSided', 'ring', 'fokMix', 'routing', 'mixedAmm', 'tiny', 'small', 'large'] as const;
export type Family = (typeof FAMILIES)[number];
/** Families whose intents are all partially fillable: the uniform-price problem is convex at fixed prices. */
export const CONVEX_FAMILIES: readonly Family[] = ['twoSided', 'ring', 'routing', 'mixedAmm'];

/** Seeds for tuning and for the randomized test. */
export const TUNING_SEEDS: readonly number[] = Array.from({ length: 1000 }, (_, k) => k + 1);
/** Held-out seeds: never used for tuning, only reported (disjoint from TUNING_SEEDS). */
export const HELD_OUT_SEEDS: readonly number[] = Array.from({ length: 1000 }, (_, k) => 1_000_000 + k);

export type FamilyToken = { address: Address; decimals: number; usd: number };
export type FamilyInstance = {
  family: Family;
  seed: number;
  tokens: FamilyToken[];
  pools: LiquidityAdapter[];
  auction: Auction;
  intents: { id: Hex; intent: SwapIntent }[];
};

/** splitmix32: small, fast, and good enough to spread seeds that differ in one bit. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
    return z / 2 ** 32;
  };
}

const familySalt = (f: Family): number => {
  let h = 0x811c9dc5;
  for (const c of f) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return h;
};

const address = (prefix: number, k: number): Address =>
  `0x${prefix.toString(16).padStart(2, '0')}${k.toString(16).padStart(38, '0')}` as Address;
const id32 = (k: number): Hex => `0x${k.toString(16).padStart(64, '0')}` as Hex;

class Builder {
  readonly r: () => number;
  readonly tokens: FamilyToken[] = [];
  readonly pools: LiquidityAdapter[] = [];
  readonly intents: { id: Hex; intent: SwapIntent }[] = [];

  constructor(seed: number) {
    this.r = prng(seed);
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.r() * (hi - lo + 1));
  }
  logUniform(lo: number, hi: number): number {
    return Math.exp(Math.log(lo) + this.r() * Math.log(hi / lo));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.r() * xs.length)]!;
  }
  /** Tokens with distinct addresses; `stable` ones are worth about a dollar. */
  addTokens(n: number, stable = 0): void {
    for (let k = 0; k < n; k++) {
      const decimals = this.pick([18, 18, 6, 8]);
      const usd = k < stable ? 1 + (this.r() - 0.5) * 0.002 : k === stable ? 1 : this.logUniform(0.02, 30_000);
      this.tokens.push({ address: address(0x40, 0x100 + k * 7 + this.int(0, 6)), decimals, usd });
    }
    // distinct, sorted addresses keep pool token order trivial
    this.tokens.sort((a, b) => (a.address < b.address ? -1 : 1));
    for (let k = 1; k < this.tokens.length; k++) {
      if (this.tokens[k]!.address === this.tokens[k - 1]!.address) this.tokens[k]!.address = address(0x41, k);
    }
    this.tokens.sort((a, b) => (a.address < b.address ? -1 : 1));
  }
  units(usd: number, t: FamilyToken): bigint {
    return BigInt(Math.max(1, Math.floor((usd / t.usd) * 10 ** t.decimals)));
  }
  private ordered(a: number, b: number): [FamilyToken, FamilyToken] {
    const x = this.tokens[a]!;
    const y = this.tokens[b]!;
    return x.address < y.address ? [x, y] : [y, x];
  }
  /** A V2 pair holding `usd` of each side, its price off the tokens' value by up to ±`skew`. */
  addV2(a: number, b: number, usd: number, skew = 0.001): void {
    const [t0, t1] = this.ordered(a, b);
    const tilt = 1 + (this.r() * 2 - 1) * skew;
    this.pools.push(
      new UniswapV2Pool({
        address: address(0x50, this.pools.length + 1),
        token0: t0.address,
        token1: t1.address,
        reserve0: this.units(usd * tilt, t0),
        reserve1: this.units(usd, t1),
      }),
    );
  }
  /** A V3 pool: full-range liquidity worth `usd` a side, optionally a concentrated band on top. */
  addV3(a: number, b: number, usd: number, skew = 0.001): void {
    const [t0, t1] = this.ordered(a, b);
    const fee = this.pick([500, 3000, 10000]);
    const spacing = fee === 500 ? 10 : fee === 3000 ? 60 : 200;
    const tilt = 1 + (this.r() * 2 - 1) * skew;
    const amount0 = Number(this.units(usd * tilt, t0));
    const amount1 = Number(this.units(usd, t1));
    const sqrtPriceX96 = BigInt(Math.floor(Math.sqrt(amount1 / amount0) * 2 ** 96));
    const tick = getTickAtSqrtRatio(sqrtPriceX96);
    const full = BigInt(Math.floor(Math.sqrt(amount0 * amount1)));
    const edge = Math.floor(MAX_TICK / spacing) * spacing;
    const ticks = [
      { index: -edge, liquidityNet: full, liquidityGross: full },
      { index: edge, liquidityNet: -full, liquidityGross: full },
    ];
    let liquidity = full;
    if (this.r() < 0.5) {
      const width = this.int(3, 40);
      const base = Math.floor(tick / spacing) * spacing;
      const band = BigInt(Math.floor(Number(full) * this.logUniform(1, 10)));
      ticks.push(
        { index: base - width * spacing, liquidityNet: band, liquidityGross: band },
        { index: base + (width + 1) * spacing, liquidityNet: -band, liquidityGross: band },
      );
      liquidity += band;
    }
    ticks.sort((x, y) => x.index - y.index);
    this.pools.push(
      new UniswapV3Pool({
        address: address(0x50, this.pools.length + 1),
        token0: t0.address,
        token1: t1.address,
        fee,
        tickSpacing: spacing,
        sqrtPriceX96,
        tick,
        liquidity,
        ticks,
      }),
    );
  }
  /** A StableSwap pool between two dollar tokens. */
  addStable(a: number, b: number, usd: number): void {
    const [t0, t1] = this.ordered(a, b);
    this.pools.push(
      new StableSwapPool({
        address: address(0x50, this.pools.length + 1),
        token0: t0.address,
        token1: t1.address,
        decimals0: t0.decimals,
        decimals1: t1.decimals,
        amp: BigInt(this.int(50, 2000)),
        fee: BigInt(this.pick([1_000_000, 4_000_000, 10_000_000])),
        reserve0: this.units(usd * (1 + (this.r() - 0.5) * 0.2), t0),
        reserve1: this.units(usd, t1),
      }),
    );
  }
  /**
   * An intent selling `sell` for `buy` worth `usd`, its limit `edge` away from the tokens' value
   * (positive: asks more than the market gives, so only a counterparty can fill it).
   */
  addIntent(sell: number, buy: number, usd: number, edge: number, partiallyFillable: boolean): void {
    const s = this.tokens[sell]!;
    const b = this.tokens[buy]!;
    const kind = this.r() < 0.75 ? 0 : 1;
    const sellAmount = this.units(usd, s);
    const buyAmount = this.units(usd * (1 + edge), b);
    const k = this.intents.length + 1;
    this.intents.push({
      id: id32(k),
      intent: {
        owner: address(0x60, 1 + (k % 5)),
        sellToken: s.address,
        buyToken: b.address,
        receiver: '0x0000000000000000000000000000000000000000',
        sellAmount,
        buyAmount,
        validTo: 2_000_000_000,
        nonce: BigInt(k),
        kind,
        partiallyFillable,
        appData: id32(0),
      },
    });
  }
  finish(family: Family, seed: number): FamilyInstance {
    const map = new Map<Hex, AuctionIntent>();
    for (const i of this.intents) map.set(i.id, { id: i.id, intent: { type: 'swap', intent: i.intent } });
    const referencePrices = new Map<Address, bigint>();
    // numeraire value of 1e18 base units, to 1e-9 dollars
    for (const t of this.tokens) {
      referencePrices.set(t.address, (BigInt(Math.round(t.usd * 1e9)) * 10n ** BigInt(18 + 18 - t.decimals)) / 10n ** 9n);
    }
    return {
      family,
      seed,
      tokens: this.tokens,
      pools: this.pools,
      intents: this.intents,
      auction: { id: BigInt(seed) + 1n, intents: map, referencePrices },
    };
  }
}

/** Draws the instance `seed` of `family`; the same pair always gives the same instance. */
export function makeFamilyInstance(family: Family, seed: number): FamilyInstance {
  const g = new Builder((seed * 0x27d4eb2d) ^ familySalt(family));
  const depth = () => g.logUniform(2e5, 5e6);
  const pair = (n: number): [number, number] => {
    const a = g.int(0, n - 1);
    return [a, (a + g.int(1, n - 1)) % n];
  };
  switch (family) {
    case 'twoSided': {
      g.addTokens(2);
      const pools = g.int(3, 7);
      for (let k = 0; k < pools; k++) g.addV2(0, 1, depth());
      const intents = g.int(5, 40);
      for (let k = 0; k < intents; k++) {
        const [s, b] = g.r() < 0.5 ? [0, 1] : [1, 0];
        g.addIntent(s, b, g.logUniform(1e3, 3e5), (g.r() * 2 - 1) * g.pick([0.01, 0.02]), true);
      }
      break;
    }
    case 'ring': {
      const n = g.int(3, 5);
      g.addTokens(n);
      for (let k = 0; k < n; k++) {
        g.addV2(k, (k + 1) % n, depth());
        if (g.r() < 0.3) g.addV2(k, (k + 1) % n, depth());
      }
      const intents = g.int(n * 2, n * 6);
      for (let k = 0; k < intents; k++) {
        const a = g.int(0, n - 1);
        const b = (a + 1) % n;
        const [s, t] = g.r() < 0.75 ? [a, b] : [b, a];
        g.addIntent(s, t, g.logUniform(1e3, 2e5), (g.r() * 2 - 1) * 0.02, true);
      }
      break;
    }
    case 'fokMix': {
      const n = g.int(2, 3);
      g.addTokens(n);
      for (let k = 0; k < n - 1; k++) g.addV2(k, k + 1, depth());
      const extra = g.int(1, 4);
      for (let k = 0; k < extra; k++) {
        const [a, b] = pair(n);
        if (g.r() < 0.6) g.addV2(a, b, depth());
        else g.addV3(a, b, depth());
      }
      const intents = g.int(10, 26);
      const fokShare = 0.3 + g.r() * 0.3;
      for (let k = 0; k < intents; k++) {
        const [s, b] = pair(n);
        g.addIntent(s, b, g.logUniform(1e3, 2e5), (g.r() * 2 - 1) * 0.02, g.r() >= fokShare);
      }
      break;
    }
    case 'routing': {
      g.addTokens(2);
      const pools = g.int(3, 8);
      for (let k = 0; k < pools; k++) {
        if (g.r() < 0.5) g.addV2(0, 1, depth(), 0.003);
        else g.addV3(0, 1, depth(), 0.003);
      }
      const intents = g.int(1, 8);
      const [s, b] = g.r() < 0.5 ? [0, 1] : [1, 0];
      // large against the pools (0.5-20% of a pool's depth) so one pool alone is a poor route
      for (let k = 0; k < intents; k++) g.addIntent(s, b, g.logUniform(1e4, 5e5), -g.logUniform(0.005, 0.08), true);
      break;
    }
    case 'mixedAmm': {
      // tokens 0 and 1 are dollar stables; token 2 is volatile
      g.addTokens(3, 2);
      g.addStable(0, 1, depth() * 4);
      if (g.r() < 0.5) g.addV2(0, 1, depth());
      g.addV2(0, 2, depth());
      g.addV3(1, 2, depth());
      if (g.r() < 0.5) g.addV3(0, 2, depth());
      const intents = g.int(4, 20);
      for (let k = 0; k < intents; k++) {
        const [s, b] = pair(3);
        g.addIntent(s, b, g.logUniform(1e3, 3e5), (g.r() * 2 - 1) * 0.015, true);
      }
      break;
    }
    case 'tiny': {
      const n = g.int(2, 3);
      g.addTokens(n);
      for (let k = 0; k < n - 1; k++) g.addV2(k, k + 1, depth());
      if (g.r() < 0.5) g.addV3(0, n - 1, depth());
      const intents = g.int(1, 3);
      for (let k = 0; k < intents; k++) {
        const [s, b] = pair(n);
        g.addIntent(s, b, g.logUniform(1e3, 2e5), (g.r() * 2 - 1) * 0.02, g.r() < 0.5);
      }
      break;
    }
    case 'small': {
      const n = g.int(2, 4);
      const stables = g.r() < 0.3 ? 2 : 0;
      g.addTokens(n, stables);
      // a path over every token, then up to two more pools on any pair
      for (let k = 0; k < n - 1; k++) {
        if (stables && k === 0) g.addStable(0, 1, depth() * 4);
        else if (g.r() < 0.6) g.addV2(k, k + 1, depth());
        else g.addV3(k, k + 1, depth());
      }
      const extra = g.int(n === 2 ? 1 : 0, 2);
      for (let k = 0; k < extra; k++) {
        const [a, b] = pair(n);
        if (g.r() < 0.6) g.addV2(a, b, depth());
        else g.addV3(a, b, depth());
      }
      const intents = g.int(2, 12);
      const fokShare = g.pick([0, 0.3, 0.6]);
      for (let k = 0; k < intents; k++) {
        const [a, b] = pair(n);
        g.addIntent(a, b, g.logUniform(1e3, 2e5), (g.r() * 2 - 1) * 0.02, g.r() >= fokShare);
      }
      break;
    }
    case 'large': {
      const n = 50;
      g.addTokens(n);
      for (let k = 0; k < 1000; k++) {
        // a spanning path first so every token is reachable, then pairs biased towards hubs
        const [a, b] = k < n - 1 ? [k, k + 1] : g.r() < 0.5 ? [g.int(0, 4), g.int(5, n - 1)] : pair(n);
        if (g.r() < 0.6) g.addV2(a, b, depth());
        else g.addV3(a, b, depth());
      }
      for (let k = 0; k < 200; k++) {
        const [s, b] = g.r() < 0.5 ? [g.int(0, 4), g.int(5, n - 1)] : pair(n);
        g.addIntent(s, b, g.logUniform(1e3, 2e5), (g.r() * 2 - 1) * 0.02, g.r() < 0.5);
      }
      break;
    }
  }
  return g.finish(family, seed);
}
