// Auctions. Numbering is by wall clock, so every node agrees on it without talking:
// auction k collects intents until (k+1)·interval, then closes; its open intents (sorted by id)
// are offered to solvers over GET /v1/auction (the intents themselves are on the gossip topic).
// Solvers gossip signed solutions on /solutions/1/<chainId> until the solve deadline
// (close + solveWindow). Each solution is checked (strict decode, auction in its window,
// signature by the named solver, bond, protocol's scoring rule: every limit, fill and price) and
// either ranked or rejected with the solver's record marked. A solution naming an intent this
// node has not seen (pools differ between honest nodes) is not provably bad: it is ignored (not
// relayed, no penalty, solver not marked), kept aside, and ranked at the deadline if the intent
// arrived in time. A solution whose settle would use more gas than the batch bound (a share of
// the block gas limit, protocol/batch-gas.ts) is invalid: it might not land. At the deadline the
// ranking is final: several winners, whose solutions touch disjoint intents, pairs, markets and
// pools, chosen best first under the fairness rule (protocol/winners.ts), the same at every honest
// node that saw the same solutions. The winners settle until deadline + settleWindow, each its own
// part; then the other solutions, best first, each in its own following window, with whatever of
// theirs is still open. Rankings and solver records are stored (node/db).
//
// Memory: an auction holds the ids of its intents (sorted digests), never decoded copies. Decoded
// intents come from one LRU cache keyed by digest (decodedCacheSize entries), shared by every
// auction, refilled from the pool on demand; at most retainAuctions finalized auctions stay in
// memory (older ones are served from their stored record).
import type { Address, Hex } from 'viem';
import type {
  ArchivedAuctionResponse,
  AuctionByIdResponse,
  AuctionResponse,
  CurrentAuctionResponse,
  RankedSolution,
} from '../../protocol/api.ts';
import { fromHex } from '../../protocol/bytes.ts';
import { intentDomain } from '../../protocol/eip712.ts';
import { domainSeparator } from '../../protocol/hash.ts';
import { describeError } from '../../protocol/result.ts';
import type { AuctionIntent } from '../../protocol/score.ts';
import { SETTLE_GAS_MODEL, solutionGas } from '../../protocol/batch-gas.ts';
import { recoverSigner } from '../../protocol/signature.ts';
import { decodeSignedSolution, solutionDigest, solutionHash, type SignedSolution } from '../../protocol/solution.ts';
import { verifySignedIntent } from '../../protocol/verify.ts';
import { candidateOf, DEFAULT_MAX_WINNERS, selectWinners } from '../../protocol/winners.ts';
import type { AuctionRepository, SettlementRecord } from '../db/auctions.ts';
import type { SolverRecord, SolverRepository } from '../db/solvers.ts';
import type { Logger } from '../log.ts';
import type { NodeMetrics } from '../metrics.ts';
import type { IntentPool } from '../pool/pool.ts';
import { DecodedIntents } from './decoded-intents.ts';
import type { OpenAuction } from './open-auction.ts';
import { refuseSolution, type SolutionOutcome } from './outcome.ts';
import { ReferencePrices } from './reference-prices.ts';
import { SolutionChecker } from './solution-check.ts';
import { SolverBook } from './solver-book.ts';
import { archivedView, memoryView, withSettlement, type ViewContext } from './views.ts';

