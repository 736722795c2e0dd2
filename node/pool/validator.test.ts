// The validation pipeline on a real level pool, inline and with worker-thread recovery: same verdicts.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeSignedIntent } from '../../protocol/codec.ts';
import type { Address } from 'viem';
import { intentDomain } from '../../protocol/eip712.ts';
import { domainSeparator, intentDigestBytes } from '../../protocol/hash.ts';
import type { OptionIntent, SignedIntent } from '../../protocol/intent.ts';
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
  const dir = tempDir();
  dirs.push(dir.cleanup);
  const { pool } = await openPool(join(dir.path, 'pool'));
  return new IntentValidator({
    chainId: TEST_CHAIN_ID,
    settlement: TEST_SETTLEMENT,
    pool,
    maxOpenPerOwner: 2,
    maxLifetimeSec: 86400,
    maxMessageBytes: 4096,
    log: silentLogger(),
    ...(workers ? { workers } : {}),
  });
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

  it('refuses option intents (not accepted yet) without penalising the relay', async () => {
    const key = testKey(71);
    const account = privateKeyToAddress(key).toLowerCase() as Address;
    const intent: OptionIntent = {
      account,
      series: 1n,
      size: 10n ** 18n,
      premiumLimit: 100n * 10n ** 18n,
      reduceOnly: false,
      partiallyFillable: false,
      validTo: Math.floor(Date.now() / 1000) + 3600,
      nonce: 1n,
    };
    const unsigned = { type: 'option' as const, intent };
    const digest = intentDigestBytes(unsigned, domainSeparator(intentDomain(TEST_CHAIN_ID, TEST_SETTLEMENT)));
    const signed: SignedIntent = { ...unsigned, signature: { scheme: 'eoa', data: signDigest(digest, key) } };
    const v = await validator();
    for (const source of ['gossip', 'api'] as const) {
      const out = await v.ingestBytes(encodeSignedIntent(signed), source);
      expect(out).toMatchObject({ verdict: 'ignore', code: 'option_not_accepted' });
      if (out.verdict !== 'accept') expect(out.reason).toMatch(/option intents are not accepted yet/);
      const parsed = await v.ingest(signed, encodeSignedIntent(signed), source);
      expect(parsed).toMatchObject({ verdict: 'ignore', code: 'option_not_accepted' });
    }
  });
});
