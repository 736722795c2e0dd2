// protocol/client.ts (NodeApi) against a real node (real libp2p host, real level pool): the typed
// answers of the intent routes, and every non-2xx answer as a NodeApiError carrying the node's
// status, error code and (on a 503 refusal) Retry-After. Also the solver's postSolution over it
// (solver/infra/node-client.ts): a refusal is a result, only an unreachable node throws.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signCancel } from '../../protocol/cancel.ts';
import { NodeApi, NodeApiError } from '../../protocol/client.ts';
import { intentDomain } from '../../protocol/eip712.ts';
import { domainSeparator } from '../../protocol/hash.ts';
import type { SignedIntent } from '../../protocol/intent.ts';
import { signedIntentToJson } from '../../protocol/json.ts';
import { silentLogger } from '../../node/log.ts';
import { IntentNode } from '../../node/node.ts';
import { postSolution } from '../../solver/infra/node-client.ts';
import { type Made, submit } from '../../devnet/traffic.ts';
import { refusal } from '../helpers/api.ts';
import { type IntentFactory, intentFactory, tempDir, testConfig, testKey, TEST_CHAIN_ID, TEST_SETTLEMENT } from '../helpers/node.ts';

const dir = tempDir('client-');
let node: IntentNode;
let api: NodeApi;
const sep = domainSeparator(intentDomain(TEST_CHAIN_ID, TEST_SETTLEMENT));
const nowSec = (): number => Math.floor(Date.now() / 1000);
/** A signed intent as devnet/traffic.ts submits it. */
const made = (f: IntentFactory, s: SignedIntent): Made => ({ signed: s, id: f.digestOf(s), json: signedIntentToJson(s), kind: 'swap' });

beforeAll(async () => {
  node = new IntentNode(testConfig(dir.path), { log: silentLogger() });
  await node.start();
  // a trailing slash is dropped
  api = new NodeApi(`${node.apiUrl}/`);
});
afterAll(async () => {
  await node.stop();
  dir.cleanup();
});

describe('NodeApi', () => {
  it('submits an intent, answers a duplicate, and reads its status and its owner list', async () => {
    const f = intentFactory(testKey(30));
    const s = f.swap();
    const id = f.digestOf(s);
    expect(await api.submitIntent(signedIntentToJson(s))).toEqual({ id, state: 'open' });
    expect(await api.submitIntent(signedIntentToJson(s))).toEqual({ id, state: 'open', duplicate: true });
    const st = await api.intent(id);
    expect(st).toMatchObject({ id, state: 'open', settlement: null });
    expect(st.signedIntent).toEqual(signedIntentToJson(s));
    const later = f.swap();
    await api.submitIntent(signedIntentToJson(later));
    const list = await api.ownerIntents(f.owner);
    expect(list.owner.toLowerCase()).toBe(f.owner.toLowerCase());
    // newest first
    expect(list.intents.map((i) => i.id)).toEqual([f.digestOf(later), id]);
    expect((await api.openIntents()).intents.map((i) => i.id)).toEqual(expect.arrayContaining([id, f.digestOf(later)]));
  });

  it('cancels with the owner signature; a wrong signer and the replay are NodeApiErrors with their codes', async () => {
    const f = intentFactory(testKey(31));
    const s = f.swap();
    const id = f.digestOf(s);
    await api.submitIntent(signedIntentToJson(s));
    const wrong = await refusal(api.cancelIntent(id, signCancel(id, sep, testKey(32))));
    expect({ status: wrong.status, code: wrong.code }).toEqual({ status: 403, code: 'wrong_signer' });
    expect(await api.cancelIntent(id, signCancel(id, sep, testKey(31)))).toEqual({ id, state: 'cancelled' });
    expect((await api.intent(id)).state).toBe('cancelled');
    expect((await api.ownerIntents(f.owner)).intents).toEqual([]);
    expect((await api.ownerIntents(f.owner, 'all')).intents.map((i) => [i.id, i.state])).toEqual([[id, 'cancelled']]);
    const again = await refusal(api.cancelIntent(id, signCancel(id, sep, testKey(31))));
    expect({ status: again.status, code: again.code }).toEqual({ status: 409, code: 'already_cancelled' });
    const replay = await refusal(api.submitIntent(signedIntentToJson(s)));
    expect({ status: replay.status, code: replay.code }).toEqual({ status: 409, code: 'replay_cancelled' });
  });

  it('maps a 404 to NodeApiError{status 404, code not_found} with the node message', async () => {
    const e = await refusal(api.intent(`0x${'ab'.repeat(32)}`));
    expect(e).toMatchObject({ name: 'NodeApiError', status: 404, code: 'not_found', retryAfterSec: undefined });
    expect(e.message).toMatch(/^404 not_found: .{5,}/);
  });

  it('maps a 400 bad intent to its code', async () => {
    const f = intentFactory(testKey(33));
    const expired = await refusal(api.submitIntent(signedIntentToJson(f.swap({ validTo: nowSec() - 10 }))));
    expect({ status: expired.status, code: expired.code }).toEqual({ status: 400, code: 'expired' });
    const s = f.swap();
    const byOther = { ...s, signature: intentFactory(testKey(34)).swap({ ...s.intent }).signature };
    const wrong = await refusal(api.submitIntent(signedIntentToJson(byOther)));
    expect({ status: wrong.status, code: wrong.code }).toEqual({ status: 400, code: 'wrong_signer' });
  });

  it('reads health and the backlog as typed responses', async () => {
    expect(await api.health()).toMatchObject({ status: 'ok', peerId: node.peerId, chainId: TEST_CHAIN_ID });
    const b = await api.backlog();
    expect(b.open).toBe(node.pool.size);
    expect(b.saturated).toBe(false);
    expect(await api.metrics()).toMatch(/^node_backlog_open_intents \d+$/m);
  });

  it('an unreachable node rejects with the fetch error, not a NodeApiError', async () => {
    const gone = new NodeApi('http://127.0.0.1:9', { timeoutMs: 5_000 });
    const e = await gone.health().then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(Error);
    expect(e).not.toBeInstanceOf(NodeApiError);
  });
});

