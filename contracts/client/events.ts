// The events that off-chain parts follow, decoded in one place: the Settlement's fills, nonce
// invalidations and auction settlements, the clearing house's deposits and position changes, and
// the circuit breaker's halts and resumes.
// The node's chain watcher, the node's dashboard and the devnet tracker all read them through
// here. Types come from the generated `as const` ABIs, so a changed event signature in Solidity
// breaks the typecheck of every reader instead of surfacing as `undefined` fields at run time.
import { parseEventLogs, type Address, type Hex, type Log, type PublicClient } from 'viem';
import { circuitBreakerAbi } from '../artifacts/CircuitBreaker.ts';
import { clearingHouseAbi } from '../artifacts/ClearingHouse.ts';
import { settlementAbi } from '../artifacts/Settlement.ts';

/** The Settlement events readers act on; the others (bonding, ownership) are ignored. */
export const SETTLEMENT_EVENTS = ['TradeSettled', 'PositionTradeSettled', 'OptionTradeSettled', 'Settled', 'NoncesInvalidated'] as const;

/** The clearing house events that reveal accounts and position fills. */
export const CLEARING_HOUSE_EVENTS = ['Deposited', 'PositionChanged'] as const;

/** The circuit breaker's halts and resumes (the dashboard shows them). */
export const CIRCUIT_BREAKER_EVENTS = ['CircuitBreakerTripped', 'CircuitBreakerResumed'] as const;

/** Which logs to read: a block range, or one block by hash (reorg-safe: the hash pins the fork). */
export type LogRange = { fromBlock: bigint; toBlock: bigint } | { blockHash: Hex };

/** Decodes raw logs into Settlement events (logs of other events or other contracts are dropped). */
export function decodeSettlementEvents(logs: Log[]) {
  return parseEventLogs({ abi: settlementAbi, logs, eventName: [...SETTLEMENT_EVENTS], strict: true });
}

/** One decoded Settlement event; `eventName` narrows `args` to that event's fields. */
export type SettlementEvent = ReturnType<typeof decodeSettlementEvents>[number];

/** Decodes raw logs into clearing house events (others dropped). */
export function decodeClearingHouseEvents(logs: Log[]) {
  return parseEventLogs({ abi: clearingHouseAbi, logs, eventName: [...CLEARING_HOUSE_EVENTS], strict: true });
}

/** One decoded clearing house event. */
export type ClearingHouseEvent = ReturnType<typeof decodeClearingHouseEvents>[number];

/** Reads and decodes the Settlement's events in `range`. */
export async function settlementEventsIn(client: PublicClient, settlement: Address, range: LogRange): Promise<SettlementEvent[]> {
  return decodeSettlementEvents(await client.getLogs({ address: settlement, ...range }));
}

/** Reads and decodes the clearing house's events in `range`. */
export async function clearingHouseEventsIn(client: PublicClient, clearingHouse: Address, range: LogRange): Promise<ClearingHouseEvent[]> {
  return decodeClearingHouseEvents(await client.getLogs({ address: clearingHouse, ...range }));
}

/** Decodes raw logs into circuit breaker halts and resumes (others dropped). */
export function decodeCircuitBreakerEvents(logs: Log[]) {
  return parseEventLogs({ abi: circuitBreakerAbi, logs, eventName: [...CIRCUIT_BREAKER_EVENTS], strict: true });
}

/** One decoded circuit breaker event. */
export type CircuitBreakerEvent = ReturnType<typeof decodeCircuitBreakerEvents>[number];

/** Reads and decodes the circuit breaker's halts and resumes in `range`. */
export async function circuitBreakerEventsIn(client: PublicClient, breaker: Address, range: LogRange): Promise<CircuitBreakerEvent[]> {
  return decodeCircuitBreakerEvents(await client.getLogs({ address: breaker, ...range }));
}
