// The MILP stage's view of a batch: the open swap orders, and every pool direction's output curve
// as supporting lines. A pool's output for input u, g(u), is concave, so each tangent line is an
// upper bound on it everywhere: the lines together are an outer (optimistic) linearisation that
// the exact stage later replaces by real quotes. The lines come from the adapter's own `arb`: at
// an outside price r the optimal arbitrage trade (u*, g(u*)) has slope r, so g(u) <= g(u*) + r·(u −
// u*). They start at the fee band's edge (inside it the pool does not trade) and are dense close to
// it, where a batch's net trades sit; more are added where the LP's choices land (tighten()).
import type { Address, Hex } from 'viem';
import type { SwapIntent } from '../../../protocol/intent.ts';
import { SwapKind } from '../../../protocol/intent.ts';
import type { Auction } from '../../../protocol/score.ts';
import { lower } from '../address.ts';
import { prunePools } from '../joint/prune.ts';
import type { LiquidityAdapter } from '../liquidity/adapter.ts';
import { openSwaps } from '../open-swaps.ts';

export type Order = {
  id: Hex;
  intent: SwapIntent;
  /** What is left to fill, in the intent's kind token. */
  amount: bigint;
  /** Token indices sold and bought. */
  s: number;
  t: number;
  sell: boolean;
  fok: boolean;
};

/** out <= a + b·in, in base units. */
export type Line = { a: number; b: number };

export type PoolSide = { pool: number; zeroForOne: boolean; tin: number; tout: number; lines: Line[] };

/** Relative distances of the sampled outside prices beyond the fee band's edge (0 = the edge). */
const LINE_OFFSETS = [0, ...Array.from({ length: 22 }, (_, k) => 10 ** (-7 + (k * 6.7) / 21))];

export class BatchModel {
  readonly tokens: Address[] = [];
  readonly index = new Map<Address, number>();
  readonly orders: Order[] = [];
  /** The pools that can matter (the caller's adapters, never swapped on). */
  readonly pools: LiquidityAdapter[];
  /** Two per pool: [2k] sells token0, [2k + 1] sells token1. */
  readonly sides: PoolSide[] = [];
  /** Numeraire value of one base unit of each token (reference price / 1e36 · 1e18); 0 if unknown. */
  readonly refUnit: number[] = [];
  /** Swap intents in the auction. */
  readonly intents: number;

  readonly auction: Auction;

  constructor(auction: Auction, pools: LiquidityAdapter[], now: number) {
    this.auction = auction;
    const { swaps, intents } = openSwaps(auction, now);
    this.intents = intents;
    this.pools = prunePools(pools, new Set(swaps.flatMap((o) => [o.sellToken, o.buyToken])));
    const reachable = new Set(this.pools.flatMap((p) => [p.token0, p.token1]));
    for (const o of swaps) {
      if (!reachable.has(o.sellToken) || !reachable.has(o.buyToken)) continue;
      this.orders.push({
        id: o.id,
        intent: o.intent,
        amount: o.amount,
        s: this.token(o.sellToken),
        t: this.token(o.buyToken),
        sell: o.intent.kind === SwapKind.SELL,
        fok: !o.intent.partiallyFillable,
      });
    }
    for (const p of this.pools) {
      this.token(p.token0);
      this.token(p.token1);
    }
    for (const a of this.tokens) this.refUnit.push(Number(auction.referencePrices.get(a) ?? 0n) / 1e36);
  }

  /**
   * Builds every pool side's supporting lines (two dozen `arb` calls per side): separate from the
   * constructor so a batch the MILP stage skips for its size costs only the cheap part.
   */
  linearise(): void {
    const buf = new Float64Array(3);
    this.pools.forEach((p, k) => {
      const [lo, hi] = bandEdges(p, buf);
      const t0 = this.index.get(p.token0)!;
      const t1 = this.index.get(p.token1)!;
      const sell0: Line[] = [];
      const sell1: Line[] = [];
      for (const off of LINE_OFFSETS) {
        // below the band the arbitrage sells token0 into the pool, above it token1
        const r0 = lo * (1 - off);
        p.arb(r0, buf);
        if (-buf[0]! >= 0 && buf[1]! >= 0) sell0.push({ a: buf[1]! - r0 * -buf[0]!, b: r0 });
        const r1 = hi * (1 + off);
        p.arb(r1, buf);
        if (-buf[1]! >= 0 && buf[0]! >= 0) sell1.push({ a: buf[0]! - -buf[1]! / r1, b: 1 / r1 });
      }
      this.sides.push({ pool: k, zeroForOne: true, tin: t0, tout: t1, lines: sell0 });
      this.sides.push({ pool: k, zeroForOne: false, tin: t1, tout: t0, lines: sell1 });
    });
  }

  /**
   * Adds the tangent of each side's exact curve at the input the LP chose there (a central
   * difference of exact quotes); false if none was added. The sampled lines are loose between
   * samples, so a plan that leans on the gap is corrected before it is executed.
   */
  tighten(inputs: readonly number[]): boolean {
    let added = false;
    inputs.forEach((u, k) => {
      if (!(u >= 1)) return;
      const side = this.sides[k]!;
      const pool = this.pools[side.pool]!;
      const h = Math.max(1, Math.floor(u * 1e-6));
      const quote = (x: number) => Number(pool.quote(side.zeroForOne, BigInt(Math.max(0, Math.floor(x)))));
      const out = quote(u);
      const slope = (quote(u + h) - quote(u - h)) / (2 * h);
      if (!(out > 0 && slope > 0)) return;
      side.lines.push({ a: out - slope * u, b: slope });
      added = true;
    });
    return added;
  }

  private token(a: Address): number {
    const k = lower(a);
    let v = this.index.get(k);
    if (v === undefined) {
      v = this.tokens.length;
      this.index.set(k, v);
      this.tokens.push(k);
    }
    return v;
  }
}

/** The outside prices at which the pool starts to trade each way (its fee band), from the adapter or by bisection on `arb`. */
function bandEdges(p: LiquidityAdapter, buf: Float64Array): [number, number] {
  if (p.noTradeBand) return p.noTradeBand();
  const spot = p.spotPrice();
  const trades = (r: number) => {
    p.arb(r, buf);
    return buf[0] !== 0 || buf[1] !== 0;
  };
  const edge = (dir: 1 | -1): number => {
    // bisection on the factor m: r = spot · m^dir, from "surely inside" to "surely outside"
    let inside = 1;
    let outside = 0.5;
    if (!trades(spot * outside ** dir)) return spot * outside ** dir;
    for (let it = 0; it < 60 && inside - outside > 1e-13; it++) {
      const mid = 0.5 * (inside + outside);
      if (trades(spot * mid ** dir)) outside = mid;
      else inside = mid;
    }
    return spot * outside ** dir;
  };
  return [edge(1), edge(-1)];
}
