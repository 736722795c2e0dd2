import type { Address, Hex } from 'viem';
import { describe, expect, it } from 'vitest';
import type { OptionIntent } from '../../protocol/intent.ts';
import { type AuctionIntent, PRICE_SCALE, scoreSolution, type Auction } from '../../protocol/score.ts';
import { clearOptions, holdingKey, optionSourceDemand, wholeOptionSeries, type ClearOptionsInput } from './option-clearing.ts';

const E = 10n ** 18n;
const USD = '0x00000000000000000000000000000000000000cc' as Address;
const id = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as Hex;
const acct = (n: number) => `0x${n.toString(16).padStart(40, '0')}` as Address;

function option(n: number, size: bigint, premiumLimit: bigint, over: Partial<OptionIntent> = {}): AuctionIntent {
  return {
    id: id(n),
    intent: {
      type: 'option',
      intent: {
        account: acct(n),
        series: 7n,
        size,
        premiumLimit,
        reduceOnly: false,
        partiallyFillable: false,
        validTo: 10_000,
        nonce: 0n,
        ...over,
      },
    },
  };
}

const auction = (entries: AuctionIntent[]): Auction => ({
  id: 1n,
  intents: new Map(entries.map((e) => [e.id, e])),
  referencePrices: new Map([[USD, PRICE_SCALE]]),
  collateralToken: USD,
});

const input = (entries: AuctionIntent[], over: Partial<ClearOptionsInput> = {}): ClearOptionsInput => ({
  auction: auction(entries),
  series: new Map([
    [7n, { market: 1 }],
    [8n, { market: 1 }],
  ]),
  holdings: new Map(),
  now: 1000,
  ...over,
});

/** The clearing as a solution, scored by the nodes' rule (limits, net zero per series, sizes). */
function scored(entries: AuctionIntent[], over: Partial<ClearOptionsInput> = {}) {
  const c = clearOptions(input(entries, over));
  const s = scoreSolution(
    { auctionId: 1n, solver: USD, prices: [], marketPrices: [], trades: c.trades, optionPremiums: c.optionPremiums, interactions: [] },
    auction(entries),
  );
  return { c, s };
}

