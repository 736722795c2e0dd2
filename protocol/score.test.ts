import fc from 'fast-check';
import type { Address, Hex } from 'viem';
import { describe, expect, it } from 'vitest';
import { limitHolds, tradeAmounts, tradeSurplus } from './clearing.ts';
import type { OptionIntent, SwapIntent } from './intent.ts';
import { compareScored, PRICE_SCALE, scoreSolution, type Auction, type AuctionIntent } from './score.ts';
import type { Solution } from './solution.ts';

const A = '0x00000000000000000000000000000000000000aa' as Address;
const B = '0x00000000000000000000000000000000000000bb' as Address;
const USD = '0x00000000000000000000000000000000000000cc' as Address;
const id = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as Hex;

const swap = (over: Partial<SwapIntent>): SwapIntent => ({
  owner: '0x0000000000000000000000000000000000000001',
  sellToken: A,
  buyToken: B,
  receiver: '0x0000000000000000000000000000000000000000',
  sellAmount: 100n,
  buyAmount: 190n,
  validTo: 1,
  nonce: 0n,
  kind: 0,
  partiallyFillable: false,
  appData: `0x${'00'.repeat(32)}`,
  ...over,
});

function auction(entries: AuctionIntent[]): Auction {
  return {
    id: 7n,
    intents: new Map(entries.map((e) => [e.id, e])),
    referencePrices: new Map([
      [A, 2n * PRICE_SCALE],
      [B, PRICE_SCALE],
      [USD, PRICE_SCALE],
    ]),
    collateralToken: USD,
  };
}

const solution = (over: Partial<Solution>): Solution => ({
  auctionId: 7n,
  solver: A,
  prices: [
    { token: A, price: 2n },
    { token: B, price: 1n },
  ],
  marketPrices: [],
  trades: [],
  interactions: [],
  ...over,
});

