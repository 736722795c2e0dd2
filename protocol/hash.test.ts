import fc from 'fast-check';
import { hashDomain, hashTypedData } from 'viem';
import { describe, expect, it } from 'vitest';
import { toHex } from './bytes.ts';
import { intentDomain, positionIntentTypes, swapIntentTypes } from './eip712.ts';
import { domainSeparator, intentDigest } from './hash.ts';
import { arbAddress, arbPositionIntent, arbSwapIntent } from '../test/helpers/arbitraries.ts';

describe('EIP-712 hashing', () => {
  it('equals viem hashTypedData for any swap intent and domain', () => {
    fc.assert(
      fc.property(arbSwapIntent(), fc.integer({ min: 1, max: 2 ** 40 }), arbAddress(), (intent, chainId, contract) => {
        const domain = intentDomain(chainId, contract);
        const expected = hashTypedData({ domain, types: swapIntentTypes, primaryType: 'SwapIntent', message: intent });
        expect(intentDigest({ type: 'swap', intent }, domain)).toBe(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('equals viem hashTypedData for any position intent, negative sizes included', () => {
    fc.assert(
      fc.property(arbPositionIntent(), arbAddress(), (intent, contract) => {
        const domain = intentDomain(31337, contract);
        const expected = hashTypedData({ domain, types: positionIntentTypes, primaryType: 'PositionIntent', message: intent });
        expect(intentDigest({ type: 'position', intent }, domain)).toBe(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('binds the digest to the chain id and the settlement contract', () => {
    const intent = fc.sample(arbSwapIntent(), 1)[0]!;
    const a = '0x1111111111111111111111111111111111111111';
    const b = '0x2222222222222222222222222222222222222222';
    const base = intentDigest({ type: 'swap', intent }, intentDomain(1, a));
    expect(intentDigest({ type: 'swap', intent }, intentDomain(2, a))).not.toBe(base);
    expect(intentDigest({ type: 'swap', intent }, intentDomain(1, b))).not.toBe(base);
    const domainTypes = {
      EIP712Domain: [
        { name: 'name', type: 'string' },
        { name: 'version', type: 'string' },
        { name: 'chainId', type: 'uint256' },
        { name: 'verifyingContract', type: 'address' },
      ],
    } as const;
    const viemSeparator = hashDomain({ domain: { ...intentDomain(1, a), chainId: 1n }, types: domainTypes });
    expect(toHex(domainSeparator(intentDomain(1, a)))).toBe(viemSeparator);
  });
});
