// Solutions: what a solver proposes for one auction, and their canonical binary encoding (the
// bytes the solver signs and nodes gossip on the solutions topic).
//
//   version u8 (=2) ‖ auctionId u64 ‖ solver 20
//   ‖ nPrices u16 ‖ (token 20 ‖ price 32)*          tokens strictly ascending
//   ‖ nMarketPrices u16 ‖ (market u32 ‖ price 32)*  markets strictly ascending
//   ‖ nTrades u16 ‖ (intentId 32 ‖ executed 32)*    each intent at most once
//   ‖ nLiquidity u16 ‖ (length u16 ‖ signed position intent ‖ executed 32)*
//   ‖ nInteractions u16 ‖ (target 20 ‖ value 32 ‖ length u32 ‖ callData)*
//   ‖ signature 65 (r ‖ s ‖ v over solutionDigest)
import { keccak_256 } from '@noble/hashes/sha3.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import type { Address, Hex } from 'viem';
import { fromHex, readUint256, readUint32, toHex, writeHex, writeUint256, writeUint32 } from './bytes.ts';
import { decodeSignedIntent, encodeSignedIntent, MAX_SIGNED_INTENT_BYTES } from './codec.ts';
import type { IntentSignature, PositionIntent } from './intent.ts';
import { fail, ok, type Result } from './result.ts';

export type ClearingPrice = { token: Address; price: bigint };
export type MarketPrice = { market: number; price: bigint };
/** `executed` is in the intent's kind token (sell amount for SELL, buy amount for BUY); for a position, the |size| filled. */
export type SolutionTrade = { intentId: Hex; executed: bigint };
export type Interaction = { target: Address; value: bigint; callData: Hex };
/**
 * Position liquidity the solver brings itself: a position intent signed by a margin account that
 * is not in the auction (a market maker's own quote, or a liquidity source contract such as the
 * perp vault authorising through EIP-1271). It settles like a user's intent and is verified like
 * one, but adds nothing to the score. `executed` is the |size| filled, as for a trade.
 */
export type LiquidityTrade = { intent: PositionIntent; signature: IntentSignature; executed: bigint };

export type Solution = {
  auctionId: bigint;
  solver: Address;
  /** Uniform clearing prices: amountA * price[A] = amountB * price[B] for every swap in the batch. */
  prices: ClearingPrice[];
  /** One clearing price per perpetual market (collateral base units per 1e18 of size). */
  marketPrices: MarketPrice[];
  trades: SolutionTrade[];
  /** Position intents of the solver's own liquidity (absent = none). */
  liquidity?: LiquidityTrade[];
  /** Calls to liquidity sources, run by the settlement contract between pulls and payouts. */
  interactions: Interaction[];
};

export type SignedSolution = Solution & { signature: Hex };

export const SOLUTION_CODEC_VERSION = 2;
export const MAX_SOLUTION_BYTES = 1 << 20;
const LIMITS = { prices: 1024, marketPrices: 256, trades: 4096, liquidity: 256, interactions: 1024 } as const;

const encodeLiquidity = (l: LiquidityTrade): Uint8Array =>
  encodeSignedIntent({ type: 'position', intent: l.intent, signature: l.signature });

/** Sizes the encoding first so that encoding is one allocation. */
function unsignedLength(s: Solution, liquidity: readonly Uint8Array[]): number {
  let n = 1 + 8 + 20 + 2 + s.prices.length * 52 + 2 + s.marketPrices.length * 36 + 2 + s.trades.length * 64 + 2 + 2;
  for (const l of liquidity) n += 2 + l.length + 32;
  for (const x of s.interactions) n += 20 + 32 + 4 + (x.callData.length - 2) / 2;
  return n;
}

function writeCount(out: Uint8Array, at: number, n: number): number {
  out[at] = n >>> 8;
  out[at + 1] = n & 0xff;
  return at + 2;
}

