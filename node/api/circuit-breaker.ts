// GET /v1/circuit-breaker: the circuit breaker the clearing house asks before risk-increasing fills
// (contracts/src/perp/CircuitBreaker.sol), each market's halt now and the latest halts and resumes
// from its events, for the dashboard. Documented in node/openapi.json.
import type { CircuitBreakerResponse } from '../../protocol/api.ts';
import type { ChainActivity } from '../chain/activity.ts';
import { cached, json, type Route } from './http.ts';

/** Halts are decided per block; open dashboards share one read a second. */
const BREAKER_CACHE_MS = 1_000;
/** Events answered, newest first. */
const EVENTS = 50;

const firstLine = (e: unknown): string => (e as Error).message.split('\n')[0] ?? 'error';

export function circuitBreakerRoutes(d: { chain?: ChainActivity }): Route[] {
  const state = cached(BREAKER_CACHE_MS, async (): Promise<CircuitBreakerResponse> => {
    const { chain } = d;
    if (!chain) return { available: false, reason: 'the node runs without --rpc-url' };
    try {
      const house = await chain.house();
      if (!house) return { available: false, reason: 'the settlement has no clearing house' };
      const breaker = await chain.breaker(house);
      if (!breaker) return { available: false, reason: 'the clearing house has no circuit breaker' };
      const [perp] = await Promise.all([chain.markets(), chain.scan()]);
      return {
        available: true,
        breaker,
        markets: (perp?.markets ?? []).map((m) => ({ market: m.id, name: m.name, halted: m.halted, haltedUntil: m.haltedUntil })),
        events: chain.breakerEvents.slice(-EVENTS).reverse(),
      };
    } catch (e) {
      return { available: false, reason: `RPC: ${firstLine(e)}` };
    }
  });
  return [
    {
      method: 'GET',
      pattern: /^\/v1\/circuit-breaker$/,
      name: 'circuit_breaker',
      handle: async () => json<CircuitBreakerResponse>(await state()),
    },
  ];
}
