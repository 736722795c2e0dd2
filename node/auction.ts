// Auctions. Numbering is by wall clock, so every node agrees on it without talking:
// auction k collects intents until (k+1)·interval, then closes; its open intents (sorted by id)
// are offered to solvers over GET /v1/auction (the intents themselves are on the gossip topic).
// Solvers gossip signed solutions on /solutions/1/<chainId> until the solve deadline
// (close + solveWindow). Each solution is checked (strict decode, auction in its window,
// signature by the named solver, protocol's scoring rule: every limit, fill and price) and
// either ranked or rejected with the solver's record marked. At the deadline the ranking is
// final: highest score first, ties by lower solution hash (protocol compareScored), the same at
// every honest node that saw the same solutions. The winner may settle until
// deadline + settleWindow; after that rank r may settle in the r-th following window.
// Rankings and solver records are written to the node's level database.
import type { Address, Hex } from 'viem';
import { fromHex } from '../protocol/bytes.ts';
import { decodeSignedIntent } from '../protocol/codec.ts';
import type { Intent, SignedIntent } from '../protocol/intent.ts';
import { signedIntentToJson } from '../protocol/json.ts';
import { describeError } from '../protocol/result.ts';
import { compareScored, PRICE_SCALE, scoreSolution, type Auction, type AuctionIntent } from '../protocol/score.ts';
import { recoverSigner } from '../protocol/signature.ts';
import { decodeSignedSolution, solutionDigest, solutionHash } from '../protocol/solution.ts';
import type { IntentNode } from './node.ts';

export type AuctionOptions = {
  intervalMs: number;
  /** Time solvers get after the close; default one interval. */
  solveWindowMs?: number;
  /** Time the winner has to settle; then the next-best may. Default 3 intervals. */
  settleWindowMs?: number;
  /** Numeraire value of 1e18 base units per token; tokens without one are valued at 1e18 (1:1). */
  referencePrices?: Record<string, string>;
  collateralToken?: Address;
  /** Solutions kept per solver per auction (more are ignored). */
  maxSolutionsPerSolver?: number;
  /** Only these solvers' solutions are ranked (the bonded set); empty = anyone. */
  solvers?: Address[];
  /** On-chain bond check (Settlement.isSolver); undefined answer (RPC down) lets the solution through, logged. */
  isSolver?: (solver: Address) => Promise<boolean | undefined>;
  now?: () => number;
};

export type RankedSolution = { rank: number; solver: Address; hash: Hex; score: string; settleFrom: string; settleUntil: string };
export type SolverRecord = { solver: Address; submitted: number; valid: number; invalid: number; wins: number; lastInvalid?: { auctionId: number; hash: Hex; code: string; reason: string } };

type OpenAuction = {
  id: number;
  closedAt: number;
  deadline: number;
  intentIds: Hex[];
  auction: Auction;
  solutions: Map<Hex, { solver: Address; score: bigint; hash: Hex; intents: Hex[] }>;
  perSolver: Map<string, number>;
  finalized: boolean;
  ranking?: RankedSolution[];
};

/** Ranked solutions whose intents are held back from later auctions during their settle windows. */
const RESERVED_RANKS = 3;

const pad = (n: number): string => n.toString().padStart(15, '0');

export class AuctionClock {
  private readonly node: IntentNode;
  private readonly o: Required<Omit<AuctionOptions, 'collateralToken' | 'referencePrices' | 'isSolver'>> & Pick<AuctionOptions, 'collateralToken' | 'referencePrices' | 'isSolver'>;
  private readonly auctions = new Map<number, OpenAuction>();
  private timer?: NodeJS.Timeout;
  private readonly refPrices = new Map<Address, bigint>();
  private readonly solverSet: Set<string>;
  /**
   * Intents in a ranked winner's solution, until the end of its settle window: later auctions leave
   * them out, so a solver cannot win the next auction with intents the previous winner is settling
   * (its bundle would revert and the new intents in it would wait another round).
   */
  private readonly reserved = new Map<Hex, number>();
  /** Auctions whose ranked solutions hold reservations (until the last window ends), to release early once settled. */
  private readonly reservingAuctions = new Map<number, { until: number; intents: Set<Hex> }>();

