// POST /v1/quote: an indicative price before signing, as CoW's orderbook asks its solvers. The
// node validates the request (protocol/quote.ts), asks every configured quoter (a solver's
// --quote-port endpoint) in parallel under one deadline, keeps the answers that are valid for the
// request (shape, type, the requested side equal to the requested amount, an option's series and
// size equal to the requested ones and its validity not past), and answers the best
// for the trader with every valid answer and the quoters that failed (timed out, refused, answered
// something invalid). Quotes are not binding: the signed limit is what protects the user.
import type { QuoteRequest, QuoteResponse, SolverQuote } from '../../protocol/api.ts';
import { parseQuoteRequest, parseSolverQuote, rankQuotes } from '../../protocol/quote.ts';
import type { Logger } from '../log.ts';
import type { ClientRate } from './client-rate.ts';
import { HttpError, json, readJson, type Route } from './http.ts';

/** A quote is stale after this long: the pools move every block. */
export const QUOTE_VALIDITY_MS = 12_000;
/** A quoter's answer larger than this is refused (a quote is ~200 bytes). */
const MAX_ANSWER_BYTES = 16 * 1024;

export type QuoteDeps = {
  /** The solvers' quote endpoints; empty: 503 quotes_disabled. */
  quoters: readonly string[];
  /** The deadline for all answers (ms). */
  timeoutMs: number;
  /** Quotes per client address; a client over it gets 429 rate_limited with Retry-After. */
  perClient?: ClientRate;
  log?: Logger;
  /** For tests. */
  fetch?: typeof fetch;
  now?: () => number;
};

export type Gathered = { quotes: SolverQuote[]; failed: { url: string; reason: string }[] };

/** One quoter's answer to `req` within `signal`'s deadline: a valid quote, or why not. */
async function askOne(
  url: string,
  req: QuoteRequest,
  signal: AbortSignal,
  f: typeof fetch,
  now: () => number,
): Promise<{ ok: true; quote: SolverQuote } | { ok: false; reason: string }> {
  let res: Response;
  try {
    res = await f(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(req), signal });
  } catch (e) {
    return { ok: false, reason: signal.aborted ? 'timeout' : `unreachable: ${(e as Error).message}` };
  }
  let text: string;
  try {
    text = await res.text();
  } catch {
    return { ok: false, reason: signal.aborted ? 'timeout' : 'answer cut off' };
  }
  if (text.length > MAX_ANSWER_BYTES) return { ok: false, reason: `answer over ${MAX_ANSWER_BYTES} bytes` };
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    return { ok: false, reason: `HTTP ${res.status}: not JSON` };
  }
  if (!res.ok) {
    const e = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    const what = typeof e?.code === 'string' ? `${e.code}${typeof e.message === 'string' ? `: ${e.message.slice(0, 200)}` : ''}` : 'error';
    return { ok: false, reason: `HTTP ${res.status} ${what}` };
  }
  const q = parseSolverQuote(req, body, Math.floor(now() / 1000));
  return q.ok ? { ok: true, quote: q.value } : { ok: false, reason: `invalid quote: ${q.reason}` };
}

/**
 * Asks every quoter in parallel; the whole round ends by `timeoutMs` (late answers count as
 * failed). `now` (ms): the clock an option answer's validTo is checked against.
 */
export async function gatherQuotes(
  quoters: readonly string[],
  req: QuoteRequest,
  timeoutMs: number,
  f: typeof fetch = fetch,
  now: () => number = Date.now,
): Promise<Gathered> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  try {
    const answers = await Promise.all(
      quoters.map(async (url) => {
        // a quoter that answers the headers but stalls the body is cut off by the abort too
        const deadline = new Promise<{ ok: false; reason: string }>((r) =>
          ctl.signal.addEventListener('abort', () => r({ ok: false, reason: 'timeout' }), { once: true }),
        );
        return { url, answer: await Promise.race([askOne(url, req, ctl.signal, f, now), deadline]) };
      }),
    );
    const quotes: SolverQuote[] = [];
    const failed: Gathered['failed'] = [];
    for (const { url, answer } of answers) {
      if (answer.ok) quotes.push(answer.quote);
      else failed.push({ url, reason: answer.reason });
    }
    return { quotes, failed };
  } finally {
    clearTimeout(timer);
    ctl.abort();
  }
}

export function quoteRoutes(d: QuoteDeps): Route[] {
  return [
    {
      method: 'POST',
      pattern: /^\/v1\/quote$/,
      name: 'quote',
      handle: async (req) => {
        if (!d.quoters.length) throw HttpError.quote('quotes_disabled', 'this node has no quoters (--quoter)');
        // before any work: a quote costs every quoter engine time, so one client gets its share only
        const client = req.socket.remoteAddress ?? 'unknown';
        const wait = d.perClient?.take(client);
        if (wait !== undefined)
          throw HttpError.quote('rate_limited', `too many quote requests from ${client}; ask again in ${wait} s`, wait);
        const parsed = parseQuoteRequest(await readJson(req));
        if (!parsed.ok) throw HttpError.quote('bad_quote_request', parsed.reason);
        const t0 = Date.now();
        const { quotes, failed } = await gatherQuotes(d.quoters, parsed.value, d.timeoutMs, d.fetch, d.now);
        d.log?.debug({ event: 'quote', quotes: quotes.length, failed: failed.length, ms: Date.now() - t0 });
        const ranked = rankQuotes(parsed.value, quotes);
        const best = ranked[0];
        if (!best)
          throw HttpError.quote(
            'no_quote',
            `no quoter could quote this: ${failed.map((x) => `${x.url}: ${x.reason}`).join('; ')}`.slice(0, 1000),
          );
        const now = d.now?.() ?? Date.now();
        // an option quote is good until the solver's validTo at most
        const until = best.type === 'option' ? Math.min(now + QUOTE_VALIDITY_MS, best.validTo * 1000) : now + QUOTE_VALIDITY_MS;
        return json<QuoteResponse>({
          quote: best,
          quotes: ranked,
          failed,
          quotedAt: new Date(now).toISOString(),
          expiresAt: new Date(until).toISOString(),
        });
      },
    },
  ];
}
