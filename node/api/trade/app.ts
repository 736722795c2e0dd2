/// <reference lib="dom" />
// The trade page (GET /trade): connect a wallet, approve and deposit margin collateral, quote and
// sign swap, position and option intents (the option form is ./options.ts), follow them to their settlement, cancel them. Every node call
// goes through NodeApi (protocol/client.ts); intents are the EIP-712 typed data of
// protocol/eip712.ts, signed by the wallet with eth_signTypedData_v4; token and clearing house
// transactions are sent by the wallet (eth_sendTransaction) through viem. Bundled for the browser
// by node/api/trade.ts.
import { erc20Abi, type Hex, keccak256, maxUint256, parseAbi, toHex, zeroAddress } from 'viem';
import type {
  AccountMargin,
  AuctionSummary,
  CurrentAuctionResponse,
  HealthResponse,
  IntentStatusResponse,
  MarketsResponse,
  PositionTrade,
  SwapTrade,
  TokenListing,
  Trade,
} from '../../../protocol/api.ts';
import { waitForReceipt } from '../../../contracts/client/receipt.ts';
import { cancelIntentTypes } from '../../../protocol/cancel.ts';
import { NodeApi, NodeApiError } from '../../../protocol/client.ts';
import { intentDomain, positionIntentTypes, swapIntentTypes } from '../../../protocol/eip712.ts';
import type { PositionIntent, SwapIntent } from '../../../protocol/intent.ts';
import { signedIntentToJson } from '../../../protocol/json.ts';
import { abs, WAD } from '../../../protocol/margin.ts';
import { $, allowance, amount, el, expiry, parseAmount, randomNonce, row, short, txCell } from './format.ts';
import { accountState, liquidationPrice, marketStates, type Preview, previewPosition } from './margin-preview.ts';
import {
  defaultPremium,
  describeOption,
  getOptionQuote,
  type OptionPageContext,
  refreshOptionHealth,
  refreshSeries,
  renderModel,
  renderOptionPositions,
  renderOptionPreview,
  signOption,
  staleOptionQuote,
} from './options.ts';
import { type Connection, connect, type Discovered, discoverWallets, isUserRejection, walletChoices } from './wallet.ts';

const clearingHouseAbi = parseAbi(['function deposit(address account, uint256 amount)', 'function withdraw(uint256 amount, address to)']);
const APP_DATA = keccak256(toHex('trade page'));

const api = new NodeApi(location.origin, { timeoutMs: 15_000 });
let health: HealthResponse | undefined;
let markets: MarketsResponse | undefined;
let conn: Connection | undefined;
let margin: AccountMargin | undefined;
let quoteBuy: { key: string; buyAmount: bigint } | undefined;
const found: Discovered[] = [];
/** The auctions each of my intents was seen in (GET /v1/auction lists the open auction's intents). */
const seenIn = new Map<Hex, number[]>();

// ---- messages --------------------------------------------------------------------------------

function say(kind: 'info' | 'error', text: string): void {
  const m = $('message');
  m.hidden = false;
  m.className = `message ${kind}`;
  m.textContent = text;
}

/** A readable reason for a failed wallet or node call. */
function explain(e: unknown): string {
  if (isUserRejection(e)) return 'You rejected the request in your wallet: nothing was signed or submitted.';
  if (e instanceof NodeApiError) return `The node refused it: ${e.code}: ${e.message.replace(/^\d+ [a-z_]+: /, '')}`;
  const v = e as { shortMessage?: string; message?: string };
  return v.shortMessage ?? v.message ?? String(e);
}

/** Buttons whose action is running (the periodic refresh leaves them disabled). */
const busy = new Set<HTMLButtonElement>();

/** Runs a button's action with the button disabled, reporting the outcome. */
async function action(button: HTMLButtonElement, f: () => Promise<string | undefined>): Promise<void> {
  if (busy.has(button)) return;
  busy.add(button);
  button.disabled = true;
  try {
    const done = await f();
    if (done) say('info', done);
  } catch (e) {
    say('error', explain(e));
  } finally {
    busy.delete(button);
    button.disabled = false;
    await refresh();
  }
}

// ---- the node --------------------------------------------------------------------------------

