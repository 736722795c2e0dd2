// Intent types: what a user signs. Three kinds share one EIP-712 domain (see eip712.ts).
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
  /**
   * Only reduce the existing position's magnitude, never flip or grow it. A reduce-only fill larger
   * than the position is clamped to it on chain: "sell 1 reduce-only" on a 0.7 long closes 0.7.
   */
  reduceOnly: boolean;
  /**
   * May fill in parts across batches (the contract tracks the filled |size| per intent digest, as
   * for partially fillable swaps); otherwise fill-or-kill: all of |sizeDelta| in one batch.
   */
  partiallyFillable: boolean;
  validTo: number;
  nonce: bigint;
};

/** Largest |size| of an option intent, as the clearing house's MAX_SIZE bounds position sizes. */
export const MAX_OPTION_SIZE = 10n ** 36n;

/**
 * Buy or sell contracts of a listed option series (contracts/src/options/OptionSeries.sol). Wire
 * format only for now: nodes refuse option intents until option settlement exists.
 */
export type OptionIntent = {
  account: Address;
  /** Option series id in the OptionSeries registry (1, 2, ... in listing order; never 0). */
  series: bigint;
  /** Signed number of contracts, 18 decimals: positive buys, negative sells; never 0, |size| <= MAX_OPTION_SIZE. */
  size: bigint;
  /**
   * Premium per contract in collateral units (per 1e18 contracts, as prices are per 1e18 of size):
   * a buyer pays at most this, a seller receives at least this.
   */
  premiumLimit: bigint;
  /** Only reduce the account's existing holding of the series, never flip or grow it. */
  reduceOnly: boolean;
  /** May fill in parts across batches; otherwise all of |size| in one batch. */
  partiallyFillable: boolean;
  validTo: number;
  nonce: bigint;
};

export type Intent =
  | { type: 'swap'; intent: SwapIntent }
  | { type: 'position'; intent: PositionIntent }
  | { type: 'option'; intent: OptionIntent };

/**
 * How the owner authorised the intent. `eoa`: a 65-byte secp256k1 signature (r ‖ s ‖ v) over the
 * EIP-712 digest. `eip1271`: opaque bytes that the owner contract's `isValidSignature` must accept;
 * only the chain can check these, so off-chain verification marks them as pending.
 */
export type IntentSignature = { scheme: 'eoa'; data: Hex } | { scheme: 'eip1271'; data: Hex };

export type SignedIntent = Intent & { signature: IntentSignature };