describe('NodeApi refusals under backpressure', () => {
  it('a 503 backlog refusal carries its code and Retry-After', async () => {
    // as in test/node/backpressure.test.ts: 1 intent/s, 20 queued = 20 s of wait
    const d = tempDir('client-backlog-');
    const busy = new IntentNode(testConfig(d.path, { settleCapacity: 1, auctionIntervalMs: 1000 }), {
      log: silentLogger(),
      auction: false,
    });
    await busy.start();
    try {
      const b = new NodeApi(busy.apiUrl);
      const f = intentFactory(testKey(35));
      for (let k = 0; k < 20; k++) expect((await busy.submit(f.swap())).verdict).toBe('accept');
      const late = f.swap({ validTo: nowSec() + 15 });
      const e = await refusal(b.submitIntent(signedIntentToJson(late)));
      expect({ status: e.status, code: e.code, retryAfterSec: e.retryAfterSec }).toEqual({
        status: 503,
        code: 'backlog',
        retryAfterSec: 20,
      });
      expect(e.message).toMatch(/estimated wait 20 s/);
      // nothing stored
      expect((await refusal(b.intent(f.digestOf(late)))).status).toBe(404);
      // one that outlives the backlog is taken
      expect((await b.submitIntent(signedIntentToJson(f.swap({ validTo: nowSec() + 600 })))).state).toBe('open');

      // the devnet traffic's submit (devnet/traffic.ts) over the same client: a backlog refusal is
      // final and counted as refused (status 503), a stored intent 201, its duplicate 200
      expect(await submit(busy.apiUrl, made(f, f.swap({ validTo: nowSec() + 15 })))).toEqual({
        status: 503,
        code: 'backlog',
        retryAfterSec: 21,
      });
      const kept = made(f, f.swap({ validTo: nowSec() + 600 }));
      expect(await submit(busy.apiUrl, kept)).toEqual({ status: 201, id: kept.id, state: 'open' });
      expect(await submit(busy.apiUrl, kept)).toEqual({ status: 200, id: kept.id, state: 'open' });
    } finally {
      await busy.stop();
      d.cleanup();
    }
  });
});

describe("devnet traffic's submit over NodeApi", () => {
  it('an unreachable node is status 0 with the fetch error, after its retries', async () => {
    const f = intentFactory(testKey(36));
    const r = await submit('http://127.0.0.1:9', made(f, f.swap()));
    expect(r.status).toBe(0);
    expect(r.code).toMatch(/fetch failed/);
  });
});

describe("the solver's postSolution over NodeApi", () => {
  it('answers a refused solution as { accepted: false } with the status and code', async () => {
    const r = await postSolution(api, new Uint8Array([1, 2]));
    expect(r).toMatchObject({ accepted: false, status: 422 });
    if (r.accepted) throw new Error('accepted');
    // the node's own code from its JSON error body, not the client's http_<status> fallback
    expect(r.code).toMatch(/^[a-z_]+$/);
    expect(r.code).not.toMatch(/^http_/);
  });

  it('throws only when the node cannot be reached', async () => {
    await expect(postSolution(new NodeApi('http://127.0.0.1:9'), new Uint8Array([1, 2]))).rejects.toThrow();
    await expect(postSolution(new NodeApi('http://127.0.0.1:9'), new Uint8Array([1, 2]))).rejects.not.toBeInstanceOf(NodeApiError);
  });
});
