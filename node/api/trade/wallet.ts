/// <reference lib="dom" />
// Wallet discovery and connection: EIP-6963 (each installed wallet announces itself when the page
// asks with eip6963:requestProvider), with window.ethereum (EIP-1193) as the fallback. The page
// lets the user pick when several answer; viem's wallet and public clients then talk through the
// chosen provider (custom transport), so reads, transactions and signatures all go to the wallet.
import {
  type Address,
  createPublicClient,
  createWalletClient,
  custom,
  type EIP1193Provider,
  type PublicClient,
  type WalletClient,
} from 'viem';

export type WalletInfo = { uuid: string; name: string; icon?: string; rdns?: string };
export type Discovered = { info: WalletInfo; provider: EIP1193Provider };

type AnnounceEvent = CustomEvent<{ info: WalletInfo; provider: EIP1193Provider }>;

/** Starts EIP-6963 discovery: `found` fills as wallets announce themselves (some answer during the request). */
export function discoverWallets(found: Discovered[], onChange: () => void): void {
  window.addEventListener('eip6963:announceProvider', (e) => {
    const { info, provider } = (e as AnnounceEvent).detail;
    if (!info || !provider || found.some((w) => w.info.uuid === info.uuid)) return;
    found.push({ info, provider });
    onChange();
  });
  window.dispatchEvent(new Event('eip6963:requestProvider'));
}

/** The wallets to offer: the EIP-6963 announcements, else the legacy window.ethereum. */
export function walletChoices(found: readonly Discovered[]): Discovered[] {
  if (found.length > 0) return [...found];
  const legacy = (window as unknown as { ethereum?: EIP1193Provider }).ethereum;
  return legacy ? [{ info: { uuid: 'window.ethereum', name: 'Browser wallet' }, provider: legacy }] : [];
}

export type Connection = {
  provider: EIP1193Provider;
  account: Address;
  chainId: number;
  wallet: WalletClient;
  reader: PublicClient;
};

/** eth_requestAccounts and eth_chainId through the chosen provider. */
export async function connect(provider: EIP1193Provider): Promise<Connection> {
  const accounts = (await provider.request({ method: 'eth_requestAccounts' })) as Address[];
  const account = accounts[0];
  if (!account) throw new Error('the wallet returned no account');
  const chainId = Number(await provider.request({ method: 'eth_chainId' }));
  const wallet = createWalletClient({ account, transport: custom(provider) });
  const reader = createPublicClient({ transport: custom(provider), pollingInterval: 250 });
  return { provider, account: account.toLowerCase() as Address, chainId, wallet, reader };
}

/** EIP-1193 code 4001: the user rejected the request (viem keeps it on the error or its cause). */
export function isUserRejection(e: unknown): boolean {
  for (let x = e as { code?: unknown; cause?: unknown } | undefined, i = 0; x && i < 5; x = x.cause as typeof x, i++) {
    if (x.code === 4001) return true;
  }
  return false;
}
