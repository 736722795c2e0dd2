// EIP-1271 at the node, on a real anvil: a devnet contract wallet (contracts/src/devnet/SmartWallet.sol,
// DevnetSmartWallet) owned by an EOA. A node with an RPC endpoint accepts an intent whose owner is the
// wallet and whose `eip1271` signature is the owner EOA's signature over the intent digest (the node
// asks the wallet's isValidSignature), rejects a forged one (signed by another key) as
// bad_eip1271_signature, and the accepted intent then settles on chain (Settlement's EIP-1271 path)
// with the chain watcher marking it filled.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mnemonicToAccount } from 'viem/accounts';
import { encodeFunctionData, toHex, erc20Abi, maxUint256, parseEther, parseUnits, type Address, type Hex } from 'viem';
import { pino } from 'pino';
import { devnetSmartWalletAbi, devnetSmartWalletBytecode } from '../../contracts/artifacts/DevnetSmartWallet.ts';
import { settlementAbi } from '../../contracts/artifacts/Settlement.ts';
import { startAnvil, type Anvil } from '../../contracts/deploy/anvil.ts';
import { ANVIL_MNEMONIC, confirm, devnetClients, type DevnetClients } from '../../contracts/deploy/clients.ts';
import { bondSolver, deploySettlement } from '../../contracts/deploy/settlement.ts';
import { encodeTrade, signSwapIntent, sortAddresses, spotBatch } from '../../contracts/client/settlement.ts';
import { approveMax, balanceOf, deployTestToken, mint } from '../../contracts/deploy/tokens.ts';
import { intentDomain } from '../../protocol/eip712.ts';
import { intentDigest } from '../../protocol/hash.ts';
import type { SignedIntent, SwapIntent } from '../../protocol/intent.ts';
import { NodeApi } from '../../protocol/client.ts';
import { signDigest } from '../../protocol/signature.ts';
import { IntentNode } from '../../node/node.ts';
import { type SubmitOutcome, submitOutcome } from '../helpers/api.ts';
import { tempDir, testConfig } from '../helpers/node.ts';
import type { ChainWatcher } from '../../node/chain/watcher.ts';

let anvil: Anvil;
let clients: DevnetClients;
let settlement: Address;
let vault: Address;
let dai: Address;
let usdc: Address;
let wallet: Address;
let node: IntentNode;
let watcher: ChainWatcher;
const dir = tempDir('node-1271-');
// the wallet's owner EOA (anvil account 5) and an unrelated key (account 6)
const keyOf = (i: number): Hex => toHex(mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: i }).getHdKey().privateKey!);
const OWNER_KEY = keyOf(5);
const FORGER_KEY = keyOf(6);

beforeAll(async () => {
  anvil = await startAnvil();
  clients = devnetClients(anvil.rpcUrl, anvil.chainId);
  ({ settlement, vault } = await deploySettlement(clients));
  dai = await deployTestToken(clients, { name: 'Dai', symbol: 'DAI', decimals: 18 });
  usdc = await deployTestToken(clients, { name: 'USDC', symbol: 'USDC', decimals: 6 });
  const owner = clients.accounts[5]!;
  const hash = await clients.walletFor(owner).deployContract({
    abi: devnetSmartWalletAbi,
    bytecode: devnetSmartWalletBytecode,
    args: [owner.address],
    chain: clients.chain,
    account: owner,
  });
  wallet = (await clients.publicClient.waitForTransactionReceipt({ hash })).contractAddress!;
  await mint(clients, dai, wallet, parseUnits('1000', 18));
  // the wallet approves the Vault through its owner
  await confirm(
    clients.publicClient,
    clients.walletFor(owner).writeContract({
      address: wallet,
      abi: devnetSmartWalletAbi,
      functionName: 'execute',
      args: [dai, 0n, encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [vault, maxUint256] })],
    }),
  );
  const carol = clients.accounts[4]!;
  await mint(clients, usdc, carol.address, parseUnits('1000', 6));
  await approveMax(clients, clients.walletFor(carol), usdc, vault);
  await bondSolver(clients, settlement, clients.walletFor(clients.accounts[1]!), parseEther('1'));
  node = new IntentNode(testConfig(dir.path, { chainId: anvil.chainId, settlement, rpcUrl: anvil.rpcUrl }), {
    log: pino({ level: 'silent' }),
    watcher: { manual: true },
  });
  await node.start();
  watcher = node.watcher!;
}, 60_000);

afterAll(async () => {
  watcher?.stop();
  await node?.stop();
  await anvil?.stop();
  dir.cleanup();
});

