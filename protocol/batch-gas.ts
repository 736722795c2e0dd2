// The gas a solution's settle may use, estimated from its shape alone (trades, own liquidity,
// interactions and their call data), so that every node and every solver compute the same number
// without a chain. It is an upper bound by construction, checked against the gas real batches
// used (test/chain): a batch within the bound always fits the share of the block it was given.
// Nodes refuse solutions above the bound (node/auction); solvers pick the best subset within it.
import type { Solution } from './solution.ts';

/** Upper-bound gas per part of a settle (the measured costs sit well below; see test/chain/batch-gas.test.ts). */
export const SETTLE_GAS_MODEL = {
  /** The call, the batch checks, the token balance snapshots and the event. */
  base: 80_000n,
  /** A swap fill: signature recovery, nonce or fill bookkeeping, the pull and the payout. */
  swapTrade: 70_000n,
  /** A position fill: recovery, nonce, the clearing house's position and margin bookkeeping. */
  positionTrade: 120_000n,
  /** A liquidity fill (the solver's own signed position intent, EIP-1271 for contracts). */
  liquidity: 150_000n,
  /** One call to a liquidity source, before its call data. */
  interaction: 200_000n,
  /** Per call-data byte of an interaction (calldata cost plus the copy into the call). */
  callDataByte: 20n,
  /** Per account and market touched by the batch's margin check. */
  marginAccount: 30_000n,
  /**
   * Per position market priced in the batch: its funding accrual and oracle read, and the circuit
   * breaker's observe, which walks back over up to 16 oracle rounds (120k cold at the most).
   */
  positionMarket: 150_000n,
  /**
   * An option fill (users' or own liquidity): signature, nonce or filled amount, the book's
   * position and open interest, and the account's portfolio margin check at the end of the batch
   * (Black-Scholes over the 18-scenario grid for each series it holds, at most 4, plus its perps:
   * about 343k for a full account in forge). Measured on anvil with the call's base
   * (test/chain/option-solver.test.ts): a pair of fresh accounts 667k, a pair of accounts holding
   * 4 series each 941k; a pair's bound is 1.14M.
   */
  optionTrade: 500_000n,
  /** Per option series priced in the batch: the registry's series read, the mark and surface reads. */
  optionSeries: 60_000n,
  /**
   * On top of `liquidity`, per position liquidity fill whose signer also signs option liquidity in
   * the batch (the options vault's delta hedge): its EIP-1271 check prices the signer's option legs
   * (Black-Scholes and a surface read per series, up to 4) and its portfolio margin check gains a
   * perp leg. Measured on anvil (test/chain/option-hedge.test.ts): a hedge adds 460k to a lone
   * option fill against a fresh vault and 755k when the vault and the buyer hold 4 series each
   * (1.66M in all, against the 1.65M the model gave it without this term).
   */
  optionHedge: 400_000n,
} as const;

/**
 * The position liquidity fills whose signer also signs option liquidity in the solution: an
 * options liquidity source's perp hedges (`SETTLE_GAS_MODEL.optionHedge`).
 */
export function optionHedgeFills(s: Solution): number {
  const optionSigners = new Set((s.optionLiquidity ?? []).map((l) => l.intent.account.toLowerCase()));
  if (!optionSigners.size) return 0;
  return (s.liquidity ?? []).filter((l) => optionSigners.has(l.intent.account.toLowerCase())).length;
}

/** The default share of a block's gas one batch may use (basis points). */
export const DEFAULT_BATCH_GAS_SHARE_BPS = 5_000;

/**
 * `positionIntents` and `optionIntents` tell which trades are position and option fills (the
 * solution alone does not say).
 */
export function solutionGas(s: Solution, positionIntents: ReadonlySet<string>, optionIntents: ReadonlySet<string> = new Set()): bigint {
  const m = SETTLE_GAS_MODEL;
  let gas = m.base;
  let positions = 0n;
  for (const t of s.trades) {
    const id = t.intentId.toLowerCase();
    if (positionIntents.has(id)) positions++;
    else if (optionIntents.has(id)) gas += m.optionTrade;
    else gas += m.swapTrade;
  }
  gas += BigInt(s.optionLiquidity?.length ?? 0) * m.optionTrade + BigInt(s.optionPremiums?.length ?? 0) * m.optionSeries;
  const liquidity = BigInt(s.liquidity?.length ?? 0);
  gas += positions * (m.positionTrade + m.marginAccount) + liquidity * (m.liquidity + m.marginAccount);
  gas += BigInt(optionHedgeFills(s)) * m.optionHedge;
  gas += BigInt(s.marketPrices.length) * m.positionMarket;
  for (const x of s.interactions) gas += m.interaction + BigInt((x.callData.length - 2) / 2) * m.callDataByte;
  return gas;
}

/** The gas one batch may use on a chain whose blocks hold `blockGasLimit`. */
export function batchGasLimit(blockGasLimit: bigint, shareBps: number = DEFAULT_BATCH_GAS_SHARE_BPS): bigint {
  if (!Number.isInteger(shareBps) || shareBps <= 0 || shareBps > 10_000)
    throw new RangeError(`batch gas share ${shareBps} bps is not in 1..10000`);
  return (blockGasLimit * BigInt(shareBps)) / 10_000n;
}
