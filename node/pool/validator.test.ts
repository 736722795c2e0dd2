// The validation pipeline on a real level pool, inline and with worker-thread recovery: same verdicts.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeSignedIntent } from '../../protocol/codec.ts';
import { malleate } from '../../protocol/signature.ts';
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
});
