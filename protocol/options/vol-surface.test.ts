import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  impliedVol,
  interpolateTime,
  isFresh,
  MAX_ABS_K,
  MAX_TENOR,
  MAX_VOL,
  validateSurface,
  validBounds,
  validMaxAge,
  WAD,
  type VolBounds,
  type VolSurface,
} from './vol-surface.ts';

const DAY = 86_400n;
const bounds: VolBounds = { minVol: WAD / 20n, maxVol: 5n * WAD, maxTenors: 8, maxNodes: 16 };

/** 7, 30, 90 days x k = -0.5, 0, +0.5 (the Forge tests' grid). */
const grid: VolSurface = {
  tenors: [7n * DAY, 30n * DAY, 90n * DAY],
  nodes: [-WAD / 2n, 0n, WAD / 2n],
  vols: [90n, 60n, 80n, 80n, 55n, 70n, 70n, 50n, 60n].map((percent) => (percent * WAD) / 100n),
};

describe('impliedVol', () => {
  it('returns the node vols exactly at the nodes', () => {
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) expect(impliedVol(grid, grid.nodes[j]!, grid.tenors[i]!)).toBe(grid.vols[i * 3 + j]);
  });

  it('is linear in k within a tenor, rounding down', () => {
    expect(impliedVol(grid, -WAD / 4n, 7n * DAY)).toBe((75n * WAD) / 100n);
    expect(impliedVol(grid, WAD / 8n, 90n * DAY)).toBe((525n * WAD) / 1000n);
    // 2 wei past -0.5 (0.9) toward 0 (0.6): exactly 899999999999999998.8, floored (nearest would be ...999)
    expect(impliedVol(grid, -WAD / 2n + 2n, 7n * DAY)).toBe((9n * WAD) / 10n - 2n);
    // 2 wei short of 0: 600000000000000001.2, floored
    expect(impliedVol(grid, -2n, 7n * DAY)).toBe((6n * WAD) / 10n + 1n);
  });

  it('is linear in total variance across tenors', () => {
    const s: VolSurface = { tenors: [100n, 300n], nodes: [0n], vols: [(4n * WAD) / 10n, (6n * WAD) / 10n] };
    // w = 16 and 108, w(200) = 62, vol = sqrt(0.31) (linear vol would say 0.5)
    expect(impliedVol(s, 0n, 200n)).toBe(556776436283002192n);
    expect(interpolateTime((4n * WAD) / 10n, 100n, (6n * WAD) / 10n, 300n, 200n)).toBe(556776436283002192n);
  });

  it('keeps total variance flat between tenors of equal total variance (linear vol would not)', () => {
    const s: VolSurface = { tenors: [DAY, 100n * DAY], nodes: [0n], vols: [WAD, WAD / 10n] };
    const w0 = WAD * WAD * DAY;
    for (let d = 2n; d < 100n; d += 7n) {
      const vol = impliedVol(s, 0n, d * DAY);
      expect(vol * vol * d * DAY).toBeLessThanOrEqual(w0);
      expect((vol + 1n) * (vol + 1n) * d * DAY).toBeGreaterThanOrEqual(w0);
      // what linear-in-vol would give at the same time: far more total variance than the far tenor's
      const linear = WAD - ((WAD - WAD / 10n) * (d - 1n)) / 99n;
      if (d > 3n) expect(linear * linear * d * DAY).toBeGreaterThan(w0);
    }
  });

  it('clamps beyond the grid: flat in k, first/last tenor vol in time', () => {
    expect(impliedVol(grid, -3n * WAD, 30n * DAY)).toBe((8n * WAD) / 10n);
    expect(impliedVol(grid, 4n * WAD, 30n * DAY)).toBe((7n * WAD) / 10n);
    expect(impliedVol(grid, 0n, 0n)).toBe((6n * WAD) / 10n);
    expect(impliedVol(grid, 0n, DAY)).toBe((6n * WAD) / 10n);
    expect(impliedVol(grid, 0n, 365n * DAY)).toBe(WAD / 2n);
    expect(impliedVol(grid, 0n, 2n ** 256n - 1n)).toBe(WAD / 2n);
    expect(impliedVol(grid, WAD / 4n, 3600n)).toBe((7n * WAD) / 10n);
  });

  it('answers 0 for an empty surface', () => {
    expect(impliedVol({ tenors: [], nodes: [], vols: [] }, 0n, DAY)).toBe(0n);
  });

  it('always lies between the vols of the nodes around the query', () => {
    const surface = fc
      .record({
        tenorGaps: fc.array(fc.bigInt({ min: 1n, max: 60n * DAY }), { minLength: 1, maxLength: 8 }),
        nodeStart: fc.bigInt({ min: -MAX_ABS_K, max: -4n * WAD }),
        nodeGaps: fc.array(fc.bigInt({ min: 1n, max: WAD / 2n }), { minLength: 1, maxLength: 16 }),
        seedVols: fc.array(fc.bigInt({ min: bounds.minVol, max: bounds.maxVol }), { minLength: 128, maxLength: 128 }),
      })
      .map(({ tenorGaps, nodeStart, nodeGaps, seedVols }) => {
        const tenors = tenorGaps.map((_, i) => tenorGaps.slice(0, i + 1).reduce((a, b) => a + b, 0n));
        const nodes = nodeGaps.map((_, j) => nodeStart + nodeGaps.slice(0, j).reduce((a, b) => a + b, 0n));
        return { tenors, nodes, vols: seedVols.slice(0, tenors.length * nodes.length) };
      });
    fc.assert(
      fc.property(surface, fc.bigInt({ min: -6n * WAD, max: 6n * WAD }), fc.bigInt({ min: 0n, max: 400n * DAY }), (s, k, t) => {
        expect(validateSurface(s, bounds)).toBeUndefined();
        const around = <T extends bigint>(axis: readonly T[], x: bigint): number[] => {
          const lo = axis.reduce((acc, a, i) => (a <= x ? i : acc), 0);
          const hi = axis.reduceRight((acc, a, i) => (a >= x ? i : acc), axis.length - 1);
          return [lo, hi];
        };
        const [i0, i1] = around(s.tenors, t);
        const [j0, j1] = around(s.nodes, k);
        const near: bigint[] = [];
        for (let i = i0!; i <= i1!; i++) for (let j = j0!; j <= j1!; j++) near.push(s.vols[i * s.nodes.length + j]!);
        const vol = impliedVol(s, k, t);
        expect(vol).toBeGreaterThanOrEqual(near.reduce((a, b) => (a < b ? a : b)));
        expect(vol).toBeLessThanOrEqual(near.reduce((a, b) => (a > b ? a : b)));
      }),
      { numRuns: 300 },
    );
  });
});

