import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from './bytes.ts';
import {
  CODEC_VERSION,
  decodeSignedIntent,
  encodeSignedIntent,
  MAX_EIP1271_SIGNATURE_BYTES,
  MAX_SIGNED_INTENT_BYTES,
  OPTION_BODY_BYTES,
  POSITION_BODY_BYTES,
  TAG_OPTION,
  SWAP_BODY_BYTES,
} from './codec.ts';
import { MAX_OPTION_SIZE, type SignedIntent } from './intent.ts';
import { arbSignedIntent } from '../test/helpers/arbitraries.ts';

const sample = (): SignedIntent =>
  fc.sample(
    arbSignedIntent().filter((s) => s.type === 'swap' && s.signature.scheme === 'eoa'),
    1,
  )[0]!;

function errorCode(bytes: Uint8Array): string {
  const r = decodeSignedIntent(bytes);
  if (r.ok) throw new Error('expected a decode error');
  return r.error.code;
}

describe('signed intent codec', () => {
  it('round-trips every signed intent exactly', () => {
    fc.assert(
      fc.property(arbSignedIntent(), (signed) => {
        const bytes = encodeSignedIntent(signed);
        const decoded = decodeSignedIntent(bytes);
        expect(decoded).toEqual({ ok: true, value: signed });
        // canonical: re-encoding the decoded value gives the same bytes
        if (decoded.ok) expect(toHex(encodeSignedIntent(decoded.value))).toBe(toHex(bytes));
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on hostile bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const r = decodeSignedIntent(bytes);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(arbSignedIntent(), fc.nat(), fc.integer({ min: 0, max: 255 }), (signed, pos, byte) => {
        const bytes = encodeSignedIntent(signed);
        bytes[pos % bytes.length] = byte; // one corrupted byte
        const r = decodeSignedIntent(bytes);
        if (r.ok) expect(toHex(encodeSignedIntent(r.value))).toBe(toHex(bytes));
      }),
      { numRuns: 1000 },
    );
  });

  it('rejects every truncation and any trailing byte', () => {
    const bytes = encodeSignedIntent(sample());
    for (let n = 0; n < bytes.length; n++) {
      expect(['truncated']).toContain(errorCode(bytes.subarray(0, n)));
    }
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    expect(errorCode(longer)).toBe('trailing_bytes');
  });

  it('names the corrupt part of a malformed corpus', () => {
    const good = encodeSignedIntent(sample());
    const patched = (at: number, value: number) => {
      const b = good.slice();
      b[at] = value;
      return b;
    };
    const sigAt = 2 + SWAP_BODY_BYTES;
    const corpus: [Uint8Array, string, string][] = [
      [patched(0, CODEC_VERSION + 1), 'unsupported_version', 'version'],
      [patched(1, 9), 'unsupported_version', 'tag'],
      [patched(182, 0x04), 'out_of_range', 'intent.flags'],
      [patched(sigAt, 7), 'unsupported_version', 'signature.scheme'],
      [new Uint8Array(MAX_SIGNED_INTENT_BYTES + 1), 'out_of_range', 'bytes'],
      [new Uint8Array(0), 'truncated', 'version'],
    ];
    for (const [bytes, code, field] of corpus) {
      const r = decodeSignedIntent(bytes);
      expect(r.ok).toBe(false);
      if (!r.ok) expect([r.error.code, r.error.field]).toEqual([code, field]);
    }
    expect(decodeSignedIntent('not bytes' as unknown as Uint8Array)).toMatchObject({ ok: false, error: { code: 'malformed' } });
  });

  it('bounds contract-wallet signatures and rejects empty ones', () => {
    const base: SignedIntent = { ...sample(), signature: { scheme: 'eip1271', data: '0x01' } };
    const bytes = encodeSignedIntent(base);
    const at = 2 + SWAP_BODY_BYTES;
    const empty = bytes.slice(0, at + 3);
    empty[at + 1] = 0;
    empty[at + 2] = 0;
    expect(decodeSignedIntent(empty)).toMatchObject({ ok: false, error: { code: 'out_of_range', field: 'signature.length' } });
    const tooLong = bytes.slice();
    const n = MAX_EIP1271_SIGNATURE_BYTES + 1;
    tooLong[at + 1] = n >>> 8;
    tooLong[at + 2] = n & 0xff;
    expect(decodeSignedIntent(tooLong)).toMatchObject({ ok: false, error: { code: 'out_of_range', field: 'signature.length' } });
    const declaredMore = bytes.slice();
    declaredMore[at + 2] = 5; // says 5 bytes, carries 1
    expect(decodeSignedIntent(declaredMore)).toMatchObject({ ok: false, error: { code: 'truncated' } });
  });

  it('encodes position intents with negative sizes in two’s complement', () => {
    const signed: SignedIntent = {
      type: 'position',
      intent: {
        account: '0x00000000000000000000000000000000000000aa',
        market: 7,
        sizeDelta: -1n,
        limitPrice: 5n,
        reduceOnly: true,
        partiallyFillable: false,
        validTo: 9,
        nonce: 1n,
      },
      signature: { scheme: 'eoa', data: toHex(new Uint8Array(65)) },
    };
    const bytes = encodeSignedIntent(signed);
    expect(bytes.length).toBe(2 + POSITION_BODY_BYTES + 66);
    expect(toHex(bytes.subarray(26, 58))).toBe(`0x${'ff'.repeat(32)}`);
    expect(decodeSignedIntent(bytes)).toEqual({ ok: true, value: signed });
    expect(fromHex(toHex(bytes))).toEqual(bytes);
  });

  it('lays out option intents at the documented offsets and refuses zero or oversized sizes, series 0 and reserved flags', () => {
    const signed: SignedIntent = {
      type: 'option',
      intent: {
        account: '0x00000000000000000000000000000000000000aa',
        series: 0x0102030405060708n,
        size: -1n,
        premiumLimit: 5n,
        reduceOnly: true,
        partiallyFillable: true,
        validTo: 9,
        nonce: 1n,
      },
      signature: { scheme: 'eoa', data: toHex(new Uint8Array(65)) },
    };
    const bytes = encodeSignedIntent(signed);
    expect(OPTION_BODY_BYTES).toBe(129);
    expect(bytes.length).toBe(2 + OPTION_BODY_BYTES + 66);
    expect(bytes[1]).toBe(TAG_OPTION);
    expect(toHex(bytes.subarray(22, 30))).toBe('0x0102030405060708');
    expect(toHex(bytes.subarray(30, 62))).toBe(`0x${'ff'.repeat(32)}`);
    expect(bytes[93]).toBe(5);
    expect(bytes[94]).toBe(3);
    expect(bytes[98]).toBe(9);
    expect(bytes[130]).toBe(1);
    expect(decodeSignedIntent(bytes)).toEqual({ ok: true, value: signed });

    const withSize = (size: bigint) => encodeSignedIntent({ ...signed, intent: { ...signed.intent, size } });
    expect(decodeSignedIntent(withSize(0n))).toMatchObject({ ok: false, error: { code: 'zero_amount', field: 'intent.size' } });
    expect(decodeSignedIntent(withSize(MAX_OPTION_SIZE))).toMatchObject({ ok: true });
    expect(decodeSignedIntent(withSize(-MAX_OPTION_SIZE))).toMatchObject({ ok: true });
    expect(decodeSignedIntent(withSize(MAX_OPTION_SIZE + 1n))).toMatchObject({
      ok: false,
      error: { code: 'out_of_range', field: 'intent.size' },
    });
    expect(decodeSignedIntent(withSize(-MAX_OPTION_SIZE - 1n))).toMatchObject({ ok: false, error: { field: 'intent.size' } });
    const series0 = encodeSignedIntent({ ...signed, intent: { ...signed.intent, series: 0n } });
    expect(decodeSignedIntent(series0)).toMatchObject({ ok: false, error: { code: 'out_of_range', field: 'intent.series' } });
    const reserved = bytes.slice();
    reserved[94] = 4;
    expect(decodeSignedIntent(reserved)).toMatchObject({ ok: false, error: { code: 'out_of_range', field: 'intent.flags' } });
    expect(decodeSignedIntent(bytes.subarray(0, 2 + OPTION_BODY_BYTES - 1))).toMatchObject({ ok: false, error: { code: 'truncated' } });
  });
});
