// Margin before and after a position intent, from the account's state as the node reads it
// (GET /v1/accounts/{a}/margin) and the markets' parameters (GET /v1/markets), with the clearing
// house's own maths (protocol/margin.ts). The chain's equity already includes pending funding and
// extra collateral: they are folded into the base collateral here, so "before" matches the chain.
// "After" assumes the worst fill the signature allows: all of the size at the limit price, fee
// included.
import type { AccountMargin, MarketInfo } from '../../../protocol/api.ts';
import {
  type AccountHealth,
  type AccountState,
  abs,
  accountHealth,
  applyFill,
  type MarketState,
  type Position,
  tradeFee,
  unrealisedPnl,
} from '../../../protocol/margin.ts';

export type Preview = AccountHealth & { liquidationPrice: bigint | null };

export function marketStates(markets: readonly MarketInfo[]): Map<number, MarketState> {
  return new Map(
    markets.map((m) => [
      m.id,
      {
        mark: BigInt(m.mark),
        fundingIndex: BigInt(m.fundingIndex),
        initialMarginFraction: BigInt(m.initialMarginFraction),
        maintenanceMarginFraction: BigInt(m.maintenanceMarginFraction),
        feeFraction: BigInt(m.feeFraction),
        fresh: m.fresh,
      },
    ]),
  );
}

/** The account as protocol/margin.ts models it; positions carry the market's funding index (funding is inside the base). */
export function accountState(m: AccountMargin | undefined, markets: ReadonlyMap<number, MarketState>): AccountState {
  if (!m) return { collateral: 0n, positions: new Map() };
  const positions = new Map<number, Position>();
  let pnl = 0n;
  for (const p of m.positions) {
    const market = markets.get(p.market);
    if (!market) continue;
    const pos = { size: BigInt(p.size), openNotional: BigInt(p.openNotional), fundingIndex: market.fundingIndex };
    positions.set(p.market, pos);
    pnl += unrealisedPnl(pos, market.mark);
  }
  return { collateral: BigInt(m.equity) - pnl, positions };
}

/** The mark of `market` at which equity meets the maintenance requirement (others held), or null if none in (0, 100 x mark]. */
export function liquidationPrice(state: AccountState, markets: ReadonlyMap<number, MarketState>, market: number): bigint | null {
  const p = state.positions.get(market);
  const m = markets.get(market);
  if (!p || !m || p.size === 0n) return null;
  const gap = (mark: bigint): bigint => {
    const h = accountHealth(state, new Map(markets).set(market, { ...m, mark, fresh: true }));
    return h.equity - h.maintenanceRequirement;
  };
  // equity - maintenance rises with the mark for a long, falls for a short
  const long = p.size > 0n;
  let lo = 0n;
  let hi = m.mark * 100n;
  const safeAt = (x: bigint): boolean => gap(x) >= 0n === long;
  if (safeAt(lo) === safeAt(hi)) return null;
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n;
    if (safeAt(mid) === safeAt(lo)) lo = mid;
    else hi = mid;
  }
  return long ? hi : lo;
}

function preview(state: AccountState, markets: ReadonlyMap<number, MarketState>, market: number): Preview {
  return { ...accountHealth(state, markets), liquidationPrice: liquidationPrice(state, markets, market) };
}

/** Before and after filling `sizeDelta` at `price` in `market` (reduce-only clamps the fill to the position). */
export function previewPosition(
  m: AccountMargin | undefined,
  markets: ReadonlyMap<number, MarketState>,
  market: number,
  sizeDelta: bigint,
  price: bigint,
  reduceOnly: boolean,
): { before: Preview; after: Preview } {
  const state = accountState(m, markets);
  const before = preview(state, markets, market);
  const ms = markets.get(market);
  if (!ms || sizeDelta === 0n || price <= 0n) return { before, after: before };
  const current = state.positions.get(market) ?? { size: 0n, openNotional: 0n, fundingIndex: ms.fundingIndex };
  let delta = sizeDelta;
  if (reduceOnly) {
    const opposite = current.size !== 0n && current.size > 0n !== sizeDelta > 0n;
    delta = !opposite ? 0n : abs(sizeDelta) > abs(current.size) ? -current.size : sizeDelta;
  }
  const { position, realisedPnl } = applyFill(current, delta, price);
  const positions = new Map(state.positions).set(market, position);
  const after: AccountState = { collateral: state.collateral + realisedPnl - tradeFee(delta, price, ms.feeFraction), positions };
  return { before, after: preview(after, markets, market) };
}
