// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Vm} from "forge-std/Vm.sol";
import {ClearingHouse, ClearingHouseBase} from "../../src/perp/ClearingHouse.sol";
import {CircuitBreaker} from "../../src/perp/CircuitBreaker.sol";
import {ICircuitBreaker} from "../../src/interfaces/ICircuitBreaker.sol";
import {AggregatorV3Interface} from "../../src/interfaces/AggregatorV3Interface.sol";
import {Timelock} from "../../src/governance/Timelock.sol";
import {PerpTestBase} from "./PerpTestBase.sol";
import {Ownable2Step} from "../../src/governance/Ownable2Step.sol";

/// @notice A Chainlink-shaped feed whose rounds a test writes directly: any ids (gaps, as across a
/// proxy's phases), any times, and rounds whose `getRoundData` reverts.
contract ScriptedFeed is AggregatorV3Interface {
    struct Round {
        int256 answer;
        uint64 updatedAt;
        bool reverts;
    }

    uint80 public latest;
    mapping(uint80 => Round) public rounds;

    function setRound(uint80 id, int256 answer, uint256 updatedAt, bool reverts) external {
        rounds[id] = Round(answer, uint64(updatedAt), reverts);
        if (id > latest) latest = id;
    }

    function decimals() external pure returns (uint8) {
        return 8;
    }

    function description() external pure returns (string memory) {
        return "scripted";
    }

    function version() external pure returns (uint256) {
        return 1;
    }

    function getRoundData(uint80 id) public view returns (uint80, int256, uint256, uint256, uint80) {
        Round memory r = rounds[id];
        require(!r.reverts && r.updatedAt != 0, "no such round");
        return (id, r.answer, r.updatedAt, r.updatedAt, id);
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        return getRoundData(latest);
    }
}

/// @notice A broken feed: `decimals` answers, every other call returns a single word (too short
/// for a round, so a try/catch around it would revert while decoding).
contract ShortAnswerFeed {
    function decimals() external pure returns (uint8) {
        return 8;
    }

    fallback() external {
        assembly {
            mstore(0, 1)
            return(0, 32)
        }
    }
}

