// The pool's housekeeping timers: every second, live intents past their validTo become expired
// (so they leave auctions and owner quotas); every minute, records that can never matter again are
// pruned (IntentPool.prune). Returns a function that stops both.
import type { Logger } from '../log.ts';
import type { NodeMetrics } from '../metrics.ts';
import type { IntentPool } from './pool.ts';

export function startPoolMaintenance(d: { pool: IntentPool; metrics: NodeMetrics; log: Logger; nowSec: () => number }): () => void {
  const sweep = setInterval(() => {
    void d.pool
      .expire(d.nowSec())
      .then((ds) => {
        if (ds.length === 0) return;
        d.metrics.poolStates.inc({ state: 'expired' }, ds.length);
        d.metrics.poolLive.set(d.pool.size);
        d.log.info({ event: 'intents_expired', count: ds.length });
      })
      .catch((err: Error) => d.log.error({ event: 'expiry_sweep_failed', err: err.message }));
  }, 1000);
  const prune = setInterval(() => {
    void d.pool
      .prune(d.nowSec())
      .then((n) => n > 0 && d.log.info({ event: 'pool_pruned', records: n }))
      .catch((err: Error) => d.log.error({ event: 'prune_failed', err: err.message }));
  }, 60_000);
  sweep.unref();
  prune.unref();
  return () => {
    clearInterval(sweep);
    clearInterval(prune);
  };
}
