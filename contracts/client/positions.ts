// Client side of the position leg: sign a PositionIntent as a wallet does and encode
// `Batch.positions` (abi.encode of PositionSettlement.PositionBatch) for settle.
import { encodeAbiParameters, type Address, type Hex, type LocalAccount } from 'viem';
import { intentDomain, positionIntentTypes } from '../../protocol/eip712.ts';
import type { PositionIntent } from '../../protocol/intent.ts';

/** EIP-712 signature over a PositionIntent (same domain as swaps: Settlement is verifyingContract). */
export async function signPositionIntent(
  account: LocalAccount,
  chainId: number,
  settlement: Address,
  intent: PositionIntent,
): Promise<Hex> {
  return account.signTypedData({
    domain: intentDomain(chainId, settlement),
    types: positionIntentTypes,
    primaryType: 'PositionIntent',
    message: intent,
  });
}

/**
 * PositionSettlement.PositionTrade. flags: bit 0 reduceOnly, bit 1 EIP-1271, bit 2 partiallyFillable.
 * executedSize: the |size| this batch fills (> 0): |sizeDelta| for a fill-or-kill intent; for a
 * partially fillable one, at most what is left of |sizeDelta| (Settlement.filledAmount[digest]).
 */
export type PositionTrade = {
  account: Address;
  sizeDelta: bigint;
  limitPrice: bigint;
  nonce: bigint;
  validTo: number;
  marketIndex: number;
  flags: number;
  executedSize: bigint;
  signature: Hex;
};

export type PositionBatch = { markets: readonly number[]; prices: readonly bigint[]; trades: readonly PositionTrade[] };

const positionBatchAbi = [
  {
    type: 'tuple',
    components: [
      { name: 'markets', type: 'uint32[]' },
      { name: 'prices', type: 'uint256[]' },
      {
        name: 'trades',
        type: 'tuple[]',
        components: [
          { name: 'account', type: 'address' },
          { name: 'sizeDelta', type: 'int256' },
          { name: 'limitPrice', type: 'uint256' },
          { name: 'nonce', type: 'uint256' },
          { name: 'validTo', type: 'uint32' },
          { name: 'marketIndex', type: 'uint8' },
          { name: 'flags', type: 'uint8' },
          { name: 'executedSize', type: 'uint256' },
          { name: 'signature', type: 'bytes' },
        ],
      },
    ],
  },
] as const;

/** `Batch.positions`: abi.encode(PositionBatch). Markets must be strictly ascending. */
export function encodePositionBatch(batch: PositionBatch): Hex {
  return encodeAbiParameters(positionBatchAbi, [batch]);
}

/**
 * A signed position intent as a PositionTrade of a batch whose market list is `markets`.
 * `executedSize` defaults to |sizeDelta| (the whole intent; the only choice for fill-or-kill).
 */
export function encodePositionTrade(
  markets: readonly number[],
  intent: PositionIntent,
  signature: Hex,
  options: { eip1271?: boolean; executedSize?: bigint } = {},
): PositionTrade {
  const marketIndex = markets.indexOf(intent.market);
  if (marketIndex < 0) throw new Error(`market ${intent.market} is not in the batch's market list`);
  const size = intent.sizeDelta < 0n ? -intent.sizeDelta : intent.sizeDelta;
  const executedSize = options.executedSize ?? size;
  if (executedSize <= 0n || executedSize > size) throw new Error(`executedSize ${executedSize} outside (0, ${size}]`);
  if (!intent.partiallyFillable && executedSize !== size) {
    throw new Error('a fill-or-kill position intent fills exactly |sizeDelta|');
  }
  return {
    account: intent.account,
    sizeDelta: intent.sizeDelta,
    limitPrice: intent.limitPrice,
    nonce: intent.nonce,
    validTo: intent.validTo,
    marketIndex,
    flags: (intent.reduceOnly ? 1 : 0) | (options.eip1271 ? 2 : 0) | (intent.partiallyFillable ? 4 : 0),
    executedSize,
    signature,
  };
}