/** The signed part of a solution: everything but the signature. */
export function encodeSolutionBody(s: Solution): Uint8Array {
  const liquidity = (s.liquidity ?? []).map(encodeLiquidity);
  const out = new Uint8Array(unsignedLength(s, liquidity));
  out[0] = SOLUTION_CODEC_VERSION;
  writeUint32(out, 1, Number(s.auctionId >> 32n));
  writeUint32(out, 5, Number(s.auctionId & 0xffffffffn));
  writeHex(out, 9, s.solver, 20);
  let at = writeCount(out, 29, s.prices.length);
  for (const p of s.prices) {
    writeHex(out, at, p.token, 20);
    writeUint256(out, at + 20, p.price);
    at += 52;
  }
  at = writeCount(out, at, s.marketPrices.length);
  for (const m of s.marketPrices) {
    writeUint32(out, at, m.market);
    writeUint256(out, at + 4, m.price);
    at += 36;
  }
  at = writeCount(out, at, s.trades.length);
  for (const t of s.trades) {
    writeHex(out, at, t.intentId, 32);
    writeUint256(out, at + 32, t.executed);
    at += 64;
  }
  at = writeCount(out, at, liquidity.length);
  for (const [k, bytes] of liquidity.entries()) {
    at = writeCount(out, at, bytes.length);
    out.set(bytes, at);
    writeUint256(out, at + bytes.length, s.liquidity![k]!.executed);
    at += bytes.length + 32;
  }
  at = writeCount(out, at, s.interactions.length);
  for (const x of s.interactions) {
    const data = fromHex(x.callData);
    writeHex(out, at, x.target, 20);
    writeUint256(out, at + 20, x.value);
    writeUint32(out, at + 52, data.length);
    out.set(data, at + 56);
    at += 56 + data.length;
  }
  return out;
}

export function encodeSignedSolution(s: SignedSolution): Uint8Array {
  const body = encodeSolutionBody(s);
  const out = new Uint8Array(body.length + 65);
  out.set(body, 0);
  out.set(fromHex(s.signature), body.length);
  return out;
}

const SOLUTION_PREFIX = utf8ToBytes('\x19IntentSolution\x01');

/**
 * What the solver signs: bound to the chain and settlement contract like an intent, so a solution
 * for one network can never be replayed as a solution on another.
 */
export function solutionDigest(body: Uint8Array, chainId: number, settlement: Address): Uint8Array {
  const buf = new Uint8Array(SOLUTION_PREFIX.length + 32 + 20 + body.length);
  buf.set(SOLUTION_PREFIX, 0);
  writeUint256(buf, SOLUTION_PREFIX.length, BigInt(chainId));
  writeHex(buf, SOLUTION_PREFIX.length + 32, settlement, 20);
  buf.set(body, SOLUTION_PREFIX.length + 52);
  return keccak_256(buf);
}

/** A bounds-checked cursor: every read says whether the bytes were there. */
function cursor(b: Uint8Array) {
  let at = 0;
  return {
    get at() {
      return at;
    },
    take(n: number): Uint8Array | undefined {
      if (at + n > b.length) return undefined;
      const out = b.subarray(at, at + n);
      at += n;
      return out;
    },
  };
}

type Cursor = ReturnType<typeof cursor>;

function readCount(c: Cursor, field: keyof typeof LIMITS): Result<number> {
  const raw = c.take(2);
  if (!raw) return fail('truncated', `${field}.length`, 'input ends inside a count');
  const n = (raw[0]! << 8) | raw[1]!;
  return n > LIMITS[field] ? fail('out_of_range', `${field}.length`, `${n} is above the limit ${LIMITS[field]}`) : ok(n);
}

