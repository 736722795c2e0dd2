// The Settlement contract as the solver reads it, and the one write it
// makes outside settle: its bond.
import {
  parseAbi,
  zeroAddress,
  type Account,
  type Address,
  type Chain,
  type Hash,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
} from 'viem';
import { settlementAbi } from '../../contracts/artifacts/Settlement.ts';
import { waitForReceipt } from '../../contracts/client/receipt.ts';
import type { Intent } from '../../protocol/intent.ts';
import { multicallAt } from './multicall.ts';

/** The clearing house the Settlement settles positions with; the zero address if it has none. */
export function clearingHouseOf(client: PublicClient, settlement: Address): Promise<Address> {
  return client.readContract({ address: settlement, abi: settlementAbi, functionName: 'clearingHouse' }).catch(() => zeroAddress);
}

/** Whether each intent's nonce is used (filled or cancelled) at a block, in order. */
export async function usedNonces(
  client: PublicClient,
  settlement: Address,
  intents: readonly Intent[],
  blockNumber: bigint,
): Promise<boolean[]> {
  return (await multicallAt(
    client,
    intents.map((i) => ({
      address: settlement,
      abi: settlementAbi,
      functionName: 'isNonceUsed',
      args: [i.type === 'swap' ? i.intent.owner : i.intent.account, i.intent.nonce],
    })),
    blockNumber,
  )) as boolean[];
}

/** Bonds Settlement.minBond from the wallet unless it is an active solver already; the bond and its transaction if it did. */
export async function ensureBond(
  client: PublicClient,
  wallet: WalletClient<Transport, Chain, Account>,
  settlement: Address,
): Promise<{ bond: bigint; tx: Hash } | undefined> {
  if (await client.readContract({ address: settlement, abi: settlementAbi, functionName: 'isSolver', args: [wallet.account.address] }))
    return undefined;
  const bond = await client.readContract({ address: settlement, abi: settlementAbi, functionName: 'minBond' });
  const tx = await wallet.writeContract({
    address: settlement,
    abi: settlementAbi,
    functionName: 'bond',
    value: bond,
    chain: wallet.chain,
    account: wallet.account,
  });
  const receipt = await waitForReceipt(client, tx);
  if (receipt.status !== 'success') throw new Error(`bond transaction ${tx} reverted`);
  return { bond, tx };
}

/** What the chain says of an intent at a block: its nonce bit (filled fill-or-kill, or cancelled), and a partial fill's amount so far. */
export type FillState = { used: boolean; filled?: bigint };

/**
 * Each intent's fill state at a block, in order, in one multicall: the nonce bit for every intent,
 * and `filledAmount(digest)` for partially fillable ones, swaps and positions alike (ids are the
 * digests; a partially fillable position accumulates there too, its nonce bit only cancels).
 */
export async function fillStates(
  client: PublicClient,
  settlement: Address,
  intents: readonly { id: Hex; intent: Intent }[],
  blockNumber: bigint,
): Promise<FillState[]> {
  const partial = (i: Intent): boolean => i.intent.partiallyFillable;
  const calls = intents.flatMap(({ id, intent: i }) => {
    const nonce = {
      address: settlement,
      abi: settlementAbi,
      functionName: 'isNonceUsed',
      args: [i.type === 'swap' ? i.intent.owner : i.intent.account, i.intent.nonce],
    };
    return partial(i) ? [nonce, { address: settlement, abi: settlementAbi, functionName: 'filledAmount', args: [id] }] : [nonce];
  });
  const res = calls.length ? await multicallAt(client, calls, blockNumber) : [];
  const out: FillState[] = [];
  let k = 0;
  for (const { intent } of intents) {
    const used = res[k++] as boolean;
    out.push(partial(intent) ? { used, filled: res[k++] as bigint } : { used });
  }
  return out;
}

const erc20BalanceAbi = parseAbi(['function balanceOf(address) view returns (uint256)']);

/** Token balances of owners at a block, in order (one multicall). */
export async function balancesOf(
  client: PublicClient,
  pairs: readonly { token: Address; owner: Address }[],
  blockNumber: bigint,
): Promise<bigint[]> {
  if (!pairs.length) return [];
  return (await multicallAt(
    client,
    pairs.map((p) => ({ address: p.token, abi: erc20BalanceAbi, functionName: 'balanceOf', args: [p.owner] })),
    blockNumber,
  )) as bigint[];
}
