import { privateKeyToAccount } from 'viem/accounts';
import { recoverTypedDataAddress } from 'viem';
import { describe, expect, it } from 'vitest';
import { intentDomain, swapIntentTypes, positionIntentTypes } from './eip712.ts';
import { domainSeparator, intentDigest } from './hash.ts';
import type { PositionIntent, SignedIntent, SwapIntent } from './intent.ts';
import { nativeRecoverer } from './recover-native.ts';
import { malleate, signDigest } from './signature.ts';
import { fromHex } from './bytes.ts';
import { verifySignedIntent, type VerifyOptions } from './verify.ts';

const KEY = '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba';
const OTHER = '0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e';
const alice = privateKeyToAccount(KEY);
const settlement = '0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0';
const domain = intentDomain(31337, settlement);
const NOW = 1_800_000_000;

const swap: SwapIntent = {
  owner: alice.address.toLowerCase() as `0x${string}`,
  sellToken: '0x5fbdb2315678afecb367f032d93f642f64180aa3',
  buyToken: '0xe7f1725e7734ce288f8367e1bb143e90bb3f0512',
  receiver: '0x0000000000000000000000000000000000000000',
  sellAmount: 10n ** 18n,
  buyAmount: 3000n * 10n ** 6n,
  validTo: NOW + 600,
  nonce: 1n,
  kind: 0,
  partiallyFillable: false,
  appData: `0x${'00'.repeat(32)}`,
};
const position: PositionIntent = {
  account: swap.owner,
  market: 1,
  sizeDelta: -2n * 10n ** 18n,
  limitPrice: 2900n * 10n ** 18n,
  reduceOnly: false,
  partiallyFillable: false,
  validTo: NOW + 600,
  nonce: 2n,
};

const opts: VerifyOptions = { now: NOW, domainSeparator: domainSeparator(domain) };

async function signSwap(intent: SwapIntent, d = domain, account = alice): Promise<SignedIntent> {
  const data = await account.signTypedData({ domain: d, types: swapIntentTypes, primaryType: 'SwapIntent', message: intent });
  return { type: 'swap', intent, signature: { scheme: 'eoa', data } };
}

function expectError(signed: SignedIntent, code: string, field?: string, o: VerifyOptions = opts) {
  const r = verifySignedIntent(signed, o);
  expect(r.ok).toBe(false);
  if (!r.ok) {
    expect(r.error.code).toBe(code);
    if (field) expect(r.error.field).toBe(field);
  }
}

describe('verifySignedIntent', () => {
  it('accepts an intent a viem wallet signed, with the EIP-712 digest as its id', async () => {
    const signed = await signSwap(swap);
    const r = verifySignedIntent(signed, opts);
    expect(r).toEqual({ ok: true, value: { digest: intentDigest(signed, domain), owner: swap.owner, needsChainCheck: false } });
    // and viem agrees on who signed it
    const recovered = await recoverTypedDataAddress({
      domain,
      types: swapIntentTypes,
      primaryType: 'SwapIntent',
      message: swap,
      signature: signed.signature.data,
    });
    expect(recovered).toBe(alice.address);
  });

  it('accepts position intents, and uses the native recoverer identically', async () => {
    const data = await alice.signTypedData({ domain, types: positionIntentTypes, primaryType: 'PositionIntent', message: position });
    const signed: SignedIntent = { type: 'position', intent: position, signature: { scheme: 'eoa', data } };
    const native = nativeRecoverer();
    expect(native).toBeDefined();
    expect(verifySignedIntent(signed, { ...opts, recoverer: native })).toEqual(verifySignedIntent(signed, opts));
    expect(verifySignedIntent(signed, opts).ok).toBe(true);
  });

  it('rejects a signature for another chain id or another settlement contract', async () => {
    expectError(await signSwap(swap, intentDomain(1, settlement)), 'wrong_signer', 'signature');
    expectError(await signSwap(swap, intentDomain(31337, '0x0000000000000000000000000000000000000001')), 'wrong_signer');
  });

  it('rejects a signature by someone other than the owner', async () => {
    expectError(await signSwap(swap, domain, privateKeyToAccount(OTHER)), 'wrong_signer');
  });

  it('rejects the high-s twin of a valid signature', async () => {
    const signed = await signSwap(swap);
    const twin: SignedIntent = { ...signed, signature: { scheme: 'eoa', data: malleate(signed.signature.data) } };
    expectError(twin, 'high_s', 'signature.s');
  });

  it('rejects garbage signatures with a reason', async () => {
    const signed = await signSwap(swap);
    const bytes = fromHex(signed.signature.data);
    bytes[64] = 29;
    expectError(
      { ...signed, signature: { scheme: 'eoa', data: `0x${Buffer.from(bytes).toString('hex')}` } },
      'bad_signature',
      'signature.v',
    );
    expectError({ ...signed, signature: { scheme: 'eoa', data: `0x${'00'.repeat(64)}1b` } }, 'bad_signature', 'signature.r');
  });

  it('rejects expired and over-long intents', async () => {
    expectError(await signSwap({ ...swap, validTo: NOW - 1 }), 'expired', 'intent.validTo');
    expectError(await signSwap({ ...swap, validTo: NOW + 7200 }), 'out_of_range', 'intent.validTo', { ...opts, maxValiditySeconds: 3600 });
  });

  it('rejects zero amounts and identical tokens before recovering anything', async () => {
    expectError(await signSwap({ ...swap, sellAmount: 0n }), 'zero_amount', 'intent.sellAmount');
    expectError(await signSwap({ ...swap, buyAmount: 0n }), 'zero_amount', 'intent.buyAmount');
    expectError(await signSwap({ ...swap, buyToken: swap.sellToken }), 'same_token', 'intent.buyToken');
    const p: SignedIntent = {
      type: 'position',
      intent: { ...position, sizeDelta: 0n },
      signature: { scheme: 'eoa', data: signDigest(new Uint8Array(32), KEY) },
    };
    expectError(p, 'zero_amount', 'intent.sizeDelta');
  });

  it('marks contract-wallet signatures as needing a chain check', async () => {
    const signed: SignedIntent = { type: 'swap', intent: swap, signature: { scheme: 'eip1271', data: '0xdeadbeef' } };
    const r = verifySignedIntent(signed, opts);
    expect(r).toMatchObject({ ok: true, value: { needsChainCheck: true, owner: swap.owner } });
  });

  it('signDigest produces what viem produces', async () => {
    const signed = await signSwap(swap);
    const ours = signDigest(intentDigest(signed, domain), KEY);
    expect(ours).toBe(signed.signature.data);
  });
});
