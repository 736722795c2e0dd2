// protocol/options/portfolio-margin.ts against contracts/src/options/PortfolioMargin.sol on a real
// anvil: the same requirement, maintenance, worst loss, floor and worst scenario to the wei on a
// few hundred seeded random books (1-4 legs, calls and puts, long and short, with and without a
// perp, some legs outside Black-Scholes' domain now or under a shock, some under 60 s to expiry),
// and the same named errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BaseError, ContractFunctionRevertedError, type Address } from 'viem';
import { portfolioMarginHarnessAbi, portfolioMarginHarnessBytecode } from '../../contracts/artifacts/PortfolioMarginHarness.ts';
import { startAnvil, type Anvil } from '../../contracts/deploy/anvil.ts';
import { deploy, devnetClients, type DevnetClients } from '../../contracts/deploy/clients.ts';
import {
  DEFAULT_MARGIN_PARAMS,
  type MarginParams,
  type OptionLeg,
  PM_MAX_OPTION_LEGS,
  PortfolioMarginInvalid,
  portfolioMargin,
  scenarioLoss,
} from '../../protocol/options/portfolio-margin.ts';
import { rng, WAD } from '../helpers/black-scholes-reference.ts';
import { type Book, DAY, randomBook } from '../helpers/portfolio-books.ts';

let anvil: Anvil;
let clients: DevnetClients;
let harness: Address;

beforeAll(async () => {
  anvil = await startAnvil();
  clients = devnetClients(anvil.rpcUrl, anvil.chainId);
  harness = await deploy(clients, portfolioMarginHarnessAbi, portfolioMarginHarnessBytecode, []);
});

afterAll(async () => {
  await anvil?.stop();
});

const chainParams = (p: MarginParams) => ({
  ...p,
  priceShocks: p.priceShocks as unknown as readonly [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint],
});

async function onChain(book: Book, p: MarginParams = DEFAULT_MARGIN_PARAMS) {
  return clients.publicClient.readContract({
    address: harness,
    abi: portfolioMarginHarnessAbi,
    functionName: 'margin',
    args: [book.spot, book.perpSize, book.legs, chainParams(p)],
  });
}

async function chainRevert(book: Book, p: MarginParams = DEFAULT_MARGIN_PARAMS): Promise<string | undefined> {
  try {
    await onChain(book, p);
    return undefined;
  } catch (err) {
    const reverted = err instanceof BaseError ? err.walk((e) => e instanceof ContractFunctionRevertedError) : undefined;
    if (reverted instanceof ContractFunctionRevertedError) return reverted.data?.errorName;
    throw err;
  }
}

function tsRevert(book: Book, p: MarginParams = DEFAULT_MARGIN_PARAMS): string | undefined {
  try {
    portfolioMargin(book.spot, book.perpSize, book.legs, p);
    return undefined;
  } catch (err) {
    if (err instanceof PortfolioMarginInvalid) return err.reason;
    throw err;
  }
}

