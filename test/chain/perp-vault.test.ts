// The perp liquidity vault as the counterparty of lone wallets, on the real devnet contracts
// (Settlement + ClearingHouse + PerpVault): the solver's own clearing (solver/domain/positions.ts),
// its chain reads (solver/infra/perp-state.ts) and its bundle (solver/driver/bundle.ts) build each
// settle, so this is the path a live solver takes, minus the node. Also the TypeScript quote curve
// (protocol/perp-vault.ts) against the contract's, to the wei.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keccak256, parseEventLogs, parseUnits, toHex, type Address, type Hex, type LocalAccount } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { clearingHouseAbi } from '../../contracts/artifacts/ClearingHouse.ts';
import { perpVaultAbi } from '../../contracts/artifacts/PerpVault.ts';
import { settlementAbi } from '../../contracts/artifacts/Settlement.ts';
import { signPositionIntent } from '../../contracts/client/positions.ts';
import { confirm } from '../../contracts/deploy/clients.ts';
import { fundUser, startDevnet, type RunningDevnet } from '../../contracts/deploy/devnet.ts';
import {
  clearingHouseContract,
  depositCollateral,
  deployDevnetPerp,
  POSITION_TX_GAS,
  type PerpDeployment,
} from '../../contracts/deploy/perp.ts';
import { DEVNET_VAULT, DEVNET_VAULT_MARKETS, deployPerpVault } from '../../contracts/deploy/perp-vault.ts';
import { intentDigest } from '../../protocol/hash.ts';
import { intentDomain } from '../../protocol/eip712.ts';
import type { PositionIntent, SignedIntent } from '../../protocol/intent.ts';
import { vaultQuote } from '../../protocol/perp-vault.ts';
import type { Auction, AuctionIntent } from '../../protocol/score.ts';
import { scoreSolution } from '../../protocol/score.ts';
import type { Solution } from '../../protocol/solution.ts';
import { solveAuction } from '../../solver/domain/solve-auction.ts';
import { buildBatch } from '../../solver/driver/bundle.ts';
import { readPositionState, vaultLiquidity } from '../../solver/infra/perp-state.ts';

const WAD = 10n ** 18n;
const DAI = (n: string): bigint => parseUnits(n, 18);
const ETH = 1;

let running: RunningDevnet;
let perp: PerpDeployment;
let vault: Address;
const users: LocalAccount[] = [];
let nonce = 0n;
let auctionId = 1000n;

beforeAll(async () => {
  running = await startDevnet();
  const { clients, devnet } = running;
  perp = await deployDevnetPerp(clients, devnet);
  vault = await deployPerpVault(clients, {
    clearingHouse: perp.clearingHouse,
    collateral: devnet.tokens.dai,
    markets: DEVNET_VAULT_MARKETS,
    ...DEVNET_VAULT,
  });
  for (const name of ['ann', 'ben', 'cat', 'dan']) {
    const u = privateKeyToAccount(keccak256(toHex(`perp-vault-${name}`)));
    await fundUser(clients, devnet, u, { dai: DAI('50000') });
    await depositCollateral(clients, perp.clearingHouse, devnet.tokens.dai, u, DAI('50000'));
    users.push(u);
  }
}, 120_000);

afterAll(async () => {
  await running?.stop();
});

async function signed(u: LocalAccount, p: Omit<PositionIntent, 'account' | 'nonce' | 'validTo'>): Promise<SignedIntent> {
  const { devnet, clients } = running;
  const validTo = Number((await clients.publicClient.getBlock()).timestamp) + 3600;
  const intent: PositionIntent = { ...p, account: u.address, nonce: nonce++, validTo };
  const data = await signPositionIntent(u, devnet.chainId, devnet.settlement.settlement, intent);
  return { type: 'position', intent, signature: { scheme: 'eoa', data } };
}

