// bench:options: accuracy and gas of the fixed-point Black-Scholes (contracts/src/options/BlackScholes.sol,
// mirrored to the wei by protocol/options/black-scholes.ts).
// Accuracy: against an independent float64 Black-Scholes (@stdlib's erfc) on the domain,
// moneyness (spot/strike) 0.5-2, vol 10-200%, expiry 1 hour-1 year: a 16 x 12 x 12 log-spaced grid
// plus 1,000 seeded random points; reports the worst |price error| / spot per option type and where.
// 500 random points of the contract's whole wider domain are reported separately.
// Gas: every point is also evaluated on anvil through BlackScholesHarness.evaluateGas, which returns
// gasleft() deltas around one callPrice and one evaluate (call, put, delta, vega) inside the EVM, so
// the figures exclude the transaction, calldata and ABI costs; min/median/max. Each chain result
// is checked equal to the TypeScript mirror on the way.
// Portfolio margin (contracts/src/options/PortfolioMargin.sol, mirrored by
// protocol/options/portfolio-margin.ts): for named books at spot 3000 and vol 60% (a hedged long
// call, a covered call, a long straddle, a short straddle, a short put), the book's requirement
// against the sum of each leg's standalone requirement (the perp alone under the same grid); and
// the gas of one margin check (PortfolioMarginHarness.marginGas, gasleft() deltas) with 1-4
// options + 1 perp over seeded random books inside the domain. Chain and TypeScript are checked
// equal on every book.
// Writes test/bench/results/options.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { blackScholesHarnessAbi, blackScholesHarnessBytecode } from '../../contracts/artifacts/BlackScholesHarness.ts';
import { startAnvil } from '../../contracts/deploy/anvil.ts';
import { type DevnetClients, deploy, devnetClients } from '../../contracts/deploy/clients.ts';
import { portfolioMarginHarnessAbi, portfolioMarginHarnessBytecode } from '../../contracts/artifacts/PortfolioMarginHarness.ts';
import { blackScholes } from '../../protocol/options/black-scholes.ts';
import {
  DEFAULT_MARGIN_PARAMS,
  legValue,
  type OptionLeg,
  PM_MAX_OPTION_LEGS,
  portfolioMargin,
  shockedSpot,
} from '../../protocol/options/portfolio-margin.ts';
import { type Book, DAY, randomBook, randomGasBook } from '../helpers/portfolio-books.ts';
import {
  type BsInput,
  referencePrices,
  rng,
  sampleAccuracyDomain,
  sampleFullDomain,
  wad,
  YEAR_SECONDS,
} from '../helpers/black-scholes-reference.ts';

const SEED = Number(process.env.OPTIONS_SEED ?? 17);
const GRID = { moneyness: 16, vol: 12, expiry: 12 };
const RANDOM_POINTS = 1000;
const FULL_DOMAIN_POINTS = 500;
const GOAL = 1e-9;

// Public on-chain Black-Scholes gas figures, as published (not measured here): DeFiMath's README
// compares its own library with Lyra/Derive v1's BlackScholes, Premia's OptionMath and others,
// measured the same way (gasleft() around the library call, average over a parameter range).
const PUBLIC = {
  source: 'https://github.com/MerkleBlue/defimath (README, "Option Pricing using Black-Scholes" > Performance)',
  lyraDeriveV1: {
    call: 13404,
    put: 13407,
    delta: 8671,
    vega: 7526,
    code: 'https://github.com/derivexyz/v1-core/blob/master/contracts/libraries/BlackScholes.sol',
  },
  premia: { call: 20831, put: 22117 },
  defimath: { call: 2927, put: 2941, delta: 1846, vega: 1491 },
};

type Worst = { error: number; at: BsInput | undefined; ours: number; reference: number };
const worstNone = (): Worst => ({ error: 0, at: undefined, ours: 0, reference: 0 });

