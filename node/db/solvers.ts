// What this node has seen of each solver: solutions submitted, valid, invalid (with the last
// invalid one as evidence), auctions won, and solutions refused for a missing bond.
import type { Level } from 'level';
import type { Address } from 'viem';
import { keys, ranges } from './keys.ts';
import type { SolverResponse } from '../../protocol/api.ts';

/** The stored record is exactly what GET /v1/solvers/{address} returns. */
export type SolverRecord = SolverResponse;

export class SolverRepository {
  private readonly level: Level<string, string>;

  constructor(level: Level<string, string>) {
    this.level = level;
  }

  async get(solver: Address): Promise<SolverRecord | undefined> {
    const raw = await this.level.get(keys.solver(solver));
    return raw === undefined ? undefined : (JSON.parse(raw) as SolverRecord);
  }

  save(rec: SolverRecord): Promise<void> {
    return this.level.put(keys.solver(rec.solver), JSON.stringify(rec));
  }

  async *all(): AsyncGenerator<SolverRecord> {
    for await (const value of this.level.values(ranges.solvers())) yield JSON.parse(value) as SolverRecord;
  }
}