/** Solves the intents as the live solver does (chain reads, clearing, the vault's liquidity) and settles the batch. */
async function solveAndSettle(intents: SignedIntent[], own: SignedIntent[] = []) {
  const { clients, devnet } = running;
  const domain = intentDomain(devnet.chainId, devnet.settlement.settlement);
  const entries = new Map<Hex, AuctionIntent>();
  const byId = new Map<Hex, SignedIntent>();
  for (const s of intents) {
    const id = intentDigest(s, domain);
    entries.set(id, { id, intent: s });
    byId.set(id, s);
  }
  const id = auctionId++;
  const auction: Auction = {
    id,
    intents: entries,
    referencePrices: new Map([[devnet.tokens.dai.toLowerCase() as Address, WAD]]),
    collateralToken: devnet.tokens.dai,
  };
  const block = await clients.publicClient.getBlock();
  // no oracle moves here: quote the vault's own curve exactly (no safety margin)
  const state = await readPositionState(clients.publicClient, perp.clearingHouse, vault, auction, block.number, 0n);
  const ownById = new Map<Hex, SignedIntent & { type: 'position' }>();
  for (const o of own) if (o.type === 'position') ownById.set(intentDigest(o, domain), o);
  const ownLiquidity = [...ownById].map(([oid, o]) => ({
    id: oid,
    account: o.intent.account,
    market: o.intent.market,
    sizeDelta: o.intent.sizeDelta,
    limitPrice: o.intent.limitPrice,
    partiallyFillable: o.intent.partiallyFillable,
  }));
  const now = Number(block.timestamp);
  const solved = solveAuction(
    auction,
    [],
    { strategy: 'optimal', settlement: devnet.settlement.settlement, solver: devnet.solver.address, now },
    { ...state, ownLiquidity },
  );
  const liquidity = [
    ...solved.vaultTrades.map((t) =>
      vaultLiquidity(vault, t, { auctionId: id, index: solved.solution.marketPrices.findIndex((m) => m.market === t.market), now }),
    ),
    ...solved.ownTrades.map((t) => {
      const o = ownById.get(t.id)!;
      return { intent: o.intent, signature: o.signature, executed: t.executed };
    }),
  ];
  const solution: Solution = { ...solved.solution, liquidity };
  const score = scoreSolution(solution, auction);
  expect(score.ok, score.ok ? '' : score.error.reason).toBe(true);
  const receipt = await settle(solution, byId);
  return { solution, receipt, state };
}

async function settle(solution: Solution, byId: Map<Hex, SignedIntent>) {
  const { clients, devnet } = running;
  const batch = buildBatch(solution, byId);
  const solver = clients.walletFor(devnet.solver);
  return confirm(
    clients.publicClient,
    solver.writeContract({
      address: devnet.settlement.settlement,
      abi: settlementAbi,
      functionName: 'settle',
      args: [batch],
      gas: POSITION_TX_GAS,
    }),
  );
}

const fills = (receipt: { logs: readonly unknown[] }) =>
  parseEventLogs({ abi: clearingHouseAbi, eventName: 'PositionChanged', logs: receipt.logs as never }).map((e) => e.args);

const vaultSize = async (): Promise<bigint> =>
  (await clearingHouseContract(running.clients, perp.clearingHouse).read.position([vault, ETH])).size;

