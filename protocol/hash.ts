// EIP-712 hashing written out for our three fixed types: each struct hash is one keccak over a
// preallocated buffer, several times faster than a generic typed-data encoder. The result is the
// intent's id everywhere (pool key, gossip message id, on-chain fill key); tests pin it to viem's
// hashTypedData and to the contract's own hashing (test/vectors/intents.json).
import { keccak_256 } from '@noble/hashes/sha3.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import type { Hex } from 'viem';
import { fromHex, int256ToWord, toHex, writeHex, writeUint256 } from './bytes.ts';
import { DOMAIN_TYPE, OPTION_INTENT_TYPE, POSITION_INTENT_TYPE, SWAP_INTENT_TYPE, type IntentDomain } from './eip712.ts';
import type { Intent, OptionIntent, PositionIntent, SwapIntent } from './intent.ts';

const keccakString = (s: string): Uint8Array => keccak_256(utf8ToBytes(s));

export const DOMAIN_TYPEHASH = keccakString(DOMAIN_TYPE);
export const SWAP_INTENT_TYPEHASH = keccakString(SWAP_INTENT_TYPE);
export const POSITION_INTENT_TYPEHASH = keccakString(POSITION_INTENT_TYPE);
export const OPTION_INTENT_TYPEHASH = keccakString(OPTION_INTENT_TYPE);

export function domainSeparator(domain: IntentDomain): Uint8Array {
  const buf = new Uint8Array(32 * 5);
  buf.set(DOMAIN_TYPEHASH, 0);
  buf.set(keccakString(domain.name), 32);
  buf.set(keccakString(domain.version), 64);
  writeUint256(buf, 96, BigInt(domain.chainId));
  writeHex(buf, 128, domain.verifyingContract, 32);
  return keccak_256(buf);
}

export function swapIntentStructHash(intent: SwapIntent): Uint8Array {
  const buf = new Uint8Array(32 * 12);
  buf.set(SWAP_INTENT_TYPEHASH, 0);
  writeHex(buf, 32, intent.owner, 32);
  writeHex(buf, 64, intent.sellToken, 32);
  writeHex(buf, 96, intent.buyToken, 32);
  writeHex(buf, 128, intent.receiver, 32);
  writeUint256(buf, 160, intent.sellAmount);
  writeUint256(buf, 192, intent.buyAmount);
  writeUint256(buf, 224, BigInt(intent.validTo));
  writeUint256(buf, 256, intent.nonce);
  buf[319] = intent.kind;
  buf[351] = intent.partiallyFillable ? 1 : 0;
  buf.set(fromHex(intent.appData), 352);
  return keccak_256(buf);
}

export function positionIntentStructHash(intent: PositionIntent): Uint8Array {
  const buf = new Uint8Array(32 * 9);
  buf.set(POSITION_INTENT_TYPEHASH, 0);
  writeHex(buf, 32, intent.account, 32);
  writeUint256(buf, 64, BigInt(intent.market));
  writeUint256(buf, 96, int256ToWord(intent.sizeDelta));
  writeUint256(buf, 128, intent.limitPrice);
  buf[191] = intent.reduceOnly ? 1 : 0;
  buf[223] = intent.partiallyFillable ? 1 : 0;
  writeUint256(buf, 224, BigInt(intent.validTo));
  writeUint256(buf, 256, intent.nonce);
  return keccak_256(buf);
}

export function optionIntentStructHash(intent: OptionIntent): Uint8Array {
  const buf = new Uint8Array(32 * 9);
  buf.set(OPTION_INTENT_TYPEHASH, 0);
  writeHex(buf, 32, intent.account, 32);
  writeUint256(buf, 64, intent.series);
  writeUint256(buf, 96, int256ToWord(intent.size));
  writeUint256(buf, 128, intent.premiumLimit);
  buf[191] = intent.reduceOnly ? 1 : 0;
  buf[223] = intent.partiallyFillable ? 1 : 0;
  writeUint256(buf, 224, BigInt(intent.validTo));
  writeUint256(buf, 256, intent.nonce);
  return keccak_256(buf);
}

export function intentStructHash(i: Intent): Uint8Array {
  switch (i.type) {
    case 'swap':
      return swapIntentStructHash(i.intent);
    case 'position':
      return positionIntentStructHash(i.intent);
    case 'option':
      return optionIntentStructHash(i.intent);
  }
}

/** keccak256(0x1901 ‖ domainSeparator ‖ structHash): what the owner signs. */
export function typedDataDigest(separator: Uint8Array, structHash: Uint8Array): Uint8Array {
  const buf = new Uint8Array(66);
  buf[0] = 0x19;
  buf[1] = 0x01;
  buf.set(separator, 2);
  buf.set(structHash, 34);
  return keccak_256(buf);
}

/** The intent's EIP-712 digest as raw bytes; pass a precomputed separator on hot paths. */
export const intentDigestBytes = (i: Intent, separator: Uint8Array): Uint8Array => typedDataDigest(separator, intentStructHash(i));

/** The intent's id: its EIP-712 digest, as lower-case hex. */
export const intentDigest = (i: Intent, domain: IntentDomain): Hex => toHex(intentDigestBytes(i, domainSeparator(domain)));
