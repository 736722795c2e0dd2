// Client side of settle: sign a swap intent as a wallet does and encode signed intents into
// settle's Batch. Solvers, tests and the devnet import this; deployment code lives in ../deploy/.
// The Batch/Trade types are derived from the generated ABI, so a change to settle's layout in
// Solidity breaks `npm run typecheck` here instead of failing at run time.
import { getAddress, type Address, type ContractFunctionArgs, type Hex, type LocalAccount } from 'viem';
import { intentDomain, swapIntentTypes } from '../../protocol/eip712.ts';
import type { SwapIntent } from '../../protocol/intent.ts';
import type { settlementAbi } from '../artifacts/Settlement.ts';

export type SettleBatch = ContractFunctionArgs<typeof settlementAbi, 'nonpayable', 'settle'>[0];
export type SettleTrade = SettleBatch['trades'][number];
export type SettleInteraction = SettleBatch['interactions'][number];

/** EIP-712 signature over the intent for this chain and settlement, as a wallet produces it (r ‖ s ‖ v). */
export async function signSwapIntent(owner: LocalAccount, chainId: number, settlement: Address, intent: SwapIntent): Promise<Hex> {
  return owner.signTypedData({
    domain: intentDomain(chainId, settlement),
    types: swapIntentTypes,
    primaryType: 'SwapIntent',
    message: intent,
  });
}

/** Settle wants each token once, strictly ascending by address (one clearing price per token). */
export function sortAddresses(tokens: readonly Address[]): Address[] {
  const unique = [...new Set(tokens.map((t) => getAddress(t)))];
  return unique.sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));
}

const FLAG_BUY = 1;
const FLAG_PARTIALLY_FILLABLE = 2;
const FLAG_EIP1271 = 4;

/**
 * Encodes a signed intent as a settle Trade. `executedAmount` matters only for partially fillable
 * intents (sell units for SELL, buy units for BUY); fill-or-kill passes 0, which is also the
 * cheapest calldata.
 */
export function encodeTrade(
  tokens: readonly Address[],
  intent: SwapIntent,
  signature: Hex,
  options: { executedAmount?: bigint; eip1271?: boolean } = {},
): SettleTrade {
  const index = (token: Address): number => {
    const i = tokens.findIndex((t) => t.toLowerCase() === token.toLowerCase());
    if (i < 0) throw new Error(`token ${token} is not in the batch's token list`);
    return i;
  };
  let flags = 0;
  if (intent.kind === 1) flags |= FLAG_BUY;
  if (intent.partiallyFillable) flags |= FLAG_PARTIALLY_FILLABLE;
  if (options.eip1271) flags |= FLAG_EIP1271;
  return {
    owner: intent.owner,
    receiver: intent.receiver,
    sellAmount: intent.sellAmount,
    buyAmount: intent.buyAmount,
    nonce: intent.nonce,
    appData: intent.appData,
    executedAmount: options.executedAmount ?? 0n,
    validTo: intent.validTo,
    sellTokenIndex: index(intent.sellToken),
    buyTokenIndex: index(intent.buyToken),
    flags,
    signature,
  };
}

/** A batch with no position or option leg (the clearing house uses `positions`, the option book `options`). */
export function spotBatch(fields: Omit<SettleBatch, 'positions' | 'options'>): SettleBatch {
  return { ...fields, positions: '0x', options: '0x' };
}
