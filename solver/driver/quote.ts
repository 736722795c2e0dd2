// A quote (protocol/api.ts QuoteRequest -> SolverQuote): the request solved as a lone intent by the
// solver's own engine (solver/domain/solve-auction.ts) on its warm pool view, the way it would
// solve it in an auction. A swap gets the loosest limit (a sell: any buy amount; a buy: any sell
// amount up to a bound), so the engine's best fill is the quote: the most bought for a sell, the
// least sold for a buy. A position is cleared against the perp vault at the price the solver
// would fill it (the vault's curve with the solver's margin, solver/infra/perp-state.ts).
// The gas is the settle gas bound of that lone fill (protocol/batch-gas.ts), what a batch of it
// alone would be allowed to use.
import type { Address, Hex } from 'viem';
import { keccak256, toHex } from 'viem';
import type { OptionQuoteRequest, QuoteRequest, SolverQuote } from '../../protocol/api.ts';
import { SETTLE_GAS_MODEL, solutionGas } from '../../protocol/batch-gas.ts';
import { tradeAmounts } from '../../protocol/clearing.ts';
import type { PositionIntent, SwapIntent } from '../../protocol/intent.ts';
import type { Auction, AuctionIntent } from '../../protocol/score.ts';
import { lower } from '../domain/address.ts';
import type { LiquidityAdapter } from '../domain/liquidity/adapter.ts';
import type { Strategy } from '../domain/options.ts';
import { type PositionState, solveAuction } from '../domain/solve-auction.ts';

/** What a quote is solved on: the solver's state at the moment of the request. */
export type QuoteContext = {
  strategy: Strategy;
  settlement: Address;
  solver: Address;
  pools: LiquidityAdapter[];
  /** Unix seconds. */
  now: number;
  /** Gas price (wei) the engine trades gas against; only used with reference prices for both tokens. */
  gasPrice: bigint;
  /** The latest auction's reference prices (lower-case token), if the solver has seen one. */
  referencePrices?: ReadonlyMap<Address, bigint>;
  /** The chain's view of the request's market (markets, vault); read by the caller for a position request. */
  positionState?: (auction: Auction) => Promise<PositionState>;
  /** The engine's improvement budget (ms). */
  budgetMs: number;
  /** Runs each (synchronous) engine call: the caller times them (QuoteGate.time). */
  engine?: <T>(solve: () => T) => T;
};

/** `busy`: the solver is at its quote share (QuoteGate) and did not solve it. */
export type QuoteOutcome = { ok: true; quote: SolverQuote } | { ok: false; code: 'no_route' | 'busy'; message: string };

const WAD = 10n ** 18n;
/** A buy quote's sell limit: far above any devnet amount, small enough for the engine's float math. */
const BUY_SELL_LIMIT = 10n ** 40n;
/** A long quote's price ceiling (a short's floor is 1). */
const LONG_LIMIT = 10n ** 40n;
/** The synthetic intent's owner when the request names none (never signs or settles anything). */
const NOBODY = '0x000000000000000000000000000000000000dEaD' as Address;

const auctionOf = (id: Hex, e: AuctionIntent['intent'], refs: ReadonlyMap<Address, bigint>): Auction => ({
  id: 0n,
  intents: new Map([[id, { id, intent: e }]]),
  referencePrices: refs,
});

/** The requests this engine quotes: swaps and positions (options: quote-option.ts). */
export type EngineQuoteRequest = Exclude<QuoteRequest, OptionQuoteRequest>;

