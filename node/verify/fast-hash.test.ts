// The node's native-keccak digest and recoverer agree with protocol/ on arbitrary intents.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { intentDomain } from '../../protocol/eip712.ts';
import { domainSeparator, intentDigestBytes } from '../../protocol/hash.ts';
import { nobleRecoverer, parseEoaSignature, signDigest } from '../../protocol/signature.ts';
import { fromHex } from '../../protocol/bytes.ts';
import { arbSignedIntent } from '../../test/helpers/arbitraries.ts';
import { fastRecoverer, hasNativeKeccak, intentDigestFromBytes, keccak256Fast } from './fast-hash.ts';
import { encodeSignedIntent } from '../../protocol/codec.ts';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { testKey } from '../../test/helpers/node.ts';

const sep = domainSeparator(intentDomain(31337, '0x5e77e5e77e5e77e5e77e5e77e5e77e5e77e5e77e'));

describe('fast hashing', () => {
  it('loads the native keccak here', () => {
    expect(hasNativeKeccak).toBe(true);
  });

  it('keccak256Fast equals @noble/hashes on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
        expect(keccak256Fast(b)).toEqual(keccak_256(b));
      }),
      { numRuns: 300 },
    );
  });

  it('intentDigestFromBytes (straight from the canonical encoding) equals protocol intentDigestBytes', () => {
    fc.assert(
      fc.property(arbSignedIntent(), (s) => {
        expect(intentDigestFromBytes(encodeSignedIntent(s), sep)).toEqual(intentDigestBytes(s, sep));
      }),
      { numRuns: 500 },
    );
  });

  it('fastRecoverer recovers the same signer as noble', () => {
    const rec = fastRecoverer()!;
    for (let k = 1; k < 30; k++) {
      const digest = keccak_256(new Uint8Array([k]));
      const sig = parseEoaSignature(fromHex(signDigest(digest, testKey(k))));
      if (!sig.ok) throw new Error(sig.error.reason);
      expect(rec(digest, sig.value)).toEqual(nobleRecoverer(digest, sig.value));
    }
  });
});
