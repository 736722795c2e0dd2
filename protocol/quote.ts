// Quotes (protocol/api.ts QuoteRequest, SolverQuote): the checks a node and a solver both apply to
// a request and to a solver's answer, and which answer is best for the trader. One schema here so
// the node's POST /v1/quote and the solvers' quote servers refuse exactly the same requests.
import { isAddress } from 'viem';
import { z } from 'zod';
import type { QuoteRequest, SolverQuote } from './api.ts';
import { MAX_OPTION_SIZE } from './intent.ts';

const UINT256_MAX = (1n << 256n) - 1n;
const INT256_MAX = (1n << 255n) - 1n;

const address = z
  .string()
  .refine((s) => isAddress(s, { strict: false }), { error: 'expected a 0x-prefixed 20-byte address' })
  .transform((s) => s as `0x${string}`);
// (zod runs every check of a string even after one failed: the range checks parse only what the
// pattern let through, or a hostile '9e9' would throw in BigInt)
const POSITIVE = /^[1-9]\d{0,77}$/;
const SIGNED = /^-?[1-9]\d{0,76}$/;
/** A positive decimal integer string that fits a uint256. */
const positive = z
  .string()
  .regex(POSITIVE, { error: 'expected a positive decimal integer string' })
  .refine((s) => !POSITIVE.test(s) || BigInt(s) <= UINT256_MAX, { error: 'above 2^256 - 1' });
/** A non-zero signed decimal integer string that fits an int256. */
const signedNonZero = z
  .string()
  .regex(SIGNED, { error: 'expected a non-zero decimal integer string' })
  .refine((s) => !SIGNED.test(s) || (s.startsWith('-') ? -BigInt(s) : BigInt(s)) <= INT256_MAX, { error: 'outside int256' });
/** An option series id: a positive decimal integer string that fits the registry's uint64. */
const seriesId = z
  .string()
  .regex(/^[1-9]\d{0,19}$/, { error: 'expected a positive decimal integer string' })
  .refine((s) => !/^[1-9]\d{0,19}$/.test(s) || BigInt(s) < 1n << 64n, { error: 'above 2^64 - 1' });
/** An option size: non-zero, |size| <= MAX_OPTION_SIZE (what an option intent may carry). */
const optionSize = z
  .string()
  .regex(SIGNED, { error: 'expected a non-zero decimal integer string' })
  .refine((s) => !SIGNED.test(s) || (s.startsWith('-') ? -BigInt(s) : BigInt(s)) <= MAX_OPTION_SIZE, {
    error: `|size| above ${MAX_OPTION_SIZE}`,
  });

export const quoteRequestSchema = z.discriminatedUnion(
  'type',
  [
    z
      .strictObject({
        type: z.literal('swap'),
        sellToken: address,
        buyToken: address,
        kind: z.enum(['sell', 'buy']),
        amount: positive,
        owner: address.optional(),
      })
      .refine((r) => r.sellToken.toLowerCase() !== r.buyToken.toLowerCase(), {
        error: 'sellToken and buyToken are the same',
        path: ['buyToken'],
      }),
    z.strictObject({
      type: z.literal('position'),
      market: z.number().int().min(0).max(0xffffffff),
      sizeDelta: signedNonZero,
      owner: address.optional(),
    }),
    z.strictObject({ type: z.literal('option'), series: seriesId, size: optionSize, account: address.optional() }),
  ],
  { error: 'expected type "swap", "position" or "option"' },
);

const gas = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
export const solverQuoteSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('swap'), solver: address, sellAmount: positive, buyAmount: positive, gas }),
  z.strictObject({ type: z.literal('position'), solver: address, price: positive, gas }),
  z.strictObject({
    type: z.literal('option'),
    solver: address,
    series: seriesId,
    size: optionSize,
    premium: positive,
    source: z.enum(['vault', 'peers']),
    gas,
    validTo: z.number().int().positive().max(0xffffffff),
  }),
]);

