// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {FixedPointMathLib as FPM} from "solady/utils/FixedPointMathLib.sol";
import {ICircuitBreaker} from "../interfaces/ICircuitBreaker.sol";
import {Position} from "../perp/PerpMath.sol";
import {BlackScholes} from "./BlackScholes.sol";
import {OptionBook} from "./OptionBook.sol";
import {OptionSeries} from "./OptionSeries.sol";
import {VolatilityFeed} from "./VolatilityFeed.sol";

/// @notice Quote, limit and hedge parameters of one underlying (a perp market id).
/// @param baseVolSpread Half-spread in vol, wad (0.01e18 = one vol point): ν x this per contract.
/// @param minSpread Half-spread as a wad fraction of the mark per contract (a floor for options
/// with little vega; should cover the book's premium fee).
/// @param deltaScale Net delta (contracts, wad) at which the delta skew reaches 100% of the mark
/// per unit of the trade's delta.
/// @param vegaScale Net vega (collateral units per 1.0 of vol, wad) at which the vault's vol
/// moves by 1.0 (100 vol points).
/// @param maxDelta Bound on |net delta| after a trade that grows it (contracts, wad).
/// @param maxVega Bound on |net vega| after a trade that grows it.
/// @param maxContracts Bound on |position| in one series after a trade that grows it.
/// @param hedgeTolerance How far past zero a hedge may take the net delta, and the dead band
/// within which no hedge is accepted (contracts, wad).
/// @param hedgeBand Hedge limit prices within this wad fraction of the mark.
struct UnderlyingParams {
    uint64 baseVolSpread;
    uint64 minSpread;
    uint64 hedgeBand;
    bool enabled;
    uint128 deltaScale;
    uint128 vegaScale;
    uint128 maxDelta;
    uint128 maxVega;
    uint128 maxContracts;
    uint128 hedgeTolerance;
}

/// @notice What the quoter reads from the clearing house.
interface IOptionVaultClearingHouse {
    function markPrice(uint32 id) external view returns (uint256 price, bool fresh);
    function position(address account, uint32 id) external view returns (Position memory);
    function circuitBreaker() external view returns (ICircuitBreaker);
}

/// @notice What the quoter reads from its vault.
interface IOptionVaultParams {
    function underlyingParams(uint32 market) external view returns (UnderlyingParams memory);
}