  constructor(node: IntentNode, o: AuctionOptions) {
    this.node = node;
    this.o = {
      solveWindowMs: o.intervalMs,
      settleWindowMs: 3 * o.intervalMs,
      maxSolutionsPerSolver: 4,
      solvers: [],
      now: () => Date.now(),
      ...o,
    };
    for (const [t, p] of Object.entries(o.referencePrices ?? {})) this.refPrices.set(t.toLowerCase() as Address, BigInt(p));
    this.solverSet = new Set(this.o.solvers.map((s) => s.toLowerCase()));
    node.auctions = {
      current: () => this.currentView(),
      submitSolution: (bytes) => this.submitSolution(bytes),
      // Recent auctions from memory, older ones from their ranking record; with the on-chain settlement if seen.
      solver: (address) => this.solverRecord(address),
      byId: async (id) => {
        const v = this.view(id) ?? (await this.stored(id));
        if (!v) return undefined;
        const settled = await this.settlement(id);
        if (!settled) return { ...v, settlement: null };
        // who settled, by rank: the winner in its window, or a runner-up after the better ones passed
        const ranking = (v.ranking ?? []) as RankedSolution[];
        const rank = ranking.find((r) => r.solver.toLowerCase() === settled.solver.toLowerCase())?.rank ?? null;
        return { ...v, settlement: { ...settled, rank } };
      },
    };
    node.topicHandlers.set(node.solutionsTopic, (data, peer) => this.onSolution(data, peer));
  }

  /** The auction with id = floor(now / interval) is collecting; the last closed one is being solved. */
  idAt(ms: number): number {
    return Math.floor(ms / this.o.intervalMs);
  }

