import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from './bytes.ts';
import { privateKeyToAddress, recoverSigner, signDigest } from './signature.ts';
import {
  decodeSignedSolution,
  encodeSignedSolution,
  encodeSolutionBody,
  solutionDigest,
  type SignedSolution,
  type Solution,
} from './solution.ts';
import {
  arbAddress,
  arbBytes32,
  arbOptionIntent,
  arbPositionIntent,
  arbSignature,
  arbUint256,
  arbUint32,
} from '../test/helpers/arbitraries.ts';

const arbSolution = (): fc.Arbitrary<Solution> =>
  fc.record({
    auctionId: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    solver: arbAddress(),
    prices: fc
      .uniqueArray(arbAddress(), { maxLength: 6 })
      .chain((tokens) => fc.tuple(...tokens.sort().map((token) => arbUint256().map((price) => ({ token, price }))))),
    marketPrices: fc
      .uniqueArray(arbUint32(), { maxLength: 3 })
      .chain((ms) => fc.tuple(...ms.sort((a, b) => a - b).map((market) => arbUint256().map((price) => ({ market, price }))))),
    trades: fc
      .uniqueArray(arbBytes32(), { maxLength: 8 })
      .chain((ids) => fc.tuple(...ids.map((intentId) => arbUint256().map((executed) => ({ intentId, executed }))))),
    liquidity: fc.array(fc.record({ intent: arbPositionIntent(), signature: arbSignature(), executed: arbUint256() }), { maxLength: 3 }),
    interactions: fc.array(
      fc.record({ target: arbAddress(), value: arbUint256(), callData: fc.uint8Array({ maxLength: 100 }).map((b) => toHex(b)) }),
      { maxLength: 4 },
    ),
  });

const KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const SETTLEMENT = '0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0';

function sign(s: Solution): SignedSolution {
  return { ...s, signature: signDigest(solutionDigest(encodeSolutionBody(s), 31337, SETTLEMENT), KEY) };
}

