// EIP-712 domain and types, written once in the shape viem's `signTypedData` (and so MetaMask's
// eth_signTypedData_v4 and hardware wallets) takes. The Solidity side hard-codes the same type
// strings; test/vectors pins the digests both must produce.
import type { Address } from 'viem';

export const DOMAIN_NAME = 'IntentSettlement';
export const DOMAIN_VERSION = '1';

export type IntentDomain = {
  name: typeof DOMAIN_NAME;
  version: typeof DOMAIN_VERSION;
  chainId: number;
  /** The settlement contract: a signature for one deployment never verifies at another. */
  verifyingContract: Address;
};

export function intentDomain(chainId: number, verifyingContract: Address): IntentDomain {
  return { name: DOMAIN_NAME, version: DOMAIN_VERSION, chainId, verifyingContract };
}

export const swapIntentTypes = {
  SwapIntent: [
    { name: 'owner', type: 'address' },
    { name: 'sellToken', type: 'address' },
    { name: 'buyToken', type: 'address' },
    { name: 'receiver', type: 'address' },
    { name: 'sellAmount', type: 'uint256' },
    { name: 'buyAmount', type: 'uint256' },
    { name: 'validTo', type: 'uint32' },
    { name: 'nonce', type: 'uint256' },
    { name: 'kind', type: 'uint8' },
    { name: 'partiallyFillable', type: 'bool' },
    { name: 'appData', type: 'bytes32' },
  ],
} as const;

export const positionIntentTypes = {
  PositionIntent: [
    { name: 'account', type: 'address' },
    { name: 'market', type: 'uint32' },
    { name: 'sizeDelta', type: 'int256' },
    { name: 'limitPrice', type: 'uint256' },
    { name: 'reduceOnly', type: 'bool' },
    { name: 'partiallyFillable', type: 'bool' },
    { name: 'validTo', type: 'uint32' },
    { name: 'nonce', type: 'uint256' },
  ],
} as const;

export const optionIntentTypes = {
  OptionIntent: [
    { name: 'account', type: 'address' },
    { name: 'series', type: 'uint64' },
    { name: 'size', type: 'int256' },
    { name: 'premiumLimit', type: 'uint256' },
    { name: 'reduceOnly', type: 'bool' },
    { name: 'partiallyFillable', type: 'bool' },
    { name: 'validTo', type: 'uint32' },
    { name: 'nonce', type: 'uint256' },
  ],
} as const;

/** The canonical type strings (EIP-712 `encodeType`), as the contract hard-codes them. */
export const SWAP_INTENT_TYPE =
  'SwapIntent(address owner,address sellToken,address buyToken,address receiver,uint256 sellAmount,uint256 buyAmount,uint32 validTo,uint256 nonce,uint8 kind,bool partiallyFillable,bytes32 appData)';
export const POSITION_INTENT_TYPE =
  'PositionIntent(address account,uint32 market,int256 sizeDelta,uint256 limitPrice,bool reduceOnly,bool partiallyFillable,uint32 validTo,uint256 nonce)';
export const OPTION_INTENT_TYPE =
  'OptionIntent(address account,uint64 series,int256 size,uint256 premiumLimit,bool reduceOnly,bool partiallyFillable,uint32 validTo,uint256 nonce)';
export const DOMAIN_TYPE = 'EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)';