const tokens = (): TokenListing[] => {
  const list = markets?.tokens ?? [];
  const c = markets?.available ? markets.collateral : undefined;
  return c && !list.some((t) => t.address === c.address) ? [...list, c] : list;
};
const tokenOf = (a: string): TokenListing | undefined => tokens().find((t) => t.address === a.toLowerCase());
const collateral = (): TokenListing | undefined => (markets?.available ? markets.collateral : undefined);
const priceText = (p: bigint | string): string => amount(p, collateral()?.decimals ?? 18, 2);

async function init(): Promise<void> {
  try {
    [health, markets] = await Promise.all([api.health(), api.markets()]);
  } catch (e) {
    $('node-status').className = 'pill down';
    $('node-status').textContent = `node unreachable: ${explain(e)}`;
    return;
  }
  $('node-status').className = 'pill live';
  $('node-status').textContent = `node on chain ${health.chainId} · ${health.peers} peers`;
  for (const [id, pick] of [
    ['sell-token', 0],
    ['buy-token', 1],
  ] as const) {
    const s = $<HTMLSelectElement>(id);
    for (const t of markets.tokens) s.append(el('option', t.symbol, { value: t.address }));
    s.selectedIndex = Math.min(pick, markets.tokens.length - 1);
  }
  if (markets.available) {
    $('collateral-symbol').textContent = markets.collateral.symbol;
    for (const m of markets.markets) $<HTMLSelectElement>('market').append(el('option', `${m.name} (#${m.id})`, { value: String(m.id) }));
  } else {
    $('collateral-symbol').textContent = `unavailable: ${markets.reason}`;
  }
  defaultLimit();
  await refreshSeries(optionContext());
  defaultPremium(optionContext());
  renderOptionOrder();
  document.body.dataset.ready = 'true';
}

/** The option form's view of the node: collateral decimals from the markets (18 without a clearing house). */
function optionContext(): OptionPageContext {
  const col = collateral();
  return {
    api,
    chainId: health?.chainId ?? 0,
    settlement: health?.settlement ?? zeroAddress,
    collateralDecimals: col?.decimals ?? 18,
    collateralSymbol: col?.symbol ?? '',
    ...(markets?.available ? { clearingHouse: markets.clearingHouse } : {}),
  };
}

// ---- the wallet ------------------------------------------------------------------------------

function renderPicker(show: boolean): void {
  const picker = $('wallet-picker');
  const choices = walletChoices(found);
  if (!show && picker.hidden) return;
  picker.replaceChildren(el('span', 'Choose a wallet: '));
  for (const w of choices) {
    const b = el('button', w.info.name, { type: 'button', class: 'wallet-choice', 'data-uuid': w.info.uuid }) as HTMLButtonElement;
    b.onclick = () => void useWallet(w);
    picker.append(b);
  }
  picker.hidden = false;
}

const listening = new WeakSet<object>();

async function useWallet(w: Discovered): Promise<void> {
  $('wallet-picker').hidden = true;
  try {
    conn = await connect(w.provider);
  } catch (e) {
    say('error', `Could not connect ${w.info.name}: ${explain(e)}`);
    return;
  }
  if (!listening.has(w.provider)) {
    listening.add(w.provider);
    const p = w.provider as { on?: (event: string, f: () => void) => void };
    // a switch of chain or account in the wallet reconnects (and re-checks the chain)
    p.on?.('chainChanged', () => void useWallet(w));
    p.on?.('accountsChanged', () => void useWallet(w));
  }
  $('account').textContent = conn.account;
  $('chain').textContent = String(conn.chainId);
  $('connect').textContent = `Connected: ${w.info.name}`;
  await checkChain();
  await refresh();
}

/** Whether the wallet is on the node's chain; shows the clear message when it is not. */
async function checkChain(): Promise<boolean> {
  const banner = $('chain-error');
  const ok = !!conn && !!health && conn.chainId === health.chainId;
  if (conn && health && !ok) {
    banner.textContent = `Wrong network: your wallet is on chain ${conn.chainId}, but this node settles on chain ${health.chainId}. Switch your wallet to chain ${health.chainId} to trade.`;
    banner.hidden = false;
  } else banner.hidden = true;
  for (const id of ['approve', 'deposit', 'withdraw', 'sign-swap', 'sign-position', 'sign-option']) {
    const b = $<HTMLButtonElement>(id);
    b.disabled = busy.has(b) || !ok || (id === 'sign-swap' && !$<HTMLInputElement>('min-buy').value);
  }
  return ok;
}

