// The canonical wire encoding of a signed intent: fixed-width fields in a fixed order, so every
// intent has exactly one encoding and decoding is a bounds-checked walk with no allocation games.
//
//   version u8 (=1) ‖ tag u8 (1 swap, 2 position, 3 option) ‖ body ‖ scheme u8 ‖ signature
//   swap body     (213 B): owner 20 ‖ sellToken 20 ‖ buyToken 20 ‖ receiver 20 ‖ sellAmount 32 ‖
//                          buyAmount 32 ‖ validTo u32 ‖ nonce 32 ‖ flags u8 ‖ appData 32
//                          flags: bit 0 = BUY kind, bit 1 = partially fillable, others zero
//   position body (125 B): account 20 ‖ market u32 ‖ sizeDelta 32 (two's complement) ‖
//                          limitPrice 32 ‖ flags u8 ‖ validTo u32 ‖ nonce 32
//                          flags: bit 0 = reduce only, bit 1 = partially fillable, others zero
//   option body   (129 B): account 20 ‖ series u64 ‖ size 32 (two's complement) ‖
//                          premiumLimit 32 ‖ flags u8 ‖ validTo u32 ‖ nonce 32
//                          flags as for positions; series != 0, 0 < |size| <= MAX_OPTION_SIZE
//   scheme 0 (eoa):      65 bytes r ‖ s ‖ v
//   scheme 1 (eip1271):  length u16 ‖ bytes (at most MAX_EIP1271_SIGNATURE_BYTES)
// Integers are big-endian. Decoding rejects unknown versions/tags/schemes, reserved flag bits,
// truncated input and trailing bytes; it never throws.
import type { Address, Hex } from 'viem';
import { fromHex, int256ToWord, readUint256, readUint32, toHex, wordToInt256, writeHex, writeUint256, writeUint32 } from './bytes.ts';
import {
  MAX_OPTION_SIZE,
  type IntentSignature,
  type OptionIntent,
  type PositionIntent,
  type SignedIntent,
  type SwapIntent,
} from './intent.ts';
import { fail, ok, type Result } from './result.ts';

export const CODEC_VERSION = 1;
export const TAG_SWAP = 1;
export const TAG_POSITION = 2;
export const TAG_OPTION = 3;
export const SCHEME_EOA = 0;
export const SCHEME_EIP1271 = 1;
export const SWAP_BODY_BYTES = 213;
export const POSITION_BODY_BYTES = 125;
export const OPTION_BODY_BYTES = 129;
/** Bounds what a peer can make us hold or forward for one contract-wallet signature. */
export const MAX_EIP1271_SIGNATURE_BYTES = 2048;
/** The largest valid encoding: lets transports reject oversized messages before decoding. */
export const MAX_SIGNED_INTENT_BYTES = 2 + SWAP_BODY_BYTES + 1 + 2 + MAX_EIP1271_SIGNATURE_BYTES;

const SWAP_FLAG_BUY = 1;
const SWAP_FLAG_PARTIAL = 2;
const POSITION_FLAG_REDUCE_ONLY = 1;
const POSITION_FLAG_PARTIAL = 2;
const OPTION_FLAG_REDUCE_ONLY = 1;
const OPTION_FLAG_PARTIAL = 2;
const MAX_UINT64 = (1n << 64n) - 1n;

function writeUint64(out: Uint8Array, offset: number, value: bigint): void {
  for (let k = 7; k >= 0; k--) out[offset + 7 - k] = Number((value >> BigInt(8 * k)) & 0xffn);
}

function readUint64(src: Uint8Array, offset: number): bigint {
  let v = 0n;
  for (let k = 0; k < 8; k++) v = (v << 8n) | BigInt(src[offset + k]!);
  return v;
}

/** The field rules of an option intent that the encoding alone cannot express (codec and JSON share them). */
export function checkOptionIntentBounds(i: Pick<OptionIntent, 'series' | 'size'>, prefix = 'intent'): Result<true> {
  if (i.series === 0n || i.series > MAX_UINT64) return fail('out_of_range', `${prefix}.series`, 'series must be in [1, 2^64 - 1]');
  if (i.size === 0n) return fail('zero_amount', `${prefix}.size`, 'size is zero');
  if (i.size > MAX_OPTION_SIZE || i.size < -MAX_OPTION_SIZE) {
    return fail('out_of_range', `${prefix}.size`, `|size| is above the maximum ${MAX_OPTION_SIZE}`);
  }
  return ok(true);
}

const BODY_BYTES = { swap: SWAP_BODY_BYTES, position: POSITION_BODY_BYTES, option: OPTION_BODY_BYTES } as const;

