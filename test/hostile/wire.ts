// An independent implementation of the node's wire formats, written from protocol/WIRE.md and
// deliberately sharing no code with protocol/: the hostile peer speaks it, and wire.test.ts
// checks it against the project's own codecs on the documented examples, so the document, this
// client and the node cannot drift apart silently. Hashing and signing come from viem / @noble.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { createHash } from 'node:crypto';
import { hashTypedData, keccak256, type Address, type Hex } from 'viem';
import { privateKeyToAddress } from 'viem/accounts';

export const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

export type Swap = {
  owner: Address;
  sellToken: Address;
  buyToken: Address;
  receiver: Address;
  sellAmount: bigint;
  buyAmount: bigint;
  validTo: number;
  nonce: bigint;
  kind: 0 | 1;
  partiallyFillable: boolean;
  appData: Hex;
};
export type Position = {
  account: Address;
  market: number;
  sizeDelta: bigint;
  limitPrice: bigint;
  reduceOnly: boolean;
  partiallyFillable: boolean;
  validTo: number;
  nonce: bigint;
};
export type Sig = { scheme: 0; data: Hex } | { scheme: 1; data: Hex };
export type WireIntent = ({ tag: 1; swap: Swap } | { tag: 2; position: Position }) & { sig: Sig };
export type WireSolution = {
  auctionId: bigint;
  solver: Address;
  prices: { token: Address; price: bigint }[];
  marketPrices: { market: number; price: bigint }[];
  trades: { intentId: Hex; executed: bigint }[];
  /** The solver's own position liquidity: a signed position intent (the intent encoding) and the |size| filled. */
  liquidity: { intent: WireIntent; executed: bigint }[];
  interactions: { target: Address; value: bigint; callData: Hex }[];
  signature: Hex;
};

// ---- bytes ----------------------------------------------------------------------------------

const hexBytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.slice(2), 'hex'));
export const hex = (b: Uint8Array): Hex => `0x${Buffer.from(b).toString('hex')}`;
const word = (v: bigint): Uint8Array => hexBytes(`0x${v.toString(16).padStart(64, '0')}`);
const readWord = (b: Uint8Array, at: number): bigint => BigInt(hex(b.subarray(at, at + 32)));
const u32 = (v: number): Uint8Array => {
  const o = new Uint8Array(4);
  new DataView(o.buffer).setUint32(0, v);
  return o;
};
const u16 = (v: number): Uint8Array => Uint8Array.of(v >> 8, v & 0xff);
const readU32 = (b: Uint8Array, at: number): number => new DataView(b.buffer, b.byteOffset + at, 4).getUint32(0);
const readU16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;
const cat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const addr = (b: Uint8Array, at: number): Address => hex(b.subarray(at, at + 20)) as Address;

export const sha256 = (b: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(b).digest());

// ---- EIP-712 ----------------------------------------------------------------------------------

export const domain = (chainId: number, verifyingContract: Address) =>
  ({ name: 'IntentSettlement', version: '1', chainId, verifyingContract }) as const;
const SWAP_TYPES = {
  SwapIntent: [
    { name: 'owner', type: 'address' },
    { name: 'sellToken', type: 'address' },
    { name: 'buyToken', type: 'address' },
    { name: 'receiver', type: 'address' },
    { name: 'sellAmount', type: 'uint256' },
    { name: 'buyAmount', type: 'uint256' },
    { name: 'validTo', type: 'uint32' },
    { name: 'nonce', type: 'uint256' },
    { name: 'kind', type: 'uint8' },
    { name: 'partiallyFillable', type: 'bool' },
    { name: 'appData', type: 'bytes32' },
  ],
} as const;
const POSITION_TYPES = {
  PositionIntent: [
    { name: 'account', type: 'address' },
    { name: 'market', type: 'uint32' },
    { name: 'sizeDelta', type: 'int256' },
    { name: 'limitPrice', type: 'uint256' },
    { name: 'reduceOnly', type: 'bool' },
    { name: 'partiallyFillable', type: 'bool' },
    { name: 'validTo', type: 'uint32' },
    { name: 'nonce', type: 'uint256' },
  ],
} as const;

