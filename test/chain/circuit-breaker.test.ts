// The circuit breaker's deploy helper on anvil (contracts/deploy/circuit-breaker.ts): it deploys
// the breaker, configures a market and sets it on the clearing house; then a 30% fall of the
// market's feed halts it, as a solver reading `isHalted` sees before building a batch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEventLogs, type Address } from 'viem';
import { circuitBreakerAbi } from '../../contracts/artifacts/CircuitBreaker.ts';
import { clearingHouseAbi } from '../../contracts/artifacts/ClearingHouse.ts';
import { startAnvil, type Anvil } from '../../contracts/deploy/anvil.ts';
import { DEFAULT_BREAKER_CONFIG, deployCircuitBreaker } from '../../contracts/deploy/circuit-breaker.ts';
import { confirm, devnetClients, type DevnetClients } from '../../contracts/deploy/clients.ts';
import { deployPerp, setFeedPrice, type PerpDeployment } from '../../contracts/deploy/perp.ts';
import { deployTestToken } from '../../contracts/deploy/tokens.ts';

const ETH = 1;
let anvil: Anvil;
let clients: DevnetClients;
let perp: PerpDeployment;
let breaker: Address;

beforeAll(async () => {
  anvil = await startAnvil();
  clients = devnetClients(anvil.rpcUrl, anvil.chainId);
  const collateral = await deployTestToken(clients, { name: 'Dai Stablecoin', symbol: 'DAI', decimals: 18 });
  perp = await deployPerp(clients, {
    settlement: clients.accounts[2]!.address,
    collateral,
    collateralDecimals: 18,
    markets: [{ id: ETH, description: 'ETH / USD', answer: 3000n * 10n ** 8n }],
  });
  breaker = await deployCircuitBreaker(clients, {
    clearingHouse: perp.clearingHouse,
    markets: { [ETH]: DEFAULT_BREAKER_CONFIG },
    owner: clients.accounts[1]!.address,
  });
});

afterAll(async () => {
  await anvil?.stop();
});

describe('deployCircuitBreaker', () => {
  it('configures the market, sets the breaker on the clearing house and proposes the owner', async () => {
    const read = clients.publicClient.readContract;
    expect(await read({ address: perp.clearingHouse, abi: clearingHouseAbi, functionName: 'circuitBreaker' })).toBe(breaker);
    expect(await read({ address: breaker, abi: circuitBreakerAbi, functionName: 'config', args: [ETH] })).toEqual(DEFAULT_BREAKER_CONFIG);
    expect(await read({ address: breaker, abi: circuitBreakerAbi, functionName: 'owner' })).toBe(clients.deployer.account.address);
    expect(await read({ address: breaker, abi: circuitBreakerAbi, functionName: 'pendingOwner' })).toBe(clients.accounts[1]!.address);
  });

  it('halts the market after a 30% fall: isHalted predicts it, observe trips with the event', async () => {
    await setFeedPrice(clients, perp.feeds[ETH]!, 2100n * 10n ** 8n);
    const [halted] = await clients.publicClient.readContract({
      address: breaker,
      abi: circuitBreakerAbi,
      functionName: 'isHalted',
      args: [ETH],
    });
    expect(halted).toBe(true);
    const receipt = await confirm(
      clients.publicClient,
      clients.deployer.writeContract({ address: breaker, abi: circuitBreakerAbi, functionName: 'observe', args: [ETH] }),
    );
    const [trip] = parseEventLogs({ abi: circuitBreakerAbi, logs: receipt.logs, eventName: 'CircuitBreakerTripped' });
    expect(trip?.args).toMatchObject({ market: ETH, fromPrice: 3000n * 10n ** 8n, toPrice: 2100n * 10n ** 8n });
  });
});
