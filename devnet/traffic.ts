// Wallets and their intents: fresh keys funded from the devnet deployer (ether, DAI, USDC, WBTC,
// one approval of the Vault per token, DAI margin deposited in the clearing house), and signed swap,
// position and option intents with limits a little worse than the current price (the option's model
// premium), submitted to a node's HTTP API as wallets do (EIP-712 signature, JSON form).
import { keccak256, maxUint256, parseEther, parseUnits, toHex, zeroAddress, type Address, type Hex, type LocalAccount } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { clearingHouseAbi } from '../contracts/artifacts/ClearingHouse.ts';
import { optionBookAbi } from '../contracts/artifacts/OptionBook.ts';
import { testTokenAbi } from '../contracts/artifacts/TestToken.ts';
import { confirm, type DevnetClients } from '../contracts/deploy/clients.ts';
import { signOptionIntent } from '../contracts/client/options.ts';
import { signPositionIntent } from '../contracts/client/positions.ts';
import { signSwapIntent } from '../contracts/client/settlement.ts';
import { v2Reserves } from '../contracts/deploy/uniswap-v2.ts';
import type { IntentState, OptionSeriesRow, SubmitIntentRequest } from '../protocol/api.ts';
import { NodeApi, NodeApiError } from '../protocol/client.ts';
import { signedIntentToJson } from '../protocol/json.ts';
import type { OptionIntent, PositionIntent, SignedIntent, SwapIntent } from '../protocol/intent.ts';
import { intentDigest } from '../protocol/hash.ts';
import { intentDomain } from '../protocol/eip712.ts';
import type { Deployment } from './deployment.ts';

export type Wallet = { account: LocalAccount; nextNonce: bigint };

export function makeWallets(seed: string, n: number): Wallet[] {
  return Array.from({ length: n }, (_, k) => ({ account: privateKeyToAccount(keccak256(toHex(`${seed}/${k}`))), nextNonce: 0n }));
}

export const FUNDING = {
  dai: parseUnits('1000000', 18),
  usdc: parseUnits('1000000', 6),
  wbtc: parseUnits('20', 8),
  margin: parseUnits('200000', 18),
};

/** Ether, tokens, Vault approvals and DAI margin for each wallet. The deployer's transactions go one by one (one nonce sequence); the wallets' own in parallel. */
export async function fundWallets(clients: DevnetClients, d: Deployment, wallets: Wallet[]): Promise<void> {
  const { publicClient, deployer } = clients;
  for (const w of wallets) {
    const a = w.account.address;
    await confirm(publicClient, deployer.sendTransaction({ to: a, value: parseEther('1') }));
    for (const [token, amount] of [
      [d.tokens.dai, FUNDING.dai + FUNDING.margin],
      [d.tokens.usdc, FUNDING.usdc],
      [d.tokens.wbtc, FUNDING.wbtc],
    ] as const) {
      await confirm(publicClient, deployer.writeContract({ address: token, abi: testTokenAbi, functionName: 'mint', args: [a, amount] }));
    }
  }
  await Promise.all(
    wallets.map(async (w) => {
      const wallet = clients.walletFor(w.account);
      for (const token of [d.tokens.dai, d.tokens.usdc, d.tokens.wbtc]) {
        await confirm(
          publicClient,
          wallet.writeContract({ address: token, abi: testTokenAbi, functionName: 'approve', args: [d.vault, maxUint256] }),
        );
      }
      await confirm(
        publicClient,
        wallet.writeContract({ address: d.tokens.dai, abi: testTokenAbi, functionName: 'approve', args: [d.clearingHouse, maxUint256] }),
      );
      await confirm(
        publicClient,
        wallet.writeContract({
          address: d.clearingHouse,
          abi: clearingHouseAbi,
          functionName: 'deposit',
          args: [w.account.address, FUNDING.margin],
        }),
      );
    }),
  );
}

export type Prices = {
  /** USDC base units per 1e18 DAI base units, as a float ratio of base units */
  daiUsdc: number;
  /** USDC base units per WBTC base unit */
  wbtcUsdc: number;
  /** market id -> oracle mark (collateral base units per 1e18 size) */
  marks: Map<number, bigint>;
};

export async function readPrices(clients: Pick<DevnetClients, 'publicClient'>, d: Deployment): Promise<Prices> {
  const [rDai, rUsdc1] = await v2Reserves(clients, d.pairs.daiUsdc, d.tokens.dai);
  const [rWbtc, rUsdc2] = await v2Reserves(clients, d.pairs.wbtcUsdc, d.tokens.wbtc);
  const marks = new Map<number, bigint>();
  for (const m of d.markets) {
    const [price] = await clients.publicClient.readContract({
      address: d.clearingHouse,
      abi: clearingHouseAbi,
      functionName: 'markPrice',
      args: [m.id],
    });
    marks.set(m.id, price);
  }
  return { daiUsdc: Number(rUsdc1) / Number(rDai), wbtcUsdc: Number(rUsdc2) / Number(rWbtc), marks };
}

