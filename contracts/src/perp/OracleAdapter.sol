// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";

/// @title OracleAdapter
/// @notice Reads a Chainlink `AggregatorV3Interface` feed and normalises its answer to the clearing
/// house's price unit (collateral base units per 1e18 of size).
///
/// Rules:
/// - A reading is **fresh** when the feed call succeeds, the answer is positive, the round is
///   complete (`answeredInRound >= roundId`, `updatedAt != 0`), `updatedAt` is not in the future
///   and `block.timestamp - updatedAt <= heartbeat`.
/// - **Loose** reads (`read`) return the last answer with its freshness flag; a reverting or
///   non-positive feed gives price 0 (callers then treat the market as unpriced). The callers
///   decide what staleness costs: a risk-increasing fill needs the flag, batch margin checks and
///   liquidations let nothing stale count in the account's favour, reductions go through, so
///   users can exit while a feed lags.
/// - **Strict** reads revert `OracleStale` unless fresh (`readStrict`, or a loose read followed by
///   that check, as withdrawals with something to price and auto-deleveraging do).
/// - The deviation rule (a batch's clearing price must lie within `maxPriceDeviation` of the oracle
///   for risk-increasing fills) lives in the clearing house, which knows the clearing price.
library OracleAdapter {
    error OracleStale(address feed, uint256 updatedAt);

    /// @dev price = answer * multiplier / divisor, where multiplier / divisor =
    /// 10^collateralDecimals / 10^feedDecimals (both powers of ten, fixed when the market is listed).
    struct Feed {
        AggregatorV3Interface feed;
        uint32 heartbeat;
        uint96 multiplier;
        uint96 divisor;
    }

    /// @notice Loose read: (price, fresh). price = 0 when the feed reverts or answers <= 0.
    function read(Feed memory f) internal view returns (uint256 price, bool fresh, uint256 updatedAt) {
        try f.feed.latestRoundData() returns (uint80 roundId, int256 answer, uint256, uint256 updated, uint80 answeredIn) {
            if (answer <= 0) return (0, false, updated);
            // forge-lint: disable-next-line(unsafe-typecast) -- answer > 0 was just checked
            price = uint256(answer) * f.multiplier / f.divisor;
            updatedAt = updated;
            // forge-lint: disable-next-line(block-timestamp) -- staleness is defined against block time
            bool timely = updated <= block.timestamp && block.timestamp - updated <= f.heartbeat;
            fresh = price != 0 && updated != 0 && answeredIn >= roundId && timely;
        } catch {
            return (0, false, 0);
        }
    }

    /// @notice Strict read: reverts `OracleStale` unless the reading is fresh.
    function readStrict(Feed memory f) internal view returns (uint256 price) {
        bool fresh;
        uint256 updatedAt;
        (price, fresh, updatedAt) = read(f);
        if (!fresh) revert OracleStale(address(f.feed), updatedAt);
    }
}
