// The node's level database: one instance under <dataDir>/pool, one repository per namespace
// (keys.ts). Only this folder sees the level instance.
import { Level } from 'level';
import { AuctionRepository } from './auctions.ts';
import { CancelRepository } from './cancels.ts';
import { ChainBlockRepository } from './chain-blocks.ts';
import { GroupCommit, type CommitStats } from './group-commit.ts';
import { IntentRepository } from './intents.ts';
import { SolverRepository } from './solvers.ts';

export class NodeDatabase {
  readonly intents: IntentRepository;
  readonly cancels: CancelRepository;
  readonly auctions: AuctionRepository;
  readonly solvers: SolverRepository;
  readonly chainBlocks: ChainBlockRepository;
  private readonly level: Level<string, string>;
  private readonly commit: GroupCommit;

  constructor(path: string) {
    this.level = new Level<string, string>(path, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
    this.commit = new GroupCommit(this.level);
    this.intents = new IntentRepository(this.level, this.commit);
    this.cancels = new CancelRepository(this.level);
    this.auctions = new AuctionRepository(this.level);
    this.solvers = new SolverRepository(this.level);
    this.chainBlocks = new ChainBlockRepository(this.level);
  }

  /** The fsync'd batches written so far (benches, logs). */
  get commitStats(): CommitStats {
    return this.commit.stats;
  }

  open(): Promise<void> {
    return this.level.open();
  }

  /** Waits for the batch in flight, then closes. */
  async close(): Promise<void> {
    await this.commit.close();
    await this.level.close();
  }
}
