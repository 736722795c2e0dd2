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
// Writes test/bench/results/options.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { blackScholesHarnessAbi, blackScholesHarnessBytecode } from '../../contracts/artifacts/BlackScholesHarness.ts';
import { startAnvil } from '../../contracts/deploy/anvil.ts';
import { deploy, devnetClients } from '../../contracts/deploy/clients.ts';
import { blackScholes } from '../../protocol/options/black-scholes.ts';
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
    };
    const dir = join(dirname(fileURLToPath(import.meta.url)), 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'options.json'), `${JSON.stringify(out, null, 2)}\n`);
    if (mismatches > 0 || worst.call.error > GOAL || worst.put.error > GOAL) process.exitCode = 1;
  } finally {
    await anvil.stop();
  }
}

await main();
