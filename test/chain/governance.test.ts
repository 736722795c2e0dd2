// Governance on the real devnet, deployed exactly as `npm start` deploys it (deployAll): once
// bootstrapped, Settlement and ClearingHouse (and through it the CollateralVault) are owned by the
// Timelock; the deployer, which bootstrapped everything, has no direct owner power left; and an
// owner call it schedules runs only after the timelock delay (anvil's clock moved with
// evm_increaseTime + evm_mine).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BaseError, ContractFunctionRevertedError, encodeFunctionData, getAddress, parseEther, zeroAddress, type Address } from 'viem';
import { clearingHouseAbi } from '../../contracts/artifacts/ClearingHouse.ts';
import { collateralVaultAbi } from '../../contracts/artifacts/CollateralVault.ts';
import { settlementAbi } from '../../contracts/artifacts/Settlement.ts';
import { timelockAbi } from '../../contracts/artifacts/Timelock.ts';
import { volatilityFeedAbi } from '../../contracts/artifacts/VolatilityFeed.ts';
import { circuitBreakerAbi } from '../../contracts/artifacts/CircuitBreaker.ts';
import { optionBookAbi } from '../../contracts/artifacts/OptionBook.ts';
import { DEFAULT_BREAKER_CONFIG } from '../../contracts/deploy/circuit-breaker.ts';
import { startAnvil, type Anvil } from '../../contracts/deploy/anvil.ts';
import { devnetClients, type DevnetClients } from '../../contracts/deploy/clients.ts';
import { defaultMarketConfig, deployPriceFeed } from '../../contracts/deploy/perp.ts';
import {
  DEVNET_TIMELOCK_DELAY,
  SLASH_REACTION_WINDOW,
  executeCall,
  increaseTime,
  increaseTimeTo,
  scheduleCall,
  timelockCallId,
  type TimelockCall,
} from '../../contracts/deploy/timelock.ts';
import { deployAll, type Deployment } from '../../devnet/deployment.ts';

let anvil: Anvil;
let clients: DevnetClients;
let deployment: Deployment;
let timelock: Address;
let deployer: Address;

beforeAll(async () => {
  anvil = await startAnvil();
  clients = devnetClients(anvil.rpcUrl, anvil.chainId);
  deployment = await deployAll(clients, clients.accounts[3]!);
  timelock = deployment.timelock!;
  deployer = clients.deployer.account.address;
});

afterAll(async () => {
  await anvil?.stop();
});

/** The custom error a call reverts with (undefined if it does not revert). */
async function revertName(call: Promise<unknown>): Promise<string | undefined> {
  try {
    await call;
    return undefined;
  } catch (error) {
    if (!(error instanceof BaseError)) throw error;
    const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
    if (reverted === null) throw error;
    return reverted.data?.errorName ?? reverted.reason ?? 'unknown revert';
  }
}

async function collateralVault(): Promise<Address> {
  return clients.publicClient.readContract({ address: deployment.clearingHouse, abi: clearingHouseAbi, functionName: 'collateralVault' });
}