export type Made = { signed: SignedIntent; id: Hex; json: SubmitIntentRequest; kind: 'swap' | 'position' | 'option' };

function finish(d: Deployment, signed: SignedIntent): Made {
  const id = intentDigest(signed, intentDomain(d.chainId, d.settlement)).toLowerCase() as Hex;
  return { signed, id, json: signedIntentToJson(signed), kind: signed.type };
}

const floorBig = (x: number): bigint => BigInt(Math.floor(x));

/**
 * A swap: sell `amountUsd` worth of one token for another at a limit `slippage` below the current
 * pool price (fill-or-kill SELL, or partially fillable when `partial`).
 */
export async function makeSwap(
  d: Deployment,
  w: Wallet,
  prices: Prices,
  o: { pair: 'daiUsdc' | 'wbtcUsdc'; sellBase: boolean; amountUsd: number; slippage: number; validTo: number; partial?: boolean },
): Promise<Made> {
  const base = o.pair === 'daiUsdc' ? d.tokens.dai : d.tokens.wbtc;
  const baseDec = o.pair === 'daiUsdc' ? 18 : 8;
  const px = o.pair === 'daiUsdc' ? prices.daiUsdc : prices.wbtcUsdc; // usdc units per base unit
  const usdPerBaseToken = o.pair === 'daiUsdc' ? 1 : 100_000;
  const baseAmount = floorBig((o.amountUsd / usdPerBaseToken) * 10 ** baseDec);
  let sellToken: Address, buyToken: Address, sellAmount: bigint, buyAmount: bigint;
  if (o.sellBase) {
    sellToken = base;
    buyToken = d.tokens.usdc;
    sellAmount = baseAmount;
    buyAmount = floorBig(Number(baseAmount) * px * (1 - o.slippage));
  } else {
    sellToken = d.tokens.usdc;
    buyToken = base;
    sellAmount = floorBig(Number(baseAmount) * px);
    buyAmount = floorBig((Number(sellAmount) / px) * (1 - o.slippage));
  }
  const intent: SwapIntent = {
    owner: w.account.address,
    sellToken,
    buyToken,
    receiver: zeroAddress,
    sellAmount,
    buyAmount,
    validTo: o.validTo,
    nonce: w.nextNonce++,
    kind: 0,
    partiallyFillable: !!o.partial,
    appData: `0x${'00'.repeat(32)}`,
  };
  const data = await signSwapIntent(w.account, d.chainId, d.settlement, intent);
  return finish(d, { type: 'swap', intent, signature: { scheme: 'eoa', data } });
}

/** A position change of `size` (1e18 units, signed) at a limit `slippage` beyond the mark. */
export async function makePosition(
  d: Deployment,
  w: Wallet,
  prices: Prices,
  o: { market: number; size: bigint; slippage: number; validTo: number; partial?: boolean; reduceOnly?: boolean },
): Promise<Made> {
  const mark = prices.marks.get(o.market)!;
  const bps = BigInt(Math.round(o.slippage * 10_000));
  const limitPrice = o.size > 0n ? (mark * (10_000n + bps)) / 10_000n : (mark * (10_000n - bps)) / 10_000n;
  const intent: PositionIntent = {
    account: w.account.address,
    market: o.market,
    sizeDelta: o.size,
    limitPrice,
    reduceOnly: !!o.reduceOnly,
    partiallyFillable: !!o.partial,
    validTo: o.validTo,
    nonce: w.nextNonce++,
  };
  const data = await signPositionIntent(w.account, d.chainId, d.settlement, intent);
  return finish(d, { type: 'position', intent, signature: { scheme: 'eoa', data } });
}

/**
 * Buying (`size` > 0) or writing option contracts of a priced series at a premium limit through its
 * model premium by `slippage` of it, and at least 0.4% of the underlying's mark: the options vault
 * quotes the model price plus a spread of a vol point of vega and a fraction of the mark, which
 * for a cheap out-of-the-money option is a large share of its premium.
 */
