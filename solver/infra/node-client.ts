// What the solver adds to the node's typed client (protocol/client.ts, NodeApi): posting a solution
// is "accepted or not", never an exception for a refusal, because a refused solution falls back to
// gossip (solver-process.ts publish). Every other call goes through NodeApi directly.
import type { NodeApi } from '../../protocol/client.ts';
import { NodeApiError } from '../../protocol/client.ts';
import { toHex } from '../../protocol/bytes.ts';

export type PostSolutionResult = { accepted: true } | { accepted: false; status: number; code: string; message: string };

/** POST /v1/solutions with the signed solution bytes; throws only when the node cannot be reached. */
export async function postSolution(node: NodeApi, bytes: Uint8Array): Promise<PostSolutionResult> {
  try {
    await node.submitSolution(toHex(bytes));
    return { accepted: true };
  } catch (e) {
    if (e instanceof NodeApiError) return { accepted: false, status: e.status, code: e.code, message: e.message };
    throw e;
  }
}