const swap = (owner: Address, over: Partial<SwapIntent>): SwapIntent => ({
  owner: owner.toLowerCase() as Address,
  sellToken: dai,
  buyToken: usdc,
  receiver: '0x0000000000000000000000000000000000000000',
  sellAmount: parseUnits('100', 18),
  buyAmount: parseUnits('99', 6),
  validTo: Math.floor(Date.now() / 1000) + 3600,
  nonce: 0n,
  kind: 0,
  partiallyFillable: false,
  appData: `0x${'00'.repeat(32)}`,
  ...over,
});

/** An intent owned by the contract wallet, its EIP-1271 signature made by `key` over the EIP-712 digest. */
function walletIntent(key: Hex, over: Partial<SwapIntent> = {}): SignedIntent {
  const intent = swap(wallet, over);
  const digest = intentDigest({ type: 'swap', intent }, intentDomain(anvil.chainId, settlement));
  return { type: 'swap', intent, signature: { scheme: 'eip1271', data: signDigest(digest, key) } };
}

const submit = (s: SignedIntent): Promise<SubmitOutcome> => submitOutcome(new NodeApi(node.apiUrl), s);

describe('EIP-1271 contract-wallet intents at a node with an RPC endpoint', () => {
  it('the wallet itself answers: the owner-signed digest gets the magic value, another key does not', async () => {
    const digest = intentDigest({ type: 'swap', intent: swap(wallet, { nonce: 99n }) }, intentDomain(anvil.chainId, settlement));
    const ask = (key: Hex) =>
      clients.publicClient.readContract({
        address: wallet,
        abi: devnetSmartWalletAbi,
        functionName: 'isValidSignature',
        args: [digest, signDigest(digest, key)],
      });
    expect(await ask(OWNER_KEY)).toBe('0x1626ba7e');
    expect(await ask(FORGER_KEY)).toBe('0xffffffff');
  });

  it('accepts an intent signed for the wallet by its owner, rejects a forged one, and the accepted one settles on chain', async () => {
    const forged = await submit(walletIntent(FORGER_KEY, { nonce: 1n }));
    expect(forged).toMatchObject({ status: 400, code: 'bad_eip1271_signature' });
    // a garbage signature blob is refused the same way (the wallet returns the invalid value)
    const garbage = walletIntent(OWNER_KEY, { nonce: 2n });
    expect((await submit({ ...garbage, signature: { scheme: 'eip1271', data: '0xdeadbeef' } })).code).toBe('bad_eip1271_signature');
    expect(await node.pool.get(intentDigest(garbage, intentDomain(anvil.chainId, settlement)).toLowerCase() as Hex)).toBeUndefined();

    const good = walletIntent(OWNER_KEY, { nonce: 3n });
    const accepted = await submit(good);
    expect(accepted.status).toBe(201);
    const id = accepted.id!;
    expect((await node.pool.get(id))?.needsChainCheck).toBe(true);

    // settle it against carol's opposite intent, with the EIP-1271 flag on the wallet's trade
    const carol = clients.accounts[4]!;
    const ci = swap(carol.address, {
      sellToken: usdc,
      buyToken: dai,
      sellAmount: parseUnits('100', 6),
      buyAmount: parseUnits('99', 18),
      nonce: 7n,
    });
    const c: SignedIntent = {
      type: 'swap',
      intent: ci,
      signature: { scheme: 'eoa', data: await signSwapIntent(carol, anvil.chainId, settlement, ci) },
    };
    expect((await submit(c)).status).toBe(201);
    await watcher.poll();
    const tokens = sortAddresses([dai, usdc]);
    const price: Record<string, bigint> = { [dai.toLowerCase()]: 1n, [usdc.toLowerCase()]: 10n ** 12n };
    const trades = [
      encodeTrade(tokens, good.intent as SwapIntent, good.signature.data, { eip1271: true }),
      encodeTrade(tokens, ci, c.signature.data),
    ];
    const batch = spotBatch({
      auctionId: 11n,
      tokens,
      clearingPrices: tokens.map((t) => price[t.toLowerCase()]!),
      trades,
      interactions: [],
    });
    const before = await balanceOf(clients, usdc, wallet);
    const receipt = await confirm(
      clients.publicClient,
      clients
        .walletFor(clients.accounts[1]!)
        .writeContract({ address: settlement, abi: settlementAbi, functionName: 'settle', args: [batch] }),
    );
    expect(receipt.status).toBe('success');
    expect((await balanceOf(clients, usdc, wallet)) - before).toBe(parseUnits('100', 6));
    await watcher.poll();
    expect(await node.pool.get(id)).toMatchObject({ state: 'filled', txHash: receipt.transactionHash });
    // and is never re-admitted
    expect((await submit(good)).status).toBe(409);
  });
});
