// The greeks of a European option at a zero rate, in wad (1e18) bigint fixed point, for what
// accounts and series show (API, dashboard): the price sensitivities a trader reads, not what
// margin is computed from (portfolio margin revalues the book on a scenario grid instead). Built on
// the Black-Scholes mirror's d1, d2, N and phi (protocol/options/black-scholes.ts), so they share
// its domain and its named domain errors. Units, per 1e18 contracts:
//   delta   wad fraction (call N(d1), put N(d1) - 1)
//   gamma   change of delta (wad) per one whole unit (1e18) of spot: phi(d1) / (S sigma sqrt(t))
//   vega    price units per 1.0 (100 vol points) of volatility (the same for call and put)
//   theta   price units per day, negative for a long option: -S phi(d1) sigma / (2 sqrt(t)) / 365
// Call and put share gamma, vega and (at a zero rate) theta.
import { blackScholes, d, pdf } from './black-scholes.ts';

const WAD = 10n ** 18n;

export type Greeks = {
  callDelta: bigint;
  putDelta: bigint;
  gamma: bigint;
  vega: bigint;
  /** Per day; the same for a call and a put at a zero rate. */
  theta: bigint;
};

export function greeks(spot: bigint, strike: bigint, secondsToExpiry: bigint, volatility: bigint): Greeks {
  const { d1, d2 } = d(spot, strike, secondsToExpiry, volatility);
  const { callDelta, vega } = blackScholes(spot, strike, secondsToExpiry, volatility);
  const phi = pdf(d1);
  // sd = sigma sqrt(t) in wad, exact as the pricing uses it
  const sd = d1 - d2;
  return {
    callDelta,
    putDelta: callDelta - WAD,
    gamma: (phi * WAD * WAD) / (spot * sd),
    vega,
    // sigma / sqrt(t) = sigma^2 / (sigma sqrt(t)): no second square root
    theta: -((((spot * phi) / WAD) * ((volatility * volatility) / WAD)) / sd / 2n / 365n),
  };
}

/** A position's greeks: the option's scaled by a signed size (1e18 = one contract; negative = short). */
export function positionGreeks(g: Greeks, isCall: boolean, size: bigint): { delta: bigint; gamma: bigint; vega: bigint; theta: bigint } {
  const scale = (x: bigint): bigint => (x * size) / WAD;
  return { delta: scale(isCall ? g.callDelta : g.putDelta), gamma: scale(g.gamma), vega: scale(g.vega), theta: scale(g.theta) };
}