export function intentId(i: { tag: 1; swap: Swap } | { tag: 2; position: Position }, chainId: number, settlement: Address): Hex {
  return i.tag === 1
    ? hashTypedData({ domain: domain(chainId, settlement), types: SWAP_TYPES, primaryType: 'SwapIntent', message: i.swap })
    : hashTypedData({ domain: domain(chainId, settlement), types: POSITION_TYPES, primaryType: 'PositionIntent', message: i.position });
}

export const cancelDigest = (id: Hex, chainId: number, settlement: Address): Hex =>
  hashTypedData({
    domain: domain(chainId, settlement),
    types: { CancelIntent: [{ name: 'intentId', type: 'bytes32' }] },
    primaryType: 'CancelIntent',
    message: { intentId: id },
  });

/** r ‖ s ‖ v with v = 27 + recovery, low s. */
export function sign(digest: Hex, key: Hex): Hex {
  const rec = secp256k1.sign(hexBytes(digest), hexBytes(key), { prehash: false, lowS: true, format: 'recovered' });
  return hex(cat(rec.subarray(1), Uint8Array.of(27 + rec[0]!)));
}

/** The malleable twin: s' = n - s, v flipped. Same signer, different bytes. */
export function highS(sig: Hex): Hex {
  const b = hexBytes(sig);
  b.set(word(N - readWord(b, 32)), 32);
  b[64] = b[64] === 27 ? 28 : 27;
  return hex(b);
}

export const addressOf = (key: Hex): Address => privateKeyToAddress(key).toLowerCase() as Address;

// ---- signed intents ----------------------------------------------------------------------------

export function encodeIntent(i: WireIntent): Uint8Array {
  let body: Uint8Array;
  if (i.tag === 1) {
    const s = i.swap;
    body = cat(
      hexBytes(s.owner),
      hexBytes(s.sellToken),
      hexBytes(s.buyToken),
      hexBytes(s.receiver),
      word(s.sellAmount),
      word(s.buyAmount),
      u32(s.validTo),
      word(s.nonce),
      Uint8Array.of((s.kind === 1 ? 1 : 0) | (s.partiallyFillable ? 2 : 0)),
      hexBytes(s.appData),
    );
  } else {
    const p = i.position;
    body = cat(
      hexBytes(p.account),
      u32(p.market),
      word(p.sizeDelta < 0n ? (1n << 256n) + p.sizeDelta : p.sizeDelta),
      word(p.limitPrice),
      Uint8Array.of((p.reduceOnly ? 1 : 0) | (p.partiallyFillable ? 2 : 0)),
      u32(p.validTo),
      word(p.nonce),
    );
  }
  const sig = hexBytes(i.sig.data);
  const sigPart = i.sig.scheme === 0 ? cat(Uint8Array.of(0), sig) : cat(Uint8Array.of(1), u16(sig.length), sig);
  return cat(Uint8Array.of(1, i.tag), body, sigPart);
}

