// Implied-volatility surfaces as the VolatilityFeed contract holds and interpolates them, in
// bigint and equal to the contract to the wei (test/chain/vol-surface.test.ts compares them on
// random surfaces), plus the contract's publish checks, so a feeder can refuse a surface off
// chain before paying for a reverted publish.
//
// Units: tenors in seconds to expiry; log-moneyness k = ln(K/F) as signed 1e18 fixed point; vols
// annualised in 1e18 fixed point (0.8e18 = 80%). `vols` is row-major by tenor:
// vols[i * nodes.length + j] is the vol at (tenors[i], nodes[j]).
//
// Interpolation: linear in k within a tenor (flat beyond the edge nodes); linear in total variance
// w = vol^2 * t across tenors (so rising published total variances keep rising in between: no
// calendar arbitrage), the first tenor's vol before it and the last tenor's vol after it. Every
// step rounds down, as on chain.
import { isqrt } from '../isqrt.ts';

export const WAD = 10n ** 18n;
/** Hard grid limits (a feed's bounds may only be tighter). */
export const MAX_TENORS = 8;
export const MAX_NODES = 16;
/** Largest vol any bound may allow: 1000% a year. */
export const MAX_VOL = 10n * WAD;
/** Longest tenor: 5 years of 365 days. */
export const MAX_TENOR = 5n * 365n * 86_400n;
/** Largest |k| of a node. */
export const MAX_ABS_K = 5n * WAD;
/** Allowed range of a feed's max age, seconds. */
export const MIN_MAX_AGE = 60n;
export const MAX_MAX_AGE = 86_400n;

export type VolSurface = {
  /** Seconds to expiry, strictly increasing. */
  tenors: readonly bigint[];
  /** Log-moneyness, signed WAD, strictly increasing. */
  nodes: readonly bigint[];
  /** Row-major by tenor, WAD. */
  vols: readonly bigint[];
};

/** VolatilityFeed.Bounds. */
export type VolBounds = {
  minVol: bigint;
  maxVol: bigint;
  maxTenors: number;
  maxNodes: number;
};

/** Why a surface would be refused: the contract's custom error name and arguments. */
export type SurfaceError =
  | { error: 'EmptyGrid' }
  | { error: 'TooManyTenors'; count: number; max: number }
  | { error: 'TooManyNodes'; count: number; max: number }
  | { error: 'VolCountMismatch'; count: number; expected: number }
  | { error: 'TenorOutOfRange'; index: number; tenor: bigint }
  | { error: 'TenorsNotIncreasing'; index: number }
  | { error: 'NodeOutOfRange'; index: number; node: bigint }
  | { error: 'NodesNotIncreasing'; index: number }
  | { error: 'VolOutOfBounds'; index: number; vol: bigint };

/** Whether the contract would accept `bounds` (setBounds / the constructor; else InvalidBounds). */
export function validBounds(b: VolBounds): boolean {
  return (
    b.minVol > 0n &&
    b.minVol <= b.maxVol &&
    b.maxVol <= MAX_VOL &&
    b.maxTenors >= 1 &&
    b.maxTenors <= MAX_TENORS &&
    b.maxNodes >= 1 &&
    b.maxNodes <= MAX_NODES
  );
}

/** Whether the contract would accept `maxAge` (else InvalidMaxAge). */
export function validMaxAge(maxAge: bigint): boolean {
  return maxAge >= MIN_MAX_AGE && maxAge <= MAX_MAX_AGE;
}

/**
 * The first check `publish` would fail, in the contract's order (grid shape, then tenors, nodes and
 * vols in index order), or undefined when it would accept the surface.
 */
