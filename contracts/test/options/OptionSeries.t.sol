// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {OptionSeries} from "../../src/options/OptionSeries.sol";
import {Timelock} from "../../src/governance/Timelock.sol";
import {ClearingHouse, ClearingHouseBase} from "../../src/perp/ClearingHouse.sol";
import {DevnetPriceFeed} from "../../src/perp/DevnetPriceFeed.sol";
import {AggregatorV3Interface} from "../../src/interfaces/AggregatorV3Interface.sol";
import {Ownable2Step} from "../../src/governance/Ownable2Step.sol";

/// @dev A Chainlink-proxy-shaped feed whose rounds the test writes directly, ids phase-encoded
/// ((phase << 64) | aggregatorRound) as a real proxy's are; unknown rounds revert like OCR's.
contract PhasedFeed is AggregatorV3Interface {
    struct Round {
        int256 answer;
        uint256 updatedAt;
        uint80 answeredIn;
    }

    uint8 public immutable override decimals;
    uint80 public latest;
    mapping(uint80 => Round) internal _rounds;

    constructor(uint8 decimals_) {
        decimals = decimals_;
    }

    function set(uint80 id, int256 answer, uint256 updatedAt) external {
        _rounds[id] = Round(answer, updatedAt, id);
        if (id > latest) latest = id;
    }

    function setAnsweredIn(uint80 id, uint80 answeredIn) external {
        _rounds[id].answeredIn = answeredIn;
    }

    function description() external pure override returns (string memory) {
        return "phased";
    }

    function version() external pure override returns (uint256) {
        return 4;
    }

    function getRoundData(uint80 id) public view override returns (uint80, int256, uint256, uint256, uint80) {
        Round memory r = _rounds[id];
        require(r.updatedAt != 0, "No data present");
        return (id, r.answer, r.updatedAt, r.updatedAt, r.answeredIn);
    }

    function latestRoundData() external view override returns (uint80, int256, uint256, uint256, uint80) {
        return getRoundData(latest);
    }
}

/// @dev A clearing house (18-decimal collateral) with market 1 on an 8-decimal devnet feed at 3000
/// and market 2 on a phased feed at 2000, and an OptionSeries owned by `owner`.
abstract contract OptionSeriesBase is Test {
    uint32 internal constant ETH = 1;
    uint32 internal constant PHASED = 2;
    uint256 internal constant MARK = 3000e18;
    uint80 internal constant PHASE2 = uint80(2) << 64;

    ClearingHouse internal ch;
    OptionSeries internal reg;
    DevnetPriceFeed internal ethFeed;
    PhasedFeed internal phased;
    address internal owner = makeAddr("owner");
    address internal governance = makeAddr("governance");
    address internal feeder = makeAddr("feeder");
    address internal stranger = makeAddr("stranger");
    uint64 internal t0;

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        t0 = uint64(block.timestamp);
        ch = new ClearingHouse(governance, makeAddr("settlement"), makeAddr("usd"), 18, 0.01e18, 0.5e18);
        ethFeed = new DevnetPriceFeed(feeder, 8, "ETH / USD", 3000e8);
        phased = new PhasedFeed(8);
        phased.set(PHASE2 | 1, 2000e8, block.timestamp);
        vm.startPrank(governance);
        ch.listMarket(ETH, _config(ethFeed));
        ch.listMarket(PHASED, _config(phased));
        vm.stopPrank();
        reg = new OptionSeries(owner, ch);
    }

    function _config(AggregatorV3Interface feed) internal pure returns (ClearingHouseBase.MarketConfig memory c) {
        c.feed = feed;
        c.heartbeat = 1 hours;
        c.fundingPeriod = 8 hours;
        c.initialMarginFraction = 0.1e18;
        c.maintenanceMarginFraction = 0.05e18;
        c.feeFraction = 0.001e18;
        c.maxPriceDeviation = 0.05e18;
        c.maxFundingRate = 0.01e18;
        c.maxOpenInterest = 1_000_000e18;
    }

    function _list(uint32 market, uint256 strike, uint64 expiry, bool isCall) internal returns (uint64) {
        vm.prank(owner);
        return reg.list(market, strike, expiry, isCall);
    }

    /// @dev Publishes a devnet round of `answer` (8 decimals) at time `at`.
    function _round(uint256 at, int256 answer) internal returns (uint80 id) {
        vm.warp(at);
        vm.prank(feeder);
        ethFeed.submit(answer);
        return ethFeed.latestRound();
    }
}

