// The validation pipeline on a real level pool, inline and with worker-thread recovery: same verdicts.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeSignedIntent } from '../../protocol/codec.ts';
import type { Address } from 'viem';
import { intentDomain } from '../../protocol/eip712.ts';
import { domainSeparator, intentDigestBytes } from '../../protocol/hash.ts';
import { MAX_OPTION_SIZE, type OptionIntent, type SignedIntent } from '../../protocol/intent.ts';
import { malleate, privateKeyToAddress, signDigest } from '../../protocol/signature.ts';
import { silentLogger } from '../log.ts';
import { intentFactory, openPool, tempDir, testKey, TEST_CHAIN_ID, TEST_SETTLEMENT } from '../../test/helpers/node.ts';
import { IntentValidator } from './validator.ts';
import { WorkerVerifier } from '../verify/workers.ts';

const dirs: (() => void)[] = [];
afterAll(() => {
  for (const c of dirs) c();
});

async function validator(workers?: WorkerVerifier): Promise<IntentValidator> {
  return (await validatorAndPool(workers)).validator;
}

async function validatorAndPool(workers?: WorkerVerifier) {
  const dir = tempDir();
  dirs.push(dir.cleanup);
  const { pool } = await openPool(join(dir.path, 'pool'));
  const validator = new IntentValidator({
    chainId: TEST_CHAIN_ID,
    settlement: TEST_SETTLEMENT,
    pool,
    maxOpenPerOwner: 2,
    maxLifetimeSec: 86400,
    maxMessageBytes: 4096,
    log: silentLogger(),
    ...(workers ? { workers } : {}),
  });
  return { validator, pool };
}

describe('validation pipeline', () => {
  it('gives the same verdicts with main-thread and worker-thread recovery', async () => {
    const workers = new WorkerVerifier(2);
    const f = intentFactory(testKey(70));
    const good = f.swap();
    const cases = [
      good,
      good, // duplicate
      { ...good, intent: { ...good.intent, nonce: 777n } }, // tampered: another signer recovers
      { ...good, signature: { scheme: 'eoa' as const, data: malleate(good.signature.data) } },
      f.swap({ validTo: 1 }),
      f.swap(),
      f.swap(), // third open intent of this owner: over quota
    ].map((s) => encodeSignedIntent(s as typeof good));
    const run = async (v: IntentValidator): Promise<string[]> => {
      const out: string[] = [];
      for (const b of cases) {
        const o = await v.ingestBytes(b, 'gossip');
        out.push(`${o.verdict}:${o.code}`);
      }
      return out;
    };
    const inline = await run(await validator());
    const threaded = await run(await validator(workers));
    await workers.close();
    expect(inline).toEqual([
      'accept:accepted',
      'ignore:duplicate',
      'reject:wrong_signer',
      'ignore:duplicate',
      'ignore:expired',
      'accept:accepted',
      'ignore:over_quota',
    ]);
    expect(threaded).toEqual(inline);
  });

  it('accepts option intents off chain and refuses them as any intent: bad signature, replay, expiry, over-limit size', async () => {
    const key = testKey(71);
    const account = privateKeyToAddress(key).toLowerCase() as Address;
    const option = (over: Partial<OptionIntent> = {}, signer = key): SignedIntent => {
      const intent: OptionIntent = {
        account,
        series: 1n,
        size: 10n ** 18n,
        premiumLimit: 100n * 10n ** 18n,
        reduceOnly: false,
        partiallyFillable: false,
        validTo: Math.floor(Date.now() / 1000) + 3600,
        nonce: 1n,
        ...over,
      };
      const unsigned = { type: 'option' as const, intent };
      const digest = intentDigestBytes(unsigned, domainSeparator(intentDomain(TEST_CHAIN_ID, TEST_SETTLEMENT)));
      return { ...unsigned, signature: { scheme: 'eoa', data: signDigest(digest, signer) } };
    };
    const { validator: v, pool } = await validatorAndPool();
    const good = option();
    const verdict = async (s: SignedIntent, source: 'api' | 'gossip' = 'gossip') => {
      const o = await v.ingest(s, encodeSignedIntent(s), source);
      return `${o.verdict}:${o.code}`;
    };
    expect(await verdict(good, 'api')).toBe('accept:accepted');
    expect(await verdict(good)).toBe('ignore:duplicate');
    expect(await verdict(option({ nonce: 2n }, testKey(72)))).toBe('reject:wrong_signer');
    const tampered: SignedIntent = {
      type: 'option',
      intent: { ...(good.intent as OptionIntent), premiumLimit: 1n },
      signature: good.signature,
    };
    expect(await verdict(tampered)).toBe('reject:wrong_signer');
    expect(await verdict(option({ validTo: 1 }))).toBe('ignore:expired');
    const huge = option({ size: MAX_OPTION_SIZE + 1n, nonce: 3n });
    // (the API parses JSON, so its bytes are of another, in-range intent; the field rule decides)
    const hugeOut = await v.ingest(huge, encodeSignedIntent(option({ nonce: 3n })), 'api');
    expect(hugeOut).toMatchObject({ verdict: 'reject', code: 'out_of_range' });
    // a filled intent replayed is refused by digest before any signature work
    const accepted = await v.ingest(option({ nonce: 4n }), encodeSignedIntent(option({ nonce: 4n })), 'api');
    if (accepted.verdict !== 'accept') throw new Error(accepted.reason);
    await pool.update(accepted.digest, 'filled');
    expect(await verdict(option({ nonce: 4n }))).toBe('ignore:replay_filled');
  });
});
