// The options vault's perp hedge in the solver's batch (option-hedge.ts, through solveAuction): the
// vault's delta after its option fills is hedged against the perp vault or users' opposite perp
// intents, without moving a users' price, within the vault's hedge rule; and left out whenever the
// rule, the band or the liquidity would refuse it. The chain's agreement is
// test/chain/option-hedge.test.ts's.
import type { Address, Hex } from 'viem';
import { describe, expect, it } from 'vitest';
import { optionHedgeFills, SETTLE_GAS_MODEL, solutionGas } from '../../protocol/batch-gas.ts';
import type { OptionIntent, PositionIntent } from '../../protocol/intent.ts';
import {
  optionVaultExposure,
  optionVaultHedgeQuote,
  type OptionVaultParams,
  type OptionVaultState,
  type SeriesTerms,
} from '../../protocol/options/option-vault.ts';
import { vaultQuote } from '../../protocol/perp-vault.ts';
import type { Auction, AuctionIntent } from '../../protocol/score.ts';
import type { Solution } from '../../protocol/solution.ts';
import { legsAfter, type VaultHedgeView, withoutOrphanHedges } from './option-hedge.ts';
import type { PositionMarket } from './positions.ts';
import { type OptionClearingState, type PositionState, solveAuction } from './solve-auction.ts';

const WAD = 10n ** 18n;
const NOW = 1_700_000_000;
const MARK = 3000n * WAD;
const call: SeriesTerms = { id: 7n, strike: 3000n * WAD, expiry: BigInt(NOW) + 30n * 86_400n, isCall: true };
const user = (i: number): Address => `0x${(i + 1).toString(16).padStart(40, '0')}` as Address;
const id = (i: number): Hex => `0x${(i + 1).toString(16).padStart(64, '0')}` as Hex;

const params: OptionVaultParams = {
  baseVolSpread: WAD / 100n,
  minSpread: WAD / 2000n,
  hedgeBand: WAD / 100n,
  enabled: true,
  deltaScale: 20_000n * WAD,
  vegaScale: 1_000_000n * WAD,
  maxDelta: 100n * WAD,
  maxVega: 100_000n * WAD,
  maxContracts: 200n * WAD,
  hedgeTolerance: WAD,
};
const flat: OptionVaultState = {
  now: BigInt(NOW),
  mark: MARK,
  perpSize: 0n,
  legs: [],
  heldSeries: 0,
  surface: {
    tenors: [7n * 86_400n, 90n * 86_400n],
    nodes: [-WAD / 2n, WAD / 2n],
    vols: [8n * (WAD / 10n), 8n * (WAD / 10n), 8n * (WAD / 10n), 8n * (WAD / 10n)],
  },
};
const perpVault = { size: 0n, params: { skewScale: 20_000n * WAD, feeFraction: WAD / 1000n + 5n * 10n ** 15n, maxPosition: 200n * WAD } };
const market: PositionMarket = { mark: MARK, maxPriceDeviation: WAD / 20n, vault: perpVault };

type Setup = {
  optionSize?: bigint;
  perps?: { size: bigint; limit: bigint }[];
  view?: Partial<VaultHedgeView>;
  market?: Partial<PositionMarket>;
};

/** A buyer of `optionSize` calls the vault sells to (its quote given), and users' ETH perp intents. */
function solve(s: Setup = {}) {
  const size = s.optionSize ?? 4n * WAD;
  const intents = new Map<Hex, AuctionIntent>();
  const option: OptionIntent = {
    account: user(0),
    series: call.id,
    size,
    premiumLimit: 400n * WAD,
    reduceOnly: false,
    partiallyFillable: false,
    validTo: NOW + 600,
    nonce: 1n,
  };
  intents.set(id(0), { id: id(0), intent: { type: 'option', intent: option } });
  for (const [k, p] of (s.perps ?? []).entries()) {
    const intent: PositionIntent = {
      account: user(k + 1),
      market: 1,
      sizeDelta: p.size,
      limitPrice: p.limit,
      reduceOnly: false,
      partiallyFillable: false,
      validTo: NOW + 600,
      nonce: BigInt(k + 2),
    };
    intents.set(id(k + 1), { id: id(k + 1), intent: { type: 'position', intent } });
  }
  const auction: Auction = { id: 3n, intents, referencePrices: new Map() };
  const view: VaultHedgeView = { params, state: flat, terms: new Map([[call.id, call]]), ...s.view };
  const positions: PositionState = { markets: new Map([[1, { ...market, ...s.market }]]), positions: new Map() };
  const options: OptionClearingState = {
    series: new Map([[call.id, { market: 1 }]]),
    holdings: new Map(),
    quotes: new Map([[call.id, { sizeDelta: -size, premium: 300n * WAD }]]),
    vaultHedge: new Map([[1, view]]),
  };
  return {
    view,
    ...solveAuction(auction, [], { settlement: user(90), solver: user(91), now: NOW, strategy: 'baseline' }, positions, options),
  };
}

