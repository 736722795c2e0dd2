// fast-check generators for protocol values, shared by every module's property tests.
import fc from 'fast-check';
import type { Address, Hex } from 'viem';
import { toHex } from '../../protocol/bytes.ts';
import {
  MAX_OPTION_SIZE,
  type IntentSignature,
  type OptionIntent,
  type PositionIntent,
  type SignedIntent,
  type SwapIntent,
} from '../../protocol/intent.ts';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => toHex(b));

export const arbAddress = (): fc.Arbitrary<Address> => bytes(20) as fc.Arbitrary<Address>;
export const arbBytes32 = (): fc.Arbitrary<Hex> => bytes(32);
export const arbUint256 = (): fc.Arbitrary<bigint> => fc.bigInt({ min: 0n, max: (1n << 256n) - 1n });
export const arbInt256 = (): fc.Arbitrary<bigint> => fc.bigInt({ min: -(1n << 255n), max: (1n << 255n) - 1n });
export const arbUint32 = (): fc.Arbitrary<number> => fc.integer({ min: 0, max: 0xffffffff });

export const arbSwapIntent = (): fc.Arbitrary<SwapIntent> =>
  fc.record({
    owner: arbAddress(),
    sellToken: arbAddress(),
    buyToken: arbAddress(),
    receiver: arbAddress(),
    sellAmount: arbUint256(),
    buyAmount: arbUint256(),
    validTo: arbUint32(),
    nonce: arbUint256(),
    kind: fc.constantFrom(0 as const, 1 as const),
    partiallyFillable: fc.boolean(),
    appData: arbBytes32(),
  });

export const arbPositionIntent = (): fc.Arbitrary<PositionIntent> =>
  fc.record({
    account: arbAddress(),
    market: arbUint32(),
    sizeDelta: arbInt256(),
    limitPrice: arbUint256(),
    reduceOnly: fc.boolean(),
    partiallyFillable: fc.boolean(),
    validTo: arbUint32(),
    nonce: arbUint256(),
  });

/** Valid option intents only (series != 0, 0 < |size| <= MAX_OPTION_SIZE): the codec refuses others. */
export const arbOptionIntent = (): fc.Arbitrary<OptionIntent> =>
  fc.record({
    account: arbAddress(),
    series: fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }),
    size: fc.oneof(fc.bigInt({ min: 1n, max: MAX_OPTION_SIZE }), fc.bigInt({ min: -MAX_OPTION_SIZE, max: -1n })),
    premiumLimit: arbUint256(),
    reduceOnly: fc.boolean(),
    partiallyFillable: fc.boolean(),
    validTo: arbUint32(),
    nonce: arbUint256(),
  });

export const arbSignature = (): fc.Arbitrary<IntentSignature> =>
  fc.oneof(
    bytes(65).map((data) => ({ scheme: 'eoa' as const, data })),
    fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => ({ scheme: 'eip1271' as const, data: toHex(b) })),
  );

export const arbSignedIntent = (): fc.Arbitrary<SignedIntent> =>
  fc.oneof(
    fc.record({ type: fc.constant('swap' as const), intent: arbSwapIntent(), signature: arbSignature() }),
    fc.record({ type: fc.constant('position' as const), intent: arbPositionIntent(), signature: arbSignature() }),
    fc.record({ type: fc.constant('option' as const), intent: arbOptionIntent(), signature: arbSignature() }),
  );
