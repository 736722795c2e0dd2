// The node's quote round (node/api/quotes.ts gatherQuotes): every quoter asked in parallel under one
// deadline, only answers valid for the request kept, failures named.
import { describe, expect, it } from 'vitest';
import type { OptionQuoteRequest, QuoteRequest } from '../../protocol/api.ts';
import { gatherQuotes } from './quotes.ts';

const req: QuoteRequest = {
  type: 'swap',
  sellToken: '0x1111111111111111111111111111111111111111',
  buyToken: '0x2222222222222222222222222222222222222222',
  kind: 'sell',
  amount: '1000',
};
const S = '0x00000000000000000000000000000000000000a1';

/** A fetch whose answer depends on the URL; 'hang' never answers (until aborted). */
function fakeFetch(answers: Record<string, { status: number; body: unknown } | 'hang' | 'refuse'>): typeof fetch {
  return (async (url: string | URL | Request, init?: RequestInit) => {
    const a = answers[String(url)];
    if (a === 'refuse' || a === undefined) throw new TypeError('fetch failed');
    if (a === 'hang')
      return new Promise((_r, reject) => init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    return new Response(typeof a.body === 'string' ? a.body : JSON.stringify(a.body), { status: a.status });
  }) as typeof fetch;
}

describe('gatherQuotes', () => {
  it('keeps valid answers, names every failure, and ends at the deadline', async () => {
    const f = fakeFetch({
      'http://good/v1/quote': { status: 200, body: { type: 'swap', solver: S, sellAmount: '1000', buyAmount: '990', gas: 200000 } },
      'http://wrong-amount/v1/quote': { status: 200, body: { type: 'swap', solver: S, sellAmount: '999', buyAmount: '990', gas: 200000 } },
      'http://no-route/v1/quote': { status: 422, body: { error: { code: 'no_route', message: 'no pool' } } },
      'http://garbage/v1/quote': { status: 200, body: 'not json' },
      'http://hang/v1/quote': 'hang',
      'http://down/v1/quote': 'refuse',
    });
    const t0 = Date.now();
    const { quotes, failed } = await gatherQuotes(
      [
        'http://good/v1/quote',
        'http://wrong-amount/v1/quote',
        'http://no-route/v1/quote',
        'http://garbage/v1/quote',
        'http://hang/v1/quote',
        'http://down/v1/quote',
      ],
      req,
      200,
      f,
    );
    const ms = Date.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(190);
    expect(ms).toBeLessThan(10_000); // the hanging quoter would otherwise never end the round
    expect(quotes).toEqual([{ type: 'swap', solver: S, sellAmount: '1000', buyAmount: '990', gas: 200000 }]);
    const reasons = Object.fromEntries(failed.map((x) => [x.url.split('/')[2], x.reason]));
    expect(reasons['wrong-amount']).toContain('sellAmount 999 is not the requested 1000');
    expect(reasons['no-route']).toBe('HTTP 422 no_route: no pool');
    expect(reasons.garbage).toContain('not JSON');
    expect(reasons.hang).toBe('timeout');
    expect(reasons.down).toContain('unreachable');
  });

  it('returns as soon as every quoter answered', async () => {
    const f = fakeFetch({
      'http://good/v1/quote': { status: 200, body: { type: 'swap', solver: S, sellAmount: '1000', buyAmount: '1', gas: 1 } },
    });
    const t0 = Date.now();
    const { quotes } = await gatherQuotes(['http://good/v1/quote'], req, 5000, f);
    expect(quotes).toHaveLength(1);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('drops option answers for another series or size, or already expired, and keeps the rest', async () => {
    const opt: OptionQuoteRequest = { type: 'option', series: '7', size: '-3000000000000000000' };
    const good = {
      type: 'option',
      solver: S,
      series: '7',
      size: opt.size,
      premium: '95000000000000000000',
      source: 'vault',
      gas: 1,
      validTo: 1010,
    };
    const f = fakeFetch({
      'http://good/v1/quote': { status: 200, body: good },
      'http://other-series/v1/quote': { status: 200, body: { ...good, series: '8' } },
      'http://other-side/v1/quote': { status: 200, body: { ...good, size: '3000000000000000000' } },
      'http://stale/v1/quote': { status: 200, body: { ...good, validTo: 999 } },
      'http://swap/v1/quote': { status: 200, body: { type: 'swap', solver: S, sellAmount: '1', buyAmount: '1', gas: 1 } },
      'http://halted/v1/quote': { status: 422, body: { error: { code: 'market_halted', message: 'market 1 is halted' } } },
    });
    const urls = ['good', 'other-series', 'other-side', 'stale', 'swap', 'halted'].map((h) => `http://${h}/v1/quote`);
    const { quotes, failed } = await gatherQuotes(urls, opt, 5000, f, () => 1_000_000);
    expect(quotes).toEqual([good]);
    const reasons = Object.fromEntries(failed.map((x) => [x.url.split('/')[2], x.reason]));
    expect(reasons['other-series']).toContain('series 8 is not the requested 7');
    expect(reasons['other-side']).toContain('size 3000000000000000000 is not the requested -3000000000000000000');
    expect(reasons.stale).toContain('expired at 999');
    expect(reasons.swap).toContain('a swap quote for an option request');
    expect(reasons.halted).toBe('HTTP 422 market_halted: market 1 is halted');
  });
});