describe('the perp vault as counterparty', () => {
  it('the TypeScript quote curve equals the contract to the wei', async () => {
    const { clients } = running;
    const [mark] = await clients.publicClient.readContract({
      address: perp.clearingHouse,
      abi: clearingHouseAbi,
      functionName: 'markPrice',
      args: [ETH],
    });
    const size = await vaultSize();
    const [skewScale, feeFraction, maxPosition] = await clients.publicClient.readContract({
      address: vault,
      abi: perpVaultAbi,
      functionName: 'marketParams',
      args: [ETH],
    });
    for (const d of [-150n * WAD, -7n * WAD, -1n, 1n, 3n * 10n ** 17n, 123_456_789_123_456_789n, 150n * WAD]) {
      const chain = await clients.publicClient.readContract({ address: vault, abi: perpVaultAbi, functionName: 'quote', args: [ETH, d] });
      expect(vaultQuote({ skewScale, feeFraction, maxPosition }, mark, size, d)).toBe(chain);
    }
  });

  it('a lone long with nobody on the other side fills against the vault at its quote', async () => {
    const before = await vaultSize();
    const long = await signed(users[0]!, {
      market: ETH,
      sizeDelta: DAI('0.7'),
      limitPrice: DAI('3090'),
      reduceOnly: false,
      partiallyFillable: false,
    });
    const { solution, receipt, state } = await solveAndSettle([long]);
    const price = solution.marketPrices[0]!.price;
    const m = state.markets.get(ETH)!;
    expect(price).toBe(vaultQuote(m.vault!.params, m.mark, m.vault!.size, -DAI('0.7')));
    expect(price).toBeGreaterThan(m.mark);
    expect(await vaultSize()).toBe(before - DAI('0.7'));
    const f = fills(receipt);
    expect(f.map((x) => [x.account.toLowerCase(), x.sizeDelta])).toEqual(
      expect.arrayContaining([
        [users[0]!.address.toLowerCase(), DAI('0.7')],
        [vault.toLowerCase(), -DAI('0.7')],
      ]),
    );
  });

  it('three longs of different sizes and a short net: only the remainder meets the vault, all at one price', async () => {
    const before = await vaultSize();
    const intents = [
      await signed(users[1]!, { market: ETH, sizeDelta: DAI('0.4'), limitPrice: DAI('3100'), reduceOnly: false, partiallyFillable: false }),
      await signed(users[2]!, { market: ETH, sizeDelta: DAI('1.1'), limitPrice: DAI('3100'), reduceOnly: false, partiallyFillable: true }),
      await signed(users[3]!, {
        market: ETH,
        sizeDelta: DAI('0.25'),
        limitPrice: DAI('3100'),
        reduceOnly: false,
        partiallyFillable: false,
      }),
      await signed(users[0]!, {
        market: ETH,
        sizeDelta: -DAI('1.5'),
        limitPrice: DAI('2900'),
        reduceOnly: false,
        partiallyFillable: false,
      }),
    ];
    const { solution, receipt } = await solveAndSettle(intents);
    expect(solution.trades).toHaveLength(4);
    const f = fills(receipt);
    const prices = new Set(f.map((x) => x.price));
    expect(prices.size).toBe(1);
    // 0.4 + 1.1 + 0.25 - 1.5 = 0.25 net long: the vault sells exactly that
    expect(await vaultSize()).toBe(before - DAI('0.25'));
    const vaultFill = f.find((x) => x.account.toLowerCase() === vault.toLowerCase());
    expect(vaultFill?.sizeDelta).toBe(-DAI('0.25'));
  });

  it('a reduce-only close larger than the position fills, clamped to the position', async () => {
    const ch = clearingHouseContract(running.clients, perp.clearingHouse);
    const held = (await ch.read.position([users[2]!.address, ETH])).size;
    expect(held).toBeGreaterThan(0n);
    const close = await signed(users[2]!, {
      market: ETH,
      sizeDelta: -(held + DAI('1')),
      limitPrice: DAI('2800'),
      reduceOnly: true,
      partiallyFillable: false,
    });
    const { receipt } = await solveAndSettle([close]);
    expect((await ch.read.position([users[2]!.address, ETH])).size).toBe(0n);
    const f = fills(receipt);
    expect(f.find((x) => x.account.toLowerCase() === users[2]!.address.toLowerCase())?.sizeDelta).toBe(-held);
    expect(f.find((x) => x.account.toLowerCase() === vault.toLowerCase())?.sizeDelta).toBe(held);
  });

  it("a market maker's own signed quote beats the vault's: the long fills against the maker, the vault is untouched", async () => {
    const before = await vaultSize();
    const ask = await running.clients.publicClient.readContract({
      address: vault,
      abi: perpVaultAbi,
      functionName: 'quote',
      args: [ETH, -DAI('0.6')],
    });
    const maker = users[1]!;
    // the maker sells 0.6 at 1 DAI under the vault's ask; the user would pay up to 3,100
    const quote = await signed(maker, {
      market: ETH,
      sizeDelta: -DAI('0.6'),
      limitPrice: ask - DAI('1'),
      reduceOnly: false,
      partiallyFillable: false,
    });
    const long = await signed(users[3]!, {
      market: ETH,
      sizeDelta: DAI('0.6'),
      limitPrice: DAI('3100'),
      reduceOnly: false,
      partiallyFillable: false,
    });
    const { solution, receipt } = await solveAndSettle([long], [quote]);
    expect(solution.liquidity?.map((l) => l.intent.account)).toEqual([maker.address]);
    expect(solution.marketPrices[0]!.price).toBeLessThan(ask);
    expect(await vaultSize()).toBe(before);
    const f = fills(receipt);
    expect(f.find((x) => x.account.toLowerCase() === maker.address.toLowerCase())?.sizeDelta).toBe(-DAI('0.6'));
  });

  it('a vault fill priced better for traders than its curve reverts the whole batch', async () => {
    const long = await signed(users[3]!, {
      market: ETH,
      sizeDelta: DAI('0.5'),
      limitPrice: DAI('3100'),
      reduceOnly: false,
      partiallyFillable: false,
    });
    const { clients, devnet } = running;
    const domain = intentDomain(devnet.chainId, devnet.settlement.settlement);
    const id = intentDigest(long, domain);
    const block = await clients.publicClient.getBlock();
    const ask = await clients.publicClient.readContract({
      address: vault,
      abi: perpVaultAbi,
      functionName: 'quote',
      args: [ETH, -DAI('0.5')],
    });
    // one wei below the vault's ask: the vault's EIP-1271 check refuses, so settle reverts
    const price = ask - 1n;
    const solution: Solution = {
      auctionId: auctionId++,
      solver: devnet.solver.address,
      prices: [],
      marketPrices: [{ market: ETH, price }],
      trades: [{ intentId: id, executed: DAI('0.5') }],
      liquidity: [
        vaultLiquidity(
          vault,
          { market: ETH, sizeDelta: -DAI('0.5'), limitPrice: price },
          { auctionId: 1n, index: 0, now: Number(block.timestamp) },
        ),
      ],
      interactions: [],
    };
    await expect(settle(solution, new Map([[id, long]]))).rejects.toThrow();
    // at the ask itself the same batch settles
    const ok: Solution = {
      ...solution,
      marketPrices: [{ market: ETH, price: ask }],
      liquidity: [
        vaultLiquidity(
          vault,
          { market: ETH, sizeDelta: -DAI('0.5'), limitPrice: ask },
          { auctionId: 2n, index: 0, now: Number(block.timestamp) },
        ),
      ],
    };
    const receipt = await settle(ok, new Map([[id, long]]));
    expect(receipt.status).toBe('success');
  });
});