function ready(): Connection {
  if (!conn) throw new Error('Connect a wallet first.');
  if (!health || conn.chainId !== health.chainId) throw new Error(`Wrong network: switch your wallet to chain ${health?.chainId}.`);
  return conn;
}

async function send(
  c: Connection,
  tx: Parameters<Connection['wallet']['writeContract']>[0] extends infer T ? Omit<T & object, 'account' | 'chain'> : never,
): Promise<Hex> {
  const hash = await c.wallet.writeContract({
    ...(tx as Parameters<Connection['wallet']['writeContract']>[0]),
    account: c.account,
    chain: null,
  });
  const receipt = await waitForReceipt(c.reader, hash, { maxDelayMs: 1_000 });
  if (receipt.status !== 'success') throw new Error(`transaction ${hash} reverted`);
  return hash;
}

// ---- balances, allowances, margin ------------------------------------------------------------

async function renderBalances(c: Connection): Promise<void> {
  const vault = markets?.vault;
  const rows = await Promise.all(
    tokens().map(async (t) => {
      const [balance, allowed] = await Promise.all([
        c.reader.readContract({ address: t.address, abi: erc20Abi, functionName: 'balanceOf', args: [c.account] }),
        vault ? c.reader.readContract({ address: t.address, abi: erc20Abi, functionName: 'allowance', args: [c.account, vault] }) : 0n,
      ]);
      const button = el('button', 'Approve', { type: 'button', class: 'small approve-vault', 'data-token': t.address });
      (button as HTMLButtonElement).onclick = () =>
        void action(button as HTMLButtonElement, async () => {
          const cc = ready();
          if (!vault) throw new Error('the node does not know the Settlement vault');
          const hash = await send(cc, { address: t.address, abi: erc20Abi, functionName: 'approve', args: [vault, maxUint256] });
          return `Approved the vault for ${t.symbol} (${short(hash)}).`;
        });
      const cells = [t.symbol, amount(balance, t.decimals), allowance(allowed, t.decimals), allowed >= maxUint256 / 2n ? '' : button];
      return row(cells, { 'data-token': t.address }, [1, 2]);
    }),
  );
  $('balances')
    .querySelector('tbody')!
    .replaceChildren(...rows);
  const col = collateral();
  if (col && markets?.available) {
    const a = await c.reader.readContract({
      address: col.address,
      abi: erc20Abi,
      functionName: 'allowance',
      args: [c.account, markets.clearingHouse],
    });
    $('allowance').textContent = `${allowance(a, col.decimals)} ${col.symbol}`;
    $('allowance').dataset.value = a.toString();
  }
}

async function renderMargin(c: Connection): Promise<void> {
  const col = collateral();
  if (!col || !markets?.available) return;
  margin = await api.margin(c.account).catch(() => undefined);
  if (!margin) return;
  const d = col.decimals;
  $('collateral').textContent = `${amount(margin.collateral, d, 2)} ${col.symbol}`;
  $('collateral').dataset.value = margin.collateral;
  $('equity').textContent = `${amount(margin.equity, d, 2)} ${col.symbol}`;
  $('requirements').textContent = `${amount(margin.initialRequirement, d, 2)} / ${amount(margin.maintenanceRequirement, d, 2)}`;
  $('health').textContent =
    margin.health === null ? 'no positions' : `${margin.health.toFixed(2)}${margin.liquidatable ? ' · liquidatable' : ''}`;
  const states = marketStates(markets.markets);
  const state = accountState(margin, states);
  $('positions')
    .querySelector('tbody')!
    .replaceChildren(
      ...margin.positions.map((p) => {
        const size = BigInt(p.size);
        const liq = liquidationPrice(state, states, p.market);
        return row(
          [
            p.name,
            amount(size, 18, 4),
            priceText(size === 0n ? 0n : abs((BigInt(p.openNotional) * WAD) / size)),
            priceText(p.mark),
            amount(p.unrealisedPnl, d, 2),
            liq === null ? '–' : priceText(liq),
          ],
          { 'data-market': String(p.market) },
          [1, 2, 3, 4, 5],
        );
      }),
    );
  renderOptionPositions(margin, d);
}

// ---- swap ------------------------------------------------------------------------------------

