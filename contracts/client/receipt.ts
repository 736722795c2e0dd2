// Waiting for a transaction's receipt without depending on a later block. Deploy tooling, the
// solver's bond and the trade page all wait through here.
import { TransactionReceiptNotFoundError, type Hash, type TransactionReceipt } from 'viem';

/** The one read the wait needs (any viem public client has it). */
export type ReceiptReader = { getTransactionReceipt: (args: { hash: Hash }) => Promise<TransactionReceipt> };

/**
 * Polls for a transaction's receipt until it exists (5 ms, doubling up to `maxDelayMs`), for up to
 * `timeoutMs`; a receipt still missing then means the chain is stuck, so fail rather than hang.
 *
 * Not viem's waitForTransactionReceipt: it looks for the receipt again only when the block number
 * changes, and drops a change that arrives while it is still looking up the pending transaction or
 * a block (its replacement check). anvil mines a transaction's block only after the send has
 * returned and then nothing until the next transaction, so on a loaded machine that one change
 * can land inside the lookup and the wait never ends (a clean-clone CI run timed out perp-health
 * this way; test/chain/anvil.test.ts replays the interleaving).
 */
export async function waitForReceipt(
  client: ReceiptReader,
  hash: Hash,
  { timeoutMs = 120_000, maxDelayMs = 100 }: { timeoutMs?: number; maxDelayMs?: number } = {},
): Promise<TransactionReceipt> {
  const deadline = Date.now() + timeoutMs;
  for (let delayMs = 5; ; delayMs = Math.min(delayMs * 2, maxDelayMs)) {
    const receipt = await client.getTransactionReceipt({ hash }).catch((error: unknown) => {
      if (error instanceof TransactionReceiptNotFoundError) return undefined;
      throw error;
    });
    if (receipt) return receipt;
    if (Date.now() > deadline) throw new Error(`no receipt for transaction ${hash} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
}