export type AuctionOptions = {
  intervalMs: number;
  /** Time solvers get after the close; default half an interval (the winners settle before the next close). */
  solveWindowMs?: number;
  /** Time the winners have to settle; then the next-best may. Default 3 intervals. */
  settleWindowMs?: number;
  /** Winners per auction (disjoint solutions settling side by side). Default 20. */
  maxWinners?: number;
  /** Gas one settle may use (protocol/batch-gas.ts); solutions above it are invalid. Absent: no bound. */
  maxBatchGas?: bigint;
  /** Numeraire value of 1e18 base units per token; tokens without one are valued at 1e18 (1:1). */
  referencePrices?: Record<string, string>;
  collateralToken?: Address;
  /** Solutions kept per solver per auction (more are ignored). */
  maxSolutionsPerSolver?: number;
  /** Only these solvers' solutions are ranked (the bonded set); empty = anyone. */
  solvers?: Address[];
  /** On-chain bond check (Settlement.isSolver); undefined answer (RPC down) lets the solution through, logged. */
  isSolver?: (solver: Address) => Promise<boolean | undefined>;
  /** Finalized auctions kept in memory (older ones are read back from the database). Default 64. */
  retainAuctions?: number;
  /** Decoded intents cached, shared by all auctions (LRU by digest; misses decode from the pool). Default 8192. */
  decodedCacheSize?: number;
  /** Solutions per auction kept aside because they name intents this node has not seen. Default 64. */
  maxParkedSolutions?: number;
  /** Milliseconds clock (tests move it). */
  now?: () => number;
};

/** What the clock works with; it owns none of it. */
export type AuctionDeps = {
  chainId: number;
  settlement: Address;
  pool: IntentPool;
  auctions: AuctionRepository;
  solvers: SolverRepository;
  metrics: NodeMetrics;
  log: Logger;
  /** Gossips a solution accepted over the HTTP API, so every node ranks the same set. */
  publishSolution: (bytes: Uint8Array) => void;
  /**
   * Told at each ranking (backpressure, node/pool/backlog.ts): `saturated` when the auction offered
   * more than a batch holds; `unfillable` (unsaturated auctions only) the offered intents no valid
   * solution filled.
   */
  onRanked?: (o: { saturated: boolean; unfillable: number }) => void;
};

type Resolved = Required<Omit<AuctionOptions, 'collateralToken' | 'referencePrices' | 'isSolver' | 'maxBatchGas'>> &
  Pick<AuctionOptions, 'collateralToken' | 'isSolver' | 'maxBatchGas'>;

export class AuctionClock {
  private readonly d: AuctionDeps;
  private readonly o: Resolved;
  private readonly auctions = new Map<number, OpenAuction>();
  private readonly decoded: DecodedIntents;
  private readonly checker: SolutionChecker;
  private readonly book: SolverBook;
  private readonly viewContext: ViewContext;
  private timer?: NodeJS.Timeout;
  private readonly solverSet: Set<string>;
  /**
   * Intents in a winning solution, until the end of the winners' settle window: later auctions
   * leave them out, so a solver cannot win the next auction with intents a winner is settling (its
   * bundle would revert and the new intents in it would wait another round). Runner-ups' intents
   * are not held: a runner-up settles only what is still open when its window comes.
   */
  private readonly reserved = new Map<Hex, number>();
  /** This chain's EIP-712 domain separator (the solver's own liquidity is signed under it). */
  private readonly separator: Uint8Array;
  /** Auctions whose winners hold reservations (until their window ends): each winner's intents, released once it settled. */
  private readonly reservingAuctions = new Map<number, { until: number; bySolver: Map<Address, Hex[]> }>();

  constructor(deps: AuctionDeps, o: AuctionOptions) {
    this.d = deps;
    const { referencePrices, ...rest } = o;
    this.o = {
      solveWindowMs: Math.floor(o.intervalMs / 2),
      settleWindowMs: 3 * o.intervalMs,
      maxWinners: DEFAULT_MAX_WINNERS,
      maxSolutionsPerSolver: 4,
      solvers: [],
      retainAuctions: 64,
      decodedCacheSize: 8192,
      maxParkedSolutions: 64,
      now: () => Date.now(),
      ...rest,
    };
    this.decoded = new DecodedIntents(this.o.decodedCacheSize, deps.pool);
    const prices = new ReferencePrices(referencePrices, o.collateralToken);
    this.checker = new SolutionChecker({
      pool: deps.pool,
      decoded: this.decoded,
      prices,
      ...(o.collateralToken ? { collateralToken: o.collateralToken } : {}),
    });
    this.book = new SolverBook(deps.solvers, deps.metrics, deps.log);
    this.separator = domainSeparator(intentDomain(deps.chainId, deps.settlement));
    this.viewContext = {
      chainId: deps.chainId,
      decoded: this.decoded,
      prices,
      ...(o.collateralToken ? { collateralToken: o.collateralToken } : {}),
    };
    this.solverSet = new Set(this.o.solvers.map((s) => s.toLowerCase()));
  }

