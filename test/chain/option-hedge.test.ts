// The options vault's perp delta hedge through the solver's real code path on the devnet deployed
// as `npm start` deploys it (deployAll: PerpVault and OptionVault seeded, timelock-owned): a lone
// wallet's option intent fills against the options vault, the solver reads both vaults
// (infra/option-state.ts, infra/perp-state.ts), clears the option and adds the vault's hedge
// against the perp vault (domain/option-hedge.ts through solveAuction), the nodes' scoring rule
// accepts the solution, and the bundle (driver/bundle.ts) settles option fill and hedge in one
// transaction within the protocol's gas bound, leaving the vault's net delta (read from the chain)
// within its tolerance. The same batch without the hedge leaves it open; a hedge that overshoots
// zero by more than the tolerance, or is priced outside the hedge band, reverts the whole settle.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BaseError,
  ContractFunctionRevertedError,
  encodeAbiParameters,
  keccak256,
  parseEther,
  parseEventLogs,
  parseUnits,
  toHex,
  type Address,
  type Hex,
  type LocalAccount,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { clearingHouseAbi } from '../../contracts/artifacts/ClearingHouse.ts';
import { optionBookAbi } from '../../contracts/artifacts/OptionBook.ts';
import { optionSeriesAbi } from '../../contracts/artifacts/OptionSeries.ts';
import { optionVaultAbi } from '../../contracts/artifacts/OptionVault.ts';
import { settlementAbi } from '../../contracts/artifacts/Settlement.ts';
import { testTokenAbi } from '../../contracts/artifacts/TestToken.ts';
import { signOptionIntent } from '../../contracts/client/options.ts';
import { signPositionIntent } from '../../contracts/client/positions.ts';
import { startAnvil, type Anvil } from '../../contracts/deploy/anvil.ts';
import { confirm, devnetClients, type DevnetClients } from '../../contracts/deploy/clients.ts';
import { depositCollateral } from '../../contracts/deploy/perp.ts';
import { deployAll, type Deployment } from '../../devnet/deployment.ts';
import { solutionGas } from '../../protocol/batch-gas.ts';
import { intentDomain } from '../../protocol/eip712.ts';
import { intentDigest, domainSeparator } from '../../protocol/hash.ts';
import type { OptionIntent, PositionIntent, SignedIntent } from '../../protocol/intent.ts';
import { type Auction, PRICE_SCALE, scoreSolution } from '../../protocol/score.ts';
import type { LiquidityTrade, Solution } from '../../protocol/solution.ts';
import { verifySignedIntent } from '../../protocol/verify.ts';
import { type OptionClearingState, solveAuction } from '../../solver/domain/solve-auction.ts';
import { buildBatch } from '../../solver/driver/bundle.ts';
import { readOptionContracts, readOptionState } from '../../solver/infra/option-state.ts';
import { readPositionState, VAULT_QUOTE_MARGIN } from '../../solver/infra/perp-state.ts';
import { sourceLiquidity } from '../../solver/infra/source-liquidity.ts';

const DAI = (n: string): bigint => parseUnits(n, 18);
const ETH = 1;

let anvil: Anvil;
let clients: DevnetClients;
let d: Deployment;
let vault: Address;
let call: bigint;
/** Three other live ETH series: with `call`, the 4 the vault may hold. */
let others: bigint[] = [];
let tolerance: bigint;
const wallets: LocalAccount[] = [];

beforeAll(async () => {
  anvil = await startAnvil();
  clients = devnetClients(anvil.rpcUrl, anvil.chainId);
  d = await deployAll(clients, clients.accounts[3]!);
  vault = d.optionVault!;
  for (const name of ['alice', 'bob', 'carol']) {
    const w = privateKeyToAccount(keccak256(toHex(`option-hedge-${name}`)));
    await confirm(clients.publicClient, clients.deployer.sendTransaction({ to: w.address, value: parseEther('1') }));
    await confirm(
      clients.publicClient,
      clients.deployer.writeContract({ address: d.tokens.dai, abi: testTokenAbi, functionName: 'mint', args: [w.address, DAI('50000')] }),
    );
    await depositCollateral(clients, d.clearingHouse, d.tokens.dai, w, DAI('50000'));
    wallets.push(w);
  }
  // the 30-day at-the-money ETH call (devnet/option-listing.ts)
  const ids: readonly bigint[] = await read(d.optionSeries!, optionSeriesAbi, 'liveSeries', [ETH]);
  const all = await Promise.all(ids.map(async (id) => ({ id, s: await read(d.optionSeries!, optionSeriesAbi, 'series', [id]) })));
  const atm = all.filter(({ s }) => s.strike === DAI('3000') && s.isCall);
  call = atm.reduce((a, b) => (b.s.expiry > a.s.expiry ? b : a)).id;
  const latest = all.find(({ id }) => id === call)!.s.expiry;
  others = all
    .filter(({ id, s }) => id !== call && s.expiry === latest)
    .map(({ id }) => id)
    .slice(0, 3);
  tolerance = (await read(vault, optionVaultAbi, 'underlyingParams', [ETH])).hedgeTolerance;
}, 300_000);