describe('solution codec', () => {
  it('encodes a solution with options as version 3 and round-trips it; version 2 otherwise', () => {
    const withOptions = arbSolution().chain((s) =>
      fc
        .record({
          optionPremiums: fc
            .uniqueArray(fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }), { minLength: 1, maxLength: 3 })
            .chain((ids) =>
              fc.tuple(...ids.sort((a, b) => (a < b ? -1 : 1)).map((series) => arbUint256().map((premium) => ({ series, premium })))),
            ),
          optionLiquidity: fc.array(fc.record({ intent: arbOptionIntent(), signature: arbSignature(), executed: arbUint256() }), {
            maxLength: 2,
          }),
        })
        .map((o) => ({ ...s, ...o })),
    );
    fc.assert(
      fc.property(withOptions, (s) => {
        const signed = sign({ ...s, solver: privateKeyToAddress(KEY) });
        const bytes = encodeSignedSolution(signed);
        expect(bytes[0]).toBe(3);
        const decoded = decodeSignedSolution(bytes);
        if (!decoded.ok) throw new Error(JSON.stringify(decoded.error));
        const { body: _, ...rest } = decoded.value;
        expect(rest).toEqual(signed);
      }),
      { numRuns: 50 },
    );
    const plain = sign({ auctionId: 1n, solver: privateKeyToAddress(KEY), prices: [], marketPrices: [], trades: [], interactions: [] });
    const v2 = encodeSignedSolution({ ...plain, optionPremiums: [], optionLiquidity: [] });
    expect(v2[0]).toBe(2);
    // a version 3 encoding without options is not canonical
    const v3 = new Uint8Array([...v2.subarray(0, 35), 0, 0, ...v2.subarray(35, 39), 0, 0, ...v2.subarray(39)]);
    v3[0] = 3;
    expect(decodeSignedSolution(v3)).toMatchObject({ ok: false, error: { field: 'version' } });
  });

  it('round-trips and the signature recovers the solver', () => {
    fc.assert(
      fc.property(arbSolution(), (s) => {
        const signed = sign({ ...s, solver: privateKeyToAddress(KEY) });
        const decoded = decodeSignedSolution(encodeSignedSolution(signed));
        if (!decoded.ok) throw new Error(JSON.stringify(decoded.error));
        const { body, ...rest } = decoded.value;
        expect(rest).toEqual(signed);
        const signer = recoverSigner(solutionDigest(body, 31337, SETTLEMENT), fromHex(decoded.value.signature));
        expect(signer).toEqual({ ok: true, value: signed.solver });
        // another chain id gives another digest: no replay across networks
        expect(recoverSigner(solutionDigest(body, 1, SETTLEMENT), fromHex(decoded.value.signature))).not.toEqual(signer);
      }),
      { numRuns: 100 },
    );
  });

  it('never throws on hostile bytes and rejects truncation and trailing bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (b) => {
        expect(typeof decodeSignedSolution(b).ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
    const bytes = encodeSignedSolution(sign(fc.sample(arbSolution(), 1)[0]!));
    for (let n = 0; n < bytes.length; n += 7)
      expect(decodeSignedSolution(bytes.subarray(0, n))).toMatchObject({ ok: false, error: { code: 'truncated' } });
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    expect(decodeSignedSolution(longer)).toMatchObject({ ok: false, error: { code: 'trailing_bytes' } });
  });

  it('rejects non-canonical price order and an intent traded twice', () => {
    const a = '0x00000000000000000000000000000000000000aa';
    const b = '0x00000000000000000000000000000000000000bb';
    const base: Solution = { auctionId: 1n, solver: a, prices: [], marketPrices: [], trades: [], liquidity: [], interactions: [] };
    const unordered = sign({
      ...base,
      prices: [
        { token: b, price: 1n },
        { token: a, price: 1n },
      ],
    });
    expect(decodeSignedSolution(encodeSignedSolution(unordered))).toMatchObject({ ok: false, error: { field: 'prices[1].token' } });
    const id = `0x${'11'.repeat(32)}` as const;
    const twice = sign({
      ...base,
      trades: [
        { intentId: id, executed: 1n },
        { intentId: id, executed: 2n },
      ],
    });
    expect(decodeSignedSolution(encodeSignedSolution(twice))).toMatchObject({ ok: false, error: { field: 'trades[1].intentId' } });
    const badVersion = encodeSignedSolution(sign(base));
    badVersion[0] = 1;
    expect(decodeSignedSolution(badVersion)).toMatchObject({ ok: false, error: { code: 'unsupported_version' } });
  });

  it('own liquidity must be a well-formed position intent', () => {
    const a = '0x00000000000000000000000000000000000000aa';
    const intent = fc.sample(arbPositionIntent(), 1)[0]!;
    const base: Solution = { auctionId: 1n, solver: a, prices: [], marketPrices: [], trades: [], interactions: [] };
    const bytes = encodeSignedSolution(
      sign({ ...base, liquidity: [{ intent, signature: { scheme: 'eoa', data: `0x${'22'.repeat(65)}` }, executed: 5n }] }),
    );
    // the liquidity entry's intent starts after the header, the three empty counts, the entry count and its length
    const at = 29 + 2 + 2 + 2 + 2 + 2;
    expect(bytes[at]).toBe(1); // intent codec version
    const swapTagged = bytes.slice();
    swapTagged[at + 1] = 1; // tag swap: a different body length, and not position liquidity anyway
    expect(decodeSignedSolution(swapTagged)).toMatchObject({ ok: false });
    const reserved = bytes.slice();
    reserved[at + 90] = 0x80; // a reserved position flag bit
    expect(decodeSignedSolution(reserved)).toMatchObject({ ok: false, error: { field: 'liquidity[0].intent.flags' } });
  });
});
