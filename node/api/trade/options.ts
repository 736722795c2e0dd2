/// <reference lib="dom" />
// The trade page's options: the option form (pick a live series, buy or sell contracts with a
// premium limit per contract, signed as the OptionIntent EIP-712 type of protocol/eip712.ts), the
// account's option positions with their greeks, and how an option intent reads in "My intents".
// The series and their model values come from GET /v1/options/series (the node prices every live
// series with the clearing house's mark and the volatility feed's surface). The firm quote comes
// from POST /v1/quote (the solvers' premium for the form's trade, e.g. the options vault's quote
// with their margin): shown beside the model premium, it sets the premium limit less the slippage. The margin preview
// values the account's options as the option book does (protocol/options/option-health.ts, equal
// to the chain to the wei), from the book's state read through the wallet's provider, before and
// after the intent fills at its limit.
import { type Address, parseAbi, zeroAddress } from 'viem';
import { type OptionHealthInputs, readOptionHealthInputs } from '../../chain/option-health.ts';
import type { AccountMargin, MarketsResponse, OptionSeriesRow } from '../../../protocol/api.ts';
import type { NodeApi } from '../../../protocol/client.ts';
import { intentDomain, optionIntentTypes } from '../../../protocol/eip712.ts';
import type { OptionIntent } from '../../../protocol/intent.ts';
import type { OptionIntentJson } from '../../../protocol/json.ts';
import type { OptionQuoteRequest } from '../../../protocol/api.ts';
import { signedIntentToJson } from '../../../protocol/json.ts';
import { abs } from '../../../protocol/margin.ts';
import { type AccountTotals, healthAfterOptionFill } from '../../../protocol/options/option-health.ts';
import { $, amount, el, expiry, parseAmount, randomNonce, row, short } from './format.ts';
import type { Connection } from './wallet.ts';

/** What the option form needs from the page: the node, its chain, the collateral's decimals. */
export type OptionPageContext = {
  api: NodeApi;
  chainId: number;
  settlement: `0x${string}`;
  collateralDecimals: number;
  collateralSymbol: string;
  /** The clearing house (its option book is read from it); absent without one. */
  clearingHouse?: Address;
};

let series: OptionSeriesRow[] = [];
let unavailable: string | undefined;
/** The firm quote shown, for the request it answered (dropped when the form's trade changes). */
let quoted: OptionQuoteRequest | undefined;

/** A signed fixed-point value as a decimal ("–" when unpriced). */
const signed = (v: string | bigint | null, dec: number, digits: number): string =>
  v === null ? '–' : `${BigInt(v) < 0n ? '-' : ''}${amount(abs(BigInt(v)), dec, digits)}`;

const days = (s: number): string => (s >= 86_400 ? `${(s / 86_400).toFixed(1)} d` : `${(s / 3_600).toFixed(1)} h`);

/** "ETH-PERP call 3300 · 7.0 d" for a series row. */
export function seriesName(s: Pick<OptionSeriesRow, 'name' | 'isCall' | 'strike' | 'expiry'>, decimals: number): string {
  const left = Math.max(0, s.expiry - Math.floor(Date.now() / 1000));
  return `${s.name} ${s.isCall ? 'call' : 'put'} ${amount(s.strike, decimals, 2)} · ${days(left)}`;
}

/** Re-reads the live series and refreshes the form's list (keeping the chosen one while it lives). */
export async function refreshSeries(ctx: OptionPageContext): Promise<void> {
  const r = await ctx.api.optionSeries().catch((e: unknown) => ({ available: false as const, reason: (e as Error).message }));
  const select = $<HTMLSelectElement>('option-series');
  if (!r.available) {
    unavailable = r.reason;
    series = [];
    select.replaceChildren(el('option', `no options: ${r.reason}`, { value: '' }));
    renderModel(ctx);
    return;
  }
  unavailable = undefined;
  const chosen = select.value;
  series = r.series;
  const ids = series.map((s) => s.id).join();
  if (select.dataset.ids !== ids) {
    select.dataset.ids = ids;
    select.replaceChildren(...series.map((s) => el('option', seriesName(s, ctx.collateralDecimals), { value: s.id })));
    if (series.some((s) => s.id === chosen)) select.value = chosen;
  }
  renderModel(ctx);
}

const chosenSeries = (): OptionSeriesRow | undefined => series.find((s) => s.id === $<HTMLSelectElement>('option-series').value);

