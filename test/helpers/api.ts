// Tests' shorthands over protocol/client.ts (NodeApi): a submission's answer as an HTTP status and
// the node's error code, and the NodeApiError a call is expected to reject with.
import type { Hex } from 'viem';
import type { IntentState } from '../../protocol/api.ts';
import { type NodeApi, NodeApiError } from '../../protocol/client.ts';
import type { SignedIntent } from '../../protocol/intent.ts';
import { signedIntentToJson } from '../../protocol/json.ts';

/** What the node answered: 201 stored, 200 a duplicate (with the id and state), or the refusal's status and code. */
export type SubmitOutcome = { status: number; id?: Hex; state?: IntentState; code?: string };

/** POST /v1/intents through the client; a refusal (NodeApiError) is an outcome, anything else (unreachable) throws. */
export async function submitOutcome(api: NodeApi, s: SignedIntent): Promise<SubmitOutcome> {
  try {
    const r = await api.submitIntent(signedIntentToJson(s));
    return { status: r.duplicate ? 200 : 201, id: r.id, state: r.state };
  } catch (e) {
    if (e instanceof NodeApiError) return { status: e.status, code: e.code };
    throw e;
  }
}

/** The NodeApiError `call` rejects with; throws when it resolves or fails otherwise. */
export function refusal(call: Promise<unknown>): Promise<NodeApiError> {
  return call.then(
    () => {
      throw new Error('expected the node to refuse, it answered 2xx');
    },
    (e: unknown) => {
      if (e instanceof NodeApiError) return e;
      throw e;
    },
  );
}
