// The option series registry: OptionSeries (contracts/src/options/OptionSeries.sol), which lists
// European calls and puts on the clearing house's markets and settles them at the first feed round
// at or after expiry. `listSeries` checks the listing bounds against the chain first, so a doomed
// listing fails here with the contract's error name instead of as a revert; `settleSeries` finds
// the settlement round itself when none is given.
import { encodeFunctionData, getContract, parseEventLogs, type Address, type Hex, type TransactionReceipt } from 'viem';
import { aggregatorV3InterfaceAbi } from '../artifacts/AggregatorV3Interface.ts';
import { clearingHouseAbi } from '../artifacts/ClearingHouse.ts';
import { optionSeriesAbi, optionSeriesBytecode } from '../artifacts/OptionSeries.ts';
import { confirm, deploy, type DevnetClients, type DevnetWalletClient } from './clients.ts';

/** The contract's listing bounds (OptionSeries constants). */
export const OPTION_SERIES_BOUNDS = {
  minTimeToExpiry: 3600n,
  maxTimeToExpiry: 365n * 86400n,
  minStrike: 10n ** 9n,
  maxStrike: 10n ** 36n,
  maxMoneyness: 4n,
  maxLiveSeries: 64,
} as const;

export type SeriesTerms = {
  market: number;
  /** Collateral units per 1e18 of the underlying (the clearing house's price unit). */
  strike: bigint;
  /** Unix seconds. */
  expiry: bigint;
  isCall: boolean;
};

export type SeriesState = SeriesTerms & {
  feed: Address;
  multiplier: bigint;
  divisor: bigint;
  /** 0n until settled. */
  settlementRound: bigint;
  settlementPrice: bigint;
};

export async function deployOptionSeries(clients: DevnetClients, options: { clearingHouse: Address; owner?: Address }): Promise<Address> {
  return deploy(clients, optionSeriesAbi, optionSeriesBytecode, [options.owner ?? clients.deployer.account.address, options.clearingHouse]);
}

export function optionSeriesContract(clients: DevnetClients, address: Address, wallet: DevnetWalletClient = clients.deployer) {
  return getContract({ address, abi: optionSeriesAbi, client: { public: clients.publicClient, wallet } });
}

/**
 * The error OptionSeries.list would revert with for `terms` at time `now` and oracle mark `mark`
 * (fresh or not), or undefined when the bounds hold. Duplicates and the live-series cap are
 * checked on chain by `listSeries`.
 */
export function listingRefusal(terms: SeriesTerms, now: bigint, mark: bigint, fresh: boolean): string | undefined {
  const b = OPTION_SERIES_BOUNDS;
  if (terms.expiry < now + b.minTimeToExpiry || terms.expiry > now + b.maxTimeToExpiry) return 'ExpiryOutOfRange';
  if (!fresh || mark === 0n) return 'StaleMark';
  const k = terms.strike;
  if (k < b.minStrike || k > b.maxStrike || k * b.maxMoneyness < mark || k > mark * b.maxMoneyness) return 'StrikeOutOfRange';
  return undefined;
}

/** The calldata of `list(terms)`: what a Timelock schedules (contracts/deploy/timelock.ts `scheduleCall`). */
export const listSeriesCalldata = (t: SeriesTerms): Hex =>
  encodeFunctionData({ abi: optionSeriesAbi, functionName: 'list', args: [t.market, t.strike, t.expiry, t.isCall] });

/**
 * Lists a series as `owner` (default the deployer; a registry held by the Timelock is listed with
 * `listSeriesCalldata` instead), after checking the bounds against the latest block, the clearing
 * house's mark and the registry's existing series. Returns the new id.
 */
