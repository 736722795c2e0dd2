// The solver's incremental view of the open intents (solver/infra/auction-decoder.ts): consecutive
// auctions share most intents, so only new ids are parsed and hashed; what is decoded is the same
// as a fresh decode; an id that is not the intent's digest is refused whether cached or not; ids
// unseen for the kept number of auctions are evicted.
import { describe, expect, it } from 'vitest';
import { keccak256, toHex, zeroAddress, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { signSwapIntent } from '../../contracts/client/settlement.ts';
import type { AuctionResponse } from '../../protocol/api.ts';
import { intentDomain } from '../../protocol/eip712.ts';
import { intentDigest } from '../../protocol/hash.ts';
import type { SignedIntent, SwapIntent } from '../../protocol/intent.ts';
import { signedIntentToJson } from '../../protocol/json.ts';
import { AuctionDecoder, decodeAuction } from '../../solver/infra/auction-decoder.ts';

const CHAIN = 31337;
const SETTLEMENT = '0x00000000000000000000000000000000000000ee' as Address;
const A = '0x000000000000000000000000000000000000000a' as Address;
const B = '0x000000000000000000000000000000000000000b' as Address;
const owner = privateKeyToAccount(keccak256(toHex('decoder-owner')));

async function intent(nonce: bigint): Promise<{ id: Hex; signed: SignedIntent }> {
  const i: SwapIntent = {
    owner: owner.address,
    receiver: zeroAddress,
    sellToken: A,
    buyToken: B,
    sellAmount: 1000n + nonce,
    buyAmount: 900n,
    validTo: 2_000_000_000,
    nonce,
    kind: 0,
    partiallyFillable: false,
    appData: keccak256(toHex('decoder')),
  };
  const signed: SignedIntent = {
    type: 'swap',
    intent: i,
    signature: { scheme: 'eoa', data: await signSwapIntent(owner, CHAIN, SETTLEMENT, i) },
  };
  return { id: intentDigest(signed, intentDomain(CHAIN, SETTLEMENT)).toLowerCase() as Hex, signed };
}

const auction = (id: number, list: { id: Hex; signed: SignedIntent }[]): AuctionResponse => ({
  id,
  chainId: CHAIN,
  closedAt: new Date().toISOString(),
  solveDeadline: new Date().toISOString(),
  referencePrices: { [A]: '1000000000000000000', [B]: '1000000000000000000' },
  intents: list.map((x) => ({ id: x.id, signedIntent: signedIntentToJson(x.signed) })),
  solutions: 0,
  ranking: null,
});

describe('AuctionDecoder', () => {
  it('decodes only new intents, agrees with a fresh decode, refuses a wrong id, evicts old ids', async () => {
    const all = await Promise.all([0n, 1n, 2n, 3n, 4n].map(intent));
    const d = new AuctionDecoder(CHAIN, SETTLEMENT, 2);
    const first = d.decode(auction(1, all.slice(0, 3)));
    expect(first.stats).toMatchObject({ intents: 3, decoded: 3, cached: 0 });
    const second = d.decode(auction(2, all.slice(1, 5)));
    expect(second.stats).toMatchObject({ intents: 4, decoded: 2, cached: 2 });
    const fresh = decodeAuction(auction(2, all.slice(1, 5)), CHAIN, SETTLEMENT);
    expect([...second.decoded.auction.intents.keys()]).toEqual([...fresh.auction.intents.keys()]);
    expect([...second.decoded.signed.values()]).toEqual([...fresh.signed.values()]);
    // an id that is not the digest of what it carries: refused on first sight, and still when seen again
    const forged = auction(3, [{ id: all[0]!.id, signed: all[4]!.signed }]);
    expect(d.decode(forged).decoded.auction.intents.size).toBe(0);
    // all[0] was last seen in auction 1 and the decoder keeps 2 auctions: evicted by now
    expect(d.size).toBeLessThanOrEqual(5);
    const again = d.decode(auction(4, [all[0]!]));
    expect(again.stats.decoded).toBe(1);
    expect(again.decoded.auction.intents.has(all[0]!.id)).toBe(true);
  });

  it('decodes option intents with a correct id, and refuses one whose id is not its digest', async () => {
    const swap = await intent(9n);
    const option: SignedIntent = {
      type: 'option',
      intent: {
        account: owner.address.toLowerCase() as Address,
        series: 1n,
        size: 10n ** 18n,
        premiumLimit: 5n,
        reduceOnly: false,
        partiallyFillable: false,
        validTo: 2_000_000_000,
        nonce: 1n,
      },
      signature: { scheme: 'eoa', data: `0x${'11'.repeat(65)}` },
    };
    const optionId = intentDigest(option, intentDomain(CHAIN, SETTLEMENT)).toLowerCase() as Hex;
    const { auction: a, signed } = decodeAuction(auction(1, [swap, { id: optionId, signed: option }]), CHAIN, SETTLEMENT);
    expect([...a.intents.keys()]).toEqual([swap.id, optionId]);
    expect(signed.get(optionId)).toEqual(option);
    const forged = decodeAuction(auction(2, [{ id: swap.id, signed: option }]), CHAIN, SETTLEMENT);
    expect(forged.auction.intents.size).toBe(0);
  });
});