contract OptionSeriesTest is OptionSeriesBase {
    // ------------------------------------------------------------------ listing

    function test_list_recordsTermsAndEmits() public {
        uint64 expiry = t0 + 7 days;
        vm.expectEmit(address(reg));
        emit OptionSeries.SeriesListed(1, ETH, 3200e18, expiry, true, address(ethFeed));
        uint64 id = _list(ETH, 3200e18, expiry, true);
        assertEq(id, 1);
        OptionSeries.Series memory s = reg.series(id);
        assertEq(address(s.feed), address(ethFeed));
        assertEq(s.market, ETH);
        assertEq(s.expiry, expiry);
        assertEq(s.strike, 3200e18);
        assertTrue(s.isCall);
        assertEq(s.multiplier, 1e10, "8-decimal answers to 18-decimal collateral, as the clearing house");
        assertEq(s.divisor, 1);
        assertEq(s.settlementRound, 0);
        assertEq(s.settlementPrice, 0);
        assertEq(reg.seriesIdOf(ETH, 3200e18, expiry, true), 1);
        assertEq(reg.seriesIdOf(ETH, 3200e18, expiry, false), 0);
        assertTrue(reg.isLive(id));
        assertEq(_list(ETH, 3200e18, expiry, false), 2, "ids are compact, in listing order");
        assertEq(reg.seriesCount(), 2);
        assertEq(reg.liveSeries(ETH).length, 2);
    }

    function test_list_onlyOwner() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, stranger));
        vm.prank(stranger);
        reg.list(ETH, MARK, t0 + 1 days, true);
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, governance));
        vm.prank(governance);
        reg.list(ETH, MARK, t0 + 1 days, true);
    }

    function test_list_marketMustBeListed() public {
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.MarketNotListed.selector, uint32(7)));
        _list(7, MARK, t0 + 1 days, true);
    }

    function test_list_expiryBounds() public {
        uint256 earliest = t0 + 1 hours;
        uint256 latest = t0 + 365 days;
        _list(ETH, MARK, uint64(earliest), true);
        _list(ETH, MARK, uint64(latest), true);
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.ExpiryOutOfRange.selector, uint64(earliest - 1), earliest, latest));
        _list(ETH, MARK, uint64(earliest - 1), true);
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.ExpiryOutOfRange.selector, uint64(latest + 1), earliest, latest));
        _list(ETH, MARK, uint64(latest + 1), true);
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.ExpiryOutOfRange.selector, uint64(t0 - 1), earliest, latest));
        _list(ETH, MARK, t0 - 1, true);
    }

    function test_list_strikeWithinAQuarterToFourTimesTheMark() public {
        uint64 e = t0 + 1 days;
        _list(ETH, MARK / 4, e, true);
        _list(ETH, MARK * 4, e, true);
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.StrikeOutOfRange.selector, MARK / 4 - 1, MARK));
        _list(ETH, MARK / 4 - 1, e, true);
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.StrikeOutOfRange.selector, MARK * 4 + 1, MARK));
        _list(ETH, MARK * 4 + 1, e, true);
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.StrikeOutOfRange.selector, 0, MARK));
        _list(ETH, 0, e, true);
    }

    function test_list_strikeWithinBlackScholesPriceRange() public {
        // A tiny mark (an 18-decimal feed at 2e9 wei): a quarter of it would be below MIN_STRIKE.
        DevnetPriceFeed tiny = new DevnetPriceFeed(feeder, 18, "TINY / USD", 2e9);
        vm.prank(governance);
        ch.listMarket(3, _config(tiny));
        _list(3, 1e9, t0 + 1 days, true);
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.StrikeOutOfRange.selector, 1e9 - 1, 2e9));
        _list(3, 1e9 - 1, t0 + 1 days, true);
        // A huge mark: four times it would be above MAX_STRIKE.
        DevnetPriceFeed huge = new DevnetPriceFeed(feeder, 18, "HUGE / USD", 1e36);
        vm.prank(governance);
        ch.listMarket(4, _config(huge));
        _list(4, 1e36, t0 + 1 days, true);
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.StrikeOutOfRange.selector, 1e36 + 1, 1e36));
        _list(4, 1e36 + 1, t0 + 1 days, true);
    }

    function test_list_needsAFreshMark() public {
        vm.warp(t0 + 1 hours + 1); // the feed's heartbeat is 1 hour
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.StaleMark.selector, ETH));
        _list(ETH, MARK, t0 + 2 days, true);
        vm.prank(feeder);
        ethFeed.submit(3000e8);
        _list(ETH, MARK, t0 + 2 days, true);
    }

    function test_list_noDuplicates() public {
        uint64 e = t0 + 1 days;
        uint64 id = _list(ETH, MARK, e, true);
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.SeriesExists.selector, id));
        _list(ETH, MARK, e, true);
        // Any other term makes a different series.
        _list(ETH, MARK, e, false);
        _list(ETH, MARK + 1, e, true);
        _list(ETH, MARK, e + 1, true);
        _list(PHASED, 2000e18, e, true);
        assertEq(reg.seriesCount(), 5);
    }

    function test_list_capsLiveSeriesPerMarket_expiredOnesFreeSlots() public {
        uint64 e = t0 + 1 days;
        for (uint256 i; i < 64; ++i) {
            _list(ETH, MARK + i, e, true);
        }
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.TooManyLiveSeries.selector, ETH));
        _list(ETH, MARK + 64, e, true);
        // Another market has its own cap.
        _list(PHASED, 2000e18, e, true);
        // Once the 64 expire they leave the count.
        vm.warp(e);
        vm.prank(feeder);
        ethFeed.submit(3000e8);
        assertEq(reg.liveSeries(ETH).length, 0);
        assertFalse(reg.isLive(1));
        _list(ETH, MARK, e + 1 days, true);
        assertEq(reg.liveSeries(ETH).length, 1);
    }

    function test_list_usesCollateralScale_feedDecimalsAboveCollateral() public {
        // A collateral with 6 decimals and an 8-decimal feed: price = answer / 100.
        ClearingHouse ch6 = new ClearingHouse(governance, makeAddr("settlement"), makeAddr("usdc"), 6, 0.01e18, 0.5e18);
        vm.prank(governance);
        ch6.listMarket(ETH, _config(ethFeed));
        OptionSeries reg6 = new OptionSeries(owner, ch6);
        vm.prank(owner);
        uint64 id = reg6.list(ETH, 3000e6, t0 + 1 hours, false);
        OptionSeries.Series memory s = reg6.series(id);
        assertEq(s.multiplier, 1);
        assertEq(s.divisor, 100);
        uint80 r = _round(t0 + 1 hours, 2900e8);
        reg6.settle(id, r);
        assertEq(reg6.series(id).settlementPrice, 2900e6);
        assertEq(reg6.payoff(id), 100e6);
    }

    // ------------------------------------------------------------------ settlement

    function test_settle_firstRoundAtExpiry_recordsAndEmits() public {
        uint64 e = t0 + 1 days;
        uint64 id = _list(ETH, MARK, e, true);
        _round(e - 10, 3100e8);
        uint80 first = _round(e + 30, 3150e8);
        _round(e + 60, 3300e8);
        vm.expectEmit(address(reg));
        emit OptionSeries.SeriesSettled(id, first, 3150e18, e + 30);
        vm.prank(stranger);
        assertEq(reg.settle(id, first), 3150e18);
        OptionSeries.Series memory s = reg.series(id);
        assertEq(s.settlementRound, first);
        assertEq(s.settlementPrice, 3150e18);
        assertEq(reg.payoff(id), 150e18);
    }

    function test_settle_roundExactlyAtExpiryCounts() public {
        uint64 e = t0 + 1 days;
        uint64 id = _list(ETH, MARK, e, false);
        _round(e - 1, 2000e8);
        uint80 at = _round(e, 2900e8);
        reg.settle(id, at);
        assertEq(reg.payoff(id), 100e18);
    }

    function test_settle_beforeExpiryReverts() public {
        uint64 e = t0 + 1 days;
        uint64 id = _list(ETH, MARK, e, true);
        uint80 r = _round(e - 1, 3100e8);
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.NotExpired.selector, id, e));
        reg.settle(id, r);
    }

    function test_settle_roundBeforeExpiryReverts() public {
        uint64 e = t0 + 1 days;
        uint64 id = _list(ETH, MARK, e, true);
        uint80 before = _round(e - 1, 3100e8);
        _round(e + 5, 3200e8);
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.RoundBeforeExpiry.selector, before, e - 1));
        reg.settle(id, before);
    }

    function test_settle_laterRoundWhenAnEarlierOneIsAtExpiryReverts() public {
        uint64 e = t0 + 1 days;
        uint64 id = _list(ETH, MARK, e, true);
        _round(e - 100, 3000e8);
        uint80 first = _round(e + 1, 3100e8);
        uint80 second = _round(e + 2, 3500e8);
        uint80 third = _round(e + 3, 3600e8);
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.NotFirstRound.selector, second, e + 1));
        reg.settle(id, second);
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.NotFirstRound.selector, third, e + 2));
        reg.settle(id, third);
        reg.settle(id, first);
        assertEq(reg.series(id).settlementPrice, 3100e18);
    }

    function test_settle_cannotSettleTwice() public {
        uint64 e = t0 + 1 days;
        uint64 id = _list(ETH, MARK, e, true);
        _round(e - 1, 3000e8);
        uint80 r = _round(e, 3100e8);
        reg.settle(id, r);
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.AlreadySettled.selector, id));
        reg.settle(id, r);
    }

    function test_settle_unknownSeries_andUnknownOrFutureRounds() public {
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.UnknownSeries.selector, uint64(9)));
        reg.settle(9, 1);
        uint64 e = t0 + 1 days;
        uint64 id = _list(ETH, MARK, e, true);
        _round(e, 3100e8);
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.InvalidRound.selector, uint80(99)));
        reg.settle(id, 99);
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.InvalidRound.selector, uint80(0)));
        reg.settle(id, 0);
    }

    function test_settle_incompleteOrFutureOrNonPositiveRoundsRevert() public {
        uint64 e = t0 + 1 days;
        uint64 id = _list(PHASED, 2000e18, e, true);
        vm.warp(e + 100);
        phased.set(PHASE2 | 2, 2100e8, e + 200); // in the future
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.InvalidRound.selector, PHASE2 | 2));
        reg.settle(id, PHASE2 | 2);
        phased.set(PHASE2 | 2, 0, e + 50); // non-positive
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.InvalidRound.selector, PHASE2 | 2));
        reg.settle(id, PHASE2 | 2);
        phased.set(PHASE2 | 2, 2100e8, e + 50);
        phased.setAnsweredIn(PHASE2 | 2, PHASE2 | 1); // carried over, not answered in this round
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.InvalidRound.selector, PHASE2 | 2));
        reg.settle(id, PHASE2 | 2);
        phased.setAnsweredIn(PHASE2 | 2, PHASE2 | 2);
        reg.settle(id, PHASE2 | 2);
        assertEq(reg.payoff(id), 100e18);
    }

    /// @dev The first round of a phase cannot be proven first (its predecessor is in the previous
    /// phase); within a phase the predecessor is id - 1 even with a phase-encoded id.
    function test_settle_phaseStartRoundIsRefused_withinAPhaseWorks() public {
        uint64 e = t0 + 1 days;
        uint64 id = _list(PHASED, 2000e18, e, false);
        vm.warp(e + 10);
        phased.set(PHASE2 | 2, 1900e8, e - 5);
        phased.set(PHASE2 | 3, 1800e8, e + 5);
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.RoundBeforeExpiry.selector, PHASE2 | 2, e - 5));
        reg.settle(id, PHASE2 | 2);
        reg.settle(id, PHASE2 | 3);
        assertEq(reg.payoff(id), 200e18);

        // A series whose first round at/after expiry opens phase 3.
        uint64 e2 = e + 2 hours;
        vm.prank(feeder);
        ethFeed.submit(3000e8); // keep market 1 fresh (unused)
        phased.set(PHASE2 | 4, 2000e8, block.timestamp);
        uint64 id2 = _list(PHASED, 2000e18, e2, true);
        vm.warp(e2 + 10);
        uint80 phase3 = (uint80(3) << 64) | 1;
        phased.set(phase3, 2500e8, e2 + 1);
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.PhaseStartRound.selector, phase3));
        reg.settle(id2, phase3);
    }

    /// @dev The governance fallback for a series `settle` cannot prove: owner only, not before
    /// expiry + PHASE_START_FALLBACK_DELAY, only at a phase-start round at or after expiry, final.
    function test_settleAtPhaseStart_governanceFallback() public {
        uint64 e = t0 + 1 days;
        uint64 id = _list(PHASED, 2000e18, e, true);
        uint80 phase3 = (uint80(3) << 64) | 1;
        vm.warp(e + 10);
        phased.set(phase3, 2500e8, e + 1);
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.PhaseStartRound.selector, phase3));
        reg.settle(id, phase3);

        // not the owner (a solver's interaction from Settlement's address is just another stranger)
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, stranger));
        reg.settleAtPhaseStart(id, phase3);

        // too early: a day in which `settle` can still take a provable round
        uint256 allowedAt = uint256(e) + reg.PHASE_START_FALLBACK_DELAY();
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.FallbackTooEarly.selector, id, allowedAt));
        reg.settleAtPhaseStart(id, phase3);

        vm.warp(allowedAt);
        // only phase-start rounds: a mid-phase round goes through `settle` and its proof
        phased.set(PHASE2 | 2, 2400e8, e + 2);
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.NotPhaseStartRound.selector, PHASE2 | 2));
        reg.settleAtPhaseStart(id, PHASE2 | 2);
        // phase 0's round 1 is provable (nothing precedes it): not the fallback's either
        phased.set(1, 2450e8, e + 3);
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.NotPhaseStartRound.selector, uint80(1)));
        reg.settleAtPhaseStart(id, 1);
        // a phase-start round before expiry is no settlement price
        uint80 phase4 = (uint80(4) << 64) | 1;
        phased.set(phase4, 2600e8, e - 1);
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.RoundBeforeExpiry.selector, phase4, e - 1));
        reg.settleAtPhaseStart(id, phase4);

        vm.prank(owner);
        assertEq(reg.settleAtPhaseStart(id, phase3), 2500e18);
        assertEq(reg.payoff(id), 500e18);
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.AlreadySettled.selector, id));
        reg.settleAtPhaseStart(id, phase3);
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.AlreadySettled.selector, id));
        reg.settle(id, phase3);
    }

    function test_settle_missingPredecessorReverts() public {
        uint64 e = t0 + 1 days;
        uint64 id = _list(PHASED, 2000e18, e, true);
        vm.warp(e + 10);
        phased.set(PHASE2 | 5, 2100e8, e + 1); // rounds 2..4 absent
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.PreviousRoundUnavailable.selector, PHASE2 | 4));
        reg.settle(id, PHASE2 | 5);
    }

    function test_payoff_beforeSettlementReverts() public {
        uint64 id = _list(ETH, MARK, t0 + 1 days, true);
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.NotSettled.selector, id));
        reg.payoff(id);
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.UnknownSeries.selector, uint64(5)));
        reg.payoff(5);
    }

    function test_payoff_callsAndPuts() public {
        uint64 e = t0 + 1 days;
        uint64 callIn = _list(ETH, 2800e18, e, true);
        uint64 callOut = _list(ETH, 3500e18, e, true);
        uint64 putIn = _list(ETH, 3500e18, e, false);
        uint64 putOut = _list(ETH, 2800e18, e, false);
        uint64 callAt = _list(ETH, 3000e18, e, true);
        uint64 putAt = _list(ETH, 3000e18, e, false);
        _round(e - 1, 1e8);
        uint80 r = _round(e, 3000e8);
        for (uint64 id = 1; id <= 6; ++id) {
            reg.settle(id, r);
        }
        assertEq(reg.payoff(callIn), 200e18);
        assertEq(reg.payoff(callOut), 0);
        assertEq(reg.payoff(putIn), 500e18);
        assertEq(reg.payoff(putOut), 0);
        assertEq(reg.payoff(callAt), 0);
        assertEq(reg.payoff(putAt), 0);
    }

    // ------------------------------------------------------------------ governance

    function test_ownershipTransfer_isTwoStep() public {
        address next = makeAddr("next");
        vm.expectEmit(address(reg));
        emit Ownable2Step.OwnershipTransferStarted(owner, next);
        vm.prank(owner);
        reg.transferOwnership(next);
        assertEq(reg.owner(), owner);
        assertEq(reg.pendingOwner(), next);
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotPendingOwner.selector, stranger));
        vm.prank(stranger);
        reg.acceptOwnership();
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, stranger));
        vm.prank(stranger);
        reg.transferOwnership(stranger);
        vm.expectEmit(address(reg));
        emit Ownable2Step.OwnershipTransferred(owner, next);
        vm.prank(next);
        reg.acceptOwnership();
        assertEq(reg.owner(), next);
        assertEq(reg.pendingOwner(), address(0));
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, owner));
        _list(ETH, MARK, t0 + 1 days, true);
    }

    /// @dev Listing through the Timelock: the bounds hold when the listing executes, after the delay.
    function test_timelock_listsAfterTheDelay_boundsCheckedAtExecution() public {
        address admin = makeAddr("admin");
        Timelock timelock = new Timelock(admin, 2 days);
        vm.prank(owner);
        reg.transferOwnership(address(timelock));
        vm.prank(admin);
        timelock.acceptOwnership(address(reg));
        assertEq(reg.owner(), address(timelock));
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, owner));
        _list(ETH, MARK, t0 + 7 days, true);

        bytes memory data = abi.encodeCall(OptionSeries.list, (ETH, MARK, t0 + 7 days, true));
        vm.prank(admin);
        bytes32 op = timelock.schedule(address(reg), 0, data, bytes32(0));
        uint256 eta = block.timestamp + 2 days;
        vm.warp(eta - 1);
        vm.expectRevert(abi.encodeWithSelector(Timelock.NotReady.selector, op, eta, eta - 1));
        timelock.execute(address(reg), 0, data, bytes32(0));
        vm.warp(eta);
        vm.prank(feeder);
        ethFeed.submit(3000e8);
        timelock.execute(address(reg), 0, data, bytes32(0));
        assertEq(reg.seriesIdOf(ETH, MARK, t0 + 7 days, true), 1);

        // An expiry that was far enough when scheduled but is not at execution is refused.
        bytes memory soon = abi.encodeCall(OptionSeries.list, (ETH, MARK, uint64(block.timestamp + 2 days + 30 minutes), true));
        vm.prank(admin);
        timelock.schedule(address(reg), 0, soon, bytes32(0));
        vm.warp(block.timestamp + 2 days);
        vm.prank(feeder);
        ethFeed.submit(3000e8);
        vm.expectRevert();
        timelock.execute(address(reg), 0, soon, bytes32(0));
        assertEq(reg.seriesCount(), 1);
    }

    function test_constructor_checksAndEmits() public {
        vm.expectEmit();
        emit Ownable2Step.OwnershipTransferred(address(0), owner);
        OptionSeries r = new OptionSeries(owner, ch);
        assertEq(address(r.clearingHouse()), address(ch));
        vm.expectRevert(OptionSeries.ZeroAddress.selector);
        new OptionSeries(address(0), ch);
        vm.expectRevert(OptionSeries.ZeroAddress.selector);
        new OptionSeries(owner, ClearingHouse(address(0)));
    }

    // ------------------------------------------------------------------ fuzz

    function testFuzz_list_boundsMatchTheRule(uint256 strike, uint64 ahead) public {
        strike = bound(strike, 0, 20_000e18);
        ahead = uint64(bound(ahead, 0, 400 days));
        uint64 e = t0 + ahead;
        bool ok = strike * 4 >= MARK && strike <= MARK * 4 && ahead >= 1 hours && ahead <= 365 days;
        vm.prank(owner);
        if (!ok) vm.expectRevert();
        reg.list(ETH, strike, e, true);
    }

    function testFuzz_settle_onlyTheFirstRoundAtExpiry(uint256 n, uint256 k, uint256 pick, int256 answer) public {
        n = bound(n, 2, 12);
        k = bound(k, 1, n - 1); // rounds 1..k before expiry (round 1 is the constructor's), k+1..n after
        pick = bound(pick, 1, n);
        answer = bound(answer, 1, 1e12);
        uint64 e = t0 + 1 days;
        uint64 id = _list(ETH, MARK, e, answer % 2 == 0);
        for (uint256 i = 2; i <= n; ++i) {
            _round(i <= k ? e - 1 - (k - i) : e + (i - k - 1) * 7, i == k + 1 ? answer : int256(3000e8));
        }
        vm.warp(e + n * 7 + 1);
        // forge-lint: disable-next-line(unsafe-typecast) -- pick <= 12
        uint80 r = uint80(pick);
        if (pick != k + 1) vm.expectRevert();
        reg.settle(id, r);
        if (pick == k + 1) {
            // forge-lint: disable-next-line(unsafe-typecast) -- answer > 0
            uint256 s = uint256(answer) * 1e10;
            assertEq(reg.series(id).settlementPrice, s);
            uint256 expected = answer % 2 == 0 ? (s > MARK ? s - MARK : 0) : (MARK > s ? MARK - s : 0);
            assertEq(reg.payoff(id), expected);
        }
    }

    function testFuzz_payoff(uint256 strike, uint256 price, bool isCall) public {
        strike = bound(strike, MARK / 4, MARK * 4);
        price = bound(price, 1, 1e14); // 8-decimal answer
        uint64 e = t0 + 1 days;
        uint64 id = _list(ETH, strike, e, isCall);
        _round(e - 1, 1);
        // forge-lint: disable-next-line(unsafe-typecast) -- price <= 1e14
        uint80 r = _round(e, int256(price));
        reg.settle(id, r);
        uint256 s = price * 1e10;
        uint256 p = reg.payoff(id);
        if (isCall) assertEq(p, s > strike ? s - strike : 0);
        else assertEq(p, strike > s ? strike - s : 0);
        // Put-call parity of payoffs: call - put = S - K.
        assertEq(int256(s) - int256(strike), isCall ? int256(p) - int256(strike > s ? strike - s : 0) : int256(s > strike ? s - strike : 0) - int256(p));
    }
}
