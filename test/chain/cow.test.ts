// CoW Protocol's GPv2Settlement deployed from its npm artifacts, driven the way the gas benchmark
// drives it: orders signed with viem (EIP-712, domain "Gnosis Protocol" v2) and encoded as GPv2
// trades. If this encoding were wrong the benchmark would be measuring reverts, so check it here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  concat,
  hashDomain,
  hashTypedData,
  keccak256,
  numberToHex,
  parseEther,
  parseEventLogs,
  toHex,
  zeroAddress,
  type LocalAccount,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { gpv2SettlementAbi } from '../../contracts/artifacts/GPv2Settlement.ts';
import { startAnvil, type Anvil } from '../../contracts/deploy/anvil.ts';
import { confirm, devnetClients, type DevnetClients } from '../../contracts/deploy/clients.ts';
import {
  cowDomain,
  cowOrderTypes,
  cowTrade,
  deployCow,
  signCowOrder,
  type CowDeployment,
  type CowOrder,
} from '../../contracts/deploy/cow.ts';
import { sortAddresses } from '../../contracts/client/settlement.ts';
import { approveMax, balanceOf, deployTestToken, mint } from '../../contracts/deploy/tokens.ts';

let anvil: Anvil;
let clients: DevnetClients;
let cow: CowDeployment;
let tokenA: `0x${string}`;
let tokenB: `0x${string}`;
let users: LocalAccount[];

beforeAll(async () => {
  anvil = await startAnvil();
  clients = devnetClients(anvil.rpcUrl, anvil.chainId);
  tokenA = await deployTestToken(clients, { name: 'Token A', symbol: 'TKA', decimals: 18 });
  tokenB = await deployTestToken(clients, { name: 'Token B', symbol: 'TKB', decimals: 18 });
  cow = await deployCow(clients, { solvers: [clients.accounts[1]!.address] });
  users = [0, 1].map((i) => privateKeyToAccount(keccak256(toHex(`cow-test-user-${i}`))));
  for (const user of users) {
    await confirm(clients.publicClient, clients.deployer.sendTransaction({ to: user.address, value: parseEther('1') }));
    for (const token of [tokenA, tokenB]) {
      await mint(clients, token, user.address, parseEther('1000'));
      await approveMax(clients, clients.walletFor(user), token, cow.vaultRelayer);
    }
  }
});

afterAll(async () => {
  await anvil?.stop();
});

describe('CoW GPv2Settlement on anvil', () => {
  it('has the EIP-712 domain we sign with', async () => {
    const separator = await clients.publicClient.readContract({
      address: cow.settlement,
      abi: gpv2SettlementAbi,
      functionName: 'domainSeparator',
    });
    const domain = cowDomain(anvil.chainId, cow.settlement);
    expect(separator).toBe(
      hashDomain({
        domain: { ...domain, chainId: BigInt(domain.chainId) },
        types: {
          EIP712Domain: [
            { name: 'name', type: 'string' },
            { name: 'version', type: 'string' },
            { name: 'chainId', type: 'uint256' },
            { name: 'verifyingContract', type: 'address' },
          ],
        },
      }),
    );
  });

  it('settles two opposite viem-signed orders: balances move and each order uid is marked filled', async () => {
    const block = await clients.publicClient.getBlock();
    const validTo = Number(block.timestamp) + 3600;
    const order = (sellToken: `0x${string}`, buyToken: `0x${string}`): CowOrder => ({
      sellToken,
      buyToken,
      receiver: zeroAddress,
      sellAmount: parseEther('10'),
      buyAmount: parseEther('9'),
      validTo,
      appData: keccak256(toHex('cow-test')),
      feeAmount: 0n,
      kind: 'sell',
      partiallyFillable: false,
      sellTokenBalance: 'erc20',
      buyTokenBalance: 'erc20',
    });
    const orders = [order(tokenA, tokenB), order(tokenB, tokenA)];
    const tokens = sortAddresses([tokenA, tokenB]);
    const trades = await Promise.all(
      orders.map(async (o, i) => cowTrade(tokens, o, await signCowOrder(users[i]!, anvil.chainId, cow.settlement, o))),
    );
    const before = await Promise.all(users.flatMap((u) => [tokenA, tokenB].map((t) => balanceOf(clients, t, u.address))));
    const receipt = await confirm(
      clients.publicClient,
      clients.walletFor(clients.accounts[1]!).writeContract({
        address: cow.settlement,
        abi: gpv2SettlementAbi,
        functionName: 'settle',
        args: [tokens, [1n, 1n], trades, [[], [], []]],
      }),
    );
    const after = await Promise.all(users.flatMap((u) => [tokenA, tokenB].map((t) => balanceOf(clients, t, u.address))));
    expect(after.map((b, i) => b - before[i]!)).toEqual([-parseEther('10'), parseEther('10'), parseEther('10'), -parseEther('10')]);
    expect(parseEventLogs({ abi: gpv2SettlementAbi, eventName: 'Trade', logs: receipt.logs })).toHaveLength(2);
    // orderUid = EIP-712 digest ‖ owner ‖ validTo: the contract's digest is the one viem signed.
    const digest = hashTypedData({
      domain: cowDomain(anvil.chainId, cow.settlement),
      types: cowOrderTypes,
      primaryType: 'Order',
      message: orders[0]!,
    });
    const uid = concat([digest, users[0]!.address, numberToHex(validTo, { size: 4 })]);
    expect(
      await clients.publicClient.readContract({
        address: cow.settlement,
        abi: gpv2SettlementAbi,
        functionName: 'filledAmount',
        args: [uid],
      }),
    ).toBe(parseEther('10'));
  });

  it('refuses a solver that is not on the allow list', async () => {
    await expect(
      clients.publicClient.simulateContract({
        account: clients.accounts[2]!,
        address: cow.settlement,
        abi: gpv2SettlementAbi,
        functionName: 'settle',
        args: [[], [], [], [[], [], []]],
      }),
    ).rejects.toThrow(/GPv2: not a solver/);
  });
});