export async function makeOption(
  d: Deployment,
  w: Wallet,
  series: Priced,
  prices: Prices,
  o: { size: bigint; slippage: number; validTo: number; partial?: boolean; reduceOnly?: boolean },
): Promise<Made> {
  const model = BigInt(series.price);
  const bps = BigInt(Math.round(o.slippage * 10_000));
  const byShare = (model * bps) / 10_000n;
  const byMark = ((prices.marks.get(series.market) ?? 0n) * 40n) / 10_000n;
  const slack = byShare > byMark ? byShare : byMark;
  const intent: OptionIntent = {
    account: w.account.address,
    series: BigInt(series.id),
    size: o.size,
    premiumLimit: o.size > 0n ? model + slack + 1n : model > slack ? model - slack : 0n,
    reduceOnly: !!o.reduceOnly,
    partiallyFillable: !!o.partial,
    // never past the series' expiry: an expired series trades no more
    validTo: Math.min(o.validTo, series.expiry - 1),
    nonce: w.nextNonce++,
  };
  const data = await signOptionIntent(w.account, d.chainId, d.settlement, intent);
  return finish(d, { type: 'option', intent, signature: { scheme: 'eoa', data } });
}

/** Contracts per option intent, per underlying (1e18 units): one market's position sizes, a little smaller. */
export function randomOptionSize(market: number, random: () => number): bigint {
  const r = POSITION_SIZES[market] ?? { min: 0.1, max: 1 };
  const units = r.min + random() * (r.max / 2 - r.min);
  return parseUnits(units.toFixed(4), 18);
}

type Priced = OptionSeriesRow & { price: string };

/**
 * The series the traffic trades: on the first two markets, the longest expiry's call and put
 * nearest the money (4 series). The options vault is one margin account under the book's bound of
 * 4 open series, so it makes markets in 4 series at a time: traffic spread over all 36 would find
 * it full after its first four and wait for peers.
 */
export function liquidSeries(priced: readonly Priced[], marks: ReadonlyMap<number, bigint>): Priced[] {
  const out: Priced[] = [];
  for (const market of [...new Set(priced.map((s) => s.market))].sort((a, b) => a - b).slice(0, 2)) {
    const mark = marks.get(market) ?? 0n;
    const mine = priced.filter((s) => s.market === market);
    const expiry = Math.max(...mine.map((s) => s.expiry));
    for (const isCall of [true, false]) {
      const dist = (s: Priced): bigint => (BigInt(s.strike) > mark ? BigInt(s.strike) - mark : mark - BigInt(s.strike));
      const pick = mine.filter((s) => s.expiry === expiry && s.isCall === isCall).sort((a, b) => (dist(a) < dist(b) ? -1 : 1))[0];
      if (pick) out.push(pick);
    }
  }
  return out;
}

/** The two series a wallet trades options in: a fixed pair per wallet (no wallet nears the book's 4). */
export function walletSeries(w: Wallet, liquid: readonly Priced[]): Priced[] {
  if (liquid.length === 0) return [];
  const h = Number(BigInt(w.account.address) % 9973n);
  return [liquid[h % liquid.length]!, liquid[(h * 7 + 3) % liquid.length]!];
}

/** Size ranges per market (1e18 units): a lone wallet's order, well within its margin and the vault's limits. */
export const POSITION_SIZES: Record<number, { min: number; max: number }> = {
  1: { min: 0.05, max: 1.5 },
  2: { min: 0.002, max: 0.06 },
  3: { min: 1, max: 25 },
};

/** A random size in the market's range, rounded to 4 significant decimals of a unit. */
export function randomPositionSize(market: number, random: () => number): bigint {
  const r = POSITION_SIZES[market] ?? { min: 0.1, max: 1 };
  const units = r.min + random() * (r.max - r.min);
  return parseUnits(units.toFixed(4), 18);
}

/**
 * How a submission ended: the HTTP status (201 stored, 200 a duplicate, the error's status, or 0 when
 * the node could not be reached), the intent's id and state, or the node's error code (and, on a 503
 * `backlog` or `pool_full` refusal, its Retry-After).
 */
export type SubmitResult = { status: number; id?: Hex; state?: IntentState; code?: string; retryAfterSec?: number };