/** Strict decode; throws a message naming the field on any deviation. */
export function decodeIntent(b: Uint8Array): WireIntent {
  if (b.length < 2 || b[0] !== 1) throw new Error('version');
  const tag = b[1];
  let at: number;
  let out: { tag: 1; swap: Swap } | { tag: 2; position: Position };
  if (tag === 1) {
    if (b.length < 215) throw new Error('truncated swap body');
    const flags = b[182]!;
    if (flags & ~3) throw new Error('reserved swap flags');
    out = {
      tag: 1,
      swap: {
        owner: addr(b, 2),
        sellToken: addr(b, 22),
        buyToken: addr(b, 42),
        receiver: addr(b, 62),
        sellAmount: readWord(b, 82),
        buyAmount: readWord(b, 114),
        validTo: readU32(b, 146),
        nonce: readWord(b, 150),
        kind: flags & 1 ? 1 : 0,
        partiallyFillable: (flags & 2) !== 0,
        appData: hex(b.subarray(183, 215)),
      },
    };
    at = 215;
  } else if (tag === 2) {
    if (b.length < 127) throw new Error('truncated position body');
    const flags = b[90]!;
    if (flags & ~3) throw new Error('reserved position flags');
    const w = readWord(b, 26);
    out = {
      tag: 2,
      position: {
        account: addr(b, 2),
        market: readU32(b, 22),
        sizeDelta: w >= 1n << 255n ? w - (1n << 256n) : w,
        limitPrice: readWord(b, 58),
        reduceOnly: (flags & 1) !== 0,
        partiallyFillable: (flags & 2) !== 0,
        validTo: readU32(b, 91),
        nonce: readWord(b, 95),
      },
    };
    at = 127;
  } else throw new Error('tag');
  const scheme = b[at];
  if (scheme === 0) {
    if (b.length !== at + 66) throw new Error('eoa signature length');
    return { ...out, sig: { scheme: 0, data: hex(b.subarray(at + 1)) } };
  }
  if (scheme === 1) {
    const n = readU16(b, at + 1);
    if (n === 0 || n > 2048 || b.length !== at + 3 + n) throw new Error('eip1271 signature length');
    return { ...out, sig: { scheme: 1, data: hex(b.subarray(at + 3)) } };
  }
  throw new Error('scheme');
}

/** A swap signed by `key` (owner = its address), ready for the wire. */
export function signedSwap(
  key: Hex,
  chainId: number,
  settlement: Address,
  over: Partial<Swap> = {},
): { intent: WireIntent; id: Hex; bytes: Uint8Array } {
  const swap: Swap = {
    owner: addressOf(key),
    sellToken: '0x1111111111111111111111111111111111111111',
    buyToken: '0x2222222222222222222222222222222222222222',
    receiver: '0x0000000000000000000000000000000000000000',
    sellAmount: 10n ** 18n,
    buyAmount: 2000n * 10n ** 6n,
    validTo: Math.floor(Date.now() / 1000) + 3600,
    nonce: 0n,
    kind: 0,
    partiallyFillable: false,
    appData: `0x${'00'.repeat(32)}`,
    ...over,
  };
  const id = intentId({ tag: 1, swap }, chainId, settlement);
  const intent: WireIntent = { tag: 1, swap, sig: { scheme: 0, data: sign(id, key) } };
  return { intent, id, bytes: encodeIntent(intent) };
}

/** The JSON body of POST /v1/intents (node/openapi.json). */
export function swapJson(i: WireIntent): unknown {
  if (i.tag !== 1) throw new Error('swap only');
  const s = i.swap;
  return {
    type: 'swap',
    intent: { ...s, sellAmount: s.sellAmount.toString(), buyAmount: s.buyAmount.toString(), nonce: s.nonce.toString() },
    signature: { scheme: i.sig.scheme === 0 ? 'eoa' : 'eip1271', data: i.sig.data },
  };
}

// ---- cancels ----------------------------------------------------------------------------------

export const encodeCancel = (id: Hex, signature: Hex): Uint8Array => cat(hexBytes(id), hexBytes(signature));
export function decodeCancel(b: Uint8Array): { intentId: Hex; signature: Hex } {
  if (b.length !== 97) throw new Error('cancel length');
  return { intentId: hex(b.subarray(0, 32)), signature: hex(b.subarray(32)) };
}

// ---- solutions ----------------------------------------------------------------------------------

export function encodeSolutionBody(s: Omit<WireSolution, 'signature'>): Uint8Array {
  const parts: Uint8Array[] = [Uint8Array.of(2), word(s.auctionId).subarray(24), hexBytes(s.solver), u16(s.prices.length)];
  for (const p of s.prices) parts.push(hexBytes(p.token), word(p.price));
  parts.push(u16(s.marketPrices.length));
  for (const m of s.marketPrices) parts.push(u32(m.market), word(m.price));
  parts.push(u16(s.trades.length));
  for (const t of s.trades) parts.push(hexBytes(t.intentId), word(t.executed));
  parts.push(u16(s.liquidity.length));
  for (const l of s.liquidity) {
    const bytes = encodeIntent(l.intent);
    parts.push(u16(bytes.length), bytes, word(l.executed));
  }
  parts.push(u16(s.interactions.length));
  for (const x of s.interactions) {
    const data = hexBytes(x.callData);
    parts.push(hexBytes(x.target), word(x.value), u32(data.length), data);
  }
  return cat(...parts);
}