describe('scoreSolution', () => {
  it('values a coincidence of wants: both sides get surplus at the uniform price', () => {
    // Alice sells 100 A for >= 190 B; Bob buys 100 A paying <= 210 B. Price A = 2 B.
    const alice = { id: id(1), intent: { type: 'swap' as const, intent: swap({}) } };
    const bob = {
      id: id(2),
      intent: { type: 'swap' as const, intent: swap({ sellToken: B, buyToken: A, sellAmount: 210n, buyAmount: 100n, kind: 1 }) },
    };
    const r = scoreSolution(
      solution({
        trades: [
          { intentId: id(1), executed: 100n },
          { intentId: id(2), executed: 100n },
        ],
      }),
      auction([alice, bob]),
    );
    // Alice: gets 200 B, limit 190 -> 10 B surplus (ref 1) = 10. Bob: pays 200 B, limit 210 -> 10 B = 10.
    expect(r).toEqual({
      ok: true,
      value: {
        score: 20n,
        trades: [
          { intentId: id(1), surplus: 10n, value: 10n },
          { intentId: id(2), surplus: 10n, value: 10n },
        ],
      },
    });
  });

  it('is invariant to scaling the clearing price vector (no score inflation)', () => {
    const alice = { id: id(1), intent: { type: 'swap' as const, intent: swap({}) } };
    const s1 = scoreSolution(solution({ trades: [{ intentId: id(1), executed: 100n }] }), auction([alice]));
    const s2 = scoreSolution(
      solution({
        prices: [
          { token: A, price: 2000n },
          { token: B, price: 1000n },
        ],
        trades: [{ intentId: id(1), executed: 100n }],
      }),
      auction([alice]),
    );
    expect(s1.ok && s2.ok && s1.value.score === s2.value.score).toBe(true);
  });

  it.each([
    [
      'a violated limit',
      {
        prices: [
          { token: A, price: 18n },
          { token: B, price: 10n },
        ],
      },
      'trades[0]',
    ],
    ['a partial fill of a fill-or-kill intent', { trades: [{ intentId: id(1), executed: 50n }] }, 'trades[0]'],
    ['an intent outside the auction', { trades: [{ intentId: id(9), executed: 100n }] }, 'trades[0]'],
    ['the wrong auction', { auctionId: 8n }, 'auctionId'],
    ['a missing price', { prices: [{ token: A, price: 2n }] }, 'trades[0]'],
    [
      'an intent traded twice',
      {
        trades: [
          { intentId: id(1), executed: 100n },
          { intentId: id(1), executed: 100n },
        ],
      },
      'trades[1]',
    ],
  ])('makes %s invalid, not zero', (_n, over, field) => {
    const alice = { id: id(1), intent: { type: 'swap' as const, intent: swap({}) } };
    const s = solution({ trades: [{ intentId: id(1), executed: 100n }], ...over });
    expect(scoreSolution(s, auction([alice]))).toMatchObject({ ok: false, error: { code: 'invalid_solution', field } });
  });

  it('caps partial fills at what is left after earlier fills', () => {
    const e = { id: id(1), intent: { type: 'swap' as const, intent: swap({ partiallyFillable: true }) }, filled: 60n };
    expect(scoreSolution(solution({ trades: [{ intentId: id(1), executed: 40n }] }), auction([e])).ok).toBe(true);
    expect(scoreSolution(solution({ trades: [{ intentId: id(1), executed: 41n }] }), auction([e])).ok).toBe(false);
  });

  it('scores position intents within their limits, and rejects beyond', () => {
    const long = {
      id: id(3),
      intent: {
        type: 'position' as const,
        intent: {
          account: A,
          market: 1,
          sizeDelta: 2n * PRICE_SCALE,
          limitPrice: 3000n * PRICE_SCALE,
          reduceOnly: false,
          partiallyFillable: false,
          validTo: 1,
          nonce: 0n,
        },
      },
    };
    const at = (price: bigint) =>
      solution({ prices: [], marketPrices: [{ market: 1, price }], trades: [{ intentId: id(3), executed: 2n * PRICE_SCALE }] });
    expect(scoreSolution(at(2990n * PRICE_SCALE), auction([long]))).toMatchObject({ ok: true, value: { score: 20n * PRICE_SCALE } });
    expect(scoreSolution(at(3001n * PRICE_SCALE), auction([long]))).toMatchObject({ ok: false });
  });

  it('partially fillable positions: any part of what is left; the same account fills once per market; own liquidity adds no score', () => {
    const pos = (n: number, account: Address, sizeDelta: bigint, limitPrice: bigint, partiallyFillable: boolean, filled?: bigint) => ({
      id: id(n),
      intent: {
        type: 'position' as const,
        intent: { account, market: 1, sizeDelta, limitPrice, reduceOnly: false, partiallyFillable, validTo: 1, nonce: BigInt(n) },
      },
      ...(filled !== undefined ? { filled } : {}),
    });
    const long = pos(4, A, 3n * PRICE_SCALE, 3000n * PRICE_SCALE, true, PRICE_SCALE);
    const at = (executed: bigint, more: Partial<Solution> = {}) =>
      solution({ prices: [], marketPrices: [{ market: 1, price: 2990n * PRICE_SCALE }], trades: [{ intentId: id(4), executed }], ...more });
    // 1 of 3 already filled: 2 are left; half a unit scores at its own size
    expect(scoreSolution(at(PRICE_SCALE / 2n), auction([long]))).toMatchObject({ ok: true, value: { score: 5n * PRICE_SCALE } });
    expect(scoreSolution(at(2n * PRICE_SCALE), auction([long]))).toMatchObject({ ok: true });
    expect(scoreSolution(at(2n * PRICE_SCALE + 1n), auction([long]))).toMatchObject({ ok: false });
    // a fill-or-kill position must fill exactly
    const fok = pos(4, A, 3n * PRICE_SCALE, 3000n * PRICE_SCALE, false);
    expect(scoreSolution(at(PRICE_SCALE), auction([fok]))).toMatchObject({ ok: false });
    // one account twice in one market (here: its intent and liquidity it signs) is refused
    const liquidity = (account: Address, limitPrice: bigint) => ({
      intent: { ...fok.intent.intent, account, sizeDelta: -2n * PRICE_SCALE, limitPrice, nonce: 99n },
      signature: { scheme: 'eoa' as const, data: `0x${'11'.repeat(65)}` as Hex },
      executed: 2n * PRICE_SCALE,
    });
    expect(scoreSolution(at(PRICE_SCALE, { liquidity: [liquidity(A, 2980n * PRICE_SCALE)] }), auction([long]))).toMatchObject({
      ok: false,
      error: { field: 'liquidity[0]' },
    });
    const B = '0x00000000000000000000000000000000000000b0' as Address;
    // a market maker's short at 2,980 or better: valid, and the score is the user's surplus alone
    expect(scoreSolution(at(PRICE_SCALE, { liquidity: [liquidity(B, 2980n * PRICE_SCALE)] }), auction([long]))).toMatchObject({
      ok: true,
      value: { score: 10n * PRICE_SCALE },
    });
    // its limit binds like a user's
    expect(scoreSolution(at(PRICE_SCALE, { liquidity: [liquidity(B, 2995n * PRICE_SCALE)] }), auction([long]))).toMatchObject({
      ok: false,
    });
  });

  it('ranks by score, then by lower hash', () => {
    const xs = [
      { score: 1n, hash: '0x02' as Hex },
      { score: 5n, hash: '0x09' as Hex },
      { score: 1n, hash: '0x01' as Hex },
    ];
    expect(xs.sort(compareScored).map((x) => x.hash)).toEqual(['0x09', '0x01', '0x02']);
  });
});

