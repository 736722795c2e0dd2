// The wallet-facing HTTP API on node:http (no framework: eight routes, strict JSON, bounded
// bodies). Every error is JSON: { "error": { "code": "<machine code>", "message": "<sentence>" } }.
// The OpenAPI document (node/openapi.json) describes exactly these routes and is served at
// GET /openapi.json.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Address, Hex } from 'viem';
import { decodeSignedIntent } from '../../protocol/codec.ts';
import { parseSignedIntentJson, signedIntentToJson } from '../../protocol/json.ts';
import { fromHex } from '../../protocol/bytes.ts';
import { describeError } from '../../protocol/result.ts';
import { recoverCanceller } from '../../protocol/cancel.ts';
import { dashboardRoutes } from './dashboard.ts';
import type { SolutionOutcome } from '../auction/clock.ts';
import { ALREADY_CODE, CANCEL_RULES, INTENT_RULES, REQUEST_STATUS, SOLUTION_RULES, type CancelCode, type IntentCode, type RequestCode, type SolutionCode } from '../errors.ts';
import type { IntentNode } from '../node.ts';
import { isFinal, type PoolRecord } from '../pool/record.ts';

const MAX_BODY = 64 * 1024;
const OPENAPI = readFileSync(new URL('../openapi.json', import.meta.url), 'utf8');

export type AuctionView = {
  current(): Promise<unknown>;
  byId(id: number): unknown;
  solver(address: Address): Promise<unknown>;
  /** Checks, ranks and gossips a signed solution (protocol/solution.ts bytes). */
  submitSolution?(bytes: Uint8Array): Promise<SolutionOutcome>;
};

