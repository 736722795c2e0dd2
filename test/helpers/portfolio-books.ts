// Shared by test/chain/portfolio-margin.test.ts and test/bench/options.ts: seeded random books for
// the portfolio margin engine (contracts/src/options/PortfolioMargin.sol) and the named books of
// the bench (hedged call, covered call, straddle, short put).
import type { OptionLeg } from '../../protocol/options/portfolio-margin.ts';
import { wad } from './black-scholes-reference.ts';

export const DAY = 86_400n;

export type Book = { spot: bigint; perpSize: bigint; legs: OptionLeg[] };

/**
 * A random book: spot 1-100,000 units, 1..maxLegs legs (calls and puts, long and short), strikes at
 * spot / 5 .. 5 spot (so some shocked spots, and some spots now, leave Black-Scholes' moneyness
 * domain), expiries 30 s .. 2 years (some under the 60 s minimum), vols 5-300%, a perp half the time.
 */
export function randomBook(next: () => number, legCount: number, withPerp = next() < 0.5): Book {
  const logUniform = (lo: number, hi: number): number => Math.exp(Math.log(lo) + next() * (Math.log(hi) - Math.log(lo)));
  const spotUnits = logUniform(1, 100_000);
  const spot = wad(spotUnits);
  const legs: OptionLeg[] = [];
  for (let i = 0; i < legCount; i++) {
    const wide = next() < 0.2;
    const moneyness = wide ? logUniform(0.2, 5) : logUniform(0.6, 1.6);
    const shortExpiry = next() < 0.05;
    legs.push({
      strike: wad(spotUnits / moneyness),
      secondsToExpiry: BigInt(Math.round(shortExpiry ? logUniform(30, 120) : logUniform(3600, 2 * 365 * 86_400))),
      isCall: next() < 0.5,
      size: (next() < 0.5 ? -1n : 1n) * wad(logUniform(0.01, 10)),
      volatility: wad(logUniform(0.05, 3)),
    });
  }
  const perpSize = withPerp ? (next() < 0.5 ? -1n : 1n) * wad(logUniform(0.01, 10)) : 0n;
  return { spot, perpSize, legs };
}

/** A random book inside the domain at every shock (moneyness 0.6-1.6, expiry 1 day-1 year), for gas figures. */
export function randomGasBook(next: () => number, legCount: number): Book {
  const logUniform = (lo: number, hi: number): number => Math.exp(Math.log(lo) + next() * (Math.log(hi) - Math.log(lo)));
  const spotUnits = logUniform(100, 100_000);
  const legs: OptionLeg[] = Array.from({ length: legCount }, () => ({
    strike: wad(spotUnits / logUniform(0.6, 1.6)),
    secondsToExpiry: BigInt(Math.round(logUniform(86_400, 365 * 86_400))),
    isCall: next() < 0.5,
    size: (next() < 0.5 ? -1n : 1n) * wad(logUniform(0.1, 10)),
    volatility: wad(logUniform(0.2, 1.5)),
  }));
  return { spot: wad(spotUnits), perpSize: (next() < 0.5 ? -1n : 1n) * wad(logUniform(0.1, 10)), legs };
}
