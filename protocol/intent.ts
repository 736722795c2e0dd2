// Intent types: what a user signs. Two kinds share one EIP-712 domain (see eip712.ts).
import type { Address, Hex } from 'viem';

/** Sell exactly `sellAmount` for at least `buyAmount` (SELL), or buy exactly `buyAmount` for at most `sellAmount` (BUY). */
export const SwapKind = { SELL: 0, BUY: 1 } as const;
export type SwapKind = (typeof SwapKind)[keyof typeof SwapKind];

export type SwapIntent = {
  owner: Address;
  sellToken: Address;
  buyToken: Address;
  /** Who receives the bought tokens; the zero address means the owner. */
  receiver: Address;
  sellAmount: bigint;
  buyAmount: bigint;
  /** Unix time (seconds) after which the intent can no longer be filled. */
  validTo: number;
  /**
   * Replay protection. Nonces are unordered: the settlement contract keeps one bit per nonce per
   * owner (word = nonce >> 8, bit = nonce & 0xff), so using or cancelling one never blocks another.
   */
  nonce: bigint;
  kind: SwapKind;
  partiallyFillable: boolean;
  /** Free 32 bytes for the wallet or app (referrer, hook hash…); signed, never interpreted here. */
  appData: Hex;
};

export type PositionIntent = {
  account: Address;
  /** Perpetual market id, as registered in the clearing house. */
  market: number;
  /** Signed change of position, in base units with 18 decimals: +2e18 grows a long by 2. */
  sizeDelta: bigint;
  /** Worst acceptable price (collateral per base unit, 18 decimals): a ceiling when buying, a floor when selling. */
  limitPrice: bigint;
  /** Only reduce the existing position's magnitude, never flip or grow it. */
  reduceOnly: boolean;
  partiallyFillable: boolean;
  validTo: number;
  nonce: bigint;
};

export type Intent = { type: 'swap'; intent: SwapIntent } | { type: 'position'; intent: PositionIntent };

/**
 * How the owner authorised the intent. `eoa`: a 65-byte secp256k1 signature (r ‖ s ‖ v) over the
 * EIP-712 digest. `eip1271`: opaque bytes that the owner contract's `isValidSignature` must accept;
 * only the chain can check these, so off-chain verification marks them as pending.
 */
export type IntentSignature = { scheme: 'eoa'; data: Hex } | { scheme: 'eip1271'; data: Hex };

export type SignedIntent = Intent & { signature: IntentSignature };
