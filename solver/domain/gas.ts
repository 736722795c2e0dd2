// The gas a settle is estimated at: a fixed part, a part per trade, and each pool swap's own gas
// (LiquidityAdapter.gas, which includes the swap's interactions).
import type { ExecutedLeg } from './routing/execute.ts';

const SETTLE_GAS = 45_000;
const TRADE_GAS = 75_000;

export function settleGas(trades: number, legs: readonly ExecutedLeg[]): number {
  return SETTLE_GAS + trades * TRADE_GAS + legs.reduce((s, l) => s + l.pool.gas, 0);
}
