import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isqrt } from './isqrt.ts';

describe('isqrt', () => {
  it('is the floor square root', () => {
    expect([0n, 1n, 2n, 3n, 4n, 10n ** 36n, 10n ** 36n - 1n].map(isqrt)).toEqual([0n, 1n, 1n, 1n, 2n, 10n ** 18n, 10n ** 18n - 1n]);
    expect(isqrt(2n ** 256n - 1n)).toBe(2n ** 128n - 1n);
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }), (x) => {
        const r = isqrt(x);
        return r * r <= x && (r + 1n) * (r + 1n) > x;
      }),
    );
  });

  it('refuses a negative number', () => {
    expect(() => isqrt(-1n)).toThrow(RangeError);
  });
});