export function validateSurface(s: VolSurface, b: VolBounds): SurfaceError | undefined {
  const nt = s.tenors.length;
  const nk = s.nodes.length;
  if (nt === 0 || nk === 0) return { error: 'EmptyGrid' };
  if (nt > b.maxTenors) return { error: 'TooManyTenors', count: nt, max: b.maxTenors };
  if (nk > b.maxNodes) return { error: 'TooManyNodes', count: nk, max: b.maxNodes };
  if (s.vols.length !== nt * nk) return { error: 'VolCountMismatch', count: s.vols.length, expected: nt * nk };
  for (let i = 0; i < nt; i++) {
    const t = s.tenors[i]!;
    if (t <= 0n || t > MAX_TENOR) return { error: 'TenorOutOfRange', index: i, tenor: t };
    if (i > 0 && t <= s.tenors[i - 1]!) return { error: 'TenorsNotIncreasing', index: i };
  }
  for (let j = 0; j < nk; j++) {
    const k = s.nodes[j]!;
    if (k > MAX_ABS_K || k < -MAX_ABS_K) return { error: 'NodeOutOfRange', index: j, node: k };
    if (j > 0 && k <= s.nodes[j - 1]!) return { error: 'NodesNotIncreasing', index: j };
  }
  for (let v = 0; v < s.vols.length; v++) {
    const vol = s.vols[v]!;
    if (vol < b.minVol || vol > b.maxVol) return { error: 'VolOutOfBounds', index: v, vol };
  }
  return undefined;
}

/** The log-moneyness nodes around k and their weights (w0 = k1 - k, w1 = k - k0); one node when w1 = 0. */
type Bracket = { j0: number; j1: number; w0: bigint; w1: bigint };

function bracketK(nodes: readonly bigint[], k: bigint): Bracket {
  const nk = nodes.length;
  let j = 0;
  while (j < nk && nodes[j]! < k) j++;
  if (j === 0) return { j0: 0, j1: 0, w0: 1n, w1: 0n };
  if (j === nk) return { j0: nk - 1, j1: nk - 1, w0: 1n, w1: 0n };
  const k1 = nodes[j]!;
  if (k1 === k) return { j0: j, j1: j, w0: 1n, w1: 0n };
  return { j0: j - 1, j1: j, w0: k1 - k, w1: k - nodes[j - 1]! };
}

/** Vol of tenor row i at the bracket: floor((v0 w0 + v1 w1) / (w0 + w1)). */
function rowVol(s: VolSurface, i: number, b: Bracket): bigint {
  const base = i * s.nodes.length;
  if (b.w1 === 0n) return s.vols[base + b.j0]!;
  return (s.vols[base + b.j0]! * b.w0 + s.vols[base + b.j1]! * b.w1) / (b.w0 + b.w1);
}

/**
 * Vol at time t, t0 < t < t1, linear in total variance between (t0, v0) and (t1, v1):
 * floor(sqrt(floor((v0^2 t0 (t1 - t) + v1^2 t1 (t - t0)) / (t (t1 - t0))))).
 */
export function interpolateTime(v0: bigint, t0: bigint, v1: bigint, t1: bigint, t: bigint): bigint {
  return isqrt((v0 * v0 * t0 * (t1 - t) + v1 * v1 * t1 * (t - t0)) / (t * (t1 - t0)));
}

/**
 * Implied vol (WAD) at log-moneyness k (signed WAD) and secondsToExpiry, as
 * VolatilityFeed.impliedVol answers for a valid published surface (0n for an empty one).
 */
export function impliedVol(s: VolSurface, k: bigint, secondsToExpiry: bigint): bigint {
  const nt = s.tenors.length;
  if (nt === 0 || s.nodes.length === 0) return 0n;
  const b = bracketK(s.nodes, k);
  let i = 0;
  while (i < nt && s.tenors[i]! < secondsToExpiry) i++;
  if (i === 0) return rowVol(s, 0, b);
  if (i === nt) return rowVol(s, nt - 1, b);
  const t1 = s.tenors[i]!;
  if (t1 === secondsToExpiry) return rowVol(s, i, b);
  return interpolateTime(rowVol(s, i - 1, b), s.tenors[i - 1]!, rowVol(s, i, b), t1, secondsToExpiry);
}

/** Whether a surface published at `publishedAt` (0 = never) is fresh at `now` under `maxAge` (as the contract's flag). */
export function isFresh(publishedAt: bigint, now: bigint, maxAge: bigint): boolean {
  return publishedAt !== 0n && now - publishedAt <= maxAge;
}