describe('validateSurface', () => {
  const t3 = grid.tenors;
  const k3 = grid.nodes;
  const v9 = grid.vols;
  const range = (n: number, step: bigint) => Array.from({ length: n }, (_, i) => BigInt(i + 1) * step);

  it('accepts a valid grid, and the extremes', () => {
    expect(validateSurface(grid, bounds)).toBeUndefined();
    const wide: VolBounds = { minVol: 1n, maxVol: MAX_VOL, maxTenors: 8, maxNodes: 16 };
    expect(
      validateSurface({ tenors: [1n, MAX_TENOR], nodes: [-MAX_ABS_K, MAX_ABS_K], vols: [1n, MAX_VOL, MAX_VOL, 1n] }, wide),
    ).toBeUndefined();
  });

  it('names the first check the contract would fail', () => {
    const cases: [VolSurface, ReturnType<typeof validateSurface>][] = [
      [{ tenors: [], nodes: k3, vols: [] }, { error: 'EmptyGrid' }],
      [{ tenors: t3, nodes: [], vols: [] }, { error: 'EmptyGrid' }],
      [
        { tenors: range(9, DAY), nodes: k3, vols: Array(27).fill(WAD) },
        { error: 'TooManyTenors', count: 9, max: 8 },
      ],
      [
        { tenors: t3, nodes: range(17, WAD / 10n), vols: Array(51).fill(WAD) },
        { error: 'TooManyNodes', count: 17, max: 16 },
      ],
      [
        { tenors: t3, nodes: k3, vols: v9.slice(1) },
        { error: 'VolCountMismatch', count: 8, expected: 9 },
      ],
      [
        { tenors: [0n, DAY, 2n * DAY], nodes: k3, vols: v9 },
        { error: 'TenorOutOfRange', index: 0, tenor: 0n },
      ],
      [
        { tenors: [1n, 2n, MAX_TENOR + 1n], nodes: k3, vols: v9 },
        { error: 'TenorOutOfRange', index: 2, tenor: MAX_TENOR + 1n },
      ],
      [
        { tenors: [DAY, DAY, 2n * DAY], nodes: k3, vols: v9 },
        { error: 'TenorsNotIncreasing', index: 1 },
      ],
      [
        { tenors: t3, nodes: [-MAX_ABS_K - 1n, 0n, 1n], vols: v9 },
        { error: 'NodeOutOfRange', index: 0, node: -MAX_ABS_K - 1n },
      ],
      [
        { tenors: t3, nodes: [-1n, 1n, 0n], vols: v9 },
        { error: 'NodesNotIncreasing', index: 2 },
      ],
      [
        { tenors: t3, nodes: k3, vols: v9.map((v, i) => (i === 4 ? bounds.minVol - 1n : v)) },
        { error: 'VolOutOfBounds', index: 4, vol: bounds.minVol - 1n },
      ],
      [
        { tenors: t3, nodes: k3, vols: v9.map((v, i) => (i === 8 ? bounds.maxVol + 1n : v)) },
        { error: 'VolOutOfBounds', index: 8, vol: bounds.maxVol + 1n },
      ],
      // several faults: shape before tenors before nodes before vols
      [
        { tenors: [2n, 1n, 3n], nodes: [1n, 0n, -1n], vols: Array(9).fill(0n) },
        { error: 'TenorsNotIncreasing', index: 1 },
      ],
      [
        { tenors: [1n, 2n, 3n], nodes: [1n, 0n, -1n], vols: Array(9).fill(0n) },
        { error: 'NodesNotIncreasing', index: 1 },
      ],
    ];
    for (const [s, expected] of cases) expect(validateSurface(s, bounds)).toEqual(expected);
    // the feed's own bounds may be tighter than the hard limits
    expect(validateSurface(grid, { ...bounds, maxTenors: 2 })).toEqual({ error: 'TooManyTenors', count: 3, max: 2 });
    expect(validateSurface(grid, { ...bounds, maxNodes: 2 })).toEqual({ error: 'TooManyNodes', count: 3, max: 2 });
  });

  it('checks bounds and max age as setBounds and setMaxAge do', () => {
    expect(validBounds(bounds)).toBe(true);
    expect(validBounds({ minVol: 1n, maxVol: MAX_VOL, maxTenors: 1, maxNodes: 1 })).toBe(true);
    for (const bad of [
      { ...bounds, minVol: 0n },
      { ...bounds, minVol: 6n * WAD },
      { ...bounds, maxVol: MAX_VOL + 1n },
      { ...bounds, maxTenors: 0 },
      { ...bounds, maxTenors: 9 },
      { ...bounds, maxNodes: 0 },
      { ...bounds, maxNodes: 17 },
    ])
      expect(validBounds(bad)).toBe(false);
    expect([59n, 60n, 86_400n, 86_401n].map(validMaxAge)).toEqual([false, true, true, false]);
  });
});

describe('isFresh', () => {
  it('is true up to maxAge after publishing and false for a missing surface', () => {
    expect(isFresh(1000n, 4600n, 3600n)).toBe(true);
    expect(isFresh(1000n, 4601n, 3600n)).toBe(false);
    expect(isFresh(0n, 10n, 3600n)).toBe(false);
  });
});