describe('portfolio margin: TypeScript mirror equals the contract to the wei', () => {
  it('on 300 seeded random books', async () => {
    const next = rng(4242);
    let withPerp = 0;
    let positive = 0;
    for (let i = 0; i < 300; i++) {
      const book = randomBook(next, 1 + (i % PM_MAX_OPTION_LEGS));
      const ts = portfolioMargin(book.spot, book.perpSize, book.legs);
      const chain = await onChain(book);
      expect({ i, ...chain }).toEqual({ i, ...ts });
      if (book.perpSize !== 0n) withPerp++;
      if (ts.worstLoss > 0n) positive++;
    }
    // the sample exercises both branches
    expect(withPerp).toBeGreaterThan(100);
    expect(positive).toBeGreaterThan(200);
  });

  it('each scenario loss agrees too, and none exceeds the worst', async () => {
    const next = rng(99);
    for (let i = 0; i < 10; i++) {
      const book = randomBook(next, PM_MAX_OPTION_LEGS, true);
      const worst = portfolioMargin(book.spot, book.perpSize, book.legs).worstLoss;
      for (let j = 0; j < 18; j++) {
        const ts = scenarioLoss(book.spot, book.perpSize, book.legs, DEFAULT_MARGIN_PARAMS, j);
        const chain = await clients.publicClient.readContract({
          address: harness,
          abi: portfolioMarginHarnessAbi,
          functionName: 'scenarioLoss',
          args: [book.spot, book.perpSize, book.legs, chainParams(DEFAULT_MARGIN_PARAMS), BigInt(j)],
        });
        expect(chain).toBe(ts);
        expect(ts).toBeLessThanOrEqual(worst);
      }
    }
  });

  it('rejects with the same named errors', async () => {
    const spot = 3000n * WAD;
    const ok: OptionLeg = { strike: spot, secondsToExpiry: 30n * DAY, isCall: true, size: WAD, volatility: WAD / 2n };
    const cases: [Book, MarginParams, string][] = [
      [{ spot, perpSize: 0n, legs: [ok, ok, ok, ok, ok] }, DEFAULT_MARGIN_PARAMS, 'TooManyLegs'],
      [{ spot: 10n ** 10n - 1n, perpSize: 0n, legs: [ok] }, DEFAULT_MARGIN_PARAMS, 'SpotOutOfRange'],
      [{ spot: 10n ** 35n + 1n, perpSize: 0n, legs: [] }, DEFAULT_MARGIN_PARAMS, 'SpotOutOfRange'],
      [{ spot, perpSize: -(10n ** 36n) - 1n, legs: [] }, DEFAULT_MARGIN_PARAMS, 'PerpSizeOutOfRange'],
      [{ spot, perpSize: 0n, legs: [{ ...ok, strike: 25n * 10n ** 34n + 1n }] }, DEFAULT_MARGIN_PARAMS, 'StrikeOutOfRange'],
      [{ spot, perpSize: 0n, legs: [{ ...ok, secondsToExpiry: 0n }] }, DEFAULT_MARGIN_PARAMS, 'ExpiryOutOfRange'],
      [{ spot, perpSize: 0n, legs: [{ ...ok, secondsToExpiry: 2n * 365n * DAY + 1n }] }, DEFAULT_MARGIN_PARAMS, 'ExpiryOutOfRange'],
      [{ spot, perpSize: 0n, legs: [{ ...ok, volatility: WAD / 100n - 1n }] }, DEFAULT_MARGIN_PARAMS, 'VolatilityOutOfRange'],
      [{ spot, perpSize: 0n, legs: [{ ...ok, size: 10n ** 36n + 1n }] }, DEFAULT_MARGIN_PARAMS, 'SizeOutOfRange'],
      [{ spot, perpSize: 0n, legs: [ok] }, { ...DEFAULT_MARGIN_PARAMS, maintenanceFraction: WAD + 1n }, 'InvalidParams'],
      [
        { spot, perpSize: 0n, legs: [ok] },
        { ...DEFAULT_MARGIN_PARAMS, priceShocks: [...DEFAULT_MARGIN_PARAMS.priceShocks.slice(0, 8), -(WAD / 2n) - 1n] },
        'InvalidParams',
      ],
    ];
    for (const [book, p, reason] of cases) {
      expect(tsRevert(book, p)).toBe(reason);
      expect(await chainRevert(book, p)).toBe(reason);
    }
    // on the bounds both evaluate: a 1 s leg, a strike at each limit, the largest sizes, either spot limit
    for (const edgeSpot of [10n ** 10n, 10n ** 35n]) {
      const edge: Book = {
        spot: edgeSpot,
        perpSize: 10n ** 36n,
        legs: [
          { ...ok, strike: 4n * 10n ** 9n, secondsToExpiry: 1n, size: -(10n ** 36n) },
          { ...ok, strike: 25n * 10n ** 34n, isCall: false, volatility: 5n * WAD, size: 10n ** 36n },
        ],
      };
      expect(tsRevert(edge)).toBeUndefined();
      expect(await onChain(edge)).toEqual(portfolioMargin(edge.spot, edge.perpSize, edge.legs));
    }
  });
});
