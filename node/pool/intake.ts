// How intents reach the validator outside gossipsub's own queueing: the API's lane and a sync
// responder's lane of the fair queue. Each lane takes its turn like any peer's gossip, so a burst
// of API submissions or a long sync stream never crowds out other peers. An intent is published
// (gossiped) only once the pool's fsync'd write of it has completed.
import { encodeSignedIntent } from '../../protocol/codec.ts';
import type { SignedIntent } from '../../protocol/intent.ts';
import type { FairQueue } from './fair-queue.ts';
import { refuseIntent, type IntentOutcome, type IntentValidator } from './validator.ts';

export type IntakeDeps = {
  queue: FairQueue;
  validator: IntentValidator;
  /** Gossips the canonical bytes of an intent accepted over the API. */
  publishIntent: (bytes: Uint8Array) => void;
};

export class IntentIntake {
  private readonly d: IntakeDeps;

  constructor(deps: IntakeDeps) {
    this.d = deps;
  }

  /**
   * An intent submitted over the API: validated in the 'api' lane, stored durably, then published.
   * Resolves with the outcome once stored (or refused); `busy` when the lane is full.
   */
  submit(signed: SignedIntent): Promise<IntentOutcome> {
    return new Promise((resolve, reject) => {
      let bytes: Uint8Array;
      try {
        bytes = encodeSignedIntent(signed);
      } catch (err) {
        // The JSON form parsed, but the codec refuses it: the intent is malformed, not the node busy.
        resolve(refuseIntent('malformed', `cannot be encoded: ${(err as Error).message}`));
        return;
      }
      const queued = this.d.queue.push('api', async () => {
        try {
          const out = await this.d.validator.ingest(signed, bytes, 'api');
          if (out.verdict === 'accept') this.d.publishIntent(bytes);
          resolve(out);
        } catch (err) {
          reject(err);
        }
      });
      if (!queued) resolve(refuseIntent('busy', 'validation queue is full; retry shortly'));
    });
  }

  /**
   * Intent bytes that `peer` sent outside gossip (a sync stream), validated in that peer's lane.
   * Waits while the lane is full; undefined when it stays full until `deadline` (ms).
   */
  async fromPeer(peer: string, bytes: Uint8Array, deadline: number): Promise<IntentOutcome | undefined> {
    for (;;) {
      const out = await new Promise<IntentOutcome | undefined>((resolve, reject) => {
        const queued = this.d.queue.push(peer, async () => {
          try {
            resolve(await this.d.validator.ingestBytes(bytes, 'gossip'));
          } catch (err) {
            reject(err);
          }
        });
        if (!queued) resolve(undefined);
      });
      if (out !== undefined) return out;
      if (Date.now() >= deadline) return undefined;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
