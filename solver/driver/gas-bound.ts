// Bounded batches: nodes refuse a solution whose settle gas bound (protocol/batch-gas.ts, computed
// from its shape) exceeds a share of the block gas limit. When the full solve is above the bound,
// keep the trades with the best surplus value per gas, restrict the auction to their intents and
// solve again (prices and routes follow the smaller batch), shrinking until the solution fits.
import type { Hex } from 'viem';
import { optionHedgeFills, SETTLE_GAS_MODEL, solutionGas } from '../../protocol/batch-gas.ts';
import { type Auction, type AuctionIntent, scoreSolution } from '../../protocol/score.ts';
import type { Solution } from '../../protocol/solution.ts';
import { lower } from '../domain/address.ts';

const WAD = 10n ** 18n;

/** The position intents of an auction (lower-case ids): solutionGas prices them apart from swaps. */
export function positionIds(auction: Auction): Set<string> {
  return idsOfType(auction, 'position');
}

/** The option intents of an auction (lower-case ids), priced apart as well. */
export function optionIds(auction: Auction): Set<string> {
  return idsOfType(auction, 'option');
}

function idsOfType(auction: Auction, type: 'position' | 'option'): Set<string> {
  const out = new Set<string>();
  for (const [id, e] of auction.intents) if (e.intent.type === type) out.add(lower(id));
  return out;
}

/** The settle gas bound of a solution of `auction` (protocol/batch-gas.ts). */
export const auctionSolutionGas = (solution: Solution, auction: Auction): bigint =>
  solutionGas(solution, positionIds(auction), optionIds(auction));

/**
 * The intents (lower-case ids) to keep so that a re-solve of them should fit `target` gas: the
 * solution's trades by surplus value per gas, best first, while the estimate stays within the
 * target. A swap trade's gas is its own part plus an equal share of the interactions (the pools the
 * batch routes through); position and liquidity parts are the model's. The estimate is the
 * current solution's shape, so the caller re-solves and checks the result.
 */
export function selectWithinGas(solution: Solution, auction: Auction, positions: ReadonlySet<string>, target: bigint): Set<Hex> {
  const m = SETTLE_GAS_MODEL;
  const scored = scoreSolution(solution, auction);
  const tradeValue = new Map<string, bigint>();
  if (scored.ok) for (const t of scored.value.trades) tradeValue.set(lower(t.intentId), t.value);
  const swaps = solution.trades.filter((t) => !positions.has(lower(t.intentId))).length;
  const interactionGas =
    solutionGas({ ...solution, trades: [], liquidity: [], marketPrices: [], optionPremiums: [], optionLiquidity: [] }, positions) - m.base;
  const options = optionIds(auction);
  const shareOfInteractions = swaps ? interactionGas / BigInt(swaps) : 0n;
  const fixed =
    m.base +
    BigInt(solution.liquidity?.length ?? 0) * (m.liquidity + m.marginAccount) +
    BigInt(optionHedgeFills(solution)) * m.optionHedge +
    BigInt(solution.marketPrices.length) * m.positionMarket +
    BigInt(solution.optionLiquidity?.length ?? 0) * m.optionTrade +
    BigInt(solution.optionPremiums?.length ?? 0) * m.optionSeries;
  const rows = solution.trades.map((t) => {
    const id = lower(t.intentId) as Hex;
    const gas = positions.has(id) ? m.positionTrade + m.marginAccount : options.has(id) ? m.optionTrade : m.swapTrade + shareOfInteractions;
    return { id, gas, value: tradeValue.get(id) ?? 0n };
  });
  // value per gas, best first (cross-multiplied: exact), then the cheaper one
  rows.sort((a, b) => {
    const l = a.value * b.gas;
    const r = b.value * a.gas;
    return l === r ? (a.gas < b.gas ? -1 : a.gas > b.gas ? 1 : 0) : l > r ? -1 : 1;
  });
  const keep = new Set<Hex>();
  let total = fixed;
  for (const r of rows) {
    if (total + r.gas > target) continue;
    total += r.gas;
    keep.add(r.id);
  }
  return keep;
}

export type BoundedSolve = { solution: Solution; gas: bigint; rounds: number; restricted: number };

/**
 * Solves, and while the solution's gas bound exceeds `limit`, restricts the auction to the best
 * trades by value per gas and solves again (each round selects from the latest solution, aiming
 * 8% further under the limit than the one before). `solve(keep)`: the solution for the auction restricted to `keep` (all intents when
 * undefined). `maxRounds` re-solves at most; the result is within the limit or has no trades.
 */
