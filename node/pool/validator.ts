// The validation pipeline for one signed intent, from the API or from gossip:
//   size -> decode (strict codec) -> duplicate / replay (by digest, before any signature work)
//   -> field rules + expiry -> backpressure (node/pool/backlog.ts: the API refuses what would expire
//   in the backlog, everyone what finds the pool at its hard cap) -> per-owner quota
//   -> signature under this chain's domain -> optional chain check
//   -> per-owner quota again + durable write (pool.add resolves after fsync). The hard cap can be
//   overshot by the adds in flight (at most the validation concurrency).
// Each refusal is a code; its verdict (and HTTP status) comes from node/errors.ts.
import type { Address, Hex } from 'viem';
import { decodeSignedIntent } from '../../protocol/codec.ts';
import { intentDomain } from '../../protocol/eip712.ts';
import { domainSeparator } from '../../protocol/hash.ts';
import { hexId, intentDigestFromBytes } from '../verify/fast-hash.ts';
import type { SignedIntent } from '../../protocol/intent.ts';
import { describeError } from '../../protocol/result.ts';
import { nobleRecoverer, recoverSigner, type Recoverer } from '../../protocol/signature.ts';
import { fromHex } from '../../protocol/bytes.ts';
import { checkIntentFields, intentOwner } from '../../protocol/verify.ts';
import type { ChainChecker } from '../chain/checker.ts';
import type { WorkerVerifier } from '../verify/workers.ts';
import { INTENT_RULES, REPLAY_CODE, type IntentRefusalCode } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { NodeMetrics } from '../metrics.ts';
import type { BacklogGate } from './backlog.ts';
import type { IntentPool } from './pool.ts';
import { isFinal, type PoolRecord } from './record.ts';

export type IntentOutcome =
  | { verdict: 'accept'; code: 'accepted'; digest: Hex; record: PoolRecord }
  | {
      verdict: 'ignore' | 'reject';
      code: IntentRefusalCode;
      reason: string;
      digest?: Hex;
      record?: PoolRecord;
      /** When to submit again (backlog refusals; the API's Retry-After). */
      retryAfterSec?: number;
    };

/** A refusal, its verdict from the table. */
export function refuseIntent(
  code: IntentRefusalCode,
  reason: string,
  about: { digest?: Hex; record?: PoolRecord; retryAfterSec?: number } = {},
): IntentOutcome {
  return { verdict: INTENT_RULES[code].verdict, code, reason, ...about };
}

export type ValidatorOptions = {
  chainId: number;
  settlement: Address;
  pool: IntentPool;
  maxOpenPerOwner: number;
  maxLifetimeSec: number;
  maxMessageBytes: number;
  recoverer?: Recoverer;
  chain?: ChainChecker;
  /** Backpressure: the API refuses what would expire in the backlog, gossip what finds the pool full. */
  backlog?: BacklogGate;
  /** Verify signatures on worker threads (decode + digest stay on the main thread for the duplicate check). */
  workers?: WorkerVerifier;
  metrics?: NodeMetrics;
  log: Logger;
  /** Clock in unix seconds (tests move it). */
  now?: () => number;
};

export class IntentValidator {
  readonly separator: Uint8Array;
  private readonly o: ValidatorOptions;
  private readonly recoverer: Recoverer;
  private readonly now: () => number;

  constructor(o: ValidatorOptions) {
    this.o = o;
    this.separator = domainSeparator(intentDomain(o.chainId, o.settlement));
    this.recoverer = o.recoverer ?? nobleRecoverer;
    this.now = o.now ?? (() => Math.floor(Date.now() / 1000));
  }

  async ingestBytes(bytes: Uint8Array, source: 'api' | 'gossip'): Promise<IntentOutcome> {
    const out = await this.run(bytes, undefined, source);
    this.o.metrics?.intents.inc({ source, verdict: out.verdict, code: out.code });
    return out;
  }

  async ingest(signed: SignedIntent, bytes: Uint8Array, source: 'api' | 'gossip'): Promise<IntentOutcome> {
    const out = await this.run(bytes, signed, source);
    this.o.metrics?.intents.inc({ source, verdict: out.verdict, code: out.code });
    return out;
  }