export async function listSeries(
  clients: DevnetClients,
  registry: Address,
  terms: SeriesTerms,
  owner: DevnetWalletClient = clients.deployer,
): Promise<{ seriesId: bigint; receipt: TransactionReceipt }> {
  const pc = clients.publicClient;
  const clearingHouse = await pc.readContract({ address: registry, abi: optionSeriesAbi, functionName: 'clearingHouse' });
  const [, , , listed] = await pc.readContract({
    address: clearingHouse,
    abi: clearingHouseAbi,
    functionName: 'marketState',
    args: [terms.market],
  });
  // (markPrice reverts for an unlisted market: its feed is the zero address)
  if (!listed) throw new Error(`option series refused: MarketNotListed(${terms.market})`);
  const [[mark, fresh], block, existing] = await Promise.all([
    pc.readContract({ address: clearingHouse, abi: clearingHouseAbi, functionName: 'markPrice', args: [terms.market] }),
    pc.getBlock(),
    pc.readContract({
      address: registry,
      abi: optionSeriesAbi,
      functionName: 'seriesIdOf',
      args: [terms.market, terms.strike, terms.expiry, terms.isCall],
    }),
  ]);
  if (existing !== 0n) throw new Error(`option series refused: SeriesExists(${existing})`);
  // The next block is at least a second later: check against that, so a bound met only now fails here.
  const refused = listingRefusal(terms, block.timestamp + 1n, mark, fresh);
  if (refused) throw new Error(`option series refused: ${refused} (mark ${mark}, fresh ${fresh}, block time ${block.timestamp})`);
  const receipt = await confirm(
    pc,
    owner.writeContract({
      address: registry,
      abi: optionSeriesAbi,
      functionName: 'list',
      args: [terms.market, terms.strike, terms.expiry, terms.isCall],
    }),
  );
  const [event] = parseEventLogs({ abi: optionSeriesAbi, eventName: 'SeriesListed', logs: receipt.logs });
  if (!event) throw new Error('list mined without a SeriesListed event');
  return { seriesId: event.args.seriesId, receipt };
}

export async function readSeries(clients: DevnetClients, registry: Address, seriesId: bigint): Promise<SeriesState> {
  const s = await clients.publicClient.readContract({ address: registry, abi: optionSeriesAbi, functionName: 'series', args: [seriesId] });
  return {
    market: s.market,
    strike: s.strike,
    expiry: s.expiry,
    isCall: s.isCall,
    feed: s.feed,
    multiplier: s.multiplier,
    divisor: s.divisor,
    settlementRound: s.settlementRound,
    settlementPrice: s.settlementPrice,
  };
}

/**
 * The first round of `feed` published at or after `expiry`, walking back from the latest round
 * within its phase (round ids (phase << 64) | n; a devnet feed has phase 0). Undefined when no
 * round is at or after expiry yet. Throws when the walk reaches the start of a phase without a
 * round before expiry: \`settle\` cannot prove a phase's first round (PhaseStartRound); governance
 * settles such a series with \`settleAtPhaseStart\` a day after expiry.
 */
export async function findSettlementRound(clients: DevnetClients, feed: Address, expiry: bigint): Promise<bigint | undefined> {
  const pc = clients.publicClient;
  const read = async (id: bigint) =>
    (await pc.readContract({ address: feed, abi: aggregatorV3InterfaceAbi, functionName: 'getRoundData', args: [id] }))[3];
  const [latest, , , latestUpdatedAt] = await pc.readContract({
    address: feed,
    abi: aggregatorV3InterfaceAbi,
    functionName: 'latestRoundData',
  });
  if (latestUpdatedAt < expiry) return undefined;
  const phaseStart = (latest >> 64n) << 64n;
  let id = latest;
  while (id - 1n > phaseStart) {
    if ((await read(id - 1n)) < expiry) return id;
    id -= 1n;
  }
  if (phaseStart === 0n && id === 1n) return id; // round 1 of a feed without phases
  throw new Error(
    `the first round at or after ${expiry} opens phase ${latest >> 64n}: not provable on chain (PhaseStartRound): governance settles it with settleAtPhaseStart`,
  );
}

/** Settles an expired series (anyone may) at `roundId`, or at the round `findSettlementRound` finds. */
export async function settleSeries(
  clients: DevnetClients,
  registry: Address,
  seriesId: bigint,
  roundId?: bigint,
  caller: DevnetWalletClient = clients.deployer,
): Promise<{ roundId: bigint; settlementPrice: bigint; receipt: TransactionReceipt }> {
  const s = await readSeries(clients, registry, seriesId);
  if (s.expiry === 0n) throw new Error(`option series ${seriesId} is not listed`);
  const round = roundId ?? (await findSettlementRound(clients, s.feed, s.expiry));
  if (round === undefined) throw new Error(`option series ${seriesId}: no feed round at or after expiry ${s.expiry} yet`);
  const receipt = await confirm(
    clients.publicClient,
    caller.writeContract({ address: registry, abi: optionSeriesAbi, functionName: 'settle', args: [seriesId, round] }),
  );
  return { roundId: round, settlementPrice: (await readSeries(clients, registry, seriesId)).settlementPrice, receipt };
}

/** The payoff of 1e18 contracts of a settled series, in collateral units. */
export const seriesPayoff = (clients: DevnetClients, registry: Address, seriesId: bigint): Promise<bigint> =>
  clients.publicClient.readContract({ address: registry, abi: optionSeriesAbi, functionName: 'payoff', args: [seriesId] });