function swapInputs(): { sell: TokenListing; buy: TokenListing; sellAmount: bigint } {
  const sell = tokenOf($<HTMLSelectElement>('sell-token').value);
  const buy = tokenOf($<HTMLSelectElement>('buy-token').value);
  if (!sell || !buy) throw new Error('choose the tokens to sell and buy');
  if (sell.address === buy.address) throw new Error('sell and buy tokens must differ');
  return { sell, buy, sellAmount: parseAmount($<HTMLInputElement>('sell-amount').value, sell.decimals, 'sell amount') };
}

const slippageBps = (): bigint => {
  const v = Number($<HTMLInputElement>('slippage').value);
  if (!Number.isFinite(v) || v < 0 || v > 50) throw new Error('slippage: a percentage between 0 and 50');
  return BigInt(Math.round(v * 100));
};

async function getQuote(): Promise<string | undefined> {
  const { sell, buy, sellAmount } = swapInputs();
  const box = $('quote');
  box.className = 'quote';
  box.textContent = 'asking the solvers…';
  quoteBuy = undefined;
  try {
    const q = await api.quote({
      type: 'swap',
      sellToken: sell.address,
      buyToken: buy.address,
      kind: 'sell',
      amount: sellAmount.toString(),
      ...(conn ? { owner: conn.account } : {}),
    });
    if (q.quote.type !== 'swap') throw new Error('the node answered a position quote');
    const out = BigInt(q.quote.buyAmount);
    const min = (out * (10_000n - slippageBps())) / 10_000n;
    quoteBuy = { key: `${sell.address}${buy.address}${sellAmount}`, buyAmount: out };
    box.className = 'quote ok';
    box.textContent = `Quote: ${amount(sellAmount, sell.decimals)} ${sell.symbol} → ${amount(out, buy.decimals)} ${buy.symbol} (${q.quotes.length} solver${q.quotes.length === 1 ? '' : 's'}, best ${short(q.quote.solver)}; expires ${new Date(q.expiresAt).toLocaleTimeString()}). At least ${amount(min, buy.decimals)} ${buy.symbol} with your slippage.`;
    $<HTMLInputElement>('min-buy').value = amount(min, buy.decimals, buy.decimals);
  } catch (e) {
    box.className = 'quote none';
    box.textContent = `No quote available: ${explain(e)}. You can still set the minimum you accept yourself.`;
  }
  await checkChain();
  return undefined;
}

async function signSwap(): Promise<string> {
  const c = ready();
  const { sell, buy, sellAmount } = swapInputs();
  const buyAmount = parseAmount($<HTMLInputElement>('min-buy').value, buy.decimals, 'minimum to receive');
  if (buyAmount === 0n) throw new Error('minimum to receive: must be above zero');
  const intent: SwapIntent = {
    owner: c.account,
    sellToken: sell.address,
    buyToken: buy.address,
    receiver: zeroAddress,
    sellAmount,
    buyAmount,
    validTo: expiry('swap-expiry'),
    nonce: randomNonce(),
    kind: 0,
    partiallyFillable: $<HTMLInputElement>('swap-partial').checked,
    appData: APP_DATA,
  };
  const data = await c.wallet.signTypedData({
    account: c.account,
    domain: intentDomain(health!.chainId, health!.settlement),
    types: swapIntentTypes,
    primaryType: 'SwapIntent',
    message: intent,
  });
  const res = await api.submitIntent(signedIntentToJson({ type: 'swap', intent, signature: { scheme: 'eoa', data } }));
  return `Swap intent ${short(res.id)} submitted (${res.state}): sell ${amount(sellAmount, sell.decimals)} ${sell.symbol} for at least ${amount(buyAmount, buy.decimals)} ${buy.symbol}.`;
}

// ---- position --------------------------------------------------------------------------------

function positionInputs(): { market: number; sizeDelta: bigint; limitPrice: bigint } {
  const market = Number($<HTMLSelectElement>('market').value);
  const col = collateral();
  if (!col || !Number.isInteger(market)) throw new Error('this node has no perpetual markets');
  const size = parseAmount($<HTMLInputElement>('size').value, 18, 'size');
  if (size === 0n) throw new Error('size: must be above zero');
  const limitPrice = parseAmount($<HTMLInputElement>('limit-price').value, col.decimals, 'limit price');
  return { market, sizeDelta: $<HTMLSelectElement>('side').value === 'short' ? -size : size, limitPrice };
}

