// Uniswap V2 pair maths: the output of an exact-input swap, exactly as UniswapV2Library
// (periphery) computes it and the pair enforces it (0.3% fee: balances adjusted by 1000 / 997
// must keep the product).

export class V2MathError extends Error {}

/** UniswapV2Library.getAmountOut. */
export function getAmountOut(amountIn: bigint, reserveIn: bigint, reserveOut: bigint): bigint {
  if (amountIn <= 0n) throw new V2MathError('INSUFFICIENT_INPUT_AMOUNT');
  if (reserveIn <= 0n || reserveOut <= 0n) throw new V2MathError('INSUFFICIENT_LIQUIDITY');
  const amountInWithFee = amountIn * 997n;
  return (amountInWithFee * reserveOut) / (reserveIn * 1000n + amountInWithFee);
}
