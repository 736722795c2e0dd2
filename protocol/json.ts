// JSON forms of signed intents for the HTTP API and tools: the same field names and values as the
// EIP-712 message the wallet signed, with every uint256/int256 as a decimal string (JSON numbers
// lose precision above 2^53). Parsing is strict and returns typed errors; it never throws.
import { isAddress, type Address, type Hex } from 'viem';
import { isHex, MAX_INT256, MAX_UINT256, MAX_UINT32, MIN_INT256 } from './bytes.ts';
import type { IntentSignature, OptionIntent, PositionIntent, SignedIntent, SwapIntent } from './intent.ts';
import { checkOptionIntentBounds, MAX_EIP1271_SIGNATURE_BYTES } from './codec.ts';
import { fail, ok, type Result } from './result.ts';

export type SwapIntentJson = {
  owner: string;
  sellToken: string;
  buyToken: string;
  receiver: string;
  sellAmount: string;
  buyAmount: string;
  validTo: number;
  nonce: string;
  kind: number;
  partiallyFillable: boolean;
  appData: string;
};

export type PositionIntentJson = {
  account: string;
  market: number;
  sizeDelta: string;
  limitPrice: string;
  reduceOnly: boolean;
  partiallyFillable: boolean;
  validTo: number;
  nonce: string;
};

/** `series` is a decimal string like the uint256 fields: a uint64 does not fit a JSON number. */
export type OptionIntentJson = {
  account: string;
  series: string;
  size: string;
  premiumLimit: string;
  reduceOnly: boolean;
  partiallyFillable: boolean;
  validTo: number;
  nonce: string;
};

export type SignedIntentJson =
  | { type: 'swap'; intent: SwapIntentJson; signature: IntentSignature }
  | { type: 'position'; intent: PositionIntentJson; signature: IntentSignature }
  | { type: 'option'; intent: OptionIntentJson; signature: IntentSignature };

export function swapIntentToJson(i: SwapIntent): SwapIntentJson {
  return { ...i, sellAmount: i.sellAmount.toString(), buyAmount: i.buyAmount.toString(), nonce: i.nonce.toString() };
}

export function positionIntentToJson(i: PositionIntent): PositionIntentJson {
  return { ...i, sizeDelta: i.sizeDelta.toString(), limitPrice: i.limitPrice.toString(), nonce: i.nonce.toString() };
}

export function optionIntentToJson(i: OptionIntent): OptionIntentJson {
  return {
    ...i,
    series: i.series.toString(),
    size: i.size.toString(),
    premiumLimit: i.premiumLimit.toString(),
    nonce: i.nonce.toString(),
  };
}

export function signedIntentToJson(s: SignedIntent): SignedIntentJson {
  switch (s.type) {
    case 'swap':
      return { type: 'swap', intent: swapIntentToJson(s.intent), signature: s.signature };
    case 'position':
      return { type: 'position', intent: positionIntentToJson(s.intent), signature: s.signature };
    case 'option':
      return { type: 'option', intent: optionIntentToJson(s.intent), signature: s.signature };
  }
}

// ---- parsing ----

const UNSIGNED = /^(0|[1-9][0-9]*)$/;
const SIGNED = /^(0|-?[1-9][0-9]*)$/;

type Fields = Record<string, unknown>;
const isRecord = (v: unknown): v is Fields => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseAddress(v: unknown, field: string): Result<Address> {
  if (typeof v !== 'string' || !isHex(v, 20)) return fail('malformed', field, 'expected a 0x-prefixed 20-byte hex address');
  // Mixed case means the sender used an EIP-55 checksum: a typo there must not pass.
  if (!isAddress(v, { strict: true })) return fail('malformed', field, 'EIP-55 checksum does not match');
  return ok(v.toLowerCase() as Address);
}

function parseUint(v: unknown, field: string, max: bigint): Result<bigint> {
  if (typeof v !== 'string' || !UNSIGNED.test(v)) {
    return fail('malformed', field, 'expected an unsigned integer as a decimal string without leading zeros');
  }
  const n = BigInt(v);
  return n > max ? fail('out_of_range', field, `above the maximum ${max}`) : ok(n);
}

function parseInt256(v: unknown, field: string): Result<bigint> {
  if (typeof v !== 'string' || !SIGNED.test(v)) return fail('malformed', field, 'expected a signed integer as a decimal string');
  const n = BigInt(v);
  return n > MAX_INT256 || n < MIN_INT256 ? fail('out_of_range', field, 'outside the int256 range') : ok(n);
}

function parseUint32(v: unknown, field: string): Result<number> {
  if (typeof v !== 'number' || !Number.isInteger(v)) return fail('malformed', field, 'expected an integer');
  return v < 0 || v > MAX_UINT32 ? fail('out_of_range', field, 'outside the uint32 range') : ok(v);
}

function parseBool(v: unknown, field: string): Result<boolean> {
  return typeof v === 'boolean' ? ok(v) : fail('malformed', field, 'expected true or false');
}

function parseBytes32(v: unknown, field: string): Result<Hex> {
  return isHex(v, 32) ? ok(v.toLowerCase() as Hex) : fail('malformed', field, 'expected 0x-prefixed 32-byte hex');
}

/**
 * Runs one parser per field and collects the results, stopping at the first error. Keeps each
 * intent parser a flat table of fields instead of a ladder of ifs.
 */
