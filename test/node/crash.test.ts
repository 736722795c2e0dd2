// Durability: SIGKILL a node process while intents stream in over HTTP, restart it on the same
// data directory, and prove every intent that was acknowledged (HTTP 201) is in the pool.
import type { Hex } from 'viem';
import { afterAll, describe, expect, it } from 'vitest';
import { NodeApi, NodeApiError } from '../../protocol/client.ts';
import { signedIntentToJson } from '../../protocol/json.ts';
import { intentFactory, tempDir, testKey, TEST_CHAIN_ID, TEST_SETTLEMENT } from '../helpers/node.ts';
import { spawnNode, waitExit } from './spawn.ts';

const dir = tempDir('node-crash-');
afterAll(() => dir.cleanup());

const args = [
  '--chain-id',
  String(TEST_CHAIN_ID),
  '--settlement',
  TEST_SETTLEMENT,
  '--data-dir',
  dir.path,
  '--api-port',
  '0',
  '--listen',
  '/ip4/127.0.0.1/tcp/0',
  '--max-open-per-owner',
  '100000',
  '--log-level',
  'warn',
];

describe('crash safety', () => {
  it('keeps every acknowledged intent across kill -9 mid-stream', async () => {
    const factories = [1, 2, 3, 4].map((i) => intentFactory(testKey(i)));
    const bodies = Array.from({ length: 1600 }, (_, k) => {
      const s = factories[k % factories.length]!.swap();
      return { id: factories[0]!.digestOf(s), json: signedIntentToJson(s) };
    });
    const first = await spawnNode(args);
    const firstApi = new NodeApi(first.api);
    const acked: string[] = [];
    let next = 0;
    let killed = false;
    const worker = async (): Promise<void> => {
      while (!killed && next < bodies.length) {
        const b = bodies[next++]!;
        // stored (201; a 200 `duplicate` is not an acknowledgement of this request), refused
        // (a NodeApiError), or the connection torn down by the kill: only the first is acknowledged
        const res = await firstApi.submitIntent(b.json).catch(() => undefined);
        if (res && !res.duplicate) {
          expect(res.id).toBe(b.id);
          acked.push(b.id);
        }
      }
    };
    const workers = Array.from({ length: 24 }, worker);
    // Kill once a few hundred are acknowledged, while requests are still in flight.
    while (acked.length < 400) await new Promise((r) => setTimeout(r, 5));
    first.child.kill('SIGKILL');
    killed = true;
    await Promise.all(workers);
    await waitExit(first.child);
    expect(next).toBeLessThan(bodies.length); // the stream really was cut mid-way

    const second = await spawnNode(args);
    const secondApi = new NodeApi(second.api);
    try {
      const missing: string[] = [];
      for (let k = 0; k < acked.length; k += 50) {
        const batch = acked.slice(k, k + 50);
        const states = await Promise.all(
          batch.map((id) =>
            secondApi.intent(id as Hex).then(
              (st): string => st.state,
              (e: unknown) => (e instanceof NodeApiError ? `http_${e.status}` : String(e)),
            ),
          ),
        );
        states.forEach((s, j) => {
          if (s !== 'open') missing.push(`${batch[j]}: ${s}`);
        });
      }
      expect(missing).toEqual([]);
      const health = await secondApi.health();
      expect(health.poolLive).toBeGreaterThanOrEqual(acked.length);
    } finally {
      second.child.kill('SIGTERM');
      await waitExit(second.child);
    }
  });
});