function logSpace(lo: number, hi: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.exp(Math.log(lo) + (i / (n - 1)) * (Math.log(hi) - Math.log(lo))));
}

function stats(xs: number[]): { min: number; median: number; max: number; mean: number } {
  const s = [...xs].sort((a, b) => a - b);
  return {
    min: s[0]!,
    median: s[Math.floor(s.length / 2)]!,
    max: s[s.length - 1]!,
    mean: Math.round(s.reduce((a, b) => a + b, 0) / s.length),
  };
}

const describeInput = (p: BsInput | undefined): string =>
  p === undefined
    ? '-'
    : `spot ${(Number(p.spot) / 1e18).toPrecision(6)}, strike ${(Number(p.strike) / 1e18).toPrecision(6)}, ` +
      `${(Number(p.secondsToExpiry) / 3600).toPrecision(4)} h, vol ${(Number(p.volatility) / 1e16).toPrecision(4)}%`;

/** An error of spot back in wei: at the smallest prices of the domain a wei is a large share of spot. */
const weiError = (w: Worst): number => (w.at === undefined ? 0 : w.error * Number(w.at.spot));

const jsonInput = (p: BsInput | undefined) =>
  p === undefined
    ? null
    : {
        spot: p.spot.toString(),
        strike: p.strike.toString(),
        secondsToExpiry: Number(p.secondsToExpiry),
        volatility: p.volatility.toString(),
      };

const GAS_BOOKS_PER_SIZE = 25;
const MARGIN_GAS_GOAL = 300_000;

type NamedBook = { name: string; book: Book };

/** The bench's named books: ETH-like spot 3000, vol 60%, 30-day options. */
function namedBooks(): NamedBook[] {
  const spot = 3000n * 10n ** 18n;
  const vol = (6n * 10n ** 18n) / 10n;
  const t = 30n * DAY;
  const opt = (strike: bigint, isCall: boolean, size: bigint): OptionLeg => ({ strike, secondsToExpiry: t, isCall, size, volatility: vol });
  const one = 10n ** 18n;
  const delta = blackScholes(spot, spot, t, vol).callDelta;
  return [
    { name: 'hedged call: long 1 ATM call + short perp of its delta', book: { spot, perpSize: -delta, legs: [opt(spot, true, one)] } },
    {
      name: 'covered call: long 1 perp + short 1 call at 110%',
      book: { spot, perpSize: one, legs: [opt((spot * 11n) / 10n, true, -one)] },
    },
    {
      name: 'long straddle: long 1 ATM call + 1 ATM put',
      book: { spot, perpSize: 0n, legs: [opt(spot, true, one), opt(spot, false, one)] },
    },
    {
      name: 'short straddle: short 1 ATM call + 1 ATM put',
      book: { spot, perpSize: 0n, legs: [opt(spot, true, -one), opt(spot, false, -one)] },
    },
    { name: 'short put at 90%', book: { spot, perpSize: 0n, legs: [opt((spot * 9n) / 10n, false, -one)] } },
  ];
}

const units = (x: bigint): number => Number(x) / 1e18;
const GRID_GAP_BOOKS = 2000;

/**
 * The grid prices vol up and vol down only. A book long vega in one leg and short in another can
 * lose most at a vol in between; count the random books (test/helpers/portfolio-books.ts) where a
 * scenario at the unchanged vol loses more than the grid's worst, and by how much of the requirement.
 */
