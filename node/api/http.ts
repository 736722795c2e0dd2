// The HTTP plumbing of the node's API on node:http (no framework: a route table, strict JSON,
// bounded bodies). Every error is JSON, `{ "error": { "code", "message" } }` (protocol/api.ts
// ApiErrorBody), and its status comes from the code's row in node/errors.ts.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiErrorBody } from '../../protocol/api.ts';
import {
  CANCEL_RULES,
  INTENT_RULES,
  QUOTE_STATUS,
  REQUEST_STATUS,
  SOLUTION_RULES,
  type CancelCode,
  type IntentCode,
  type QuoteCode,
  type RequestCode,
  type SolutionCode,
} from '../errors.ts';
import type { Logger } from '../log.ts';
import type { NodeMetrics } from '../metrics.ts';

const MAX_BODY = 64 * 1024;

/** A refused request. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: RequestCode | IntentCode | CancelCode | SolutionCode | QuoteCode;
  /** Sent as Retry-After (seconds). */
  readonly retryAfterSec?: number;
  private constructor(status: number, code: HttpError['code'], message: string, retryAfterSec?: number) {
    super(message);
    this.status = status;
    this.code = code;
    if (retryAfterSec !== undefined) this.retryAfterSec = retryAfterSec;
  }
  static request(code: RequestCode, message: string): HttpError {
    return new HttpError(REQUEST_STATUS[code], code, message);
  }
  static intent(code: IntentCode, message: string, retryAfterSec?: number): HttpError {
    return new HttpError(INTENT_RULES[code].status, code, message, retryAfterSec);
  }
  static cancel(code: CancelCode, message: string): HttpError {
    return new HttpError(CANCEL_RULES[code].status, code, message);
  }
  static solution(code: SolutionCode, message: string): HttpError {
    return new HttpError(SOLUTION_RULES[code].status, code, message);
  }
  static quote(code: QuoteCode, message: string, retryAfterSec?: number): HttpError {
    return new HttpError(QUOTE_STATUS[code], code, message, retryAfterSec);
  }
}

/** What a route answers: a JSON body, or raw bytes of a given type (metrics, static files). */
export type Reply =
  | { kind: 'json'; status: number; body: unknown; retryAfterSec?: number }
  | { kind: 'raw'; status: number; body: string | Buffer; type: string; cacheControl?: string };

/**
 * A JSON reply. The type argument is required (without it the body must be `never`): every
 * route names the protocol/api.ts type it answers with, and tsc checks the body against it.
 */
export const json = <T = never>(body: NoInfer<T>, status = 200): Reply => ({ kind: 'json', status, body });

export const raw = (body: string | Buffer, type: string, cacheControl?: string): Reply => ({
  kind: 'raw',
  status: 200,
  body,
  type,
  ...(cacheControl ? { cacheControl } : {}),
});

export type Route = {
  method: 'GET' | 'POST';
  pattern: RegExp;
  /** The route's label in node_http_requests_total. */
  name: string;
  handle: (req: IncomingMessage, params: RegExpMatchArray) => Promise<Reply>;
};

/** The JSON body of a request, bounded and strictly parsed. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const ct = req.headers['content-type'] ?? '';
  if (!ct.startsWith('application/json')) throw HttpError.request('unsupported_media_type', 'send the body as application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw HttpError.request('body_too_large', `request bodies are limited to ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw HttpError.request('malformed_json', 'the request body is not valid JSON');
  }
}

/** The `limit` query parameter: a positive integer up to `max`, else `def`. */
export function limitOf(req: IncomingMessage, def: number, max: number): number {
  const v = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('limit') ?? def);
  return Number.isSafeInteger(v) && v > 0 ? Math.min(v, max) : def;
}

function send(res: ServerResponse, r: Reply): void {
  const body = r.kind === 'json' ? JSON.stringify(r.body) : r.body;
  const type = r.kind === 'json' ? 'application/json' : r.type;
  const cache = (r.kind === 'raw' && r.cacheControl) || 'no-store';
  res.writeHead(r.status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': cache,
    ...(r.kind === 'json' && r.retryAfterSec !== undefined ? { 'retry-after': String(r.retryAfterSec) } : {}),
  });
  res.end(body);
}

const errorReply = (status: number, code: string, message: string, retryAfterSec?: number): Reply => ({
  ...json<ApiErrorBody>({ error: { code, message } }, status),
  ...(retryAfterSec !== undefined ? { retryAfterSec } : {}),
});

/** An HTTP server over `routes`; counts every request by route and status. */
export function serve(routes: Route[], o: { metrics: NodeMetrics; log: Logger }): Server {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const route = routes.find((r) => r.pattern.test(path) && r.method === req.method);
    const name = route?.name ?? 'unknown';
    const finish = (status: number): void => {
      o.metrics.http.inc({ route: name, status: String(status) });
    };
    if (!route) {
      const other = routes.some((r) => r.pattern.test(path));
      const e = other
        ? HttpError.request('method_not_allowed', `${req.method} is not allowed on ${path}`)
        : HttpError.request('not_found', `no route ${path}`);
      send(res, errorReply(e.status, e.code, e.message));
      return finish(e.status);
    }
    route
      .handle(req, path.match(route.pattern)!)
      .then((reply) => {
        send(res, reply);
        finish(reply.status);
      })
      .catch((err: unknown) => {
        const e = err instanceof HttpError ? err : HttpError.request('internal', 'internal error');
        if (!(err instanceof HttpError)) o.log.error({ event: 'api_error', route: name, err: (err as Error).message });
        if (!res.headersSent) send(res, errorReply(e.status, e.code, e.message, e.retryAfterSec));
        else res.end();
        finish(e.status);
      });
  });
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  return server;
}

/** Listens on `host:port` (0 = any free port); resolves with the base URL. */
export async function listen(server: Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  return `http://${a.address}:${a.port}`;
}

/** Caches an async value for `ms`; concurrent callers share one computation. */
export function cached<T>(ms: number, f: () => Promise<T>): () => Promise<T> {
  let at = 0;
  let value: Promise<T> | undefined;
  return () => {
    const now = Date.now();
    if (!value || now - at > ms) {
      at = now;
      value = f().catch((e: unknown) => {
        at = 0;
        throw e;
      });
    }
    return value;
  };
}
