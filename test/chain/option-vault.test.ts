// The options vault as the counterparty of a lone wallet, on the devnet deployed exactly as
// `npm start` deploys it (deployAll: the vault is seeded and owned by the timelock): a wallet's
// signed option intent (buy a call) fills against the vault in one Settlement.settle at the vault's
// quote, and the TypeScript quote (protocol/options/option-vault.ts) equals the contract's to the
// wei, read once from the chain state and priced off chain for any size.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashTypedData, keccak256, parseEventLogs, parseEther, parseUnits, toHex, type Address, type Hex, type LocalAccount } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { clearingHouseAbi } from '../../contracts/artifacts/ClearingHouse.ts';
import { optionBookAbi } from '../../contracts/artifacts/OptionBook.ts';
import { optionSeriesAbi } from '../../contracts/artifacts/OptionSeries.ts';
import { optionVaultAbi } from '../../contracts/artifacts/OptionVault.ts';
import { settlementAbi } from '../../contracts/artifacts/Settlement.ts';
import { testTokenAbi } from '../../contracts/artifacts/TestToken.ts';
import { volatilityFeedAbi } from '../../contracts/artifacts/VolatilityFeed.ts';
import { encodeOptionBatch, encodeOptionTrade, optionSourceSignature, signOptionIntent } from '../../contracts/client/options.ts';
import { spotBatch } from '../../contracts/client/settlement.ts';
import { startAnvil, type Anvil } from '../../contracts/deploy/anvil.ts';
import { confirm, devnetClients, type DevnetClients } from '../../contracts/deploy/clients.ts';
import { depositCollateral } from '../../contracts/deploy/perp.ts';
import { deployAll, type Deployment } from '../../devnet/deployment.ts';
import { intentDomain, optionIntentTypes } from '../../protocol/eip712.ts';
import type { OptionIntent } from '../../protocol/intent.ts';
import {
  optionVaultExposure,
  optionVaultHedgeQuote,
  optionVaultQuote,
  type OptionVaultParams,
  type OptionVaultState,
  type SeriesTerms,
} from '../../protocol/options/option-vault.ts';

const DAI = (n: string): bigint => parseUnits(n, 18);
const ETH = 1;

let anvil: Anvil;
let clients: DevnetClients;
let d: Deployment;
let vault: Address;
let alice: LocalAccount;
let call: SeriesTerms;
let put: SeriesTerms;

beforeAll(async () => {
  anvil = await startAnvil();
  clients = devnetClients(anvil.rpcUrl, anvil.chainId);
  d = await deployAll(clients, clients.accounts[3]!);
  vault = d.optionVault!;
  alice = privateKeyToAccount(keccak256(toHex('option-vault-alice')));
  await confirm(clients.publicClient, clients.deployer.sendTransaction({ to: alice.address, value: parseEther('1') }));
  await confirm(
    clients.publicClient,
    clients.deployer.writeContract({ address: d.tokens.dai, abi: testTokenAbi, functionName: 'mint', args: [alice.address, DAI('20000')] }),
  );
  await depositCollateral(clients, d.clearingHouse, d.tokens.dai, alice, DAI('20000'));
  // the 30-day at-the-money call and put on ETH (devnet/option-listing.ts)
  const ids: bigint[] = await read(d.optionSeries!, optionSeriesAbi, 'liveSeries', [ETH]);
  const all = await Promise.all(ids.map(async (id) => ({ id, s: await read(d.optionSeries!, optionSeriesAbi, 'series', [id]) })));
  const atm = all.filter(({ s }) => s.strike === DAI('3000'));
  const latest = atm.reduce((a, b) => (b.s.expiry > a.s.expiry ? b : a)).s.expiry;
  const pick = (isCall: boolean): SeriesTerms => {
    const x = atm.find(({ s }) => s.expiry === latest && s.isCall === isCall)!;
    return { id: x.id, strike: x.s.strike, expiry: x.s.expiry, isCall };
  };
  call = pick(true);
  put = pick(false);
}, 300_000);

afterAll(async () => {
  await anvil?.stop();
});

/** readContract at an optional block, loosely typed: this file reads several contracts' views. */
async function read(address: Address, abi: any, functionName: string, args: readonly unknown[], blockNumber?: bigint): Promise<any> {
  return clients.publicClient.readContract({ address, abi, functionName, args, ...(blockNumber === undefined ? {} : { blockNumber }) });
}