  /** Sets the batch gas bound (the node reads the chain's block gas limit once it is connected). */
  setMaxBatchGas(gas: bigint): void {
    this.o.maxBatchGas = gas;
  }

  /** The auction with id = floor(now / interval) is collecting; the last closed one is being solved. */
  idAt(ms: number): number {
    return Math.floor(ms / this.o.intervalMs);
  }

  /**
   * When the clock next has work: the next close, or earlier a solve deadline (with a solve window
   * shorter than the interval, waiting for the next close would hold every ranking, and so every
   * winner's bundle, back by the rest of the interval).
   */
  nextWake(now: number): number {
    let next = (this.idAt(now) + 1) * this.o.intervalMs;
    for (const a of this.auctions.values()) if (!a.finalized && a.deadline > now && a.deadline < next) next = a.deadline;
    return next;
  }

  start(): void {
    const tick = (): void => {
      const now = this.o.now();
      const next = this.nextWake(now);
      this.timer = setTimeout(
        () => {
          void this.tick().finally(tick);
        },
        Math.max(1, next - now + 1),
      );
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
    // Keep a bounded history in memory, by count; rankings stay in the database.
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
    return {
      auctions: this.auctions.size,
      decoded: this.decoded.size,
      decodedCapacity: this.o.decodedCacheSize,
      parked,
      lastIntents: last?.intentIds.length ?? 0,
    };
  }

  close(id: number, now = this.o.now()): OpenAuction {
    const closeAt = (id + 1) * this.o.intervalMs;
    for (const [iid, until] of this.reserved) if (until <= closeAt) this.reserved.delete(iid);
    const records = this.d.pool
      .liveRecords()
      .filter((r) => r.receivedAt < closeAt && r.validTo * 1000 > closeAt && !this.reserved.has(r.digest));
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
    this.d.metrics.auctions.inc();
    this.d.log.info({ event: 'auction_closed', auctionId: id, intents: a.intentIds.length, lateBy: now - closeAt });
    return a;
  }

  /** The gossip handler of /solutions/1/<chainId>. */
  async onSolution(data: Uint8Array, peer: string): Promise<SolutionOutcome> {
    const out = await this.ingestSolution(data);
    this.d.metrics.solutions.inc({ verdict: out.verdict, code: out.code });
    if (out.verdict !== 'accept') this.d.log.info({ event: 'solution_refused', peer, ...out });
    return out;
  }

  /**
   * A solution posted to this node's HTTP API: checked and ranked exactly like a gossiped one, and
   * once accepted published on the solutions topic, so every node ranks the same set.
   */
  async submitSolution(data: Uint8Array): Promise<SolutionOutcome> {
    const out = await this.ingestSolution(data);
    this.d.metrics.solutions.inc({ verdict: out.verdict, code: out.code });
    if (out.verdict === 'accept') this.d.publishSolution(data);
    else this.d.log.info({ event: 'solution_refused', peer: 'api', ...out });
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
    const signer = recoverSigner(solutionDigest(s.body, this.d.chainId, this.d.settlement), fromHex(s.signature));
    if (!signer.ok) return refuseSolution(signer.error.code, describeError(signer.error), hash);
    const solver = s.solver.toLowerCase() as Address;
    if (signer.value !== solver) return refuseSolution('wrong_signer', `signed by ${signer.value}, not the solver ${solver}`, hash);
    if (this.solverSet.size > 0 && !this.solverSet.has(solver))
      return this.unbonded(solver, id, hash, `${solver} is not in this node's solver set`);
    if (this.o.isSolver) {
      const bonded = await this.o.isSolver(solver);
      if (bonded === false) return this.unbonded(solver, id, hash, `${solver} has no bond at the settlement contract`);
      if (bonded === undefined) this.d.log.warn({ event: 'solver_check_skipped', solver, reason: 'RPC unavailable' });
    }
    const badLiquidity = this.checkLiquidity(s, a.closedAt);
    if (badLiquidity) {
      await this.markInvalid(solver, { auctionId: id, hash, code: 'invalid_solution', reason: badLiquidity });
      return refuseSolution('invalid_solution', badLiquidity, hash);
    }
    let parkedBySolver = 0;
    for (const p of a.parked.values()) if (p.solver === solver) parkedBySolver++;
    if ((a.perSolver.get(solver) ?? 0) + parkedBySolver >= this.o.maxSolutionsPerSolver) {
      return refuseSolution('solver_quota', `${solver} already has ${this.o.maxSolutionsPerSolver} solutions in auction ${id}`, hash);
    }
    const { entries, missing, expired } = await this.checker.resolve(a, s);
    if (expired.length > 0) {
      const reason = `intent ${expired[0]} expired before auction ${id} closed`;
      await this.markInvalid(solver, { auctionId: id, hash, code: 'invalid_solution', reason });
      return refuseSolution('invalid_solution', reason, hash);
    }
    if (missing.length > 0) {
      // What this node can check (the trades of intents it holds, the solution's own fields) must
      // hold; the rest waits for the deadline.
      const known = this.checker.check(a, { ...s, trades: s.trades.filter((t) => entries.has(t.intentId.toLowerCase() as Hex)) }, entries);
      if (known.kind === 'fillView') return fillView(hash);
      if (known.kind === 'invalid') {
        const reason = describeError(known.error);
        await this.markInvalid(solver, { auctionId: id, hash, code: known.error.code, reason });
        return refuseSolution(known.error.code, reason, hash);
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
   * The solver's own position liquidity is verified like any intent (fields, this chain's domain,
   * the EOA signature; an EIP-1271 one only the chain can check, as for intents); it must still be
   * live when the auction closed. Returns why it fails, or undefined.
   */
  private checkLiquidity(s: SignedSolution, closedAtMs: number): string | undefined {
    const rules = { now: Math.floor(closedAtMs / 1000), domainSeparator: this.separator };
    for (const [k, l] of (s.liquidity ?? []).entries()) {
      const v = verifySignedIntent({ type: 'position', intent: l.intent, signature: l.signature }, rules);
      if (!v.ok) return `liquidity[${k}]: ${describeError(v.error)}`;
    }
    for (const [k, l] of (s.optionLiquidity ?? []).entries()) {
      const v = verifySignedIntent({ type: 'option', intent: l.intent, signature: l.signature }, rules);
      if (!v.ok) return `optionLiquidity[${k}]: ${describeError(v.error)}`;
    }
    return undefined;
  }

  private async markInvalid(solver: Address, lastInvalid: NonNullable<SolverRecord['lastInvalid']>): Promise<void> {
    await this.book.update(solver, (r) => {
      r.submitted++;
      r.invalid++;
      r.lastInvalid = lastInvalid;
    });
  }

  /** Scores a solution whose intents this node holds; records the solver; ranks it if valid. */
  private async score(
    a: OpenAuction,
    s: SignedSolution,
    hash: Hex,
    solver: Address,
    entries: Map<Hex, AuctionIntent>,
  ): Promise<SolutionOutcome> {
    const scored = this.checker.check(a, s, entries);
    if (scored.kind === 'fillView') return fillView(hash);
    if (scored.kind === 'invalid') {
      const reason = describeError(scored.error);
      await this.markInvalid(solver, { auctionId: a.id, hash, code: scored.error.code, reason });
      return refuseSolution(scored.error.code, reason, hash);
    }
    if (this.o.maxBatchGas !== undefined) {
      const ofType = (type: 'position' | 'option') => new Set([...entries.values()].filter((e) => e.intent.type === type).map((e) => e.id));
      const gas = solutionGas(s, ofType('position'), ofType('option'));
      if (gas > this.o.maxBatchGas) {
        const reason = `the settle is estimated at ${gas} gas, above the batch bound ${this.o.maxBatchGas}`;
        await this.markInvalid(solver, { auctionId: a.id, hash, code: 'invalid_solution', reason });
        return refuseSolution('invalid_solution', reason, hash);
      }
    }
    await this.book.update(solver, (r) => {
      r.submitted++;
      r.valid++;
    });
    a.perSolver.set(solver, (a.perSolver.get(solver) ?? 0) + 1);
    a.solutions.set(hash, candidateOf(s, hash, scored.value, entries));
    return { verdict: 'accept', code: 'ranked', hash, score: scored.score.toString() };
  }

  /** A correctly signed solution from a solver without a bond: not ranked, recorded (SolverBook). */
  private async unbonded(solver: Address, auctionId: number, hash: Hex, reason: string): Promise<SolutionOutcome> {
    await this.book.unbonded(solver, auctionId, hash, new Date(this.o.now()).toISOString(), reason);
    return refuseSolution('unknown_solver', reason, hash);
  }

  private async finalize(a: OpenAuction): Promise<void> {
    a.finalized = true;
    // Solutions kept aside for intents this node lacked: ranked now if those intents arrived in time.
    for (const [hash, p] of a.parked) {
      const { entries, missing, expired } = await this.checker.resolve(a, p.solution);
      if (missing.length > 0 || expired.length > 0 || (a.perSolver.get(p.solver) ?? 0) >= this.o.maxSolutionsPerSolver) {
        this.d.log.info({ event: 'parked_solution_dropped', auctionId: a.id, hash, solver: p.solver, missing: missing.length });
        continue;
      }
      const out = await this.score(a, p.solution, hash, p.solver, entries);
      this.d.log.info({ event: 'parked_solution_checked', auctionId: a.id, hash, solver: p.solver, verdict: out.verdict, code: out.code });
    }
    a.parked.clear();
    const { winners, others, unfair } = selectWinners([...a.solutions.values()], this.o.maxWinners);
    for (const u of unfair)
      this.d.log.info({ event: 'solution_unfair', auctionId: a.id, ...u, value: u.value.toString(), reference: u.reference.toString() });
    const w = this.o.settleWindowMs;
    const window = (k: number) => ({
      settleFrom: new Date(a.deadline + k * w).toISOString(),
      settleUntil: new Date(a.deadline + (k + 1) * w).toISOString(),
    });
    a.ranking = [
      ...winners.map((s, rank) => ({ rank, solver: s.solver, hash: s.hash, score: s.score.toString(), winner: true, ...window(0) })),
      ...others.map((s, k) => ({
        rank: winners.length + k,
        solver: s.solver,
        hash: s.hash,
        score: s.score.toString(),
        winner: false,
        ...window(k + 1),
      })),
    ];
    for (const s of winners) await this.book.update(s.solver, (r) => void r.wins++);
    // Saturated: the auction offered more than one batch holds (at the cheapest trade's gas), so
    // what settles is what the network can do, not what was asked. Only an unsaturated auction
    // says that the intents no valid solution filled wait for the price rather than the network.
    // (Solutions that fill intents the winners leave out are no such sign: two solvers' different
    // choices at 50/s looked like saturation and refused intents the network then had room for.)
    const fillable = new Set([...a.solutions.values()].flatMap((s) => s.intents));
    const saturated =
      this.o.maxBatchGas !== undefined &&
      SETTLE_GAS_MODEL.base + BigInt(a.intentIds.length) * SETTLE_GAS_MODEL.swapTrade > this.o.maxBatchGas;
    this.d.onRanked?.({ saturated, unfillable: saturated ? 0 : a.intentIds.filter((id) => !fillable.has(id)).length });
    // The winners' intents stay out of later auctions until their window ends, or until each
    // winner is seen settled on chain (releaseSettled).
    const until = a.deadline + w;
    const bySolver = new Map<Address, Hex[]>();
    for (const s of winners) {
      for (const iid of s.intents) if ((this.reserved.get(iid) ?? 0) < until) this.reserved.set(iid, until);
      bySolver.set(s.solver, [...(bySolver.get(s.solver) ?? []), ...s.intents]);
    }
    if (bySolver.size) this.reservingAuctions.set(a.id, { until, bySolver });
    await this.d.auctions.saveRanking({ id: a.id, closedAt: a.closedAt, deadline: a.deadline, intents: a.intentIds, ranking: a.ranking });
    this.d.log.info({
      event: 'auction_ranked',
      auctionId: a.id,
      solutions: a.solutions.size,
      winners: winners.length,
      winnerTrades: winners.reduce((n, s) => n + s.intents.length, 0),
      unfair: unfair.length,
      winner: winners[0]?.solver ?? null,
      score: winners.reduce((t, s) => t + s.score, 0n).toString(),
    });
  }

  /**
   * Once the chain watcher has seen a winner's settlement, its intents that are still live (the
   * ones it left out of its bundle, partial fills) go back to auctions.
   */
  private async releaseSettled(now: number): Promise<void> {
    for (const [id, r] of this.reservingAuctions) {
      if (r.until <= now) {
        this.reservingAuctions.delete(id);
        continue;
      }
      const settled = await this.d.auctions.settlements(id);
      for (const { solver } of settled) {
        const intents = r.bySolver.get(solver);
        if (!intents) continue;
        r.bySolver.delete(solver);
        for (const iid of intents) {
          const heldElsewhere = [...this.reservingAuctions.values()].some((o) => [...o.bySolver.values()].some((xs) => xs.includes(iid)));
          if (!heldElsewhere) this.reserved.delete(iid);
        }
      }
      if (r.bySolver.size === 0) this.reservingAuctions.delete(id);
    }
  }

  /** A solver's record: stored, or remembered in memory for a solver without a bond. */
  solverRecord(solver: Address): Promise<SolverRecord | undefined> {
    return this.book.get(solver);
  }

  ranking(id: number): RankedSolution[] | undefined {
    return this.auctions.get(id)?.ranking;
  }

  /** The on-chain settlements of an auction as the chain watcher recorded them (one per settling solver). */
  settlements(id: number): Promise<SettlementRecord[]> {
    return this.d.auctions.settlements(id);
  }

  /** An auction held in memory, with its intents decoded on demand. */
  async view(id: number): Promise<AuctionResponse | undefined> {
    const a = this.auctions.get(id);
    return a ? memoryView(a, this.viewContext) : undefined;
  }

  /** Recent auctions from memory, older ones from their stored record; with the on-chain settlement if seen. */
  async byId(id: number): Promise<AuctionByIdResponse | undefined> {
    const a = this.auctions.get(id);
    const v = a ? await memoryView(a, this.viewContext) : await this.archived(id);
    if (!v) return undefined;
    return withSettlement(v, await this.settlements(id));
  }

  /** The auction solvers should work on: the latest closed one still accepting solutions. */
  async current(): Promise<CurrentAuctionResponse> {
    const now = this.o.now();
    const candidates = [...this.auctions.values()].filter((a) => now < a.deadline).sort((x, y) => y.id - x.id);
    const a = candidates[0];
    if (!a) return { id: null, nextCloseAt: new Date((this.idAt(now) + 1) * this.o.intervalMs).toISOString(), intents: [] };
    return memoryView(a, this.viewContext);
  }

  private async archived(id: number): Promise<ArchivedAuctionResponse | undefined> {
    const r = await this.d.auctions.ranking(id);
    return r ? archivedView(r, this.d.chainId) : undefined;
  }
}

function fillView(hash: Hex): SolutionOutcome {
  return refuseSolution('fill_view', 'valid unless counting fills this node saw on chain, which another node may not have seen yet', hash);
}
