import type { Address, Hex } from 'viem';
import { signDigest } from '../../protocol/signature.ts';
import { encodeSignedSolution, encodeSolutionBody, solutionDigest, solutionHash, type Solution } from '../../protocol/solution.ts';

/** The solution signed by the solver's key with the protocol codec: the bytes nodes rank, and their hash. */
export function signSolution(solution: Solution, privateKey: Hex, chainId: number, settlement: Address): { bytes: Uint8Array; hash: Hex } {
  const body = encodeSolutionBody(solution);
  const signature = signDigest(solutionDigest(body, chainId, settlement), privateKey);
  const bytes = encodeSignedSolution({ ...solution, signature });
  return { bytes, hash: solutionHash(bytes) };
}
