// Off-chain cancels: the owner's EIP-712 signature over CancelIntent(intentId). Applying one moves
// the intent to `cancelled` in the pool and keeps the signed cancel (node/db/cancels.ts), so the
// sync responder can hand it to peers that missed the gossip; a cancel signed here is then
// gossiped on /cancels/1/<chainId>. Only Settlement.invalidateNonces makes an intent unfillable on
// chain; this takes it out of the pools and auctions of the nodes that hear of it.
import type { Hex } from 'viem';
import { decodeCancel, encodeCancel, recoverCanceller } from '../../protocol/cancel.ts';
import { describeError } from '../../protocol/result.ts';
import type { CancelRepository } from '../db/cancels.ts';
import { ALREADY_CODE, CANCEL_RULES, judge, type CancelCode, type Verdict } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { NodeMetrics } from '../metrics.ts';
import type { IntentPool } from './pool.ts';
import { isFinal, type PoolRecord } from './record.ts';

export type CancelDeps = {
  pool: IntentPool;
  cancels: CancelRepository;
  /** The EIP-712 domain separator cancels are signed under (the intents' domain). */
  separator: Uint8Array;
  metrics: NodeMetrics;
  log: Logger;
  /** Gossips an encoded cancel. */
  publishCancel: (bytes: Uint8Array) => void;
};

export class IntentCancels {
  private readonly d: CancelDeps;

  constructor(deps: CancelDeps) {
    this.d = deps;
  }

  /** The domain separator a cancel's signature is checked under. */
  get separator(): Uint8Array {
    return this.d.separator;
  }

  /**
   * Cancels an intent whose owner's signature the caller has checked. Keeps the signed cancel and,
   * unless `publish` is false, gossips it (after the durable write).
   */
  async apply(digest: Hex, signature?: Hex, o: { publish?: boolean } = {}): Promise<PoolRecord | undefined> {
    const { pool, metrics, log } = this.d;
    const rec = await pool.update(digest, 'cancelled');
    if (rec && signature) await this.d.cancels.put(digest.toLowerCase() as Hex, signature);
    if (rec && signature && o.publish !== false) this.d.publishCancel(encodeCancel(digest, signature));
    if (rec) {
      metrics.poolStates.inc({ state: 'cancelled' });
      metrics.poolLive.set(pool.size);
      log.info({ event: 'intent_cancelled', id: digest, owner: rec.owner });
    }
    return rec;
  }

  /** The gossip handler of /cancels/1/<chainId>: the owner's cancel of an intent this node holds. */
  async onGossip(data: Uint8Array): Promise<{ verdict: Verdict; code: CancelCode }> {
    const c = decodeCancel(data);
    if (!c.ok) return judge(CANCEL_RULES, c.error.code);
    const id = c.value.intentId.toLowerCase() as Hex;
    const signer = recoverCanceller(id, c.value.signature, this.d.separator);
    if (!signer.ok) {
      this.d.log.debug({ event: 'cancel_refused', id, reason: describeError(signer.error) });
      return judge(CANCEL_RULES, signer.error.code);
    }
    const rec = await this.d.pool.get(id);
    if (!rec) return judge(CANCEL_RULES, 'unknown_intent');
    if (signer.value !== rec.owner) return judge(CANCEL_RULES, 'wrong_signer');
    if (isFinal(rec.state)) return judge(CANCEL_RULES, ALREADY_CODE[rec.state]);
    // gossipsub relays the accepted message itself: store the signed cancel, do not publish again
    await this.apply(id, c.value.signature, { publish: false });
    return judge(CANCEL_RULES, 'cancelled');
  }
}
