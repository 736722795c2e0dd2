// Solutions: what a solver proposes for one auction, and their canonical binary encoding (the
// bytes the solver signs and nodes gossip on the solutions topic).
//
//   version u8 (=2, or 3 with options) ‖ auctionId u64 ‖ solver 20
//   ‖ nPrices u16 ‖ (token 20 ‖ price 32)*          tokens strictly ascending
//   ‖ nMarketPrices u16 ‖ (market u32 ‖ price 32)*  markets strictly ascending
//   [v3] ‖ nOptionPremiums u16 ‖ (series u64 ‖ premium 32)*  series strictly ascending
//   ‖ nTrades u16 ‖ (intentId 32 ‖ executed 32)*    each intent at most once
//   ‖ nLiquidity u16 ‖ (length u16 ‖ signed position intent ‖ executed 32)*
//   [v3] ‖ nOptionLiquidity u16 ‖ (length u16 ‖ signed option intent ‖ executed 32)*
//   ‖ nInteractions u16 ‖ (target 20 ‖ value 32 ‖ length u32 ‖ callData)*
//   ‖ signature 65 (r ‖ s ‖ v over solutionDigest)
// A solution without options is encoded as version 2 (byte for byte what nodes without options
// read); one with option premiums or option liquidity as version 3, and a version 3 encoding with
// neither is not canonical.
import { keccak_256 } from '@noble/hashes/sha3.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import type { Address, Hex } from 'viem';
import { fromHex, readUint256, readUint32, toHex, writeHex, writeUint256, writeUint32 } from './bytes.ts';
import { decodeSignedIntent, encodeSignedIntent, MAX_SIGNED_INTENT_BYTES } from './codec.ts';
import type { IntentSignature, OptionIntent, PositionIntent } from './intent.ts';
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

/** The uniform premium of one option series (collateral units per 1e18 contracts). */
export type OptionPremium = { series: bigint; premium: bigint };
/**
 * Option liquidity the solver brings: an option intent signed by an account outside the auction
 * (the options vault through EIP-1271, or a market maker). Verified and limit-checked like a
 * user's intent, adds nothing to the score. `executed` is the |size| filled.
 */
export type OptionLiquidityTrade = { intent: OptionIntent; signature: IntentSignature; executed: bigint };

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
  /** One premium per option series the batch trades, series strictly ascending (absent = none). */
  optionPremiums?: OptionPremium[];
  /** Option intents of the solver's own liquidity (absent = none). */
  optionLiquidity?: OptionLiquidityTrade[];
  /** Calls to liquidity sources, run by the settlement contract between pulls and payouts. */
  interactions: Interaction[];
};

export type SignedSolution = Solution & { signature: Hex };

export const SOLUTION_CODEC_VERSION = 2;
/** The version of a solution that trades options (premiums or option liquidity). */
export const SOLUTION_CODEC_VERSION_OPTIONS = 3;
export const MAX_SOLUTION_BYTES = 1 << 20;
const LIMITS = {
  prices: 1024,
  marketPrices: 256,
  optionPremiums: 256,
  trades: 4096,
  liquidity: 256,
  optionLiquidity: 256,
  interactions: 1024,
} as const;

const encodeLiquidity = (l: LiquidityTrade): Uint8Array =>
  encodeSignedIntent({ type: 'position', intent: l.intent, signature: l.signature });
const encodeOptionLiquidity = (l: OptionLiquidityTrade): Uint8Array =>
  encodeSignedIntent({ type: 'option', intent: l.intent, signature: l.signature });

/** Whether a solution trades options (and so is encoded as version 3). */
export const hasOptions = (s: Solution): boolean => (s.optionPremiums?.length ?? 0) > 0 || (s.optionLiquidity?.length ?? 0) > 0;