/** A limit 2% through the mark when the field is empty. */
function defaultLimit(): void {
  const input = $<HTMLInputElement>('limit-price');
  const m = markets?.available ? markets.markets.find((x) => x.id === Number($<HTMLSelectElement>('market').value)) : undefined;
  if (!m || input.value) return;
  const mark = BigInt(m.mark);
  input.value = priceText($<HTMLSelectElement>('side').value === 'short' ? (mark * 98n) / 100n : (mark * 102n) / 100n);
}

/** Says when the chosen market's circuit breaker halts it: what still fills and what waits. */
function renderHalt(): void {
  const note = $('market-halt');
  const m = markets?.available ? markets.markets.find((x) => x.id === Number($<HTMLSelectElement>('market').value)) : undefined;
  note.hidden = !m?.halted;
  if (m?.halted)
    note.textContent =
      `${m.name} is halted by its circuit breaker (the oracle moved too far too fast) until ` +
      `${new Date(m.haltedUntil * 1000).toLocaleTimeString()} at least: a position that adds risk waits in the pool until then; ` +
      'reduce-only closes still fill.';
}

function renderPreview(): void {
  const body = $('margin-preview').querySelector('tbody')!;
  renderHalt();
  if (!markets?.available) return;
  const col = markets.collateral;
  let before: Preview;
  let after: Preview;
  try {
    const p = positionInputs();
    ({ before, after } = previewPosition(
      margin,
      marketStates(markets.markets),
      p.market,
      p.sizeDelta,
      p.limitPrice,
      $<HTMLInputElement>('reduce-only').checked,
    ));
  } catch (e) {
    body.replaceChildren(row([(e as Error).message, '', '']));
    return;
  }
  const c = (v: bigint): string => amount(v, col.decimals, 2);
  const liq = (v: bigint | null): string => (v === null ? '–' : priceText(v));
  const free = (h: Preview): string => c(h.equity - h.initialRequirement);
  const N = [1, 2];
  body.replaceChildren(
    row(['Equity', c(before.equity), c(after.equity)], {}, N),
    row(['Initial requirement', c(before.initialRequirement), c(after.initialRequirement)], { 'data-row': 'initial' }, N),
    row(['Maintenance requirement', c(before.maintenanceRequirement), c(after.maintenanceRequirement)], { 'data-row': 'maintenance' }, N),
    row(['Free margin', free(before), free(after)], { class: after.equity < after.initialRequirement ? 'bad' : '' }, N),
    row(['Liquidation price', liq(before.liquidationPrice), liq(after.liquidationPrice)], { 'data-row': 'liquidation' }, N),
  );
}

async function signPosition(): Promise<string> {
  const c = ready();
  const { market, sizeDelta, limitPrice } = positionInputs();
  const intent: PositionIntent = {
    account: c.account,
    market,
    sizeDelta,
    limitPrice,
    reduceOnly: $<HTMLInputElement>('reduce-only').checked,
    partiallyFillable: $<HTMLInputElement>('position-partial').checked,
    validTo: expiry('position-expiry'),
    nonce: randomNonce(),
  };
  const data = await c.wallet.signTypedData({
    account: c.account,
    domain: intentDomain(health!.chainId, health!.settlement),
    types: positionIntentTypes,
    primaryType: 'PositionIntent',
    message: intent,
  });
  const res = await api.submitIntent(signedIntentToJson({ type: 'position', intent, signature: { scheme: 'eoa', data } }));
  return `Position intent ${short(res.id)} submitted (${res.state}): ${sizeDelta > 0n ? 'long' : 'short'} ${amount(abs(sizeDelta), 18)} at ${priceText(limitPrice)} or better.`;
}

async function cancel(id: Hex): Promise<string> {
  const c = ready();
  const signature = await c.wallet.signTypedData({
    account: c.account,
    domain: intentDomain(health!.chainId, health!.settlement),
    types: cancelIntentTypes,
    primaryType: 'CancelIntent',
    message: { intentId: id },
  });
  const res = await api.cancelIntent(id, signature);
  return `Intent ${short(id)} is ${res.state}.`;
}

// ---- my intents and fills --------------------------------------------------------------------

