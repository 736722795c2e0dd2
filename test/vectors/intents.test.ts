import { readFileSync } from 'node:fs';
import { hashTypedData, recoverTypedDataAddress, type Hex } from 'viem';
import { describe, expect, it } from 'vitest';
import {
  decodeSignedIntent,
  domainSeparator,
  encodeSignedIntent,
  parseSignedIntentJson,
  optionIntentTypes,
  positionIntentTypes,
  swapIntentTypes,
  toHex,
  verifySignedIntent,
} from '../../protocol/index.ts';
import { serializeVectors, VECTORS_PATH } from './generate.ts';

type Vector = { intent: Record<string, unknown>; structHash: Hex; digest: Hex; signature: Hex; signer: Hex };
const file = readFileSync(VECTORS_PATH, 'utf8');
const vectors = JSON.parse(file) as { domain: any; domainSeparator: Hex; swap: Vector[]; position: Vector[]; option: Vector[] };
const TYPES = {
  swap: { types: swapIntentTypes, primaryType: 'SwapIntent' },
  position: { types: positionIntentTypes, primaryType: 'PositionIntent' },
  option: { types: optionIntentTypes, primaryType: 'OptionIntent' },
} as const;

describe('shared intent test vectors', () => {
  it('are what protocol/ computes today (regenerate with node test/vectors/generate.ts)', () => {
    expect(file).toBe(serializeVectors());
  });

  for (const type of ['swap', 'position', 'option'] as const) {
    it(`${type} vectors agree with viem's hashTypedData and recoverTypedDataAddress`, async () => {
      expect(vectors[type].length).toBeGreaterThan(2);
      for (const v of vectors[type]) {
        const parsed = parseSignedIntentJson({ type, intent: v.intent, signature: { scheme: 'eoa', data: v.signature } });
        if (!parsed.ok) throw new Error(JSON.stringify(parsed.error));
        expect(parsed.value.type).toBe(type);
        const typed = { domain: vectors.domain, ...TYPES[type], message: parsed.value.intent };
        expect(hashTypedData(typed as Parameters<typeof hashTypedData>[0])).toBe(v.digest);
        const signer = await recoverTypedDataAddress({ ...(typed as Parameters<typeof hashTypedData>[0]), signature: v.signature });
        expect(signer.toLowerCase()).toBe(v.signer);
        // The full node path accepts it too (times chosen so no vector is expired), after a codec round trip.
        const wire = decodeSignedIntent(encodeSignedIntent(parsed.value));
        if (!wire.ok) throw new Error(JSON.stringify(wire.error));
        const verified = verifySignedIntent(wire.value, { now: 0, domainSeparator: domainSeparator(vectors.domain) });
        expect(verified).toMatchObject({ ok: true, value: { digest: v.digest } });
      }
      expect(toHex(domainSeparator(vectors.domain))).toBe(vectors.domainSeparator);
    });
  }
});
