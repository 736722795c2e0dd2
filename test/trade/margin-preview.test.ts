// The trade page's margin preview (node/api/trade/margin-preview.ts): "before" reproduces the
// chain's equity, "after" applies the worst fill the signature allows (size at the limit, fee
// included), reduce-only clamps to the position, and the liquidation price is where equity meets
// the maintenance requirement, to the wei.
import { describe, expect, it } from 'vitest';
import { accountState, liquidationPrice, marketStates, previewPosition } from '../../node/api/trade/margin-preview.ts';
import type { AccountMargin, MarketInfo } from '../../protocol/api.ts';
import { accountHealth, WAD } from '../../protocol/margin.ts';

const E = (n: number): bigint => BigInt(n) * WAD;
const eth: MarketInfo = {
  id: 1,
  name: 'ETH / USD',
  mark: E(3000).toString(),
  fresh: true,
  fundingIndex: '0',
  initialMarginFraction: (WAD / 10n).toString(),
  maintenanceMarginFraction: (WAD / 20n).toString(),
  feeFraction: (WAD / 2000n).toString(),
  maxPriceDeviation: (WAD / 20n).toString(),
  halted: false,
  haltedUntil: 0,
};
const markets = marketStates([eth]);

function account(equity: bigint, positions: AccountMargin['positions'] = []): AccountMargin {
  return {
    account: '0x0000000000000000000000000000000000000001',
    collateral: equity.toString(),
    equity: equity.toString(),
    initialRequirement: '0',
    maintenanceRequirement: '0',
    notional: '0',
    health: null,
    marginRatio: null,
    liquidatable: false,
    positions,
    options: [],
    greeks: [],
  };
}

describe('trade page margin preview', () => {
  it('a new long: requirements at the mark, the fee taken, and the liquidation price to the wei', () => {
    const { before, after } = previewPosition(account(E(1000)), markets, 1, E(2), E(3000), false);
    expect(before).toEqual({ equity: E(1000), initialRequirement: 0n, maintenanceRequirement: 0n, liquidationPrice: null });
    expect(after.equity).toBe(E(1000) - E(3)); // 0.05% of 6,000
    expect(after.initialRequirement).toBe(E(600));
    expect(after.maintenanceRequirement).toBe(E(300));
    // 997 + 2 (P - 3000) = 0.1 P  =>  P = 5003 / 1.9 ≈ 2633.16
    const liq = after.liquidationPrice!;
    expect(Number(liq) / 1e18).toBeCloseTo(5003 / 1.9, 6);
    const state = { collateral: E(997) - E(6000), positions: new Map([[1, { size: E(2), openNotional: 0n, fundingIndex: 0n }]]) };
    const gap = (mark: bigint) => {
      const h = accountHealth(state, new Map(markets).set(1, { ...markets.get(1)!, mark }));
      return h.equity - h.maintenanceRequirement;
    };
    expect(gap(liq)).toBeGreaterThanOrEqual(0n);
    expect(gap(liq - 1n)).toBeLessThan(0n);
  });

  it('"before" is the chain equity with a position open, and a short has its liquidation price above the mark', () => {
    const m = account(E(500), [
      {
        market: 1,
        name: 'ETH / USD',
        size: (-E(1)).toString(),
        openNotional: (-E(3100)).toString(),
        mark: E(3000).toString(),
        unrealisedPnl: E(100).toString(),
      },
    ]);
    const state = accountState(m, markets);
    expect(accountHealth(state, markets).equity).toBe(E(500));
    const liq = liquidationPrice(state, markets, 1)!;
    expect(liq).toBeGreaterThan(E(3000));
    // 500 - (P - 3000) = 0.05 P  =>  P = 3500 / 1.05
    expect(Number(liq) / 1e18).toBeCloseTo(3500 / 1.05, 6);
  });

  it('reduce-only clamps to the position: selling 3 against a 1 long closes it', () => {
    const m = account(E(400), [
      {
        market: 1,
        name: 'ETH / USD',
        size: E(1).toString(),
        openNotional: E(3000).toString(),
        mark: E(3000).toString(),
        unrealisedPnl: '0',
      },
    ]);
    const { after } = previewPosition(m, markets, 1, -E(3), E(3000), true);
    expect(after.initialRequirement).toBe(0n);
    expect(after.liquidationPrice).toBeNull();
    expect(after.equity).toBe(E(400) - (E(3) * 5n) / 10n); // the fee on the 1 closed
  });
});