afterAll(async () => {
  await anvil?.stop();
});

/** readContract at an optional block, loosely typed: this file reads several contracts' views. */
async function read(address: Address, abi: any, functionName: string, args: readonly unknown[], blockNumber?: bigint): Promise<any> {
  return clients.publicClient.readContract({ address, abi, functionName, args, ...(blockNumber === undefined ? {} : { blockNumber }) });
}

const exposure = async (blockNumber?: bigint): Promise<bigint> => (await read(vault, optionVaultAbi, 'exposure', [ETH], blockNumber))[0];
const abs = (x: bigint): bigint => (x < 0n ? -x : x);

async function optionIntent(w: LocalAccount, size: bigint, nonce: bigint, series = call): Promise<SignedIntent & { id: Hex }> {
  const now = Number((await clients.publicClient.getBlock()).timestamp);
  const intent: OptionIntent = {
    account: w.address,
    series,
    size,
    premiumLimit: DAI('1000'),
    reduceOnly: false,
    partiallyFillable: false,
    validTo: now + 3600,
    nonce,
  };
  const s: SignedIntent = {
    type: 'option',
    intent,
    signature: { scheme: 'eoa', data: await signOptionIntent(w, d.chainId, d.settlement, intent) },
  };
  return { ...s, id: intentDigest(s, intentDomain(d.chainId, d.settlement)).toLowerCase() as Hex };
}

/**
 * The solver's path for an auction of `intents` (solver-process.ts's, without the node): the
 * reads at the latest block, solveAuction, the vaults' fills as liquidity, the nodes' checks.
 * `hedge: false` solves as a solver without the hedge (the vault views dropped).
 */
async function solve(auctionId: bigint, intents: (SignedIntent & { id: Hex })[], hedge = true) {
  const block = await clients.publicClient.getBlock();
  const now = Number(block.timestamp);
  const auction: Auction = {
    id: auctionId,
    intents: new Map(intents.map((s) => [s.id, { id: s.id, intent: s }])),
    referencePrices: new Map([[d.tokens.dai.toLowerCase() as Address, PRICE_SCALE]]),
    collateralToken: d.tokens.dai.toLowerCase() as Address,
  };
  const contracts = await readOptionContracts(clients.publicClient, d.settlement);
  const read = await readOptionState(clients.publicClient, contracts, vault, auction, block.number!, now);
  const { vaultHedge, ...unhedged } = read;
  const optionState: OptionClearingState = hedge ? read : unhedged;
  const extra = [...(optionState.vaultHedge?.keys() ?? [])];
  const positionState = await readPositionState(
    clients.publicClient,
    d.clearingHouse,
    d.perpVault,
    auction,
    block.number!,
    VAULT_QUOTE_MARGIN,
    extra,
  );
  const result = solveAuction(
    auction,
    [],
    { settlement: d.settlement, solver: clients.accounts[1]!.address, now, strategy: 'baseline' },
    positionState,
    optionState,
  );
  const { liquidity, optionLiquidity } = sourceLiquidity(result, { perpVault: d.perpVault!, optionVault: vault, auctionId, now });
  const solution: Solution = {
    ...result.solution,
    ...(liquidity.length ? { liquidity } : {}),
    ...(optionLiquidity.length ? { optionLiquidity } : {}),
  };
  // the nodes' checks: the scoring rule, and own liquidity verified like an intent
  const scored = scoreSolution(solution, auction);
  expect(scored.ok, scored.ok ? '' : scored.error.reason).toBe(true);
  const rules = { now, domainSeparator: domainSeparator(intentDomain(d.chainId, d.settlement)) };
  for (const l of solution.liquidity ?? []) expect(verifySignedIntent({ type: 'position', ...l }, rules).ok).toBe(true);
  const bound = solutionGas(solution, new Set(), new Set(intents.map((s) => s.id)));
  const signed = new Map<Hex, SignedIntent>(intents.map((s) => [s.id, s]));
  return { result, solution, score: scored.ok ? scored.value.score : -1n, bound, signed };
}

async function settle(solution: Solution, signed: Map<Hex, SignedIntent>, gas: bigint) {
  return confirm(
    clients.publicClient,
    clients.walletFor(clients.accounts[1]!).writeContract({
      address: d.settlement,
      abi: settlementAbi,
      functionName: 'settle',
      args: [buildBatch(solution, signed)],
      gas,
    }),
  );
}

