// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BlackScholes} from "./BlackScholes.sol";

/// @title Portfolio margin of one account on one underlying: perps and options stressed together.
/// @notice A scenario grid of NUM_SHOCKS price shocks times two volatility shocks (every leg's vol
/// multiplied by 1 + volShockUp in one, by 1 - volShockDown in the other; sticky strike: a leg keeps
/// its own vol, scaled, at every shocked spot). In each scenario the book is repriced:
/// options with Black-Scholes at the shocked spot and vol, the perp by size * (shockedSpot - spot).
/// The loss of a scenario is the book's value now minus its value there; the requirement is the
/// worst loss (never below 0) plus a floor for short options (shortFloor of spot per short
/// contract), and the maintenance requirement is maintenanceFraction of it. Pure: the caller (the
/// clearing house, later) supplies the spot, the perp size, the legs with their implied vols read
/// from the surface, and the parameters. protocol/options/portfolio-margin.ts mirrors it to the wei.
///
/// Conservative by construction, the requirement is never understated by this library's choices:
///   - Rounding: each scenario's loss is summed exactly at 1e36 scale and divided once, rounding
///     up; the floor and maintenance round up. (Black-Scholes' own prices truncate and carry its
///     documented approximation error, within (spot + strike) * 6.2e-16; that is not padded.)
///   - Outside Black-Scholes' domain a leg is valued by a bound on the side that raises the loss.
///     Where the (shocked) spot / strike leaves [1/4, 4], or fewer than 60 s remain: a long leg's
///     value now is an upper bound and its scenario value a lower bound; a short leg the reverse.
///     Lower bound: intrinsic value (a zero-rate European option is worth at least that). Upper
///     bound: the price at the spot clamped into the domain (and at 60 s when less remains; price
///     grows with time at a zero rate), plus the distance the spot was clamped in the option's
///     money direction (|delta| <= 1 and the price is monotone in spot, so the bound holds).
///   - Shocked vols are clamped into [1%, 500%]: the scenario is then "vol up to 500%".
/// Not covered: the vol grid has no middle level, so a book long vega in one leg and short in
/// another can lose more at an unchanged vol than at either shock (bench:options counts it: 8 of
/// 2,000 random books, by up to 5.8% of the requirement; README, "Portfolio margin (engine)").
/// Expired legs (0 seconds left) are not this library's concern: the clearing house settles them
/// first; passing one reverts with ExpiryOutOfRange. Bounds that would let a shocked spot or a
/// clamped spot leave Black-Scholes' price range revert with named errors (below).
///
/// Gas: per check 8 ln (ln(1 + shock) of each non-zero shock); per leg one full Black-Scholes
/// evaluation (value now), 2 square roots (one per vol) and 18 pairs of normal CDFs (one per
/// scenario): a shocked spot's ln(x / K) is ln(spot / K) + ln(1 + shock), no ln of its own.
// The int256/uint256 casts below convert prices (< 2^121) and bounded sizes, so none can truncate.
// forge-lint: disable-start(unsafe-typecast)
library PortfolioMargin {
    uint256 internal constant WAD = 1e18;
    int256 internal constant IWAD = 1e18;

    /// @notice Option legs per account and underlying: bounds the worst-case gas of a check (4 legs
    /// + a perp: at most 214,535 gas over bench:options' random books, against a 300k goal).
    uint256 internal constant MAX_OPTION_LEGS = 4;
    /// @notice Price shocks in the grid (each crossed with vol up and vol down).
    uint256 internal constant NUM_SHOCKS = 9;

    /// @dev spot in [1e10, 1e35] and |shock| <= 50% keep every shocked spot in [5e9, 1.5e35].
    uint256 internal constant MIN_SPOT = 1e10;
    uint256 internal constant MAX_SPOT = 1e35;
    int256 internal constant MAX_PRICE_SHOCK = 0.5e18;
    /// @dev strike in [4e9, 2.5e35] keeps a spot clamped to [strike / 4, 4 strike] in [1e9, 1e36].
    uint256 internal constant MIN_STRIKE = 4e9;
    uint256 internal constant MAX_STRIKE = 2.5e35;
    /// @dev |size| <= 1e36, the clearing house's own bound on a position: size * price <= 1e36 * 2e36,
    /// so the 1e36-scale sums of 5 terms stay below 2^255 (5.7e76).
    uint256 internal constant MAX_SIZE = 1e36;
    uint256 internal constant MAX_VOL_SHOCK_UP = 10e18;
    uint256 internal constant MAX_VOL_SHOCK_DOWN = 0.99e18;

    struct OptionLeg {
        /// @dev Strike, collateral units per 1e18 size (wad).
        uint256 strike;
        /// @dev Seconds from now to expiry, 1 .. 2 years.
        uint256 secondsToExpiry;
        bool isCall;
        /// @dev Contracts, wad, signed: + long, - short (0 contributes nothing but gas).
        int256 size;
        /// @dev The surface's implied vol at this strike and expiry, wad (1e18 = 100% a year).
        uint256 volatility;
    }

    struct Params {
        /// @dev Signed wad fractions of spot, each in [-50%, +50%], e.g. 0, +-5, 10, 15, 20%.
        int256[9] priceShocks;
        /// @dev Vol multiplied by 1 + volShockUp in the "up" scenarios (wad, <= 10e18).
        uint256 volShockUp;
        /// @dev Vol multiplied by 1 - volShockDown in the "down" scenarios (wad, < 0.99e18).
        uint256 volShockDown;
        /// @dev Floor per short option contract, a wad fraction of spot (<= 1e18).
        uint256 shortFloor;
        /// @dev Maintenance as a wad fraction of the requirement (<= 1e18).
        uint256 maintenanceFraction;
    }

    /// @dev The grid's shocked spots and ln(1 + shock) of each shock (one per check: a leg's
    /// ln(x / K) at a shocked spot x is ln(spot / K) plus it).
    struct Shocks {
        uint256[9] spot;
        int256[9] ln;
    }

    struct Result {
        /// @dev max(0, worstLoss) + shortFloorAmount: the initial requirement, collateral units.
        uint256 requirement;
        /// @dev ceil(requirement * maintenanceFraction).
        uint256 maintenance;
        /// @dev The largest scenario loss, rounded up (negative when every scenario gains).
        int256 worstLoss;
        /// @dev ceil(sum of |short option sizes| * spot * shortFloor).
        uint256 shortFloorAmount;
        /// @dev The worst scenario: shock index * 2 + (1 when vol up, 0 when vol down).
        uint256 worstScenario;
    }

    error TooManyLegs(uint256 legs);
    error SpotOutOfRange(uint256 spot);
    error PerpSizeOutOfRange(int256 size);
    error StrikeOutOfRange(uint256 leg, uint256 strike);
    error ExpiryOutOfRange(uint256 leg, uint256 secondsToExpiry);
    error VolatilityOutOfRange(uint256 leg, uint256 volatility);
    error SizeOutOfRange(uint256 leg, int256 size);
    error InvalidParams();

    /// @notice The requirement, maintenance and worst scenario of one account's book on one underlying.
    function margin(uint256 spot, int256 perpSize, OptionLeg[] memory legs, Params memory p)
        internal
        pure
        returns (Result memory r)
    {
        (r,) = marginAndUnits(spot, perpSize, legs, p);
    }

    /// @notice `margin`, and per leg its value now for `value` (one contract at `spot` and the
    /// leg's vol, a short at the upper and a long at the lower bound): inside Black-Scholes' domain
    /// that is the price the grid starts from (the bound only matters outside it), so the grid's
    /// Black-Scholes evaluation is reused instead of run a second time (`OptionMarginEngine`).
    function marginAndUnits(uint256 spot, int256 perpSize, OptionLeg[] memory legs, Params memory p)
        internal
        pure
        returns (Result memory r, uint256[] memory units)
    {
        _validate(spot, perpSize, legs, p);
        units = new uint256[](legs.length);
        // Scenario losses at 1e36 scale (exact sums), index shock * 2 + (1 when vol up).
        int256[18] memory loss36;
        Shocks memory shocks;
        for (uint256 s; s < NUM_SHOCKS; ++s) {
            uint256 x = shockedSpot(spot, p.priceShocks[s]);
            shocks.spot[s] = x;
            shocks.ln[s] = _lnShock(p.priceShocks[s]);
            int256 perpLoss36 = perpSize * (int256(spot) - int256(x));
            loss36[2 * s] = perpLoss36;
            loss36[2 * s + 1] = perpLoss36;
        }
        uint256 shortContracts;
        for (uint256 i; i < legs.length; ++i) {
            OptionLeg memory leg = legs[i];
            if (leg.size == 0) continue;
            if (leg.size < 0) shortContracts += uint256(-leg.size);
            (bool inDomain, uint256 unitNow) = _addLeg(loss36, spot, shocks, leg, p);
            units[i] = inDomain ? unitNow : _value(spot, leg, leg.volatility, leg.size < 0);
        }
        int256 worst = loss36[0];
        for (uint256 j = 1; j < 2 * NUM_SHOCKS; ++j) {
            if (loss36[j] > worst) {
                worst = loss36[j];
                r.worstScenario = j;
            }
        }
        r.worstLoss = _ceilDivWad(worst);
        r.shortFloorAmount = _ceilWad(_ceilWad(shortContracts * spot) * p.shortFloor);
        r.requirement = (r.worstLoss > 0 ? uint256(r.worstLoss) : 0) + r.shortFloorAmount;
        r.maintenance = _ceilWad(r.requirement * p.maintenanceFraction);
    }

    /// @dev ln(1 + shock), wad: 0 for a zero shock (ln(1e18) is exactly 0; the call is skipped).
    function _lnShock(int256 shock) private pure returns (int256) {
        // 1 + shock in [0.5e18, 1.5e18] (_validate): inside ln's domain.
        return shock == 0 ? int256(0) : BlackScholes.ln(IWAD + shock);
    }

    /// @dev ln(spot / strike), wad, for a spot / strike in [1/16, 16]; else 0, unused: a shocked
    /// spot within [strike / 4, 4 strike] needs spot / strike within [1/6, 8] (shocks <= 50%, and
    /// truncating the shocked spot moves it by less than 1 wei), so only in-domain scenarios of
    /// legs in that band read it, and ln never sees a ratio near 0 (where it would not end).
    function _lnMoneyness(uint256 spot, uint256 strike) private pure returns (int256) {
        // spot <= 1e35 and strike <= 2.5e35 (_validate): 16 x and 1e18 x stay far below 2^256.
        if (16 * spot < strike || spot > 16 * strike) return 0;
        return BlackScholes.ln(int256(spot * 1e18 / strike));
    }

    /// @dev Adds one leg's loss (value now minus value in the scenario, at 1e36 scale) to every
    /// scenario. Inside the domain it prices with Black-Scholes' own steps (BlackScholes._d and
    /// _prices) but shares what the scenarios have in common: ln(x / strike) as ln(spot / strike)
    /// + ln(1 + shock) (the shock's ln once per check), the variance and its square root once per
    /// vol. Mathematically the same d1; numerically within a few wei of ln(x * 1e18 / strike) (two
    /// ln's rounding, and x's truncation), and a price moves with ln(x / K) only at second order
    /// (S phi(d1) = K phi(d2)), so scenario prices stay within a few wei of
    /// BlackScholes.callPrice/putPrice at x (the tests bound it). Outside it, the bounds of _value.
    function _addLeg(
        int256[18] memory loss36,
        uint256 spot,
        Shocks memory shocks,
        OptionLeg memory leg,
        Params memory p
    ) private pure returns (bool inDomain, uint256 unitNow) {
        bool long = leg.size > 0;
        int256 lnNow = _lnMoneyness(spot, leg.strike);
        // _value's domain test: inside it the bound does not matter and unitNow is Black-Scholes',
        // computed as BlackScholes._d and _prices do (same steps, same wei) without their range
        // checks, which _validate has made for the whole book.
        inDomain = 4 * spot >= leg.strike && spot <= 4 * leg.strike && leg.secondsToExpiry >= BlackScholes.MIN_EXPIRY;
        if (inDomain) {
            unchecked {
                uint256 variance36 = leg.volatility * leg.volatility * leg.secondsToExpiry / BlackScholes.YEAR;
                unitNow =
                    _price(spot, leg.strike, lnNow, BlackScholes.sqrt(variance36), variance36 / 2e18, leg.isCall);
            }
        } else {
            unitNow = _value(spot, leg, leg.volatility, long);
        }
        int256 now36 = leg.size * int256(unitNow);
        // c = [vol down, vol up, sd down, half variance down, sd up, half variance up]
        uint256[6] memory c;
        c[0] = shockedVol(leg.volatility, p, false);
        c[1] = shockedVol(leg.volatility, p, true);
        unchecked {
            // as in BlackScholes._d: vol^2 * seconds <= 25e36 * 6.4e7
            for (uint256 v; v < 2; ++v) {
                uint256 variance36 = c[v] * c[v] * leg.secondsToExpiry / BlackScholes.YEAR;
                c[2 + 2 * v] = BlackScholes.sqrt(variance36);
                c[3 + 2 * v] = variance36 / 2e18;
            }
        }
        for (uint256 s; s < NUM_SHOCKS; ++s) {
            (uint256 pDown, uint256 pUp) = _pricesAt(shocks.spot[s], lnNow + shocks.ln[s], leg, c, !long);
            // |size| <= 1e36 and prices < 2e36: every product and sum stays below 2^255.
            unchecked {
                loss36[2 * s] += now36 - leg.size * int256(pDown);
                loss36[2 * s + 1] += now36 - leg.size * int256(pUp);
            }
        }
    }

    /// @dev One contract's value at a shocked spot x with vol down and vol up (c as in _addLeg;
    /// lnRatio = ln(spot / strike) + ln(1 + shock), read only inside the domain).
    function _pricesAt(uint256 x, int256 lnRatio, OptionLeg memory leg, uint256[6] memory c, bool upper)
        private
        pure
        returns (uint256 pDown, uint256 pUp)
    {
        uint256 k = leg.strike;
        if (leg.secondsToExpiry >= BlackScholes.MIN_EXPIRY && 4 * x >= k && x <= 4 * k) {
            pDown = _price(x, k, lnRatio, c[2], c[3], leg.isCall);
            pUp = _price(x, k, lnRatio, c[4], c[5], leg.isCall);
        } else {
            pDown = _value(x, leg, c[0], upper);
            pUp = _value(x, leg, c[1], upper);
        }
    }

    /// @dev BlackScholes' d1, d2 and _prices from a precomputed ln(spot/strike), sd and half variance.
    function _price(uint256 spot, uint256 strike, int256 lnRatio, uint256 sd, uint256 halfVariance, bool isCall)
        private
        pure
        returns (uint256)
    {
        // Unchecked: as in BlackScholes (the domain bounds every term).
        unchecked {
            int256 d1 = (lnRatio + int256(halfVariance)) * IWAD / int256(sd);
            int256 d2 = d1 - int256(sd);
            uint256 nd1 = uint256(BlackScholes.cdf(d1));
            uint256 nd2 = uint256(BlackScholes.cdf(d2));
            if (isCall) {
                uint256 a = spot * nd1 / 1e18;
                uint256 b = strike * nd2 / 1e18;
                return a > b ? a - b : 0;
            }
            uint256 cc = strike * (WAD - nd2) / 1e18;
            uint256 e = spot * (WAD - nd1) / 1e18;
            return cc > e ? cc - e : 0;
        }
    }

    /// @notice The loss (rounded up) of one scenario: the same arithmetic margin() maximises.
    function scenarioLoss(uint256 spot, int256 perpSize, OptionLeg[] memory legs, Params memory p, uint256 scenario)
        internal
        pure
        returns (int256)
    {
        _validate(spot, perpSize, legs, p);
        uint256 shocked = shockedSpot(spot, p.priceShocks[scenario / 2]);
        int256 lnS = _lnShock(p.priceShocks[scenario / 2]);
        int256 loss36 = perpSize * (int256(spot) - int256(shocked));
        for (uint256 i; i < legs.length; ++i) {
            OptionLeg memory leg = legs[i];
            uint256 vol = shockedVol(leg.volatility, p, scenario % 2 == 1);
            loss36 += leg.size * int256(_value(spot, leg, leg.volatility, leg.size > 0));
            loss36 -= leg.size
                * int256(_scenarioValue(shocked, _lnMoneyness(spot, leg.strike) + lnS, leg, vol, leg.size <= 0));
        }
        return _ceilDivWad(loss36);
    }

    /// @dev One contract's value at the shocked spot x and shocked vol as the grid prices it, each
    /// step apart: inside the domain Black-Scholes from lnRatio = ln(spot /
    /// strike) + ln(1 + shock), the variance and its square root; outside it _value's bound.
    function _scenarioValue(uint256 x, int256 lnRatio, OptionLeg memory leg, uint256 vol, bool upper)
        private
        pure
        returns (uint256)
    {
        uint256 k = leg.strike;
        if (leg.secondsToExpiry < BlackScholes.MIN_EXPIRY || 4 * x < k || x > 4 * k) return _value(x, leg, vol, upper);
        uint256 variance36 = vol * vol * leg.secondsToExpiry / BlackScholes.YEAR;
        return _price(x, k, lnRatio, BlackScholes.sqrt(variance36), variance36 / 2e18, leg.isCall);
    }

    /// @notice spot * (1 + shock), truncated.
    function shockedSpot(uint256 spot, int256 shock) internal pure returns (uint256) {
        return uint256(int256(spot) * (IWAD + shock) / IWAD);
    }

    /// @notice vol * (1 + up) capped at 500%, or vol * (1 - down) floored at 1%, truncated.
    function shockedVol(uint256 vol, Params memory p, bool up) internal pure returns (uint256 v) {
        if (up) {
            v = vol * (WAD + p.volShockUp) / WAD;
            if (v > BlackScholes.MAX_VOL) v = BlackScholes.MAX_VOL;
        } else {
            v = vol * (WAD - p.volShockDown) / WAD;
            if (v < BlackScholes.MIN_VOL) v = BlackScholes.MIN_VOL;
        }
    }

    /// @notice The value of one contract of a leg at `spot` and `vol`: Black-Scholes inside its
    /// domain; outside it, an upper bound when `upper`, else a lower bound (see the title notes).
    function value(uint256 spot, OptionLeg memory leg, uint256 vol, bool upper) internal pure returns (uint256) {
        return _value(spot, leg, vol, upper);
    }

    function _value(uint256 spot, OptionLeg memory leg, uint256 vol, bool upper) private pure returns (uint256) {
        uint256 k = leg.strike;
        uint256 t = leg.secondsToExpiry;
        bool inMoneyness = 4 * spot >= k && spot <= 4 * k;
        if (inMoneyness && t >= BlackScholes.MIN_EXPIRY) return _bs(spot, k, t, vol, leg.isCall);
        if (!upper) {
            if (leg.isCall) return spot > k ? spot - k : 0;
            return k > spot ? k - spot : 0;
        }
        if (t < BlackScholes.MIN_EXPIRY) t = BlackScholes.MIN_EXPIRY;
        uint256 clamped = spot;
        if (4 * spot < k) clamped = (k + 3) / 4; // the smallest spot with 4 spot >= k
        else if (spot > 4 * k) clamped = 4 * k;
        uint256 bound = _bs(clamped, k, t, vol, leg.isCall);
        if (leg.isCall && spot > clamped) bound += spot - clamped;
        if (!leg.isCall && clamped > spot) bound += clamped - spot;
        return bound;
    }

    function _bs(uint256 spot, uint256 strike, uint256 t, uint256 vol, bool isCall) private pure returns (uint256) {
        return isCall ? BlackScholes.callPrice(spot, strike, t, vol) : BlackScholes.putPrice(spot, strike, t, vol);
    }

    function _validate(uint256 spot, int256 perpSize, OptionLeg[] memory legs, Params memory p) private pure {
        if (legs.length > MAX_OPTION_LEGS) revert TooManyLegs(legs.length);
        if (spot < MIN_SPOT || spot > MAX_SPOT) revert SpotOutOfRange(spot);
        if (perpSize > int256(MAX_SIZE) || perpSize < -int256(MAX_SIZE)) revert PerpSizeOutOfRange(perpSize);
        for (uint256 s; s < NUM_SHOCKS; ++s) {
            if (p.priceShocks[s] > MAX_PRICE_SHOCK || p.priceShocks[s] < -MAX_PRICE_SHOCK) revert InvalidParams();
        }
        if (
            p.volShockUp > MAX_VOL_SHOCK_UP || p.volShockDown > MAX_VOL_SHOCK_DOWN || p.shortFloor > WAD
                || p.maintenanceFraction > WAD
        ) revert InvalidParams();
        for (uint256 i; i < legs.length; ++i) {
            OptionLeg memory leg = legs[i];
            if (leg.strike < MIN_STRIKE || leg.strike > MAX_STRIKE) revert StrikeOutOfRange(i, leg.strike);
            if (leg.secondsToExpiry == 0 || leg.secondsToExpiry > BlackScholes.MAX_EXPIRY) {
                revert ExpiryOutOfRange(i, leg.secondsToExpiry);
            }
            if (leg.volatility < BlackScholes.MIN_VOL || leg.volatility > BlackScholes.MAX_VOL) {
                revert VolatilityOutOfRange(i, leg.volatility);
            }
            if (leg.size > int256(MAX_SIZE) || leg.size < -int256(MAX_SIZE)) {
                revert SizeOutOfRange(i, leg.size);
            }
        }
    }

    /// @dev ceil(x / 1e18) for a signed x (toward +infinity).
    function _ceilDivWad(int256 x) private pure returns (int256 q) {
        q = x / IWAD;
        if (x > 0 && q * IWAD != x) ++q;
    }

    /// @dev ceil(x / 1e18) for an unsigned x.
    function _ceilWad(uint256 x) private pure returns (uint256) {
        return (x + (WAD - 1)) / WAD;
    }
}
// forge-lint: disable-end(unsafe-typecast)