function describe(s: IntentStatusResponse): string {
  const si = s.signedIntent;
  if (!si) return '?';
  if (si.type === 'option') return describeOption(si.intent, collateral()?.decimals ?? 18);
  if (si.type === 'swap') {
    const sell = tokenOf(si.intent.sellToken);
    const buy = tokenOf(si.intent.buyToken);
    return `sell ${sell ? amount(si.intent.sellAmount, sell.decimals) : si.intent.sellAmount} ${sell?.symbol ?? '?'} for ≥ ${buy ? amount(si.intent.buyAmount, buy.decimals) : si.intent.buyAmount} ${buy?.symbol ?? '?'}`;
  }
  const size = BigInt(si.intent.sizeDelta);
  const name = markets?.available ? markets.markets.find((m) => m.id === si.intent.market)?.name : undefined;
  return `${size > 0n ? 'long' : 'short'} ${amount(abs(size), 18)} ${name ?? `#${si.intent.market}`} @ ${size > 0n ? '≤' : '≥'} ${priceText(si.intent.limitPrice)}${si.intent.reduceOnly ? ' reduce-only' : ''}`;
}

/** Executed amounts against the limit, and the surplus, of a filled intent. */
function execution(s: IntentStatusResponse, trades: Trade[]): string {
  const si = s.signedIntent;
  if (!si || !s.settlement || si.type === 'option') return '';
  if (si.type === 'swap') {
    const t = trades.find((x): x is SwapTrade => x.kind === 'swap' && x.id === s.id);
    const sell = tokenOf(si.intent.sellToken);
    const buy = tokenOf(si.intent.buyToken);
    if (!t || !sell || !buy) return '';
    const sold = BigInt(t.executedSellAmount);
    const got = BigInt(t.executedBuyAmount);
    const limit = (BigInt(si.intent.buyAmount) * sold) / BigInt(si.intent.sellAmount);
    return `sold ${amount(sold, sell.decimals)} ${sell.symbol}, got ${amount(got, buy.decimals)} ${buy.symbol} (limit ${amount(limit, buy.decimals)}) · surplus ${amount(got - limit, buy.decimals)} ${buy.symbol}`;
  }
  const t = trades.find(
    (x): x is PositionTrade =>
      x.kind === 'position' && x.txHash === s.settlement?.txHash && x.account === s.owner && x.market === si.intent.market,
  );
  if (!t) return '';
  const price = BigInt(t.price);
  const limit = BigInt(si.intent.limitPrice);
  const size = BigInt(t.sizeDelta);
  const surplus = ((size > 0n ? limit - price : price - limit) * abs(size)) / WAD;
  return `${size > 0n ? 'bought' : 'sold'} ${amount(abs(size), 18)} at ${priceText(price)} (limit ${priceText(limit)}) · surplus ${priceText(surplus)} ${collateral()?.symbol ?? ''}`;
}

/** Per filled intent: the auction whose settlement carried its fill (null: none of the auctions the page saw). */
const settledIn = new Map<Hex, { auction: number | null; tries: number }>();

/**
 * The auction that settled a fill: an intent stays open (and in the next auctions) until the
 * settlement is mined, so the page looks for the fill's transaction among the recent auctions'
 * first settlements, then among all settlements of the auctions it saw the intent in (another
 * winner of the same auction settles in its own transaction).
 */
async function settlingAuction(s: IntentStatusResponse, recent: () => Promise<AuctionSummary[]>): Promise<number | null> {
  const tx = s.settlement?.txHash;
  const known = settledIn.get(s.id);
  if (!tx || (known && (known.auction !== null || known.tries >= 5))) return known?.auction ?? null;
  const listed = (await recent()).find((a) => a.settlement?.txHash === tx);
  if (listed) {
    settledIn.set(s.id, { auction: listed.id, tries: 0 });
    return listed.id;
  }
  for (const k of [...(seenIn.get(s.id) ?? [])].reverse()) {
    const a = await api.auctionById(k).catch(() => undefined);
    if (a?.settlements.some((x) => x.txHash === tx)) {
      settledIn.set(s.id, { auction: k, tries: 0 });
      return k;
    }
  }
  settledIn.set(s.id, { auction: null, tries: (known?.tries ?? 0) + 1 });
  return null;
}

async function status(
  s: IntentStatusResponse,
  auction: CurrentAuctionResponse | undefined,
  recent: () => Promise<AuctionSummary[]>,
): Promise<{ text: string; cls: string }> {
  const seen = seenIn.get(s.id) ?? [];
  if (auction && auction.id !== null && auction.intents.some((i) => i.id === s.id) && !seen.includes(auction.id)) {
    seen.push(auction.id);
    seenIn.set(s.id, seen);
  }
  if (s.state === 'open' && auction?.id != null && seen.includes(auction.id)) return { text: `in auction #${auction.id}`, cls: 'auction' };
  const state = s.state.replace('_', ' ');
  if (s.settlement) {
    const k = await settlingAuction(s, recent);
    return { text: k === null ? state : `${state} in auction #${k}`, cls: s.state };
  }
  return { text: seen.length ? `${state} (was in auction #${seen.at(-1)})` : state, cls: s.state };
}

