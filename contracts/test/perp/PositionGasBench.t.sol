// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {console2} from "forge-std/console2.sol";
import {ClearingHouse, ClearingHouseBase} from "../../src/perp/ClearingHouse.sol";
import {DevnetPriceFeed} from "../../src/perp/DevnetPriceFeed.sol";
import {PositionSettlement} from "../../src/perp/PositionSettlement.sol";
import {PositionIntent} from "../../src/libraries/IntentHashing.sol";
import {Settlement} from "../../src/Settlement.sol";
import {SettlementTestBase} from "../utils/SettlementTestBase.sol";

/// @notice Gas of the position leg in the shape bench:risk measures: 20 accounts that each already
/// hold a position in all 3 markets (so every margin check prices 3 markets), one settle of 20
/// trades (10 pairs) across the 3 markets, one block (12 s) after the previous settle so that
/// funding has moved; and a partial liquidation of a 3-market account. Run with `--isolate` for
/// transaction-accurate cold/warm storage (each top-level call is its own transaction), e.g.
///   node contracts/scripts/forge.ts test --match-contract PositionGasBench --isolate -vv
/// (`-vvvv` adds the call trace: ecrecover, feed reads and the clearing-house frame).
contract PositionGasBenchTest is SettlementTestBase {
    uint256 internal constant USERS = 20;
    ClearingHouse internal ch;
    DevnetPriceFeed[3] internal feeds;
    address internal feeder = makeAddr("feeder");
    address[USERS] internal users;
    uint256[USERS] internal keys;
    uint256 internal nonce;

    function setUp() public override {
        super.setUp();
        vm.warp(1_700_000_000);
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
            // forge-lint: disable-next-line(unsafe-typecast) -- m < 3
            ch.listMarket(uint32(m + 1), c);
        }
        settlement.setClearingHouse(ch);
        vm.stopPrank();
        for (uint256 k; k < USERS; ++k) {
            (users[k], keys[k]) = _user(string.concat("trader", vm.toString(k)));
            tokenA.mint(users[k], 1_000_000e18);
            vm.startPrank(users[k]);
            tokenA.approve(address(ch), type(uint256).max);
            ch.deposit(users[k], 1_000_000e18);
            vm.stopPrank();
        }
        // Portfolios: every account trades in every market (pairs (2j, 2j+1) in market m, sides by j + m).
        for (uint256 m; m < 3; ++m) {
            _settle(_oneMarketBatch(m));
        }
        vm.warp(block.timestamp + 12);
        // a settle in every market so that funding rates are non-zero, as on a live market
        _settle(_mixedBatch(101, 100));
        vm.warp(block.timestamp + 12);
    }

    function _trade(uint256 k, uint32 market, uint8 marketIndex, int256 delta, uint256 limit)
        internal
        returns (PositionSettlement.PositionTrade memory t)
    {
        uint256 n = nonce++;
        PositionIntent memory i =
            PositionIntent(users[k], market, delta, limit, false, false, uint32(block.timestamp + 1 days), n);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(keys[k], settlement.hashPositionIntent(i));
        // forge-lint: disable-next-line(unsafe-typecast) -- bounded test sizes
        uint256 executed = uint256(delta < 0 ? -delta : delta);
        t = PositionSettlement.PositionTrade(users[k], delta, limit, n, i.validTo, marketIndex, 0, executed, abi.encodePacked(r, s, v));
    }

    function _prices() internal pure returns (uint32[] memory markets, uint256[] memory prices) {
        markets = new uint32[](3);
        prices = new uint256[](3);
        (markets[0], markets[1], markets[2]) = (1, 2, 3);
        (prices[0], prices[1], prices[2]) = (3000e18, 60_000e18, 150e18);
    }

    function _size(uint256 m) internal pure returns (int256) {
        return m == 0 ? int256(1e18) : m == 1 ? int256(0.05e18) : int256(20e18);
    }

    /// @dev All 20 accounts in market m.
    function _oneMarketBatch(uint256 m) internal returns (Settlement.Batch memory b) {
        (uint32[] memory allMarkets, uint256[] memory allPrices) = _prices();
        uint32[] memory markets = new uint32[](1);
        uint256[] memory prices = new uint256[](1);
        markets[0] = allMarkets[m];
        prices[0] = allPrices[m];
        PositionSettlement.PositionTrade[] memory pts = new PositionSettlement.PositionTrade[](USERS);
        for (uint256 k; k < USERS; ++k) {
            bool long = (k % 2 == 0) == ((k / 2 + m) % 2 == 0);
            int256 size = long ? _size(m) : -_size(m);
            pts[k] = _trade(k, markets[0], 0, size, long ? prices[0] * 101 / 100 : prices[0] * 99 / 100);
        }
        b.positions = abi.encode(PositionSettlement.PositionBatch(markets, prices, pts));
    }

    /// @dev 10 pairs (2j, 2j+1) in market j % 3, each adding `num / den` of a base size.
    function _mixedBatch(uint256 num, uint256 den) internal returns (Settlement.Batch memory b) {
        (uint32[] memory markets, uint256[] memory prices) = _prices();
        PositionSettlement.PositionTrade[] memory pts = new PositionSettlement.PositionTrade[](USERS);
        for (uint256 k; k < USERS; ++k) {
            uint256 m = (k / 2) % 3;
            // forge-lint: disable-next-line(unsafe-typecast) -- small constants
            int256 size = _size(m) * int256(num) / int256(den) / 10;
            bool long = k % 2 == 0;
            // forge-lint: disable-next-line(unsafe-typecast) -- m < 3
            pts[k] = _trade(k, markets[m], uint8(m), long ? size : -size, long ? prices[m] * 101 / 100 : prices[m] * 99 / 100);
        }
        b.positions = abi.encode(PositionSettlement.PositionBatch(markets, prices, pts));
    }

    /// Gas of one settle of 20 position trades across 3 markets, accounts holding 3 positions each.
    function test_gas_settle20PositionTrades3Markets() public {
        Settlement.Batch memory b = _mixedBatch(1, 1);
        vm.prank(solver);
        uint256 before = gasleft();
        settlement.settle(b);
        uint256 used = before - gasleft();
        console2.log("settle, 20 position trades, 3 markets, 3-market accounts (execution gas):", used);
        console2.log("per trade:", used / USERS);
        assertEq(ch.position(users[0], 1).size != 0, true);
    }

    /// Gas of a partial liquidation of an account holding 3 positions (ETH drops 1/6).
    function test_gas_liquidate3MarketAccount() public {
        address victim = makeAddr("victim");
        tokenA.mint(victim, 1_300e18);
        vm.startPrank(victim);
        tokenA.approve(address(ch), type(uint256).max);
        ch.deposit(victim, 1_300e18);
        vm.stopPrank();
        // victim: long 2 ETH, short 0.05 BTC, long 20 SOL-like against users 0..2
        _victimTrade(victim, 0, 2e18, 0);
        _victimTrade(victim, 1, -0.05e18, 1);
        _victimTrade(victim, 2, 20e18, 2);
        vm.warp(block.timestamp + 12);
        vm.prank(feeder);
        feeds[0].submit(2500e8);
        address liquidator = users[19];
        assertTrue(ch.isLiquidatable(victim));
        vm.prank(liquidator);
        uint256 before = gasleft();
        ch.liquidate(victim);
        uint256 used = before - gasleft();
        console2.log("liquidate, 3-market account, partial (execution gas):", used);
    }

    function _victimTrade(address victim, uint256 m, int256 size, uint256 k) internal {
        (uint32[] memory allMarkets, uint256[] memory allPrices) = _prices();
        uint32[] memory markets = new uint32[](1);
        uint256[] memory prices = new uint256[](1);
        markets[0] = allMarkets[m];
        prices[0] = allPrices[m];
        ClearingHouseBase.Fill[] memory fills = new ClearingHouseBase.Fill[](2);
        fills[0] = ClearingHouseBase.Fill(victim, size, 0, false);
        fills[1] = ClearingHouseBase.Fill(users[k], -size, 0, false);
        // the clearing house trusts Settlement's own calls; play it for this setup step
        vm.mockCall(address(settlement), abi.encodeWithSignature("trustedCallee()"), abi.encode(address(ch)));
        vm.prank(address(settlement));
        ch.settlePositions(markets, prices, fills);
        vm.clearMockedCalls();
    }
}
