// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Settlement} from "../../src/Settlement.sol";
import {ClearingHouse, ClearingHouseBase} from "../../src/perp/ClearingHouse.sol";
import {CircuitBreaker} from "../../src/perp/CircuitBreaker.sol";
import {DevnetPriceFeed} from "../../src/perp/DevnetPriceFeed.sol";
import {PositionSettlement} from "../../src/perp/PositionSettlement.sol";
import {PositionIntent} from "../../src/libraries/IntentHashing.sol";
import {SettlementTestBase} from "../utils/SettlementTestBase.sol";

/// @notice A crash through the real Settlement and ClearingHouse: the ETH oracle falls 30% within
/// the breaker's window. Risk-increasing fills revert `MarketHalted` (their signed intents stay
/// usable: nothing of them is consumed), a reduce-only fill settles, a liquidation goes through,
/// and after the cool-down the very same batch settles.
contract CircuitBreakerCrashTest is SettlementTestBase {
    uint32 internal constant ETH = 1;
    ClearingHouse internal ch;
    CircuitBreaker internal breaker;
    DevnetPriceFeed internal feed;
    address internal feeder = makeAddr("feeder");
    address internal keeper = makeAddr("keeper");

    function setUp() public override {
        super.setUp();
        ch = new ClearingHouse(governance, address(settlement), address(tokenA), 18, 0.01e18, 0.5e18);
        feed = new DevnetPriceFeed(feeder, 8, "ETH / USD", 3000e8);
        ClearingHouseBase.MarketConfig memory c;
        c.feed = feed;
        c.heartbeat = 1 hours;
        c.fundingPeriod = 8 hours;
        c.initialMarginFraction = 0.1e18;
        c.maintenanceMarginFraction = 0.05e18;
        c.feeFraction = 0.0005e18;
        c.maxPriceDeviation = 0.05e18;
        c.maxFundingRate = 0.01e18;
        c.maxOpenInterest = 1e30;
        breaker = new CircuitBreaker(governance, address(ch));
        vm.startPrank(governance);
        ch.listMarket(ETH, c);
        settlement.setClearingHouse(ch);
        breaker.setConfig(ETH, CircuitBreaker.Config(0.1e18, 1 hours, 30 minutes));
        ch.setCircuitBreaker(breaker);
        vm.stopPrank();
    }

    function _margin(address user, uint256 amount) internal {
        tokenA.mint(user, amount);
        vm.startPrank(user);
        tokenA.approve(address(ch), amount);
        ch.deposit(user, amount);
        vm.stopPrank();
    }

    function _pt(uint256 key, address account, int256 delta, uint256 limit, bool reduceOnly, uint256 nonce)
        internal
        view
        returns (PositionSettlement.PositionTrade memory t)
    {
        PositionIntent memory i =
            PositionIntent(account, ETH, delta, limit, reduceOnly, false, uint32(block.timestamp + 1 days), nonce);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, settlement.hashPositionIntent(i));
        t = PositionSettlement.PositionTrade(
            account,
            delta,
            limit,
            nonce,
            i.validTo,
            0,
            reduceOnly ? 1 : 0,
            uint256(delta < 0 ? -delta : delta),
            abi.encodePacked(r, s, v)
        );
    }

    function _batch(PositionSettlement.PositionTrade memory a, PositionSettlement.PositionTrade memory b, uint256 price)
        internal
        pure
        returns (Settlement.Batch memory batch)
    {
        PositionSettlement.PositionTrade[] memory pts = new PositionSettlement.PositionTrade[](2);
        pts[0] = a;
        pts[1] = b;
        uint32[] memory markets = new uint32[](1);
        uint256[] memory prices = new uint256[](1);
        markets[0] = ETH;
        prices[0] = price;
        batch.positions = abi.encode(PositionSettlement.PositionBatch(markets, prices, pts));
    }

    address internal alice;
    address internal bob;
    address internal carol;
    address internal dave;
    address internal erin;
    address internal frank;
    uint256 internal aliceKey;
    uint256 internal bobKey;
    uint256 internal carolKey;
    uint256 internal daveKey;
    uint256 internal erinKey;
    uint256 internal frankKey;

    function _users() internal {
        (alice, aliceKey) = _user("alice");
        (bob, bobKey) = _user("bob");
        (carol, carolKey) = _user("carol");
        (dave, daveKey) = _user("dave");
        (erin, erinKey) = _user("erin");
        (frank, frankKey) = _user("frank");
    }

    function test_crash_haltsRiskIncreasingFills_reductionsAndLiquidationsGoOn_resumesAfterCooldown() public {
        _users();
        _margin(alice, 1000e18);
        _margin(bob, 10_000e18);
        _margin(carol, 10_000e18);
        _margin(dave, 10_000e18);
        _margin(erin, 10_000e18);
        _margin(frank, 10_000e18);
        _margin(keeper, 10_000e18);
        // before the crash: alice long 1 (thin margin), carol long 2, at 3,000
        _settle(_batch(_pt(aliceKey, alice, 1e18, 3010e18, false, 0), _pt(bobKey, bob, -1e18, 2990e18, false, 0), 3000e18));
        _settle(_batch(_pt(carolKey, carol, 2e18, 3010e18, false, 0), _pt(daveKey, dave, -2e18, 2990e18, false, 0), 3000e18));

        // the crash: -30% five minutes later
        vm.warp(block.timestamp + 5 minutes);
        vm.prank(feeder);
        feed.submit(2100e8);
        (bool predicted, uint64 until) = breaker.isHalted(ETH);
        assertTrue(predicted, "solvers see the halt before building a batch");
        assertEq(until, block.timestamp + 30 minutes);

        // a new long / short pair: risk-increasing on both sides
        Settlement.Batch memory opening =
            _batch(_pt(erinKey, erin, 1e18, 2200e18, false, 0), _pt(frankKey, frank, -1e18, 2000e18, false, 0), 2100e18);
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.MarketHalted.selector, ETH));
        settlement.settle(opening);

        // carol closes half (reduce-only) against dave covering half his short: both reduce
        vm.expectEmit(address(breaker));
        emit CircuitBreaker.CircuitBreakerTripped(ETH, 3000e8, 2100e8, until);
        _settle(_batch(_pt(carolKey, carol, -1e18, 2000e18, true, 1), _pt(daveKey, dave, 1e18, 2200e18, false, 1), 2100e18));
        assertEq(ch.position(carol, ETH).size, 1e18);
        assertEq(ch.position(dave, ETH).size, -1e18);
        assertEq(breaker.haltedUntil(ETH), until);

        // alice is below maintenance at 2,100: the keeper liquidates her during the halt
        assertTrue(ch.isLiquidatable(alice));
        vm.prank(keeper);
        ch.liquidate(alice);
        assertGt(ch.position(keeper, ETH).size, 0);
        assertLt(ch.position(alice, ETH).size, 1e18);

        // still halted within the cool-down
        vm.warp(until - 1);
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.MarketHalted.selector, ETH));
        settlement.settle(opening);

        // an hour after the crash the move has left the window; the feeder keeps the feed fresh
        vm.warp(block.timestamp + 1 hours);
        vm.prank(feeder);
        feed.submit(2100e8);
        (predicted,) = breaker.isHalted(ETH);
        assertFalse(predicted);
        vm.expectEmit(address(breaker));
        emit CircuitBreaker.CircuitBreakerResumed(ETH);
        _settle(opening); // the same signed intents: nothing was consumed while halted
        assertEq(ch.position(erin, ETH).size, 1e18);
        assertEq(ch.position(frank, ETH).size, -1e18);
        assertEq(breaker.haltedUntil(ETH), 0);
    }

    /// Without a breaker set, the same crash halts nothing (the hook costs nothing but one slot read).
    function test_noBreaker_crashDoesNotHalt() public {
        vm.prank(governance);
        ch.setCircuitBreaker(CircuitBreaker(address(0)));
        _users();
        _margin(erin, 10_000e18);
        _margin(frank, 10_000e18);
        vm.warp(block.timestamp + 5 minutes);
        vm.prank(feeder);
        feed.submit(2100e8);
        _settle(_batch(_pt(erinKey, erin, 1e18, 2200e18, false, 0), _pt(frankKey, frank, -1e18, 2000e18, false, 0), 2100e18));
        assertEq(ch.position(erin, ETH).size, 1e18);
    }
}