/** Why settle of the solution would revert now (eth_call as the solver): the error and its args; undefined when it would not. */
async function revertOf(
  solution: Solution,
  signed: Map<Hex, SignedIntent>,
): Promise<{ name: string; args: readonly unknown[] } | undefined> {
  try {
    await clients.publicClient.simulateContract({
      account: clients.accounts[1]!.address,
      address: d.settlement,
      abi: settlementAbi,
      functionName: 'settle',
      args: [buildBatch(solution, signed)],
    });
    return undefined;
  } catch (err) {
    const reverted = (err as BaseError).walk((e) => e instanceof ContractFunctionRevertedError);
    const data = reverted instanceof ContractFunctionRevertedError ? reverted.data : undefined;
    return { name: data?.errorName ?? 'unknown', args: data?.args ?? [] };
  }
}

describe("the options vault's perp hedge in the solver's batch, on the devnet", () => {
  let unhedgedGas = 0n;

  it('without the hedge, an option fill leaves the vault delta beyond its tolerance (the figure to compare)', async () => {
    const snapshot = (await clients.publicClient.request({ method: 'evm_snapshot' as never, params: [] as never })) as Hex;
    const buy = await optionIntent(wallets[0]!, DAI('4'), 1n);
    const { solution, bound, signed, result } = await solve(20n, [buy], false);
    expect(result.optionVaultHedges).toEqual([]);
    expect(solution.optionLiquidity).toHaveLength(1);
    const receipt = await settle(solution, signed, bound);
    expect(receipt.status).toBe('success');
    unhedgedGas = receipt.gasUsed;
    expect(abs(await exposure(receipt.blockNumber)) > tolerance).toBe(true);
    console.log(`option fill against the vault, no hedge: ${receipt.gasUsed} gas used, bound ${bound}`);
    await clients.publicClient.request({ method: 'evm_revert' as never, params: [snapshot] as never });
    expect(await read(d.optionBook!, optionBookAbi, 'positionOf', [vault, call])).toBe(0n);
  });

  it("a lone wallet's option intent and the vault's hedge settle in one transaction; the vault's delta ends within its tolerance", async () => {
    expect(await exposure()).toBe(0n);
    const buy = await optionIntent(wallets[0]!, DAI('4'), 1n);
    const { solution, bound, signed, result, score } = await solve(21n, [buy]);
    const [hedge] = result.optionVaultHedges;
    expect(hedge).toBeDefined();
    expect(hedge!.sizeDelta > tolerance).toBe(true); // 4 calls sold: about +2.2 ETH bought as the hedge
    // two position liquidity fills (the hedge and the perp vault's), no user position trade
    expect(solution.liquidity?.map((l) => l.intent.account.toLowerCase()).sort()).toEqual(
      [vault.toLowerCase(), d.perpVault!.toLowerCase()].sort(),
    );
    // the hedge earns nothing: the score is the option buyer's surplus alone
    const unhedged = scoreSolution(
      { ...solution, liquidity: [], marketPrices: [] },
      {
        id: 21n,
        intents: new Map([[buy.id, { id: buy.id, intent: buy }]]),
        referencePrices: new Map([[d.tokens.dai.toLowerCase() as Address, PRICE_SCALE]]),
        collateralToken: d.tokens.dai.toLowerCase() as Address,
      },
    );
    expect(unhedged.ok && unhedged.value.score).toBe(score);

    const receipt = await settle(solution, signed, bound);
    expect(receipt.status).toBe('success');
    expect(receipt.gasUsed).toBeLessThanOrEqual(bound);
    const options = parseEventLogs({ abi: settlementAbi, eventName: 'OptionTradeSettled', logs: receipt.logs });
    const positions = parseEventLogs({ abi: settlementAbi, eventName: 'PositionTradeSettled', logs: receipt.logs });
    expect(options.map((e) => [e.args.account.toLowerCase(), e.args.size])).toEqual([
      [wallets[0]!.address.toLowerCase(), DAI('4')],
      [vault.toLowerCase(), -DAI('4')],
    ]);
    const vaultFill = positions.find((e) => e.args.account.toLowerCase() === vault.toLowerCase());
    expect(vaultFill?.args.sizeDelta).toBe(hedge!.sizeDelta);
    expect(positions).toHaveLength(2);
    // read from the chain after the settle: the vault's perp position is the hedge, its delta within tolerance
    const position = await read(d.clearingHouse, clearingHouseAbi, 'position', [vault, ETH], receipt.blockNumber);
    expect(position.size).toBe(hedge!.sizeDelta);
    const after = await exposure(receipt.blockNumber);
    expect(abs(after) <= tolerance).toBe(true);
    console.log(
      `option fill + vault hedge (${hedge!.sizeDelta} ETH perp) in one settle: ${receipt.gasUsed} gas used (without the hedge ${unhedgedGas}), bound ${bound}; net delta after ${after}`,
    );
  });

  it('a hedge past zero by more than the tolerance, or priced outside the hedge band, reverts the settle; the exact one settles', async () => {
    // bob buys 4 more calls: the solver hedges them; carol, a maker, takes the vault's perp side
    // instead of the perp vault, so the only refusal left can be the options vault's
    const buy = await optionIntent(wallets[1]!, DAI('4'), 1n);
    const { solution, signed, result, bound } = await solve(22n, [buy]);
    const hedge = result.optionVaultHedges[0]!;
    expect(hedge).toBeDefined();
    const carol = wallets[2]!;
    const mark: bigint = (await read(d.clearingHouse, clearingHouseAbi, 'markPrice', [ETH]))[0];
    const now = Number((await clients.publicClient.getBlock()).timestamp);
    let nonce = 100n;
    const withCounterparty = async (size: bigint, price: bigint): Promise<Solution> => {
      const vaultSide = (solution.liquidity ?? []).find((l) => l.intent.account.toLowerCase() === vault.toLowerCase())!;
      const intent = { ...vaultSide.intent, sizeDelta: size, limitPrice: price };
      const data = encodeAbiParameters(
        [{ type: 'uint32' }, { type: 'int256' }, { type: 'uint256' }, { type: 'uint32' }, { type: 'uint256' }],
        [intent.market, intent.sizeDelta, intent.limitPrice, intent.validTo, intent.nonce],
      );
      const maker: PositionIntent = {
        account: carol.address,
        market: ETH,
        sizeDelta: -size,
        limitPrice: price,
        reduceOnly: false,
        partiallyFillable: false,
        validTo: now + 600,
        nonce: nonce++,
      };
      const liquidity: LiquidityTrade[] = [
        { intent, signature: { scheme: 'eip1271', data }, executed: abs(size) },
        {
          intent: maker,
          signature: { scheme: 'eoa', data: await signPositionIntent(carol, d.chainId, d.settlement, maker) },
          executed: abs(size),
        },
      ];
      return { ...solution, marketPrices: [{ market: ETH, price }], liquidity };
    };
    const overshoot = hedge.sizeDelta + tolerance + DAI('0.01');
    const refused = { name: 'InvalidEip1271Signature', args: [vault] };
    expect(await revertOf(await withCounterparty(overshoot, mark), signed)).toEqual(refused);
    const outsideBand = mark + (mark * 2n) / 100n; // 2% over the mark: inside the market's 5% deviation band, outside the vault's 1%
    expect(await revertOf(await withCounterparty(hedge.sizeDelta, outsideBand), signed)).toEqual(refused);
    expect(await revertOf(await withCounterparty(hedge.sizeDelta, mark), signed)).toBeUndefined();
    // the solver's own hedge against the maker at the mark settles
    const receipt = await settle(await withCounterparty(hedge.sizeDelta, mark), signed, bound);
    expect(receipt.status).toBe('success');
    expect(abs(await exposure(receipt.blockNumber)) <= tolerance).toBe(true);
  });

  it('with the vault and the buyer holding 4 series each, an option fill and its hedge stay within the gas bound', async () => {
    // alice buys three other series: the vault writes them (and hedges what they add up to); both
    // then hold 4 series, the most an account may, each priced in the batch's margin checks
    const buys = await Promise.all(others.map((series, k) => optionIntent(wallets[0]!, DAI('1'), 10n + BigInt(k), series)));
    const first = await solve(23n, buys);
    expect(first.solution.optionLiquidity).toHaveLength(3);
    const r1 = await settle(first.solution, first.signed, first.bound);
    expect(r1.status).toBe('success');
    expect(await read(d.optionBook!, optionBookAbi, 'seriesOf', [vault])).toHaveLength(4);
    expect(await read(d.optionBook!, optionBookAbi, 'seriesOf', [wallets[0]!.address])).toHaveLength(4);
    // the vault's delta pushed beyond its tolerance once more: 6 calls sold, the hedge bought
    const buy = await optionIntent(wallets[0]!, DAI('6'), 20n);
    const { solution, bound, signed, result } = await solve(24n, [buy]);
    expect(result.optionVaultHedges).toHaveLength(1);
    const receipt = await settle(solution, signed, bound);
    expect(receipt.status).toBe('success');
    expect(receipt.gasUsed).toBeLessThanOrEqual(bound);
    expect(abs(await exposure(receipt.blockNumber)) <= tolerance).toBe(true);
    console.log(`option fill + vault hedge, vault and buyer holding 4 series each: ${receipt.gasUsed} gas used, bound ${bound}`);
  });
});