/** The form's values; throws a readable error for a bad field. */
function optionInputs(ctx: OptionPageContext): { row: OptionSeriesRow; size: bigint; premiumLimit: bigint } {
  const s = chosenSeries();
  if (!s) throw new Error(unavailable ? `options are unavailable on this node: ${unavailable}` : 'choose an option series');
  const contracts = parseAmount($<HTMLInputElement>('option-size').value, 18, 'contracts');
  if (contracts === 0n) throw new Error('contracts: must be above zero');
  const premiumLimit = parseAmount($<HTMLInputElement>('premium-limit').value, ctx.collateralDecimals, 'premium limit');
  return { row: s, size: $<HTMLSelectElement>('option-side').value === 'sell' ? -contracts : contracts, premiumLimit };
}

/**
 * A limit 5% through the model premium when the field is empty (a buyer pays at most it, a seller
 * receives at least it): the options vault quotes the model price plus a spread, so a limit at the
 * model price alone would rarely fill against it.
 */
export function defaultPremium(ctx: OptionPageContext, force = false): void {
  const input = $<HTMLInputElement>('premium-limit');
  const s = chosenSeries();
  if (!s?.price || (input.value && !force)) return;
  const p = BigInt(s.price);
  const limit = $<HTMLSelectElement>('option-side').value === 'sell' ? (p * 95n) / 100n : (p * 105n) / 100n + 1n;
  input.value = amount(limit, ctx.collateralDecimals, 4);
}

/** The chosen series' model value and greeks, and what the intent pays or receives at its limit. */
export function renderModel(ctx: OptionPageContext, markets?: MarketsResponse): void {
  const box = $('option-model');
  const s = chosenSeries();
  if (!s) {
    box.textContent = unavailable ? `Options unavailable: ${unavailable}` : 'no live series';
    return;
  }
  const d = ctx.collateralDecimals;
  const halted = markets?.available ? markets.markets.find((m) => m.id === s.market)?.halted : false;
  const parts = [
    s.price === null
      ? `not priced now (${s.unpriced ?? 'unknown reason'}): risk-increasing option trades wait`
      : `model premium ${amount(s.price, d, 4)} ${ctx.collateralSymbol} per contract at vol ${amount(s.vol ?? 0n, 16, 1)}%`,
  ];
  if (s.delta !== null)
    parts.push(`delta ${signed(s.delta, 18, 3)} · vega ${signed(s.vega, d + 2, 3)} per vol point · theta ${signed(s.theta, d, 3)} per day`);
  try {
    const { size, premiumLimit } = optionInputs(ctx);
    const cash = (premiumLimit * abs(size)) / 10n ** 18n;
    parts.push(
      size > 0n
        ? `you pay at most ${amount(cash, d, 2)} ${ctx.collateralSymbol}`
        : `you receive at least ${amount(cash, d, 2)} ${ctx.collateralSymbol}`,
    );
  } catch {
    // an unfinished field: the model line alone
  }
  if (halted) parts.push(`${s.name} is halted by its circuit breaker: opening option trades wait, reduce-only ones still fill`);
  box.textContent = parts.join(' · ');
  box.dataset.series = s.id;
}

/** `premium` moved by `bps` (of 10,000) to the trader's worse side: a buyer's ceiling above it, a writer's floor below. */
export function premiumWithSlippage(premium: bigint, size: bigint, bps: bigint): bigint {
  return size > 0n ? (premium * (10_000n + bps) + 9_999n) / 10_000n : (premium * (10_000n - bps)) / 10_000n;
}

/**
 * Asks the node for a firm quote of the form's trade (POST /v1/quote, type option), shows it beside
 * the model premium and sets the premium limit to it with the swap form's slippage. `explain`
 * words a refusal (the page's message style).
 */