/** Everything the TS quote needs, read once at `blockNumber`. */
async function vaultState(blockNumber: bigint): Promise<{ params: OptionVaultParams; state: OptionVaultState }> {
  const block = await clients.publicClient.getBlock({ blockNumber });
  const [mark] = await read(d.clearingHouse, clearingHouseAbi, 'markPrice', [ETH], blockNumber);
  const position = await read(d.clearingHouse, clearingHouseAbi, 'position', [vault, ETH], blockNumber);
  const held: bigint[] = await read(d.optionBook!, optionBookAbi, 'seriesOf', [vault], blockNumber);
  const legs = [];
  for (const id of held) {
    const s = await read(d.optionSeries!, optionSeriesAbi, 'series', [id], blockNumber);
    if (s.market !== ETH) continue;
    const size = await read(d.optionBook!, optionBookAbi, 'positionOf', [vault, id], blockNumber);
    legs.push({ id, strike: s.strike, expiry: s.expiry, isCall: s.isCall, size });
  }
  const [tenors, nodes, vols] = await read(d.volatilityFeed!, volatilityFeedAbi, 'surface', [BigInt(ETH)], blockNumber);
  const params = await read(vault, optionVaultAbi, 'underlyingParams', [ETH], blockNumber);
  return {
    params,
    state: { now: block.timestamp, mark, perpSize: position.size, legs, heldSeries: held.length, surface: { tenors, nodes, vols } },
  };
}

async function chainQuote(series: bigint, size: bigint, blockNumber: bigint): Promise<bigint | undefined> {
  try {
    return await read(vault, optionVaultAbi, 'quote', [series, size], blockNumber);
  } catch {
    return undefined;
  }
}

/** Mines an empty block at `timestamp` and returns its number. */
async function mineAt(timestamp: bigint): Promise<bigint> {
  await clients.publicClient.request({ method: 'evm_setNextBlockTimestamp' as never, params: [`0x${timestamp.toString(16)}`] as never });
  await clients.publicClient.request({ method: 'evm_mine' as never, params: [] as never });
  return clients.publicClient.getBlockNumber();
}

async function expectMirrorEqualsChain(blockNumber: bigint): Promise<number> {
  const { params, state } = await vaultState(blockNumber);
  let compared = 0;
  for (const series of [call, put])
    for (const size of [DAI('-250'), DAI('-20'), DAI('-1'), DAI('-0.01'), DAI('0.01'), DAI('1'), DAI('20'), DAI('250')]) {
      const onChain = await chainQuote(series.id, size, blockNumber);
      expect(optionVaultQuote(params, state, series, size), `series ${series.id} size ${size}`).toBe(onChain);
      if (onChain !== undefined) compared++;
    }
  const [netDelta, netVega]: [bigint, bigint] = await read(vault, optionVaultAbi, 'exposure', [ETH], blockNumber);
  expect(optionVaultExposure(state)).toEqual({ netDelta, netVega });
  // the hedge rule: which perp fills are hedges, and their limit bound
  for (const size of [DAI('-1'), DAI('0.5'), -netDelta, -netDelta + params.hedgeTolerance + 1n]) {
    if (size === 0n) continue;
    let onChain: bigint | undefined;
    try {
      onChain = await read(vault, optionVaultAbi, 'hedgeQuote', [ETH, size], blockNumber);
    } catch {
      onChain = undefined;
    }
    expect(optionVaultHedgeQuote(params, state, size), `hedge ${size}`).toBe(onChain);
  }
  return compared;
}

