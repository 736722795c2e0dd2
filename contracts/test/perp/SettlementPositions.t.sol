// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Settlement} from "../../src/Settlement.sol";
import {SolverRegistry} from "../../src/SolverRegistry.sol";
import {ClearingHouse, ClearingHouseBase} from "../../src/perp/ClearingHouse.sol";
import {DevnetPriceFeed} from "../../src/perp/DevnetPriceFeed.sol";
import {PositionSettlement} from "../../src/perp/PositionSettlement.sol";
import {PositionIntent, SwapIntent} from "../../src/libraries/IntentHashing.sol";
import {SettlementTestBase} from "../utils/SettlementTestBase.sol";
import {console2} from "forge-std/console2.sol";

/// @notice Position intents through the real Settlement: the wiring, one settle that clears swaps
/// and positions together, shared nonces, and the gas of 20 position trades across 3 markets.
contract SettlementPositionsTest is SettlementTestBase {
    ClearingHouse internal ch;
    DevnetPriceFeed[3] internal feeds;
    address internal feeder = makeAddr("feeder");

    function setUp() public override {
        super.setUp();
        // tokenA is the collateral (18 decimals)
        ch = new ClearingHouse(governance, address(settlement), address(tokenA), 18, 0.01e18, 0.5e18);
        int256[3] memory answers = [int256(3000e8), 60_000e8, 150e8];
        vm.startPrank(governance);
        for (uint256 m; m < 3; ++m) {
            feeds[m] = new DevnetPriceFeed(feeder, 8, "feed", answers[m]);
            ClearingHouseBase.MarketConfig memory c;
            c.feed = feeds[m];
            c.heartbeat = 1 hours;
            c.fundingPeriod = 8 hours;
            c.initialMarginFraction = 0.1e18;
            c.maintenanceMarginFraction = 0.05e18;
            c.feeFraction = 0.0005e18;
            c.maxPriceDeviation = 0.05e18;
            c.maxFundingRate = 0.01e18;
            c.maxOpenInterest = 1e30;
            // forge-lint: disable-next-line(unsafe-typecast) -- bounded test values
            ch.listMarket(uint32(m + 1), c);
        }
        settlement.setClearingHouse(ch);
        vm.stopPrank();
    }

    function _margin(address user, uint256 amount) internal {
        tokenA.mint(user, amount);
        vm.startPrank(user);
        tokenA.approve(address(ch), amount);
        ch.deposit(user, amount);
        vm.stopPrank();
    }

    function _positionTrade(uint256 key, address account, uint32 market, uint8 marketIndex, int256 delta, uint256 limit, uint256 nonce)
        internal
        view
        returns (PositionSettlement.PositionTrade memory t)
    {
        PositionIntent memory i = PositionIntent(account, market, delta, limit, false, false, uint32(block.timestamp + 1 hours), nonce);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, settlement.hashPositionIntent(i));
        t = PositionSettlement.PositionTrade(
            account, delta, limit, nonce, i.validTo, marketIndex, 0, uint256(delta < 0 ? -delta : delta), abi.encodePacked(r, s, v)
        );
    }

    function test_setClearingHouse_onlyOwnerOnce() public {
        vm.expectRevert(abi.encodeWithSelector(SolverRegistry.NotOwner.selector, address(this)));
        settlement.setClearingHouse(ch);
        vm.prank(governance);
        vm.expectRevert(Settlement.ClearingHouseAlreadySet.selector);
        settlement.setClearingHouse(ch);
    }

    function test_oneSettle_clearsSwapsAndPositions() public {
        (address alice, uint256 aliceKey) = _user("alice");
        (address bob, uint256 bobKey) = _user("bob");
        _fund(tokenA, alice, 100e18);
        _fund(tokenB, bob, 100e18);
        _margin(alice, 10_000e18);
        _margin(bob, 10_000e18);
        // swap: alice sells 100 A for >= 100 B; bob sells 100 B for >= 100 A; nonces 0
        SwapIntent memory ia = _intent(alice, address(tokenA), address(tokenB), 100e18, 100e18, SELL, false, 0);
        SwapIntent memory ib = _intent(bob, address(tokenB), address(tokenA), 100e18, 100e18, SELL, false, 0);
        address[] memory tokens = _pair();
        Settlement.Batch memory b = _batch(
            tokens,
            _prices(1, 1),
            _two(_trade(ia, tokens, _sign(aliceKey, ia), 0), _trade(ib, tokens, _sign(bobKey, ib), 0)),
            _noInteractions()
        );
        // positions: alice long 1 ETH, bob short 1 ETH at 3,000; nonces 1 (same bitmap word as the swaps)
        PositionSettlement.PositionTrade[] memory pts = new PositionSettlement.PositionTrade[](2);
        pts[0] = _positionTrade(aliceKey, alice, 1, 0, 1e18, 3010e18, 1);
        pts[1] = _positionTrade(bobKey, bob, 1, 0, -1e18, 2990e18, 1);
        uint32[] memory markets = new uint32[](1);
        uint256[] memory prices = new uint256[](1);
        markets[0] = 1;
        prices[0] = 3000e18;
        b.positions = abi.encode(PositionSettlement.PositionBatch(markets, prices, pts));
        _settle(b);
        assertEq(tokenB.balanceOf(alice), 100e18);
        assertEq(tokenA.balanceOf(bob), 100e18);
        assertEq(ch.position(alice, 1).size, 1e18);
        assertEq(ch.position(bob, 1).size, -1e18);
        assertEq(settlement.nonceBitmap(alice, 0), 3); // swap nonce 0 and position nonce 1
        // replaying the position leg alone fails on the nonce
        b.trades = new Settlement.Trade[](0);
        b.tokens = new address[](0);
        b.clearingPrices = new uint256[](0);
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(Settlement.NonceAlreadyUsed.selector, alice, 1));
        settlement.settle(b);
    }

    function test_cancelledPositionIntent_reverts() public {
        (address alice, uint256 aliceKey) = _user("alice");
        (address bob, uint256 bobKey) = _user("bob");
        _margin(alice, 10_000e18);
        _margin(bob, 10_000e18);
        vm.prank(alice);
        settlement.invalidateNonces(0, 1 << 5);
        PositionSettlement.PositionTrade[] memory pts = new PositionSettlement.PositionTrade[](2);
        pts[0] = _positionTrade(aliceKey, alice, 1, 0, 1e18, 3010e18, 5);
        pts[1] = _positionTrade(bobKey, bob, 1, 0, -1e18, 2990e18, 5);
        uint32[] memory markets = new uint32[](1);
        uint256[] memory prices = new uint256[](1);
        markets[0] = 1;
        prices[0] = 3000e18;
        Settlement.Batch memory b;
        b.positions = abi.encode(PositionSettlement.PositionBatch(markets, prices, pts));
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(Settlement.NonceAlreadyUsed.selector, alice, 5));
        settlement.settle(b);
    }

    /// A partially fillable position intent fills across settles in Settlement.filledAmount (the
    /// same mapping as partially fillable swaps), never beyond |sizeDelta|; cancelling it stops it.
    function test_partiallyFillablePositionIntent_acrossSettles() public {
        (address alice, uint256 aliceKey) = _user("alice");
        (address bob, uint256 bobKey) = _user("bob");
        _margin(alice, 10_000e18);
        _margin(bob, 10_000e18);
        (PositionSettlement.PositionTrade memory t, bytes32 digest) = _partialLong(aliceKey, alice);
        uint32[] memory markets = new uint32[](1);
        uint256[] memory prices = new uint256[](1);
        markets[0] = 1;
        prices[0] = 3000e18;
        PositionSettlement.PositionTrade[] memory pts = new PositionSettlement.PositionTrade[](2);
        pts[0] = t;
        pts[1] = _positionTrade(bobKey, bob, 1, 0, -1.5e18, 2990e18, 1);
        Settlement.Batch memory b;
        b.positions = abi.encode(PositionSettlement.PositionBatch(markets, prices, pts));
        _settle(b);
        assertEq(settlement.filledAmount(digest), 1.5e18);
        assertEq(ch.position(alice, 1).size, 1.5e18);
        assertEq(settlement.nonceBitmap(alice, 0), 0);
        // 0.6 more would exceed the signed 2
        pts[0].executedSize = 0.6e18;
        pts[1] = _positionTrade(bobKey, bob, 1, 0, -0.6e18, 2990e18, 2);
        b.positions = abi.encode(PositionSettlement.PositionBatch(markets, prices, pts));
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(Settlement.FillExceedsAmount.selector, digest, 1.5e18, 0.6e18, 2e18));
        settlement.settle(b);
        // cancelled: nothing more fills
        vm.prank(alice);
        settlement.invalidateNonces(0, 1 << 3);
        pts[0].executedSize = 0.5e18;
        pts[1] = _positionTrade(bobKey, bob, 1, 0, -0.5e18, 2990e18, 3);
        b.positions = abi.encode(PositionSettlement.PositionBatch(markets, prices, pts));
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(Settlement.NonceAlreadyUsed.selector, alice, 3));
        settlement.settle(b);
    }

    /// @dev alice's partially fillable long of 2 ETH in market 1, limit 3,010, nonce 3, filling 1.5.
    function _partialLong(uint256 key, address account)
        internal
        view
        returns (PositionSettlement.PositionTrade memory t, bytes32 digest)
    {
        PositionIntent memory i = PositionIntent(account, 1, 2e18, 3010e18, false, true, uint32(block.timestamp + 1 hours), 3);
        digest = settlement.hashPositionIntent(i);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        t = PositionSettlement.PositionTrade(account, 2e18, 3010e18, 3, i.validTo, 0, 4, 1.5e18, abi.encodePacked(r, s, v));
    }

    /// 20 position trades (10 pairs) across 3 markets in one settle; steady state (accounts already
    /// hold positions in those markets and have used nonces in the same word). Without `--isolate`
    /// forge runs the test as one transaction, so slots the warm-up settle touched are still warm
    /// (about 646k); with `--isolate` (a transaction per call, as on chain) it is about 1.35M.
    /// bench:risk measures it on anvil with multi-market accounts.
    function test_gas_20PositionTradesAcross3Markets() public {
        uint256[20] memory keys;
        address[20] memory users;
        for (uint256 k; k < 20; ++k) {
            (users[k], keys[k]) = _user(string.concat("trader", vm.toString(k)));
            _margin(users[k], 1_000_000e18);
        }
        Settlement.Batch memory warm = _positionBatch(users, keys, 0);
        vm.prank(solver);
        settlement.settle(warm);
        Settlement.Batch memory b = _positionBatch(users, keys, 1);
        vm.prank(solver);
        uint256 before = gasleft();
        settlement.settle(b);
        uint256 used = before - gasleft();
        console2.log("settle with 20 position trades across 3 markets (gas, call only):", used);
        assertEq(ch.position(users[0], 1).size, 2e18);
    }

    function _positionBatch(address[20] memory users, uint256[20] memory keys, uint256 nonce)
        internal
        view
        returns (Settlement.Batch memory b)
    {
        uint32[] memory markets = new uint32[](3);
        uint256[] memory prices = new uint256[](3);
        (markets[0], markets[1], markets[2]) = (1, 2, 3);
        (prices[0], prices[1], prices[2]) = (3000e18, 60_000e18, 150e18);
        PositionSettlement.PositionTrade[] memory pts = new PositionSettlement.PositionTrade[](20);
        for (uint256 k; k < 20; ++k) {
            uint8 m = uint8((k / 2) % 3);
            int256 size = k % 2 == 0 ? int256(1e18) : -1e18;
            uint256 limit = size > 0 ? prices[m] * 101 / 100 : prices[m] * 99 / 100;
            pts[k] = _positionTrade(keys[k], users[k], markets[m], m, size, limit, nonce);
        }
        b.positions = abi.encode(PositionSettlement.PositionBatch(markets, prices, pts));
    }
}
