// The perp markets' circuit breaker: a CircuitBreaker over the clearing house, configured per
// market, and set as the clearing house's breaker so that its batches refuse risk-increasing fills
// while a market is halted. The rules: src/perp/CircuitBreaker.sol and src/perp/README.md.
import type { Address } from 'viem';
import { circuitBreakerAbi, circuitBreakerBytecode } from '../artifacts/CircuitBreaker.ts';
import { clearingHouseAbi } from '../artifacts/ClearingHouse.ts';
import { confirm, deploy, type DevnetClients } from './clients.ts';
import { WAD } from './perp.ts';

/**
 * CircuitBreaker.Config: `maxMove` a 1e18 fraction of max / min - 1 over the window (1%..50%),
 * `window` and `cooldown` in seconds (1 minute..1 day each). All zero removes a market's breaker.
 */
export type BreakerConfig = { maxMove: bigint; window: number; cooldown: number };

/**
 * Halt on a 10% move within a minute, for 5 minutes. The breaker reads at most 16 rounds, so a feed
 * that publishes every 2 s (the devnet feeder) is watched over about 30 s whatever the window; the
 * feeder's steps (0.2% at most) stay far below 10% over that span.
 */
export const DEFAULT_BREAKER_CONFIG: BreakerConfig = { maxMove: WAD / 10n, window: 60, cooldown: 5 * 60 };

export type CircuitBreakerOptions = {
  clearingHouse: Address;
  /** Per market id; each must be listed in the clearing house. */
  markets: Record<number, BreakerConfig>;
  /**
   * Proposed owner (e.g. the Timelock, which must then `acceptOwnership`). Default: the deployer,
   * which configures the markets either way and must own the clearing house (`setCircuitBreaker`).
   */
  owner?: Address;
};

/** Deploys the breaker, configures its markets and sets it as the clearing house's breaker. */
export async function deployCircuitBreaker(clients: DevnetClients, o: CircuitBreakerOptions): Promise<Address> {
  const { publicClient, deployer } = clients;
  const me = deployer.account.address;
  const breaker = await deploy(clients, circuitBreakerAbi, circuitBreakerBytecode, [me, o.clearingHouse]);
  for (const [market, config] of Object.entries(o.markets)) {
    await confirm(
      publicClient,
      deployer.writeContract({ address: breaker, abi: circuitBreakerAbi, functionName: 'setConfig', args: [Number(market), config] }),
    );
  }
  await confirm(
    publicClient,
    deployer.writeContract({ address: o.clearingHouse, abi: clearingHouseAbi, functionName: 'setCircuitBreaker', args: [breaker] }),
  );
  if (o.owner !== undefined && o.owner.toLowerCase() !== me.toLowerCase()) {
    await confirm(
      publicClient,
      deployer.writeContract({ address: breaker, abi: circuitBreakerAbi, functionName: 'transferOwnership', args: [o.owner] }),
    );
  }
  return breaker;
}
