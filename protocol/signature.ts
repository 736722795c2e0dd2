// secp256k1 signatures over intent digests: signing (for tests, tools and solvers) and recovery.
// Recovery is pluggable: @noble/curves is the portable default; a node can pass the native
// libsecp256k1 recoverer (recover-native.ts) for throughput. Both see the same strict parsing.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import type { Address, Hex } from 'viem';
import { fromHex, readUint256, toHex, writeUint256 } from './bytes.ts';
import { fail, ok, type Result } from './result.ts';

export const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
export const SECP256K1_HALF_N = SECP256K1_N >> 1n;

/** A parsed 65-byte Ethereum signature: `compact` is r ‖ s (64 bytes), recovery is v - 27. */
export type EoaSignature = { compact: Uint8Array; r: bigint; s: bigint; recovery: 0 | 1 };

/**
 * Recovers the signer's address (20 bytes) from a digest and a parsed signature, or returns
 * undefined when no public key matches (an invalid signature).
 */
export type Recoverer = (digest: Uint8Array, sig: EoaSignature) => Uint8Array | undefined;

/**
 * Strict parse of r ‖ s ‖ v. Rejects v other than 27/28, r or s out of [1, n), and high s: a
 * high-s signature is the malleable twin of a valid one, and accepting both would let anyone
 * mint a second "different" signed message (and gossip id) for the same intent.
 */
export function parseEoaSignature(bytes: Uint8Array): Result<EoaSignature> {
  if (bytes.length !== 65) return fail('malformed', 'signature', `expected 65 bytes (r, s, v), got ${bytes.length}`);
  const v = bytes[64]!;
  if (v !== 27 && v !== 28) return fail('bad_signature', 'signature.v', `v must be 27 or 28, got ${v}`);
  const r = readUint256(bytes, 0);
  const s = readUint256(bytes, 32);
  if (r === 0n || r >= SECP256K1_N) return fail('bad_signature', 'signature.r', 'r is outside [1, n)');
  if (s === 0n || s >= SECP256K1_N) return fail('bad_signature', 'signature.s', 's is outside [1, n)');
  if (s > SECP256K1_HALF_N) return fail('high_s', 'signature.s', 's is above n/2 (malleable signature)');
  return ok({ compact: bytes.subarray(0, 64), r, s, recovery: v === 27 ? 0 : 1 });
}

/** The Ethereum address of an uncompressed public key (0x04 ‖ x ‖ y). */
export const publicKeyToAddressBytes = (uncompressed: Uint8Array): Uint8Array => keccak_256(uncompressed.subarray(1)).subarray(12);

export const nobleRecoverer: Recoverer = (digest, sig) => {
  try {
    const point = new secp256k1.Signature(sig.r, sig.s, sig.recovery).recoverPublicKey(digest);
    return publicKeyToAddressBytes(point.toBytes(false));
  } catch {
    return undefined; // no curve point for this r: the signature is invalid
  }
};

/** Recovers the signer of a 65-byte signature over `digest`. */
export function recoverSigner(digest: Uint8Array, signature: Uint8Array, recoverer: Recoverer = nobleRecoverer): Result<Address> {
  const parsed = parseEoaSignature(signature);
  if (!parsed.ok) return parsed;
  const address = recoverer(digest, parsed.value);
  if (address === undefined) return fail('bad_signature', 'signature', 'no public key recovers from this signature');
  return ok(toHex(address) as Address);
}

/** Signs a 32-byte digest with a private key; returns r ‖ s ‖ v (v = 27 + recovery), always low-s. */
export function signDigest(digest: Uint8Array | Hex, privateKey: Uint8Array | Hex): Hex {
  const msg = typeof digest === 'string' ? fromHex(digest) : digest;
  const key = typeof privateKey === 'string' ? fromHex(privateKey) : privateKey;
  const recovered = secp256k1.sign(msg, key, { prehash: false, lowS: true, format: 'recovered' });
  // noble's "recovered" layout is recovery ‖ r ‖ s; Ethereum's is r ‖ s ‖ v.
  const out = new Uint8Array(65);
  out.set(recovered.subarray(1), 0);
  out[64] = 27 + recovered[0]!;
  return toHex(out);
}

/** The address of a private key. */
export function privateKeyToAddress(privateKey: Uint8Array | Hex): Address {
  const key = typeof privateKey === 'string' ? fromHex(privateKey) : privateKey;
  return toHex(publicKeyToAddressBytes(secp256k1.getPublicKey(key, false))) as Address;
}

/** The high-s twin of a low-s signature (s' = n - s, v flipped): same signer, different bytes. */
export function malleate(signature: Hex): Hex {
  const bytes = fromHex(signature);
  const s = readUint256(bytes, 32);
  writeUint256(bytes, 32, SECP256K1_N - s);
  bytes[64] = bytes[64] === 27 ? 28 : 27;
  return toHex(bytes);
}