export const solutionDigest = (body: Uint8Array, chainId: number, settlement: Address): Hex =>
  keccak256(cat(new TextEncoder().encode('\x19IntentSolution\x01'), word(BigInt(chainId)), hexBytes(settlement), body));

export function signSolution(s: Omit<WireSolution, 'signature' | 'solver'>, key: Hex, chainId: number, settlement: Address): Uint8Array {
  const body = encodeSolutionBody({ ...s, solver: addressOf(key) });
  return cat(body, hexBytes(sign(solutionDigest(body, chainId, settlement), key)));
}

export function decodeSolution(b: Uint8Array): WireSolution {
  let at = 0;
  const take = (n: number): Uint8Array => {
    if (at + n > b.length) throw new Error('truncated solution');
    const out = b.subarray(at, at + n);
    at += n;
    return out;
  };
  const head = take(29);
  if (head[0] !== 2) throw new Error('solution version');
  const s: WireSolution = {
    auctionId: BigInt(hex(head.subarray(1, 9))),
    solver: addr(head, 9),
    prices: [],
    marketPrices: [],
    trades: [],
    liquidity: [],
    interactions: [],
    signature: '0x',
  };
  for (let n = readU16(take(2), 0); n > 0; n--) {
    const r = take(52);
    s.prices.push({ token: addr(r, 0), price: readWord(r, 20) });
  }
  for (let n = readU16(take(2), 0); n > 0; n--) {
    const r = take(36);
    s.marketPrices.push({ market: readU32(r, 0), price: readWord(r, 4) });
  }
  for (let n = readU16(take(2), 0); n > 0; n--) {
    const r = take(64);
    s.trades.push({ intentId: hex(r.subarray(0, 32)), executed: readWord(r, 32) });
  }
  for (let n = readU16(take(2), 0); n > 0; n--) {
    const intent = decodeIntent(take(readU16(take(2), 0)));
    if (intent.tag !== 2) throw new Error('own liquidity must be a position intent');
    s.liquidity.push({ intent, executed: readWord(take(32), 0) });
  }
  for (let n = readU16(take(2), 0); n > 0; n--) {
    const r = take(56);
    s.interactions.push({ target: addr(r, 0), value: readWord(r, 20), callData: hex(take(readU32(r, 52))) });
  }
  s.signature = hex(take(65));
  if (at !== b.length) throw new Error('trailing bytes after the solution signature');
  return s;
}

// ---- sync frames ----------------------------------------------------------------------------------

export const CANCEL_FRAME = 0xcc;
/** length u32 BE ‖ payload. */
export const frame = (payload: Uint8Array): Uint8Array => cat(u32(payload.length), payload);
/** The payload of a cancel frame: 0xCC ‖ intentId 32 ‖ cancel signature 65 ‖ signed intent. */
export const cancelFramePayload = (id: Hex, signature: Hex, intent: Uint8Array): Uint8Array =>
  cat(Uint8Array.of(CANCEL_FRAME), hexBytes(id), hexBytes(signature), intent);

export type SyncFrame = { kind: 'intent'; intent: WireIntent } | { kind: 'cancel'; intentId: Hex; signature: Hex; intent: WireIntent };
export function decodeFrames(b: Uint8Array): SyncFrame[] {
  const out: SyncFrame[] = [];
  let at = 0;
  while (at < b.length) {
    if (at + 4 > b.length) throw new Error('truncated frame length');
    const n = readU32(b, at);
    if (at + 4 + n > b.length) throw new Error('truncated frame');
    const p = b.subarray(at + 4, at + 4 + n);
    at += 4 + n;
    if (p[0] === CANCEL_FRAME) {
      const c = decodeCancel(p.subarray(1, 98));
      out.push({ kind: 'cancel', ...c, intent: decodeIntent(p.subarray(98)) });
    } else out.push({ kind: 'intent', intent: decodeIntent(p) });
  }
  return out;
}