/** A refused request: the status comes from the code's table in node/errors.ts, never chosen here. */
class HttpError extends Error {
  readonly status: number;
  readonly code: RequestCode | IntentCode | CancelCode | SolutionCode;
  private constructor(status: number, code: HttpError['code'], message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
  static request(code: RequestCode, message: string): HttpError {
    return new HttpError(REQUEST_STATUS[code], code, message);
  }
  static intent(code: IntentCode, message: string): HttpError {
    return new HttpError(INTENT_RULES[code].status, code, message);
  }
  static cancel(code: CancelCode, message: string): HttpError {
    return new HttpError(CANCEL_RULES[code].status, code, message);
  }
  static solution(code: SolutionCode, message: string): HttpError {
    return new HttpError(SOLUTION_RULES[code].status, code, message);
  }
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
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


/** The public view of a pool record: the signed intent as JSON plus its state. */
export function recordView(rec: PoolRecord): Record<string, unknown> {
  const decoded = decodeSignedIntent(fromHex(rec.bytes));
  return {
    id: rec.digest,
    state: rec.state,
    owner: rec.owner,
    validTo: rec.validTo,
    receivedAt: new Date(rec.receivedAt).toISOString(),
    updatedAt: new Date(rec.updatedAt).toISOString(),
    source: rec.source,
    ...(rec.filled !== undefined ? { filled: rec.filled } : {}),
    settlement: rec.txHash ? { txHash: rec.txHash, blockNumber: rec.blockNumber, blockHash: rec.blockHash } : null,
    signedIntent: decoded.ok ? signedIntentToJson(decoded.value) : null,
  };
}

export function createApi(node: IntentNode, auctions?: AuctionView): Server {
  const started = Date.now();
  const routes: { method: string; pattern: RegExp; name: string; handle: (req: IncomingMessage, res: ServerResponse, m: RegExpMatchArray) => Promise<void> }[] = [
    {
      method: 'POST',
      pattern: /^\/v1\/intents$/,
      name: 'submit',
      async handle(req, res) {
        const body = await readJson(req);
        const parsed = parseSignedIntentJson(body);
        if (!parsed.ok) throw HttpError.intent(parsed.error.code, describeError(parsed.error));
        const out = await node.submit(parsed.value);
        if (out.verdict === 'accept') return send(res, 201, { id: out.digest, state: 'open' });
        if (out.code === 'duplicate' && 'record' in out && out.record) return send(res, 200, { id: out.record.digest, state: out.record.state, duplicate: true });
        throw HttpError.intent(out.code, out.reason);
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/intents\/(0x[0-9a-fA-F]{64})$/,
      name: 'status',
      async handle(_req, res, m) {
        const rec = await node.pool.get(m[1]!.toLowerCase() as Hex);
        if (!rec) throw HttpError.request('not_found', `no intent ${m[1]} in this node's pool`);
        send(res, 200, recordView(rec));
      },
    },
    {
      method: 'POST',
      pattern: /^\/v1\/intents\/(0x[0-9a-fA-F]{64})\/cancel$/,
      name: 'cancel',
      async handle(req, res, m) {
        const id = m[1]!.toLowerCase() as Hex;
        const body = (await readJson(req)) as { signature?: unknown } | null;
        const rec = await node.pool.get(id);
        if (!rec) throw HttpError.request('not_found', `no intent ${id} in this node's pool`);
        const signer = recoverCanceller(id, body?.signature, node.validator.separator);
        if (!signer.ok) throw HttpError.cancel(signer.error.code, describeError(signer.error));
        if (signer.value !== rec.owner) throw HttpError.cancel('wrong_signer', `the cancel is signed by ${signer.value}, not the owner ${rec.owner}`);
        if (isFinal(rec.state)) throw HttpError.cancel(ALREADY_CODE[rec.state], `intent ${id} is already ${rec.state}`);
        const next = await node.cancel(id, body?.signature as Hex);
        send(res, 200, { id, state: next?.state ?? 'cancelled' });
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/owners\/(0x[0-9a-fA-F]{40})\/intents$/,
      name: 'by_owner',
      async handle(req, res, m) {
        const owner = m[1]!.toLowerCase() as Address;
        const url = new URL(req.url ?? '/', 'http://x');
        const state = url.searchParams.get('state') ?? 'open';
        if (state !== 'open' && state !== 'all') throw HttpError.request('bad_query', 'state must be "open" or "all"');
        const recs = state === 'open' ? node.pool.liveByOwner(owner).sort((a, b) => b.receivedAt - a.receivedAt) : await node.pool.byOwner(owner);
        send(res, 200, { owner, intents: recs.map(recordView) });
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/auction$/,
      name: 'auction',
      async handle(_req, res) {
        if (!auctions) throw HttpError.request('auctions_disabled', 'this node runs no auction clock');
        send(res, 200, await auctions.current());
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/auctions\/(\d{1,15})$/,
      name: 'auction_by_id',
      async handle(_req, res, m) {
        if (!auctions) throw HttpError.request('auctions_disabled', 'this node runs no auction clock');
        const a = await auctions.byId(Number(m[1]));
        if (!a) throw HttpError.request('not_found', `auction ${m[1]} is unknown to this node`);
        send(res, 200, a);
      },
    },
    {
      method: 'POST',
      pattern: /^\/v1\/solutions$/,
      name: 'submit_solution',
      async handle(req, res) {
        if (!auctions?.submitSolution) throw HttpError.request('auctions_disabled', 'this node runs no auction clock');
        const body = (await readJson(req)) as { solution?: unknown } | null;
        const hex = body?.solution;
        if (typeof hex !== 'string' || !/^0x([0-9a-fA-F]{2})+$/.test(hex)) throw HttpError.request('malformed', 'send { "solution": "0x<signed solution bytes, protocol/solution.ts codec>" }');
        const out = await auctions.submitSolution(fromHex(hex as Hex));
        if (out.verdict === 'accept') return send(res, 202, { hash: out.hash, state: 'ranked', score: out.score });
        if (out.code === 'duplicate') return send(res, 200, { hash: out.hash, state: 'ranked', duplicate: true });
        throw HttpError.solution(out.code, out.reason);
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/solvers\/(0x[0-9a-fA-F]{40})$/,
      name: 'solver',
      async handle(_req, res, m) {
        if (!auctions) throw HttpError.request('auctions_disabled', 'this node runs no auction clock');
        const r = await auctions.solver(m[1]!.toLowerCase() as Address);
        if (!r) throw HttpError.request('not_found', `no solution from ${m[1]} seen by this node`);
        send(res, 200, r);
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/peers$/,
      name: 'peers',
      async handle(_req, res) {
        // Scores as this node sees them: gossipsub's (topics, behaviour, application) and the
        // application part alone (PeerBudget). Graylisted below -80.
        const connected = new Map<string, { remoteAddr: string; direction: string }>();
        for (const c of node.host.libp2p.getConnections()) connected.set(c.remotePeer.toString(), { remoteAddr: c.remoteAddr.toString(), direction: c.direction });
        send(res, 200, {
          peers: [...connected].map(([peerId, c]) => ({ peerId, ...c, score: node.host.pubsub.getScore(peerId), appScore: node.budget.score(peerId) })),
          banned: node.host.banList().map((b) => ({ peerId: b.peer, until: new Date(b.until).toISOString() })),
        });
      },
    },
    {
      method: 'GET',
      pattern: /^\/health$/,
      name: 'health',
      async handle(_req, res) {
        send(res, 200, {
          status: 'ok',
          peerId: node.peerId,
          listen: node.multiaddrs,
          peers: node.host.libp2p.getPeers().length,
          poolLive: node.pool.size,
          queueDepth: node.queue.depth,
          chainId: node.config.chainId,
          settlement: node.config.settlement,
          uptimeSec: Math.floor((Date.now() - started) / 1000),
        });
      },
    },
    {
      method: 'GET',
      pattern: /^\/metrics$/,
      name: 'metrics',
      async handle(_req, res) {
        node.metrics.queueDepth.set(node.queue.depth);
        node.metrics.peers.set(node.host.libp2p.getPeers().length);
        send(res, 200, await node.metrics.registry.metrics(), node.metrics.registry.contentType);
      },
    },
    {
      method: 'GET',
      pattern: /^\/openapi\.json$/,
      name: 'openapi',
      async handle(_req, res) {
        send(res, 200, OPENAPI, 'application/json');
      },
    },
    ...dashboardRoutes(node, auctions),
  ];

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const route = routes.find((r) => r.pattern.test(path) && r.method === req.method);
    const name = route?.name ?? 'unknown';
    const finish = (status: number): void => {
      node.metrics.http.inc({ route: name, status: String(status) });
    };
    if (!route) {
      const other = routes.some((r) => r.pattern.test(path));
      const status = other ? 405 : 404;
      send(res, status, { error: { code: other ? 'method_not_allowed' : 'not_found', message: other ? `${req.method} is not allowed on ${path}` : `no route ${path}` } });
      return finish(status);
    }
    route
      .handle(req, res, path.match(route.pattern)!)
      .then(() => finish(res.statusCode))
      .catch((err: unknown) => {
        const e = err instanceof HttpError ? err : HttpError.request('internal', 'internal error');
        if (!(err instanceof HttpError)) node.log.error({ event: 'api_error', route: name, err: (err as Error).message });
        if (!res.headersSent) send(res, e.status, { error: { code: e.code, message: e.message } });
        else res.end();
        finish(e.status);
      });
  });
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  return server;
}

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