export async function submit(apiUrl: string, m: Made): Promise<SubmitResult> {
  const api = new NodeApi(apiUrl);
  for (let attempt = 0; ; attempt++) {
    try {
      const body = await api.submitIntent(m.json);
      return { status: body.duplicate ? 200 : 201, id: body.id, state: body.state };
    } catch (e) {
      if (e instanceof NodeApiError) {
        // 503 busy (the validation queue is full for a moment): back off and retry, like a wallet
        // would; a backlog refusal (the network cannot settle it before it expires) is final here
        const backlog = e.code === 'backlog' || e.code === 'pool_full';
        if (e.status === 503 && !backlog && attempt < 5) {
          await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
          continue;
        }
        return { status: e.status, code: e.code, ...(e.retryAfterSec === undefined ? {} : { retryAfterSec: e.retryAfterSec }) };
      }
      if (attempt >= 3) return { status: 0, code: (e as Error).message };
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/**
 * A mixed batch: `n` intents, about `positionShare` of them position intents from lone wallets
 * (random side and size, a quarter partially fillable; when `positionOf` is given, one in five a
 * reduce-only close of a position the wallet holds, sized from half to more than all of it, which
 * the clearing house clamps), the rest swaps in both directions. Nobody arranges a counterparty:
 * the perp vault or other wallets in the same auction take the other side.
 */
export async function makeMix(
  d: Deployment,
  wallets: Wallet[],
  prices: Prices,
  o: {
    n: number;
    positionShare: number;
    validTo: number;
    random: () => number;
    positionOf?: (account: Address, market: number) => Promise<bigint>;
    /**
     * Whether the wallet already has an open position intent in the market: a second one could not
     * fill in the same batch (one fill per account and market), and a reduce-only close sized from
     * the position on chain could find it already closed.
     */
    busy?: (account: Address, market: number) => boolean;
    /** About this share are option intents on `series` (the live, priced ones); default none. */
    optionShare?: number;
    series?: readonly OptionSeriesRow[];
    /** The wallet's option position in a series (for reduce-only closes). */
    optionOf?: (account: Address, series: bigint) => Promise<bigint>;
  },
): Promise<Made[]> {
  const out: Made[] = [];
  const pick = (): Wallet => wallets[Math.floor(o.random() * wallets.length)]!;
  const priced = liquidSeries(
    (o.series ?? []).filter((s): s is Priced => s.price !== null && s.secondsToExpiry > 3600),
    prices.marks,
  );
  while (out.length < o.n) {
    if (priced.length > 0 && o.random() < (o.optionShare ?? 0)) {
      const w = pick();
      const s = walletSeries(w, priced)[o.random() < 0.5 ? 0 : 1]!;
      if (o.optionOf && o.random() < 0.25) {
        const held = await o.optionOf(w.account.address, BigInt(s.id));
        if (held !== 0n) {
          out.push(await makeOption(d, w, s, prices, { size: -held, slippage: 0.25, validTo: o.validTo, reduceOnly: true }));
          continue;
        }
      }
      const size = randomOptionSize(s.market, o.random) * (o.random() < 0.6 ? 1n : -1n);
      out.push(await makeOption(d, w, s, prices, { size, slippage: 0.15, validTo: o.validTo, partial: o.random() < 0.25 }));
    } else if (o.random() < o.positionShare) {
      const market = d.markets[Math.floor(o.random() * d.markets.length)]!.id;
      let w = pick();
      for (let tries = 0; o.busy?.(w.account.address, market) && tries < 8; tries++) w = pick();
      if (o.busy?.(w.account.address, market)) continue;
      if (o.positionOf && o.random() < 0.2) {
        const held = await o.positionOf(w.account.address, market);
        if (held !== 0n) {
          // from half the position to 120% of it: the larger ones close it exactly (clamped)
          const share = BigInt(Math.round((0.5 + o.random() * 0.7) * 1000));
          const size = -((held * share) / 1000n);
          if (size !== 0n) {
            out.push(await makePosition(d, w, prices, { market, size, slippage: 0.03, validTo: o.validTo, reduceOnly: true }));
            continue;
          }
        }
      }
      const size = randomPositionSize(market, o.random) * (o.random() < 0.5 ? 1n : -1n);
      out.push(await makePosition(d, w, prices, { market, size, slippage: 0.02, validTo: o.validTo, partial: o.random() < 0.25 }));
    } else {
      const pair = o.random() < 0.6 ? 'daiUsdc' : 'wbtcUsdc';
      out.push(
        await makeSwap(d, pick(), prices, {
          pair,
          sellBase: o.random() < 0.5,
          amountUsd: 100 + Math.floor(o.random() * 4900),
          slippage: pair === 'daiUsdc' ? 0.01 : 0.03,
          validTo: o.validTo,
          partial: o.random() < 0.15,
        }),
      );
    }
  }
  return out;
}

/** The wallet's option position in a series, read from the option book (for reduce-only closes). */
export function optionReader(clients: Pick<DevnetClients, 'publicClient'>, book: Address) {
  return (account: Address, series: bigint): Promise<bigint> =>
    clients.publicClient.readContract({ address: book, abi: optionBookAbi, functionName: 'positionOf', args: [account, series] });
}

/** The wallet's position size in a market, read from the clearing house (for reduce-only closes). */
export function positionReader(clients: Pick<DevnetClients, 'publicClient'>, d: Deployment) {
  return async (account: Address, market: number): Promise<bigint> => {
    const p = await clients.publicClient.readContract({
      address: d.clearingHouse,
      abi: clearingHouseAbi,
      functionName: 'position',
      args: [account, market],
    });
    return p.size;
  };
}