/** The first problem of a zod error as `field: reason`. */
function firstIssue(e: z.ZodError): string {
  const i = e.issues[0];
  if (!i) return 'invalid';
  return i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

/** A QuoteRequest from untrusted JSON. */
export function parseQuoteRequest(body: unknown): Checked<QuoteRequest> {
  const r = quoteRequestSchema.safeParse(body);
  return r.success ? { ok: true, value: r.data as QuoteRequest } : { ok: false, reason: firstIssue(r.error) };
}

/**
 * A solver's answer to `req`, from untrusted JSON: the shape, the type the request asked for, for
 * a swap the requested side equal to the requested amount, for an option the requested series and
 * size (a solver may not quote another trade) and a validity not past `nowSec` (unix seconds).
 */
export function parseSolverQuote(req: QuoteRequest, body: unknown, nowSec?: number): Checked<SolverQuote> {
  const r = solverQuoteSchema.safeParse(body);
  if (!r.success) return { ok: false, reason: firstIssue(r.error) };
  const q = r.data as SolverQuote;
  const a = (t: string): string => (t === 'option' ? `an ${t}` : `a ${t}`);
  if (q.type !== req.type) return { ok: false, reason: `${a(q.type)} quote for ${a(req.type)} request` };
  if (q.type === 'swap' && req.type === 'swap') {
    const side = req.kind === 'sell' ? q.sellAmount : q.buyAmount;
    if (BigInt(side) !== BigInt(req.amount)) return { ok: false, reason: `${req.kind}Amount ${side} is not the requested ${req.amount}` };
  }
  if (q.type === 'option' && req.type === 'option') {
    if (BigInt(q.series) !== BigInt(req.series)) return { ok: false, reason: `series ${q.series} is not the requested ${req.series}` };
    if (BigInt(q.size) !== BigInt(req.size)) return { ok: false, reason: `size ${q.size} is not the requested ${req.size}` };
    if (nowSec !== undefined && q.validTo < nowSec) return { ok: false, reason: `expired at ${q.validTo}, now ${nowSec}` };
  }
  return { ok: true, value: q };
}

/**
 * The better of two quotes for the trader who asked `req` (negative: `a` is better). A sell: the
 * higher buyAmount; a buy: the lower sellAmount; a position: the lower price for a long (sizeDelta
 * > 0), the higher for a short; an option: the lower premium for a buy (size > 0), the higher for a
 * write. Ties: the lower gas, then the lower solver address (deterministic).
 */
export function compareQuotes(req: QuoteRequest, a: SolverQuote, b: SolverQuote): number {
  const cmp = (x: bigint, y: bigint): number => (x < y ? -1 : x > y ? 1 : 0);
  let c = 0;
  if (a.type === 'swap' && b.type === 'swap' && req.type === 'swap') {
    c = req.kind === 'sell' ? cmp(BigInt(b.buyAmount), BigInt(a.buyAmount)) : cmp(BigInt(a.sellAmount), BigInt(b.sellAmount));
  } else if (a.type === 'position' && b.type === 'position' && req.type === 'position') {
    const long = BigInt(req.sizeDelta) > 0n;
    c = long ? cmp(BigInt(a.price), BigInt(b.price)) : cmp(BigInt(b.price), BigInt(a.price));
  } else if (a.type === 'option' && b.type === 'option' && req.type === 'option') {
    const buy = BigInt(req.size) > 0n;
    c = buy ? cmp(BigInt(a.premium), BigInt(b.premium)) : cmp(BigInt(b.premium), BigInt(a.premium));
  }
  if (c !== 0) return c;
  if (a.gas !== b.gas) return a.gas - b.gas;
  return a.solver.toLowerCase() < b.solver.toLowerCase() ? -1 : a.solver.toLowerCase() > b.solver.toLowerCase() ? 1 : 0;
}

/** The quotes best first (a copy); the first is the one to show the trader. */
export function rankQuotes(req: QuoteRequest, quotes: readonly SolverQuote[]): SolverQuote[] {
  return [...quotes].sort((a, b) => compareQuotes(req, a, b));
}
