// The solver's quote endpoint (quote-server.ts) over a stub engine: the request checks, the error
// shape and statuses, the body bound.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QuoteRequest } from '../../protocol/api.ts';
import type { QuoteOutcome } from './quote.ts';
import { MAX_QUOTE_BODY, startQuoteServer, type QuoteServer } from './quote-server.ts';

const S = '0x00000000000000000000000000000000000000a1';
const req = {
  type: 'swap',
  sellToken: '0x1111111111111111111111111111111111111111',
  buyToken: '0x2222222222222222222222222222222222222222',
  kind: 'sell',
  amount: '1000',
};
let ready = true;
const asked: QuoteRequest[] = [];
const stub = {
  quote: async (r: QuoteRequest): Promise<QuoteOutcome | undefined> => {
    asked.push(r);
    if (!ready) return undefined;
    if (r.type === 'swap' && r.amount === '1000')
      return { ok: true, quote: { type: 'swap', solver: S, sellAmount: '1000', buyAmount: '990', gas: 300000 } };
    return { ok: false, code: 'no_route', message: 'no pool' };
  },
};
let server: QuoteServer;

beforeAll(async () => {
  server = await startQuoteServer(stub, { port: 0 });
});
afterAll(async () => {
  await server.close();
});

const post = async (body: string, type = 'application/json', url = server.url, method = 'POST') => {
  const res = await fetch(url, { method, headers: { 'content-type': type }, ...(method === 'POST' ? { body } : {}) });
  return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } & Record<string, unknown> };
};

describe('the quote server', () => {
  it('answers a valid request with the engine quote', async () => {
    const r = await post(JSON.stringify(req));
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ type: 'swap', solver: S, sellAmount: '1000', buyAmount: '990', gas: 300000 });
    expect(asked.at(-1)).toEqual(req);
  });

  it('refuses what it cannot quote or parse', async () => {
    const n = asked.length;
    expect(await post(JSON.stringify({ ...req, amount: '2000' }))).toMatchObject({ status: 422, body: { error: { code: 'no_route' } } });
    expect(await post(JSON.stringify({ ...req, amount: '0' }))).toMatchObject({ status: 400, body: { error: { code: 'bad_request' } } });
    expect(await post('{')).toMatchObject({ status: 400, body: { error: { code: 'bad_request' } } });
    expect(await post(JSON.stringify(req), 'text/plain')).toMatchObject({ status: 415 });
    expect(await post(JSON.stringify({ ...req, pad: 'x'.repeat(MAX_QUOTE_BODY) }))).toMatchObject({
      status: 413,
      body: { error: { code: 'body_too_large' } },
    });
    expect(await post('', 'application/json', server.url.replace('/v1/quote', '/v1/other'))).toMatchObject({ status: 404 });
    expect(await post('', 'application/json', server.url, 'GET')).toMatchObject({ status: 405 });
    // only the first of these reached the engine
    expect(asked.length).toBe(n + 1);
  });

  it('503 not_ready before the solver has its pools', async () => {
    ready = false;
    expect(await post(JSON.stringify(req))).toMatchObject({ status: 503, body: { error: { code: 'not_ready' } } });
    ready = true;
  });

  it('option requests: 422 no_options without an option quoter, its refusal code with one', async () => {
    const opt = { type: 'option', series: '2', size: '1000000000000000000' };
    const n = asked.length;
    expect(await post(JSON.stringify(opt))).toMatchObject({ status: 422, body: { error: { code: 'no_options' } } });
    expect(asked.length).toBe(n);
    const withOptions = await startQuoteServer(
      {
        ...stub,
        quoteOption: async (r) =>
          r.series === '2' ? { ok: false, code: 'market_halted', message: 'halted' } : { ok: false, code: 'unknown_series', message: 'no' },
      },
      { port: 0 },
    );
    try {
      expect(await post(JSON.stringify(opt), 'application/json', withOptions.url)).toMatchObject({
        status: 422,
        body: { error: { code: 'market_halted' } },
      });
      expect(await post(JSON.stringify({ ...opt, series: '9' }), 'application/json', withOptions.url)).toMatchObject({
        status: 422,
        body: { error: { code: 'unknown_series' } },
      });
    } finally {
      await withOptions.close();
    }
  });
});
