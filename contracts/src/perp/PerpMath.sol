// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice One account's position in one market, as in `protocol/margin.ts`.
/// @param size Signed size, 1e18 fixed point (negative = short).
/// @param openNotional Signed cost basis in collateral base units (size * entry price).
/// @param fundingIndex The market's cumulative funding index when the position was last settled.
struct Position {
    int256 size;
    int256 openNotional;
    int256 fundingIndex;
}

/// @notice How the clearing house stores a `Position`: two slots instead of three (size and the
/// funding index share one), so a trade, a margin check or a liquidation leg reads and writes one
/// cold slot less per position. The narrow fields are safe by the clearing house's bounds:
/// |size| <= open interest <= MAX_SIZE = 1e36 < 2^127 (every short has a long; a fill is at most
/// MAX_SIZE more before the open-interest cap is checked, still < 2^127), and
/// |funding index| grows by at most MAX_PRICE (1e30) * 20% / 1 hour = 5.6e25 a second, which takes
/// 3e12 s (about 97,000 years) to reach 2^127. `PerpMath.toInt128` reverts rather than wrap.
struct StoredPosition {
    int128 size;
    int128 fundingIndex;
    int256 openNotional;
}

/// @title PerpMath
/// @notice The cross-margin maths of `protocol/margin.ts`, line for line, so the contract and the
/// TypeScript give the same numbers to the wei. Units: collateral base units; sizes and prices
/// 1e18 fixed point (price = collateral base units per 1e18 of size); fractions 1e18 fixed point.
/// Rounding always goes against the account: losses and requirements up, gains down.
/// All arithmetic is checked: an overflowing product reverts rather than wraps.
library PerpMath {
    int256 internal constant WAD = 1e18;
    uint256 internal constant UWAD = 1e18;

    /// @notice A value does not fit a `StoredPosition` field (unreachable within the bounds above).
    error PositionFieldOverflow(int256 value);

    /// @notice `x` as an int128, reverting `PositionFieldOverflow` outside its range.
    function toInt128(int256 x) internal pure returns (int128) {
        if (x > type(int128).max || x < type(int128).min) revert PositionFieldOverflow(x);
        // forge-lint: disable-next-line(unsafe-typecast) -- the range was just checked
        return int128(x);
    }

    /// @notice `x` as a uint128, reverting `PositionFieldOverflow` above its range.
    function toUint128(uint256 x) internal pure returns (uint128) {
        // forge-lint: disable-next-line(unsafe-typecast) -- x <= max(int256) here, checked below
        if (x > type(uint128).max) revert PositionFieldOverflow(int256(x >> 1));
        // forge-lint: disable-next-line(unsafe-typecast) -- the range was just checked
        return uint128(x);
    }

    /// @notice `x` as an int96, reverting `PositionFieldOverflow` outside its range.
    function toInt96(int256 x) internal pure returns (int96) {
        if (x > type(int96).max || x < type(int96).min) revert PositionFieldOverflow(x);
        // forge-lint: disable-next-line(unsafe-typecast) -- the range was just checked
        return int96(x);
    }

    /// @notice The stored position as a `Position` (memory).
    function load(StoredPosition storage s) internal view returns (Position memory) {
        return Position(s.size, s.openNotional, s.fundingIndex);
    }

    /// @notice floor(a * b / d) toward negative infinity, d > 0.
    function mulDivFloor(int256 a, int256 b, int256 d) internal pure returns (int256 q) {
        int256 p = a * b;
        q = p / d;
        if (p % d != 0 && p < 0) q -= 1;
    }

    /// @notice ceil(a * b / d) toward positive infinity, d > 0.
    function mulDivCeil(int256 a, int256 b, int256 d) internal pure returns (int256 q) {
        int256 p = a * b;
        q = p / d;
        if (p % d != 0 && p > 0) q += 1;
    }

    function abs(int256 x) internal pure returns (int256) {
        return x < 0 ? -x : x;
    }

    /// @notice Funding a position owes since it was last touched (positive = pays).
    function pendingFunding(Position memory p, int256 marketIndex) internal pure returns (int256) {
        return mulDivCeil(p.size, marketIndex - p.fundingIndex, WAD);
    }

    /// @notice Unrealised PnL at `mark`, rounded down.
    function unrealisedPnl(Position memory p, int256 mark) internal pure returns (int256) {
        return mulDivFloor(p.size, mark, WAD) - p.openNotional;
    }

    /// @notice |size| * price, rounded up.
    function notional(int256 size, int256 price) internal pure returns (int256) {
        return mulDivCeil(abs(size), price, WAD);
    }

    /// @notice Taker fee for trading `sizeDelta` at `price`, rounded up.
    function tradeFee(int256 sizeDelta, int256 price, int256 feeFraction) internal pure returns (int256) {
        return mulDivCeil(notional(sizeDelta, price), feeFraction, WAD);
    }

    /// @notice Applies a fill of `sizeDelta` at `price` to a position whose funding is settled.
    /// Returns the new size and open notional and the realised PnL (see margin.ts `applyFill`).
    function applyFill(int256 size, int256 openNotional, int256 sizeDelta, int256 price)
        internal
        pure
        returns (int256 newSize, int256 newOpenNotional, int256 realisedPnl)
    {
        if (sizeDelta == 0) return (size, openNotional, 0);
        if (size == 0 || (size > 0) == (sizeDelta > 0)) {
            return (size + sizeDelta, openNotional + mulDivCeil(sizeDelta, price, WAD), 0);
        }
        int256 closing = abs(sizeDelta) >= abs(size) ? -size : sizeDelta;
        int256 released = (openNotional * -closing) / size; // truncates toward zero, like BigInt
        realisedPnl = mulDivFloor(-closing, price, WAD) - released;
        newSize = size + closing;
        newOpenNotional = openNotional - released;
        int256 opening = sizeDelta - closing;
        if (opening != 0) {
            newSize = opening;
            newOpenNotional = mulDivCeil(opening, price, WAD);
        }
    }

    /// @notice The oracle price less the haircut, rounded down: floor(price * (1 - haircut)).
    function haircutPrice(uint256 price, uint256 haircut) internal pure returns (uint256) {
        return price * (UWAD - haircut) / UWAD;
    }

    /// @notice What `amount` (base units of a `decimals`-decimal token) of extra collateral counts
    /// in equity: floor(amount * haircutPrice / 10^decimals), price = stablecoin base units per whole
    /// token, rounded down twice (against the account). amount, price <= 1e36 keep it in range.
    function collateralValue(uint256 amount, uint256 price, uint8 decimals, uint256 haircut)
        internal
        pure
        returns (int256)
    {
        // forge-lint: disable-next-line(unsafe-typecast) -- <= 1e36 * 1e36 < 2^255
        return int256(amount * haircutPrice(price, haircut) / 10 ** decimals);
    }

    /// @notice The smallest amount of extra collateral whose value (`collateralValue`) is at least
    /// `value` > 0, given a haircut price > 0: ceil(value * 10^decimals / haircutPrice).
    function collateralForValue(uint256 value, uint256 hcPrice, uint8 decimals) internal pure returns (uint256) {
        return (value * 10 ** decimals + hcPrice - 1) / hcPrice;
    }

    /// @notice The smallest fraction of every position to close at mark that brings the account
    /// back to the liquidation target, halfway between maintenance and initial margin (so one
    /// liquidation is enough in ordinary moves), given a penalty on closed notional; 0 above
    /// maintenance; WAD when nothing partial reaches the target (see margin.ts).
    function liquidationFraction(
        int256 equity,
        int256 maintenance,
        int256 initial,
        int256 totalNotional,
        int256 penaltyFraction
    ) internal pure returns (int256) {
        if (equity >= maintenance) return 0;
        int256 target = maintenance + (initial - maintenance) / 2;
        int256 penaltyAll = mulDivCeil(totalNotional, penaltyFraction, WAD);
        int256 denominator = target - penaltyAll;
        if (equity <= 0 || denominator <= 0) return WAD;
        int256 f = mulDivCeil(target - equity, WAD, denominator);
        return f >= WAD ? WAD : f;
    }
}
