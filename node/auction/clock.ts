// Auctions. Numbering is by wall clock, so every node agrees on it without talking:
// auction k collects intents until (k+1)·interval, then closes; its open intents (sorted by id)
// are offered to solvers over GET /v1/auction (the intents themselves are on the gossip topic).
// Solvers gossip signed solutions on /solutions/1/<chainId> until the solve deadline
// (close + solveWindow). Each solution is checked (strict decode, auction in its window,
// signature by the named solver, protocol's scoring rule: every limit, fill and price) and
// either ranked or rejected with the solver's record marked. A solution naming an intent this
// node has not seen (pools differ between honest nodes) is not provably bad: it is ignored (not
// relayed, no penalty, solver not marked), kept aside, and ranked at the deadline if the intent
// arrived in time. At the deadline the ranking is
// final: highest score first, ties by lower solution hash (protocol compareScored), the same at
// every honest node that saw the same solutions. The winner may settle until
// deadline + settleWindow; after that rank r may settle in the r-th following window.
// Rankings and solver records are written to the node's level database.
//
// Memory: an auction holds the ids of its intents (sorted digests), never decoded copies. Decoded
// intents come from one LRU cache keyed by digest (decodedCacheSize entries), shared by every
// auction, refilled from the pool on demand; at most retainAuctions finalized auctions stay in
// memory (older ones are served from their level record).
import type { Address, Hex } from 'viem';
import { fromHex } from '../../protocol/bytes.ts';
import { decodeSignedIntent } from '../../protocol/codec.ts';
import type { SignedIntent } from '../../protocol/intent.ts';
import { signedIntentToJson } from '../../protocol/json.ts';
import { describeError, type ProtocolError } from '../../protocol/result.ts';
import { compareScored, PRICE_SCALE, scoreSolution, type Auction, type AuctionIntent } from '../../protocol/score.ts';
import { recoverSigner } from '../../protocol/signature.ts';
import { decodeSignedSolution, solutionDigest, solutionHash, type SignedSolution } from '../../protocol/solution.ts';
import type { IntentNode } from '../node.ts';
import type { SolverRecord } from '../db/solvers.ts';
import { SOLUTION_RULES, type SolutionRefusalCode } from '../errors.ts';
import type { IntentPool } from '../pool/pool.ts';
import type { PoolRecord } from '../pool/record.ts';

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
  /** Finalized auctions kept in memory (older ones are read back from level). Default 64. */
  retainAuctions?: number;
  /** Decoded intents cached, shared by all auctions (LRU by digest; misses decode from the pool). Default 8192. */
  decodedCacheSize?: number;
  /** Solutions per auction kept aside because they name intents this node has not seen. Default 64. */
  maxParkedSolutions?: number;
  now?: () => number;
};

export type RankedSolution = { rank: number; solver: Address; hash: Hex; score: string; settleFrom: string; settleUntil: string };

type OpenAuction = {
  id: number;
  closedAt: number;
  deadline: number;
  /** Digests of the intents live at the close, sorted: the snapshot, by reference. */
  intentIds: Hex[];
  /** Filled amounts at the close, for the partially filled intents of the snapshot. */
  filled: Map<Hex, bigint>;
  /** Intents admitted after the close: live then, received before the deadline (gossip lag). */
  late: Set<Hex>;
  solutions: Map<Hex, { solver: Address; score: bigint; hash: Hex; intents: Hex[] }>;
  perSolver: Map<string, number>;
  /** Signature-checked solutions naming intents this node had not seen; retried at the deadline. */
  parked: Map<Hex, { solver: Address; solution: SignedSolution }>;
  finalized: boolean;
  ranking?: RankedSolution[];
};

export type SolutionOutcome =
  | { verdict: 'accept'; code: 'ranked'; hash: Hex; score: string }
  | { verdict: 'ignore' | 'reject'; code: SolutionRefusalCode; reason: string; hash?: Hex };

/** A refusal, its verdict from the table. */
export function refuseSolution(code: SolutionRefusalCode, reason: string, hash?: Hex): SolutionOutcome {
  return { verdict: SOLUTION_RULES[code].verdict, code, reason, ...(hash ? { hash } : {}) };
}

