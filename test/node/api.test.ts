// The HTTP API against a real node (real libp2p host, real level pool), bad input included.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiErrorBody } from '../../protocol/api.ts';
import { NodeApi, NodeApiError } from '../../protocol/client.ts';
import { intentDomain } from '../../protocol/eip712.ts';
import { domainSeparator } from '../../protocol/hash.ts';
import { signedIntentToJson } from '../../protocol/json.ts';
import { malleate } from '../../protocol/signature.ts';
import { signCancel } from '../../protocol/cancel.ts';
import { silentLogger } from '../../node/log.ts';
import { IntentNode } from '../../node/node.ts';
import { intentFactory, tempDir, testConfig, testKey, TEST_CHAIN_ID, TEST_SETTLEMENT } from '../helpers/node.ts';
import type { SignedIntent } from '../../protocol/intent.ts';

const dir = tempDir();
let node: IntentNode;
let api: NodeApi;
const sep = domainSeparator(intentDomain(TEST_CHAIN_ID, TEST_SETTLEMENT));

beforeAll(async () => {
  node = new IntentNode(testConfig(dir.path, { maxOpenPerOwner: 3 }), { log: silentLogger() });
  await node.start();
  api = new NodeApi(node.apiUrl);
});
afterAll(async () => {
  await node.stop();
  dir.cleanup();
});

