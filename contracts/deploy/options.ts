// The options' volatility feed: VolatilityFeed (contracts/src/options/VolatilityFeed.sol), which
// holds one implied-vol surface per perp market id, published whole by a feeder. Surfaces are
// checked off chain with the contract's own rules (protocol/options/vol-surface.ts) before a
// publish is sent, so a bad grid fails here with the contract's error name instead of as a revert.
import { getContract, type Address, type TransactionReceipt } from 'viem';
import { validateSurface, validBounds, validMaxAge, type VolBounds, type VolSurface } from '../../protocol/options/vol-surface.ts';
import { volatilityFeedAbi, volatilityFeedBytecode } from '../artifacts/VolatilityFeed.ts';
import { confirm, deploy, type DevnetClients, type DevnetWalletClient } from './clients.ts';

export type VolatilityFeedOptions = {
  /** Sets feeder, max age and bounds (hand it to the Timelock for production). Default: the deployer. */
  owner?: Address;
  /** The only address that may publish surfaces. */
  feeder: Address;
  /** Seconds a surface stays fresh, in [MIN_MAX_AGE, MAX_MAX_AGE] (1 minute to 1 day). */
  maxAge: bigint;
  bounds: VolBounds;
};

/** Vols 5% to 500% a year on grids up to the contract's 8 tenors x 16 nodes. */
export const defaultVolBounds: VolBounds = { minVol: 5n * 10n ** 16n, maxVol: 5n * 10n ** 18n, maxTenors: 8, maxNodes: 16 };

export async function deployVolatilityFeed(clients: DevnetClients, options: VolatilityFeedOptions): Promise<Address> {
  if (!validBounds(options.bounds)) throw new Error('volatility feed bounds would be refused (InvalidBounds)');
  if (!validMaxAge(options.maxAge)) throw new Error(`volatility feed max age ${options.maxAge}s would be refused (InvalidMaxAge)`);
  const b = options.bounds;
  return deploy(clients, volatilityFeedAbi, volatilityFeedBytecode, [
    options.owner ?? clients.deployer.account.address,
    options.feeder,
    options.maxAge,
    { minVol: b.minVol, maxVol: b.maxVol, maxTenors: b.maxTenors, maxNodes: b.maxNodes },
  ]);
}

export function volatilityFeedContract(clients: DevnetClients, address: Address, wallet: DevnetWalletClient = clients.deployer) {
  return getContract({ address, abi: volatilityFeedAbi, client: { public: clients.publicClient, wallet } });
}

/** The feed's current bounds, as the publish checks use them. */
export async function readVolBounds(clients: DevnetClients, feed: Address): Promise<VolBounds> {
  const b = await clients.publicClient.readContract({ address: feed, abi: volatilityFeedAbi, functionName: 'bounds' });
  return { minVol: b.minVol, maxVol: b.maxVol, maxTenors: b.maxTenors, maxNodes: b.maxNodes };
}

/** `market`'s published surface and its publish time (empty arrays and 0n when none). */
export async function readSurface(clients: DevnetClients, feed: Address, market: bigint): Promise<VolSurface & { publishedAt: bigint }> {
  const [tenors, nodes, vols, publishedAt] = await clients.publicClient.readContract({
    address: feed,
    abi: volatilityFeedAbi,
    functionName: 'surface',
    args: [market],
  });
  return { tenors, nodes, vols, publishedAt };
}

/**
 * Publishes `surface` for `market` as `feeder` (default the deployer), after checking it against
 * the feed's current bounds with the contract's rules; throws with the error the contract would
 * revert with instead of sending a doomed transaction.
 */
export async function publishSurface(
  clients: DevnetClients,
  feed: Address,
  market: bigint,
  surface: VolSurface,
  feeder: DevnetWalletClient = clients.deployer,
): Promise<TransactionReceipt> {
  const refused = validateSurface(surface, await readVolBounds(clients, feed));
  if (refused)
    throw new Error(`volatility surface refused: ${JSON.stringify(refused, (_, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
  return confirm(
    clients.publicClient,
    feeder.writeContract({
      address: feed,
      abi: volatilityFeedAbi,
      functionName: 'publish',
      args: [market, [...surface.tenors], [...surface.nodes], [...surface.vols]],
    }),
  );
}