/** The vault's net delta after its option fills and its hedge, by the mirror of the contract. */
function deltaAfter(r: ReturnType<typeof solve>): bigint {
  const legs = legsAfter(r.view, r.optionSourceTrades);
  const hedge = r.optionVaultHedges[0]?.sizeDelta ?? 0n;
  return optionVaultExposure({ ...r.view.state, legs, perpSize: r.view.state.perpSize + hedge }).netDelta;
}

describe("the options vault's delta hedge in a batch", () => {
  it("hedges a lone option fill against the perp vault at the perp vault's quote, within the hedge band", () => {
    const r = solve();
    expect(r.optionSourceTrades).toEqual([{ series: call.id, sizeDelta: -4n * WAD, premiumLimit: 300n * WAD }]);
    const before = optionVaultExposure({ ...flat, legs: legsAfter(r.view, r.optionSourceTrades) }).netDelta;
    expect(before < -WAD).toBe(true); // 4 calls sold: about -2.2, beyond the 1-contract dead band
    expect(r.optionVaultHedges).toHaveLength(1);
    const h = r.optionVaultHedges[0]!;
    expect(h.sizeDelta).toBe(-before);
    expect(deltaAfter(r)).toBe(0n);
    // the perp vault sells it at its quote; that is the market's price and the hedge's limit
    const ask = vaultQuote(perpVault.params, MARK, 0n, -h.sizeDelta)!;
    expect(r.vaultTrades).toEqual([{ market: 1, sizeDelta: -h.sizeDelta, limitPrice: ask }]);
    expect(r.solution.marketPrices).toEqual([{ market: 1, price: ask }]);
    expect(h).toEqual({ market: 1, sizeDelta: -before, limitPrice: ask });
    // what the vault's EIP-1271 check asks (its state includes the batch's option fill)
    const bound = optionVaultHedgeQuote(params, { ...flat, legs: legsAfter(r.view, r.optionSourceTrades) }, h.sizeDelta)!;
    expect(h.limitPrice <= bound).toBe(true);
    // the user's option fill is unchanged by the hedge
    expect(r.solution.trades).toEqual([{ intentId: id(0), executed: 4n * WAD }]);
  });

  it('adds nothing without the vault view, or inside the dead band', () => {
    const r = solve({ optionSize: WAD }); // one call: delta about -0.55, within the 1-contract tolerance
    expect(r.optionVaultHedges).toEqual([]);
    expect(r.hedgeSkips).toMatchObject([{ market: 1, reason: 'within the dead band' }]);
    expect(r.solution.marketPrices).toEqual([]);
    const hedgedBefore = solve({ view: { state: { ...flat, perpSize: 2n * WAD } } });
    expect(hedgedBefore.optionVaultHedges).toEqual([]);
  });

  it("takes users' opposite perp remainder at their price: the user's fill and price do not move", () => {
    const perps = [{ size: -3n * WAD, limit: 2950n * WAD }];
    const plain = solve({ perps, view: { params: { ...params, enabled: false } } });
    expect(plain.optionVaultHedges).toEqual([]);
    const r = solve({ perps });
    expect(r.optionVaultHedges).toHaveLength(1);
    expect(r.solution.marketPrices).toEqual(plain.solution.marketPrices);
    expect(r.solution.trades).toEqual(plain.solution.trades);
    const h = r.optionVaultHedges[0]!;
    expect(h.limitPrice).toBe(plain.solution.marketPrices[0]!.price);
    // the perp vault now buys only what the user sells beyond the hedge
    expect(r.vaultTrades).toEqual([{ market: 1, sizeDelta: 3n * WAD - h.sizeDelta, limitPrice: expect.any(BigInt) }]);
    expect(deltaAfter(r)).toBe(0n);
  });

  it('leaves the hedge out where it would move the price, leave the band or find no liquidity', () => {
    // a long user priced at the perp vault's ask: the hedge buying too would need a higher price
    const ask = vaultQuote(perpVault.params, MARK, 0n, -3n * WAD)!;
    const crowded = solve({ perps: [{ size: 3n * WAD, limit: ask }] });
    expect(crowded.optionVaultHedges).toEqual([]);
    expect(crowded.hedgeSkips[0]!.reason).toBe("the perp vault's quote is beyond the users' price");
    expect(crowded.solution.marketPrices).toEqual([{ market: 1, price: ask }]);
    // the vault accepts hedges only within 0.1% of the mark: the perp vault's ask is beyond it
    const tight = solve({ view: { params: { ...params, hedgeBand: WAD / 1000n } } });
    expect(tight.optionVaultHedges).toEqual([]);
    expect(tight.hedgeSkips[0]!.reason).toBe('price outside the hedge band');
    expect(tight.solution.marketPrices).toEqual([]);
    expect(tight.vaultTrades).toEqual([]);
    // the perp vault's ask (about 0.6% over the mark) inside a 0.7% band, but not 0.2% inside it
    const edge = solve({ view: { params: { ...params, hedgeBand: (7n * WAD) / 1000n } } });
    expect(edge.hedgeSkips[0]!.reason).toBe('price outside the hedge band');
    const ask1 = vaultQuote(perpVault.params, MARK, 0n, -2n * WAD)!;
    expect(ask1 < (MARK * 1007n) / 1000n).toBe(true);
    expect(solve({ market: { vault: undefined } }).hedgeSkips[0]!.reason).toBe('no perp vault to take the hedge');
    expect(solve({ market: { halted: true } }).optionVaultHedges).toEqual([]);
  });

  it('never overshoots: the mirror refuses a hedge past zero by more than the tolerance, and the planned one is exactly -D', () => {
    const r = solve();
    const legs = legsAfter(r.view, r.optionSourceTrades);
    const d = optionVaultExposure({ ...flat, legs }).netDelta;
    expect(optionVaultHedgeQuote(params, { ...flat, legs }, -d + params.hedgeTolerance + 1n)).toBeUndefined();
    expect(optionVaultHedgeQuote(params, { ...flat, legs }, d)).toBeUndefined(); // the wrong way
    expect(r.optionVaultHedges[0]!.sizeDelta).toBe(-d);
  });
});