export async function solveWithinGas(
  auction: Auction,
  limit: bigint,
  solve: (keep: ReadonlySet<Hex> | undefined, round: number) => Solution | Promise<Solution>,
  maxRounds = 3,
): Promise<BoundedSolve> {
  const positions = positionIds(auction);
  let solution = await solve(undefined, 0);
  let gas = auctionSolutionGas(solution, auction);
  let restricted = 0;
  let rounds = 0;
  const none = (): BoundedSolve => ({
    solution: { ...solution, trades: [], interactions: [], liquidity: [], optionPremiums: [], optionLiquidity: [] },
    gas: 0n,
    rounds,
    restricted,
  });
  while (gas > limit) {
    if (rounds >= maxRounds || !solution.trades.length) return none();
    // selected from the latest solution (its shape is what the re-solve makes, e.g. the baseline's
    // one route per intent when time is short), a little further under the limit each round
    const target = (limit * BigInt(100 - 8 * rounds)) / 100n;
    const keep = selectWithinGas(solution, auction, positions, target);
    if (!keep.size) return none();
    rounds++;
    restricted = solution.trades.length - keep.size;
    const next = await solve(keep, rounds);
    solution = next;
    gas = auctionSolutionGas(next, auction);
  }
  return { solution, gas, rounds, restricted };
}

/** The model's gas for filling one intent, before interactions: a swap fill, a position fill and its margin check, or an option fill. */
export function fillGas(e: AuctionIntent): bigint {
  const m = SETTLE_GAS_MODEL;
  return e.intent.type === 'position' ? m.positionTrade + m.marginAccount : e.intent.type === 'option' ? m.optionTrade : m.swapTrade;
}

/** The model's gas for filling every intent of `auction`, interactions not counted. */
export function fillAllGas(auction: Auction): bigint {
  let g = SETTLE_GAS_MODEL.base;
  for (const e of auction.intents.values()) g += fillGas(e);
  return g;
}

/**
 * Before any solve: when filling every intent would need more than `limit` gas, the ids of the
 * intents to solve now, until their per-trade parts fill `share` of the limit (the rest is for the
 * pools' interactions); the others wait for the next auction. Order: intents this solver gave the
 * engine before without filling them last (`misses`: a limit away from the market must not hold
 * the front of the queue), then the closest to expiry, then the most surplus per gas at the
 * auction's reference prices (a swap's limit against them, a position's against its mark).
 * Without this a backlog of a thousand intents went to the engine whole: its budget went on a
 * batch it could not settle, it filled a handful, and the backlog never drained (bench:e2e at 100/s).
 */
export function preselect(
  auction: Auction,
  limit: bigint,
  marks: ReadonlyMap<number, bigint>,
  misses: ReadonlyMap<string, number> = new Map(),
  share = 0.85,
): Set<Hex> | undefined {
  if (fillAllGas(auction) <= limit) return undefined;
  const m = SETTLE_GAS_MODEL;
  const ref = (token: string): bigint => auction.referencePrices.get(lower(token) as `0x${string}`) ?? 0n;
  const collateral = auction.collateralToken ? ref(auction.collateralToken) : 0n;
  const rows: { id: Hex; gas: bigint; value: bigint; validTo: number; misses: number }[] = [];
  for (const [id, e] of auction.intents) {
    const i = e.intent;
    const gas = fillGas(e);
    let value: bigint;
    if (i.type === 'swap') {
      const s = i.intent;
      value = s.sellAmount * ref(s.sellToken) - s.buyAmount * ref(s.buyToken);
      const full = s.kind === 0 ? s.sellAmount : s.buyAmount;
      if (e.filled && full > 0n) value = (value * (full - e.filled)) / full;
    } else if (i.type === 'option') {
      // no reference premium to value a limit against: behind the valued intents of its expiry
      value = 0n;
    } else {
      const p = i.intent;
      const mark = marks.get(p.market);
      const size = p.sizeDelta < 0n ? -p.sizeDelta : p.sizeDelta;
      // |size| (1e18) x price distance (collateral units per 1e18) / 1e18: collateral units, then
      // x its reference price, the same scale as a swap's amount x reference price
      value = mark === undefined ? 0n : ((size * (p.sizeDelta > 0n ? p.limitPrice - mark : mark - p.limitPrice)) / WAD) * collateral;
    }
    const key = lower(id) as Hex;
    rows.push({ id: key, gas, value, validTo: i.intent.validTo, misses: misses.get(key) ?? 0 });
  }
  rows.sort((a, b) => {
    if (a.misses !== b.misses) return a.misses - b.misses;
    if (a.validTo !== b.validTo) return a.validTo - b.validTo;
    const l = a.value * b.gas; // value per gas, cross-multiplied
    const r = b.value * a.gas;
    return l === r ? (a.id < b.id ? -1 : 1) : l > r ? -1 : 1;
  });
  const budget = (limit * BigInt(Math.round(share * 100))) / 100n;
  const keep = new Set<Hex>();
  let total = m.base;
  for (const r of rows) {
    if (total + r.gas > budget) break;
    total += r.gas;
    keep.add(r.id);
  }
  return keep;
}
