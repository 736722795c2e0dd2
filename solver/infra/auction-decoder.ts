// The node's auction (protocol/api.ts AuctionResponse) decoded into the protocol's Auction, which
// the engine solves, plus the signed intents by id, which settle needs.
import type { Address, Hex } from 'viem';
import type { AuctionResponse } from '../../protocol/api.ts';
import { intentDomain } from '../../protocol/eip712.ts';
import { intentDigest } from '../../protocol/hash.ts';
import type { SignedIntent } from '../../protocol/intent.ts';
import { parseSignedIntentJson } from '../../protocol/json.ts';
import type { Auction, AuctionIntent } from '../../protocol/score.ts';
import { lower } from '../domain/address.ts';

/** Intents that do not parse, or whose id is not their digest under our domain, are left out. */
export function decodeAuction(
  a: AuctionResponse,
  chainId: number,
  settlement: Address,
): { auction: Auction; signed: Map<Hex, SignedIntent> } {
  const intents = new Map<Hex, AuctionIntent>();
  const signed = new Map<Hex, SignedIntent>();
  const domain = intentDomain(chainId, settlement);
  for (const e of a.intents) {
    const parsed = parseSignedIntentJson(e.signedIntent);
    if (!parsed.ok) continue;
    const id = e.id.toLowerCase() as Hex;
    // never trust the id blindly: it must be the intent's digest under our domain
    if (intentDigest(parsed.value, domain).toLowerCase() !== id) continue;
    signed.set(id, parsed.value);
    intents.set(id, { id, intent: parsed.value, ...(e.filled ? { filled: BigInt(e.filled) } : {}) });
  }
  const referencePrices = new Map<Address, bigint>(Object.entries(a.referencePrices).map(([t, p]) => [lower(t), BigInt(p)]));
  return { auction: { id: BigInt(a.id), intents, referencePrices }, signed };
}