/** Strict decode of a signed solution (canonical order, no duplicates, no trailing bytes). */
export function decodeSignedSolution(bytes: Uint8Array): Result<SignedSolution & { body: Uint8Array }> {
  if (!(bytes instanceof Uint8Array)) return fail('malformed', 'bytes', 'input is not a byte array');
  if (bytes.length > MAX_SOLUTION_BYTES) return fail('out_of_range', 'bytes', `above the ${MAX_SOLUTION_BYTES}-byte maximum`);
  const c = cursor(bytes);
  const head = c.take(29);
  if (!head) return fail('truncated', 'header', 'input shorter than the 29-byte header');
  if (head[0] !== SOLUTION_CODEC_VERSION) return fail('unsupported_version', 'version', `unknown solution version ${head[0]}`);
  const auctionId = (BigInt(readUint32(head, 1)) << 32n) | BigInt(readUint32(head, 5));
  const solver = toHex(head.subarray(9, 29)) as Address;

  const nPrices = readCount(c, 'prices');
  if (!nPrices.ok) return nPrices;
  const prices: ClearingPrice[] = [];
  for (let k = 0; k < nPrices.value; k++) {
    const raw = c.take(52);
    if (!raw) return fail('truncated', `prices[${k}]`, 'input ends inside a price');
    const token = toHex(raw.subarray(0, 20)) as Address;
    if (k > 0 && token <= prices[k - 1]!.token) return fail('malformed', `prices[${k}].token`, 'tokens must be strictly ascending');
    prices.push({ token, price: readUint256(raw, 20) });
  }
  const nMarkets = readCount(c, 'marketPrices');
  if (!nMarkets.ok) return nMarkets;
  const marketPrices: MarketPrice[] = [];
  for (let k = 0; k < nMarkets.value; k++) {
    const raw = c.take(36);
    if (!raw) return fail('truncated', `marketPrices[${k}]`, 'input ends inside a market price');
    const market = readUint32(raw, 0);
    if (k > 0 && market <= marketPrices[k - 1]!.market) {
      return fail('malformed', `marketPrices[${k}].market`, 'markets must be strictly ascending');
    }
    marketPrices.push({ market, price: readUint256(raw, 4) });
  }
  const nTrades = readCount(c, 'trades');
  if (!nTrades.ok) return nTrades;
  const trades: SolutionTrade[] = [];
  const seen = new Set<string>();
  for (let k = 0; k < nTrades.value; k++) {
    const raw = c.take(64);
    if (!raw) return fail('truncated', `trades[${k}]`, 'input ends inside a trade');
    const intentId = toHex(raw.subarray(0, 32));
    if (seen.has(intentId)) return fail('malformed', `trades[${k}].intentId`, 'intent traded twice in one solution');
    seen.add(intentId);
    trades.push({ intentId, executed: readUint256(raw, 32) });
  }
  const nLiquidity = readCount(c, 'liquidity');
  if (!nLiquidity.ok) return nLiquidity;
  const liquidity: LiquidityTrade[] = [];
  for (let k = 0; k < nLiquidity.value; k++) {
    const len = c.take(2);
    if (!len) return fail('truncated', `liquidity[${k}].length`, 'input ends inside a liquidity length');
    const n = (len[0]! << 8) | len[1]!;
    if (n > MAX_SIGNED_INTENT_BYTES) return fail('out_of_range', `liquidity[${k}].length`, `${n} bytes is above the intent maximum`);
    const raw = c.take(n);
    const executed = c.take(32);
    if (!raw || !executed) return fail('truncated', `liquidity[${k}]`, 'input ends inside a liquidity trade');
    const d = decodeSignedIntent(raw);
    if (!d.ok) return fail(d.error.code, `liquidity[${k}].${d.error.field}`, d.error.reason);
    if (d.value.type !== 'position') return fail('malformed', `liquidity[${k}]`, 'own liquidity must be a position intent');
    liquidity.push({ intent: d.value.intent, signature: d.value.signature, executed: readUint256(executed, 0) });
  }
  const nInteractions = readCount(c, 'interactions');
  if (!nInteractions.ok) return nInteractions;
  const interactions: Interaction[] = [];
  for (let k = 0; k < nInteractions.value; k++) {
    const raw = c.take(56);
    if (!raw) return fail('truncated', `interactions[${k}]`, 'input ends inside an interaction');
    const data = c.take(readUint32(raw, 52));
    if (!data) return fail('truncated', `interactions[${k}].callData`, 'input ends inside call data');
    interactions.push({ target: toHex(raw.subarray(0, 20)) as Address, value: readUint256(raw, 20), callData: toHex(data) });
  }
  const bodyEnd = c.at;
  const signature = c.take(65);
  if (!signature) return fail('truncated', 'signature', 'input ends before the 65-byte signature');
  if (c.at !== bytes.length) return fail('trailing_bytes', 'signature', `${bytes.length - c.at} bytes after the signature`);
  return ok({
    auctionId,
    solver,
    prices,
    marketPrices,
    trades,
    liquidity,
    interactions,
    signature: toHex(signature),
    body: bytes.subarray(0, bodyEnd),
  });
}

/** The solution's id (for tie-breaks and logs): keccak of its full signed encoding. */
export const solutionHash = (encoded: Uint8Array): Hex => toHex(keccak_256(encoded));
