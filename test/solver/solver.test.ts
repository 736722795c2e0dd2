import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scoreSolution } from '../../protocol/score.ts';
import { tradeAmounts } from '../../protocol/clearing.ts';
import type { Address } from 'viem';
import { getAmountOut } from '../../solver/domain/math/v2.ts';
import { getSqrtRatioAtTick, getTickAtSqrtRatio, MAX_TICK, MIN_TICK } from '../../solver/domain/math/v3.ts';
import { executePlan } from '../../solver/domain/routing/execute.ts';
import { Router } from '../../solver/domain/routing/router.ts';
import { solve } from '../../solver/domain/solve.ts';
import { makeInstance } from './instances.ts';
import { UniswapV2Pool } from '../../solver/domain/liquidity/uniswap-v2.ts';
import { bisectionReference, parallelPoolsOutput, referenceOptimum } from './reference.ts';
import { UniformReference } from './uniform.ts';

const SETTLEMENT = '0x00000000000000000000000000000000000000ee' as Address;
const SOLVER = '0x00000000000000000000000000000000000000ff' as Address;

describe('v3 tick maths', () => {
  it('getSqrtRatioAtTick matches known values and getTickAtSqrtRatio inverts it', () => {
    expect(getSqrtRatioAtTick(0)).toBe(1n << 96n);
    expect(getSqrtRatioAtTick(MIN_TICK)).toBe(4295128739n);
    expect(getSqrtRatioAtTick(MAX_TICK)).toBe(1461446703485210103287273052203988822378723970342n);
    fc.assert(
      fc.property(fc.integer({ min: MIN_TICK, max: MAX_TICK - 1 }), (t) => {
        expect(getTickAtSqrtRatio(getSqrtRatioAtTick(t))).toBe(t);
        expect(getTickAtSqrtRatio(getSqrtRatioAtTick(t + 1) - 1n)).toBe(t);
      }),
      { numRuns: 300 },
    );
  });
});

describe('v2 adapter', () => {
  it('float arbitrage agrees with exact getAmountOut', () => {
    const p = new UniswapV2Pool({
      address: '0x0000000000000000000000000000000000000101',
      token0: '0x000000000000000000000000000000000000000a',
      token1: '0x000000000000000000000000000000000000000b',
      reserve0: 10n ** 24n,
      reserve1: 2n * 10n ** 24n,
    });
    const out = new Float64Array(3);
    p.arb(1.5, out); // sell token0 until γ·price = 1.5
    const exact = getAmountOut(BigInt(Math.round(-out[0]!)), 10n ** 24n, 2n * 10n ** 24n);
    expect(Math.abs(Number(exact) - out[1]!) / out[1]!).toBeLessThan(1e-9);
  });
});

describe('router', () => {
  it('matches the bisection optimum on parallel pools and executes exactly', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const inst = makeInstance({ seed, tokens: 2, pools: 20, intents: 0, singlePair: true });
      const router = new Router(inst.pools.map((p) => p.clone()));
      const src = router.tokenIndex.get(router.pools[0]!.token0)!;
      const x = Number(inst.pools.reduce((s, p) => s + (p.kind === 'uniswapV2' ? (p as UniswapV2Pool).reserve0 : 0n), 0n)) * 0.05 + 1e6;
      const plan = router.plan(src, 1 - src, x);
      const ref = parallelPoolsOutput(router.pools, true, x);
      expect(plan.out / ref).toBeGreaterThan(0.999999);
      const exact = executePlan(router, plan, BigInt(Math.floor(x)));
      expect(Math.abs(Number(exact.amountOut) - plan.out) / plan.out).toBeLessThan(1e-6);
    }
  });
});