  start(): void {
    const tick = (): void => {
      const now = this.o.now();
      const next = (this.idAt(now) + 1) * this.o.intervalMs;
      this.timer = setTimeout(() => {
        void this.tick().finally(tick);
      }, Math.max(1, next - now + 1));
      this.timer.unref?.();
    };
    tick();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  /** Closes the auction that just ended and finalizes those past their deadline. Public for tests. */
  async tick(): Promise<void> {
    const now = this.o.now();
    const closing = this.idAt(now) - 1;
    // Finalize first: auction k's deadline is auction k+1's close, and k's winner reserves its intents.
    for (const a of this.auctions.values()) {
      if (!a.finalized && now >= a.deadline) await this.finalize(a);
    }
    await this.releaseSettled(now);
    if (closing >= 0 && !this.auctions.has(closing)) this.close(closing, now);
    // Keep a bounded history in memory; rankings stay in level.
    for (const id of this.auctions.keys()) if (id < closing - 64) this.auctions.delete(id);
  }

  close(id: number, now = this.o.now()): OpenAuction {
    const closeAt = (id + 1) * this.o.intervalMs;
    const intents = new Map<Hex, AuctionIntent>();
    for (const [iid, until] of this.reserved) if (until <= closeAt) this.reserved.delete(iid);
    const records = this.node.pool.liveRecords().filter((r) => r.receivedAt < closeAt && r.validTo * 1000 > closeAt && !this.reserved.has(r.digest));
    records.sort((a, b) => (a.digest < b.digest ? -1 : 1));
    for (const r of records) {
      const d = decodeSignedIntent(fromHex(r.bytes));
      if (!d.ok) continue;
      intents.set(r.digest, { id: r.digest, intent: d.value as Intent, ...(r.filled ? { filled: BigInt(r.filled) } : {}) });
    }
    const referencePrices = new Map<Address, bigint>(this.refPrices);
    for (const { intent } of intents.values()) {
      if (intent.type !== 'swap') continue;
      for (const t of [intent.intent.sellToken, intent.intent.buyToken]) {
        const k = t.toLowerCase() as Address;
        if (!referencePrices.has(k)) referencePrices.set(k, PRICE_SCALE);
      }
    }
    if (this.o.collateralToken && !referencePrices.has(this.o.collateralToken.toLowerCase() as Address)) {
      referencePrices.set(this.o.collateralToken.toLowerCase() as Address, PRICE_SCALE);
    }
    const a: OpenAuction = {
      id,
      closedAt: closeAt,
      deadline: closeAt + this.o.solveWindowMs,
      intentIds: [...intents.keys()],
      auction: {
        id: BigInt(id),
        intents,
        referencePrices,
        ...(this.o.collateralToken ? { collateralToken: this.o.collateralToken.toLowerCase() as Address } : {}),
      },
      solutions: new Map(),
      perSolver: new Map(),
      finalized: false,
    };
    this.auctions.set(id, a);
    this.node.metrics.auctions.inc();
    this.node.log.info({ event: 'auction_closed', auctionId: id, intents: a.intentIds.length, lateBy: now - closeAt });
    return a;
  }

  private async onSolution(data: Uint8Array, peer: string): Promise<{ verdict: 'accept' | 'ignore' | 'reject'; code: string }> {
    const out = await this.ingestSolution(data);
    this.node.metrics.solutions.inc({ verdict: out.verdict, code: out.code });
    if (out.verdict !== 'accept') this.node.log.info({ event: 'solution_refused', peer, ...out });
    return out;
  }

  /**
   * A solution posted to this node's HTTP API: checked and ranked exactly like a gossiped one, and
   * once accepted published on the solutions topic, so every node ranks the same set.
   */
  async submitSolution(data: Uint8Array): Promise<{ verdict: 'accept' | 'ignore' | 'reject'; code: string; reason?: string; hash?: Hex; score?: string }> {
    const out = await this.ingestSolution(data);
    this.node.metrics.solutions.inc({ verdict: out.verdict, code: out.code });
    if (out.verdict === 'accept') this.node.publish(this.node.solutionsTopic, data);
    else this.node.log.info({ event: 'solution_refused', peer: 'api', ...out });
    return out;
  }

  /** Checks and ranks one signed solution (gossip or tests). */
  async ingestSolution(data: Uint8Array): Promise<{ verdict: 'accept' | 'ignore' | 'reject'; code: string; reason?: string; hash?: Hex; score?: string }> {
    const d = decodeSignedSolution(data);
    if (!d.ok) return { verdict: 'reject', code: d.error.code, reason: describeError(d.error) };
    const s = d.value;
    const hash = solutionHash(data);
    const id = Number(s.auctionId);
    const a = this.auctions.get(id);
    if (!a) return { verdict: 'ignore', code: 'unknown_auction', reason: `auction ${id} is not open for solutions here`, hash };
    if (a.finalized || this.o.now() >= a.deadline) return { verdict: 'ignore', code: 'too_late', reason: `auction ${id} closed for solutions`, hash };
    if (a.solutions.has(hash)) return { verdict: 'ignore', code: 'duplicate', hash };
    const signer = recoverSigner(solutionDigest(d.value.body, this.node.config.chainId, this.node.config.settlement), fromHex(s.signature));
    if (!signer.ok) return { verdict: 'reject', code: signer.error.code, reason: describeError(signer.error), hash };
    const solver = s.solver.toLowerCase() as Address;
    if (signer.value !== solver) return { verdict: 'reject', code: 'wrong_signer', reason: `signed by ${signer.value}, not the solver ${solver}`, hash };
    if (this.solverSet.size > 0 && !this.solverSet.has(solver)) return { verdict: 'ignore', code: 'unknown_solver', reason: `${solver} is not a bonded solver`, hash };
    if (this.o.isSolver) {
      const bonded = await this.o.isSolver(solver);
      if (bonded === false) return { verdict: 'ignore', code: 'unknown_solver', reason: `${solver} has no bond at the settlement contract`, hash };
      if (bonded === undefined) this.node.log.warn({ event: 'solver_check_skipped', solver, reason: 'RPC unavailable' });
    }
    const n = a.perSolver.get(solver) ?? 0;
    if (n >= this.o.maxSolutionsPerSolver) return { verdict: 'ignore', code: 'solver_quota', hash };
    // Intents that reached this node after the close but were live then (gossip lag) still count.
    for (const t of s.trades) {
      const tid = t.intentId.toLowerCase() as Hex;
      if (a.auction.intents.has(tid)) continue;
      const rec = await this.node.pool.get(tid);
      const dec = rec && rec.receivedAt < a.closedAt + this.o.solveWindowMs && rec.validTo * 1000 > a.closedAt ? decodeSignedIntent(fromHex(rec.bytes)) : undefined;
      if (dec?.ok) (a.auction.intents as Map<Hex, AuctionIntent>).set(tid, { id: tid, intent: dec.value });
    }
    const scored = scoreSolution(s, a.auction);
    await this.recordSolver(solver, (r) => {
      r.submitted++;
      if (scored.ok) r.valid++;
      else {
        r.invalid++;
        r.lastInvalid = { auctionId: id, hash, code: scored.error.code, reason: describeError(scored.error) };
      }
    });
    if (!scored.ok) return { verdict: 'reject', code: scored.error.code, reason: describeError(scored.error), hash };
    a.perSolver.set(solver, n + 1);
    a.solutions.set(hash, { solver, score: scored.value.score, hash, intents: s.trades.map((t) => t.intentId.toLowerCase() as Hex) });
    return { verdict: 'accept', code: 'ranked', hash, score: scored.value.score.toString() };
  }

  private async finalize(a: OpenAuction): Promise<void> {
    a.finalized = true;
    const sorted = [...a.solutions.values()].sort(compareScored);
    const w = this.o.settleWindowMs;
    a.ranking = sorted.map((s, rank) => ({
      rank,
      solver: s.solver,
      hash: s.hash,
      score: s.score.toString(),
      settleFrom: new Date(a.deadline + rank * w).toISOString(),
      settleUntil: new Date(a.deadline + (rank + 1) * w).toISOString(),
    }));
    if (sorted[0]) await this.recordSolver(sorted[0].solver, (r) => void r.wins++);
    // Each ranked solution may settle in its own window (a runner-up once the better ones let theirs
    // pass): its intents stay out of later auctions until that window ends, or until the auction is
    // seen settled on chain (releaseSettled). Bounded to the first RESERVED_RANKS solutions.
    const held = new Set<Hex>();
    sorted.slice(0, RESERVED_RANKS).forEach((s, rank) => {
      const until = a.deadline + (rank + 1) * w;
      for (const iid of s.intents) {
        if ((this.reserved.get(iid) ?? 0) < until) this.reserved.set(iid, until);
        held.add(iid);
      }
    });
    if (held.size) this.reservingAuctions.set(a.id, { until: a.deadline + Math.min(sorted.length, RESERVED_RANKS) * w, intents: held });
    await this.node.pool.db.put(`a:${pad(a.id)}`, JSON.stringify({ id: a.id, closedAt: a.closedAt, deadline: a.deadline, intents: a.intentIds, ranking: a.ranking }));
    this.node.log.info({ event: 'auction_ranked', auctionId: a.id, solutions: sorted.length, winner: sorted[0]?.solver ?? null, score: sorted[0]?.score.toString() ?? null });
  }

  /**
   * Once the chain watcher has seen an auction settled (by its winner or a runner-up), the other
   * ranked solutions will not settle it: their intents that are still live go back to auctions.
   */
  private async releaseSettled(now: number): Promise<void> {
    for (const [id, r] of this.reservingAuctions) {
      if (r.until <= now) {
        this.reservingAuctions.delete(id);
        continue;
      }
      if (!(await this.settlement(id))) continue;
      this.reservingAuctions.delete(id);
      for (const iid of r.intents) {
        const heldElsewhere = [...this.reservingAuctions.values()].some((o) => o.intents.has(iid));
        if (!heldElsewhere) this.reserved.delete(iid);
      }
    }
  }

  private async recordSolver(solver: Address, f: (r: SolverRecord) => void): Promise<void> {
    const key = `s:${solver}`;
    const raw = await this.node.pool.db.get(key);
    const r: SolverRecord = raw ? (JSON.parse(raw) as SolverRecord) : { solver, submitted: 0, valid: 0, invalid: 0, wins: 0 };
    f(r);
    await this.node.pool.db.put(key, JSON.stringify(r));
  }

  async solverRecord(solver: Address): Promise<SolverRecord | undefined> {
    const raw = await this.node.pool.db.get(`s:${solver.toLowerCase()}`);
    return raw ? (JSON.parse(raw) as SolverRecord) : undefined;
  }

  ranking(id: number): RankedSolution[] | undefined {
    return this.auctions.get(id)?.ranking;
  }

  private async stored(id: number): Promise<Record<string, unknown> | undefined> {
    const raw = await this.node.pool.db.get(`a:${pad(id)}`);
    if (!raw) return undefined;
    const r = JSON.parse(raw) as { id: number; closedAt: number; deadline: number; intents: Hex[]; ranking: RankedSolution[] };
    return { id: r.id, chainId: this.node.config.chainId, closedAt: new Date(r.closedAt).toISOString(), solveDeadline: new Date(r.deadline).toISOString(), intentIds: r.intents, ranking: r.ranking };
  }

  /** The on-chain settlement of an auction as the chain watcher recorded it. */
  async settlement(id: number): Promise<{ solver: Address; txHash: Hex; blockNumber: number } | undefined> {
    const raw = await this.node.pool.db.get(`a:settled:${id}`);
    return raw ? (JSON.parse(raw) as { solver: Address; txHash: Hex; blockNumber: number }) : undefined;
  }

  private view(id: number): Record<string, unknown> | undefined {
    const a = this.auctions.get(id);
    if (!a) return undefined;
    return {
      id: a.id,
      chainId: this.node.config.chainId,
      closedAt: new Date(a.closedAt).toISOString(),
      solveDeadline: new Date(a.deadline).toISOString(),
      referencePrices: Object.fromEntries([...a.auction.referencePrices].map(([t, p]) => [t, p.toString()])),
      ...(a.auction.collateralToken ? { collateralToken: a.auction.collateralToken } : {}),
      intents: a.intentIds.map((iid) => {
        const e = a.auction.intents.get(iid)!;
        return { id: iid, ...(e.filled !== undefined ? { filled: e.filled.toString() } : {}), signedIntent: signedIntentToJson(e.intent as SignedIntent) };
      }),
      solutions: a.solutions.size,
      ranking: a.ranking ?? null,
    };
  }

  /** The auction solvers should work on: the latest closed one still accepting solutions. */
  private currentView(): Record<string, unknown> {
    const now = this.o.now();
    const candidates = [...this.auctions.values()].filter((a) => now < a.deadline).sort((x, y) => y.id - x.id);
    const a = candidates[0];
    if (!a) return { id: null, nextCloseAt: new Date((this.idAt(now) + 1) * this.o.intervalMs).toISOString(), intents: [] };
    return this.view(a.id)!;
  }
}