function signatureBytes(sig: IntentSignature): Uint8Array {
  const data = fromHex(sig.data);
  if (sig.scheme === 'eoa') {
    const out = new Uint8Array(1 + 65);
    out[0] = SCHEME_EOA;
    out.set(data, 1);
    return out;
  }
  const out = new Uint8Array(3 + data.length);
  out[0] = SCHEME_EIP1271;
  out[1] = data.length >>> 8;
  out[2] = data.length & 0xff;
  out.set(data, 3);
  return out;
}

/**
 * Encodes a signed intent. The input must be valid (as produced by the JSON parser or decoder, or
 * built by code that checked its ranges); encoding does not re-validate.
 */
export function encodeSignedIntent(signed: SignedIntent): Uint8Array {
  const sig = signatureBytes(signed.signature);
  const bodyLength = BODY_BYTES[signed.type];
  const out = new Uint8Array(2 + bodyLength + sig.length);
  out[0] = CODEC_VERSION;
  if (signed.type === 'swap') {
    const i = signed.intent;
    out[1] = TAG_SWAP;
    writeHex(out, 2, i.owner, 20);
    writeHex(out, 22, i.sellToken, 20);
    writeHex(out, 42, i.buyToken, 20);
    writeHex(out, 62, i.receiver, 20);
    writeUint256(out, 82, i.sellAmount);
    writeUint256(out, 114, i.buyAmount);
    writeUint32(out, 146, i.validTo);
    writeUint256(out, 150, i.nonce);
    out[182] = (i.kind === 1 ? SWAP_FLAG_BUY : 0) | (i.partiallyFillable ? SWAP_FLAG_PARTIAL : 0);
    writeHex(out, 183, i.appData, 32);
  } else if (signed.type === 'option') {
    const i = signed.intent;
    out[1] = TAG_OPTION;
    writeHex(out, 2, i.account, 20);
    writeUint64(out, 22, i.series);
    writeUint256(out, 30, int256ToWord(i.size));
    writeUint256(out, 62, i.premiumLimit);
    out[94] = (i.reduceOnly ? OPTION_FLAG_REDUCE_ONLY : 0) | (i.partiallyFillable ? OPTION_FLAG_PARTIAL : 0);
    writeUint32(out, 95, i.validTo);
    writeUint256(out, 99, i.nonce);
  } else {
    const i = signed.intent;
    out[1] = TAG_POSITION;
    writeHex(out, 2, i.account, 20);
    writeUint32(out, 22, i.market);
    writeUint256(out, 26, int256ToWord(i.sizeDelta));
    writeUint256(out, 58, i.limitPrice);
    out[90] = (i.reduceOnly ? POSITION_FLAG_REDUCE_ONLY : 0) | (i.partiallyFillable ? POSITION_FLAG_PARTIAL : 0);
    writeUint32(out, 91, i.validTo);
    writeUint256(out, 95, i.nonce);
  }
  out.set(sig, 2 + bodyLength);
  return out;
}

const address = (b: Uint8Array, at: number): Address => toHex(b.subarray(at, at + 20)) as Address;

function decodeSwap(b: Uint8Array): Result<SwapIntent> {
  const flags = b[182]!;
  if ((flags & ~(SWAP_FLAG_BUY | SWAP_FLAG_PARTIAL)) !== 0) {
    return fail('out_of_range', 'intent.flags', `reserved swap flag bits set (0x${flags.toString(16)})`);
  }
  return ok({
    owner: address(b, 2),
    sellToken: address(b, 22),
    buyToken: address(b, 42),
    receiver: address(b, 62),
    sellAmount: readUint256(b, 82),
    buyAmount: readUint256(b, 114),
    validTo: readUint32(b, 146),
    nonce: readUint256(b, 150),
    kind: flags & SWAP_FLAG_BUY ? 1 : 0,
    partiallyFillable: (flags & SWAP_FLAG_PARTIAL) !== 0,
    appData: toHex(b.subarray(183, 215)),
  });
}

function decodePosition(b: Uint8Array): Result<PositionIntent> {
  const flags = b[90]!;
  if ((flags & ~(POSITION_FLAG_REDUCE_ONLY | POSITION_FLAG_PARTIAL)) !== 0) {
    return fail('out_of_range', 'intent.flags', `reserved position flag bits set (0x${flags.toString(16)})`);
  }
  return ok({
    account: address(b, 2),
    market: readUint32(b, 22),
    sizeDelta: wordToInt256(readUint256(b, 26)),
    limitPrice: readUint256(b, 58),
    reduceOnly: (flags & POSITION_FLAG_REDUCE_ONLY) !== 0,
    partiallyFillable: (flags & POSITION_FLAG_PARTIAL) !== 0,
    validTo: readUint32(b, 91),
    nonce: readUint256(b, 95),
  });
}