describe('option clearing', () => {
  it('crosses a buyer and a seller at the midpoint of their limits, one premium per series', () => {
    const { c, s } = scored([option(1, 2n * E, 120n * E), option(2, -2n * E, 100n * E)]);
    expect(c.optionPremiums).toEqual([{ series: 7n, premium: 110n * E }]);
    expect(c.trades).toEqual([
      { intentId: id(1), executed: 2n * E },
      { intentId: id(2), executed: 2n * E },
    ]);
    expect(s).toMatchObject({ ok: true, value: { score: 40n * E } });
  });

  it('leaves a series alone when the limits do not cross, and clears each series apart', () => {
    expect(clearOptions(input([option(1, E, 90n * E), option(2, -E, 100n * E)])).trades).toEqual([]);
    const { c, s } = scored([
      option(1, E, 90n * E, { series: 8n }),
      option(2, -E, 80n * E, { series: 8n }),
      option(3, E, 50n * E),
      option(4, -E, 30n * E),
    ]);
    expect(c.optionPremiums).toEqual([
      { series: 7n, premium: 40n * E },
      { series: 8n, premium: 85n * E },
    ]);
    expect(s.ok).toBe(true);
  });

  it('fills a partially fillable side to what the fill-or-kill side takes, never a fill-or-kill in part', () => {
    const partialSeller = option(2, -5n * E, 100n * E, { partiallyFillable: true });
    const { c, s } = scored([option(1, 3n * E, 120n * E), partialSeller]);
    expect(c.trades).toEqual([
      { intentId: id(1), executed: 3n * E },
      { intentId: id(2), executed: 3n * E },
    ]);
    expect(s.ok).toBe(true);
    // two fill-or-kill sizes that cannot meet: nothing
    expect(clearOptions(input([option(1, 3n * E, 120n * E), option(2, -5n * E, 100n * E)])).trades).toEqual([]);
    // the volume-maximising subset: the 2 and 3 buyers against the 5 seller
    const { c: c3, s: s3 } = scored([
      option(1, 3n * E, 120n * E),
      option(3, 2n * E, 110n * E),
      option(4, 4n * E, 130n * E),
      option(2, -5n * E, 100n * E),
    ]);
    expect(c3.trades.map((t) => t.intentId).sort()).toEqual([id(1), id(2), id(3)].sort());
    expect(s3.ok).toBe(true);
  });

  it('clamps reduce-only intents to the opposite holding and clears only reductions in a halted series', () => {
    const closer = option(1, -3n * E, 50n * E, { reduceOnly: true, partiallyFillable: true });
    const buyer = option(2, 5n * E, 80n * E, { partiallyFillable: true });
    const holdings = new Map([[holdingKey(acct(1), 7n), 2n * E]]);
    const { c, s } = scored([closer, buyer], { holdings });
    expect(c.trades).toContainEqual({ intentId: id(1), executed: 2n * E });
    expect(s.ok).toBe(true);
    // no holding on the other side: left out
    expect(clearOptions(input([closer, buyer])).trades).toEqual([]);
    // halted: the buyer opens risk and waits; a reduce-only pair still clears
    const halted = new Map([[7n, { market: 1, halted: true }]]);
    expect(clearOptions(input([closer, buyer], { holdings, series: halted })).trades).toEqual([]);
    const closingBuyer = option(3, E, 80n * E, { reduceOnly: true });
    const both = new Map([...holdings, [holdingKey(acct(3), 7n), -E]]);
    expect(clearOptions(input([closer, closingBuyer], { holdings: both, series: halted })).trades).toHaveLength(2);
  });

  it('takes a source quote for what peers leave unmatched, priced best for the traders within its quote', () => {
    const lone = option(1, 2n * E, 120n * E);
    expect(optionSourceDemand(input([lone]))).toEqual(new Map([[7n, -2n * E]]));
    const quotes = new Map([[7n, { sizeDelta: -2n * E, premium: 101n * E }]]);
    const { c, s } = scored([lone], { quotes });
    // the source's fill is not an auction trade: scored alone the net is off; add it as liquidity
    expect(s.ok).toBe(false);
    expect(c.optionPremiums).toEqual([{ series: 7n, premium: 101n * E }]);
    expect(c.sourceTrades).toEqual([{ series: 7n, sizeDelta: -2n * E, premiumLimit: 101n * E }]);
    // above the buyer's limit: no fill
    expect(clearOptions(input([lone], { quotes: new Map([[7n, { sizeDelta: -2n * E, premium: 121n * E }]]) })).trades).toEqual([]);
  });

  it("opens no more series for an account than the book's 4 allow, and an unfilled intent holds no slot", () => {
    const series = new Map([7n, 8n, 9n].map((k) => [k, { market: 1 }]));
    // account 1 holds 3 series (1, 2, 3): one free slot; it buys series 7 and 8 from two sellers
    const held = new Map([[acct(1).toLowerCase(), new Set([1n, 2n, 3n])]]);
    const buy7 = option(1, E, 50n * E, { series: 7n });
    const buy8 = { ...option(1, E, 50n * E, { series: 8n, nonce: 1n }), id: id(11) };
    const sell7 = option(2, -E, 40n * E, { series: 7n });
    const sell8 = option(3, -E, 40n * E, { series: 8n });
    const c = clearOptions(input([buy7, buy8, sell7, sell8], { series, openSeries: held }));
    // one of the two fills (the earlier series), its seller with it; the other waits
    expect(c.trades.map((t) => t.intentId).sort()).toEqual([id(1), id(2)].sort());
    expect(c.optionPremiums.map((p) => p.series)).toEqual([7n]);
    // without the bound both would fill (the book would revert the batch: a fifth series)
    expect(clearOptions(input([buy7, buy8, sell7, sell8], { series })).trades).toHaveLength(4);
    // series 7 has no seller: its intent does not keep series 8 from the free slot
    expect(
      clearOptions(input([buy7, buy8, sell8], { series, openSeries: held }))
        .trades.map((t) => t.intentId)
        .sort(),
    ).toEqual([id(11), id(3)].sort());
    // a series the account already holds needs no slot, even when full
    const full = new Map([[acct(1).toLowerCase(), new Set([1n, 2n, 3n, 7n])]]);
    expect(clearOptions(input([buy7, sell7], { series, openSeries: full })).trades).toHaveLength(2);
    // the liquidity source counts too: holding 4, it quotes nothing new
    const quotes = new Map([[9n, { sizeDelta: -E, premium: 45n * E }]]);
    const lone = option(4, E, 50n * E, { series: 9n });
    expect(clearOptions(input([lone], { series, quotes })).sourceTrades).toHaveLength(1);
    const sourceFull = new Map([['source', new Set([1n, 2n, 3n, 4n])]]);
    expect(clearOptions(input([lone], { series, quotes, openSeries: sourceFull })).sourceTrades).toEqual([]);
  });

  it('leaves a series out whole when a cut (a runner-up settling what is still open) breaks its net', () => {
    const entries = [
      option(1, E, 50n * E),
      option(2, -E, 30n * E),
      option(3, E, 90n * E, { series: 8n }),
      option(4, -E, 80n * E, { series: 8n }),
    ];
    const c = clearOptions(input(entries));
    const byId = new Map(entries.map((e) => [e.id, (e.intent as { intent: OptionIntent }).intent]));
    const full = {
      auctionId: 1n,
      solver: USD,
      prices: [],
      marketPrices: [],
      trades: c.trades,
      optionPremiums: c.optionPremiums,
      interactions: [],
    };
    expect(wholeOptionSeries(full, (i) => byId.get(i))).toBe(full);
    const cut = wholeOptionSeries({ ...full, trades: c.trades.filter((t) => t.intentId !== id(2)) }, (i) => byId.get(i));
    expect(cut.trades.map((t) => t.intentId).sort()).toEqual([id(3), id(4)]);
    expect(cut.optionPremiums).toEqual([{ series: 8n, premium: 85n * E }]);
    expect(scoreSolution(cut, auction(entries)).ok).toBe(true);
  });
});