export async function getOptionQuote(
  ctx: OptionPageContext,
  slippageBps: bigint,
  account: Address | undefined,
  explain: (e: unknown) => string,
): Promise<void> {
  const box = $('option-quote');
  const s = chosenSeries();
  if (!s) throw new Error(unavailable ? `options are unavailable on this node: ${unavailable}` : 'choose an option series');
  const contracts = parseAmount($<HTMLInputElement>('option-size').value, 18, 'contracts');
  if (contracts === 0n) throw new Error('contracts: must be above zero');
  const size = $<HTMLSelectElement>('option-side').value === 'sell' ? -contracts : contracts;
  const req: OptionQuoteRequest = { type: 'option', series: s.id, size: size.toString(), ...(account ? { account } : {}) };
  box.className = 'quote';
  box.textContent = 'asking the solvers…';
  delete box.dataset.premium;
  quoted = undefined;
  try {
    const q = await ctx.api.quote(req);
    if (q.quote.type !== 'option') throw new Error(`the node answered a ${q.quote.type} quote`);
    const premium = BigInt(q.quote.premium);
    const limit = premiumWithSlippage(premium, size, slippageBps);
    const d = ctx.collateralDecimals;
    const sym = ctx.collateralSymbol;
    const model = s.price === null ? '' : `, model ${amount(s.price, d, 4)} (${vsModel(premium, BigInt(s.price))})`;
    const n = q.quotes.length;
    quoted = req;
    box.className = 'quote ok';
    box.dataset.series = s.id;
    box.dataset.premium = q.quote.premium;
    box.textContent = `Firm quote: ${amount(premium, d, 4)} ${sym} per contract from the ${q.quote.source === 'vault' ? 'options vault' : 'other traders'}${model}; ${n} solver${n === 1 ? '' : 's'}, best ${short(q.quote.solver)}; expires ${new Date(q.expiresAt).toLocaleTimeString()}. Premium limit ${size > 0n ? 'at most' : 'at least'} ${amount(limit, d, d)} ${sym} with your slippage.`;
    $<HTMLInputElement>('premium-limit').value = amount(limit, d, d);
  } catch (e) {
    box.className = 'quote none';
    box.textContent = `No firm quote: ${explain(e)}. The premium limit stays yours to set.`;
  }
}

/** "+1.23% over the model" / "-0.50% under the model". */
function vsModel(premium: bigint, model: bigint): string {
  if (model === 0n) return 'no model value';
  const bps = Number(((premium - model) * 10_000n) / model) / 100;
  return `${bps >= 0 ? '+' : ''}${bps.toFixed(2)}% ${bps >= 0 ? 'over' : 'under'} the model`;
}

/** Drops the firm quote when the form's trade is no longer the one it answered. */
export function staleOptionQuote(): void {
  if (!quoted) return;
  const s = chosenSeries();
  const side = $<HTMLSelectElement>('option-side').value === 'sell' ? '-' : '';
  let size: string | undefined;
  try {
    size = `${side}${parseAmount($<HTMLInputElement>('option-size').value, 18, 'contracts')}`;
  } catch {
    size = undefined;
  }
  if (s?.id === quoted.series && size === quoted.size) return;
  quoted = undefined;
  const box = $('option-quote');
  box.className = 'quote';
  delete box.dataset.premium;
  box.textContent = 'the trade changed: get a new quote';
}

/** Signs the form's option intent with the wallet and submits it to the node. */
export async function signOption(ctx: OptionPageContext, c: Connection): Promise<string> {
  const { row: s, size, premiumLimit } = optionInputs(ctx);
  const intent: OptionIntent = {
    account: c.account,
    series: BigInt(s.id),
    size,
    premiumLimit,
    reduceOnly: $<HTMLInputElement>('option-reduce-only').checked,
    partiallyFillable: $<HTMLInputElement>('option-partial').checked,
    // never past the series' expiry: an expired series trades no more
    validTo: Math.min(expiry('option-expiry'), s.expiry),
    nonce: randomNonce(),
  };
  const data = await c.wallet.signTypedData({
    account: c.account,
    domain: intentDomain(ctx.chainId, ctx.settlement),
    types: optionIntentTypes,
    primaryType: 'OptionIntent',
    message: intent,
  });
  const res = await ctx.api.submitIntent(signedIntentToJson({ type: 'option', intent, signature: { scheme: 'eoa', data } }));
  const d = ctx.collateralDecimals;
  return `Option intent ${short(res.id)} submitted (${res.state}): ${size > 0n ? 'buy' : 'sell'} ${amount(abs(size), 18)} ${seriesName(s, d)} at ${size > 0n ? 'most' : 'least'} ${amount(premiumLimit, d, 4)} ${ctx.collateralSymbol} per contract.`;
}

/** How an option intent reads in "My intents". */
export function describeOption(i: OptionIntentJson, decimals: number): string {
  const size = BigInt(i.size);
  const s = series.find((x) => x.id === String(i.series));
  const what = s ? seriesName(s, decimals) : `series #${i.series}`;
  return `${size > 0n ? 'buy' : 'sell'} ${amount(abs(size), 18)} ${what} @ ${size > 0n ? '≤' : '≥'} ${amount(i.premiumLimit, decimals, 4)}${i.reduceOnly ? ' reduce-only' : ''}`;
}

