// Uniswap V2 pair maths, exactly as UniswapV2Library (periphery) computes it and the pair enforces
// it (0.3% fee: balances adjusted by 1000 / 997 must keep the product).

export class V2MathError extends Error {}

/** UniswapV2Library.getAmountOut. */
export function getAmountOut(amountIn: bigint, reserveIn: bigint, reserveOut: bigint): bigint {
  if (amountIn <= 0n) throw new V2MathError('INSUFFICIENT_INPUT_AMOUNT');
  if (reserveIn <= 0n || reserveOut <= 0n) throw new V2MathError('INSUFFICIENT_LIQUIDITY');
  const amountInWithFee = amountIn * 997n;
  return (amountInWithFee * reserveOut) / (reserveIn * 1000n + amountInWithFee);
}

/** UniswapV2Library.getAmountIn. */
export function getAmountIn(amountOut: bigint, reserveIn: bigint, reserveOut: bigint): bigint {
  if (amountOut <= 0n) throw new V2MathError('INSUFFICIENT_OUTPUT_AMOUNT');
  if (reserveIn <= 0n || reserveOut <= 0n || amountOut >= reserveOut) throw new V2MathError('INSUFFICIENT_LIQUIDITY');
  return (reserveIn * amountOut * 1000n) / ((reserveOut - amountOut) * 997n) + 1n;
}

/** The pair's own K check (UniswapV2Pair.swap) for a swap paying `amountIn` and taking `amountOut`. */
export function pairAccepts(amountIn: bigint, amountOut: bigint, reserveIn: bigint, reserveOut: bigint): boolean {
  if (amountOut <= 0n || amountOut >= reserveOut) return false;
  const balanceIn = reserveIn + amountIn;
  const balanceOut = reserveOut - amountOut;
  return (balanceIn * 1000n - amountIn * 3n) * (balanceOut * 1000n) >= reserveIn * reserveOut * 1_000_000n;
}
