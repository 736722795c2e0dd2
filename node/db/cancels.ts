// The owners' signed cancels, kept so the sync responder can hand them to peers that missed the
// gossip (node/gossip/sync.ts).
import type { Level } from 'level';
import type { Hex } from 'viem';
import { idOf, keys, ranges } from './keys.ts';

export class CancelRepository {
  private readonly level: Level<string, string>;

  constructor(level: Level<string, string>) {
    this.level = level;
  }

  put(digest: Hex, signature: Hex): Promise<void> {
    return this.level.put(keys.cancel(digest), signature);
  }

  async get(digest: Hex): Promise<Hex | undefined> {
    return (await this.level.get(keys.cancel(digest))) as Hex | undefined;
  }

  delete(digest: Hex): Promise<void> {
    return this.level.del(keys.cancel(digest));
  }

  /** Every stored cancel: the intent's digest and the owner's signature. */
  async *all(): AsyncGenerator<{ digest: Hex; signature: Hex }> {
    for await (const [key, value] of this.level.iterator(ranges.cancels())) yield { digest: idOf.cancel(key), signature: value as Hex };
  }
}