/** The account's option positions (value, entry premium and PnL, position greeks) and its greeks per underlying. */
export function renderOptionPositions(margin: AccountMargin, decimals: number): void {
  $('option-positions')
    .querySelector('tbody')!
    .replaceChildren(
      ...margin.options.map((o) =>
        row(
          [
            seriesName(o, decimals),
            signed(o.size, 18, 4),
            o.value === null ? (o.unpriced ?? '–') : signed(o.value, decimals, 2),
            amount(o.entryPremium, decimals, 2),
            o.pnl === null ? '–' : signed(o.pnl, decimals, 2),
            signed(o.delta, 18, 4),
            signed(o.vega, decimals + 2, 3),
            signed(o.theta, decimals, 3),
          ],
          { 'data-series': o.series },
          [1, 2, 3, 4, 5, 6, 7],
        ),
      ),
      ...margin.greeks.map((g) =>
        row(
          [`${g.name}: book`, '', '', '', '', signed(g.delta, 18, 4), signed(g.vega, decimals + 2, 3), signed(g.theta, decimals, 3)],
          { 'data-greeks': String(g.market), class: 'total' },
          [5, 6, 7],
        ),
      ),
    );
}

// ---- margin preview --------------------------------------------------------------------------

const bookAbi = parseAbi(['function optionBook() view returns (address)', 'function feeFraction() view returns (uint256)']);
let book: { address: Address; feeFraction: bigint; inputs: OptionHealthInputs } | undefined;
let bookError: string | undefined;

/** Re-reads the option book's view of the account (through the wallet's provider), for the preview. */
export async function refreshOptionHealth(ctx: OptionPageContext, c: Connection): Promise<void> {
  if (!ctx.clearingHouse) return;
  try {
    const address = await c.reader.readContract({ address: ctx.clearingHouse, abi: bookAbi, functionName: 'optionBook' });
    if (address === zeroAddress) {
      book = undefined;
      bookError = 'the clearing house has no option book';
      return;
    }
    const [feeFraction, inputs] = await Promise.all([
      c.reader.readContract({ address, abi: bookAbi, functionName: 'feeFraction' }),
      readOptionHealthInputs(c.reader, address, c.account, undefined, [...new Set(series.map((s) => s.market))]),
    ]);
    book = { address, feeFraction, inputs };
    bookError = undefined;
  } catch (e) {
    bookError = (e as Error).message.split('\n')[0];
  }
}

/** Equity and requirements before and after the form's intent fills at its limit (fee included). */
export function renderOptionPreview(ctx: OptionPageContext, margin: AccountMargin | undefined): void {
  const body = $('option-preview').querySelector('tbody')!;
  const d = ctx.collateralDecimals;
  if (!margin || !book) {
    body.replaceChildren(row([bookError ?? 'connect a wallet to see your margin', '', '']));
    return;
  }
  const before: AccountTotals = {
    equity: BigInt(margin.equity),
    initialRequirement: BigInt(margin.initialRequirement),
    maintenanceRequirement: BigInt(margin.maintenanceRequirement),
  };
  let after: AccountTotals;
  try {
    const { row: s, size, premiumLimit } = optionInputs(ctx);
    const i = book.inputs;
    after = healthAfterOptionFill(
      before,
      i.held,
      {
        market: s.market,
        strike: BigInt(s.strike),
        expiry: BigInt(s.expiry),
        isCall: s.isCall,
        sizeDelta: size,
        premium: premiumLimit,
        feeFraction: book.feeFraction,
      },
      i.underlyings,
      i.now,
      i.params,
    );
  } catch (e) {
    body.replaceChildren(row([(e as Error).message, '', '']));
    return;
  }
  const c = (v: bigint): string => signed(v, d, 2);
  const N = [1, 2];
  body.replaceChildren(
    row(['Equity', c(before.equity), c(after.equity)], { 'data-row': 'equity' }, N),
    row(['Initial requirement', c(before.initialRequirement), c(after.initialRequirement)], { 'data-row': 'initial' }, N),
    row(['Maintenance requirement', c(before.maintenanceRequirement), c(after.maintenanceRequirement)], { 'data-row': 'maintenance' }, N),
    row(
      ['Free margin', c(before.equity - before.initialRequirement), c(after.equity - after.initialRequirement)],
      {
        'data-row': 'free',
        class: after.equity < after.initialRequirement ? 'bad' : '',
      },
      N,
    ),
  );
}
