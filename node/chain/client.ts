// The node's one connection to the chain: a viem PublicClient over the configured JSON-RPC URL,
// shared by the chain checker, the chain watcher and the dashboard's chain reads. No retries:
// every caller has its own fallback (degrade to off-chain checks, poll again, report unavailable),
// and a retry would only stretch the timeout that fallback waits for.
import { createPublicClient, http, type PublicClient } from 'viem';

export function createChainClient(rpcUrl: string, timeoutMs: number): PublicClient {
  return createPublicClient({ transport: http(rpcUrl, { timeout: timeoutMs, retryCount: 0 }) });
}
