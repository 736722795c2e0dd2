// viem clients for a devnet, plus the two helpers every deploy function uses: deploy a contract
// from a generated artifact, and wait for a transaction while treating a revert as an error.
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  getAddress,
  http,
  type Abi,
  type Account,
  type Address,
  type Chain,
  type ContractConstructorArgs,
  type Hash,
  type Hex,
  type HttpTransport,
  type LocalAccount,
  type PublicClient,
  type TransactionReceipt,
  type WalletClient,
} from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { waitForReceipt } from '../client/receipt.ts';

/** anvil's default mnemonic: its dev accounts are funded with ether at genesis. */
export const ANVIL_MNEMONIC = 'test test test test test test test test test test test junk';

export type DevnetPublicClient = PublicClient<HttpTransport, Chain>;
export type DevnetWalletClient = WalletClient<HttpTransport, Chain, Account>;

export type DevnetClients = {
  chain: Chain;
  publicClient: DevnetPublicClient;
  /** anvil's funded dev accounts (local keys, so they can also sign EIP-712 intents). */
  accounts: LocalAccount[];
  /** Sends transactions as `accounts[0]`; it deploys everything. */
  deployer: DevnetWalletClient;
  /** A wallet client for any account (a dev account, or a fresh `privateKeyToAccount`). */
  walletFor: (account: Account) => DevnetWalletClient;
};

/** anvil's default block gas limit. */
const ANVIL_BLOCK_GAS = 30_000_000n;

/** An estimate plus 50% and 50,000, never above anvil's block gas limit (a transaction over it is
 * refused) unless the estimate itself is (then it goes out unpadded and anvil says why). */
function padGas(hex: string): string {
  const estimate = BigInt(hex);
  const padded = (estimate * 3n) / 2n + 50_000n;
  return `0x${(padded > ANVIL_BLOCK_GAS ? (estimate > ANVIL_BLOCK_GAS ? estimate : ANVIL_BLOCK_GAS) : padded).toString(16)}`;
}

/**
 * fetch for the devnet transport that adds 50% and 50,000 to every gas estimate anvil gives: the
 * answer to eth_estimateGas, and the gas of the transaction eth_fillTransaction fills (viem fills
 * a wallet's transaction with eth_fillTransaction when the node has it, so padding eth_estimateGas
 * alone left every transaction sent by the devnet wallets on anvil's exact estimate; a clean-clone
 * CI run then saw a Uniswap V2 swap run out of gas at exactly its 67,825 limit, which the same call
 * on the parent block's state did not need). anvil stamps automined blocks with the wall clock,
 * and several contracts do more work when a call lands in a later second than the state it was
 * estimated on (Uniswap V2/V3 price oracles, perpetual funding accrual), so an exact estimate runs
 * out of gas when the block is mined a second later. 25% was not enough once (a settle through a
 * Uniswap V3 pool). Unused gas is refunded.
 */
async function withGasHeadroom(input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]): Promise<Response> {
  const response = await fetch(input, init);
  const body = typeof init?.body === 'string' ? init.body : '';
  const estimate = body.includes('"eth_estimateGas"');
  const fill = !estimate && body.includes('"eth_fillTransaction"');
  if (!estimate && !fill) return response;
  const json = (await response.json()) as { result?: unknown };
  if (estimate && typeof json.result === 'string') json.result = padGas(json.result);
  const tx = fill ? (json.result as { tx?: { gas?: unknown } } | undefined)?.tx : undefined;
  if (tx && typeof tx.gas === 'string') tx.gas = padGas(tx.gas);
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  return new Response(JSON.stringify(json), { status: response.status, headers });
}

export function devnetClients(rpcUrl: string, chainId: number, options: { mnemonic?: string; accountCount?: number } = {}): DevnetClients {
  const chain = defineChain({
    id: chainId,
    name: `anvil-${chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  // anvil automines: a receipt exists as soon as the send returns, so poll fast instead of
  // viem's 4 s default, which would make every deploy step take seconds.
  const transport = http(rpcUrl, { batch: false, retryCount: 0, fetchFn: withGasHeadroom });
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 10 });
  const count = options.accountCount ?? 10;
  const accounts = Array.from({ length: count }, (_, i) => mnemonicToAccount(options.mnemonic ?? ANVIL_MNEMONIC, { addressIndex: i }));
  const walletFor = (account: Account): DevnetWalletClient => createWalletClient({ chain, transport, account, pollingInterval: 10 });
  return { chain, publicClient, accounts, deployer: walletFor(accounts[0]!), walletFor };
}

export class TransactionRevertedError extends Error {
  readonly receipt: TransactionReceipt;
  constructor(receipt: TransactionReceipt, why?: string) {
    super(`transaction ${receipt.transactionHash} reverted (gas used ${receipt.gasUsed}${why ? `; ${why}` : ''})`);
    this.name = 'TransactionRevertedError';
    this.receipt = receipt;
  }
}

/**
 * Why a mined transaction reverted, for the error message: its gas limit (used = limit is out of
 * gas) and the revert reason of the same call replayed on the parent block's state (anvil
 * automines one transaction per block, so that is the state it ran on).
 */
async function whyReverted(publicClient: DevnetPublicClient, receipt: TransactionReceipt): Promise<string> {
  const tx = await publicClient.getTransaction({ hash: receipt.transactionHash }).catch(() => undefined);
  if (!tx?.to) return 'transaction not found for a replay';
  const outOfGas = receipt.gasUsed >= tx.gas ? 'out of gas, ' : '';
  const replay = await publicClient
    .call({ account: tx.from, to: tx.to, data: tx.input, value: tx.value, gas: tx.gas, blockNumber: receipt.blockNumber - 1n })
    .then(
      () => 'the replay on the parent block succeeds',
      (e: unknown) => `replayed on the parent block: ${(e as Error).message.split('\n').slice(0, 2).join(' ')}`,
    );
  return `${outOfGas}limit ${tx.gas}; ${replay}`;
}

/**
 * Waits for a sent transaction (up to 120 s: a loaded machine can starve anvil for tens of seconds)
 * and throws if it reverted: a silently failed setup step is a bug.
 */
export async function confirm(publicClient: DevnetPublicClient, sent: Hash | Promise<Hash>): Promise<TransactionReceipt> {
  const receipt = await waitForReceipt(publicClient, await sent);
  if (receipt.status !== 'success') throw new TransactionRevertedError(receipt, await whyReverted(publicClient, receipt));
  return receipt;
}

/** Deploys a contract from a generated artifact (`<name>Abi`, `<name>Bytecode`) and returns its address. */
export async function deploy<const abi extends Abi>(
  clients: Pick<DevnetClients, 'publicClient' | 'deployer'>,
  abi: abi,
  bytecode: Hex,
  args: ContractConstructorArgs<abi>,
  wallet: DevnetWalletClient = clients.deployer,
): Promise<Address> {
  // deployContract's own parameter type needs the abi's literal type to decide whether `args`
  // is required; our signature already enforces the constructor arguments, so pass through.
  const hash = await wallet.deployContract({ abi, bytecode, args } as Parameters<DevnetWalletClient['deployContract']>[0]);
  const receipt = await confirm(clients.publicClient, hash);
  if (!receipt.contractAddress) throw new Error(`deployment ${hash} created no contract`);
  return getAddress(receipt.contractAddress);
}
