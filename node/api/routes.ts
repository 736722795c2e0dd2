// The wallet-, solver- and operator-facing routes of the HTTP API. Each handler returns its
// protocol/api.ts response type; node/openapi.json describes the same routes and shapes and is
// served at GET /openapi.json (test/node/openapi.test.ts holds the two together).
import { readFileSync } from 'node:fs';
import type { Address, Hex } from 'viem';
import type {
  AuctionByIdResponse,
  BacklogResponse,
  CancelIntentResponse,
  CurrentAuctionResponse,
  HealthResponse,
  IntentStatusResponse,
  OwnerIntentsResponse,
  PeersResponse,
  SolverResponse,
  SubmitIntentResponse,
  SubmitSolutionResponse,
} from '../../protocol/api.ts';
import { fromHex, isHex } from '../../protocol/bytes.ts';
import { recoverCanceller } from '../../protocol/cancel.ts';
import { parseSignedIntentJson } from '../../protocol/json.ts';
import { describeError } from '../../protocol/result.ts';
import type { AuctionClock } from '../auction/clock.ts';
import { ALREADY_CODE } from '../errors.ts';
import type { NetworkStatus } from '../gossip/status.ts';
import type { NodeMetrics } from '../metrics.ts';
import type { BacklogEstimator } from '../pool/backlog.ts';
import type { IntentCancels } from '../pool/cancels.ts';
import type { IntentIntake } from '../pool/intake.ts';
import type { IntentPool } from '../pool/pool.ts';
import { isFinal } from '../pool/record.ts';
import { HttpError, json, raw, readJson, type Route } from './http.ts';
import { intentStatus } from './views.ts';

const OPENAPI = readFileSync(new URL('../openapi.json', import.meta.url), 'utf8');

export type ApiDeps = {
  chainId: number;
  settlement: Address;
  metrics: NodeMetrics;
  pool: IntentPool;
  intake: IntentIntake;
  cancels: IntentCancels;
  /** Absent when the node runs no auction clock: the auction routes answer 503. */
  auction?: AuctionClock;
  network: NetworkStatus;
  /** The backlog against the settle capacity (GET /v1/backlog, metrics). */
  backlog: BacklogEstimator;
  /** Validation queue depth (health, metrics). */
  queueDepth: () => number;
};

const noAuctions = (): HttpError => HttpError.request('auctions_disabled', 'this node runs no auction clock');

