// Batched reads at one block. anvil has no Multicall3 deployed, so reads use viem's deployless
// multicall (the aggregator's bytecode is executed inside eth_call, nothing is deployed), which
// works on any node.
import type { Address, PublicClient } from 'viem';

export type Call = { address: Address; abi: readonly unknown[]; functionName: string; args?: readonly unknown[] };

/**
 * Calls per eth_call. Deployless multicall sends the aggregator's init code with the calls as its
 * constructor argument, so a chunk must stay under the init-code size limit (EIP-3860: 49,152
 * bytes); a view call is about 200 bytes of ABI, so 150 calls use about 30 kB.
 */
const CHUNK = 150;

/** Batched reads at one block; throws if any call fails (a half-read pool is worse than none). */
export async function multicallAt(client: PublicClient, calls: Call[], blockNumber: bigint): Promise<unknown[]> {
  const chunks: Call[][] = [];
  for (let i = 0; i < calls.length; i += CHUNK) chunks.push(calls.slice(i, i + CHUNK));
  // the chunks go out together: sequential round trips to a loaded node cost more than the calls
  const results = await Promise.all(
    chunks.map((chunk) =>
      client.multicall({
        // viem's types want a literal ABI per call; the callers' ABIs all come from parseAbi.
        contracts: chunk as Parameters<PublicClient['multicall']>[0]['contracts'],
        blockNumber,
        allowFailure: false,
        deployless: true,
        batchSize: 0,
      }),
    ),
  );
  return results.flatMap((r) => r as unknown[]);
}