async function renderActivity(c: Connection): Promise<void> {
  const [mine, auction, trades] = await Promise.all([
    api.ownerIntents(c.account, 'all'),
    api.auction().catch(() => undefined),
    api.trades(500).then((r) => r.trades),
  ]);
  let auctions: Promise<AuctionSummary[]> | undefined;
  const recent = (): Promise<AuctionSummary[]> => {
    auctions ??= api.auctions(200).then(
      (r) => r.auctions,
      () => [],
    );
    return auctions;
  };
  const states = await Promise.all(mine.intents.map((s) => status(s, auction, recent)));
  const rows = mine.intents.map((s, i) => {
    const st = states[i]!;
    const state = el('span', st.text, { class: `state ${st.cls}` });
    const cell = el('div');
    cell.append(state);
    if (s.settlement) cell.append(' · ', txCell(s.settlement.txHash));
    const live = s.state === 'open' || s.state === 'partially_filled';
    const button = el('button', 'Cancel', { type: 'button', class: 'small cancel' }) as HTMLButtonElement;
    button.onclick = () => void action(button, () => cancel(s.id));
    return row([short(s.id), describe(s), cell, execution(s, trades), live ? button : ''], {
      'data-intent': s.id,
      'data-state': s.state,
      ...(s.settlement ? { 'data-tx': s.settlement.txHash } : {}),
    });
  });
  $('intents')
    .querySelector('tbody')!
    .replaceChildren(...rows);
  const fills = trades.filter((t) => (t.kind === 'swap' ? t.owner : t.account) === c.account);
  $('fills')
    .querySelector('tbody')!
    .replaceChildren(
      ...fills.map((t) => {
        let what: string;
        let executed: string;
        if (t.kind === 'swap') {
          const sell = tokenOf(t.sellToken);
          const buy = tokenOf(t.buyToken);
          what = `${sell?.symbol ?? '?'} → ${buy?.symbol ?? '?'}`;
          executed = `${amount(t.executedSellAmount, sell?.decimals ?? 18)} → ${amount(t.executedBuyAmount, buy?.decimals ?? 18)}`;
        } else if (t.kind === 'option') {
          what = `${t.name ?? 'series'} ${t.isCall === undefined ? `#${t.series}` : `${t.isCall ? 'call' : 'put'} ${priceText(t.strike ?? '0')}`} ${BigInt(t.size) > 0n ? 'bought' : 'written'}`;
          executed = `${amount(abs(BigInt(t.size)), 18)} @ ${priceText(t.premium)}`;
        } else {
          what = `${t.name} ${BigInt(t.sizeDelta) > 0n ? 'long' : 'short'}`;
          executed = `${amount(abs(BigInt(t.sizeDelta)), 18)} @ ${priceText(t.price)}`;
        }
        const attrs = { 'data-tx': t.txHash, ...(t.kind === 'swap' || t.kind === 'option' ? { 'data-intent': t.id } : {}) };
        return row([t.kind, what, executed, txCell(t.txHash), String(t.blockNumber)], attrs, [2, 4]);
      }),
    );
}

/** Takes the node's current market states (marks, funding); a transient failure keeps the last ones. */
async function refreshMarkets(): Promise<void> {
  const m = await api.markets().catch(() => undefined);
  if (m?.available && markets?.available) markets = m;
}

let refreshing: Promise<void> | undefined;
/** Re-reads the wallet's balances, the account's margin, intents and fills (one refresh at a time). */
function refresh(): Promise<void> {
  refreshing ??= (async () => {
    const c = conn;
    if (!c || !(await checkChain())) return;
    try {
      // marks and funding indices move: the margin preview must not price against the page-load ones
      await Promise.all([refreshMarkets(), renderBalances(c), renderMargin(c), renderActivity(c), refreshSeries(optionContext())]);
      await refreshOptionHealth(optionContext(), c);
      renderPreview();
      renderOptionOrder();
    } catch (e) {
      $('node-status').className = 'pill down';
      $('node-status').textContent = `refresh failed: ${explain(e)}`;
      return;
    }
    $('node-status').className = 'pill live';
    $('node-status').textContent = `node on chain ${health?.chainId} · updated ${new Date().toLocaleTimeString()}`;
  })().finally(() => {
    refreshing = undefined;
  });
  return refreshing;
}

