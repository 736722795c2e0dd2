// The node's auction (protocol/api.ts AuctionResponse) decoded into the protocol's Auction, which
// the engine solves, plus the signed intents by id, which settle needs.
//
// AuctionDecoder keeps what it decoded and verified across auctions: consecutive auctions share
// most of their open intents, so each auction only parses and hashes the intents it has not seen
// (an intent's id is its EIP-712 digest, so one id always names the same intent; its signature is
// compared as text). Ids absent from the last `keepAuctions` auctions are evicted.
import type { Address, Hex } from 'viem';
import type { AuctionResponse } from '../../protocol/api.ts';
import { intentDomain } from '../../protocol/eip712.ts';
import { intentDigest } from '../../protocol/hash.ts';
import type { SignedIntent } from '../../protocol/intent.ts';
import { parseSignedIntentJson } from '../../protocol/json.ts';
import type { Auction, AuctionIntent } from '../../protocol/score.ts';
import { lower } from '../domain/address.ts';

type Decoded = { auction: Auction; signed: Map<Hex, SignedIntent> };

/** Intents that do not parse, or whose id is not their digest under our domain, are left out. */
export function decodeAuction(a: AuctionResponse, chainId: number, settlement: Address): Decoded {
  return new AuctionDecoder(chainId, settlement).decode(a).decoded;
}

type CacheEntry = { signature: string; signed: SignedIntent | undefined; seen: number };

export type DecodeStats = { intents: number; decoded: number; cached: number; evicted: number };

export class AuctionDecoder {
  private readonly chainId: number;
  private readonly settlement: Address;
  private readonly keepAuctions: number;
  private readonly cache = new Map<Hex, CacheEntry>();
  /** Auctions decoded so far: the clock of `seen`. */
  private count = 0;

  constructor(chainId: number, settlement: Address, keepAuctions = 4) {
    this.chainId = chainId;
    this.settlement = settlement;
    this.keepAuctions = keepAuctions;
  }

  get size(): number {
    return this.cache.size;
  }

  decode(a: AuctionResponse): { decoded: Decoded; stats: DecodeStats } {
    const now = ++this.count;
    const intents = new Map<Hex, AuctionIntent>();
    const signed = new Map<Hex, SignedIntent>();
    const domain = intentDomain(this.chainId, this.settlement);
    let decoded = 0;
    let cached = 0;
    for (const e of a.intents) {
      const id = e.id.toLowerCase() as Hex;
      const signature = JSON.stringify(e.signedIntent.signature ?? null);
      let entry = this.cache.get(id);
      if (entry && entry.signature === signature) cached++;
      else {
        decoded++;
        const parsed = parseSignedIntentJson(e.signedIntent);
        // never trust the id blindly: it must be the intent's digest under our domain
        const ok = parsed.ok && intentDigest(parsed.value, domain).toLowerCase() === id;
        entry = { signature, signed: ok ? parsed.value : undefined, seen: now };
        this.cache.set(id, entry);
      }
      entry.seen = now;
      if (!entry.signed) continue;
      signed.set(id, entry.signed);
      intents.set(id, { id, intent: entry.signed, ...(e.filled ? { filled: BigInt(e.filled) } : {}) });
    }
    let evicted = 0;
    for (const [id, entry] of this.cache)
      if (now - entry.seen >= this.keepAuctions) {
        this.cache.delete(id);
        evicted++;
      }
    const referencePrices = new Map<Address, bigint>(Object.entries(a.referencePrices).map(([t, p]) => [lower(t), BigInt(p)]));
    return {
      decoded: { auction: { id: BigInt(a.id), intents, referencePrices }, signed },
      stats: { intents: a.intents.length, decoded, cached, evicted },
    };
  }
}