// raw requests: what a client would not send (malformed JSON and fields, a wrong media type, an oversized body)
const post = (path: string, body: unknown, raw = false): Promise<Response> =>
  fetch(`${node.apiUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: raw ? (body as string) : JSON.stringify(body),
  });
const submit = (s: SignedIntent) => api.submitIntent(signedIntentToJson(s));
async function expectError(res: Response, status: number, code: string): Promise<void> {
  const body = (await res.json()) as ApiErrorBody;
  expect({ status: res.status, code: body.error.code }).toEqual({ status, code });
  expect(body.error.message.length).toBeGreaterThan(5);
}
/** The NodeApiError a client call rejects with: its status and code, and a message. */
async function expectRejected(call: Promise<unknown>, status: number, code: string): Promise<void> {
  const e = await call.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(NodeApiError);
  const err = e as NodeApiError;
  expect({ status: err.status, code: err.code }).toEqual({ status, code });
  expect(err.message.length).toBeGreaterThan(`${status} ${code}: `.length + 5);
}

describe('HTTP API', () => {
  it('accepts a signed intent, reports its status, and lists it under its owner', async () => {
    const f = intentFactory(testKey(10));
    const s = f.swap();
    const res = await submit(s);
    expect(res).toEqual({ id: f.digestOf(s), state: 'open' });
    const { id } = res;
    const st = await api.intent(id);
    expect(st.state).toBe('open');
    expect(st.signedIntent).toEqual(signedIntentToJson(s));
    expect(st.settlement).toBeNull();
    const list = await api.ownerIntents(f.owner);
    expect(list.intents.map((i) => i.id)).toEqual([id]);
    expect(await submit(s)).toEqual({ id, state: 'open', duplicate: true });
  });

  it('refuses malformed JSON, malformed fields, wrong media type and oversized bodies', async () => {
    await expectError(await post('/v1/intents', '{"type":', true), 400, 'malformed_json');
    const s = signedIntentToJson(intentFactory(testKey(11)).swap());
    await expectError(await post('/v1/intents', { ...s, intent: { ...s.intent, sellAmount: 5 } }), 400, 'malformed');
    await expectError(await post('/v1/intents', { ...s, extra: 1, type: 'limit' }), 400, 'malformed');
    const res = await fetch(`${node.apiUrl}/v1/intents`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' });
    await expectError(res, 415, 'unsupported_media_type');
    await expectError(await post('/v1/intents', 'x'.repeat(70_000), true), 413, 'body_too_large');
    // an unknown path and a wrong method
    await expectError(await fetch(`${node.apiUrl}/v1/nothing`), 404, 'not_found');
    await expectError(await fetch(`${node.apiUrl}/v1/intents`, { method: 'DELETE' }), 405, 'method_not_allowed');
  });

  it('refuses bad, foreign-chain, malleated and tampered signatures, and expired intents', async () => {
    const f = intentFactory(testKey(12));
    const s = f.swap();
    const tampered = { ...s, intent: { ...s.intent, buyAmount: 1n } } as SignedIntent;
    await expectRejected(submit(tampered), 400, 'wrong_signer');
    const foreign = intentFactory(testKey(12), 1, TEST_SETTLEMENT).swap();
    await expectRejected(submit(foreign), 400, 'wrong_signer');
    const otherContract = intentFactory(testKey(12), TEST_CHAIN_ID, '0x000000000000000000000000000000000000dead').swap();
    await expectRejected(submit(otherContract), 400, 'wrong_signer');
    const high = { ...s, signature: { scheme: 'eoa' as const, data: malleate(s.signature.data) } };
    await expectRejected(submit(high), 400, 'high_s');
    const byOther = { ...s, signature: intentFactory(testKey(13)).swap({ ...s.intent }).signature };
    await expectRejected(submit(byOther), 400, 'wrong_signer');
    await expectRejected(submit(f.swap({ validTo: Math.floor(Date.now() / 1000) - 10 })), 400, 'expired');
    await expectRejected(submit(f.swap({ validTo: 4_000_000_000 })), 400, 'out_of_range');
    const noSig = { ...s, signature: { scheme: 'eoa' as const, data: `0x${'00'.repeat(65)}` as const } };
    await expectRejected(submit(noSig), 400, 'bad_signature');
  });

  it('enforces the per-owner quota of open intents', async () => {
    const f = intentFactory(testKey(14));
    for (let k = 0; k < 3; k++) expect((await submit(f.swap())).state).toBe('open');
    await expectRejected(submit(f.swap()), 429, 'over_quota');
  });

  it('cancels only with the owner signature, then refuses the replay', async () => {
    const f = intentFactory(testKey(15));
    const s = f.swap();
    const id = f.digestOf(s);
    expect((await submit(s)).state).toBe('open');
    await expectRejected(api.cancelIntent(id, signCancel(id, sep, testKey(16))), 403, 'wrong_signer');
    await expectRejected(api.cancelIntent(id, '0x12'), 400, 'malformed');
    expect(await api.cancelIntent(id, signCancel(id, sep, testKey(15)))).toEqual({ id, state: 'cancelled' });
    await expectRejected(submit(s), 409, 'replay_cancelled');
    await expectRejected(api.cancelIntent(id, signCancel(id, sep, testKey(15))), 409, 'already_cancelled');
    expect((await api.ownerIntents(f.owner)).intents).toEqual([]);
    await expectRejected(api.intent(`0x${'ab'.repeat(32)}`), 404, 'not_found');
  });

  it('serves health, Prometheus metrics (node and libp2p) and the OpenAPI document', async () => {
    expect(await api.health()).toMatchObject({ status: 'ok', peerId: node.peerId });
    const m = await api.metrics();
    expect(m).toMatch(/node_intents_total\{source="api",verdict="accept",code="accepted"\} \d+/);
    expect(m).toMatch(/node_intents_total\{source="api",verdict="reject",code="wrong_signer"\}/);
    expect(m).toMatch(/libp2p_/);
    // backpressure (node/pool/backlog.ts): the backlog, the capacity estimate and the wait, always exported
    expect(m).toMatch(/^node_backlog_open_intents \d+$/m);
    expect(m).toMatch(/^node_settle_capacity_per_second 50$/m);
    expect(m).toMatch(/^node_backlog_wait_seconds [\d.e-]+$/m);
    // the OpenAPI document is no JSON route of the client: read raw
    const doc = (await (await fetch(`${node.apiUrl}/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/health',
        '/metrics',
        '/openapi.json',
        '/v1/auction',
        '/v1/auctions/{id}',
        '/v1/solvers/{address}',
        '/v1/intents',
        '/v1/intents/{id}',
        '/v1/intents/{id}/cancel',
        '/v1/owners/{owner}/intents',
        '/v1/solutions',
        '/v1/peers',
        '/v1/backlog',
        '/v1/quote',
        // the dashboard (node/api/dashboard.ts)
        '/',
        '/dashboard',
        '/v1/dashboard/summary',
        '/v1/auctions',
        '/v1/trades',
        '/v1/vault',
        '/v1/leaderboard',
        '/v1/accounts',
        '/v1/accounts/{address}/margin',
        // the trade page (node/api/trade.ts)
        '/trade',
        '/v1/markets',
        // the circuit breaker and the options (node/api/circuit-breaker.ts, options.ts)
        '/v1/circuit-breaker',
        '/v1/volatility',
        '/v1/options/series',
      ].sort(),
    );
  });
});
