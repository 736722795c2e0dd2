// The level pool on a real database: durability across reopen, indexes, state transitions,
// expiry, quota under concurrency, and pruning that never re-opens a replay window.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Address, Hex } from 'viem';
import type { PoolRecord } from './record.ts';
import { openPool, tempDir } from '../../test/helpers/node.ts';

const dirs: (() => void)[] = [];
afterAll(() => {
  for (const c of dirs) c();
});
const OWNER = '0x00000000000000000000000000000000000000aa' as Address;
const rec = (k: number, validTo: number, owner = OWNER): Omit<PoolRecord, 'state' | 'updatedAt'> => ({
  digest: `0x${k.toString(16).padStart(64, '0')}` as Hex,
  owner,
  type: 'swap',
  validTo,
  bytes: '0x01',
  source: 'api',
  receivedAt: k,
  needsChainCheck: false,
});

describe('IntentPool', () => {
  it('keeps records, indexes and states across a reopen; enforces the quota under concurrent adds', async () => {
    const dir = tempDir();
    dirs.push(dir.cleanup);
    const path = join(dir.path, 'pool');
    let opened = await openPool(path);
    let pool = opened.pool;
    const results = await Promise.all(Array.from({ length: 10 }, (_, k) => pool.add(rec(k + 1, 2000), 4)));
    expect(results.filter((r) => r.status === 'added')).toHaveLength(4);
    expect(results.filter((r) => r.status === 'over_quota')).toHaveLength(6);
    expect((await pool.add(rec(1, 2000), 4)).status).toBe('duplicate');
    await pool.update(rec(1, 0).digest, 'filled', { txHash: `0x${'ab'.repeat(32)}` as Hex });
    await opened.close();
    opened = await openPool(path);
    pool = opened.pool;
    expect(pool.size).toBe(3);
    expect(pool.openCount(OWNER)).toBe(3);
    expect((await pool.get(rec(1, 0).digest))?.state).toBe('filled');
    expect((await pool.byOwner(OWNER)).map((r) => r.state).sort()).toEqual(['filled', 'open', 'open', 'open']);
    expect(await pool.expire(2001)).toHaveLength(3);
    expect(pool.size).toBe(0);
    // Final and past validTo + grace: pruned. A final one still inside its grace period stays.
    expect(await pool.prune(2000 + 3600)).toBe(0);
    expect(await pool.prune(2000 + 3601)).toBe(4);
    expect(await pool.get(rec(1, 0).digest)).toBeUndefined();
    expect(pool.has(rec(2, 0).digest)).toBe(false);
    await opened.close();
  });
});