function unchangedVolGap(next: () => number): { books: number; worse: number; worstShareOfRequirement: number } {
  let worse = 0;
  let worstShare = 0;
  for (let i = 0; i < GRID_GAP_BOOKS; i++) {
    const b = randomBook(next, 1 + (i % PM_MAX_OPTION_LEGS));
    const m = portfolioMargin(b.spot, b.perpSize, b.legs);
    let bookWorse = false;
    for (const shock of DEFAULT_MARGIN_PARAMS.priceShocks) {
      const x = shockedSpot(b.spot, shock);
      let loss36 = b.perpSize * (b.spot - x);
      for (const leg of b.legs) {
        const long = leg.size > 0n;
        loss36 += leg.size * (legValue(b.spot, leg, leg.volatility, long) - legValue(x, leg, leg.volatility, !long));
      }
      const loss = loss36 / 10n ** 18n;
      if (loss > m.worstLoss) {
        bookWorse = true;
        worstShare = Math.max(worstShare, Number(loss - m.worstLoss) / Number(m.requirement));
      }
    }
    if (bookWorse) worse++;
  }
  return { books: GRID_GAP_BOOKS, worse, worstShareOfRequirement: worstShare };
}

async function portfolioMarginBench(clients: DevnetClients, next: () => number) {
  const harness = await deploy(clients, portfolioMarginHarnessAbi, portfolioMarginHarnessBytecode, []);
  const params = {
    ...DEFAULT_MARGIN_PARAMS,
    priceShocks: DEFAULT_MARGIN_PARAMS.priceShocks as unknown as readonly [
      bigint,
      bigint,
      bigint,
      bigint,
      bigint,
      bigint,
      bigint,
      bigint,
      bigint,
    ],
  };
  let mismatches = 0;
  const scenarioName = (j: bigint): string => {
    const shock = Number(DEFAULT_MARGIN_PARAMS.priceShocks[Number(j / 2n)]!) / 1e16;
    return `${shock > 0 ? '+' : ''}${shock}% vol ${j % 2n === 1n ? 'up' : 'down'}`;
  };
  const check = async (b: Book): Promise<{ requirement: bigint; maintenance: bigint; gas: number; worst: string }> => {
    const ts = portfolioMargin(b.spot, b.perpSize, b.legs);
    const [gas, chain] = await clients.publicClient.readContract({
      address: harness,
      abi: portfolioMarginHarnessAbi,
      functionName: 'marginGas',
      args: [b.spot, b.perpSize, b.legs, params],
    });
    if (chain.requirement !== ts.requirement || chain.maintenance !== ts.maintenance || chain.worstLoss !== ts.worstLoss) mismatches++;
    return { requirement: ts.requirement, maintenance: ts.maintenance, gas: Number(gas), worst: scenarioName(ts.worstScenario) };
  };

  const books = [];
  for (const { name, book } of namedBooks()) {
    const whole = await check(book);
    let standalone = 0n;
    const parts: string[] = [];
    if (book.perpSize !== 0n) {
      const perp = await check({ ...book, legs: [] });
      standalone += perp.requirement;
      parts.push(`perp ${units(perp.requirement).toFixed(2)} at ${perp.worst}`);
    }
    for (const leg of book.legs) {
      const alone = await check({ spot: book.spot, perpSize: 0n, legs: [leg] });
      standalone += alone.requirement;
      parts.push(
        `${leg.size > 0n ? 'long' : 'short'} ${leg.isCall ? 'call' : 'put'} ${units(alone.requirement).toFixed(2)} at ${alone.worst}`,
      );
    }
    books.push({
      name,
      requirement: units(whole.requirement),
      maintenance: units(whole.maintenance),
      worstScenario: whole.worst,
      standaloneSum: units(standalone),
      standaloneParts: parts.join(' + '),
      ratio: Number((whole.requirement * 10_000n) / standalone) / 10_000,
      gas: whole.gas,
    });
  }

  const gasByLegs: Record<string, ReturnType<typeof stats>> = {};
  for (let n = 1; n <= PM_MAX_OPTION_LEGS; n++) {
    const gas: number[] = [];
    for (let i = 0; i < GAS_BOOKS_PER_SIZE; i++) gas.push((await check(randomGasBook(next, n))).gas);
    gasByLegs[`${n} options + 1 perp`] = stats(gas);
  }
  const atm = blackScholes(3000n * 10n ** 18n, 3000n * 10n ** 18n, 30n * DAY, (6n * 10n ** 18n) / 10n);
  const hedgedCall = { callPrice: units(atm.call), callDelta: units(atm.callDelta) };
  return {
    mismatches,
    hedgedCall,
    gridGap: unchangedVolGap(rng(SEED + 1)),
    books,
    gasByLegs,
    maxOptionLegs: PM_MAX_OPTION_LEGS,
    gasGoal: MARGIN_GAS_GOAL,
    booksPerSize: GAS_BOOKS_PER_SIZE,
  };
}

