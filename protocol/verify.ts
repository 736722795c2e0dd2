// Everything that can be checked about a signed intent without the chain: field rules, expiry,
// and the signature against this chain's domain. Contract-wallet (EIP-1271) signatures are
// returned as needing a chain check: only the owner contract can say whether they are valid.
import type { Address, Hex } from 'viem';
import { fromHex, toHex, ZERO_ADDRESS } from './bytes.ts';
import { checkOptionIntentBounds } from './codec.ts';
import type { Intent, SignedIntent } from './intent.ts';
import { intentDigestBytes } from './hash.ts';
import { fail, ok, type Result } from './result.ts';
import { nobleRecoverer, recoverSigner, type Recoverer } from './signature.ts';

export type IntentRules = {
  /** Current unix time in seconds: an intent with validTo < now is expired. */
  now: number;
  /** Longest accepted lifetime in seconds (validTo - now); longer ones are refused as over-limit. */
  maxValiditySeconds?: number;
};

/** Field rules every intent must meet before anyone spends a signature recovery on it. */
export function checkIntentFields(i: Intent, rules: IntentRules): Result<Intent> {
  const validTo = i.intent.validTo;
  if (validTo < rules.now) return fail('expired', 'intent.validTo', `expired at ${validTo}, now ${rules.now}`);
  if (rules.maxValiditySeconds !== undefined && validTo - rules.now > rules.maxValiditySeconds) {
    return fail('out_of_range', 'intent.validTo', `more than ${rules.maxValiditySeconds}s in the future`);
  }
  if (i.type === 'swap') {
    const s = i.intent;
    if (s.owner === ZERO_ADDRESS) return fail('out_of_range', 'intent.owner', 'owner is the zero address');
    if (s.sellToken === ZERO_ADDRESS) return fail('out_of_range', 'intent.sellToken', 'token is the zero address');
    if (s.buyToken === ZERO_ADDRESS) return fail('out_of_range', 'intent.buyToken', 'token is the zero address');
    if (s.sellToken.toLowerCase() === s.buyToken.toLowerCase()) {
      return fail('same_token', 'intent.buyToken', 'sell and buy token are the same');
    }
    if (s.sellAmount === 0n) return fail('zero_amount', 'intent.sellAmount', 'sell amount is zero');
    if (s.buyAmount === 0n) return fail('zero_amount', 'intent.buyAmount', 'buy amount is zero');
  } else if (i.type === 'option') {
    const o = i.intent;
    if (o.account === ZERO_ADDRESS) return fail('out_of_range', 'intent.account', 'account is the zero address');
    const bounds = checkOptionIntentBounds(o);
    if (!bounds.ok) return bounds;
  } else {
    const p = i.intent;
    if (p.account === ZERO_ADDRESS) return fail('out_of_range', 'intent.account', 'account is the zero address');
    if (p.sizeDelta === 0n) return fail('zero_amount', 'intent.sizeDelta', 'size delta is zero');
    if (p.limitPrice === 0n) return fail('zero_amount', 'intent.limitPrice', 'limit price is zero');
  }
  return ok(i);
}

export const intentOwner = (i: Intent): Address => (i.type === 'swap' ? i.intent.owner : i.intent.account);

export type VerifiedIntent = {
  /** EIP-712 digest: the intent's id. */
  digest: Hex;
  owner: Address;
  /** True for EIP-1271 signatures: valid only once the owner contract accepts them on chain. */
  needsChainCheck: boolean;
};

export type VerifyOptions = IntentRules & {
  /** The domain separator of this chain's settlement contract (hash.ts `domainSeparator`). */
  domainSeparator: Uint8Array;
  recoverer?: Recoverer;
};

/**
 * Field rules, then the digest under this chain's domain, then the signature. A signature made
 * for another chain id or settlement contract signs another digest, so it recovers someone other
 * than the owner and fails as `wrong_signer`.
 */
export function verifySignedIntent(signed: SignedIntent, opts: VerifyOptions): Result<VerifiedIntent> {
  const fields = checkIntentFields(signed, opts);
  if (!fields.ok) return fields;
  const digestBytes = intentDigestBytes(signed, opts.domainSeparator);
  const digest = toHex(digestBytes);
  const owner = intentOwner(signed).toLowerCase() as Address;
  if (signed.signature.scheme === 'eip1271') return ok({ digest, owner, needsChainCheck: true });
  const signer = recoverSigner(digestBytes, fromHex(signed.signature.data), opts.recoverer ?? nobleRecoverer);
  if (!signer.ok) return signer;
  if (signer.value !== owner) {
    return fail('wrong_signer', 'signature', `signed by ${signer.value}, not the owner ${owner}, under this chain's domain`);
  }
  return ok({ digest, owner, needsChainCheck: false });
}
