// Governance on the devnet: the Timelock (contracts/src/governance/Timelock.sol) that owns
// Settlement, the ClearingHouse (and through it the CollateralVault), the PerpVault, the
// VolatilityFeed and the CircuitBreaker once the deployment is bootstrapped, and the helpers to
// use it: schedule a call, move anvil's clock past the delay, execute it. Every owner power then
// takes effect only `delay` seconds after it was announced.
import { encodeAbiParameters, getContract, keccak256, parseAbi, zeroHash, type Address, type Hex, type TransactionReceipt } from 'viem';
import { clearingHouseAbi } from '../artifacts/ClearingHouse.ts';
import { settlementAbi } from '../artifacts/Settlement.ts';
import { timelockAbi, timelockBytecode } from '../artifacts/Timelock.ts';
import { confirm, deploy, type DevnetClients, type DevnetWalletClient } from './clients.ts';

const DAY = 86_400n;

/** The contract's bounds (Timelock.MIN_DELAY / MAX_DELAY / GRACE_PERIOD). */
export const TIMELOCK_MIN_DELAY = DAY;
export const TIMELOCK_MAX_DELAY = 30n * DAY;
export const TIMELOCK_GRACE_PERIOD = 14n * DAY;

/** The devnet's timelock delay: two days between announcing an owner call and running it. */
export const DEVNET_TIMELOCK_DELAY = 2n * DAY;

/**
 * How much longer than the timelock delay the Settlement's unbonding delay must be: a solver that
 * requests exit the moment it misbehaves must still be bonded when a slash scheduled by governance
 * (which needs time to notice and decide) executes a full timelock delay later.
 */
export const SLASH_REACTION_WINDOW = DAY;

/** One timelocked call: `target.call{value}(data)`; `salt` tells identical calls apart. */
export type TimelockCall = { target: Address; data: Hex; value?: bigint; salt?: Hex };

export async function deployTimelock(clients: DevnetClients, options: { admin?: Address; delay?: bigint } = {}): Promise<Address> {
  const delay = options.delay ?? DEVNET_TIMELOCK_DELAY;
  if (delay < TIMELOCK_MIN_DELAY || delay > TIMELOCK_MAX_DELAY)
    throw new Error(`timelock delay ${delay}s is outside [${TIMELOCK_MIN_DELAY}, ${TIMELOCK_MAX_DELAY}]`);
  return deploy(clients, timelockAbi, timelockBytecode, [options.admin ?? clients.deployer.account.address, delay]);
}

export function timelockContract(clients: DevnetClients, address: Address, wallet: DevnetWalletClient = clients.deployer) {
  return getContract({ address, abi: timelockAbi, client: { public: clients.publicClient, wallet } });
}

/** The call's id, as the contract computes it: keccak256(abi.encode(target, value, data, salt)). */
export function timelockCallId(call: TimelockCall): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: 'address' }, { type: 'uint256' }, { type: 'bytes' }, { type: 'bytes32' }],
      [call.target, call.value ?? 0n, call.data, call.salt ?? zeroHash],
    ),
  );
}

const args = (call: TimelockCall) => [call.target, call.value ?? 0n, call.data, call.salt ?? zeroHash] as const;

/** Queues `call` (as the admin, default the deployer). Returns its id and eta (unix seconds). */
export async function scheduleCall(
  clients: DevnetClients,
  timelock: Address,
  call: TimelockCall,
  admin: DevnetWalletClient = clients.deployer,
): Promise<{ id: Hex; eta: bigint }> {
  await confirm(
    clients.publicClient,
    admin.writeContract({ address: timelock, abi: timelockAbi, functionName: 'schedule', args: args(call) }),
  );
  const id = timelockCallId(call);
  const eta = await clients.publicClient.readContract({ address: timelock, abi: timelockAbi, functionName: 'etaOf', args: [id] });
  return { id, eta };
}

/** Runs a scheduled call whose eta has come (anyone may; default the deployer). */
export async function executeCall(
  clients: DevnetClients,
  timelock: Address,
  call: TimelockCall,
  executor: DevnetWalletClient = clients.deployer,
): Promise<TransactionReceipt> {
  return confirm(
    clients.publicClient,
    executor.writeContract({ address: timelock, abi: timelockAbi, functionName: 'execute', args: args(call) }),
  );
}

/** anvil only: moves the chain's clock `seconds` ahead and mines a block stamped with it. */
export async function increaseTime(clients: DevnetClients, seconds: bigint): Promise<void> {
  await clients.publicClient.request({ method: 'evm_increaseTime' as never, params: [`0x${seconds.toString(16)}`] as never });
  await clients.publicClient.request({ method: 'evm_mine' as never, params: [] as never });
}

/** anvil only: moves the clock until the latest block's timestamp is at least `timestamp`. */
export async function increaseTimeTo(clients: DevnetClients, timestamp: bigint): Promise<void> {
  const now = (await clients.publicClient.getBlock()).timestamp;
  if (now < timestamp) await increaseTime(clients, timestamp - now);
}

/**
 * anvil only: schedules `call`, moves the clock to its eta and executes it. For tests and devnet
 * scripts that need an owner power after the handover; note that the jump makes every oracle
 * feed stale (heartbeats are an hour): publish fresh rounds before trading again.
 */
export async function scheduleAndExecute(clients: DevnetClients, timelock: Address, call: TimelockCall): Promise<TransactionReceipt> {
  const { eta } = await scheduleCall(clients, timelock, call);
  await increaseTimeTo(clients, eta);
  return executeCall(clients, timelock, call);
}