async function main(): Promise<void> {
  const anvil = await startAnvil();
  try {
    const clients = devnetClients(anvil.rpcUrl, anvil.chainId);
    const harness = await deploy(clients, blackScholesHarnessAbi, blackScholesHarnessBytecode, []);

    const accuracyPoints: BsInput[] = [];
    for (const m of logSpace(0.5, 2, GRID.moneyness)) {
      for (const v of logSpace(0.1, 2, GRID.vol)) {
        for (const t of logSpace(3600, YEAR_SECONDS, GRID.expiry)) {
          accuracyPoints.push({ spot: wad(3000), strike: wad(3000 / m), secondsToExpiry: BigInt(Math.round(t)), volatility: wad(v) });
        }
      }
    }
    const next = rng(SEED);
    for (let i = 0; i < RANDOM_POINTS; i++) accuracyPoints.push(sampleAccuracyDomain(next));
    const fullPoints = Array.from({ length: FULL_DOMAIN_POINTS }, () => sampleFullDomain(next));

    const worst = { call: worstNone(), put: worstNone(), fullCall: worstNone(), fullPut: worstNone() };
    let worstDelta = 0;
    let worstVega = 0;
    let mismatches = 0;
    const callGas: number[] = [];
    const evaluateGas: number[] = [];

    const record = (w: Worst, input: BsInput, got: bigint, want: number): void => {
      const spot = Number(input.spot) / 1e18;
      const ours = Number(got) / 1e18;
      const error = Math.abs(ours - want) / spot;
      if (error > w.error) Object.assign(w, { error, at: input, ours, reference: want });
    };

    for (const [points, callW, putW, measureGreeks] of [
      [accuracyPoints, worst.call, worst.put, true],
      [fullPoints, worst.fullCall, worst.fullPut, false],
    ] as const) {
      for (const input of points) {
        const args = [input.spot, input.strike, input.secondsToExpiry, input.volatility] as const;
        const ts = blackScholes(...args);
        const [chain, gas] = await Promise.all([
          clients.publicClient.readContract({ address: harness, abi: blackScholesHarnessAbi, functionName: 'evaluate', args }),
          clients.publicClient.readContract({ address: harness, abi: blackScholesHarnessAbi, functionName: 'evaluateGas', args }),
        ]);
        if (chain.call !== ts.call || chain.put !== ts.put || chain.callDelta !== ts.callDelta || chain.vega !== ts.vega) mismatches++;
        callGas.push(Number(gas[0]));
        evaluateGas.push(Number(gas[1]));
        const ref = referencePrices(input);
        record(callW, input, ts.call, ref.call);
        record(putW, input, ts.put, ref.put);
        if (measureGreeks) {
          worstDelta = Math.max(worstDelta, Math.abs(Number(ts.callDelta) / 1e18 - ref.callDelta));
          worstVega = Math.max(worstVega, Math.abs(Number(ts.vega) / 1e18 - ref.vega) / (Number(input.spot) / 1e18));
        }
      }
    }

    const gas = { callPrice: stats(callGas), evaluate: stats(evaluateGas) };
    const margin = await portfolioMarginBench(clients, next);
    const lines = [
      `bench:options (seed ${SEED}): ${accuracyPoints.length} points on moneyness 0.5-2, vol 10-200%, expiry 1 h-1 y; ${fullPoints.length} on the whole domain`,
      `  TypeScript mirror vs chain: ${mismatches} mismatches in ${accuracyPoints.length + fullPoints.length} evaluations`,
      `  worst |call error| / spot: ${worst.call.error.toExponential(2)} at ${describeInput(worst.call.at)} (goal ${GOAL})`,
      `  worst |put error|  / spot: ${worst.put.error.toExponential(2)} at ${describeInput(worst.put.at)}`,
      `  worst |delta error|: ${worstDelta.toExponential(2)}; worst |vega error| / spot: ${worstVega.toExponential(2)}`,
      `  whole domain: worst call ${worst.fullCall.error.toExponential(2)}, put ${worst.fullPut.error.toExponential(2)} of spot, ` +
        `i.e. ${weiError(worst.fullCall).toFixed(2)} and ${weiError(worst.fullPut).toFixed(2)} wei at ${describeInput(worst.fullCall.at)}`,
      `  gas, callPrice: min ${gas.callPrice.min}, median ${gas.callPrice.median}, max ${gas.callPrice.max} (mean ${gas.callPrice.mean})`,
      `  gas, evaluate (call + put + delta + vega): min ${gas.evaluate.min}, median ${gas.evaluate.median}, max ${gas.evaluate.max}`,
      `  published: Lyra/Derive v1 call ${PUBLIC.lyraDeriveV1.call}, Premia ${PUBLIC.premia.call}, DeFiMath ${PUBLIC.defimath.call} (${PUBLIC.source})`,
    ];
    lines.push(
      `  portfolio margin (shocks 0, +-5/10/15/20%, vol x1.3 / x0.7, floor 1% of spot per short contract, maintenance 60%); ${margin.mismatches} chain mismatches:`,
      `    the ATM 30-day call at vol 60%: ${margin.hedgedCall.callPrice.toFixed(2)}, delta ${margin.hedgedCall.callDelta.toFixed(4)}`,
      ...margin.books.map(
        (b) =>
          `    ${b.name}: ${b.requirement.toFixed(2)} at ${b.worstScenario} (maintenance ${b.maintenance.toFixed(2)}) vs standalone ${b.standaloneSum.toFixed(2)} ` +
          `(${b.standaloneParts}) = ${(b.ratio * 100).toFixed(1)}%`,
      ),
      `    unchanged-vol scenarios worse than the grid's worst: ${margin.gridGap.worse} of ${margin.gridGap.books} random books, ` +
        `by up to ${(margin.gridGap.worstShareOfRequirement * 100).toFixed(1)}% of the requirement`,
      ...Object.entries(margin.gasByLegs).map(
        ([k, g]) =>
          `    gas, ${k} (${margin.booksPerSize} random books): min ${g.min}, median ${g.median}, max ${g.max} (goal <= ${margin.gasGoal} at 4)`,
      ),
    );
    process.stdout.write(`${lines.join('\n')}\n`);

    const out = {
      seed: SEED,
      points: { accuracyDomain: accuracyPoints.length, wholeDomain: fullPoints.length },
      mirrorMismatches: mismatches,
      goal: GOAL,
      worst: Object.fromEntries(
        Object.entries(worst).map(([k, w]) => [k, { errorOfSpot: w.error, ours: w.ours, reference: w.reference, at: jsonInput(w.at) }]),
      ),
      worstDeltaError: worstDelta,
      worstVegaErrorOfSpot: worstVega,
      gas,
      publicComparison: PUBLIC,
      portfolioMargin: margin,
    };
    const dir = join(dirname(fileURLToPath(import.meta.url)), 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'options.json'), `${JSON.stringify(out, null, 2)}\n`);
    const marginGasMax = margin.gasByLegs[`${PM_MAX_OPTION_LEGS} options + 1 perp`]!.max;
    if (mismatches > 0 || worst.call.error > GOAL || worst.put.error > GOAL || margin.mismatches > 0 || marginGasMax > MARGIN_GAS_GOAL) {
      process.exitCode = 1;
    }
  } finally {
    await anvil.stop();
  }
}

await main();
