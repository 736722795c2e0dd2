// Quote request and answer checks, and the best-quote order (protocol/quote.ts).
import { describe, expect, it } from 'vitest';
import { compareQuotes, parseQuoteRequest, parseSolverQuote, rankQuotes } from './quote.ts';
import type { OptionQuoteRequest, QuoteRequest, SolverQuote } from './api.ts';

const A = '0x1111111111111111111111111111111111111111';
const B = '0x2222222222222222222222222222222222222222';
const S1 = '0x00000000000000000000000000000000000000a1';
const S2 = '0x00000000000000000000000000000000000000a2';
const S3 = '0x00000000000000000000000000000000000000a3';

const sellReq: QuoteRequest = { type: 'swap', sellToken: A, buyToken: B, kind: 'sell', amount: '1000' };
const buyReq: QuoteRequest = { ...sellReq, kind: 'buy' };
const swap = (solver: string, sellAmount: string, buyAmount: string, gas = 200_000): SolverQuote =>
  ({ type: 'swap', solver, sellAmount, buyAmount, gas }) as SolverQuote;
const pos = (solver: string, price: string, gas = 400_000): SolverQuote => ({ type: 'position', solver, price, gas }) as SolverQuote;
const optBuy: OptionQuoteRequest = { type: 'option', series: '3', size: '2000000000000000000' };
const optSell: OptionQuoteRequest = { ...optBuy, size: '-2000000000000000000' };
const opt = (solver: string, premium: string, o: Partial<Extract<SolverQuote, { type: 'option' }>> = {}): SolverQuote =>
  ({
    type: 'option',
    solver,
    series: '3',
    size: optBuy.size,
    premium,
    source: 'vault',
    gas: 1_000_000,
    validTo: 2000,
    ...o,
  }) as SolverQuote;

describe('parseQuoteRequest', () => {
  it('accepts swap and position requests', () => {
    expect(parseQuoteRequest(sellReq)).toEqual({ ok: true, value: sellReq });
    expect(parseQuoteRequest({ ...buyReq, owner: A }).ok).toBe(true);
    expect(parseQuoteRequest({ type: 'position', market: 1, sizeDelta: '-2000000000000000000' }).ok).toBe(true);
  });

  it('accepts option requests: a series, a signed size, an optional account', () => {
    expect(parseQuoteRequest(optBuy)).toEqual({ ok: true, value: optBuy });
    expect(parseQuoteRequest({ ...optSell, account: A })).toEqual({ ok: true, value: { ...optSell, account: A } });
    expect(parseQuoteRequest({ ...optBuy, series: ((1n << 64n) - 1n).toString(), size: (10n ** 36n).toString() }).ok).toBe(true);
  });

  it.each([
    ['not an object', 'x', 'type'],
    ['missing fields', { type: 'swap' }, 'sellToken'],
    ['a token of the wrong type', { ...sellReq, buyToken: 7 }, 'buyToken'],
    ['an exponent', { ...sellReq, amount: '9e9' }, 'amount'],
    ['unknown type', { type: 'limit' }, 'type'],
    ['same token', { ...sellReq, buyToken: A.toUpperCase().replace('0X', '0x') }, 'buyToken'],
    ['bad address', { ...sellReq, sellToken: '0x12' }, 'sellToken'],
    ['bad kind', { ...sellReq, kind: 'sideways' }, 'kind'],
    ['zero amount', { ...sellReq, amount: '0' }, 'amount'],
    ['negative amount', { ...sellReq, amount: '-1' }, 'amount'],
    ['number amount', { ...sellReq, amount: 1000 }, 'amount'],
    ['leading zero', { ...sellReq, amount: '01' }, 'amount'],
    ['above uint256', { ...sellReq, amount: (1n << 256n).toString() }, 'amount'],
    ['extra field', { ...sellReq, slippage: 1 }, ''],
    ['zero size', { type: 'position', market: 1, sizeDelta: '0' }, 'sizeDelta'],
    ['fractional market', { type: 'position', market: 1.5, sizeDelta: '1' }, 'market'],
    ['size outside int256', { type: 'position', market: 1, sizeDelta: (-(1n << 255n) - 1n).toString() }, 'sizeDelta'],
    ['zero option size', { ...optBuy, size: '0' }, 'size'],
    ['option size above the intent bound', { ...optBuy, size: (-(10n ** 36n) - 1n).toString() }, 'size'],
    ['number option size', { ...optBuy, size: 2 }, 'size'],
    ['series 0', { ...optBuy, series: '0' }, 'series'],
    ['a number series', { ...optBuy, series: 3 }, 'series'],
    ['series above uint64', { ...optBuy, series: (1n << 64n).toString() }, 'series'],
    ['a bad option account', { ...optBuy, account: '0x12' }, 'account'],
    ['an option request with a premium', { ...optBuy, premium: '1' }, ''],
    ['an option request without a size', { type: 'option', series: '3' }, 'size'],
  ])('refuses %s', (_name, body, field) => {
    const r = parseQuoteRequest(body);
    expect(r.ok).toBe(false);
    if (!r.ok && field) expect(r.reason).toContain(field);
  });
});

