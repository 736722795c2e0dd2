// protocol/WIRE.md against both implementations: the documented example bytes must be what the
// example generator produces, and decode to the same fields with the independent decoder
// (test/hostile/wire.ts) and with the project's codecs (protocol/). Any drift between the
// document, an outside client written from it, and the node fails here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Hex } from 'viem';
import { fromHex } from '../../protocol/bytes.ts';
import { decodeCancel as projectDecodeCancel, recoverCanceller } from '../../protocol/cancel.ts';
import { decodeSignedIntent, encodeSignedIntent } from '../../protocol/codec.ts';
import { intentDomain } from '../../protocol/eip712.ts';
import { domainSeparator, intentDigest } from '../../protocol/hash.ts';
import { recoverSigner } from '../../protocol/signature.ts';
import { decodeSignedSolution, encodeSignedSolution, solutionDigest } from '../../protocol/solution.ts';
import { CANCEL_FRAME_TAG } from '../../node/gossip/sync.ts';
import {
  EXAMPLE_CHAIN_ID,
  EXAMPLE_OWNER_KEY,
  EXAMPLE_SETTLEMENT,
  EXAMPLE_SOLVER_KEY,
  examples,
  parseMarkdown,
  type Examples,
} from './wire-examples.ts';
import { addressOf, CANCEL_FRAME, decodeCancel, decodeFrames, decodeIntent, decodeSolution, intentId, type WireIntent } from './wire.ts';

const doc = parseMarkdown(readFileSync(join(import.meta.dirname, '..', '..', 'protocol', 'WIRE.md'), 'utf8'));
const separator = domainSeparator(intentDomain(EXAMPLE_CHAIN_ID, EXAMPLE_SETTLEMENT));
const bytesOf = (name: keyof Examples): Uint8Array => fromHex(doc[name]!);
const owner = addressOf(EXAMPLE_OWNER_KEY);

/** Field-by-field agreement of one signed intent between the two decoders. */
function agreeIntent(b: Uint8Array): WireIntent {
  const mine = decodeIntent(b);
  const theirs = decodeSignedIntent(b);
  if (!theirs.ok) throw new Error(`protocol/codec.ts refuses the documented bytes: ${theirs.error.reason}`);
  const t = theirs.value;
  expect(t.signature).toEqual({ scheme: mine.sig.scheme === 0 ? 'eoa' : 'eip1271', data: mine.sig.data });
  if (mine.tag === 1) {
    expect(t.type).toBe('swap');
    const i = t.intent as Extract<typeof t, { type: 'swap' }>['intent'];
    for (const f of [
      'owner',
      'sellToken',
      'buyToken',
      'receiver',
      'sellAmount',
      'buyAmount',
      'validTo',
      'nonce',
      'kind',
      'partiallyFillable',
      'appData',
    ] as const) {
      expect(i[f], f).toEqual(mine.swap[f]);
    }
  } else {
    expect(t.type).toBe('position');
    const i = t.intent as Extract<typeof t, { type: 'position' }>['intent'];
    for (const f of ['account', 'market', 'sizeDelta', 'limitPrice', 'reduceOnly', 'validTo', 'nonce'] as const)
      expect(i[f], f).toEqual(mine.position[f]);
  }
  // same id both ways, signed by the owner, and the project's encoder gives back the same bytes
  const id = intentDigest(t, intentDomain(EXAMPLE_CHAIN_ID, EXAMPLE_SETTLEMENT));
  expect(id).toBe(intentId(mine, EXAMPLE_CHAIN_ID, EXAMPLE_SETTLEMENT));
  const signer = recoverSigner(fromHex(id), fromHex(t.signature.data));
  expect(signer.ok && signer.value).toBe(owner);
  expect(Buffer.from(encodeSignedIntent(t)).equals(Buffer.from(b))).toBe(true);
  return mine;
}