/** Sizes the encoding first so that encoding is one allocation. */
function unsignedLength(s: Solution, liquidity: readonly Uint8Array[], optionLiquidity: readonly Uint8Array[] | undefined): number {
  let n = 1 + 8 + 20 + 2 + s.prices.length * 52 + 2 + s.marketPrices.length * 36 + 2 + s.trades.length * 64 + 2 + 2;
  for (const l of liquidity) n += 2 + l.length + 32;
  if (optionLiquidity) {
    n += 2 + (s.optionPremiums?.length ?? 0) * 40 + 2;
    for (const l of optionLiquidity) n += 2 + l.length + 32;
  }
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
  const options = hasOptions(s);
  const optionLiquidity = options ? (s.optionLiquidity ?? []).map(encodeOptionLiquidity) : undefined;
  const out = new Uint8Array(unsignedLength(s, liquidity, optionLiquidity));
  out[0] = options ? SOLUTION_CODEC_VERSION_OPTIONS : SOLUTION_CODEC_VERSION;
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
  if (optionLiquidity) {
    at = writeCount(out, at, s.optionPremiums?.length ?? 0);
    for (const p of s.optionPremiums ?? []) {
      writeUint32(out, at, Number(p.series >> 32n));
      writeUint32(out, at + 4, Number(p.series & 0xffffffffn));
      writeUint256(out, at + 8, p.premium);
      at += 40;
    }
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
  if (optionLiquidity) {
    at = writeCount(out, at, optionLiquidity.length);
    for (const [k, bytes] of optionLiquidity.entries()) {
      at = writeCount(out, at, bytes.length);
      out.set(bytes, at);
      writeUint256(out, at + bytes.length, s.optionLiquidity![k]!.executed);
      at += bytes.length + 32;
    }
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

type IntentOfType<T extends 'position' | 'option'> = T extends 'position' ? PositionIntent : OptionIntent;

/** A list of the solver's own signed intents of one type, each with its executed |size|. */
function readLiquidity<T extends 'position' | 'option'>(
  c: Cursor,
  field: 'liquidity' | 'optionLiquidity',
  type: T,
  push: (intent: IntentOfType<T>, signature: IntentSignature, executed: bigint) => void,
): Result<true> {
  const count = readCount(c, field);
  if (!count.ok) return count;
  for (let k = 0; k < count.value; k++) {
    const len = c.take(2);
    if (!len) return fail('truncated', `${field}[${k}].length`, 'input ends inside a liquidity length');
    const n = (len[0]! << 8) | len[1]!;
    if (n > MAX_SIGNED_INTENT_BYTES) return fail('out_of_range', `${field}[${k}].length`, `${n} bytes is above the intent maximum`);
    const raw = c.take(n);
    const executed = c.take(32);
    if (!raw || !executed) return fail('truncated', `${field}[${k}]`, 'input ends inside a liquidity trade');
    const d = decodeSignedIntent(raw);
    if (!d.ok) return fail(d.error.code, `${field}[${k}].${d.error.field}`, d.error.reason);
    if (d.value.type !== type) return fail('malformed', `${field}[${k}]`, `own liquidity here must be a ${type} intent`);
    push(d.value.intent as IntentOfType<T>, d.value.signature, readUint256(executed, 0));
  }
  return ok(true);
}

/** Strict decode of a signed solution (canonical order, no duplicates, no trailing bytes). */
export function decodeSignedSolution(bytes: Uint8Array): Result<SignedSolution & { body: Uint8Array }> {
  if (!(bytes instanceof Uint8Array)) return fail('malformed', 'bytes', 'input is not a byte array');
  if (bytes.length > MAX_SOLUTION_BYTES) return fail('out_of_range', 'bytes', `above the ${MAX_SOLUTION_BYTES}-byte maximum`);
  const c = cursor(bytes);
  const head = c.take(29);
  if (!head) return fail('truncated', 'header', 'input shorter than the 29-byte header');
  const version = head[0];
  if (version !== SOLUTION_CODEC_VERSION && version !== SOLUTION_CODEC_VERSION_OPTIONS) {
    return fail('unsupported_version', 'version', `unknown solution version ${version}`);
  }
  const withOptions = version === SOLUTION_CODEC_VERSION_OPTIONS;
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
  const optionPremiums: OptionPremium[] = [];
  if (withOptions) {
    const nPremiums = readCount(c, 'optionPremiums');
    if (!nPremiums.ok) return nPremiums;
    for (let k = 0; k < nPremiums.value; k++) {
      const raw = c.take(40);
      if (!raw) return fail('truncated', `optionPremiums[${k}]`, 'input ends inside an option premium');
      const series = (BigInt(readUint32(raw, 0)) << 32n) | BigInt(readUint32(raw, 4));
      if (k > 0 && series <= optionPremiums[k - 1]!.series) {
        return fail('malformed', `optionPremiums[${k}].series`, 'series must be strictly ascending');
      }
      optionPremiums.push({ series, premium: readUint256(raw, 8) });
    }
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
  const liquidity: LiquidityTrade[] = [];
  const positionLiquidity = readLiquidity(c, 'liquidity', 'position', (intent, signature, executed) =>
    liquidity.push({ intent, signature, executed }),
  );
  if (!positionLiquidity.ok) return positionLiquidity;
  const optionLiquidity: OptionLiquidityTrade[] = [];
  if (withOptions) {
    const read = readLiquidity(c, 'optionLiquidity', 'option', (intent, signature, executed) =>
      optionLiquidity.push({ intent, signature, executed }),
    );
    if (!read.ok) return read;
    if (optionPremiums.length === 0 && optionLiquidity.length === 0) {
      return fail('malformed', 'version', 'a version 3 solution must trade options (else it is encoded as version 2)');
    }
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
    ...(withOptions ? { optionPremiums, optionLiquidity } : {}),
    interactions,
    signature: toHex(signature),
    body: bytes.subarray(0, bodyEnd),
  });
}

/** The solution's id (for tie-breaks and logs): keccak of its full signed encoding. */
export const solutionHash = (encoded: Uint8Array): Hex => toHex(keccak_256(encoded));
