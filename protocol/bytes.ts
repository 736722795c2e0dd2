// Byte helpers for the hot paths (hashing, codec). viem's helpers validate more and allocate
// more; these work on fixed-size fields we have already checked.
import { bytesToHex as nobleBytesToHex, hexToBytes as nobleHexToBytes } from '@noble/hashes/utils.js';
import type { Hex } from 'viem';

export const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000' as const;
export const ZERO_BYTES32 = '0x0000000000000000000000000000000000000000000000000000000000000000' as const;
export const MAX_UINT256 = (1n << 256n) - 1n;
export const MAX_INT256 = (1n << 255n) - 1n;
export const MIN_INT256 = -(1n << 255n);
export const MAX_UINT32 = 0xffffffff;

const HEX_BODY = /^[0-9a-fA-F]*$/;

/** Lower-case 0x hex of bytes. */
export const toHex = (bytes: Uint8Array): Hex => `0x${nobleBytesToHex(bytes)}`;

/** Bytes of a 0x hex string; the caller has validated it (see isHex). */
export const fromHex = (hex: string): Uint8Array => nobleHexToBytes(hex.slice(2));

/** True when `value` is 0x-prefixed hex of exactly `bytes` bytes (any length when bytes is undefined). */
export function isHex(value: unknown, bytes?: number): value is Hex {
  if (typeof value !== 'string' || !value.startsWith('0x')) return false;
  const body = value.length - 2;
  if (body % 2 !== 0 || (bytes !== undefined && body !== bytes * 2)) return false;
  return HEX_BODY.test(value.slice(2));
}

/**
 * Writes `value` as a 32-byte big-endian word at `offset` (caller ensures 0 <= value < 2^256).
 * Goes through a hex string: one native toString beats 32 BigInt shifts by several times.
 */
export function writeUint256(out: Uint8Array, offset: number, value: bigint): void {
  if (value === 0n) {
    out.fill(0, offset, offset + 32);
    return;
  }
  out.set(nobleHexToBytes(value.toString(16).padStart(64, '0')), offset);
}

/** Reads a 32-byte big-endian word. */
export const readUint256 = (src: Uint8Array, offset: number): bigint => BigInt(`0x${nobleBytesToHex(src.subarray(offset, offset + 32))}`);

/** Two's complement of a signed 256-bit integer, as the EVM stores int256. */
export const int256ToWord = (value: bigint): bigint => (value < 0n ? (1n << 256n) + value : value);
export const wordToInt256 = (word: bigint): bigint => (word > MAX_INT256 ? word - (1n << 256n) : word);

export function writeUint32(out: Uint8Array, offset: number, value: number): void {
  out[offset] = (value >>> 24) & 0xff;
  out[offset + 1] = (value >>> 16) & 0xff;
  out[offset + 2] = (value >>> 8) & 0xff;
  out[offset + 3] = value & 0xff;
}

export const readUint32 = (src: Uint8Array, offset: number): number =>
  ((src[offset]! << 24) | (src[offset + 1]! << 16) | (src[offset + 2]! << 8) | src[offset + 3]!) >>> 0;

/** Copies a 0x-hex value of known length into `out` at `offset`, right-aligned in a `width`-byte field. */
export function writeHex(out: Uint8Array, offset: number, hex: string, width: number): void {
  const bytes = fromHex(hex);
  out.set(bytes, offset + width - bytes.length);
}
