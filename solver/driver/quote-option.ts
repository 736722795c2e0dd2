// An option quote (protocol/quote.ts OptionQuoteRequest -> OptionSolverQuote): the request solved as
// a lone option intent the way the solver clears one in an auction. The chain's view of the series
// and the options vault's firm quote come from the same read the auction path makes
// (solver/infra/option-state.ts readOptionState: the registry, the circuit breaker, the vault's
// quote() made worse for the trader by the solver's margin), and the premium is what the option
// clearing (solver/domain/option-clearing.ts, through solveAuction) settles the lone intent at. A
// lone intent has no peer, so the vault is its only counterparty: no vault, no quote. The gas is
// the settle gas bound of that fill (the intent, the vault's own liquidity and the series read).
import type { Address, Hex, PublicClient } from 'viem';
import { keccak256, toHex } from 'viem';
import { solutionGas } from '../../protocol/batch-gas.ts';
import type { OptionIntent } from '../../protocol/intent.ts';
import type { OptionQuoteRequest, OptionSolverQuote } from '../../protocol/api.ts';
import type { Auction } from '../../protocol/score.ts';
import { lower } from '../domain/address.ts';
import { solveAuction } from '../domain/solve-auction.ts';
import { type OptionContracts, optionVaultLiquidity, readOptionState } from '../infra/option-state.ts';

/**
 * How long the solver holds an option quote good for (s after the block it read): its margin on
 * the vault's quote covers a few oracle rounds, as long as the node's quote validity.
 */
export const OPTION_QUOTE_VALIDITY_SEC = 12;
/** A buy quote's premium ceiling: far above any premium, so the clearing's premium is the quote. */
const BUY_PREMIUM_LIMIT = 10n ** 40n;
/** The synthetic intent's account when the request names none (never signs or settles anything). */
const NOBODY = '0x000000000000000000000000000000000000dEaD' as Address;

/**
 * Why an option quote is refused (422 with this code): `no_options` Settlement has no option book;
 * `no_vault` the solver has no options vault (--option-vault); `unknown_series` not listed or
 * expired; `market_halted` the underlying's circuit breaker allows only reductions; `vault_refused`
 * the vault does not take the size (its contracts, delta or vega limits, its series bound, a stale
 * mark); `no_fill` the clearing leaves the intent out (the account's bound on open series).
 */
export type OptionQuoteCode = 'no_options' | 'no_vault' | 'unknown_series' | 'market_halted' | 'vault_refused' | 'no_fill';

export type OptionQuoteOutcome = { ok: true; quote: OptionSolverQuote } | { ok: false; code: OptionQuoteCode; message: string };

export type OptionQuoteDeps = {
  publicClient: PublicClient;
  /** Settlement's option book, registry and clearing house (readOptionContracts); undefined: none. */
  contracts: OptionContracts | undefined;
  /** The options vault the solver clears against (its --option-vault). */
  vault: Address | undefined;
  settlement: Address;
  solver: Address;
  /** The solver's margin on the vault's quote (1e18 fraction); default readOptionState's. */
  quoteMargin?: bigint;
};

/** The block a quote is solved at. */
export type QuoteBlock = { number: bigint; timestamp: bigint };

const refuse = (code: OptionQuoteCode, message: string): OptionQuoteOutcome => ({ ok: false, code, message });

/** Solves `req` as a lone option intent at `block`; see the module comment. */
export async function solveOptionQuote(d: OptionQuoteDeps, req: OptionQuoteRequest, block: QuoteBlock): Promise<OptionQuoteOutcome> {
  if (!d.contracts) return refuse('no_options', 'Settlement has no option book');
  if (!d.vault) return refuse('no_vault', 'this solver clears options against no vault: a lone intent has no counterparty');
  const now = Number(block.timestamp);
  const series = BigInt(req.series);
  const size = BigInt(req.size);
  const intent: OptionIntent = {
    account: req.account ?? NOBODY,
    series,
    size,
    premiumLimit: size > 0n ? BUY_PREMIUM_LIMIT : 0n,
    reduceOnly: false,
    partiallyFillable: false,
    validTo: now + 3600,
    nonce: 0n,
  };
  const id = keccak256(toHex(`option-quote:${JSON.stringify(req)}:${now}`)).toLowerCase() as Hex;
  const auction: Auction = { id: 0n, intents: new Map([[id, { id, intent: { type: 'option', intent } }]]), referencePrices: new Map() };
  const state = await readOptionState(d.publicClient, d.contracts, d.vault, auction, block.number, now, d.quoteMargin);
  const live = state.series.get(series);
  if (!live) return refuse('unknown_series', `series ${series} is not listed or has expired`);
  // a lone quote is never reduce-only: it would grow the account's risk
  if (live.halted) return refuse('market_halted', `market ${live.market} is halted by its circuit breaker: only reductions clear`);
  if (!state.quotes?.has(series))
    return refuse('vault_refused', `the options vault does not take ${-size} contracts (1e18) of series ${series} (its limits)`);
  const r = solveAuction(auction, [], { strategy: 'baseline', settlement: d.settlement, solver: d.solver, now }, undefined, state);
  const premium = r.solution.optionPremiums?.find((p) => p.series === series)?.premium;
  const source = r.optionSourceTrades.find((t) => t.series === series);
  if (!r.solution.trades.some((t) => lower(t.intentId) === id) || premium === undefined || !source || premium === 0n)
    return refuse('no_fill', `the clearing leaves ${req.size} of series ${series} out (the account's open-series bound)`);
  const liquidity = optionVaultLiquidity(d.vault, source, { auctionId: 0n, index: 0, now });
  const gas = solutionGas({ ...r.solution, optionLiquidity: [liquidity] }, new Set(), new Set([id]));
  return {
    ok: true,
    quote: {
      type: 'option',
      solver: d.solver,
      series: series.toString(),
      size: size.toString(),
      premium: premium.toString(),
      source: 'vault',
      gas: Number(gas),
      // from the later of the block's time and the clock: a quiet chain's latest block may be
      // minutes old, and the quote is as fresh as the read, not as the block
      validTo: Math.max(now, Math.floor(Date.now() / 1000)) + OPTION_QUOTE_VALIDITY_SEC,
    },
  };
}

/**
 * The solver's option quoter: each request solved at the latest block, the outcomes of one block
 * shared by identical requests (quotes must not add RPC load on the node auctions settle through).
 */
export class OptionQuoter {
  private readonly d: OptionQuoteDeps;
  private memo: { block: bigint; outcomes: Map<string, Promise<OptionQuoteOutcome>> } = { block: -1n, outcomes: new Map() };

  constructor(d: OptionQuoteDeps) {
    this.d = d;
  }

  async quote(req: OptionQuoteRequest): Promise<OptionQuoteOutcome> {
    if (!this.d.contracts || !this.d.vault) return solveOptionQuote(this.d, req, { number: 0n, timestamp: 0n });
    const block = await this.d.publicClient.getBlock();
    if (this.memo.block !== block.number) this.memo = { block: block.number, outcomes: new Map() };
    const key = `${req.series}:${req.size}:${lower(req.account ?? NOBODY)}`;
    const hit = this.memo.outcomes.get(key);
    if (hit) return hit;
    const p = solveOptionQuote(this.d, req, block);
    this.memo.outcomes.set(key, p);
    p.catch(() => this.memo.outcomes.delete(key));
    return p;
  }
}