describe('solver', () => {
  it('solutions never break a limit, score valid, and conserve every token', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 2, max: 8 }), (seed, tokens) => {
        const inst = makeInstance({ seed, tokens, pools: tokens * 4, intents: 12 });
        for (const strategy of ['optimal', 'baseline'] as const) {
          const res = solve(inst.auction, inst.pools, { strategy, settlement: SETTLEMENT, solver: SOLVER });
          const score = scoreSolution(res.solution, inst.auction);
          expect(score.ok).toBe(true);
          // token conservation: pulled + pool outputs >= paid + pool inputs
          const prices = new Map(res.solution.prices.map((p) => [p.token, p.price]));
          const bal = new Map<string, bigint>();
          const add = (t: string, v: bigint) => bal.set(t, (bal.get(t) ?? 0n) + v);
          for (const t of res.solution.trades) {
            const i = inst.auction.intents.get(t.intentId)!.intent;
            if (i.type !== 'swap') continue;
            const a = tradeAmounts(i.intent, t.executed, prices.get(i.intent.sellToken)!, prices.get(i.intent.buyToken)!);
            add(i.intent.sellToken, a.sell);
            add(i.intent.buyToken, -a.buy);
          }
          for (const l of res.legs) {
            add(l.zeroForOne ? l.pool.token0 : l.pool.token1, -l.amountIn);
            add(l.zeroForOne ? l.pool.token1 : l.pool.token0, l.amountOut);
          }
          for (const v of bal.values()) expect(v >= 0n).toBe(true);
        }
      }),
      { numRuns: 15 },
    );
  });
});

describe('adapters: quoteFloat', () => {
  it('V2 and V3 float quotes agree with the exact quotes', () => {
    const inst = makeInstance({ seed: 7, tokens: 4, pools: 40, intents: 0 });
    for (const p of inst.pools) {
      for (const zeroForOne of [true, false]) {
        for (const frac of [1e-6, 1e-3, 0.05]) {
          const out = new Float64Array(3);
          p.arb(zeroForOne ? p.spotPrice() * 0.5 : p.spotPrice() * 2, out);
          const amountIn = Math.floor((zeroForOne ? -out[0]! : -out[1]!) * frac) + 1000;
          const exact = Number(p.quote(zeroForOne, BigInt(amountIn)));
          const f = p.quoteFloat!(zeroForOne, amountIn);
          // the exact pool rounds the fee on an integer input: allow ~2 input units of output
          expect(Math.abs(f - exact)).toBeLessThanOrEqual(2 + 1e-8 * exact + (4 * exact) / amountIn);
        }
      }
    }
  });
});