function decodeOption(b: Uint8Array): Result<OptionIntent> {
  const flags = b[94]!;
  if ((flags & ~(OPTION_FLAG_REDUCE_ONLY | OPTION_FLAG_PARTIAL)) !== 0) {
    return fail('out_of_range', 'intent.flags', `reserved option flag bits set (0x${flags.toString(16)})`);
  }
  const intent: OptionIntent = {
    account: address(b, 2),
    series: readUint64(b, 22),
    size: wordToInt256(readUint256(b, 30)),
    premiumLimit: readUint256(b, 62),
    reduceOnly: (flags & OPTION_FLAG_REDUCE_ONLY) !== 0,
    partiallyFillable: (flags & OPTION_FLAG_PARTIAL) !== 0,
    validTo: readUint32(b, 95),
    nonce: readUint256(b, 99),
  };
  const bounds = checkOptionIntentBounds(intent);
  return bounds.ok ? ok(intent) : bounds;
}

function decodeSignature(b: Uint8Array, at: number): Result<IntentSignature> {
  if (at >= b.length) return fail('truncated', 'signature.scheme', 'input ends before the signature');
  const scheme = b[at]!;
  if (scheme === SCHEME_EOA) {
    const end = at + 1 + 65;
    if (b.length < end) return fail('truncated', 'signature', `an eoa signature needs 65 bytes, ${b.length - at - 1} left`);
    if (b.length > end) return fail('trailing_bytes', 'signature', `${b.length - end} bytes after the signature`);
    return ok({ scheme: 'eoa', data: toHex(b.subarray(at + 1, end)) as Hex });
  }
  if (scheme === SCHEME_EIP1271) {
    if (b.length < at + 3) return fail('truncated', 'signature.length', 'input ends inside the signature length');
    const length = (b[at + 1]! << 8) | b[at + 2]!;
    if (length === 0) return fail('out_of_range', 'signature.length', 'an eip1271 signature cannot be empty');
    if (length > MAX_EIP1271_SIGNATURE_BYTES) {
      return fail('out_of_range', 'signature.length', `${length} bytes is above the ${MAX_EIP1271_SIGNATURE_BYTES}-byte limit`);
    }
    const end = at + 3 + length;
    if (b.length < end) return fail('truncated', 'signature', `declared ${length} bytes, ${b.length - at - 3} left`);
    if (b.length > end) return fail('trailing_bytes', 'signature', `${b.length - end} bytes after the signature`);
    return ok({ scheme: 'eip1271', data: toHex(b.subarray(at + 3, end)) as Hex });
  }
  return fail('unsupported_version', 'signature.scheme', `unknown signature scheme ${scheme}`);
}

/** Strictly decodes a signed intent; any deviation from the canonical encoding is an error. */
export function decodeSignedIntent(bytes: Uint8Array): Result<SignedIntent> {
  if (!(bytes instanceof Uint8Array)) return fail('malformed', 'bytes', 'input is not a byte array');
  if (bytes.length > MAX_SIGNED_INTENT_BYTES) {
    return fail('out_of_range', 'bytes', `${bytes.length} bytes is above the ${MAX_SIGNED_INTENT_BYTES}-byte maximum`);
  }
  if (bytes.length < 2) return fail('truncated', 'version', 'input shorter than the 2-byte header');
  if (bytes[0] !== CODEC_VERSION) return fail('unsupported_version', 'version', `unknown codec version ${bytes[0]}`);
  const tag = bytes[1];
  if (tag === TAG_SWAP) {
    if (bytes.length < 2 + SWAP_BODY_BYTES) return fail('truncated', 'intent', 'input ends inside the swap intent');
    const intent = decodeSwap(bytes);
    if (!intent.ok) return intent;
    const signature = decodeSignature(bytes, 2 + SWAP_BODY_BYTES);
    if (!signature.ok) return signature;
    return ok({ type: 'swap', intent: intent.value, signature: signature.value });
  }
  if (tag === TAG_POSITION) {
    if (bytes.length < 2 + POSITION_BODY_BYTES) return fail('truncated', 'intent', 'input ends inside the position intent');
    const intent = decodePosition(bytes);
    if (!intent.ok) return intent;
    const signature = decodeSignature(bytes, 2 + POSITION_BODY_BYTES);
    if (!signature.ok) return signature;
    return ok({ type: 'position', intent: intent.value, signature: signature.value });
  }
  if (tag === TAG_OPTION) {
    if (bytes.length < 2 + OPTION_BODY_BYTES) return fail('truncated', 'intent', 'input ends inside the option intent');
    const intent = decodeOption(bytes);
    if (!intent.ok) return intent;
    const signature = decodeSignature(bytes, 2 + OPTION_BODY_BYTES);
    if (!signature.ok) return signature;
    return ok({ type: 'option', intent: intent.value, signature: signature.value });
  }
  return fail('unsupported_version', 'tag', `unknown intent tag ${tag}`);
}