describe('devnet governance', () => {
  it('the timelock owns Settlement, ClearingHouse and (through it) the CollateralVault', async () => {
    const read = clients.publicClient.readContract;
    expect(getAddress(timelock)).toBe(timelock);
    expect(await read({ address: deployment.settlement, abi: settlementAbi, functionName: 'owner' })).toBe(timelock);
    expect(await read({ address: deployment.settlement, abi: settlementAbi, functionName: 'pendingOwner' })).toBe(zeroAddress);
    expect(await read({ address: deployment.clearingHouse, abi: clearingHouseAbi, functionName: 'owner' })).toBe(timelock);
    expect(await read({ address: await collateralVault(), abi: collateralVaultAbi, functionName: 'clearingHouse' })).toBe(
      deployment.clearingHouse,
    );
    // bootstrap happened before the handover: markets, extra collateral, the Settlement link
    expect(await read({ address: deployment.clearingHouse, abi: clearingHouseAbi, functionName: 'marketCount' })).toBe(3n);
    expect(await read({ address: deployment.settlement, abi: settlementAbi, functionName: 'clearingHouse' })).toBe(
      deployment.clearingHouse,
    );
    expect(
      (
        await read({
          address: await collateralVault(),
          abi: collateralVaultAbi,
          functionName: 'collateralInfo',
          args: [deployment.tokens.wbtc],
        })
      ).listed,
    ).toBe(true);

    expect(await read({ address: timelock, abi: timelockAbi, functionName: 'admin' })).toBe(deployer);
    expect(deployment.governanceAdmin).toBe(deployer);
    const delay = await read({ address: timelock, abi: timelockAbi, functionName: 'delay' });
    expect(delay).toBe(DEVNET_TIMELOCK_DELAY);
    expect(deployment.timelockDelay).toBe(String(DEVNET_TIMELOCK_DELAY));
    // a solver exiting when a slash is announced is still bonded when it executes
    const unbonding = await read({ address: deployment.settlement, abi: settlementAbi, functionName: 'unbondingDelay' });
    expect(unbonding >= delay + SLASH_REACTION_WINDOW).toBe(true);
  });

  it('the deployer can no longer call any owner function directly', async () => {
    const account = clients.deployer.account;
    const sim = clients.publicClient.simulateContract;
    const config = { ...defaultMarketConfig, feed: deployment.feeds['1']! };
    const vault = await collateralVault();
    expect(
      await revertName(
        sim({ account, address: deployment.clearingHouse, abi: clearingHouseAbi, functionName: 'listMarket', args: [9, config] }),
      ),
    ).toBe('NotOwner');
    expect(
      await revertName(
        sim({ account, address: deployment.clearingHouse, abi: clearingHouseAbi, functionName: 'configureMarket', args: [1, config] }),
      ),
    ).toBe('NotOwner');
    expect(
      await revertName(
        sim({ account, address: deployment.clearingHouse, abi: clearingHouseAbi, functionName: 'setOwner', args: [deployer] }),
      ),
    ).toBe('NotOwner');
    expect(
      await revertName(
        sim({ account, address: deployment.clearingHouse, abi: clearingHouseAbi, functionName: 'setCollateralVault', args: [vault] }),
      ),
    ).toBe('NotOwner');
    const cc = { feed: deployment.feeds['1']!, heartbeat: 3600, haircut: 0n, depositCap: parseEther('1000000') };
    expect(
      await revertName(
        sim({ account, address: vault, abi: collateralVaultAbi, functionName: 'setCollateral', args: [deployment.tokens.weth, cc] }),
      ),
    ).toBe('NotOwner');
    expect(
      await revertName(
        sim({
          account,
          address: vault,
          abi: collateralVaultAbi,
          functionName: 'withdrawInsuranceCollateral',
          args: [deployment.tokens.wbtc, 0n, deployer],
        }),
      ),
    ).toBe('NotOwner');
    const solver = clients.accounts[1]!.address;
    expect(
      await revertName(
        sim({ account, address: deployment.settlement, abi: settlementAbi, functionName: 'slash', args: [solver, 1n, deployer] }),
      ),
    ).toBe('NotOwner');
    expect(
      await revertName(
        sim({ account, address: deployment.settlement, abi: settlementAbi, functionName: 'transferOwnership', args: [deployer] }),
      ),
    ).toBe('NotOwner');
    expect(
      await revertName(
        sim({
          account,
          address: deployment.settlement,
          abi: settlementAbi,
          functionName: 'setClearingHouse',
          args: [deployment.clearingHouse],
        }),
      ),
    ).toBe('NotOwner');
    // the volatility feed: the timelock owns it; the deployer cannot re-point its feeder; the
    // feeder (the price feeder's account) has published every market's surface
    const feed = deployment.volatilityFeed!;
    expect(await clients.publicClient.readContract({ address: feed, abi: volatilityFeedAbi, functionName: 'owner' })).toBe(timelock);
    expect(await revertName(sim({ account, address: feed, abi: volatilityFeedAbi, functionName: 'setFeeder', args: [deployer] }))).toBe(
      'NotOwner',
    );
    for (const m of deployment.markets) {
      const [tenors, , , publishedAt] = await clients.publicClient.readContract({
        address: feed,
        abi: volatilityFeedAbi,
        functionName: 'surface',
        args: [BigInt(m.id)],
      });
      expect(tenors.length).toBeGreaterThan(0);
      expect(publishedAt).toBeGreaterThan(0n);
    }
    // the circuit breaker: owned by the timelock, set on the clearing house, every market configured
    const breaker = deployment.circuitBreaker!;
    expect(await clients.publicClient.readContract({ address: breaker, abi: circuitBreakerAbi, functionName: 'owner' })).toBe(timelock);
    expect(
      await clients.publicClient.readContract({ address: deployment.clearingHouse, abi: clearingHouseAbi, functionName: 'circuitBreaker' }),
    ).toBe(breaker);
    for (const m of deployment.markets)
      expect(
        await clients.publicClient.readContract({ address: breaker, abi: circuitBreakerAbi, functionName: 'config', args: [m.id] }),
      ).toEqual(DEFAULT_BREAKER_CONFIG);
    expect(
      await revertName(
        sim({
          account,
          address: breaker,
          abi: circuitBreakerAbi,
          functionName: 'setConfig',
          args: [1, { maxMove: 0n, window: 0, cooldown: 0 }],
        }),
      ),
    ).toBe('NotOwner');
    expect(
      await revertName(
        sim({ account, address: deployment.clearingHouse, abi: clearingHouseAbi, functionName: 'setCircuitBreaker', args: [zeroAddress] }),
      ),
    ).toBe('NotOwner');
    // the option book: wired into the clearing house and the Settlement, owned by the timelock
    const book = deployment.optionBook!;
    expect(await clients.publicClient.readContract({ address: book, abi: optionBookAbi, functionName: 'owner' })).toBe(timelock);
    expect(
      await clients.publicClient.readContract({ address: deployment.clearingHouse, abi: clearingHouseAbi, functionName: 'optionBook' }),
    ).toBe(book);
    expect(
      await clients.publicClient.readContract({ address: deployment.settlement, abi: settlementAbi, functionName: 'optionBook' }),
    ).toBe(book);
    // nor change the timelock's admin without the delay
    expect(await revertName(sim({ account, address: timelock, abi: timelockAbi, functionName: 'setPendingAdmin', args: [deployer] }))).toBe(
      'NotSelf',
    );
  });

  it('a scheduled listMarket runs only after the timelock delay', async () => {
    const feed = await deployPriceFeed(clients, {
      owner: deployment.feeder,
      decimals: 8,
      description: 'AVAX / USD',
      answer: 30n * 10n ** 8n,
    });
    const call: TimelockCall = {
      target: deployment.clearingHouse,
      data: encodeFunctionData({ abi: clearingHouseAbi, functionName: 'listMarket', args: [4, { ...defaultMarketConfig, feed }] }),
    };
    const scheduledAt = (await clients.publicClient.getBlock()).timestamp;
    const { id, eta } = await scheduleCall(clients, timelock, call);
    expect(id).toBe(timelockCallId(call));
    expect(eta).toBeGreaterThan(scheduledAt);
    expect(eta - scheduledAt).toBeLessThanOrEqual(DEVNET_TIMELOCK_DELAY + 5n);
    expect(eta - scheduledAt).toBeGreaterThanOrEqual(DEVNET_TIMELOCK_DELAY);
    // announced on chain with everything users need to judge it
    const [scheduled] = await clients.publicClient.getContractEvents({
      address: timelock,
      abi: timelockAbi,
      eventName: 'CallScheduled',
      args: { id },
      fromBlock: 0n,
    });
    expect(scheduled?.args).toMatchObject({ id, target: deployment.clearingHouse, value: 0n, data: call.data, eta });

    const executor = clients.walletFor(clients.accounts[5]!); // anyone may execute
    const simulate = () =>
      clients.publicClient.simulateContract({
        account: executor.account,
        address: timelock,
        abi: timelockAbi,
        functionName: 'execute',
        args: [call.target, 0n, call.data, `0x${'0'.repeat(64)}`],
      });
    expect(await revertName(simulate())).toBe('NotReady');
    await increaseTime(clients, DEVNET_TIMELOCK_DELAY - 600n); // ten minutes short of the eta
    expect(await revertName(simulate())).toBe('NotReady');
    expect(
      await clients.publicClient.readContract({ address: deployment.clearingHouse, abi: clearingHouseAbi, functionName: 'marketCount' }),
    ).toBe(3n);

    await increaseTimeTo(clients, eta);
    await executeCall(clients, timelock, call, executor);
    expect(
      await clients.publicClient.readContract({ address: deployment.clearingHouse, abi: clearingHouseAbi, functionName: 'marketCount' }),
    ).toBe(4n);
    const listed = await clients.publicClient.readContract({
      address: deployment.clearingHouse,
      abi: clearingHouseAbi,
      functionName: 'marketConfig',
      args: [4],
    });
    expect(listed.feed).toBe(feed);
    expect(await clients.publicClient.readContract({ address: timelock, abi: timelockAbi, functionName: 'isDone', args: [id] })).toBe(true);
    expect(await revertName(simulate())).toBe('AlreadyExecuted');
  });
});