function parseFields<T>(obj: Fields, prefix: string, parsers: { [K in keyof T]: (v: unknown, field: string) => Result<T[K]> }): Result<T> {
  const known = new Set(Object.keys(parsers));
  for (const key of Object.keys(obj)) {
    if (!known.has(key)) return fail('malformed', `${prefix}.${key}`, 'unknown field');
  }
  const out: Partial<T> = {};
  for (const key of Object.keys(parsers) as (keyof T & string)[]) {
    const parsed = parsers[key](obj[key], `${prefix}.${key}`);
    if (!parsed.ok) return parsed;
    out[key] = parsed.value;
  }
  return ok(out as T);
}

export function parseSwapIntentJson(v: unknown, prefix = 'intent'): Result<SwapIntent> {
  if (!isRecord(v)) return fail('malformed', prefix, 'expected an object');
  return parseFields<SwapIntent>(v, prefix, {
    owner: parseAddress,
    sellToken: parseAddress,
    buyToken: parseAddress,
    receiver: parseAddress,
    sellAmount: (x, f) => parseUint(x, f, MAX_UINT256),
    buyAmount: (x, f) => parseUint(x, f, MAX_UINT256),
    validTo: parseUint32,
    nonce: (x, f) => parseUint(x, f, MAX_UINT256),
    kind: (x, f) => (x === 0 || x === 1 ? ok(x) : fail('out_of_range', f, 'kind must be 0 (sell) or 1 (buy)')),
    partiallyFillable: parseBool,
    appData: parseBytes32,
  });
}

export function parsePositionIntentJson(v: unknown, prefix = 'intent'): Result<PositionIntent> {
  if (!isRecord(v)) return fail('malformed', prefix, 'expected an object');
  return parseFields<PositionIntent>(v, prefix, {
    account: parseAddress,
    market: parseUint32,
    sizeDelta: parseInt256,
    limitPrice: (x, f) => parseUint(x, f, MAX_UINT256),
    reduceOnly: parseBool,
    partiallyFillable: parseBool,
    validTo: parseUint32,
    nonce: (x, f) => parseUint(x, f, MAX_UINT256),
  });
}

/** Parses an option intent: the type's ranges plus series != 0 and 0 < |size| <= MAX_OPTION_SIZE. */
export function parseOptionIntentJson(v: unknown, prefix = 'intent'): Result<OptionIntent> {
  if (!isRecord(v)) return fail('malformed', prefix, 'expected an object');
  const parsed = parseFields<OptionIntent>(v, prefix, {
    account: parseAddress,
    series: (x, f) => parseUint(x, f, (1n << 64n) - 1n),
    size: parseInt256,
    premiumLimit: (x, f) => parseUint(x, f, MAX_UINT256),
    reduceOnly: parseBool,
    partiallyFillable: parseBool,
    validTo: parseUint32,
    nonce: (x, f) => parseUint(x, f, MAX_UINT256),
  });
  if (!parsed.ok) return parsed;
  const bounds = checkOptionIntentBounds(parsed.value, prefix);
  return bounds.ok ? parsed : bounds;
}

export function parseIntentSignatureJson(v: unknown): Result<IntentSignature> {
  if (!isRecord(v)) return fail('malformed', 'signature', 'expected an object {scheme, data}');
  const { scheme, data } = v;
  if (scheme === 'eoa') {
    return isHex(data, 65)
      ? ok({ scheme, data: data.toLowerCase() as Hex })
      : fail('malformed', 'signature.data', 'an eoa signature is 65 bytes of 0x hex (r, s, v)');
  }
  if (scheme === 'eip1271') {
    if (!isHex(data) || data.length === 2) return fail('malformed', 'signature.data', 'expected non-empty 0x hex');
    if ((data.length - 2) / 2 > MAX_EIP1271_SIGNATURE_BYTES) {
      return fail('out_of_range', 'signature.data', `above the ${MAX_EIP1271_SIGNATURE_BYTES}-byte limit`);
    }
    return ok({ scheme, data: data.toLowerCase() as Hex });
  }
  return fail('malformed', 'signature.scheme', 'scheme must be "eoa" or "eip1271"');
}

/** Parses the API's JSON form of a signed intent (already JSON.parse'd). */
export function parseSignedIntentJson(v: unknown): Result<SignedIntent> {
  if (!isRecord(v)) return fail('malformed', 'body', 'expected a JSON object {type, intent, signature}');
  const signature = parseIntentSignatureJson(v.signature);
  if (v.type === 'swap') {
    const intent = parseSwapIntentJson(v.intent);
    if (!intent.ok) return intent;
    if (!signature.ok) return signature;
    return ok({ type: 'swap', intent: intent.value, signature: signature.value });
  }
  if (v.type === 'position') {
    const intent = parsePositionIntentJson(v.intent);
    if (!intent.ok) return intent;
    if (!signature.ok) return signature;
    return ok({ type: 'position', intent: intent.value, signature: signature.value });
  }
  if (v.type === 'option') {
    const intent = parseOptionIntentJson(v.intent);
    if (!intent.ok) return intent;
    if (!signature.ok) return signature;
    return ok({ type: 'option', intent: intent.value, signature: signature.value });
  }
  return fail('malformed', 'type', 'type must be "swap", "position" or "option"');
}