describe('a cut solution (runner-up) keeps no hedge of an option fill it lost', () => {
  const vault = user(50);
  const perpVaultAddress = user(51);
  const liquidity = (account: Address, sizeDelta: bigint) => ({
    intent: { account, market: 1, sizeDelta, limitPrice: MARK, reduceOnly: false, partiallyFillable: false, validTo: NOW, nonce: 1n },
    signature: { scheme: 'eip1271' as const, data: '0x' as Hex },
    executed: sizeDelta < 0n ? -sizeDelta : sizeDelta,
  });
  const optionFill = {
    intent: {
      account: vault,
      series: call.id,
      size: -4n * WAD,
      premiumLimit: 1n,
      reduceOnly: false,
      partiallyFillable: false,
      validTo: NOW,
      nonce: 1n,
    },
    signature: { scheme: 'eip1271' as const, data: '0x' as Hex },
    executed: 4n * WAD,
  };
  const full: Solution = {
    auctionId: 1n,
    solver: user(91),
    prices: [],
    marketPrices: [{ market: 1, price: MARK }],
    trades: [{ intentId: id(0), executed: 4n * WAD }],
    liquidity: [liquidity(vault, 2n * WAD), liquidity(perpVaultAddress, -2n * WAD)],
    optionPremiums: [{ series: call.id, premium: 1n }],
    optionLiquidity: [optionFill],
    interactions: [],
  };
  const noPosition = () => false;

  it('drops the hedge and its market with the option fill; keeps both while the fill stays', () => {
    expect(withoutOrphanHedges(full, full, noPosition)).toBe(full);
    const cut = { ...full, trades: [], optionPremiums: [], optionLiquidity: [] };
    expect(withoutOrphanHedges(full, cut, noPosition)).toEqual({ ...cut, liquidity: [], marketPrices: [] });
    // a user position trade left in the market: only the hedge goes
    const userTrade = { intentId: id(5), executed: WAD };
    const withUser = withoutOrphanHedges(full, { ...cut, trades: [userTrade] }, (t, m) => t === id(5) && m === 1);
    expect(withUser.liquidity).toEqual([liquidity(perpVaultAddress, -2n * WAD)]);
    expect(withUser.marketPrices).toEqual(full.marketPrices);
  });

  it("the gas model charges the hedge's option pricing on top of a liquidity fill", () => {
    expect(optionHedgeFills(full)).toBe(1);
    const perpOnly = { ...full, optionLiquidity: [] };
    expect(optionHedgeFills(perpOnly)).toBe(0);
    expect(solutionGas(full, new Set()) - solutionGas(perpOnly, new Set())).toBe(
      SETTLE_GAS_MODEL.optionTrade + SETTLE_GAS_MODEL.optionHedge,
    );
  });
});
