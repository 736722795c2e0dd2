// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";
import {Ownable2Step} from "../governance/Ownable2Step.sol";
import {ClearingHouse} from "../perp/ClearingHouse.sol";

/// @title OptionSeries
/// @notice The registry of option series: European calls and puts on a perp market's underlying,
/// cash-settled in the clearing house's collateral. A series is (market, strike, expiry, call/put).
///
/// Listing (owner only; the owner is meant to be the Timelock, so a listing takes effect only after
/// its delay, and the bounds are checked when it executes):
/// - the market is listed in the clearing house and its oracle mark is fresh;
/// - expiry is MIN_TIME_TO_EXPIRY (1 hour) to MAX_TIME_TO_EXPIRY (365 days) ahead;
/// - the strike is within [mark / 4, 4 mark] and [MIN_STRIKE, MAX_STRIKE], the range BlackScholes prices;
/// - no series with the same terms exists, and the market has fewer than MAX_LIVE_SERIES live
///   (unexpired) series. Ids are 1, 2, 3... in listing order.
/// The market's feed and its scaling to collateral units (as the clearing house's OracleAdapter
/// scales answers: answer * 10^collateralDecimals / 10^feedDecimals) are fixed at listing: a later
/// change of the market's feed does not change how a listed series settles.
///
/// Settlement (anyone, once block.timestamp >= expiry): the settlement price is the answer of the
/// **first** round of the series' feed whose updatedAt >= expiry. The caller names that round R;
/// the contract checks that R is complete (answeredInRound >= R, positive answer, updatedAt not in
/// the future), that updatedAt(R) >= expiry, and that the round before it was published before
/// expiry. Chainlink proxy round ids are (phaseId << 64) | aggregatorRoundId: within a phase the
/// aggregator rounds are consecutive, so the round before R is R - 1 whenever R's aggregator round
/// is above 1, and that round must exist with updatedAt < expiry. When R is the first round of a
/// phase (aggregator round 1, phase >= 1), the round before it lives in the previous phase under an
/// id the proxy does not let us derive, so R cannot be proven first and settle reverts
/// `PhaseStartRound`. Such a series is settled by governance instead (`settleAtPhaseStart`: the
/// owner, i.e. the Timelock, so the round it names is public for the Timelock's delay; no earlier
/// than PHASE_START_FALLBACK_DELAY after expiry; only at a complete phase-start round at or after
/// expiry), so positions never stay locked in an unsettleable series. Round 1 of a feed without
/// phases (id 1, phase 0) has no predecessor and is accepted. A settled series is final; expired
/// series no longer count as live (they leave the per-market cap and margin).
contract OptionSeries is Ownable2Step {
    uint256 public constant MIN_TIME_TO_EXPIRY = 1 hours;
    uint256 public constant MAX_TIME_TO_EXPIRY = 365 days;
    /// @notice Strike bounds (collateral units per 1e18 of the underlying), BlackScholes' price range.
    uint256 public constant MIN_STRIKE = 1e9;
    uint256 public constant MAX_STRIKE = 1e36;
    /// @notice A strike lies within [mark / MAX_MONEYNESS, mark * MAX_MONEYNESS] at listing.
    uint256 public constant MAX_MONEYNESS = 4;
    /// @notice Most unexpired series per market.
    uint256 public constant MAX_LIVE_SERIES = 64;
    /// @notice How long after expiry governance waits before it may settle at a phase-start round:
    /// a day in which anyone can settle through `settle` if any round of the old phase is first.
    uint256 public constant PHASE_START_FALLBACK_DELAY = 1 days;

    /// @dev Packed in four slots: (feed, market, expiry), (strike, multiplier, isCall),
    /// (divisor, settlementRound), settlementPrice.
    struct Series {
        /// @dev The market's feed when the series was listed; settlement reads its rounds.
        AggregatorV3Interface feed;
        uint32 market;
        /// @dev Unix seconds.
        uint64 expiry;
        /// @dev Collateral units per 1e18 of the underlying (<= MAX_STRIKE < 2^128).
        uint128 strike;
        /// @dev price = answer * multiplier / divisor (powers of ten, fixed at listing).
        uint96 multiplier;
        bool isCall;
        uint96 divisor;
        /// @dev The feed round the series settled at; 0 until settled.
        uint80 settlementRound;
        /// @dev Collateral units per 1e18 of the underlying; 0 until settled.
        uint256 settlementPrice;
    }

    error ZeroAddress();
    error MarketNotListed(uint32 market);
    /// @notice The market's oracle mark is stale or missing, so the strike bound cannot be checked.
    error StaleMark(uint32 market);
    error ExpiryOutOfRange(uint64 expiry, uint256 earliest, uint256 latest);
    error StrikeOutOfRange(uint256 strike, uint256 mark);
    error SeriesExists(uint64 seriesId);
    error TooManyLiveSeries(uint32 market);
    /// @notice The feed's decimals give a scale that does not fit (more than 28 decimals apart).
    error UnsupportedFeedDecimals(uint8 feedDecimals, uint8 collateralDecimals);
    error UnknownSeries(uint64 seriesId);
    error NotExpired(uint64 seriesId, uint64 expiry);
    error AlreadySettled(uint64 seriesId);
    /// @notice The round cannot be read, is incomplete, has a non-positive answer or lies in the future.
    error InvalidRound(uint80 roundId);
    error RoundBeforeExpiry(uint80 roundId, uint256 updatedAt);
    /// @notice The round before `roundId` is also at or after expiry: `roundId` is not the first.
    error NotFirstRound(uint80 roundId, uint256 previousUpdatedAt);
    /// @notice The round before `roundId` cannot be read, so `roundId` cannot be proven first.
    error PreviousRoundUnavailable(uint80 previousRoundId);
    /// @notice `roundId` opens a Chainlink phase: its predecessor cannot be derived (see the notice).
    error PhaseStartRound(uint80 roundId);
    /// @notice `settleAtPhaseStart` names a round that does not open a phase (use `settle`).
    error NotPhaseStartRound(uint80 roundId);
    /// @notice `settleAtPhaseStart` before expiry + PHASE_START_FALLBACK_DELAY.
    error FallbackTooEarly(uint64 seriesId, uint256 allowedAt);
    error NotSettled(uint64 seriesId);

    event SeriesListed(
        uint64 indexed seriesId, uint32 indexed market, uint256 strike, uint64 expiry, bool isCall, address feed
    );
    event SeriesSettled(uint64 indexed seriesId, uint80 roundId, uint256 settlementPrice, uint256 roundUpdatedAt);

    ClearingHouse public immutable clearingHouse;
    /// @notice The number of series listed so far (and the id of the last one).
    uint64 public seriesCount;

    mapping(uint64 seriesId => Series) internal _series;
    /// @dev keccak256(market, strike, expiry, isCall) => id, for duplicates and `seriesIdOf`.
    mapping(bytes32 terms => uint64 seriesId) internal _idByTerms;
    /// @dev Ids of the market's series that were unexpired when last pruned (<= MAX_LIVE_SERIES).
    mapping(uint32 market => uint64[]) internal _live;

    constructor(address owner_, ClearingHouse clearingHouse_) Ownable2Step(owner_) {
        if (owner_ == address(0) || address(clearingHouse_) == address(0)) revert ZeroAddress();
        clearingHouse = clearingHouse_;
    }

    // ------------------------------------------------------------------ governance

    // ------------------------------------------------------------------ listing

    /// @notice Lists a series (owner only) within the bounds of the contract notice.
    /// @param strike Collateral units per 1e18 of the underlying, the clearing house's price unit.
    /// @param expiry Unix seconds.
    function list(uint32 market, uint256 strike, uint64 expiry, bool isCall) external onlyOwner returns (uint64 id) {
        _checkTerms(market, strike, expiry);
        bytes32 terms = _terms(market, strike, expiry, isCall);
        uint64 existing = _idByTerms[terms];
        if (existing != 0) revert SeriesExists(existing);
        if (_pruneLive(market) >= MAX_LIVE_SERIES) revert TooManyLiveSeries(market);
        id = ++seriesCount;
        _idByTerms[terms] = id;
        _live[market].push(id);
        AggregatorV3Interface feed = _record(id, market, strike, expiry, isCall);
        emit SeriesListed(id, market, strike, expiry, isCall, address(feed));
    }

    /// @dev The market, expiry and strike bounds of the contract notice.
    function _checkTerms(uint32 market, uint256 strike, uint64 expiry) private view {
        (,,, bool listed) = clearingHouse.marketState(market);
        if (!listed) revert MarketNotListed(market);
        uint256 earliest = block.timestamp + MIN_TIME_TO_EXPIRY;
        uint256 latest = block.timestamp + MAX_TIME_TO_EXPIRY;
        if (expiry < earliest || expiry > latest) revert ExpiryOutOfRange(expiry, earliest, latest);
        (uint256 mark, bool fresh) = clearingHouse.markPrice(market);
        if (!fresh || mark == 0) revert StaleMark(market);
        if (
            strike < MIN_STRIKE || strike > MAX_STRIKE || strike * MAX_MONEYNESS < mark || strike > mark * MAX_MONEYNESS
        ) revert StrikeOutOfRange(strike, mark);
    }

    /// @dev Stores the series with the market's current feed and its scale.
    function _record(uint64 id, uint32 market, uint256 strike, uint64 expiry, bool isCall)
        private
        returns (AggregatorV3Interface feed)
    {
        feed = clearingHouse.marketConfig(market).feed;
        (uint96 multiplier, uint96 divisor) = _scale(feed);
        Series storage s = _series[id];
        (s.feed, s.market, s.expiry) = (feed, market, expiry);
        // forge-lint: disable-next-line(unsafe-typecast) -- strike <= MAX_STRIKE < 2^128
        (s.strike, s.multiplier, s.isCall) = (uint128(strike), multiplier, isCall);
        s.divisor = divisor;
    }

    /// @dev Drops the market's expired series from its live list; returns how many remain.
    function _pruneLive(uint32 market) private returns (uint256 n) {
        uint64[] storage ids = _live[market];
        n = ids.length;
        uint256 i;
        while (i < n) {
            // forge-lint: disable-next-line(block-timestamp) -- expiry is defined against block time
            if (_series[ids[i]].expiry <= block.timestamp) {
                ids[i] = ids[n - 1];
                ids.pop();
                --n;
            } else {
                ++i;
            }
        }
    }

    /// @dev The clearing house's normalisation (ClearingHouse._feed): 10^collateralDecimals / 10^feedDecimals.
    function _scale(AggregatorV3Interface feed) private view returns (uint96 multiplier, uint96 divisor) {
        uint8 feedDecimals = feed.decimals();
        uint8 collateralDecimals = clearingHouse.collateralDecimals();
        uint256 diff =
            collateralDecimals >= feedDecimals ? collateralDecimals - feedDecimals : feedDecimals - collateralDecimals;
        if (diff > 28) revert UnsupportedFeedDecimals(feedDecimals, collateralDecimals);
        // forge-lint: disable-next-line(unsafe-typecast) -- 10^28 < 2^96
        uint96 power = uint96(10 ** diff);
        (multiplier, divisor) = collateralDecimals >= feedDecimals ? (power, uint96(1)) : (uint96(1), power);
    }

    function _terms(uint32 market, uint256 strike, uint64 expiry, bool isCall) private pure returns (bytes32) {
        return keccak256(abi.encode(market, strike, expiry, isCall));
    }

    // ------------------------------------------------------------------ settlement

    /// @notice Settles an expired series at the answer of `roundId`, which must be the first round
    /// of the series' feed at or after expiry (see the contract notice). Anyone may call.
    /// @return price The settlement price, in collateral units per 1e18 of the underlying.
    function settle(uint64 seriesId, uint80 roundId) external returns (uint256 price) {
        (Series storage s, int256 answer, uint256 updatedAt) = _settleable(seriesId, roundId);
        if (uint64(roundId) > 1) {
            uint80 previous = roundId - 1;
            (bool prevOk,, uint256 prevUpdatedAt,) = _round(s.feed, previous);
            if (!prevOk) revert PreviousRoundUnavailable(previous);
            if (prevUpdatedAt >= s.expiry) revert NotFirstRound(roundId, prevUpdatedAt);
        } else if (roundId >> 64 != 0) {
            revert PhaseStartRound(roundId);
        }
        // Round 1 of a feed without phases: nothing came before it.
        return _record(s, seriesId, roundId, answer, updatedAt);
    }

    /// @notice Governance's settlement of a series whose first round at or after expiry opens a
    /// Chainlink phase (`settle` reverts `PhaseStartRound` for it): owner only (the Timelock), no
    /// earlier than PHASE_START_FALLBACK_DELAY after expiry, and only at a phase's first round
    /// (`roundId` = (phase << 64) | 1, phase >= 1) that is complete, positive, not in the future and
    /// at or after expiry. The owner vouches that it is the first such round of the feed; every
    /// other series settles without trusting anyone.
    function settleAtPhaseStart(uint64 seriesId, uint80 roundId) external onlyOwner returns (uint256 price) {
        (Series storage s, int256 answer, uint256 updatedAt) = _settleable(seriesId, roundId);
        if (uint64(roundId) != 1 || roundId >> 64 == 0) revert NotPhaseStartRound(roundId);
        uint256 allowedAt = uint256(s.expiry) + PHASE_START_FALLBACK_DELAY;
        // forge-lint: disable-next-line(block-timestamp) -- the delay is defined against block time
        if (block.timestamp < allowedAt) revert FallbackTooEarly(seriesId, allowedAt);
        return _record(s, seriesId, roundId, answer, updatedAt);
    }

    /// @dev The checks both settlement paths share: a known, expired, unsettled series and a
    /// complete round at or after expiry with a positive answer.
    function _settleable(uint64 seriesId, uint80 roundId)
        private
        view
        returns (Series storage s, int256 answer, uint256 updatedAt)
    {
        s = _series[seriesId];
        uint64 expiry = s.expiry;
        if (expiry == 0) revert UnknownSeries(seriesId);
        if (s.settlementRound != 0) revert AlreadySettled(seriesId);
        // forge-lint: disable-next-line(block-timestamp) -- expiry is defined against block time
        if (block.timestamp < expiry) revert NotExpired(seriesId, expiry);
        bool ok;
        uint80 answeredIn;
        (ok, answer, updatedAt, answeredIn) = _round(s.feed, roundId);
        // forge-lint: disable-next-line(block-timestamp) -- a round from the future is not a reading
        if (!ok || answer <= 0 || answeredIn < roundId || updatedAt > block.timestamp || uint64(roundId) == 0) {
            revert InvalidRound(roundId);
        }
        if (updatedAt < expiry) revert RoundBeforeExpiry(roundId, updatedAt);
    }

    function _record(Series storage s, uint64 seriesId, uint80 roundId, int256 answer, uint256 updatedAt)
        private
        returns (uint256 price)
    {
        // forge-lint: disable-next-line(unsafe-typecast) -- answer > 0 was checked by _settleable
        price = uint256(answer) * s.multiplier / s.divisor;
        if (price == 0) revert InvalidRound(roundId);
        s.settlementRound = roundId;
        s.settlementPrice = price;
        emit SeriesSettled(seriesId, roundId, price, updatedAt);
    }

    /// @dev One round of `feed`; ok is false when the call reverts, returns another id or a zero time.
    function _round(AggregatorV3Interface feed, uint80 roundId)
        private
        view
        returns (bool ok, int256 answer, uint256 updatedAt, uint80 answeredIn)
    {
        try feed.getRoundData(roundId) returns (uint80 id, int256 a, uint256, uint256 u, uint80 ain) {
            return (id == roundId && u != 0, a, u, ain);
        } catch {
            return (false, 0, 0, 0);
        }
    }

    // ------------------------------------------------------------------ views

    /// @notice The series' terms and settlement state (all zero for an unknown id).
    function series(uint64 seriesId) external view returns (Series memory) {
        return _series[seriesId];
    }

    /// @notice The id of the series with these terms, 0 if none is listed.
    function seriesIdOf(uint32 market, uint256 strike, uint64 expiry, bool isCall) external view returns (uint64) {
        return _idByTerms[_terms(market, strike, expiry, isCall)];
    }

    /// @notice The market's unexpired series, in no particular order.
    function liveSeries(uint32 market) external view returns (uint64[] memory ids) {
        uint64[] storage all = _live[market];
        ids = new uint64[](all.length);
        uint256 n;
        for (uint256 i; i < all.length; ++i) {
            // forge-lint: disable-next-line(block-timestamp) -- expiry is defined against block time
            if (_series[all[i]].expiry > block.timestamp) ids[n++] = all[i];
        }
        assembly ("memory-safe") {
            mstore(ids, n)
        }
    }

    /// @notice Whether the series is listed and not yet expired.
    function isLive(uint64 seriesId) external view returns (bool) {
        // forge-lint: disable-next-line(block-timestamp) -- expiry is defined against block time
        return _series[seriesId].expiry > block.timestamp;
    }

    /// @notice The cash payoff of 1e18 contracts of a settled series, in collateral units:
    /// max(0, S - K) for a call, max(0, K - S) for a put, S the settlement price, K the strike.
    function payoff(uint64 seriesId) external view returns (uint256) {
        Series storage s = _series[seriesId];
        if (s.expiry == 0) revert UnknownSeries(seriesId);
        if (s.settlementRound == 0) revert NotSettled(seriesId);
        uint256 price = s.settlementPrice;
        uint256 strike = s.strike;
        if (s.isCall) return price > strike ? price - strike : 0;
        return strike > price ? strike - price : 0;
    }
}