/** Throws unless a solver exiting when a slash is scheduled is still bonded when it executes. */
export function assertSlashWindow(unbondingDelay: bigint, timelockDelay: bigint): void {
  if (unbondingDelay < timelockDelay + SLASH_REACTION_WINDOW) {
    throw new Error(
      `Settlement unbonding delay ${unbondingDelay}s must be at least the timelock delay ${timelockDelay}s plus ${SLASH_REACTION_WINDOW}s: ` +
        'otherwise a solver can withdraw its bond before a scheduled slash executes',
    );
  }
}

/**
 * Hands the owner powers to `timelock`, from the deployer (the current owner):
 * Settlement in two steps (transferOwnership by the deployer, then the timelock's admin calls
 * `timelock.acceptOwnership`, which is not delayed), and the ClearingHouse with `setOwner` (one
 * step; the CollateralVault follows the clearing house's owner), the two-step contracts (PerpVault,
 * VolatilityFeed, CircuitBreaker, OptionSeries, OptionBook, OptionVault) as the Settlement. Checks the owners afterwards.
 */
export async function handOverToTimelock(
  clients: DevnetClients,
  timelock: Address,
  contracts: {
    settlement?: Address;
    clearingHouse?: Address;
    perpVault?: Address;
    volatilityFeed?: Address;
    circuitBreaker?: Address;
    optionSeries?: Address;
    optionBook?: Address;
    optionVault?: Address;
  },
  admin: DevnetWalletClient = clients.deployer,
): Promise<void> {
  const { publicClient, deployer } = clients;
  if (contracts.settlement !== undefined) {
    const settlement = contracts.settlement;
    await confirm(
      publicClient,
      deployer.writeContract({ address: settlement, abi: settlementAbi, functionName: 'transferOwnership', args: [timelock] }),
    );
    await confirm(
      publicClient,
      admin.writeContract({ address: timelock, abi: timelockAbi, functionName: 'acceptOwnership', args: [settlement] }),
    );
    const owner = await publicClient.readContract({ address: settlement, abi: settlementAbi, functionName: 'owner' });
    if (owner.toLowerCase() !== timelock.toLowerCase())
      throw new Error(`Settlement ${settlement} is owned by ${owner}, not the timelock ${timelock}`);
  }
  if (contracts.clearingHouse !== undefined) {
    const clearingHouse = contracts.clearingHouse;
    await confirm(
      publicClient,
      deployer.writeContract({ address: clearingHouse, abi: clearingHouseAbi, functionName: 'setOwner', args: [timelock] }),
    );
    const owner = await publicClient.readContract({ address: clearingHouse, abi: clearingHouseAbi, functionName: 'owner' });
    if (owner.toLowerCase() !== timelock.toLowerCase())
      throw new Error(`ClearingHouse ${clearingHouse} is owned by ${owner}, not the timelock ${timelock}`);
  }
  // two-step, like the Settlement: the timelock's admin accepts on the timelock's behalf
  for (const [name, target] of [
    ['PerpVault', contracts.perpVault],
    ['VolatilityFeed', contracts.volatilityFeed],
    ['CircuitBreaker', contracts.circuitBreaker],
    ['OptionSeries', contracts.optionSeries],
    ['OptionBook', contracts.optionBook],
    ['OptionVault', contracts.optionVault],
  ] as const) {
    if (target !== undefined) await handOverTwoStep(clients, timelock, name, target, admin);
  }
}

/** The owner surface every two-step contract here shares (PerpVault, VolatilityFeed, ...). */
const ownable2StepAbi = parseAbi(['function transferOwnership(address newOwner)', 'function owner() view returns (address)']);

async function handOverTwoStep(
  clients: DevnetClients,
  timelock: Address,
  name: string,
  target: Address,
  admin: DevnetWalletClient,
): Promise<void> {
  const { publicClient, deployer } = clients;
  await confirm(
    publicClient,
    deployer.writeContract({ address: target, abi: ownable2StepAbi, functionName: 'transferOwnership', args: [timelock] }),
  );
  await confirm(
    publicClient,
    admin.writeContract({ address: timelock, abi: timelockAbi, functionName: 'acceptOwnership', args: [target] }),
  );
  const owner = await publicClient.readContract({ address: target, abi: ownable2StepAbi, functionName: 'owner' });
  if (owner.toLowerCase() !== timelock.toLowerCase())
    throw new Error(`${name} ${target} is owned by ${owner}, not the timelock ${timelock}`);
}

export type DevnetGovernance = { timelock: Address; admin: Address; delay: bigint };

/**
 * The last step of the devnet deployment, after the deployer has bootstrapped everything (markets,
 * extra collateral, vault and clearing house connected): deploys the timelock (admin: the deployer,
 * standing in for a multisig), checks the Settlement's unbonding delay leaves room for a timelocked
 * slash, and hands Settlement and ClearingHouse ownership to the timelock. From then on the deployer
 * has no owner power left; it can only schedule calls users see a full delay ahead.
 */
export async function deployDevnetGovernance(
  clients: DevnetClients,
  contracts: {
    settlement: Address;
    clearingHouse: Address;
    perpVault?: Address;
    volatilityFeed?: Address;
    circuitBreaker?: Address;
    optionSeries?: Address;
    optionBook?: Address;
    optionVault?: Address;
  },
  options: { delay?: bigint } = {},
): Promise<DevnetGovernance> {
  const delay = options.delay ?? DEVNET_TIMELOCK_DELAY;
  const unbondingDelay = await clients.publicClient.readContract({
    address: contracts.settlement,
    abi: settlementAbi,
    functionName: 'unbondingDelay',
  });
  assertSlashWindow(unbondingDelay, delay);
  const admin = clients.deployer.account.address;
  const timelock = await deployTimelock(clients, { admin, delay });
  await handOverToTimelock(clients, timelock, contracts);
  return { timelock, admin, delay };
}