export function apiRoutes(d: ApiDeps): Route[] {
  const started = Date.now();
  return [
    {
      method: 'POST',
      pattern: /^\/v1\/intents$/,
      name: 'submit',
      async handle(req) {
        const parsed = parseSignedIntentJson(await readJson(req));
        if (!parsed.ok) throw HttpError.intent(parsed.error.code, describeError(parsed.error));
        const out = await d.intake.submit(parsed.value);
        if (out.verdict === 'accept') return json<SubmitIntentResponse>({ id: out.digest, state: 'open' }, 201);
        if (out.code === 'duplicate' && out.record)
          return json<SubmitIntentResponse>({ id: out.record.digest, state: out.record.state, duplicate: true });
        // busy: the validation lane drains in well under a second
        throw HttpError.intent(out.code, out.reason, out.retryAfterSec ?? (out.code === 'busy' ? 1 : undefined));
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/backlog$/,
      name: 'backlog',
      handle: async () => json<BacklogResponse>(d.backlog.snapshot()),
    },
    {
      method: 'GET',
      pattern: /^\/v1\/intents\/(0x[0-9a-fA-F]{64})$/,
      name: 'status',
      async handle(_req, m) {
        const rec = await d.pool.get(m[1]!.toLowerCase() as Hex);
        if (!rec) throw HttpError.request('not_found', `no intent ${m[1]} in this node's pool`);
        return json<IntentStatusResponse>(intentStatus(rec));
      },
    },
    {
      method: 'POST',
      pattern: /^\/v1\/intents\/(0x[0-9a-fA-F]{64})\/cancel$/,
      name: 'cancel',
      async handle(req, m) {
        const id = m[1]!.toLowerCase() as Hex;
        const body = await readJson(req);
        const signature = typeof body === 'object' && body !== null && 'signature' in body ? body.signature : undefined;
        const rec = await d.pool.get(id);
        if (!rec) throw HttpError.request('not_found', `no intent ${id} in this node's pool`);
        const signer = recoverCanceller(id, signature, d.cancels.separator);
        if (!signer.ok) throw HttpError.cancel(signer.error.code, describeError(signer.error));
        if (signer.value !== rec.owner)
          throw HttpError.cancel('wrong_signer', `the cancel is signed by ${signer.value}, not the owner ${rec.owner}`);
        if (isFinal(rec.state)) throw HttpError.cancel(ALREADY_CODE[rec.state], `intent ${id} is already ${rec.state}`);
        // recoverCanceller accepted it, so it is 65-byte hex
        const next = await d.cancels.apply(id, signature as Hex);
        return json<CancelIntentResponse>({ id, state: next?.state ?? 'cancelled' });
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/owners\/(0x[0-9a-fA-F]{40})\/intents$/,
      name: 'by_owner',
      async handle(req, m) {
        const owner = m[1]!.toLowerCase() as Address;
        const state = new URL(req.url ?? '/', 'http://x').searchParams.get('state') ?? 'open';
        if (state !== 'open' && state !== 'all') throw HttpError.request('bad_query', 'state must be "open" or "all"');
        const recs = state === 'open' ? d.pool.liveByOwner(owner).sort((a, b) => b.receivedAt - a.receivedAt) : await d.pool.byOwner(owner);
        return json<OwnerIntentsResponse>({ owner, intents: recs.map(intentStatus) });
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/auction$/,
      name: 'auction',
      async handle() {
        if (!d.auction) throw noAuctions();
        return json<CurrentAuctionResponse>(await d.auction.current());
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/auctions\/(\d{1,15})$/,
      name: 'auction_by_id',
      async handle(_req, m) {
        if (!d.auction) throw noAuctions();
        const a = await d.auction.byId(Number(m[1]));
        if (!a) throw HttpError.request('not_found', `auction ${m[1]} is unknown to this node`);
        return json<AuctionByIdResponse>(a);
      },
    },
    {
      method: 'POST',
      pattern: /^\/v1\/solutions$/,
      name: 'submit_solution',
      async handle(req) {
        if (!d.auction) throw noAuctions();
        const body = await readJson(req);
        const hex = typeof body === 'object' && body !== null && 'solution' in body ? body.solution : undefined;
        if (!isHex(hex) || hex.length < 4)
          throw HttpError.request('malformed', 'send { "solution": "0x<signed solution bytes, protocol/solution.ts codec>" }');
        const out = await d.auction.submitSolution(fromHex(hex));
        if (out.verdict === 'accept') return json<SubmitSolutionResponse>({ hash: out.hash, state: 'ranked', score: out.score }, 202);
        if (out.code === 'duplicate' && out.hash) return json<SubmitSolutionResponse>({ hash: out.hash, state: 'ranked', duplicate: true });
        throw HttpError.solution(out.code, out.reason);
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/solvers\/(0x[0-9a-fA-F]{40})$/,
      name: 'solver',
      async handle(_req, m) {
        if (!d.auction) throw noAuctions();
        const r = await d.auction.solverRecord(m[1]!.toLowerCase() as Address);
        if (!r) throw HttpError.request('not_found', `no solution from ${m[1]} seen by this node`);
        return json<SolverResponse>(r);
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/peers$/,
      name: 'peers',
      // Scores as this node sees them: gossipsub's (topics, behaviour, application) and the
      // application part alone (PeerBudget). Graylisted below -80.
      handle: async () => json<PeersResponse>(d.network.peers()),
    },
    {
      method: 'GET',
      pattern: /^\/health$/,
      name: 'health',
      async handle() {
        return json<HealthResponse>({
          status: 'ok',
          peerId: d.network.peerId(),
          listen: d.network.listen(),
          peers: d.network.peerCount(),
          poolLive: d.pool.size,
          queueDepth: d.queueDepth(),
          chainId: d.chainId,
          settlement: d.settlement,
          uptimeSec: Math.floor((Date.now() - started) / 1000),
        });
      },
    },
    {
      method: 'GET',
      pattern: /^\/metrics$/,
      name: 'metrics',
      async handle() {
        d.metrics.queueDepth.set(d.queueDepth());
        d.metrics.peers.set(d.network.peerCount());
        const b = d.backlog.snapshot();
        d.metrics.backlogOpen.set(b.open);
        d.metrics.settleCapacity.set(b.capacityPerSec);
        d.metrics.backlogWait.set(b.estimatedWaitSec);
        return raw(await d.metrics.registry.metrics(), d.metrics.registry.contentType);
      },
    },
    {
      method: 'GET',
      pattern: /^\/openapi\.json$/,
      name: 'openapi',
      handle: async () => raw(OPENAPI, 'application/json'),
    },
  ];
}