/// @notice CircuitBreaker on its own and through `ClearingHouse.settlePositions` (this contract
/// plays the Settlement): config bounds, governance, the trip rule, halts and resumes, the
/// `isHalted` prediction, gas. The crash through the real Settlement is `CircuitBreakerCrash.t.sol`.
contract CircuitBreakerTest is PerpTestBase {
    uint32 internal constant SCRIPTED = 3;
    CircuitBreaker internal breaker;
    ScriptedFeed internal scripted;
    address internal stranger = makeAddr("stranger");

    function setUp() public override {
        super.setUp();
        scripted = new ScriptedFeed();
        scripted.setRound(1, 100e8, block.timestamp, false);
        breaker = new CircuitBreaker(governance, address(ch));
        vm.startPrank(governance);
        ch.listMarket(SCRIPTED, _config(ethFeed));
        breaker.setConfig(ETH, CircuitBreaker.Config(0.1e18, 1 hours, 30 minutes));
        ch.setCircuitBreaker(breaker);
        vm.stopPrank();
    }

    /// @dev Points market SCRIPTED at the scripted feed (a listing needs a live feed; the config
    /// change keeps every other field).
    function _useScripted(CircuitBreaker.Config memory c) internal {
        ClearingHouseBase.MarketConfig memory mc = _config(ethFeed);
        mc.feed = scripted;
        vm.startPrank(governance);
        ch.configureMarket(SCRIPTED, mc);
        breaker.setConfig(SCRIPTED, c);
        vm.stopPrank();
    }

    function _crash(int256 answer) internal {
        vm.warp(block.timestamp + 5 minutes);
        _setPrice(ethFeed, answer);
    }

    // ------------------------------------------------------------------ governance

    function test_constructor_refusesZero_andEmits() public {
        vm.expectRevert(CircuitBreaker.ZeroAddress.selector);
        new CircuitBreaker(address(0), address(ch));
        vm.expectRevert(CircuitBreaker.ZeroAddress.selector);
        new CircuitBreaker(governance, address(0));
        vm.expectEmit();
        emit Ownable2Step.OwnershipTransferred(address(0), governance);
        CircuitBreaker b = new CircuitBreaker(governance, address(ch));
        assertEq(b.owner(), governance);
        assertEq(b.clearingHouse(), address(ch));
    }

    function test_setConfig_bounds() public {
        uint64[2] memory moves = [uint64(0.01e18), 0.5e18];
        uint32[2] memory spans = [uint32(1 minutes), 1 days];
        vm.startPrank(governance);
        for (uint256 i; i < 2; ++i) {
            breaker.setConfig(ETH, CircuitBreaker.Config(moves[i], spans[i], spans[1 - i]));
        }
        CircuitBreaker.Config[6] memory bad = [
            CircuitBreaker.Config(0.01e18 - 1, 1 hours, 1 hours),
            CircuitBreaker.Config(0.5e18 + 1, 1 hours, 1 hours),
            CircuitBreaker.Config(0.1e18, 1 minutes - 1, 1 hours),
            CircuitBreaker.Config(0.1e18, 1 days + 1, 1 hours),
            CircuitBreaker.Config(0.1e18, 1 hours, 1 minutes - 1),
            CircuitBreaker.Config(0.1e18, 1 hours, 1 days + 1)
        ];
        for (uint256 i; i < bad.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(CircuitBreaker.InvalidConfig.selector, ETH));
            breaker.setConfig(ETH, bad[i]);
        }
        // partly zero is not "off"
        vm.expectRevert(abi.encodeWithSelector(CircuitBreaker.InvalidConfig.selector, ETH));
        breaker.setConfig(ETH, CircuitBreaker.Config(0, 1 hours, 1 hours));
        vm.expectRevert(abi.encodeWithSelector(CircuitBreaker.UnknownMarket.selector, uint32(99)));
        breaker.setConfig(99, CircuitBreaker.Config(0.1e18, 1 hours, 1 hours));
        vm.expectEmit(address(breaker));
        emit CircuitBreaker.ConfigSet(ETH, CircuitBreaker.Config(0, 0, 0));
        breaker.setConfig(ETH, CircuitBreaker.Config(0, 0, 0));
        vm.stopPrank();
        assertEq(breaker.config(ETH).maxMove, 0);
    }

    function testFuzz_nonOwner_cannotConfigure(address caller) public {
        vm.assume(caller != governance);
        vm.startPrank(caller);
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, caller));
        breaker.setConfig(ETH, CircuitBreaker.Config(0, 0, 0));
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, caller));
        breaker.transferOwnership(caller);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.NotOwner.selector, caller));
        ch.setCircuitBreaker(ICircuitBreaker(address(0)));
        vm.stopPrank();
    }

    function test_ownershipTransfer_isTwoStep() public {
        address next = makeAddr("next");
        vm.expectEmit(address(breaker));
        emit Ownable2Step.OwnershipTransferStarted(governance, next);
        vm.prank(governance);
        breaker.transferOwnership(next);
        assertEq(breaker.owner(), governance, "nothing changes before the accept");
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, next));
        vm.prank(next);
        breaker.setConfig(ETH, CircuitBreaker.Config(0, 0, 0));
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotPendingOwner.selector, stranger));
        vm.prank(stranger);
        breaker.acceptOwnership();
        vm.expectEmit(address(breaker));
        emit Ownable2Step.OwnershipTransferred(governance, next);
        vm.prank(next);
        breaker.acceptOwnership();
        assertEq(breaker.owner(), next);
        assertEq(breaker.pendingOwner(), address(0));
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, governance));
        vm.prank(governance);
        breaker.setConfig(ETH, CircuitBreaker.Config(0, 0, 0));
    }

    /// Held by the Timelock (its one undelayed call accepts it), a config change waits for the delay.
    function test_timelock_ownsTheBreaker_changesWaitForTheDelay() public {
        address admin = makeAddr("admin");
        Timelock timelock = new Timelock(admin, 2 days);
        vm.prank(governance);
        breaker.transferOwnership(address(timelock));
        vm.prank(admin);
        timelock.acceptOwnership(address(breaker));
        assertEq(breaker.owner(), address(timelock));
        bytes memory data = abi.encodeCall(CircuitBreaker.setConfig, (ETH, CircuitBreaker.Config(0.2e18, 2 hours, 1 hours)));
        vm.prank(admin);
        bytes32 id = timelock.schedule(address(breaker), 0, data, bytes32(0));
        uint256 eta = block.timestamp + 2 days;
        vm.warp(eta - 1);
        vm.expectRevert(abi.encodeWithSelector(Timelock.NotReady.selector, id, eta, eta - 1));
        timelock.execute(address(breaker), 0, data, bytes32(0));
        assertEq(breaker.config(ETH).maxMove, 0.1e18, "not before the delay");
        vm.warp(block.timestamp + 1);
        timelock.execute(address(breaker), 0, data, bytes32(0));
        assertEq(breaker.config(ETH).maxMove, 0.2e18);
    }

    function test_setCircuitBreaker_ownerOnly_emits() public {
        vm.expectEmit(address(ch));
        emit ClearingHouseBase.CircuitBreakerSet(address(0));
        vm.prank(governance);
        ch.setCircuitBreaker(ICircuitBreaker(address(0)));
        assertEq(address(ch.circuitBreaker()), address(0));
    }

    // ------------------------------------------------------------------ the trip rule

    function test_crashWithinWindow_trips_emits() public {
        _crash(2100e8);
        uint64 until = uint64(block.timestamp + 30 minutes);
        (bool predicted, uint64 pUntil) = breaker.isHalted(ETH);
        assertTrue(predicted);
        assertEq(pUntil, until);
        vm.expectEmit(address(breaker));
        emit CircuitBreaker.CircuitBreakerTripped(ETH, 3000e8, 2100e8, until);
        vm.prank(stranger);
        assertTrue(breaker.observe(ETH));
        assertEq(breaker.haltedUntil(ETH), until);
        // the same block again: same decision, no second event, nothing written
        vm.recordLogs();
        assertTrue(breaker.observe(ETH));
        assertEq(vm.getRecordedLogs().length, 0);
    }

    function test_moveOfExactlyMaxMove_doesNotTrip_oneWeiMoreDoes() public {
        // max / min - 1 = 10% exactly: 1100 over 1000
        _useScripted(CircuitBreaker.Config(0.1e18, 1 hours, 30 minutes));
        scripted.setRound(2, 110e8, block.timestamp, false);
        scripted.setRound(3, 100e8, block.timestamp, false);
        assertFalse(breaker.observe(SCRIPTED));
        scripted.setRound(4, 110e8 + 1, block.timestamp, false);
        assertTrue(breaker.observe(SCRIPTED));
    }

    /// A spike that recovers within the window trips too (max over min, not latest against baseline).
    function test_spikeAndRecovery_trips() public {
        _crash(3500e8);
        vm.warp(block.timestamp + 1 minutes);
        _setPrice(ethFeed, 3000e8);
        (bool trips, uint256 from, uint256 to) = breaker.move(ETH);
        assertTrue(trips);
        assertEq(from, 3000e8);
        assertEq(to, 3500e8);
        assertTrue(breaker.observe(ETH));
    }

    /// 2.5% steps every 30 minutes: 22% down over 5 hours, never more than 8% within an hour's window.
    function test_sameMoveOverLongerThanTheWindow_doesNotTrip() public {
        int256 answer = 3000e8;
        for (uint256 i; i < 10; ++i) {
            vm.warp(block.timestamp + 30 minutes);
            answer = answer * 975 / 1000;
            _setPrice(ethFeed, answer);
            assertFalse(breaker.observe(ETH));
        }
        assertLt(answer, 2400e8);
        assertEq(breaker.haltedUntil(ETH), 0);
        // the same fall at once trips
        vm.warp(block.timestamp + 30 minutes);
        _setPrice(ethFeed, answer * 78 / 100);
        assertTrue(breaker.observe(ETH));
    }

    /// The baseline is the last round before the window: a crash published just before the window
    /// still counts against the rounds in it; one round earlier it does not.
    function test_baseline_isTheLastRoundBeforeTheWindow() public {
        _crash(2100e8); // at t
        vm.warp(block.timestamp + 1 hours + 1);
        // no round within the window: the crash round alone, nothing moved
        assertFalse(breaker.observe(ETH));
        _setPrice(ethFeed, 2100e8);
        assertFalse(breaker.observe(ETH), "baseline 2,100 (the crash round), latest 2,100");
    }

    function test_resumeAfterCooldown_emitsOnce() public {
        vm.prank(governance);
        breaker.setConfig(ETH, CircuitBreaker.Config(0.1e18, 10 minutes, 30 minutes));
        _crash(2100e8);
        assertTrue(breaker.observe(ETH));
        uint64 until = breaker.haltedUntil(ETH);
        vm.warp(until - 1);
        (bool halted, uint64 u) = breaker.isHalted(ETH);
        assertTrue(halted);
        assertEq(u, until);
        assertTrue(breaker.observe(ETH), "the move left the window but the cool-down runs");
        vm.warp(until);
        (halted, u) = breaker.isHalted(ETH);
        assertFalse(halted);
        assertEq(u, 0);
        vm.expectEmit(address(breaker));
        emit CircuitBreaker.CircuitBreakerResumed(ETH);
        assertFalse(breaker.observe(ETH));
        assertEq(breaker.haltedUntil(ETH), 0);
        vm.recordLogs();
        assertFalse(breaker.observe(ETH));
        assertEq(vm.getRecordedLogs().length, 0, "resumed once");
    }

    /// While the move is in the window, each later observation pushes the end out (one event each).
    function test_observationsWithinTheWindow_extendTheHalt() public {
        _crash(2100e8);
        assertTrue(breaker.observe(ETH));
        vm.warp(block.timestamp + 20 minutes);
        uint64 until = uint64(block.timestamp + 30 minutes);
        vm.expectEmit(address(breaker));
        emit CircuitBreaker.CircuitBreakerTripped(ETH, 3000e8, 2100e8, until);
        assertTrue(breaker.observe(ETH));
        assertEq(breaker.haltedUntil(ETH), until);
    }

    /// An expired halt whose move is still in the window: resumed and tripped again in one call.
    function test_expiredHalt_stillInWindow_resumesAndTripsAgain() public {
        vm.prank(governance);
        breaker.setConfig(ETH, CircuitBreaker.Config(0.1e18, 2 hours, 1 minutes));
        _crash(2100e8);
        assertTrue(breaker.observe(ETH));
        vm.warp(block.timestamp + 10 minutes);
        vm.expectEmit(address(breaker));
        emit CircuitBreaker.CircuitBreakerResumed(ETH);
        vm.expectEmit(address(breaker));
        emit CircuitBreaker.CircuitBreakerTripped(ETH, 3000e8, 2100e8, uint64(block.timestamp + 1 minutes));
        assertTrue(breaker.observe(ETH));
    }

    function test_removingTheBreaker_liftsTheHalt() public {
        _crash(2100e8);
        assertTrue(breaker.observe(ETH));
        vm.expectEmit(address(breaker));
        emit CircuitBreaker.CircuitBreakerResumed(ETH);
        vm.prank(governance);
        breaker.setConfig(ETH, CircuitBreaker.Config(0, 0, 0));
        assertEq(breaker.haltedUntil(ETH), 0);
        assertFalse(breaker.observe(ETH));
    }

    /// Round ids with a gap (a Chainlink proxy's new phase) or a round that reverts: the walk stops
    /// there and nothing reverts; rounds beyond the gap do not count.
    function test_revertingOrMissingRounds_stopTheWalk() public {
        _useScripted(CircuitBreaker.Config(0.1e18, 1 hours, 30 minutes));
        uint256 t = block.timestamp;
        // phase 2 starts at id 2^64 + 1; round 2^64 does not exist; phase 1's round 1 was 100
        uint80 p2 = uint80(1) << 64;
        scripted.setRound(p2 + 1, 60e8, t, false);
        assertFalse(breaker.observe(SCRIPTED), "100 -> 60 lies across the gap");
        scripted.setRound(p2 + 2, 61e8, t, false);
        scripted.setRound(p2 + 3, 60e8, t, false);
        scripted.setRound(p2 + 2, 90e8, t, true); // reverts now
        assertFalse(breaker.observe(SCRIPTED), "the reverting round stops the walk");
        scripted.setRound(p2 + 2, 90e8, t, false);
        assertTrue(breaker.observe(SCRIPTED), "readable again: 90 -> 60 trips");
    }

    /// A feed whose latest round reverts or is unusable never trips (staleness is the clearing house's).
    function test_unreadableLatestRound_neverTrips() public {
        _useScripted(CircuitBreaker.Config(0.1e18, 1 hours, 30 minutes));
        scripted.setRound(2, 50e8, block.timestamp, true);
        assertFalse(breaker.observe(SCRIPTED));
        scripted.setRound(2, -1, block.timestamp, false);
        assertFalse(breaker.observe(SCRIPTED));
        scripted.setRound(2, 50e8, block.timestamp + 1, false); // from the future
        assertFalse(breaker.observe(SCRIPTED));
    }

    /// A feed answering too little data for a round neither reverts observe (nor a settle) nor trips.
    function test_shortAnswerFeed_neverReverts() public {
        _useScripted(CircuitBreaker.Config(0.1e18, 1 hours, 30 minutes));
        ClearingHouseBase.MarketConfig memory mc = _config(ethFeed);
        mc.feed = AggregatorV3Interface(address(new ShortAnswerFeed()));
        vm.prank(governance);
        ch.configureMarket(SCRIPTED, mc);
        assertFalse(breaker.observe(SCRIPTED));
        (bool halted,) = breaker.isHalted(SCRIPTED);
        assertFalse(halted);
    }

    /// More rounds in the window than MAX_ROUNDS: the oldest walked round is the baseline.
    function test_moreRoundsThanMaxRounds_oldestWalkedIsTheBaseline() public {
        _useScripted(CircuitBreaker.Config(0.1e18, 1 hours, 30 minutes));
        uint256 n = breaker.MAX_ROUNDS();
        // round 1 = 100 (the crash's high), then n flat rounds at 70: round 1 is beyond the walk
        for (uint256 i; i < n; ++i) {
            scripted.setRound(uint80(2 + i), 70e8, block.timestamp, false);
        }
        assertFalse(breaker.observe(SCRIPTED));
        // one fewer flat round: round 1 is the oldest walked
        scripted = new ScriptedFeed();
        scripted.setRound(1, 100e8, block.timestamp, false);
        for (uint256 i; i < n - 1; ++i) {
            scripted.setRound(uint80(2 + i), 70e8, block.timestamp, false);
        }
        _useScripted(CircuitBreaker.Config(0.1e18, 1 hours, 30 minutes));
        assertTrue(breaker.observe(SCRIPTED));
    }

    // ------------------------------------------------------------------ isHalted == observe

    /// Random histories (times, prices, gaps, reverting rounds), configs, stored halts and
    /// observation times: `isHalted` before `observe` in the same block is exactly its decision.
    function testFuzz_isHalted_predictsObserve(uint256 seed) public {
        _useScripted(
            CircuitBreaker.Config(
                uint64(bound(seed, 0.01e18, 0.5e18)),
                uint32(bound(seed >> 64, 1 minutes, 1 days)),
                uint32(bound(seed >> 96, 1 minutes, 1 days))
            )
        );
        uint256 rounds = bound(seed >> 128, 1, 24);
        uint256 t = block.timestamp;
        for (uint256 i; i < rounds; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            t += bound(r, 0, 2 hours);
            vm.warp(t);
            // prices around 100 (+-40%); one round in eight reverts
            scripted.setRound(uint80(2 + i), int256(bound(r >> 32, 60e8, 140e8)), t, (r >> 64) % 8 == 0);
            if ((r >> 72) % 3 == 0) {
                (bool p, uint64 pu) = breaker.isHalted(SCRIPTED);
                assertEq(breaker.observe(SCRIPTED), p);
                assertEq(pu, p ? breaker.haltedUntil(SCRIPTED) : 0);
            }
        }
        vm.warp(t + bound(seed >> 160, 0, 2 days));
        (bool predicted, uint64 until) = breaker.isHalted(SCRIPTED);
        bool halted = breaker.observe(SCRIPTED);
        assertEq(halted, predicted);
        assertEq(until, halted ? breaker.haltedUntil(SCRIPTED) : 0);
        assertEq(halted, breaker.haltedUntil(SCRIPTED) > block.timestamp);
        // and a second observation in the same block agrees too
        assertEq(breaker.observe(SCRIPTED), halted);
    }

    // ------------------------------------------------------------------ gas

    /// Gas of observe: no round within the window (one feed read), and MAX_ROUNDS rounds walked
    /// (every one within the window, cold), on the DevnetPriceFeed. Figures in the README.
    function test_gas_observe() public {
        vm.warp(block.timestamp + 2 hours);
        _setPrice(ethFeed, 3000e8);
        vm.warp(block.timestamp + 2 hours);
        vm.cool(address(breaker));
        vm.cool(address(ethFeed));
        vm.cool(address(ch));
        uint256 g = gasleft();
        breaker.observe(ETH);
        uint256 none = g - gasleft();
        for (uint256 i; i < breaker.MAX_ROUNDS() + 4; ++i) {
            _setPrice(ethFeed, 3000e8 + int256(i));
        }
        vm.cool(address(breaker));
        vm.cool(address(ethFeed));
        vm.cool(address(ch));
        g = gasleft();
        breaker.observe(ETH);
        uint256 full = g - gasleft();
        emit log_named_uint("observe, latest round outside the window", none);
        emit log_named_uint("observe, MAX_ROUNDS rounds walked", full);
        assertLt(none, 40_000);
        assertLt(full, 150_000);
    }

    /// What the hook adds to a settle (one market, two fills; the feed's latest round within the
    /// window and the one before it walked): the same trade with and without the breaker set.
    function test_gas_settleHook() public {
        _deposit(alice, 100_000e18);
        _deposit(bob, 100_000e18);
        _trade(ETH, 3000e18, alice, bob, 1e18);
        vm.warp(block.timestamp + 1 minutes);
        _setPrice(ethFeed, 3000e8);
        uint256 g = gasleft();
        _trade(ETH, 3000e18, bob, alice, 0.5e18);
        uint256 with_ = g - gasleft();
        vm.prank(governance);
        ch.setCircuitBreaker(ICircuitBreaker(address(0)));
        g = gasleft();
        _trade(ETH, 3000e18, bob, alice, 0.25e18);
        uint256 without = g - gasleft();
        emit log_named_uint("settle with the breaker", with_);
        emit log_named_uint("settle without", without);
        assertLt(with_ - without, 40_000);
    }
}
