// Off-chain cancellation, signed by the intent's owner as EIP-712 typed data in the intents'
// own domain: CancelIntent(bytes32 intentId). Wallets sign it with eth_signTypedData_v4 /
// viem signTypedData({ domain, types: cancelIntentTypes, primaryType: 'CancelIntent', message }).
// It removes the intent from this node's pool (and so from auctions); only an on-chain nonce
// invalidation stops a solver that already holds the intent. (Belongs in protocol/: the lead may move it.)
import { keccak_256 } from '@noble/hashes/sha3.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import type { Address, Hex } from 'viem';
import { fromHex, isHex } from '../protocol/bytes.ts';
import { typedDataDigest } from '../protocol/hash.ts';
import { fail, type Result } from '../protocol/result.ts';
import { recoverSigner, signDigest, type Recoverer } from '../protocol/signature.ts';

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

