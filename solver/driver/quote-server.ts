// The solver's quote endpoint (`--quote-port`): POST /v1/quote takes a QuoteRequest and answers a
// SolverQuote solved by this solver's engine on its warm state (quote.ts), the request-for-quote a
// node fans out to its quoters (node/api/quotes.ts). Errors are the node API's shape,
// `{ "error": { "code", "message" } }`: 400 bad_request (not JSON, not a valid request), 413
// body_too_large, 415 unsupported_media_type, 422 no_route (the solver cannot fill it), 503
// not_ready (before the pool view is loaded) or busy (at its quote share, QuoteGate), 404 / 405 for other paths and methods.
// An option request goes to the quoter's quoteOption (quote-option.ts): 422 with its refusal's
// code (unknown_series, market_halted, vault_refused, ...), or no_options when it has none.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { ApiErrorBody, OptionQuoteRequest, SolverQuote } from '../../protocol/api.ts';
import { parseQuoteRequest } from '../../protocol/quote.ts';
import type { EngineQuoteRequest, QuoteOutcome } from './quote.ts';
import type { OptionQuoteOutcome } from './quote-option.ts';

/** A quote request is a few hundred bytes. */
export const MAX_QUOTE_BODY = 4096;

export type Quoter = {
  quote(req: EngineQuoteRequest): Promise<QuoteOutcome | undefined>;
  /** Option requests; absent: refused (422 no_options). */
  quoteOption?(req: OptionQuoteRequest): Promise<OptionQuoteOutcome | undefined>;
};

export type QuoteServer = { url: string; server: Server; close(): Promise<void> };

class Refusal extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  if (!(req.headers['content-type'] ?? '').startsWith('application/json'))
    throw new Refusal(415, 'unsupported_media_type', 'send the body as application/json');
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_QUOTE_BODY) throw new Refusal(413, 'body_too_large', `request bodies are limited to ${MAX_QUOTE_BODY} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_QUOTE_BODY) throw new Refusal(413, 'body_too_large', `request bodies are limited to ${MAX_QUOTE_BODY} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new Refusal(400, 'bad_request', 'the request body is not valid JSON');
  }
}

/** Starts the quote server on `host:port` (port 0: any free port). */
export async function startQuoteServer(solver: Quoter, o: { port: number; host?: string; log?: Logger }): Promise<QuoteServer> {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/v1/quote') throw new Refusal(404, 'not_found', `no route ${path}`);
    if (req.method !== 'POST') throw new Refusal(405, 'method_not_allowed', `${req.method} is not allowed on ${path}`);
    const parsed = parseQuoteRequest(await readBody(req));
    if (!parsed.ok) throw new Refusal(400, 'bad_request', parsed.reason);
    const t0 = Date.now();
    const r = parsed.value;
    const out: QuoteOutcome | OptionQuoteOutcome | undefined =
      r.type !== 'option'
        ? await solver.quote(r)
        : solver.quoteOption
          ? await solver.quoteOption(r)
          : { ok: false, code: 'no_options', message: 'this solver quotes no options' };
    if (!out) throw new Refusal(503, 'not_ready', 'the solver has not loaded its pools yet');
    o.log?.debug({ event: 'quote', request: parsed.value, ok: out.ok, ms: Date.now() - t0 });
    if (!out.ok) throw new Refusal(out.code === 'busy' ? 503 : 422, out.code, out.message);
    send(res, 200, out.quote satisfies SolverQuote);
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const r = e instanceof Refusal ? e : new Refusal(500, 'internal', 'internal error');
      if (!(e instanceof Refusal)) o.log?.error({ event: 'quote_failed', error: (e as Error).message });
      if (!res.headersSent) send(res, r.status, { error: { code: r.code, message: r.message } } satisfies ApiErrorBody);
      else res.end();
      // an oversized or unread body: do not keep reading it
      if (r.status === 413) req.destroy();
    });
  });
  server.headersTimeout = 5000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}/v1/quote`,
    server,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
