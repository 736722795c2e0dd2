// The chain watcher's progress: the last block it applied (its cursor) and, for each of the last
// blocks it applied, an undo record (the pool records as they were before the block), so a reorg
// can be rolled back and a restart resumes where it stopped. Cursor and block move in one batch.
import type { Level } from 'level';
import type { Hex } from 'viem';
import type { PoolRecord } from '../pool/record.ts';
import { keys } from './keys.ts';

/** The last block applied. */
export type ChainCursor = { number: number; hash: Hex };

/** What applying one block changed: the records as they were before it. */
export type BlockUndo = { hash: Hex; parentHash: Hex; before: PoolRecord[] };

export class ChainBlockRepository {
  private readonly level: Level<string, string>;

  constructor(level: Level<string, string>) {
    this.level = level;
  }

  async cursor(): Promise<ChainCursor | undefined> {
    const raw = await this.level.get(keys.chainCursor());
    return raw === undefined ? undefined : (JSON.parse(raw) as ChainCursor);
  }

  saveCursor(c: ChainCursor): Promise<void> {
    return this.level.put(keys.chainCursor(), JSON.stringify(c));
  }

  async undo(n: number): Promise<BlockUndo | undefined> {
    const raw = await this.level.get(keys.chainBlock(n));
    return raw === undefined ? undefined : (JSON.parse(raw) as BlockUndo);
  }

  /** Records block `n` as applied; forgets the undo record `keep` blocks back. */
  applied(n: number, undo: BlockUndo, keep: number): Promise<void> {
    return this.level.batch([
      { type: 'put', key: keys.chainBlock(n), value: JSON.stringify(undo) },
      { type: 'put', key: keys.chainCursor(), value: JSON.stringify({ number: n, hash: undo.hash } satisfies ChainCursor) },
      { type: 'del', key: keys.chainBlock(n - keep) },
    ]);
  }

  /** Records block `n` as undone: the cursor moves back to its parent. */
  rolledBack(n: number, cursor: ChainCursor): Promise<void> {
    return this.level.batch([
      { type: 'del', key: keys.chainBlock(n) },
      { type: 'put', key: keys.chainCursor(), value: JSON.stringify(cursor) },
    ]);
  }
}