describe('parseSolverQuote', () => {
  it('accepts an answer for the request', () => {
    expect(parseSolverQuote(sellReq, swap(S1, '1000', '990')).ok).toBe(true);
    expect(parseSolverQuote(buyReq, swap(S1, '1010', '1000')).ok).toBe(true);
  });

  it('refuses an answer for another trade or of the wrong shape', () => {
    // the requested side must be the requested amount
    expect(parseSolverQuote(sellReq, swap(S1, '999', '990'))).toMatchObject({ ok: false, reason: expect.stringContaining('sellAmount') });
    expect(parseSolverQuote(buyReq, swap(S1, '1000', '990'))).toMatchObject({ ok: false, reason: expect.stringContaining('buyAmount') });
    expect(parseSolverQuote(sellReq, pos(S1, '3000'))).toMatchObject({ ok: false, reason: expect.stringContaining('position') });
    expect(parseSolverQuote(sellReq, { ...swap(S1, '1000', '990'), buyAmount: 990 }).ok).toBe(false);
    expect(parseSolverQuote(sellReq, { ...swap(S1, '1000', '990'), buyAmount: '9.9e2' }).ok).toBe(false);
    expect(parseSolverQuote(sellReq, { ...swap(S1, '1000', '990'), gas: -1 }).ok).toBe(false);
    expect(parseSolverQuote(sellReq, { ...swap(S1, '1000', '990'), extra: true }).ok).toBe(false);
    expect(parseSolverQuote(sellReq, null).ok).toBe(false);
  });

  it('an option answer: the requested series and size, a known source, not expired', () => {
    expect(parseSolverQuote(optBuy, opt(S1, '120'), 1999)).toEqual({ ok: true, value: opt(S1, '120') });
    expect(parseSolverQuote(optBuy, opt(S1, '120', { series: '4' }))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('series 4'),
    });
    // the other side of the trade is another trade
    expect(parseSolverQuote(optBuy, opt(S1, '120', { size: optSell.size }))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('size'),
    });
    expect(parseSolverQuote(optBuy, opt(S1, '120'), 2001)).toMatchObject({ ok: false, reason: expect.stringContaining('expired') });
    expect(parseSolverQuote(optBuy, opt(S1, '0')).ok).toBe(false);
    expect(parseSolverQuote(optBuy, opt(S1, '120', { source: 'pool' as 'vault' })).ok).toBe(false);
    expect(parseSolverQuote(optBuy, opt(S1, '120', { validTo: 1.5 })).ok).toBe(false);
    expect(parseSolverQuote(optBuy, { ...opt(S1, '120'), validTo: undefined }).ok).toBe(false);
    expect(parseSolverQuote(optBuy, pos(S1, '120'))).toMatchObject({ ok: false, reason: 'a position quote for an option request' });
    expect(parseSolverQuote(sellReq, opt(S1, '120')).ok).toBe(false);
  });
});

describe('best quote', () => {
  it('a sell: the highest buy amount', () => {
    const r = rankQuotes(sellReq, [swap(S1, '1000', '990'), swap(S2, '1000', '995'), swap(S3, '1000', '980')]);
    expect(r.map((q) => q.solver)).toEqual([S2, S1, S3]);
  });

  it('a buy: the lowest sell amount', () => {
    const r = rankQuotes(buyReq, [swap(S1, '1010', '1000'), swap(S2, '1020', '1000'), swap(S3, '1005', '1000')]);
    expect(r.map((q) => q.solver)).toEqual([S3, S1, S2]);
  });

  it('a position: the lowest price for a long, the highest for a short', () => {
    const quotes = [pos(S1, '3010'), pos(S2, '3005'), pos(S3, '3020')];
    expect(rankQuotes({ type: 'position', market: 1, sizeDelta: '1' }, quotes)[0]!.solver).toBe(S2);
    expect(rankQuotes({ type: 'position', market: 1, sizeDelta: '-1' }, quotes)[0]!.solver).toBe(S3);
  });

  it('an option: the lowest premium for a buy, the highest for a write', () => {
    const quotes = [opt(S1, '101'), opt(S2, '99'), opt(S3, '100')];
    expect(rankQuotes(optBuy, quotes).map((q) => q.solver)).toEqual([S2, S3, S1]);
    const sells = quotes.map((q) => ({ ...q, size: optSell.size }) as SolverQuote);
    expect(rankQuotes(optSell, sells).map((q) => q.solver)).toEqual([S1, S3, S2]);
    // as integers: 99 < 100
    expect(rankQuotes(optBuy, [opt(S1, '100'), opt(S2, '99')])[0]!.solver).toBe(S2);
  });

  it('ties: the lower gas, then the lower solver address', () => {
    expect(compareQuotes(sellReq, swap(S2, '1000', '990', 100), swap(S1, '1000', '990', 200))).toBeLessThan(0);
    expect(compareQuotes(sellReq, swap(S2, '1000', '990'), swap(S1, '1000', '990'))).toBeGreaterThan(0);
    // amounts compare as integers, not strings
    expect(rankQuotes(sellReq, [swap(S1, '1000', '99'), swap(S2, '1000', '100')])[0]!.solver).toBe(S2);
  });
});
