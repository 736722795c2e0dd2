import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSignedIntentJson, signedIntentToJson } from './json.ts';
import type { SignedIntent } from './intent.ts';
import { arbSignedIntent } from '../test/helpers/arbitraries.ts';

const roundTrip = (s: SignedIntent) => parseSignedIntentJson(JSON.parse(JSON.stringify(signedIntentToJson(s))));

describe('JSON forms', () => {
  it('round-trip through JSON text with bigints as decimal strings', () => {
    fc.assert(
      fc.property(
        arbSignedIntent().filter((s) => s.signature.data.length <= 2 + 2 * 2048),
        (s) => {
          expect(roundTrip(s)).toEqual({ ok: true, value: s });
        },
      ),
      { numRuns: 300 },
    );
  });

  const good = fc.sample(
    arbSignedIntent().filter((s) => s.type === 'swap' && s.signature.scheme === 'eoa'),
    1,
  )[0]!;
  const json = () => JSON.parse(JSON.stringify(signedIntentToJson(good))) as Record<string, any>;

  it.each([
    ['a non-object body', () => 42, 'malformed', 'body'],
    ['an unknown type', () => ({ ...json(), type: 'limit' }), 'malformed', 'type'],
    [
      'a number where a decimal string is due',
      () => {
        const j = json();
        j.intent.sellAmount = 5;
        return j;
      },
      'malformed',
      'intent.sellAmount',
    ],
    [
      'a leading zero',
      () => {
        const j = json();
        j.intent.sellAmount = '01';
        return j;
      },
      'malformed',
      'intent.sellAmount',
    ],
    [
      'an amount above uint256',
      () => {
        const j = json();
        j.intent.buyAmount = (1n << 256n).toString();
        return j;
      },
      'out_of_range',
      'intent.buyAmount',
    ],
    [
      'a bad address',
      () => {
        const j = json();
        j.intent.owner = '0x1234';
        return j;
      },
      'malformed',
      'intent.owner',
    ],
    [
      'a wrong EIP-55 checksum',
      () => {
        const j = json();
        j.intent.owner = '0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
        return j;
      },
      'malformed',
      'intent.owner',
    ],
    [
      'a fractional validTo',
      () => {
        const j = json();
        j.intent.validTo = 1.5;
        return j;
      },
      'malformed',
      'intent.validTo',
    ],
    [
      'validTo beyond uint32',
      () => {
        const j = json();
        j.intent.validTo = 2 ** 32;
        return j;
      },
      'out_of_range',
      'intent.validTo',
    ],
    [
      'an unknown kind',
      () => {
        const j = json();
        j.intent.kind = 2;
        return j;
      },
      'out_of_range',
      'intent.kind',
    ],
    [
      'an unknown field',
      () => {
        const j = json();
        j.intent.fee = '1';
        return j;
      },
      'malformed',
      'intent.fee',
    ],
    ['a short signature', () => ({ ...json(), signature: { scheme: 'eoa', data: '0x1234' } }), 'malformed', 'signature.data'],
    ['an unknown scheme', () => ({ ...json(), signature: { scheme: 'bls', data: '0x12' } }), 'malformed', 'signature.scheme'],
  ])('rejects %s', (_name, make, code, field) => {
    const r = parseSignedIntentJson(make());
    expect(r).toMatchObject({ ok: false, error: { code, field } });
  });

  it('accepts a correct EIP-55 checksum and normalises addresses to lower case', () => {
    const j = json();
    j.intent.owner = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
    const r = parseSignedIntentJson(j);
    expect(r.ok && r.value.type === 'swap' && r.value.intent.owner).toBe('0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266');
  });

  it('parses negative position sizes and rejects "-0"', () => {
    const j = {
      type: 'position',
      intent: {
        account: '0x00000000000000000000000000000000000000aa',
        market: 1,
        sizeDelta: '-5',
        limitPrice: '7',
        reduceOnly: false,
        partiallyFillable: false,
        validTo: 10,
        nonce: '0',
      },
      signature: { scheme: 'eoa', data: `0x${'11'.repeat(65)}` },
    };
    expect(parseSignedIntentJson(j)).toMatchObject({ ok: true, value: { intent: { sizeDelta: -5n } } });
    expect(parseSignedIntentJson({ ...j, intent: { ...j.intent, sizeDelta: '-0' } })).toMatchObject({
      ok: false,
      error: { field: 'intent.sizeDelta' },
    });
  });

  it('parses option intents (series and amounts as decimal strings) and enforces their bounds', () => {
    const j = {
      type: 'option',
      intent: {
        account: '0x00000000000000000000000000000000000000aa',
        series: '18446744073709551615',
        size: '-2500000000000000000',
        premiumLimit: '80000000000000000000',
        reduceOnly: false,
        partiallyFillable: true,
        validTo: 10,
        nonce: '3',
      },
      signature: { scheme: 'eoa', data: `0x${'11'.repeat(65)}` },
    };
    const r = parseSignedIntentJson(j);
    expect(r).toMatchObject({ ok: true, value: { type: 'option', intent: { series: (1n << 64n) - 1n, size: -25n * 10n ** 17n } } });
    if (r.ok) expect(signedIntentToJson(r.value)).toEqual(j);
    const bad = (over: Record<string, unknown>) => parseSignedIntentJson({ ...j, intent: { ...j.intent, ...over } });
    expect(bad({ size: '0' })).toMatchObject({ ok: false, error: { code: 'zero_amount', field: 'intent.size' } });
    expect(bad({ size: `1${'0'.repeat(36)}1` })).toMatchObject({ ok: false, error: { code: 'out_of_range', field: 'intent.size' } });
    expect(bad({ series: '0' })).toMatchObject({ ok: false, error: { code: 'out_of_range', field: 'intent.series' } });
    expect(bad({ series: '18446744073709551616' })).toMatchObject({ ok: false, error: { code: 'out_of_range', field: 'intent.series' } });
    expect(bad({ series: 1 })).toMatchObject({ ok: false, error: { code: 'malformed', field: 'intent.series' } });
    expect(bad({ market: 1 })).toMatchObject({ ok: false, error: { code: 'malformed', field: 'intent.market' } });
    expect(parseSignedIntentJson({ ...j, type: 'future' })).toMatchObject({ ok: false, error: { field: 'type' } });
  });
});
