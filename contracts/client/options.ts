// Client side of the option leg: sign an OptionIntent as a wallet does and encode `Batch.options`
// (abi.encode of OptionSettlement.OptionBatch) for settle. Mirrors positions.ts.
import { encodeAbiParameters, type Address, type Hex, type LocalAccount } from 'viem';
import { intentDomain, optionIntentTypes } from '../../protocol/eip712.ts';
import type { OptionIntent } from '../../protocol/intent.ts';

/** EIP-712 signature over an OptionIntent (same domain as swaps: Settlement is verifyingContract). */
export async function signOptionIntent(account: LocalAccount, chainId: number, settlement: Address, intent: OptionIntent): Promise<Hex> {
  return account.signTypedData({
    domain: intentDomain(chainId, settlement),
    types: optionIntentTypes,
    primaryType: 'OptionIntent',
    message: intent,
  });
}

/**
 * OptionSettlement.OptionTrade. flags: bit 0 reduceOnly, bit 1 EIP-1271, bit 2 partiallyFillable
 * (the position flags). executedSize: the |size| this batch fills (> 0): |size| for a fill-or-kill
 * intent; for a partially fillable one at most what is left (Settlement.filledAmount[digest]).
 */
export type OptionTrade = {
  account: Address;
  size: bigint;
  premiumLimit: bigint;
  nonce: bigint;
  validTo: number;
  seriesIndex: number;
  flags: number;
  executedSize: bigint;
  signature: Hex;
};

/** Series strictly ascending; one uniform premium per series (collateral units per 1e18 contracts). */
export type OptionBatch = { series: readonly bigint[]; premiums: readonly bigint[]; trades: readonly OptionTrade[] };

const optionBatchAbi = [
  {
    type: 'tuple',
    components: [
      { name: 'series', type: 'uint64[]' },
      { name: 'premiums', type: 'uint256[]' },
      {
        name: 'trades',
        type: 'tuple[]',
        components: [
          { name: 'account', type: 'address' },
          { name: 'size', type: 'int256' },
          { name: 'premiumLimit', type: 'uint256' },
          { name: 'nonce', type: 'uint256' },
          { name: 'validTo', type: 'uint32' },
          { name: 'seriesIndex', type: 'uint8' },
          { name: 'flags', type: 'uint8' },
          { name: 'executedSize', type: 'uint256' },
          { name: 'signature', type: 'bytes' },
        ],
      },
    ],
  },
] as const;

/** `Batch.options`: abi.encode(OptionBatch). Series must be strictly ascending. */
export function encodeOptionBatch(batch: OptionBatch): Hex {
  if (batch.series.some((s, k) => k > 0 && s <= batch.series[k - 1]!)) throw new Error('option series must be strictly ascending');
  if (batch.premiums.length !== batch.series.length) throw new Error('one premium per series');
  return encodeAbiParameters(optionBatchAbi, [batch]);
}

/**
 * A signed option intent as an OptionTrade of a batch whose series list is `series`.
 * `executedSize` defaults to |size| (the whole intent; the only choice for fill-or-kill).
 */
export function encodeOptionTrade(
  series: readonly bigint[],
  intent: OptionIntent,
  signature: Hex,
  options: { eip1271?: boolean; executedSize?: bigint } = {},
): OptionTrade {
  const seriesIndex = series.indexOf(intent.series);
  if (seriesIndex < 0) throw new Error(`series ${intent.series} is not in the batch's series list`);
  const size = intent.size < 0n ? -intent.size : intent.size;
  const executedSize = options.executedSize ?? size;
  if (executedSize <= 0n || executedSize > size) throw new Error(`executedSize ${executedSize} outside (0, ${size}]`);
  if (!intent.partiallyFillable && executedSize !== size) throw new Error('a fill-or-kill option intent fills exactly |size|');
  return {
    account: intent.account,
    size: intent.size,
    premiumLimit: intent.premiumLimit,
    nonce: intent.nonce,
    validTo: intent.validTo,
    seriesIndex,
    flags: (intent.reduceOnly ? 1 : 0) | (options.eip1271 ? 2 : 0) | (intent.partiallyFillable ? 4 : 0),
    executedSize,
    signature,
  };
}

/**
 * The EIP-1271 "signature" of an option liquidity source's own OptionTrade (IOptionLiquiditySource):
 * abi.encode(uint64 series, int256 size, uint256 premiumLimit, uint32 validTo, uint256 nonce), the
 * fields the source rebuilds the OptionIntent digest from (account = the source, not reduce-only,
 * fill-or-kill). Pass it with `encodeOptionTrade(..., { eip1271: true })`.
 */
export function optionSourceSignature(intent: Pick<OptionIntent, 'series' | 'size' | 'premiumLimit' | 'validTo' | 'nonce'>): Hex {
  return encodeAbiParameters(
    [{ type: 'uint64' }, { type: 'int256' }, { type: 'uint256' }, { type: 'uint32' }, { type: 'uint256' }],
    [intent.series, intent.size, intent.premiumLimit, intent.validTo, intent.nonce],
  );
}
