// The dashboard's page and JSON endpoints on a real node without a chain (no --rpc-url): the
// static files are served, the lists work from the pool and the auction clock alone, and the
// chain-backed parts say why they are unavailable instead of failing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiErrorBody, AuctionsResponse, AuctionSummary, DashboardSummary, OpenIntentsResponse } from '../../protocol/api.ts';
import { signedIntentToJson } from '../../protocol/json.ts';
import { silentLogger } from '../../node/log.ts';
import { IntentNode } from '../../node/node.ts';
import { intentFactory, tempDir, testConfig, testKey, waitFor } from '../helpers/node.ts';

const dir = tempDir('dashboard-api-');
let node: IntentNode;

beforeAll(async () => {
  // the node runs its auction clock, every 500 ms
  node = new IntentNode(testConfig(dir.path, { auctionIntervalMs: 500 }), { log: silentLogger() });
  await node.start();
});
afterAll(async () => {
  await node.stop();
  dir.cleanup();
});

const get = (path: string): Promise<Response> => fetch(`${node.apiUrl}${path}`);

describe('dashboard endpoints', () => {
  it('serves the page at / and /dashboard, its script and style, and nothing else from its folder', async () => {
    for (const path of ['/', '/dashboard', '/dashboard/']) {
      const res = await get(path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(await res.text()).toContain('<script src="/dashboard/app.js">');
    }
    expect((await get('/dashboard/app.js')).headers.get('content-type')).toContain('javascript');
    expect((await get('/dashboard/style.css')).headers.get('content-type')).toContain('text/css');
    expect(await (await get('/theme.css')).text()).toContain('--accent');
    expect((await get('/dashboard/index.html')).status).toBe(404);
    expect((await get('/dashboard/../api.ts')).status).toBe(404);
    expect((await get('/dashboard/%2e%2e/api.ts')).status).toBe(404);
  });

  it('lists open intents newest first, and the summary carries them with the node and auction state', async () => {
    const f = intentFactory(testKey(41));
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const s = f.swap({ sellAmount: BigInt(i + 1) * 10n ** 18n });
      const res = await fetch(`${node.apiUrl}/v1/intents`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(signedIntentToJson(s)),
      });
      expect(res.status).toBe(201);
      ids.push(f.digestOf(s));
      // the list is newest first by receivedAt (ms): the next intent must be received a ms later
      const rec = await node.pool.get(f.digestOf(s));
      await waitFor(() => Date.now() > rec!.receivedAt);
    }
    const list = (await (await get('/v1/intents?limit=2')).json()) as OpenIntentsResponse;
    expect(list.total).toBe(3);
    expect(list.intents.map((i) => i.id)).toEqual([ids[2], ids[1]]);
    expect(list.intents[0]).toMatchObject({ owner: f.owner, sellAmount: (3n * 10n ** 18n).toString(), kind: 'sell' });

    const summary = (await (await get('/v1/dashboard/summary')).json()) as DashboardSummary;
    expect(summary.node).toMatchObject({ peerId: node.peerId, chainId: node.config.chainId, rpc: false, poolLive: 3 });
    expect(summary.openIntents.total).toBe(3);
    expect(summary.trades).toEqual([]);
    expect(summary.leaderboard).toEqual([]);
    expect(summary.margin).toMatchObject({ available: false, accounts: [] });
    if (summary.margin.available) throw new Error('margin reported available without --rpc-url');
    expect(summary.margin.reason).toContain('--rpc-url');
  });

  it('auctions with intents show up once ranked (no solutions: no winner, zero surplus)', async () => {
    // Every auction closing after the last of the three intents was received holds all three (an
    // earlier one may hold one or two). Wait for the first such auction to be ranked: on a loaded
    // machine the clock's timers can run late, so the wait is for that event, not for a duration.
    const lastReceived = Math.max(...node.pool.liveRecords().map((r) => r.receivedAt));
    expect(node.pool.size).toBe(3);
    let after: AuctionSummary[] = [];
    await waitFor(async () => {
      const { auctions } = (await (await get('/v1/auctions')).json()) as AuctionsResponse;
      after = auctions.filter((a) => Date.parse(a.closedAt) > lastReceived);
      return after.length > 0;
    }, 50_000);
    expect(after.at(-1)).toMatchObject({
      intents: 3,
      winner: null,
      surplus: '0',
      solutions: [],
      settlement: null,
    });
    expect(after.every((a) => a.intents === 3)).toBe(true);
  });

  it('chain-backed endpoints explain that the node has no RPC', async () => {
    expect(await (await get('/v1/accounts')).json()).toMatchObject({ available: false, accounts: [] });
    const res = await get('/v1/accounts/0x70997970c51812dc3a010c7d01b50e0d17dc79c8/margin');
    expect(res.status).toBe(503);
    expect(((await res.json()) as ApiErrorBody).error.code).toBe('chain_unavailable');
    expect(await (await get('/v1/leaderboard')).json()).toEqual({ solvers: [] });
    expect(await (await get('/v1/trades')).json()).toEqual({ trades: [] });
  });
});
