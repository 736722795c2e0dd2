// The options vault's off-chain quote on a synthetic book (ETH at 3,000, vol 80% flat, 30-day
// series): the shape of the curve and every refusal the contract makes on the book's state. The
// wei equality with the contract is test/chain/option-vault.test.ts's.
import { describe, expect, it } from 'vitest';
import { blackScholes } from './black-scholes.ts';
import {
  optionVaultExposure,
  optionVaultHedgeQuote,
  optionVaultQuote,
  type OptionVaultParams,
  type OptionVaultState,
  type SeriesTerms,
} from './option-vault.ts';

const WAD = 10n ** 18n;
const NOW = 1_700_000_000n;
const EXPIRY = NOW + 30n * 86_400n;
const call: SeriesTerms = { id: 1n, strike: 3000n * WAD, expiry: EXPIRY, isCall: true };
const put: SeriesTerms = { id: 4n, strike: 3000n * WAD, expiry: EXPIRY, isCall: false };

const params: OptionVaultParams = {
  baseVolSpread: WAD / 100n,
  minSpread: WAD / 2000n,
  hedgeBand: WAD / 100n,
  enabled: true,
  deltaScale: 10_000n * WAD,
  vegaScale: 1_000_000n * WAD,
  maxDelta: 100n * WAD,
  maxVega: 100_000n * WAD,
  maxContracts: 200n * WAD,
  hedgeTolerance: WAD,
};

const flat: OptionVaultState = {
  now: NOW,
  mark: 3000n * WAD,
  perpSize: 0n,
  legs: [],
  heldSeries: 0,
  surface: {
    tenors: [7n * 86_400n, 90n * 86_400n],
    nodes: [-WAD / 2n, WAD / 2n],
    vols: [8n * (WAD / 10n), 8n * (WAD / 10n), 8n * (WAD / 10n), 8n * (WAD / 10n)],
  },
};

describe('options vault quote (TypeScript)', () => {
  it('asks above and bids below Black-Scholes by at least the base spread', () => {
    const bs = blackScholes(3000n * WAD, 3000n * WAD, 30n * 86_400n, 8n * (WAD / 10n));
    const base = bs.vega / 100n + 15n * (WAD / 10n);
    expect(optionVaultQuote(params, flat, call, -WAD)! >= bs.call + base).toBe(true);
    expect(optionVaultQuote(params, flat, call, WAD)! <= bs.call - base).toBe(true);
  });

  it('is monotone in size', () => {
    let previousAsk = 0n;
    let previousBid = 2n ** 255n;
    for (const n of [1n, 5n, 20n, 100n, 150n]) {
      const ask = optionVaultQuote(params, flat, call, -n * WAD)!;
      const bid = optionVaultQuote(params, flat, call, n * WAD)!;
      expect(ask >= previousAsk && bid <= previousBid).toBe(true);
      previousAsk = ask;
      previousBid = bid;
    }
  });

  it('widens with the net delta and vega the trade adds to', () => {
    const short = { ...flat, legs: [{ ...call, size: -20n * WAD }], heldSeries: 1 };
    const { netDelta, netVega } = optionVaultExposure(short);
    expect(netDelta < -10n * WAD && netVega < 0n).toBe(true);
    expect(optionVaultQuote(params, short, call, -WAD)! > optionVaultQuote(params, flat, call, -WAD)!).toBe(true);
    expect(optionVaultQuote(params, short, call, WAD)! > optionVaultQuote(params, flat, call, WAD)!).toBe(true);
  });

  it('refuses where the contract reverts', () => {
    expect(optionVaultQuote(params, flat, call, 0n)).toBeUndefined();
    expect(optionVaultQuote(params, flat, call, -201n * WAD)).toBeUndefined();
    expect(optionVaultQuote({ ...params, enabled: false }, flat, call, -WAD)).toBeUndefined();
    expect(optionVaultQuote({ ...params, maxDelta: WAD }, flat, call, -10n * WAD)).toBeUndefined();
    expect(optionVaultQuote({ ...params, maxVega: WAD }, flat, call, -10n * WAD)).toBeUndefined();
    expect(optionVaultQuote(params, { ...flat, heldSeries: 4 }, call, -WAD)).toBeUndefined();
    expect(optionVaultQuote(params, { ...flat, now: EXPIRY }, call, -WAD)).toBeUndefined();
    expect(optionVaultQuote(params, { ...flat, mark: 700n * WAD }, call, -WAD)).toBeUndefined(); // beyond 4x
    // closing is quoted past a lowered limit
    const short = { ...flat, legs: [{ ...call, size: -20n * WAD }], heldSeries: 4 };
    expect(optionVaultQuote({ ...params, maxContracts: WAD, maxDelta: WAD, maxVega: WAD }, short, call, 5n * WAD)).toBeDefined();
  });

  it('hedges toward zero within the tolerance, never inside the dead band', () => {
    const short = {
      ...flat,
      legs: [
        { ...call, size: -10n * WAD },
        { ...put, size: 0n },
      ],
      heldSeries: 1,
    };
    const { netDelta } = optionVaultExposure(short);
    expect(optionVaultHedgeQuote(params, short, -netDelta)).toBe(3030n * WAD);
    expect(optionVaultHedgeQuote(params, short, -netDelta + WAD)).toBe(3030n * WAD);
    expect(optionVaultHedgeQuote(params, short, -netDelta + WAD + 1n)).toBeUndefined();
    expect(optionVaultHedgeQuote(params, short, -WAD)).toBeUndefined();
    expect(optionVaultHedgeQuote(params, { ...flat, perpSize: WAD / 2n }, -WAD / 2n)).toBeUndefined();
    expect(optionVaultHedgeQuote(params, { ...flat, perpSize: 5n * WAD }, -5n * WAD)).toBe(2970n * WAD);
  });
});