describe('options vault on the devnet', () => {
  it('is deployed by deployAll: seeded, owned by the timelock, quoting ETH', async () => {
    expect(await read(vault, optionVaultAbi, 'owner', [])).toBe(d.timelock);
    expect(await read(vault, optionVaultAbi, 'totalAssets', [])).toBe(DAI('1000000'));
    expect((await read(vault, optionVaultAbi, 'underlyingParams', [ETH])).enabled).toBe(true);
  });

  it("the TS quote equals the chain's to the wei, flat and after a fill", async () => {
    const now = (await clients.publicClient.getBlock()).timestamp;
    const compared = await expectMirrorEqualsChain(await mineAt(now + 1n));
    // the 250-contract sizes pass the 200-contract limit: refused on both sides, not compared
    expect(compared).toBe(12);
  });

  it("a lone wallet's intent to buy a call fills against the vault in one settle at the vault's quote", async () => {
    const settlement = d.settlement;
    const size = DAI('2');
    // the solver prices the vault off chain for the next block's time, from one read of its state
    const t0 = (await clients.publicClient.getBlock()).timestamp;
    const { params, state } = await vaultState(await clients.publicClient.getBlockNumber());
    const t1 = t0 + 5n;
    const premium = optionVaultQuote(params, { ...state, now: t1 }, call, -size)!;
    expect(premium).toBeGreaterThan(DAI('100'));

    const buy: OptionIntent = {
      account: alice.address,
      series: call.id,
      size,
      premiumLimit: premium,
      reduceOnly: false,
      partiallyFillable: false,
      validTo: Number(t1 + 600n),
      nonce: 1n,
    };
    const vaultIntent: OptionIntent = { ...buy, account: vault, size: -size, nonce: 77n };
    const vaultSignature: Hex = encodeVaultSignature(call.id, -size, premium, vaultIntent.validTo, vaultIntent.nonce);
    const ids = [call.id];
    const batch = {
      ...spotBatch({ auctionId: 1n, tokens: [], clearingPrices: [], trades: [], interactions: [] }),
      options: encodeOptionBatch({
        series: ids,
        premiums: [premium],
        trades: [
          encodeOptionTrade(ids, buy, await signOptionIntent(alice, d.chainId, settlement, buy)),
          encodeOptionTrade(ids, vaultIntent, vaultSignature, { eip1271: true }),
        ],
      }),
    };
    const collateralBefore = await read(d.clearingHouse, clearingHouseAbi, 'collateral', [alice.address]);
    await clients.publicClient.request({ method: 'evm_setNextBlockTimestamp' as never, params: [`0x${t1.toString(16)}`] as never });
    const solver = clients.walletFor(clients.accounts[1]!);
    const receipt = await confirm(
      clients.publicClient,
      solver.writeContract({ address: settlement, abi: settlementAbi, functionName: 'settle', args: [batch], gas: 5_000_000n }),
    );
    expect(receipt.status).toBe('success');
    console.log(`settle of a lone option intent against the options vault: ${receipt.gasUsed} gas`);
    expect(await read(d.optionBook!, optionBookAbi, 'positionOf', [alice.address, call.id])).toBe(size);
    expect(await read(d.optionBook!, optionBookAbi, 'positionOf', [vault, call.id])).toBe(-size);
    const filled = parseEventLogs({ abi: optionBookAbi, logs: receipt.logs, eventName: 'OptionFilled' });
    expect(filled.map((e) => e.args.premium)).toEqual([premium, premium]);
    const cash = (premium * size + DAI('1') - 1n) / DAI('1');
    const fee = (cash * 10n ** 15n + DAI('1') - 1n) / DAI('1'); // the book's 0.1%
    expect(await read(d.clearingHouse, clearingHouseAbi, 'collateral', [alice.address])).toBe(collateralBefore - cash - fee);
    // one wei under the vault's own quote at that time is not signed
    const validTo = vaultIntent.validTo;
    const digestOf = (limit: bigint) => optionDigestFor(call.id, -size, limit, validTo, 78n);
    const quoteNow = await read(vault, optionVaultAbi, 'quote', [call.id, -size]);
    expect(
      await read(vault, optionVaultAbi, 'isValidSignature', [
        await digestOf(quoteNow),
        encodeVaultSignature(call.id, -size, quoteNow, validTo, 78n),
      ]),
    ).toBe('0x1626ba7e');
    expect(
      await read(vault, optionVaultAbi, 'isValidSignature', [
        await digestOf(quoteNow - 1n),
        encodeVaultSignature(call.id, -size, quoteNow - 1n, validTo, 78n),
      ]),
    ).toBe('0xffffffff');
    // with the vault short calls, the mirror still matches (exposure, skew, limits, hedges)
    const now = (await clients.publicClient.getBlock()).timestamp;
    const blockNumber = await mineAt(now + 1n);
    await expectMirrorEqualsChain(blockNumber);
    const { params: p, state: s } = await vaultState(blockNumber);
    const { netDelta } = optionVaultExposure(s);
    expect(netDelta).toBeLessThan(-p.hedgeTolerance);
    expect(optionVaultHedgeQuote(p, s, -netDelta)).toBe((s.mark * (DAI('1') + p.hedgeBand)) / DAI('1'));
  });
});

async function optionDigestFor(series: bigint, size: bigint, limit: bigint, validTo: number, nonce: bigint): Promise<Hex> {
  return hashTypedData({
    domain: intentDomain(d.chainId, d.settlement),
    types: optionIntentTypes,
    primaryType: 'OptionIntent',
    message: { account: vault, series, size, premiumLimit: limit, reduceOnly: false, partiallyFillable: false, validTo, nonce },
  });
}

function encodeVaultSignature(series: bigint, size: bigint, premiumLimit: bigint, validTo: number, nonce: bigint): Hex {
  return optionSourceSignature({ series, size, premiumLimit, validTo, nonce });
}
