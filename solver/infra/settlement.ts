// The Settlement contract as the solver reads it, and the one write it
// makes outside settle: its bond.
import { zeroAddress, type Account, type Address, type Chain, type Hash, type PublicClient, type Transport, type WalletClient } from 'viem';
import { settlementAbi } from '../../contracts/artifacts/Settlement.ts';
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
  const receipt = await client.waitForTransactionReceipt({ hash: tx });
  if (receipt.status !== 'success') throw new Error(`bond transaction ${tx} reverted`);
  return { bond, tx };
}
