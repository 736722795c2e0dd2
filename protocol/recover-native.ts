// Native libsecp256k1 recovery through the `secp256k1` npm binding: about 20x @noble/curves on
// one core. Loaded lazily and optional, so protocol/ still runs where the addon did not build.
import { keccak_256 } from '@noble/hashes/sha3.js';
import { createRequire } from 'node:module';
import type { Recoverer } from './signature.ts';

type NativeSecp256k1 = {
  ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed: boolean): Uint8Array;
};

let binding: NativeSecp256k1 | null | undefined;

function loadBinding(): NativeSecp256k1 | undefined {
  if (binding === undefined) {
    try {
      // 'secp256k1/bindings', not the package root: the root silently falls back to pure JS.
      binding = createRequire(import.meta.url)('secp256k1/bindings') as NativeSecp256k1;
    } catch {
      binding = null;
    }
  }
  return binding ?? undefined;
}

/**
 * The native recoverer, or undefined when the binding is not available on this machine.
 * `keccak` hashes the recovered public key into the address: pass a native keccak where one is
 * loaded (the node does); @noble/hashes otherwise.
 */
export function nativeRecoverer(keccak: (data: Uint8Array) => Uint8Array = keccak_256): Recoverer | undefined {
  const native = loadBinding();
  if (!native) return undefined;
  return (digest, sig) => {
    try {
      return keccak(native.ecdsaRecover(sig.compact, sig.recovery, digest, false).subarray(1)).subarray(12);
    } catch {
      return undefined;
    }
  };
}
