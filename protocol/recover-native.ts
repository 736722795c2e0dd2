// Native libsecp256k1 recovery through the `secp256k1` npm binding: about 20x @noble/curves on
// one core. Loaded lazily and optional, so protocol/ still runs where the addon did not build.
import { createRequire } from 'node:module';
import { publicKeyToAddressBytes, type Recoverer } from './signature.ts';

type NativeSecp256k1 = {
  ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed: boolean): Uint8Array;
};

let cached: Recoverer | null | undefined;

/** The native recoverer, or undefined when the binding is not available on this machine. */
export function nativeRecoverer(): Recoverer | undefined {
  if (cached !== undefined) return cached ?? undefined;
  try {
    // 'secp256k1/bindings', not the package root: the root silently falls back to pure JS.
    const native = createRequire(import.meta.url)('secp256k1/bindings') as NativeSecp256k1;
    cached = (digest, sig) => {
      try {
        return publicKeyToAddressBytes(native.ecdsaRecover(sig.compact, sig.recovery, digest, false));
      } catch {
        return undefined;
      }
    };
  } catch {
    cached = null;
  }
  return cached ?? undefined;
}
