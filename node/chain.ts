// The chain-facing parts of the node, behind interfaces so validation and the pool run without
// an RPC endpoint. A viem implementation (balance, allowance to the vault, nonce bit, EIP-1271
// isValidSignature, cached per block) plugs in here once the Settlement contract lands.
import type { Hex } from 'viem';
import type { SignedIntent } from '../protocol/intent.ts';

export type ChainCheck =
  | { status: 'ok' }
  | { status: 'invalid'; code: string; reason: string }
  /** The RPC endpoint failed or timed out: validation degrades to off-chain checks. */
  | { status: 'unavailable'; reason: string };

export interface ChainChecker {
  /** `needsSignatureCheck`: the signature is EIP-1271 and only the owner contract can accept it. */
  check(signed: SignedIntent, digest: Hex, needsSignatureCheck: boolean): Promise<ChainCheck>;
}
