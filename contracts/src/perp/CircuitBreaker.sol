// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";
import {ICircuitBreaker} from "../interfaces/ICircuitBreaker.sol";
import {Ownable2Step} from "../governance/Ownable2Step.sol";

/// @notice The one clearing-house view the breaker needs: a market's feed is its first field.
interface IClearingHouseFeeds {
    function marketConfig(uint32 id) external view returns (address feed, uint32, uint32, uint64, uint64, uint64, uint64, uint64, uint256);
}

/// @title CircuitBreaker
/// @notice Halts risk-increasing trades in a perp market while its oracle has just moved too far,
/// so that nobody opens or grows a position on a price that may be a crash, a spike or a broken
/// feed, while everybody can still reduce, close and be liquidated. A separate contract because the
/// clearing house has no code room left (EIP-170); the clearing house calls `observe` once per
/// batch market and refuses risk-increasing fills (`MarketHalted`) while it returns true.
///
/// Rules, per market id with a config `{maxMove, window, cooldown}` (zero config: no breaker):
/// - **History**: the feed is the one the clearing house lists for the market (read from
///   `clearingHouse` on every call, so no caller can point the breaker at another feed). The
///   breaker walks back from the latest round over the rounds whose `updatedAt` lies within
///   `[now - window, now]`, plus the last round before that window (the baseline: the price the
///   window started from). It walks at most `MAX_ROUNDS` rounds (bounded gas); when more rounds
///   than that fall in the window, the oldest walked round is the baseline, so only the newest
///   `MAX_ROUNDS` rounds count (so a feed publishing every few seconds is watched over its last
///   `MAX_ROUNDS` rounds only; configure the window with the feed's pace in mind). The walk stops
///   early (those rounds are all it has) when `getRoundData` reverts or returns too little data
///   (missing round ids, e.g. the first round of a Chainlink proxy's phase) or answers something
///   unusable (non-positive, >= 2^128, `updatedAt` 0 or newer than the round after it). A latest round that cannot be read never trips: staleness is the clearing
///   house's business (`OracleStale`).
/// - **Trip**: the move over those rounds is `max / min - 1`, measured on the feed's raw answers;
///   it trips when `max > min * (1 + maxMove)`. Max over min catches a crash that recovered within
///   the window as well as one that did not, and measures a rise and a fall from the lower price
///   (a 30% fall is a 42.9% move; a move of exactly `maxMove` does not trip).
/// - **Halt**: a trip sets `haltedUntil = max(haltedUntil, now + cooldown)`. So while the move is
///   within the window every observation pushes the end out; trading resumes `cooldown` after the
///   last observation that still saw it (at the latest `window + cooldown` after the move for a
///   market observed that long; the move leaves the window once its rounds are older than
///   `window`, and the baseline is then a round at the new price).
/// - **Events**: `CircuitBreakerTripped` each time a trip sets a later `haltedUntil` (so at most
///   once per market per block, not once per batch of the same block); `CircuitBreakerResumed`
///   once, in the first observation after the halt ended (the stored end is then cleared).
/// - **Prediction**: `isHalted` runs the same code as `observe` without writing, so in the same
///   block it returns exactly what `observe` decides (solvers call it before building a batch, and
///   leave a halted market's risk-increasing intents open instead of submitting a batch that reverts).
///
/// Governance: two-step ownership (`transferOwnership` then `acceptOwnership`), meant to be held by
/// the Timelock, so a new config takes effect only after its delay; the bounds below keep even
/// the owner from configuring a breaker that halts on noise or never ends.
contract CircuitBreaker is ICircuitBreaker, Ownable2Step {
    uint256 internal constant WAD = 1e18;
    /// @notice Most rounds one observation reads (the latest included): bounds its gas.
    uint256 public constant MAX_ROUNDS = 16;
    uint256 public constant MIN_MAX_MOVE = 0.01e18;
    uint256 public constant MAX_MAX_MOVE = 0.5e18;
    uint256 public constant MIN_WINDOW = 1 minutes;
    uint256 public constant MAX_WINDOW = 1 days;
    uint256 public constant MIN_COOLDOWN = 1 minutes;
    uint256 public constant MAX_COOLDOWN = 1 days;

    /// @notice A market's breaker. All zero: none.
    struct Config {
        /// @dev Largest allowed `max / min - 1` within the window, a 1e18 fraction.
        uint64 maxMove;
        /// @dev Seconds of feed history the move is measured over.
        uint32 window;
        /// @dev Seconds a trip halts risk-increasing trades for.
        uint32 cooldown;
    }

    error ZeroAddress();
    error UnknownMarket(uint32 market);
    error InvalidConfig(uint32 market);

    /// @notice `fromPrice` and `toPrice` are the feed's raw answers at the two ends of the move, in time order.
    event CircuitBreakerTripped(uint32 indexed market, uint256 fromPrice, uint256 toPrice, uint64 haltedUntil);
    event CircuitBreakerResumed(uint32 indexed market);
    event ConfigSet(uint32 indexed market, Config config);

    /// @notice Whose market list (and feeds) the breaker watches.
    address public immutable clearingHouse;
    mapping(uint32 market => Config) internal _configs;
    /// @notice End of the market's halt as last stored (0: none; may lie in the past until observed).
    mapping(uint32 market => uint64) public haltedUntil;

    constructor(address owner_, address clearingHouse_) Ownable2Step(owner_) {
        if (owner_ == address(0) || clearingHouse_ == address(0)) revert ZeroAddress();
        clearingHouse = clearingHouse_;
    }

    // ------------------------------------------------------------------ governance

    /// @notice Sets the breaker of a listed market: every field within its bounds, or all zero to
    /// remove it (which also lifts a running halt: with no breaker there is nothing to wait for).
    function setConfig(uint32 market, Config calldata cfg) external onlyOwner {
        if (_feed(market) == address(0)) revert UnknownMarket(market);
        bool off = cfg.maxMove == 0 && cfg.window == 0 && cfg.cooldown == 0;
        if (
            !off
                && (cfg.maxMove < MIN_MAX_MOVE || cfg.maxMove > MAX_MAX_MOVE || cfg.window < MIN_WINDOW
                    || cfg.window > MAX_WINDOW || cfg.cooldown < MIN_COOLDOWN || cfg.cooldown > MAX_COOLDOWN)
        ) revert InvalidConfig(market);
        _configs[market] = cfg;
        emit ConfigSet(market, cfg);
        if (off && haltedUntil[market] != 0) {
            delete haltedUntil[market];
            emit CircuitBreakerResumed(market);
        }
    }

    function config(uint32 market) external view returns (Config memory) {
        return _configs[market];
    }

    // ------------------------------------------------------------------ the breaker

    /// @inheritdoc ICircuitBreaker
    function observe(uint32 market) external returns (bool halted) {
        uint64 stored = haltedUntil[market];
        (uint64 until, bool tripped, uint256 fromPrice, uint256 toPrice) = _decide(market, stored);
        // forge-lint: disable-next-line(block-timestamp) -- halts are defined in block time
        halted = until > block.timestamp;
        // forge-lint: disable-next-line(block-timestamp) -- halts are defined in block time
        if (stored != 0 && stored <= block.timestamp) {
            delete haltedUntil[market];
            emit CircuitBreakerResumed(market);
        }
        if (tripped) {
            haltedUntil[market] = until;
            emit CircuitBreakerTripped(market, fromPrice, toPrice, until);
        }
    }

    /// @inheritdoc ICircuitBreaker
    function isHalted(uint32 market) external view returns (bool halted, uint64 until) {
        (until,,,) = _decide(market, haltedUntil[market]);
        // forge-lint: disable-next-line(block-timestamp) -- halts are defined in block time
        halted = until > block.timestamp;
        if (!halted) until = 0;
    }

    /// @notice The move over the market's window as the trip rule measures it: the two raw answers
    /// (in time order) and whether it exceeds `maxMove`; zeros for a market without a breaker.
    function move(uint32 market) external view returns (bool trips, uint256 fromPrice, uint256 toPrice) {
        return _trips(market, _configs[market]);
    }

    /// @dev The halt end after an observation now: `stored` extended by a trip; the caller clears
    /// an end that has passed. `tripped` only when the trip moves the end later.
    function _decide(uint32 market, uint64 stored)
        private
        view
        returns (uint64 until, bool tripped, uint256 fromPrice, uint256 toPrice)
    {
        until = stored;
        Config memory c = _configs[market];
        if (c.maxMove == 0) return (until, false, 0, 0);
        bool trips;
        (trips, fromPrice, toPrice) = _trips(market, c);
        // block.timestamp < 2^64 for the foreseeable future; cooldown <= 1 day.
        // forge-lint: disable-next-line(unsafe-typecast) -- see above
        uint64 end = uint64(block.timestamp) + c.cooldown;
        if (trips && end > until) {
            until = end;
            tripped = true;
        }
    }

    function _trips(uint32 market, Config memory c) private view returns (bool trips, uint256 fromPrice, uint256 toPrice) {
        if (c.maxMove == 0) return (false, 0, 0);
        address feed = _feed(market);
        (uint80 roundId, uint256 price, uint256 updatedAt) = _round(feed, abi.encodeCall(AggregatorV3Interface.latestRoundData, ()));
        // Unusable latest round, or no round within the window: nothing moved in it.
        // forge-lint: disable-next-line(block-timestamp) -- the window is defined in block time
        if (price == 0 || updatedAt > block.timestamp || updatedAt + c.window < block.timestamp) return (false, 0, 0);
        uint256 hi = price;
        uint256 lo = price;
        bool hiOlder; // whether the max was published before the min (a fall)
        for (uint256 n = 1; n < MAX_ROUNDS && roundId != 0; ++n) {
            uint256 next = updatedAt;
            --roundId;
            (, price, updatedAt) = _round(feed, abi.encodeCall(AggregatorV3Interface.getRoundData, (roundId)));
            if (price == 0 || updatedAt > next) break;
            // Ties move an extreme to the older round: each extreme dates from when it was first seen.
            if (price >= hi) (hi, hiOlder) = (price, true);
            if (price <= lo) (lo, hiOlder) = (price, false);
            // The baseline: the first round before the window ends the walk.
            // forge-lint: disable-next-line(block-timestamp) -- the window is defined in block time
            if (updatedAt + c.window < block.timestamp) break;
        }
        trips = hi * WAD > lo * (WAD + c.maxMove);
        (fromPrice, toPrice) = hiOlder ? (hi, lo) : (lo, hi);
    }

    /// @dev One round of the feed: its id, its answer as a price (0 when the call reverts, returns
    /// fewer than the five words of a round or answers something unusable: <= 0, >= 2^128, or
    /// `updatedAt` 0) and `updatedAt`. A low-level call rather than try/catch, because try/catch
    /// does not catch a return value that fails to decode: no answer a feed gives can revert here.
    function _round(address feed, bytes memory data) private view returns (uint80 roundId, uint256 price, uint256 updatedAt) {
        (bool ok, bytes memory ret) = feed.staticcall(data);
        if (!ok || ret.length < 160) return (0, 0, 0);
        uint256 id;
        int256 answer;
        (id, answer,, updatedAt) = abi.decode(ret, (uint256, int256, uint256, uint256));
        if (answer <= 0 || answer >= int256(uint256(type(uint128).max)) || updatedAt == 0 || id > type(uint80).max) {
            return (0, 0, updatedAt);
        }
        // forge-lint: disable-next-line(unsafe-typecast) -- both checked just above
        (roundId, price) = (uint80(id), uint256(answer));
    }

    function _feed(uint32 market) private view returns (address feed) {
        (feed,,,,,,,,) = IClearingHouseFeeds(clearingHouse).marketConfig(market);
    }
}
