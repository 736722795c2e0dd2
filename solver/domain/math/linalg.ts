// Dense linear algebra the routers need: small symmetric positive definite systems (one row per
// token), solved in place without allocation.

/** In-place Cholesky solve of M z = b (M symmetric positive definite, n×n row-major); b becomes z. */
export function choleskySolve(M: Float64Array, b: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    let d = M[j * n + j]!;
    for (let k = 0; k < j; k++) d -= M[j * n + k]! * M[j * n + k]!;
    if (!(d > 0)) return false;
    const l = Math.sqrt(d);
    M[j * n + j] = l;
    for (let i = j + 1; i < n; i++) {
      let s = M[i * n + j]!;
      for (let k = 0; k < j; k++) s -= M[i * n + k]! * M[j * n + k]!;
      M[i * n + j] = s / l;
    }
  }
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= M[i * n + k]! * b[k]!;
    b[i] = s / M[i * n + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < n; k++) s -= M[k * n + i]! * b[k]!;
    b[i] = s / M[i * n + i]!;
  }
  return true;
}
