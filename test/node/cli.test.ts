// The CLI as an operator runs it: two node processes, B bootstrapping from A's printed address,
// an intent submitted at A shows up at B; a restart keeps the peer id (key file).
import { afterAll, describe, expect, it } from 'vitest';
import { signedIntentToJson } from '../../protocol/json.ts';
import { intentFactory, tempDir, testKey, TEST_CHAIN_ID, TEST_SETTLEMENT } from '../helpers/node.ts';
import { spawnNode, waitExit, type Spawned } from './spawn.ts';

const dirs = [tempDir('cli-a-'), tempDir('cli-b-')];
const procs: Spawned[] = [];
afterAll(async () => {
  for (const p of procs) {
    p.child.kill('SIGTERM');
    await waitExit(p.child);
  }
  dirs.forEach((d) => d.cleanup());
});

const base = (dir: string): string[] => ['--chain-id', String(TEST_CHAIN_ID), '--settlement', TEST_SETTLEMENT, '--data-dir', dir, '--api-port', '0', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-ip-colocation', '--log-level', 'warn'];

describe('cli', () => {
  it('two nodes find each other from the printed address; intents flow; the peer id survives a restart', async () => {
    const a = await spawnNode(base(dirs[0]!.path));
    procs.push(a);
    expect(a.peerId).toMatch(/^12D3KooW/);
    expect(a.listen[0]).toContain(`/p2p/${a.peerId}`);
    const b = await spawnNode([...base(dirs[1]!.path), '--bootstrap', a.listen[0]!]);
    procs.push(b);
    // Wait until they are connected (health shows a peer), then submit at A.
    for (let k = 0; k < 100; k++) {
      const h = (await (await fetch(`${b.api}/health`)).json()) as { peers: number };
      if (h.peers > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const f = intentFactory(testKey(90));
    const s = f.swap();
    const res = await fetch(`${a.api}/v1/intents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(signedIntentToJson(s)) });
    expect(res.status).toBe(201);
    const id = f.digestOf(s);
    let state = '';
    for (let k = 0; k < 200 && state !== 'open'; k++) {
      const r = await fetch(`${b.api}/v1/intents/${id}`);
      state = r.status === 200 ? ((await r.json()) as { state: string }).state : '';
      if (state !== 'open') await new Promise((r2) => setTimeout(r2, 50));
    }
    expect(state).toBe('open');
    // Restart A: same peer id from the key file, intent still there.
    a.child.kill('SIGTERM');
    await waitExit(a.child);
    procs.shift();
    const a2 = await spawnNode(base(dirs[0]!.path));
    procs.push(a2);
    expect(a2.peerId).toBe(a.peerId);
    expect((await fetch(`${a2.api}/v1/intents/${id}`)).status).toBe(200);
  });
});
