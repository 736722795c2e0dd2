// What this node knows of each solver: its stored record (node/db/solvers.ts), updated as its
// solutions are checked and its auctions won, and the solvers without a bond that sent correctly
// signed solutions. Those are visible to the operator (a log line, a metric, the record) without
// letting anyone grow the database: a stored record is only updated for a solver that already has
// one (e.g. its bond lapsed); others are remembered in memory, the last 1,024 of them.
import type { Address, Hex } from 'viem';
import type { SolverRecord, SolverRepository } from '../db/solvers.ts';
import type { Logger } from '../log.ts';
import type { NodeMetrics } from '../metrics.ts';

const UNBONDED_REMEMBERED = 1024;

export class SolverBook {
  private readonly repo: SolverRepository;
  private readonly metrics: NodeMetrics;
  private readonly log: Logger;
  private readonly unbondedSeen = new Map<Address, Pick<SolverRecord, 'unbonded' | 'lastUnbonded'>>();

  constructor(repo: SolverRepository, metrics: NodeMetrics, log: Logger) {
    this.repo = repo;
    this.metrics = metrics;
    this.log = log;
  }

  /** Applies `f` to the solver's stored record (created empty on its first solution). */
  async update(solver: Address, f: (r: SolverRecord) => void): Promise<void> {
    const r: SolverRecord = (await this.repo.get(solver)) ?? { solver, submitted: 0, valid: 0, invalid: 0, wins: 0 };
    f(r);
    await this.repo.save(r);
  }

  /** Records a correctly signed solution from a solver without a bond. */
  async unbonded(solver: Address, auctionId: number, hash: Hex, at: string, reason: string): Promise<void> {
    this.metrics.solutionsUnbonded.inc();
    this.log.info({ event: 'solution_unbonded', solver, auctionId, hash, reason });
    const last = { auctionId, hash, at, reason };
    if (await this.repo.get(solver)) {
      await this.update(solver, (r) => {
        r.unbonded = (r.unbonded ?? 0) + 1;
        r.lastUnbonded = last;
      });
      return;
    }
    const prev = this.unbondedSeen.get(solver);
    this.unbondedSeen.delete(solver);
    this.unbondedSeen.set(solver, { unbonded: (prev?.unbonded ?? 0) + 1, lastUnbonded: last });
    if (this.unbondedSeen.size > UNBONDED_REMEMBERED) this.unbondedSeen.delete(this.unbondedSeen.keys().next().value!);
  }

  /** The stored record, else what is remembered of an unbonded solver. */
  async get(solver: Address): Promise<SolverRecord | undefined> {
    const k = solver.toLowerCase() as Address;
    const stored = await this.repo.get(k);
    if (stored) return stored;
    const u = this.unbondedSeen.get(k);
    return u ? { solver: k, submitted: 0, valid: 0, invalid: 0, wins: 0, ...u } : undefined;
  }
}