/** Solvers without a bond and without a level record, remembered in memory only (anyone can make keys). */
const UNBONDED_REMEMBERED = 1024;

/** Decoded signed intents by digest, least recently used first; one per clock, shared by its auctions. */
class DecodedIntents {
  private readonly m = new Map<Hex, SignedIntent>();
  private readonly capacity: number;
  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.m.size;
  }

  async get(id: Hex, pool: IntentPool): Promise<SignedIntent | undefined> {
    const hit = this.m.get(id);
    if (hit) {
      this.m.delete(id);
      this.m.set(id, hit);
      return hit;
    }
    const rec = await pool.get(id);
    return rec ? this.fromRecord(rec) : undefined;
  }

  fromRecord(rec: PoolRecord): SignedIntent | undefined {
    const id = rec.digest;
    const hit = this.m.get(id);
    if (hit) return hit;
    const d = decodeSignedIntent(fromHex(rec.bytes));
    if (!d.ok) return undefined;
    if (this.capacity > 0) {
      this.m.set(id, d.value);
      while (this.m.size > this.capacity) this.m.delete(this.m.keys().next().value!);
    }
    return d.value;
  }
}

/** Whether `id` is in the sorted digest list. */
function inSorted(ids: Hex[], id: Hex): boolean {
  let lo = 0;
  let hi = ids.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = ids[mid]!;
    if (v === id) return true;
    if (v < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** Ranked solutions whose intents are held back from later auctions during their settle windows. */
const RESERVED_RANKS = 3;

export class AuctionClock {
  private readonly node: IntentNode;
  private readonly o: Required<Omit<AuctionOptions, 'collateralToken' | 'referencePrices' | 'isSolver'>> & Pick<AuctionOptions, 'collateralToken' | 'referencePrices' | 'isSolver'>;
  private readonly auctions = new Map<number, OpenAuction>();
  private readonly decoded: DecodedIntents;
  private readonly unbondedSeen = new Map<Address, Pick<SolverRecord, 'unbonded' | 'lastUnbonded'>>();
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
      retainAuctions: 64,
      decodedCacheSize: 8192,
      maxParkedSolutions: 64,
      now: () => Date.now(),
      ...o,
    };
    this.decoded = new DecodedIntents(this.o.decodedCacheSize);
    for (const [t, p] of Object.entries(o.referencePrices ?? {})) this.refPrices.set(t.toLowerCase() as Address, BigInt(p));
    this.solverSet = new Set(this.o.solvers.map((s) => s.toLowerCase()));
    node.auctions = {
      current: () => this.currentView(),
      submitSolution: (bytes) => this.submitSolution(bytes),
      // Recent auctions from memory, older ones from their ranking record; with the on-chain settlement if seen.
      solver: (address) => this.solverRecord(address),
      byId: async (id) => {
        const v = (await this.view(id)) ?? (await this.stored(id));
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
    // Keep a bounded history in memory, by count; rankings stay in level.
    const done = [...this.auctions.values()].filter((a) => a.finalized).sort((x, y) => x.id - y.id);
    for (const a of done.slice(0, Math.max(0, done.length - this.o.retainAuctions))) this.auctions.delete(a.id);
  }

  /** What the clock holds in memory (tests, benches, operators). */
  stats(): { auctions: number; decoded: number; decodedCapacity: number; parked: number; lastIntents: number } {
    let last: OpenAuction | undefined;
    let parked = 0;
    for (const a of this.auctions.values()) {
      if (!last || a.id > last.id) last = a;
      parked += a.parked.size;
    }
    return { auctions: this.auctions.size, decoded: this.decoded.size, decodedCapacity: this.o.decodedCacheSize, parked, lastIntents: last?.intentIds.length ?? 0 };
  }

  close(id: number, now = this.o.now()): OpenAuction {
    const closeAt = (id + 1) * this.o.intervalMs;
    for (const [iid, until] of this.reserved) if (until <= closeAt) this.reserved.delete(iid);
    const records = this.node.pool.liveRecords().filter((r) => r.receivedAt < closeAt && r.validTo * 1000 > closeAt && !this.reserved.has(r.digest));
    records.sort((a, b) => (a.digest < b.digest ? -1 : 1));
    const filled = new Map<Hex, bigint>();
    for (const r of records) if (r.filled) filled.set(r.digest, BigInt(r.filled));
    const a: OpenAuction = {
      id,
      closedAt: closeAt,
      deadline: closeAt + this.o.solveWindowMs,
      intentIds: records.map((r) => r.digest),
      filled,
      late: new Set(),
      solutions: new Map(),
      perSolver: new Map(),
      parked: new Map(),
      finalized: false,
    };
    this.auctions.set(id, a);
    this.node.metrics.auctions.inc();
    this.node.log.info({ event: 'auction_closed', auctionId: id, intents: a.intentIds.length, lateBy: now - closeAt });
    return a;
  }

  /**
   * Reference prices for scoring or showing `intents`: the configured ones, 1e18 (1:1) for every
   * other token they trade and for the collateral token.
   */
  private referencePrices(intents: Iterable<SignedIntent>): Map<Address, bigint> {
    const prices = new Map<Address, bigint>(this.refPrices);
    for (const intent of intents) {
      if (intent.type !== 'swap') continue;
      for (const t of [intent.intent.sellToken, intent.intent.buyToken]) {
        const k = t.toLowerCase() as Address;
        if (!prices.has(k)) prices.set(k, PRICE_SCALE);
      }
    }
    const c = this.o.collateralToken?.toLowerCase() as Address | undefined;
    if (c && !prices.has(c)) prices.set(c, PRICE_SCALE);
    return prices;
  }

  /** The auction as the scoring rule sees it, restricted to the given entries. */
  private scoringAuction(a: OpenAuction, entries: Map<Hex, AuctionIntent>): Auction {
    return {
      id: BigInt(a.id),
      intents: entries,
      referencePrices: this.referencePrices([...entries.values()].map((e) => e.intent as SignedIntent)),
      ...(this.o.collateralToken ? { collateralToken: this.o.collateralToken.toLowerCase() as Address } : {}),
    };
  }

  /**
   * One intent of auction `a`, decoded: from the snapshot, or admitted late (it reached this node
   * after the close but before the deadline, and was live at the close). Undefined when this node
   * cannot place it in the auction; `expiredAtClose` when its own signed validTo proves no honest
   * node could have had it there.
   */
  private async entry(a: OpenAuction, id: Hex): Promise<AuctionIntent | 'expiredAtClose' | undefined> {
    if (inSorted(a.intentIds, id) || a.late.has(id)) {
      const intent = await this.decoded.get(id, this.node.pool);
      if (!intent) return undefined;
      const filled = a.filled.get(id);
      return { id, intent, ...(filled !== undefined ? { filled } : {}) };
    }
    const rec = await this.node.pool.get(id);
    if (!rec) return undefined;
    if (rec.validTo * 1000 <= a.closedAt) return 'expiredAtClose';
    if (rec.receivedAt >= a.deadline) return undefined;
    const intent = this.decoded.fromRecord(rec);
    if (!intent) return undefined;
    a.late.add(id);
    return { id, intent };
  }

  /** Resolves a solution's trades against auction `a`: the entries this node can place, and the ids it cannot. */
  private async resolve(a: OpenAuction, s: SignedSolution): Promise<{ entries: Map<Hex, AuctionIntent>; missing: Hex[]; expired: Hex[] }> {
    const entries = new Map<Hex, AuctionIntent>();
    const missing: Hex[] = [];
    const expired: Hex[] = [];
    for (const t of s.trades) {
      const tid = t.intentId.toLowerCase() as Hex;
      if (entries.has(tid) || missing.includes(tid) || expired.includes(tid)) continue;
      const e = await this.entry(a, tid);
      if (e === 'expiredAtClose') expired.push(tid);
      else if (e) entries.set(tid, e);
      else missing.push(tid);
    }
    return { entries, missing, expired };
  }

  private async onSolution(data: Uint8Array, peer: string): Promise<SolutionOutcome> {
    const out = await this.ingestSolution(data);
    this.node.metrics.solutions.inc({ verdict: out.verdict, code: out.code });
    if (out.verdict !== 'accept') this.node.log.info({ event: 'solution_refused', peer, ...out });
    return out;
  }

  /**
   * A solution posted to this node's HTTP API: checked and ranked exactly like a gossiped one, and
   * once accepted published on the solutions topic, so every node ranks the same set.
   */
  async submitSolution(data: Uint8Array): Promise<SolutionOutcome> {
    const out = await this.ingestSolution(data);
    this.node.metrics.solutions.inc({ verdict: out.verdict, code: out.code });
    if (out.verdict === 'accept') this.node.publish(this.node.solutionsTopic, data);
    else this.node.log.info({ event: 'solution_refused', peer: 'api', ...out });
    return out;
  }

  /**
   * Checks and ranks one signed solution (gossip or tests). REJECT only for what is provably bad
   * from the message and the intents this node holds; a solution naming intents this node cannot
   * place in the auction is IGNOREd (kept aside for the deadline), costing neither relayer nor solver.
   */
  async ingestSolution(data: Uint8Array): Promise<SolutionOutcome> {
    const d = decodeSignedSolution(data);
    if (!d.ok) return refuseSolution(d.error.code, describeError(d.error));
    const s = d.value;
    const hash = solutionHash(data);
    const id = Number(s.auctionId);
    const a = this.auctions.get(id);
    if (!a) return refuseSolution('unknown_auction', `auction ${id} is not open for solutions here`, hash);
    if (a.finalized || this.o.now() >= a.deadline) return refuseSolution('too_late', `auction ${id} closed for solutions`, hash);
    if (a.solutions.has(hash) || a.parked.has(hash)) return refuseSolution('duplicate', `solution ${hash} was already received`, hash);
    const signer = recoverSigner(solutionDigest(d.value.body, this.node.config.chainId, this.node.config.settlement), fromHex(s.signature));
    if (!signer.ok) return refuseSolution(signer.error.code, describeError(signer.error), hash);
    const solver = s.solver.toLowerCase() as Address;
    if (signer.value !== solver) return refuseSolution('wrong_signer', `signed by ${signer.value}, not the solver ${solver}`, hash);
    if (this.solverSet.size > 0 && !this.solverSet.has(solver)) return this.unbonded(solver, id, hash, `${solver} is not in this node's solver set`);
    if (this.o.isSolver) {
      const bonded = await this.o.isSolver(solver);
      if (bonded === false) return this.unbonded(solver, id, hash, `${solver} has no bond at the settlement contract`);
      if (bonded === undefined) this.node.log.warn({ event: 'solver_check_skipped', solver, reason: 'RPC unavailable' });
    }
    let parkedBySolver = 0;
    for (const p of a.parked.values()) if (p.solver === solver) parkedBySolver++;
    if ((a.perSolver.get(solver) ?? 0) + parkedBySolver >= this.o.maxSolutionsPerSolver) return refuseSolution('solver_quota', `${solver} already has ${this.o.maxSolutionsPerSolver} solutions in auction ${id}`, hash);
    const { entries, missing, expired } = await this.resolve(a, s);
    if (expired.length > 0) {
      const reason = `intent ${expired[0]} expired before auction ${id} closed`;
      await this.recordSolver(solver, (r) => {
        r.submitted++;
        r.invalid++;
        r.lastInvalid = { auctionId: id, hash, code: 'invalid_solution', reason };
      });
      return refuseSolution('invalid_solution', reason, hash);
    }
    if (missing.length > 0) {
      // What this node can check (the trades of intents it holds, the solution's own fields) must
      // hold; the rest waits for the deadline.
      const known = this.check(a, { ...s, trades: s.trades.filter((t) => entries.has(t.intentId.toLowerCase() as Hex)) }, entries);
      if (known.kind === 'fillView') return this.fillView(hash);
      if (known.kind === 'invalid') {
        const { error } = known;
        await this.recordSolver(solver, (r) => {
          r.submitted++;
          r.invalid++;
          r.lastInvalid = { auctionId: id, hash, code: error.code, reason: describeError(error) };
        });
        return refuseSolution(error.code, describeError(error), hash);
      }
      const kept = a.parked.size < this.o.maxParkedSolutions;
      if (kept) a.parked.set(hash, { solver, solution: s });
      return refuseSolution(
        'unknown_intent',
        `${missing.length} intent(s) of this solution are not in this node's auction ${id} (first ${missing[0]}); ${kept ? 'kept for the solve deadline' : 'not kept (too many waiting)'}`,
        hash,
      );
    }
    return this.score(a, s, hash, solver, entries);
  }

  /**
   * The scoring rule against this node's entries. A failure that disappears when the fills this
   * node saw on chain are not counted depends on this node's view of the chain (another node's
   * watcher may lag), so it is not provable: `fillView`.
   */
  private check(a: OpenAuction, s: SignedSolution, entries: Map<Hex, AuctionIntent>): { kind: 'ok'; score: bigint } | { kind: 'invalid'; error: ProtocolError } | { kind: 'fillView' } {
    const scored = scoreSolution(s, this.scoringAuction(a, entries));
    if (scored.ok) return { kind: 'ok', score: scored.value.score };
    if ([...entries.values()].some((e) => e.filled !== undefined)) {
      const unfilled = new Map([...entries].map(([k, e]) => [k, { id: e.id, intent: e.intent }]));
      if (scoreSolution(s, this.scoringAuction(a, unfilled)).ok) return { kind: 'fillView' };
    }
    return { kind: 'invalid', error: scored.error };
  }

  private fillView(hash: Hex): SolutionOutcome {
    return refuseSolution('fill_view', 'valid unless counting fills this node saw on chain, which another node may not have seen yet', hash);
  }

  /** Scores a solution whose intents this node holds; records the solver; ranks it if valid. */
  private async score(a: OpenAuction, s: SignedSolution, hash: Hex, solver: Address, entries: Map<Hex, AuctionIntent>): Promise<SolutionOutcome> {
    const scored = this.check(a, s, entries);
    if (scored.kind === 'fillView') return this.fillView(hash);
    await this.recordSolver(solver, (r) => {
      r.submitted++;
      if (scored.kind === 'ok') r.valid++;
      else {
        r.invalid++;
        r.lastInvalid = { auctionId: a.id, hash, code: scored.error.code, reason: describeError(scored.error) };
      }
    });
    if (scored.kind === 'invalid') return refuseSolution(scored.error.code, describeError(scored.error), hash);
    a.perSolver.set(solver, (a.perSolver.get(solver) ?? 0) + 1);
    a.solutions.set(hash, { solver, score: scored.score, hash, intents: s.trades.map((t) => t.intentId.toLowerCase() as Hex) });
    return { verdict: 'accept', code: 'ranked', hash, score: scored.score.toString() };
  }

  /**
   * A correctly signed solution from a solver without a bond: not ranked, but visible to the
   * operator (log line, metric, solver record). A level record is only updated for a solver that
   * already has one (e.g. its bond lapsed); others are remembered in memory, bounded, since anyone
   * can make new keys.
   */
  private async unbonded(solver: Address, auctionId: number, hash: Hex, reason: string): Promise<SolutionOutcome> {
    this.node.metrics.solutionsUnbonded.inc();
    this.node.log.info({ event: 'solution_unbonded', solver, auctionId, hash, reason });
    const last = { auctionId, hash, at: new Date(this.o.now()).toISOString(), reason };
    if (await this.node.db.solvers.get(solver)) {
      await this.recordSolver(solver, (r) => {
        r.unbonded = (r.unbonded ?? 0) + 1;
        r.lastUnbonded = last;
      });
    } else {
      const prev = this.unbondedSeen.get(solver);
      this.unbondedSeen.delete(solver);
      this.unbondedSeen.set(solver, { unbonded: (prev?.unbonded ?? 0) + 1, lastUnbonded: last });
      if (this.unbondedSeen.size > UNBONDED_REMEMBERED) this.unbondedSeen.delete(this.unbondedSeen.keys().next().value!);
    }
    return refuseSolution('unknown_solver', reason, hash);
  }

  private async finalize(a: OpenAuction): Promise<void> {
    a.finalized = true;
    // Solutions kept aside for intents this node lacked: ranked now if those intents arrived in time.
    for (const [hash, p] of a.parked) {
      const { entries, missing, expired } = await this.resolve(a, p.solution);
      if (missing.length > 0 || expired.length > 0 || (a.perSolver.get(p.solver) ?? 0) >= this.o.maxSolutionsPerSolver) {
        this.node.log.info({ event: 'parked_solution_dropped', auctionId: a.id, hash, solver: p.solver, missing: missing.length });
        continue;
      }
      const out = await this.score(a, p.solution, hash, p.solver, entries);
      this.node.log.info({ event: 'parked_solution_checked', auctionId: a.id, hash, solver: p.solver, verdict: out.verdict, code: out.code });
    }
    a.parked.clear();
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
    await this.node.db.auctions.saveRanking({ id: a.id, closedAt: a.closedAt, deadline: a.deadline, intents: a.intentIds, ranking: a.ranking });
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
    const r: SolverRecord = (await this.node.db.solvers.get(solver)) ?? { solver, submitted: 0, valid: 0, invalid: 0, wins: 0 };
    f(r);
    await this.node.db.solvers.save(r);
  }

  async solverRecord(solver: Address): Promise<SolverRecord | undefined> {
    const k = solver.toLowerCase() as Address;
    const stored = await this.node.db.solvers.get(k);
    if (stored) return stored;
    const u = this.unbondedSeen.get(k);
    return u ? { solver: k, submitted: 0, valid: 0, invalid: 0, wins: 0, ...u } : undefined;
  }

  ranking(id: number): RankedSolution[] | undefined {
    return this.auctions.get(id)?.ranking;
  }

  private async stored(id: number): Promise<Record<string, unknown> | undefined> {
    const r = await this.node.db.auctions.ranking(id);
    if (!r) return undefined;
    return { id: r.id, chainId: this.node.config.chainId, closedAt: new Date(r.closedAt).toISOString(), solveDeadline: new Date(r.deadline).toISOString(), intentIds: r.intents, ranking: r.ranking };
  }

  /** The on-chain settlement of an auction as the chain watcher recorded it. */
  async settlement(id: number): Promise<{ solver: Address; txHash: Hex; blockNumber: number } | undefined> {
    return this.node.db.auctions.settlement(id);
  }

  /** An auction held in memory, with its intents decoded on demand. */
  async view(id: number): Promise<Record<string, unknown> | undefined> {
    const a = this.auctions.get(id);
    if (!a) return undefined;
    const intents: Record<string, unknown>[] = [];
    const decoded: SignedIntent[] = [];
    for (const iid of a.intentIds) {
      const e = await this.decoded.get(iid, this.node.pool);
      if (!e) continue;
      decoded.push(e);
      const filled = a.filled.get(iid);
      intents.push({ id: iid, ...(filled !== undefined ? { filled: filled.toString() } : {}), signedIntent: signedIntentToJson(e) });
    }
    for (const iid of a.late) {
      const e = await this.decoded.get(iid, this.node.pool);
      if (e) decoded.push(e);
    }
    return {
      id: a.id,
      chainId: this.node.config.chainId,
      closedAt: new Date(a.closedAt).toISOString(),
      solveDeadline: new Date(a.deadline).toISOString(),
      referencePrices: Object.fromEntries([...this.referencePrices(decoded)].map(([t, p]) => [t, p.toString()])),
      ...(this.o.collateralToken ? { collateralToken: this.o.collateralToken.toLowerCase() } : {}),
      intents,
      solutions: a.solutions.size,
      ranking: a.ranking ?? null,
    };
  }

  /** The auction solvers should work on: the latest closed one still accepting solutions. */
  private async currentView(): Promise<Record<string, unknown>> {
    const now = this.o.now();
    const candidates = [...this.auctions.values()].filter((a) => now < a.deadline).sort((x, y) => y.id - x.id);
    const a = candidates[0];
    if (!a) return { id: null, nextCloseAt: new Date((this.idAt(now) + 1) * this.o.intervalMs).toISOString(), intents: [] };
    return (await this.view(a.id))!;
  }
}

