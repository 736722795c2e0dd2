// The integer square root every bigint mirror of contract maths uses (the volatility surface,
// Black-Scholes, the devnet's Uniswap V3 prices, the CDF table generator): floor(sqrt(x)) is unique,
// so any exact method matches each contract's own iteration to the wei.

/** floor(sqrt(x)) for x >= 0, by Newton's iteration from a power of two at or above the root (the same steps as VolatilityFeed.sqrt). */
export function isqrt(x: bigint): bigint {
  if (x < 0n) throw new RangeError('isqrt of a negative number');
  if (x === 0n) return 0n;
  // b = floor(log2(x)); x < 2^(b+1), so 2^ceil((b+1)/2) is above the root.
  const b = BigInt(x.toString(2).length - 1);
  let r = 1n << ((b + 2n) >> 1n);
  for (;;) {
    const next = (r + x / r) >> 1n;
    if (next >= r) return r;
    r = next;
  }
}
