// Off-chain cancellation, signed by the intent's owner as EIP-712 typed data in the intents'
// own domain: CancelIntent(bytes32 intentId). Wallets sign it with eth_signTypedData_v4 /
// viem signTypedData({ domain, types: cancelIntentTypes, primaryType: 'CancelIntent', message }).
// A node that accepts it removes the intent from its pool (and so from auctions); only an on-chain
// nonce invalidation stops a solver that already holds the intent.
import { keccak_256 } from '@noble/hashes/sha3.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import type { Address, Hex } from 'viem';
import { fromHex, isHex, toHex } from './bytes.ts';
import { typedDataDigest } from './hash.ts';
import { fail, ok, type Result } from './result.ts';
import { recoverSigner, signDigest, type Recoverer } from './signature.ts';

export const CANCEL_INTENT_TYPE = 'CancelIntent(bytes32 intentId)';
export const cancelIntentTypes = { CancelIntent: [{ name: 'intentId', type: 'bytes32' }] } as const;
const CANCEL_TYPEHASH = keccak_256(utf8ToBytes(CANCEL_INTENT_TYPE));

export function cancelDigest(intentId: Hex, separator: Uint8Array): Uint8Array {
  const buf = new Uint8Array(64);
  buf.set(CANCEL_TYPEHASH, 0);
  buf.set(fromHex(intentId), 32);
  return typedDataDigest(separator, keccak_256(buf));
}

export const signCancel = (intentId: Hex, separator: Uint8Array, key: Hex): Hex => signDigest(cancelDigest(intentId, separator), key);

export function recoverCanceller(intentId: Hex, signature: unknown, separator: Uint8Array, recoverer?: Recoverer): Result<Address> {
  if (!isHex(signature, 65)) return fail('malformed', 'signature', 'expected a 65-byte 0x hex signature (r, s, v)');
  return recoverSigner(cancelDigest(intentId, separator), fromHex(signature), recoverer);
}

/** Wire form of a signed cancel: intentId 32 ‖ signature 65 (r ‖ s ‖ v). */
export function encodeCancel(intentId: Hex, signature: Hex): Uint8Array {
  const out = new Uint8Array(97);
  out.set(fromHex(intentId), 0);
  out.set(fromHex(signature), 32);
  return out;
}

export function decodeCancel(bytes: Uint8Array): Result<{ intentId: Hex; signature: Hex }> {
  if (bytes.length !== 97) return fail('malformed', 'cancel', `a cancel is 97 bytes (id 32, signature 65), got ${bytes.length}`);
  return ok({ intentId: toHex(bytes.subarray(0, 32)), signature: toHex(bytes.subarray(32)) });
}