  private async run(bytes: Uint8Array, parsed: SignedIntent | undefined, source: 'api' | 'gossip'): Promise<IntentOutcome> {
    const started = performance.now();
    try {
      if (bytes.length > this.o.maxMessageBytes) {
        return refuseIntent('oversized', `${bytes.length} bytes is above the ${this.o.maxMessageBytes}-byte limit`);
      }
      let signed = parsed;
      if (!signed) {
        const d = decodeSignedIntent(bytes);
        if (!d.ok) return refuseIntent(d.error.code, describeError(d.error));
        signed = d.value;
      }
      // The digest is computed once and reused for the duplicate check and the signature
      // (protocol's verifySignedIntent would hash again: the same steps, inlined).
      // From the canonical bytes (valid: decoded above, or encoded from the parsed API form).
      const digestBytes = intentDigestFromBytes(bytes, this.separator);
      const digest = hexId(digestBytes);
      // Synchronous answer for never-seen digests (the common case): no disk read, no await.
      const known = this.o.pool.has(digest) ? await this.o.pool.get(digest) : undefined;
      if (known) {
        if (isFinal(known.state)) {
          return refuseIntent(REPLAY_CODE[known.state], `intent ${digest} is already ${known.state}`, { digest, record: known });
        }
        return refuseIntent('duplicate', `intent ${digest} is already in the pool`, { digest, record: known });
      }
      const now = this.now();
      const fields = checkIntentFields(signed, { now, maxValiditySeconds: this.o.maxLifetimeSec });
      if (!fields.ok) {
        // `expired` is an ignore: an honest relay can lose the race (clock skew, a slow hop).
        return refuseIntent(fields.error.code, describeError(fields.error), { digest });
      }
      // Before any signature work: a full pool turns a flood into lookups.
      const gate = this.o.backlog;
      const full = gate && (source === 'api' ? gate.admitApi(signed.intent.validTo, now) : gate.admitGossip());
      if (full) {
        this.o.metrics?.backlogRefusals.inc({ source, reason: full.code });
        return refuseIntent(full.code, full.reason, { digest, retryAfterSec: full.retryAfterSec });
      }
      const ownerAddr = intentOwner(signed).toLowerCase() as Address;
      // An owner at its quota gets nothing stored whatever the signature says: answer before the
      // signature work, so a stream of such intents (gossip or sync) costs a lookup, not a recovery.
      // pool.add checks again under its lock.
      if (this.o.pool.openCount(ownerAddr) >= this.o.maxOpenPerOwner) {
        return refuseIntent(
          'over_quota',
          `owner ${ownerAddr} already has ${this.o.pool.openCount(ownerAddr)} open intents (limit ${this.o.maxOpenPerOwner})`,
          { digest },
        );
      }
      const needsChainCheck = signed.signature.scheme === 'eip1271';
      if (!needsChainCheck) {
        const sig = fromHex(signed.signature.data);
        const signer = this.o.workers ? await this.o.workers.recover(digestBytes, sig) : recoverSigner(digestBytes, sig, this.recoverer);
        if (!signer.ok) return refuseIntent(signer.error.code, describeError(signer.error), { digest });
        if (signer.value !== ownerAddr) {
          return refuseIntent('wrong_signer', `signed by ${signer.value}, not the owner ${ownerAddr}, under this chain's domain`, {
            digest,
          });
        }
      }
      const owner = ownerAddr;
      if (this.o.chain) {
        const c = await this.o.chain.check(signed, digest, needsChainCheck);
        if (c.status === 'invalid') return refuseIntent(c.code, c.reason, { digest });
        if (c.status === 'unavailable' && needsChainCheck) {
          // An EIP-1271 signature is unverifiable without the chain: do not store or relay it.
          return refuseIntent(
            'chain_unavailable',
            'contract-wallet signature needs an on-chain check and the RPC endpoint is unavailable',
            { digest },
          );
        }
      } else if (needsChainCheck) {
        return refuseIntent('chain_unavailable', 'contract-wallet (EIP-1271) signatures need an RPC endpoint, and this node has none', {
          digest,
        });
      }
      const added = await this.o.pool.add(
        {
          digest,
          owner,
          type: signed.type,
          validTo: signed.intent.validTo,
          bytes: hexId(bytes),
          source,
          receivedAt: Date.now(),
          needsChainCheck,
        },
        this.o.maxOpenPerOwner,
      );
      if (added.status === 'over_quota') {
        return refuseIntent('over_quota', `owner ${owner} already has ${added.open} open intents (limit ${this.o.maxOpenPerOwner})`, {
          digest,
        });
      }
      if (added.status === 'duplicate') {
        return refuseIntent('duplicate', `intent ${digest} is already in the pool`, { digest, record: added.record });
      }
      this.o.metrics?.poolLive.set(this.o.pool.size);
      return { verdict: 'accept', code: 'accepted', digest, record: added.record };
    } finally {
      this.o.metrics?.validationSeconds.observe((performance.now() - started) / 1000);
    }
  }
}