describe('protocol/WIRE.md examples', () => {
  it('are exactly what test/hostile/wire-examples.ts generates', () => {
    expect(doc).toEqual(examples());
  });

  it('signed swap intent: 281 bytes, both decoders agree field by field', () => {
    const b = bytesOf('swapIntent');
    expect(b.length).toBe(281);
    const i = agreeIntent(b);
    expect(i.tag === 1 && i.swap.partiallyFillable && i.swap.kind).toBe(0);
  });

  it("signed position intent: 193 bytes, both decoders agree (negative sizeDelta in two's complement)", () => {
    const b = bytesOf('positionIntent');
    expect(b.length).toBe(193);
    const i = agreeIntent(b);
    expect(i.tag === 2 && i.position.sizeDelta).toBe(-2n * 10n ** 18n);
  });

  it('cancel: 97 bytes, both decoders agree, signed by the intent owner', () => {
    const b = bytesOf('cancel');
    const mine = decodeCancel(b);
    const theirs = projectDecodeCancel(b);
    expect(theirs.ok && theirs.value).toEqual(mine);
    const swapId = intentId(decodeIntent(bytesOf('swapIntent')), EXAMPLE_CHAIN_ID, EXAMPLE_SETTLEMENT);
    expect(mine.intentId).toBe(swapId);
    const signer = recoverCanceller(mine.intentId, mine.signature, separator);
    expect(signer.ok && signer.value).toBe(owner);
  });

  it('signed solution: both decoders agree field by field, signed by the solver', () => {
    const b = bytesOf('solution');
    const mine = decodeSolution(b);
    const theirs = decodeSignedSolution(b);
    if (!theirs.ok) throw new Error(theirs.error.reason);
    const { body, ...t } = theirs.value;
    // the two codecs name the liquidity's signed intent differently; compare it field by field
    const { liquidity: mineLiquidity, ...mineRest } = mine;
    const { liquidity: theirLiquidity, ...theirRest } = t;
    expect(theirRest).toEqual(mineRest);
    expect(theirLiquidity).toHaveLength(mineLiquidity.length);
    for (const [k, l] of mineLiquidity.entries()) {
      if (l.intent.tag !== 2) throw new Error('liquidity is a position intent');
      expect(theirLiquidity![k]).toEqual({
        intent: l.intent.position,
        signature: { scheme: l.intent.sig.scheme === 0 ? 'eoa' : 'eip1271', data: l.intent.sig.data },
        executed: l.executed,
      });
    }
    expect(mine.solver).toBe(addressOf(EXAMPLE_SOLVER_KEY));
    const signer = recoverSigner(solutionDigest(body, EXAMPLE_CHAIN_ID, EXAMPLE_SETTLEMENT), fromHex(t.signature));
    expect(signer.ok && signer.value).toBe(mine.solver);
    expect(Buffer.from(encodeSignedSolution(t)).equals(Buffer.from(b))).toBe(true);
  });

  it('sync frames: an intent frame and a cancel frame, read by both decoders', () => {
    expect(CANCEL_FRAME_TAG).toBe(CANCEL_FRAME);
    const [intentFrame] = decodeFrames(bytesOf('syncIntentFrame'));
    expect(intentFrame!.kind).toBe('intent');
    agreeIntent(bytesOf('syncIntentFrame').subarray(4));
    const raw = bytesOf('syncCancelFrame');
    const cancelFrame = decodeFrames(raw)[0];
    if (cancelFrame === undefined || cancelFrame.kind !== 'cancel') throw new Error('expected a cancel frame');
    const payload = raw.subarray(4);
    expect(payload[0]).toBe(CANCEL_FRAME_TAG);
    const c = projectDecodeCancel(payload.subarray(1, 98));
    expect(c.ok && c.value).toEqual({ intentId: cancelFrame.intentId, signature: cancelFrame.signature });
    const carried = agreeIntent(payload.subarray(98));
    expect(intentId(carried, EXAMPLE_CHAIN_ID, EXAMPLE_SETTLEMENT)).toBe(cancelFrame.intentId as Hex);
  });
});