describe('optimal strategy (joint batch solve)', () => {
  // ended by the stages' evaluation caps, not the clock: these check quality, which a loaded
  // machine must not take away by running the default budget out
  const opts = { settlement: SETTLEMENT, solver: SOLVER, budgetMs: 600_000 };
  const scoreOf = (inst: ReturnType<typeof makeInstance>, strategy: 'optimal' | 'baseline', extra: object = {}) => {
    const res = solve(inst.auction, inst.pools, { ...opts, strategy, ...extra });
    const s = scoreSolution(res.solution, inst.auction);
    expect(s.ok).toBe(true);
    return { res, score: s.ok ? Number(s.value.score) / 1e18 : NaN };
  };

  it('fills the single intent of "2 tokens, 10 pools, 1 intent" at the split optimum', () => {
    const inst = makeInstance({ seed: 11, tokens: 2, pools: 10, intents: 1, singlePair: true, oppositeShare: 0 });
    const { res, score } = scoreOf(inst, 'optimal', { noFallback: true });
    expect(res.stats.filled).toBe(1);
    expect(res.stats.source).toBe('joint');
    // reference optimum (bisection on the common marginal price, bench:solver): 9.1528
    expect(score).toBeGreaterThan(9.1528 * 0.999);
    expect(score).toBeGreaterThan(scoreOf(inst, 'baseline').score);
  });

  it('beats the baseline on "5 tokens, 40 pools, 20 intents"', () => {
    const inst = makeInstance({ seed: 21, tokens: 5, pools: 40, intents: 20 });
    const joint = scoreOf(inst, 'optimal', { noFallback: true }).score;
    const base = scoreOf(inst, 'baseline').score;
    expect(joint).toBeGreaterThan(base);
    expect(scoreOf(inst, 'optimal').score).toBe(joint);
  });

  it('never scores below the baseline and never above the reference upper bound', () => {
    for (const seed of [31, 32, 33, 34, 35, 36]) {
      const inst = makeInstance({ seed, tokens: 2 + (seed % 5), pools: 12 + (seed % 7), intents: 10 });
      const opt = scoreOf(inst, 'optimal');
      const base = scoreOf(inst, 'baseline').score;
      expect(opt.score).toBeGreaterThanOrEqual(base);
      const bound = referenceOptimum(inst.auction, inst.pools).bound;
      expect(opt.score).toBeLessThanOrEqual(bound * (1 + 1e-9) + 1e-9);
    }
  });

  it('on the convex variant of "10 tokens, 100 pools, 50 intents" reaches the best surplus at its own prices (partial fills keep following the marginal price)', () => {
    const inst = makeInstance({ seed: 22, tokens: 10, pools: 100, intents: 50, allPartial: true });
    const { res, score } = scoreOf(inst, 'optimal');
    const u = new UniformReference(inst.auction, inst.pools);
    const p = u.spotValues();
    const given = res.solution.prices.map((x) => [u.index.get(x.token)!, Number(x.price)] as const);
    const scale = Math.exp(given.reduce((a, [k, v]) => a + Math.log(p[k]! / v), 0) / given.length);
    for (const [k, v] of given) p[k] = v * scale;
    const atOwnPrices = u.evaluate(p, { cold: true }).value / 1e18; // an upper bound of V(p)
    expect(score).toBeLessThanOrEqual(atOwnPrices * (1 + 1e-9));
    expect(score).toBeGreaterThan(atOwnPrices * 0.998);
    expect(atOwnPrices).toBeLessThanOrEqual(referenceOptimum(inst.auction, inst.pools).bound * (1 + 1e-9));
  });

  it('fills a partially fillable intent partly where a full fill would break its limit', () => {
    const inst = makeInstance({ seed: 11, tokens: 2, pools: 3, intents: 1, singlePair: true, oppositeShare: 0 });
    const [entry] = [...inst.auction.intents.values()];
    if (entry!.intent.type !== 'swap') throw new Error('swap expected');
    const i = entry!.intent.intent;
    // ten times the pools' depth, limit 1% under the pools' price: all of it can never clear
    const router = new Router(inst.pools.map((p) => p.clone()));
    const sellsToken0 = i.sellToken === router.pools[0]!.token0;
    const depth = inst.pools.reduce((s, p) => s + Number(sellsToken0 ? p.quote(false, 1n) * 0n : 0n), 0);
    void depth;
    const spot = inst.pools[0]!.spotPrice(); // token1 per token0
    const rate = sellsToken0 ? spot : 1 / spot;
    let reserves = 0;
    const buf = new Float64Array(3);
    for (const p of inst.pools) {
      p.arb(sellsToken0 ? spot * 0.5 : spot * 2, buf);
      reserves += sellsToken0 ? -buf[0]! : -buf[1]!;
    }
    i.sellAmount = BigInt(Math.floor(reserves * 10));
    i.buyAmount = BigInt(Math.floor(Number(i.sellAmount) * rate * 0.99));
    i.kind = 0;
    i.partiallyFillable = true;
    const partial = scoreOf(inst, 'optimal');
    expect(partial.res.stats.filled).toBe(1);
    const executed = partial.res.solution.trades[0]!.executed;
    expect(executed > 0n && executed < i.sellAmount).toBe(true);
    expect(partial.score).toBeGreaterThan(0);
    i.partiallyFillable = false;
    const fok = scoreOf(inst, 'optimal');
    expect(fok.res.stats.filled).toBe(0);
  });

  // (how long it takes is bench:solver's to measure, not a unit test's to assert on a shared machine)
  it('solves 200 intents over 1,000 pools with the joint solve, above the baseline', () => {
    const inst = makeInstance({ seed: 24, tokens: 50, pools: 1000, intents: 200 });
    const opt = scoreOf(inst, 'optimal');
    expect(opt.res.stats.source).toBe('joint');
    expect(opt.score).toBeGreaterThan(scoreOf(inst, 'baseline').score);
  });
});

describe('reference optimum (test/solver/reference.ts)', () => {
  it('equals the bisection optimum on single-pair single-intent instances', () => {
    for (const seed of [11, 12, 13]) {
      const inst = makeInstance({ seed, tokens: 2, pools: 10 + seed, intents: 1, singlePair: true, oppositeShare: 0 });
      const ref = bisectionReference(inst);
      const bound = referenceOptimum(inst.auction, inst.pools).bound;
      expect(Math.abs(bound - ref)).toBeLessThanOrEqual(1e-6 * ref + 1e-9);
    }
  });
});
