import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  accountHealth,
  applyFill,
  collateralForValue,
  collateralValue,
  haircutPrice,
  emptyPosition,
  isLiquidatable,
  liquidationFraction,
  meetsInitialMargin,
  mulDivCeil,
  mulDivFloor,
  notional,
  pendingFunding,
  tradeFee,
  unrealisedPnl,
  WAD,
  type MarketState,
  type Position,
} from './margin.ts';

const size = fc.bigInt({ min: -(10n ** 24n), max: 10n ** 24n }).filter((x) => x !== 0n);
const price = fc.bigInt({ min: 1n, max: 10n ** 24n });
const market = (mark: bigint, fundingIndex = 0n): MarketState => ({
  mark,
  fundingIndex,
  initialMarginFraction: WAD / 10n,
  maintenanceMarginFraction: WAD / 20n,
  feeFraction: WAD / 1000n,
});

describe('margin maths', () => {
  it('rounds mulDiv toward minus and plus infinity', () => {
    expect(mulDivFloor(-3n, 1n, 2n)).toBe(-2n);
    expect(mulDivFloor(3n, 1n, 2n)).toBe(1n);
    expect(mulDivCeil(3n, 1n, 2n)).toBe(2n);
    expect(mulDivCeil(-3n, 1n, 2n)).toBe(-1n);
  });

  it('worked example: 2 ETH long at 3,000 with 1,000 collateral, then a drop to 2,600', () => {
    const { position } = applyFill(emptyPosition(), 2n * WAD, 3000n * WAD);
    const account = { collateral: 1000n * WAD, positions: new Map([[1, position]]) };
    const at3000 = accountHealth(account, new Map([[1, market(3000n * WAD)]]));
    // notional 6,000: initial 10% = 600, maintenance 5% = 300; equity 1,000
    expect(at3000).toEqual({ equity: 1000n * WAD, initialRequirement: 600n * WAD, maintenanceRequirement: 300n * WAD });
    expect(meetsInitialMargin(at3000)).toBe(true);
    const at2600 = accountHealth(account, new Map([[1, market(2600n * WAD)]]));
    // loss 800 -> equity 200 < maintenance 260: liquidatable
    expect(at2600).toEqual({ equity: 200n * WAD, initialRequirement: 520n * WAD, maintenanceRequirement: 260n * WAD });
    expect(isLiquidatable(at2600)).toBe(true);
    // target halfway between maintenance and initial: 390; with a 1% penalty on 5,200 notional:
    // f >= (390 - 200) / (390 - 52) = 0.5621…
    const f = liquidationFraction(at2600, 5200n * WAD, WAD / 100n);
    expect(f).toBe(mulDivCeil(190n * WAD, WAD, 338n * WAD));
  });

  it('opening and closing at one price never realises a gain from rounding', () => {
    fc.assert(
      fc.property(size, price, (s, p) => {
        const opened = applyFill(emptyPosition(), s, p);
        const closed = applyFill(opened.position, -s, p);
        expect(closed.position.size).toBe(0n);
        expect(closed.position.openNotional).toBe(0n);
        expect(closed.realisedPnl <= 0n).toBe(true);
        expect(closed.realisedPnl >= -2n).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('reducing in parts realises the same as closing at once, up to rounding, and never more', () => {
    fc.assert(
      fc.property(size, price, price, fc.bigInt({ min: 1n, max: WAD - 1n }), (s, p0, p1, part) => {
        const { position } = applyFill(emptyPosition(), s, p0);
        const whole = applyFill(position, -s, p1).realisedPnl;
        const first = -(s * part) / WAD;
        const a = applyFill(position, first, p1);
        const b = applyFill(a.position, -s - first, p1);
        expect(b.position.size).toBe(0n);
        expect(a.realisedPnl + b.realisedPnl - whole <= 2n).toBe(true);
        expect(whole - (a.realisedPnl + b.realisedPnl) <= 2n).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('a flip closes the old side at the fill price and opens the rest there', () => {
    const long = applyFill(emptyPosition(), 2n * WAD, 100n * WAD).position;
    const r = applyFill(long, -5n * WAD, 110n * WAD);
    expect(r.realisedPnl).toBe(20n * WAD);
    expect(r.position).toEqual({ size: -3n * WAD, openNotional: -330n * WAD, fundingIndex: 0n });
    expect(unrealisedPnl(r.position, 100n * WAD)).toBe(30n * WAD);
  });

  it('trading is zero-sum between two counterparties, never creating value by rounding', () => {
    fc.assert(
      fc.property(size, price, price, (s, p0, p1) => {
        const longSide = applyFill(emptyPosition(), s, p0).position;
        const shortSide = applyFill(emptyPosition(), -s, p0).position;
        const sum = applyFill(longSide, -s, p1).realisedPnl + applyFill(shortSide, s, p1).realisedPnl;
        expect(sum <= 0n).toBe(true);
        // unrealised PnL of the pair at any mark never sums above zero either
        expect(unrealisedPnl(longSide, p1) + unrealisedPnl(shortSide, p1) <= 0n).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('funding: longs pay when the index rises, shorts receive; fees round up', () => {
    const p: Position = { size: 3n * WAD, openNotional: 0n, fundingIndex: 10n };
    expect(pendingFunding(p, 15n)).toBe(mulDivCeil(3n * WAD, 5n, WAD));
    expect(pendingFunding({ ...p, size: -p.size }, 15n)).toBe(-15n);
    expect(tradeFee(1n, 1n, WAD / 1000n)).toBe(1n);
    expect(notional(-2n * WAD, 3n)).toBe(6n);
  });

  it('partial liquidation at the computed fraction restores the target, above maintenance', () => {
    fc.assert(
      fc.property(size, price, fc.bigInt({ min: 1n, max: 99n }), fc.bigInt({ min: 1n, max: 3n }), (s, entry, dropPct, penPct) => {
        const pen = (penPct * WAD) / 100n;
        const mark = s > 0n ? (entry * (100n - dropPct / 10n)) / 100n : (entry * (100n + dropPct / 10n)) / 100n;
        fc.pre(mark > 0n);
        const position = applyFill(emptyPosition(), s, entry).position;
        const m = market(mark);
        const n = notional(s, mark);
        // collateral just under maintenance at this mark
        const collateral = mulDivCeil(n, m.maintenanceMarginFraction, WAD) - unrealisedPnl(position, mark) - 1n - (n * dropPct) / 100_000n;
        const h = accountHealth({ collateral, positions: new Map([[1, position]]) }, new Map([[1, m]]));
        fc.pre(isLiquidatable(h) && h.equity > 0n);
        const f = liquidationFraction(h, n, pen);
        expect(f > 0n && f <= WAD).toBe(true);
        const closeSize = -mulDivCeil(s < 0n ? -s : s, f, WAD) * (s < 0n ? -1n : 1n);
        const fill = applyFill(position, closeSize, mark);
        const penalty = mulDivCeil(notional(closeSize, mark), pen, WAD);
        const after = accountHealth(
          { collateral: collateral + fill.realisedPnl - penalty, positions: new Map([[1, fill.position]]) },
          new Map([[1, m]]),
        );
        if (f < WAD) {
          const target = after.maintenanceRequirement + (after.initialRequirement - after.maintenanceRequirement) / 2n;
          // Up to 1 wei short for each rounded quantity after the fill: realised and unrealised PnL,
          // the penalty, both requirements and the halving (seen: 3 wei short of 45,778 with a 2-wei
          // price, seed -708575499); the fraction itself rounds up and covers the rest.
          expect(after.equity + 6n >= target).toBe(true);
          expect(isLiquidatable(after)).toBe(false);
        }
      }),
      // the counterexample that failed a 2-wei allowance, kept as a fixed case
      { numRuns: 300, examples: [[-687349449501201485853113n, 2n, 2n, 3n]] },
    );
  });

  it('extra collateral: worked example, WETH at 3,000 with a 10% haircut backs 2 ETH long', () => {
    // Alice deposits 1 WETH and no stablecoin; the fee of 6 takes her stablecoin to -6.
    const weth = { amount: WAD, price: 3000n * WAD, decimals: 18, haircut: WAD / 10n };
    expect(collateralValue(weth.amount, weth.price, weth.decimals, weth.haircut)).toBe(2700n * WAD);
    const { position } = applyFill(emptyPosition(), 2n * WAD, 3000n * WAD);
    const account = { collateral: -6n * WAD, positions: new Map([[1, position]]), extraCollateral: [weth] };
    expect(accountHealth(account, new Map([[1, market(3000n * WAD)]]))).toEqual({
      equity: 2694n * WAD,
      initialRequirement: 600n * WAD,
      maintenanceRequirement: 300n * WAD,
    });
    // A stale feed is passed as price 0: the WETH counts nothing.
    expect(accountHealth({ ...account, extraCollateral: [{ ...weth, price: 0n }] }, new Map([[1, market(3000n * WAD)]])).equity).toBe(
      -6n * WAD,
    );
    // A stale market: its profit counts nothing, its loss counts in full (ClearingHouse._health).
    expect(accountHealth(account, new Map([[1, { ...market(3500n * WAD), fresh: false }]])).equity).toBe(2694n * WAD);
    expect(accountHealth(account, new Map([[1, { ...market(2500n * WAD), fresh: false }]])).equity).toBe(1694n * WAD);
    expect(accountHealth(account, new Map([[1, market(3500n * WAD)]])).equity).toBe(3694n * WAD);
    // Backward compatible: no extraCollateral field is the stablecoin alone.
    expect(accountHealth({ collateral: 5n, positions: new Map() }, new Map()).equity).toBe(5n);
  });

  it('collateralValue rounds down (8-decimal WBTC, odd prices) and never exceeds amount * price * (1 - haircut)', () => {
    expect(collateralValue(1n, 60_000n * WAD, 8, WAD / 5n)).toBe(480n * 10n ** 12n); // one satoshi
    expect(haircutPrice(3000n * WAD + 1n, WAD / 10n)).toBe(2700n * WAD);
    expect(collateralValue(3n, 3000n * WAD + 1n, 18, WAD / 10n)).toBe(8100n);
    expect(() => collateralValue(1n, 1n, 18, WAD)).toThrow();
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 30n }),
        fc.bigInt({ min: 0n, max: 10n ** 30n }),
        fc.integer({ min: 0, max: 18 }),
        fc.bigInt({ min: 0n, max: WAD - 1n }),
        (amount, p, decimals, haircut) => {
          const v = collateralValue(amount, p, decimals, haircut);
          const scale = 10n ** BigInt(decimals) * WAD;
          const exact = amount * p * (WAD - haircut);
          expect(v >= 0n).toBe(true);
          expect(v * scale <= exact).toBe(true);
          expect((v + 1n) * scale + amount * WAD > exact).toBe(true);
          if (v > 0n) {
            const hp = haircutPrice(p, haircut);
            const need = collateralForValue(v, hp, decimals);
            expect(need <= amount).toBe(true);
            expect(collateralValue(need, hp, decimals, 0n) >= v).toBe(true);
            expect(collateralValue(need - 1n, hp, decimals, 0n) < v).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