/** Solves `req` as a lone intent on `ctx`; see the module comment. */
export async function solveQuote(ctx: QuoteContext, req: EngineQuoteRequest): Promise<QuoteOutcome> {
  const id = keccak256(toHex(`quote:${JSON.stringify(req)}:${ctx.now}`)).toLowerCase() as Hex;
  const opts = { strategy: ctx.strategy, settlement: ctx.settlement, solver: ctx.solver, now: ctx.now, budgetMs: ctx.budgetMs };
  if (req.type === 'swap') {
    const amount = BigInt(req.amount);
    const sell = req.kind === 'sell';
    const intent: SwapIntent = {
      owner: req.owner ?? NOBODY,
      sellToken: req.sellToken,
      buyToken: req.buyToken,
      receiver: req.owner ?? NOBODY,
      sellAmount: sell ? amount : BUY_SELL_LIMIT,
      buyAmount: sell ? 1n : amount,
      validTo: ctx.now + 3600,
      nonce: 0n,
      kind: sell ? 0 : 1,
      partiallyFillable: false,
      appData: `0x${'00'.repeat(32)}`,
    };
    // the latest auction's reference prices when they price both tokens (gas is then weighed
    // against surplus as in an auction); otherwise unit prices and no gas (the score only ranks
    // the engine's candidates for this one intent)
    const ref = ctx.referencePrices;
    const known = ref?.get(lower(req.sellToken)) !== undefined && ref?.get(lower(req.buyToken)) !== undefined;
    const refs = known ? ref! : new Map<Address, bigint>([lower(req.sellToken), lower(req.buyToken)].map((t) => [t, WAD]));
    const auction = auctionOf(id, { type: 'swap', intent }, refs);
    const run = ctx.engine ?? ((f) => f());
    const r = run(() => solveAuction(auction, ctx.pools, { ...opts, gasPrice: known ? ctx.gasPrice : 0n }));
    const trade = r.solution.trades.find((t) => lower(t.intentId) === id);
    const price = (t: Address): bigint | undefined => r.solution.prices.find((p) => lower(p.token) === lower(t))?.price;
    const pSell = price(req.sellToken);
    const pBuy = price(req.buyToken);
    if (!trade || !pSell || !pBuy) return { ok: false, code: 'no_route', message: `no route from ${req.sellToken} to ${req.buyToken}` };
    const amounts = tradeAmounts(intent, trade.executed, pSell, pBuy);
    if (amounts.sell <= 0n || amounts.buy <= 0n) return { ok: false, code: 'no_route', message: 'the amount is too small to trade' };
    return {
      ok: true,
      quote: {
        type: 'swap',
        solver: ctx.solver,
        sellAmount: amounts.sell.toString(),
        buyAmount: amounts.buy.toString(),
        gas: Number(solutionGas(r.solution, new Set())),
      },
    };
  }
  const sizeDelta = BigInt(req.sizeDelta);
  const intent: PositionIntent = {
    account: req.owner ?? NOBODY,
    market: req.market,
    sizeDelta,
    limitPrice: sizeDelta > 0n ? LONG_LIMIT : 1n,
    reduceOnly: false,
    partiallyFillable: false,
    validTo: ctx.now + 3600,
    nonce: 0n,
  };
  const auction = auctionOf(id, { type: 'position', intent }, new Map());
  if (!ctx.positionState) return { ok: false, code: 'no_route', message: 'this solver clears no positions (no clearing house)' };
  const state = await ctx.positionState(auction);
  if (!state.markets.has(req.market))
    return { ok: false, code: 'no_route', message: `market ${req.market} is unknown or its oracle is stale` };
  const r = (ctx.engine ?? ((f) => f()))(() => solveAuction(auction, [], opts, state));
  const price = r.solution.marketPrices.find((m) => m.market === req.market)?.price;
  if (!r.solution.trades.some((t) => lower(t.intentId) === id) || !price)
    return { ok: false, code: 'no_route', message: `no counterparty for ${req.sizeDelta} in market ${req.market} (vault limits)` };
  const m = SETTLE_GAS_MODEL;
  const gas = solutionGas(r.solution, new Set([id])) + BigInt(r.vaultTrades.length) * (m.liquidity + m.marginAccount);
  return { ok: true, quote: { type: 'position', solver: ctx.solver, price: price.toString(), gas: Number(gas) } };
}