describe('clearing maths', () => {
  it('never gives a user less than their pro-rata limit, whatever the prices', () => {
    const amount = fc.bigInt({ min: 1n, max: 10n ** 30n });
    fc.assert(
      fc.property(
        amount,
        amount,
        amount,
        amount,
        fc.constantFrom(0 as const, 1 as const),
        fc.bigInt({ min: 1n, max: 10n ** 30n }),
        (sellAmount, buyAmount, ps, pb, kind, part) => {
          const i = swap({ sellAmount, buyAmount, kind });
          fc.pre(limitHolds(i, ps, pb));
          const full = kind === 0 ? sellAmount : buyAmount;
          const executed = (full * ((part % 1000n) + 1n)) / 1000n || 1n;
          const amounts = tradeAmounts(i, executed, ps, pb);
          // buy/sell >= buyAmount/sellAmount, by cross-multiplication
          expect(amounts.buy * sellAmount >= buyAmount * amounts.sell).toBe(true);
          expect(tradeSurplus(i, amounts).amount >= 0n).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('scoreSolution and option intents', () => {
  const E = 10n ** 18n;
  const option = (n: number, account: Address, size: bigint, premiumLimit: bigint, over: Partial<OptionIntent> = {}): AuctionIntent => ({
    id: id(n),
    intent: {
      type: 'option',
      intent: { account, series: 3n, size, premiumLimit, reduceOnly: false, partiallyFillable: false, validTo: 1, nonce: 0n, ...over },
    },
  });
  const buyer = option(40, A, 2n * E, 120n * E);
  const seller = option(41, B, -2n * E, 90n * E);
  const premiums = [{ series: 3n, premium: 100n * E }];

  it('values a buyer at (limit - premium) x size and a seller at (premium - limit) x |size|, in collateral', () => {
    const r = scoreSolution(
      solution({
        optionPremiums: premiums,
        trades: [
          { intentId: id(40), executed: 2n * E },
          { intentId: id(41), executed: 2n * E },
        ],
      }),
      auction([buyer, seller]),
    );
    expect(r).toMatchObject({ ok: true, value: { score: 60n * E } });
    if (r.ok) expect(r.value.trades.map((t) => t.surplus)).toEqual([40n * E, 20n * E]);
  });

  it('refuses a premium beyond a limit, fills that do not net to zero, a missing premium and a fill-or-kill part', () => {
    const both = (premium: bigint, a = 2n * E, b = 2n * E) =>
      scoreSolution(
        solution({
          optionPremiums: [{ series: 3n, premium }],
          trades: [
            { intentId: id(40), executed: a },
            { intentId: id(41), executed: b },
          ],
        }),
        auction([buyer, seller]),
      );
    expect(both(121n * E)).toMatchObject({ ok: false, error: { field: 'trades[0]' } });
    expect(both(89n * E)).toMatchObject({ ok: false, error: { field: 'trades[1]' } });
    expect(both(100n * E, 2n * E, E)).toMatchObject({ ok: false, error: { field: 'trades[1]' } });
    const noPremium = scoreSolution(solution({ trades: [{ intentId: id(40), executed: 2n * E }] }), auction([buyer]));
    expect(noPremium).toMatchObject({ ok: false, error: { reason: expect.stringMatching(/no premium/) } });
    const partial = option(42, B, -3n * E, 90n * E, { partiallyFillable: true });
    const unbalanced = scoreSolution(
      solution({
        optionPremiums: premiums,
        trades: [
          { intentId: id(40), executed: 2n * E },
          { intentId: id(42), executed: 3n * E },
        ],
      }),
      auction([buyer, partial]),
    );
    expect(unbalanced).toMatchObject({ ok: false, error: { reason: expect.stringMatching(/net to/) } });
  });

  it('counts the solver own option liquidity in the net but not in the score', () => {
    const r = scoreSolution(
      solution({
        optionPremiums: premiums,
        trades: [{ intentId: id(40), executed: 2n * E }],
        optionLiquidity: [
          { intent: (seller.intent as { intent: OptionIntent }).intent, signature: { scheme: 'eip1271', data: '0x01' }, executed: 2n * E },
        ],
      }),
      auction([buyer]),
    );
    expect(r).toMatchObject({ ok: true, value: { score: 40n * E } });
  });
});