/// @title OptionVaultQuoter
/// @notice The pricing half of `OptionVault` (quote, net delta and vega, hedge rule), deployed by
/// the vault's constructor and read by it with view calls. A separate contract only for EIP-170:
/// Black-Scholes and the quote do not fit beside the LP code (37.4 kB in one contract). It holds
/// nothing and decides nothing by itself: every answer is about `vault`'s book, read live.
/// The formulas are the vault's (see `OptionVault`'s notice); `protocol/options/option-vault.ts`
/// mirrors them to the wei.
contract OptionVaultQuoter {
    /// @notice One contract of a series at the mark: Black-Scholes price, signed delta, vega.
    struct Greeks {
        uint256 price;
        int256 delta;
        int256 vega;
    }

    int256 internal constant WAD = 1e18;
    uint256 internal constant MAX_SIZE = 1e36;
    /// @dev The book's bound on an account's open series.
    uint256 internal constant MAX_SERIES = 4;
    uint256 internal constant MAX_MARK = 1e36;

    IOptionVaultParams public immutable vault;
    OptionBook public immutable book;
    OptionSeries public immutable registry;
    VolatilityFeed public immutable volatilityFeed;
    IOptionVaultClearingHouse public immutable clearingHouse;

    error InvalidSize(int256 sizeDelta);
    error UnknownSeries(uint64 series);
    error SeriesExpired(uint64 series);
    /// @notice The series is outside Black-Scholes' domain at the mark (moneyness beyond 4x, or
    /// under 60 s to expiry): the vault does not quote it.
    error OutsideModel(uint64 series);
    error UnderlyingDisabled(uint32 market);
    error StaleMark(uint32 market);
    error StaleVolSurface(uint32 market);
    error MarketHalted(uint32 market);
    error MaxContractsExceeded(uint64 series, int256 positionAfter);
    error MaxDeltaExceeded(uint32 market, int256 deltaAfter);
    error MaxVegaExceeded(uint32 market, int256 vegaAfter);
    /// @notice A new series while the vault already holds the book's MAX_ACCOUNT_OPTIONS.
    error TooManySeries();
    /// @notice The perp fill is not a hedge of the net delta (see the vault's notice).
    error NotAHedge(uint32 market, int256 netDelta, int256 sizeDelta);

    constructor(OptionBook book_) {
        vault = IOptionVaultParams(msg.sender);
        book = book_;
        registry = book_.registry();
        volatilityFeed = book_.volatilityFeed();
        clearingHouse = IOptionVaultClearingHouse(address(book_.clearingHouse()));
    }

    /// @notice `OptionVault.quote` (the vault forwards it here; see the vault's notice).
    function quote(uint64 series, int256 sizeDelta) external view returns (uint256 premium) {
        // forge-lint: disable-next-line(unsafe-typecast) -- MAX_SIZE = 1e36
        if (sizeDelta == 0 || sizeDelta > int256(MAX_SIZE) || sizeDelta < -int256(MAX_SIZE)) {
            revert InvalidSize(sizeDelta);
        }
        OptionSeries.Series memory s = registry.series(series);
        if (s.expiry == 0) revert UnknownSeries(series);
        // forge-lint: disable-next-line(block-timestamp) -- expiry is defined against block time
        if (s.expiry <= block.timestamp) revert SeriesExpired(series);
        uint32 market = s.market;
        UnderlyingParams memory p = vault.underlyingParams(market);
        if (!p.enabled) revert UnderlyingDisabled(market);
        uint256 mark = _freshMark(market);
        Greeks memory g = _greeks(s, mark, true);
        if (g.price == type(uint256).max) revert OutsideModel(series);

        _checkContracts(series, sizeDelta, p.maxContracts);
        (int256 d0, int256 v0) = _exposure(market, mark, true);
        int256[4] memory e = [d0, d0 + sizeDelta * g.delta / WAD, v0, v0 + sizeDelta * g.vega / WAD];
        if (_abs(e[1]) > _abs(d0) && _abs(e[1]) > p.maxDelta) revert MaxDeltaExceeded(market, e[1]);
        if (_abs(e[3]) > _abs(v0) && _abs(e[3]) > p.maxVega) revert MaxVegaExceeded(market, e[3]);
        premium = _premium(g, mark, e, p, sizeDelta < 0);
    }

    /// @dev The series' position limit and the book's slot bound.
    function _checkContracts(uint64 series, int256 sizeDelta, uint256 maxContracts) private view {
        int256 held = book.positionOf(address(vault), series);
        int256 after_ = held + sizeDelta;
        if (_abs(after_) > _abs(held) && _abs(after_) > maxContracts) revert MaxContractsExceeded(series, after_);
        if (held == 0 && book.seriesOf(address(vault)).length >= MAX_SERIES) revert TooManySeries();
    }

    /// @dev The premium from the greeks of one contract and e = [D0, D1, V0, V1] (contract notice).
    function _premium(Greeks memory g, uint256 mark, int256[4] memory e, UnderlyingParams memory p, bool sells)
        private
        pure
        returns (uint256)
    {
        // forge-lint: disable-next-line(unsafe-typecast) -- vega >= 0 inside the domain
        uint256 vega = uint256(g.vega);
        uint256 base = sells
            ? FPM.mulDivUp(vega, p.baseVolSpread, 1e18) + FPM.mulDivUp(mark, p.minSpread, 1e18)
            : FPM.mulDiv(vega, p.baseVolSpread, 1e18) + FPM.mulDiv(mark, p.minSpread, 1e18);
        // Skew: -(D0 + D1) δ m / (2 deltaScale 1e18) - (V0 + V1) ν / (2 vegaScale), each rounded
        // toward +inf when the vault sells, toward -inf when it buys.
        int256 skew = _mulDiv(-(e[0] + e[1]) * g.delta, mark, 2 * uint256(p.deltaScale) * 1e18, sells)
            + _mulDiv(-(e[2] + e[3]), vega, 2 * uint256(p.vegaScale), sells);
        // forge-lint: disable-next-line(unsafe-typecast) -- price and base < 2e36
        int256 total = sells ? int256(g.price + base) + skew : int256(g.price) - int256(base) + skew;
        // forge-lint: disable-next-line(unsafe-typecast) -- positive
        return total > 0 ? uint256(total) : 0;
    }

    /// @notice `OptionVault.exposure`: the vault's net delta (contracts of the underlying, wad) and net vega (collateral
    /// units per 1.0 of vol) on `market`: its perp position plus its live options at the mark
    /// (loose: the last mark and surface even when stale; `quote` and the hedge rule insist on fresh
    /// ones). Each option term is size x greek / 1e18, truncated; legs outside Black-Scholes' domain
    /// count their intrinsic delta (0 or ±1 per contract) and no vega; expired legs count nothing.
    function exposure(uint32 market) external view returns (int256 netDelta, int256 netVega) {
        (uint256 mark,) = clearingHouse.markPrice(market);
        return _exposure(market, mark, false);
    }

    /// @notice `OptionVault.hedgeQuote`: the worst limit price at which the vault takes the perp fill `sizeDelta` on `market`
    /// as a hedge now (buy: the highest it pays, sell: the lowest it accepts). Reverts `NotAHedge`
    /// unless it is one (contract notice), and as `quote` on a disabled underlying, stale mark or
    /// surface, or halt.
    function hedgeQuote(uint32 market, int256 sizeDelta) external view returns (uint256 limit) {
        UnderlyingParams memory p = vault.underlyingParams(market);
        if (!p.enabled) revert UnderlyingDisabled(market);
        uint256 mark = _freshMark(market);
        (int256 d,) = _exposure(market, mark, true);
        // forge-lint: disable-next-line(unsafe-typecast) -- tolerance <= 1e36
        int256 tol = int256(uint256(p.hedgeTolerance));
        bool ok = d > tol ? sizeDelta < 0 && d + sizeDelta >= -tol : d < -tol && sizeDelta > 0 && d + sizeDelta <= tol;
        if (!ok) revert NotAHedge(market, d, sizeDelta);
        limit = sizeDelta > 0 ? FPM.mulDiv(mark, 1e18 + p.hedgeBand, 1e18) : FPM.mulDivUp(mark, 1e18 - p.hedgeBand, 1e18);
    }

    /// @dev The fresh oracle mark of `market`, not halted by its circuit breaker.
    function _freshMark(uint32 market) private view returns (uint256 mark) {
        bool fresh;
        (mark, fresh) = clearingHouse.markPrice(market);
        if (!fresh || mark == 0 || mark > MAX_MARK) revert StaleMark(market);
        ICircuitBreaker breaker = clearingHouse.circuitBreaker();
        if (address(breaker) != address(0)) {
            (bool halted,) = breaker.isHalted(market);
            if (halted) revert MarketHalted(market);
        }
    }

    /// @dev Net delta and vega on `market` (see `exposure`); `strict` reverts on a stale surface.
    function _exposure(uint32 market, uint256 mark, bool strict) private view returns (int256 d, int256 v) {
        d = clearingHouse.position(address(vault), market).size;
        uint64[] memory held = book.seriesOf(address(vault));
        for (uint256 i; i < held.length; ++i) {
            OptionSeries.Series memory s = registry.series(held[i]);
            // forge-lint: disable-next-line(block-timestamp) -- expiry is defined against block time
            if (s.market != market || s.expiry <= block.timestamp) continue;
            int256 size = book.positionOf(address(vault), held[i]);
            Greeks memory g = _greeks(s, mark, strict);
            d += size * g.delta / WAD;
            v += size * g.vega / WAD;
        }
    }

    /// @dev One contract's price, delta and vega at `mark` and the surface's vol (clamped into
    /// Black-Scholes' range, as the book does). Outside the domain: price type(uint256).max (the
    /// caller refuses to quote), intrinsic delta, no vega.
    function _greeks(OptionSeries.Series memory s, uint256 mark, bool strict) private view returns (Greeks memory g) {
        uint256 strike = s.strike;
        uint256 t = uint256(s.expiry) - block.timestamp;
        bool inDomain = 4 * mark >= strike && mark <= 4 * strike && t >= BlackScholes.MIN_EXPIRY
            && mark >= BlackScholes.MIN_PRICE && strike >= BlackScholes.MIN_PRICE && t <= BlackScholes.MAX_EXPIRY;
        if (!inDomain) {
            g.price = type(uint256).max;
            if (s.isCall) g.delta = mark > strike ? WAD : int256(0);
            else g.delta = mark < strike ? -WAD : int256(0);
            return g;
        }
        // forge-lint: disable-next-line(unsafe-typecast) -- strike <= 1e36, mark >= 1e9
        int256 k = BlackScholes.ln(int256(strike * 1e18 / mark));
        (uint256 vol, bool volFresh) = volatilityFeed.impliedVol(s.market, k, t);
        if (strict && !volFresh) revert StaleVolSurface(s.market);
        if (vol < BlackScholes.MIN_VOL) vol = BlackScholes.MIN_VOL;
        if (vol > BlackScholes.MAX_VOL) vol = BlackScholes.MAX_VOL;
        BlackScholes.Result memory r = BlackScholes.evaluate(mark, strike, t, vol);
        g.price = s.isCall ? r.call : r.put;
        // forge-lint: disable-start(unsafe-typecast) -- callDelta <= 1e18, vega < 1e36
        g.delta = s.isCall ? int256(r.callDelta) : int256(r.callDelta) - WAD;
        g.vega = int256(r.vega);
        // forge-lint: disable-end(unsafe-typecast)
    }

    /// @dev a * b / den for a signed a, rounded toward +inf when `up`, else toward -inf (512-bit
    /// intermediate, so no product overflows).
    function _mulDiv(int256 a, uint256 b, uint256 den, bool up) private pure returns (int256) {
        // forge-lint: disable-next-line(unsafe-typecast) -- |a| < 2^255
        uint256 m = uint256(a < 0 ? -a : a);
        bool awayFromZero = (a < 0) != up; // toward +inf on a positive value rounds its magnitude up
        uint256 q = awayFromZero ? FPM.fullMulDivUp(m, b, den) : FPM.fullMulDiv(m, b, den);
        // forge-lint: disable-next-line(unsafe-typecast) -- |a| b / den stays far below 2^255 for bounded inputs
        return a < 0 ? -int256(q) : int256(q);
    }

    function _abs(int256 x) private pure returns (uint256) {
        // forge-lint: disable-next-line(unsafe-typecast) -- |x| < 2^255
        return uint256(x < 0 ? -x : x);
    }
}
