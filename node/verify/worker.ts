// Worker thread body for WorkerVerifier: secp256k1 recovery (native libsecp256k1 when it loads)
// for batches of (digest, 65-byte signature) pairs. The main thread keeps decode, the digest
// (it needs it anyway for the message id and the duplicate check) and the owner comparison.
import { parentPort } from 'node:worker_threads';
import { nativeRecoverer } from '../../protocol/recover-native.ts';
import { fastRecoverer } from './fast-hash.ts';
import { nobleRecoverer, recoverSigner } from '../../protocol/signature.ts';

/** Flat batch: n × (32-byte digest ‖ 65-byte signature). */
export type RecoverBatch = { ids: number[]; data: Uint8Array };
export type RecoverReply = {
  ids: number[];
  results: ({ ok: true; value: `0x${string}` } | { ok: false; error: { code: string; field: string; reason: string } })[];
};

const recoverer = fastRecoverer() ?? nativeRecoverer() ?? nobleRecoverer;

parentPort!.on('message', (batch: RecoverBatch) => {
  const results: RecoverReply['results'] = [];
  for (let k = 0; k < batch.ids.length; k++) {
    const at = k * 97;
    results.push(
      recoverSigner(batch.data.subarray(at, at + 32), batch.data.subarray(at + 32, at + 97), recoverer) as RecoverReply['results'][number],
    );
  }
  parentPort!.postMessage({ ids: batch.ids, results } satisfies RecoverReply);
});
