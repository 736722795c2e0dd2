// Exact ratios of bigints and floats: prices are searched in floats and settled as exact ratios.

/** A positive float as an exact ratio of bigints. */
export function floatRatio(x: number): [bigint, bigint] {
  if (!(x > 0) || !Number.isFinite(x)) throw new Error(`not a positive finite rate: ${x}`);
  let e = Math.floor(Math.log2(x)) - 52;
  let m = x / 2 ** e;
  while (!Number.isInteger(m)) {
    m *= 2;
    e -= 1;
  }
  const mb = BigInt(m);
  return e >= 0 ? [mb << BigInt(e), 1n] : [mb, 1n << BigInt(-e)];
}

/** n / d as a float, from the top 64 bits of each (any size works). */
export function ratioToFloat(n: bigint, d: bigint): number {
  const sn = Math.max(0, n.toString(2).length - 64);
  const sd = Math.max(0, d.toString(2).length - 64);
  return (Number(n >> BigInt(sn)) / Number(d >> BigInt(sd))) * 2 ** (sn - sd);
}

const gcd = (a: bigint, b: bigint): bigint => {
  while (b) [a, b] = [b, a % b];
  return a;
};
/** n / d in lowest terms. */
export const reduce = (n: bigint, d: bigint): [bigint, bigint] => {
  const g = gcd(n, d);
  return g > 1n ? [n / g, d / g] : [n, d];
};
