import { describe, expect, it } from 'vitest';
import { blackScholes } from './black-scholes.ts';
import {
  DEFAULT_MARGIN_PARAMS,
  legValue,
  type OptionLeg,
  PortfolioMarginInvalid,
  portfolioMargin,
  scenarioLoss,
} from './portfolio-margin.ts';

const WAD = 10n ** 18n;
const DAY = 86_400n;
const SPOT = 3000n * WAD;
const leg = (o: Partial<OptionLeg>): OptionLeg => ({
  strike: SPOT,
  secondsToExpiry: 30n * DAY,
  isCall: true,
  size: WAD,
  volatility: (6n * WAD) / 10n,
  ...o,
});
const reason = (f: () => unknown): string | undefined => {
  try {
    f();
    return undefined;
  } catch (err) {
    if (err instanceof PortfolioMarginInvalid) return err.reason;
    throw err;
  }
};

describe('portfolio margin (mirror of PortfolioMargin.sol)', () => {
  it('a perp alone loses its worst shock: 20% of spot per unit, maintenance 60% of it', () => {
    const r = portfolioMargin(SPOT, 2n * WAD, []);
    expect(r.worstLoss).toBe(1200n * WAD);
    expect(r.requirement).toBe(1200n * WAD);
    expect(r.maintenance).toBe(720n * WAD);
    expect(r.worstScenario / 2n).toBe(8n); // -20%
    expect(portfolioMargin(SPOT, -WAD, []).worstScenario / 2n).toBe(7n); // +20%
    expect(portfolioMargin(SPOT, 0n, []).requirement).toBe(0n);
  });

  it('a long call loses at most its premium; the worst is -20% with vol down, hand-checked', () => {
    const l = leg({});
    const r = portfolioMargin(SPOT, 0n, [l]);
    const now = blackScholes(SPOT, SPOT, 30n * DAY, (6n * WAD) / 10n).call;
    const then = blackScholes((SPOT * 8n) / 10n, SPOT, 30n * DAY, (42n * WAD) / 100n).call;
    expect(r.worstScenario).toBe(16n);
    expect(r.worstLoss).toBe(now - then); // whole contracts: no rounding
    expect(r.requirement).toBeLessThan(now);
    expect(r.shortFloorAmount).toBe(0n);
  });

  it('the short-option floor: 1% of spot per short contract, rounded up', () => {
    const far = leg({ strike: (SPOT * 2n) / 7n, isCall: false, size: -3n * WAD, secondsToExpiry: 7n * DAY, volatility: WAD / 2n });
    const r = portfolioMargin(SPOT, 0n, [far]);
    expect(r.shortFloorAmount).toBe(90n * WAD);
    expect(r.requirement).toBe((r.worstLoss > 0n ? r.worstLoss : 0n) + 90n * WAD);
    expect(r.worstLoss).toBeLessThan(WAD);
    // 1 wei of short size: 3000 wei of notional, 30 wei of floor; 1 wei more of spot rounds up twice
    expect(portfolioMargin(SPOT, 0n, [{ ...far, size: -1n }]).shortFloorAmount).toBe(30n);
    expect(portfolioMargin(SPOT + 1n, 0n, [{ ...far, size: -1n }]).shortFloorAmount).toBe(31n);
  });

  it('a hedged book (long ATM call, short perp at its delta) needs far less than its parts', () => {
    const delta = blackScholes(SPOT, SPOT, 30n * DAY, (6n * WAD) / 10n).callDelta;
    const call = portfolioMargin(SPOT, 0n, [leg({})]).requirement;
    const perp = portfolioMargin(SPOT, -delta, []).requirement;
    const hedged = portfolioMargin(SPOT, -delta, [leg({})]).requirement;
    expect(hedged * 4n).toBeLessThan(call + perp);
    // the same numbers as contracts/test/options/PortfolioMargin.t.sol logs
    expect(call).toBe(201594041034960246000n);
    expect(perp).toBe(320561822154760642200n);
    expect(hedged).toBe(61595004344885439000n);
  });

  it('every scenario loss is at most the worst; scenarioLoss of the worst is the worst', () => {
    const legs = [leg({}), leg({ strike: 3300n * WAD, size: -2n * WAD }), leg({ isCall: false, strike: 2700n * WAD, size: WAD / 3n })];
    const r = portfolioMargin(SPOT, WAD / 7n, legs);
    for (let j = 0; j < 18; j++) expect(scenarioLoss(SPOT, WAD / 7n, legs, DEFAULT_MARGIN_PARAMS, j)).toBeLessThanOrEqual(r.worstLoss);
    expect(scenarioLoss(SPOT, WAD / 7n, legs, DEFAULT_MARGIN_PARAMS, Number(r.worstScenario))).toBe(r.worstLoss);
  });

  it('outside the domain: long legs valued low in scenarios, short legs high; under 60 s by bounds', () => {
    const deep = leg({ strike: (SPOT * 2n) / 9n }); // spot/strike 4.5: outside now
    expect(legValue(SPOT, deep, deep.volatility, false)).toBe(SPOT - deep.strike); // intrinsic
    expect(legValue(SPOT, deep, deep.volatility, true)).toBeGreaterThan(SPOT - deep.strike);
    expect(portfolioMargin(SPOT, 0n, [deep]).worstLoss).toBeGreaterThanOrEqual(600n * WAD);
    expect(portfolioMargin(SPOT, 0n, [{ ...deep, size: -WAD }]).worstLoss).toBeGreaterThanOrEqual(600n * WAD);
    const expiring = leg({ secondsToExpiry: 30n, size: -WAD });
    expect(portfolioMargin(SPOT, 0n, [expiring]).worstLoss).toBeGreaterThanOrEqual(600n * WAD);
  });

  it('rejects with the contract error names', () => {
    const ok = leg({});
    expect(reason(() => portfolioMargin(SPOT, 0n, [ok, ok, ok, ok, ok]))).toBe('TooManyLegs');
    expect(reason(() => portfolioMargin(10n ** 10n - 1n, 0n, [ok]))).toBe('SpotOutOfRange');
    expect(reason(() => portfolioMargin(SPOT, 10n ** 36n + 1n, [ok]))).toBe('PerpSizeOutOfRange');
    expect(reason(() => portfolioMargin(SPOT, 0n, [leg({ strike: 4n * 10n ** 9n - 1n })]))).toBe('StrikeOutOfRange');
    expect(reason(() => portfolioMargin(SPOT, 0n, [leg({ secondsToExpiry: 0n })]))).toBe('ExpiryOutOfRange');
    expect(reason(() => portfolioMargin(SPOT, 0n, [leg({ volatility: 5n * WAD + 1n })]))).toBe('VolatilityOutOfRange');
    expect(reason(() => portfolioMargin(SPOT, 0n, [leg({ size: -(10n ** 36n) - 1n })]))).toBe('SizeOutOfRange');
    expect(reason(() => portfolioMargin(SPOT, 0n, [ok], { ...DEFAULT_MARGIN_PARAMS, volShockDown: (99n * WAD) / 100n + 1n }))).toBe(
      'InvalidParams',
    );
    expect(reason(() => portfolioMargin(SPOT, 0n, [ok]))).toBeUndefined();
  });
});
