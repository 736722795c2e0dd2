// Native keccak-256 for the node's hot path (the `keccak` package's N-API KeccakState, about 4x
// @noble/hashes on an intent struct), with @noble/hashes as the fallback when the addon does not
// load; the intent digest straight from the wire bytes; a Buffer-based hex encoder; and
// protocol's native recoverer using this keccak for the address. All pinned to protocol/ by
// property tests (fast-hash.test.ts).
import { keccak_256 } from '@noble/hashes/sha3.js';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { OPTION_INTENT_TYPEHASH, POSITION_INTENT_TYPEHASH, SWAP_INTENT_TYPEHASH } from '../../protocol/hash.ts';
import { nativeRecoverer } from '../../protocol/recover-native.ts';
import type { Recoverer } from '../../protocol/signature.ts';
import type { Hex } from 'viem';

type KeccakState = {
  initialize(rate: number, capacity: number): void;
  absorb(b: Buffer): void;
  absorbLastFewBits(bits: number): void;
  squeeze(n: number): Buffer;
};

function loadNative(): ((data: Uint8Array) => Uint8Array) | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('keccak/package.json');
    // The raw N-API state (what keccak's own stream wrapper drives), loaded the way keccak loads it.
    const State = (createRequire(pkg)('node-gyp-build') as (dir: string) => new () => KeccakState)(dirname(pkg));
    const state = new State();
    return (data) => {
      state.initialize(1088, 512);
      state.absorb(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      state.absorbLastFewBits(0x01);
      return new Uint8Array(state.squeeze(32));
    };
  } catch {
    return undefined;
  }
}

const native = loadNative();
export const keccak256Fast: (data: Uint8Array) => Uint8Array = native ?? ((d) => keccak_256(d));
export const hasNativeKeccak = native !== undefined;

const swapBuf = new Uint8Array(32 * 12);
const posBuf = new Uint8Array(32 * 9);
const digestBuf = new Uint8Array(66);
digestBuf[0] = 0x19;
digestBuf[1] = 0x01;

/**
 * The intent's EIP-712 digest (protocol's intentDigestBytes) straight from the canonical encoding (protocol/codec.ts: fixed-width fields in
 * EIP-712 order), with no hex or bigint round trips: each field is copied into its 32-byte word.
 * `bytes` must be a valid encoding (decodeSignedIntent succeeded on it).
 */
export function intentDigestFromBytes(bytes: Uint8Array, separator: Uint8Array): Uint8Array {
  let struct: Uint8Array;
  if (bytes[1] === 1) {
    const b = swapBuf;
    b.fill(0);
    b.set(SWAP_INTENT_TYPEHASH, 0);
    b.set(bytes.subarray(2, 22), 32 + 12); // owner
    b.set(bytes.subarray(22, 42), 64 + 12); // sellToken
    b.set(bytes.subarray(42, 62), 96 + 12); // buyToken
    b.set(bytes.subarray(62, 82), 128 + 12); // receiver
    b.set(bytes.subarray(82, 114), 160); // sellAmount
    b.set(bytes.subarray(114, 146), 192); // buyAmount
    b.set(bytes.subarray(146, 150), 224 + 28); // validTo
    b.set(bytes.subarray(150, 182), 256); // nonce
    const flags = bytes[182]!;
    b[319] = flags & 1; // kind
    b[351] = (flags >> 1) & 1; // partiallyFillable
    b.set(bytes.subarray(183, 215), 352); // appData
    struct = keccak256Fast(b);
  } else if (bytes[1] === 2) {
    const b = posBuf;
    b.fill(0);
    b.set(POSITION_INTENT_TYPEHASH, 0);
    b.set(bytes.subarray(2, 22), 32 + 12); // account
    b.set(bytes.subarray(22, 26), 64 + 28); // market
    b.set(bytes.subarray(26, 58), 96); // sizeDelta (two's complement word)
    b.set(bytes.subarray(58, 90), 128); // limitPrice
    b[191] = bytes[90]! & 1; // reduceOnly
    b[223] = (bytes[90]! >> 1) & 1; // partiallyFillable
    b.set(bytes.subarray(91, 95), 224 + 28); // validTo
    b.set(bytes.subarray(95, 127), 256); // nonce
    struct = keccak256Fast(b);
  } else if (bytes[1] === 3) {
    const b = posBuf; // 9 words, as a position's
    b.fill(0);
    b.set(OPTION_INTENT_TYPEHASH, 0);
    b.set(bytes.subarray(2, 22), 32 + 12); // account
    b.set(bytes.subarray(22, 30), 64 + 24); // series (u64)
    b.set(bytes.subarray(30, 62), 96); // size (two's complement word)
    b.set(bytes.subarray(62, 94), 128); // premiumLimit
    b[191] = bytes[94]! & 1; // reduceOnly
    b[223] = (bytes[94]! >> 1) & 1; // partiallyFillable
    b.set(bytes.subarray(95, 99), 224 + 28); // validTo
    b.set(bytes.subarray(99, 131), 256); // nonce
    struct = keccak256Fast(b);
  } else {
    throw new Error(`intentDigestFromBytes: unknown intent tag ${bytes[1]}`);
  }
  digestBuf.set(separator, 2);
  digestBuf.set(struct, 34);
  return keccak256Fast(digestBuf);
}

/** Lower-case 0x-hex of bytes through Buffer (faster than protocol/bytes.ts toHex on the hot path: digests, message ids). */
export const hexId = (b: Uint8Array): Hex => `0x${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')}`;

/** protocol's native libsecp256k1 recoverer, hashing the public key with the native keccak. */
export const fastRecoverer = (): Recoverer | undefined => nativeRecoverer(keccak256Fast);