// ---- wiring ----------------------------------------------------------------------------------

const button = (id: string): HTMLButtonElement => $<HTMLButtonElement>(id);

button('connect').onclick = () => {
  const choices = walletChoices(found);
  if (choices.length === 0) say('error', 'No wallet found: install a browser wallet (EIP-1193 / EIP-6963) and reload.');
  else if (choices.length === 1) void useWallet(choices[0]!);
  else renderPicker(true);
};
button('approve').onclick = () =>
  void action(button('approve'), async () => {
    const c = ready();
    const col = collateral();
    if (!col || !markets?.available) throw new Error('this node has no clearing house');
    const hash = await send(c, { address: col.address, abi: erc20Abi, functionName: 'approve', args: [markets.clearingHouse, maxUint256] });
    return `Approved the clearing house for ${col.symbol} (${short(hash)}).`;
  });
button('deposit').onclick = () =>
  void action(button('deposit'), async () => {
    const c = ready();
    const col = collateral();
    if (!col || !markets?.available) throw new Error('this node has no clearing house');
    const value = parseAmount($<HTMLInputElement>('deposit-amount').value, col.decimals, 'deposit');
    const hash = await send(c, {
      address: markets.clearingHouse,
      abi: clearingHouseAbi,
      functionName: 'deposit',
      args: [c.account, value],
    });
    return `Deposited ${amount(value, col.decimals)} ${col.symbol} (${short(hash)}).`;
  });
button('withdraw').onclick = () =>
  void action(button('withdraw'), async () => {
    const c = ready();
    const col = collateral();
    if (!col || !markets?.available) throw new Error('this node has no clearing house');
    const value = parseAmount($<HTMLInputElement>('withdraw-amount').value, col.decimals, 'withdraw');
    const hash = await send(c, {
      address: markets.clearingHouse,
      abi: clearingHouseAbi,
      functionName: 'withdraw',
      args: [value, c.account],
    });
    return `Withdrew ${amount(value, col.decimals)} ${col.symbol} (${short(hash)}).`;
  });
button('get-quote').onclick = () => void action(button('get-quote'), getQuote);
button('sign-swap').onclick = () => void action(button('sign-swap'), signSwap);
button('sign-position').onclick = () => void action(button('sign-position'), signPosition);
button('sign-option').onclick = () => void action(button('sign-option'), () => signOption(optionContext(), ready()));
button('get-option-quote').onclick = () =>
  void action(button('get-option-quote'), async () => {
    await getOptionQuote(optionContext(), slippageBps(), conn?.account, explain);
    renderOptionOrder();
    return undefined;
  });
/** The option form's model line and margin preview. */
function renderOptionOrder(): void {
  renderModel(optionContext(), markets);
  renderOptionPreview(optionContext(), margin);
}
for (const id of ['option-size', 'premium-limit', 'option-reduce-only']) $(id).addEventListener('input', renderOptionOrder);
$('option-size').addEventListener('input', staleOptionQuote);
for (const id of ['option-series', 'option-side'])
  $(id).addEventListener('change', () => {
    defaultPremium(optionContext(), true);
    staleOptionQuote();
    renderOptionOrder();
  });
for (const id of ['sell-token', 'buy-token', 'sell-amount']) $(id).addEventListener('input', () => void staleQuote());
$('min-buy').addEventListener('input', () => void checkChain());
for (const id of ['market', 'side', 'size', 'limit-price', 'reduce-only']) $(id).addEventListener('input', renderPreview);
for (const id of ['market', 'side'])
  $(id).addEventListener('change', () => {
    $<HTMLInputElement>('limit-price').value = '';
    defaultLimit();
    renderPreview();
  });

/** A quote for other inputs is dropped (its minimum no longer applies). */
async function staleQuote(): Promise<void> {
  if (!quoteBuy) return;
  quoteBuy = undefined;
  $('quote').className = 'quote';
  $('quote').textContent = 'inputs changed: get a new quote';
  $<HTMLInputElement>('min-buy').value = '';
  await checkChain();
}

discoverWallets(found, () => renderPicker(false));
void init().then(() => {
  renderPreview();
  setInterval(() => void refresh(), 1000);
});
