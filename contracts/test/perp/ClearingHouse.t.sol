// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ClearingHouse, ClearingHouseBase} from "../../src/perp/ClearingHouse.sol";
import {DevnetPriceFeed} from "../../src/perp/DevnetPriceFeed.sol";
import {OracleAdapter} from "../../src/perp/OracleAdapter.sol";
import {PerpMath, Position} from "../../src/perp/PerpMath.sol";
import {PerpTestBase} from "./PerpTestBase.sol";

contract ClearingHouseTest is PerpTestBase {
    function _accounts() internal view returns (address[] memory a) {
        a = new address[](4);
        a[0] = alice;
        a[1] = bob;
        a[2] = carol;
        a[3] = keeper;
    }

    // ---------------------------------------------------------------- collateral

    function test_depositAndWithdraw() public {
        _deposit(alice, 1000e18);
        assertEq(ch.collateral(alice), 1000e18);
        vm.prank(alice);
        ch.withdraw(400e18, alice);
        assertEq(ch.collateral(alice), 600e18);
        assertEq(usd.balanceOf(alice), 400e18);
        _assertConserved(_accounts());
    }

    function test_depositZero_reverts() public {
        vm.expectRevert(ClearingHouseBase.ZeroAmount.selector);
        ch.deposit(alice, 0);
    }

    function test_withdrawMoreThanCollateral_reverts() public {
        _deposit(alice, 100e18);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.InsufficientMargin.selector, alice, int256(-1), int256(0)));
        ch.withdraw(100e18 + 1, alice);
    }

    function test_withdrawBelowInitialMargin_reverts() public {
        _deposit(alice, 1000e18);
        _deposit(bob, 1000e18);
        _trade(ETH, 3000e18, alice, bob, 2e18); // fee 6, IM 600
        assertEq(ch.collateral(alice), 994e18);
        vm.startPrank(alice);
        ch.withdraw(394e18, alice); // exactly at IM
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.InsufficientMargin.selector, alice, int256(600e18 - 1), int256(600e18)));
        ch.withdraw(1, alice);
        vm.stopPrank();
    }

    function test_withdrawWithPositionsAndStaleOracle_reverts() public {
        _deposit(alice, 1000e18);
        _deposit(bob, 1000e18);
        _trade(ETH, 3000e18, alice, bob, 1e18);
        vm.warp(block.timestamp + HEARTBEAT + 1);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(OracleAdapter.OracleStale.selector, address(ethFeed), block.timestamp - HEARTBEAT - 1));
        ch.withdraw(1e18, alice);
    }

    function test_fundInsurance() public {
        usd.mint(address(this), 5e18);
        usd.approve(address(ch), 5e18);
        ch.fundInsurance(5e18);
        assertEq(ch.insuranceFund(), 5e18);
    }

    // ---------------------------------------------------------------- governance

    function test_listMarket_onlyOwner() public {
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.NotOwner.selector, address(this)));
        ch.listMarket(3, _config(ethFeed));
    }

    function test_listMarket_twice_reverts() public {
        vm.prank(governance);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.MarketAlreadyListed.selector, ETH));
        ch.listMarket(ETH, _config(ethFeed));
    }

    function test_listMarket_badConfig_reverts() public {
        ClearingHouseBase.MarketConfig memory c = _config(ethFeed);
        c.maintenanceMarginFraction = 0.2e18; // above initial
        vm.prank(governance);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.InvalidMarketConfig.selector, uint32(3)));
        ch.listMarket(3, c);
    }

    function test_configureUnknownMarket_reverts() public {
        vm.prank(governance);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.UnknownMarket.selector, uint32(9)));
        ch.configureMarket(9, _config(ethFeed));
    }

    function test_markPrice_normalisesFeedDecimals() public view {
        (uint256 price, bool fresh) = ch.markPrice(ETH);
        assertEq(price, 3000e18);
        assertTrue(fresh);
    }

    // ---------------------------------------------------------------- trading

    function test_trade_opensPositions_feesToInsurance() public {
        _deposit(alice, 1000e18);
        _deposit(bob, 1000e18);
        _trade(ETH, 3000e18, alice, bob, 2e18);
        Position memory a = _pos(alice, ETH);
        Position memory b = _pos(bob, ETH);
        assertEq(a.size, 2e18);
        assertEq(a.openNotional, 6000e18);
        assertEq(b.size, -2e18);
        assertEq(b.openNotional, -6000e18);
        assertEq(ch.collateral(alice), 994e18);
        assertEq(ch.collateral(bob), 994e18);
        assertEq(ch.insuranceFund(), 12e18);
        (,, uint256 oi,) = ch.marketState(ETH);
        assertEq(oi, 2e18);
        _assertConserved(_accounts());
    }

    function test_workedExample_matchesProtocolMargin() public {
        // protocol/margin.test.ts: 2 ETH long at 3,000 with 1,000 collateral, then a drop to 2,600.
        _deposit(alice, 1006e18); // 1,000 after the 6 fee
        _deposit(bob, 10_000e18);
        _trade(ETH, 3000e18, alice, bob, 2e18);
        (int256 e, int256 im, int256 mm) = ch.accountHealth(alice);
        assertEq(e, 1000e18);
        assertEq(im, 600e18);
        assertEq(mm, 300e18);
        _setPrice(ethFeed, 2600e8);
        (e, im, mm) = ch.accountHealth(alice);
        assertEq(e, 200e18);
        assertEq(im, 520e18);
        assertEq(mm, 260e18);
        assertTrue(ch.isLiquidatable(alice));
    }

    function test_closeRealisesPnl() public {
        _deposit(alice, 1000e18);
        _deposit(bob, 1000e18);
        _trade(ETH, 3000e18, alice, bob, 1e18);
        _setPrice(ethFeed, 3100e8);
        _trade(ETH, 3100e18, bob, alice, 1e18); // alice sells back: +100
        assertEq(_pos(alice, ETH).size, 0);
        assertEq(ch.accountMarkets(alice).length, 0);
        // fees 3 + 3.1
        assertEq(ch.collateral(alice), 1000e18 + 100e18 - 3e18 - 3.1e18);
        assertEq(ch.collateral(bob), 1000e18 - 100e18 - 3e18 - 3.1e18);
        (,, uint256 oi,) = ch.marketState(ETH);
        assertEq(oi, 0);
        _assertConserved(_accounts());
    }

    function test_flip_closesThenOpens() public {
        _deposit(alice, 10_000e18);
        _deposit(bob, 10_000e18);
        _deposit(carol, 10_000e18);
        _trade(ETH, 3000e18, alice, bob, 2e18);
        _trade(ETH, 3000e18, carol, alice, 5e18); // alice: +2 -> -3
        Position memory a = _pos(alice, ETH);
        assertEq(a.size, -3e18);
        assertEq(a.openNotional, -9000e18);
        (,, uint256 oi,) = ch.marketState(ETH);
        assertEq(oi, 5e18);
    }

    function test_crossMargin_gainOffsetsLoss() public {
        // Alice long ETH and short BTC; ETH falls 10%, BTC falls 10%: the BTC gain covers the ETH loss.
        _deposit(alice, 2000e18);
        _deposit(bob, 100_000e18);
        uint32[] memory ids = new uint32[](2);
        uint256[] memory prices = new uint256[](2);
        (ids[0], ids[1], prices[0], prices[1]) = (ETH, BTC, 3000e18, 60_000e18);
        ClearingHouseBase.Fill[] memory fills = new ClearingHouseBase.Fill[](4);
        fills[0] = _fill(alice, 2e18, 0, false);
        fills[1] = _fill(bob, -2e18, 0, false);
        fills[2] = _fill(alice, -0.1e18, 1, false);
        fills[3] = _fill(bob, 0.1e18, 1, false);
        ch.settlePositions(ids, prices, fills);
        _setPrice(ethFeed, 2700e8); // -600
        _setPrice(btcFeed, 54_000e8); // +600
        (int256 e, int256 im,) = ch.accountHealth(alice);
        assertEq(e, 2000e18 - 12e18); // only the fees (6 + 6)
        assertEq(im, 540e18 + 540e18);
        assertFalse(ch.isLiquidatable(alice));
    }

    function test_insufficientInitialMargin_revertsNamingAccount() public {
        _deposit(alice, 500e18);
        _deposit(bob, 10_000e18);
        (uint32[] memory ids, uint256[] memory prices) = _one(ETH, 3000e18);
        ClearingHouseBase.Fill[] memory fills = new ClearingHouseBase.Fill[](2);
        fills[0] = _fill(bob, -2e18, 0, false);
        fills[1] = _fill(alice, 2e18, 0, false);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.InsufficientMargin.selector, alice, int256(494e18), int256(600e18)));
        ch.settlePositions(ids, prices, fills);
    }

    function test_onlySettlement() public {
        (uint32[] memory ids, uint256[] memory prices) = _one(ETH, 3000e18);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.OnlySettlement.selector, alice));
        ch.settlePositions(ids, prices, new ClearingHouseBase.Fill[](0));
    }

    function test_priceCountMismatch() public {
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.PriceCountMismatch.selector, 1, 0));
        ch.settlePositions(new uint32[](1), new uint256[](0), new ClearingHouseBase.Fill[](0));
    }

    function test_marketsNotSorted() public {
        uint32[] memory ids = new uint32[](2);
        uint256[] memory prices = new uint256[](2);
        (ids[0], ids[1], prices[0], prices[1]) = (BTC, ETH, 60_000e18, 3000e18);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.MarketsNotSorted.selector, 1));
        ch.settlePositions(ids, prices, new ClearingHouseBase.Fill[](0));
    }

    function test_unknownMarket() public {
        (uint32[] memory ids, uint256[] memory prices) = _one(7, 3000e18);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.UnknownMarket.selector, uint32(7)));
        ch.settlePositions(ids, prices, new ClearingHouseBase.Fill[](0));
    }

    function test_zeroPrice() public {
        (uint32[] memory ids, uint256[] memory prices) = _one(ETH, 0);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.PriceOutOfRange.selector, ETH, 0));
        ch.settlePositions(ids, prices, new ClearingHouseBase.Fill[](0));
    }

    function test_marketIndexOutOfRange() public {
        (uint32[] memory ids, uint256[] memory prices) = _one(ETH, 3000e18);
        ClearingHouseBase.Fill[] memory fills = new ClearingHouseBase.Fill[](1);
        fills[0] = _fill(alice, 1e18, 1, false);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.MarketIndexOutOfRange.selector, 0));
        ch.settlePositions(ids, prices, fills);
    }

    function test_zeroSizeDelta() public {
        (uint32[] memory ids, uint256[] memory prices) = _one(ETH, 3000e18);
        ClearingHouseBase.Fill[] memory fills = new ClearingHouseBase.Fill[](1);
        fills[0] = _fill(alice, 0, 0, false);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.ZeroSizeDelta.selector, 0));
        ch.settlePositions(ids, prices, fills);
    }

    function test_notBalanced() public {
        _deposit(alice, 10_000e18);
        _deposit(bob, 10_000e18);
        (uint32[] memory ids, uint256[] memory prices) = _one(ETH, 3000e18);
        ClearingHouseBase.Fill[] memory fills = new ClearingHouseBase.Fill[](2);
        fills[0] = _fill(alice, 2e18, 0, false);
        fills[1] = _fill(bob, -1e18, 0, false);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.MarketNotBalanced.selector, ETH, int256(1e18)));
        ch.settlePositions(ids, prices, fills);
    }

    function test_reduceOnly_honoured() public {
        _deposit(alice, 10_000e18);
        _deposit(bob, 10_000e18);
        _deposit(carol, 10_000e18);
        _trade(ETH, 3000e18, alice, bob, 1e18);
        (uint32[] memory ids, uint256[] memory prices) = _one(ETH, 3000e18);
        ClearingHouseBase.Fill[] memory fills = new ClearingHouseBase.Fill[](2);
        // growing a long with reduce-only
        fills[0] = _fill(alice, 1e18, 0, true);
        fills[1] = _fill(carol, -1e18, 0, false);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.ReduceOnlyViolated.selector, 0, int256(1e18), int256(1e18)));
        ch.settlePositions(ids, prices, fills);
        // reduce-only beyond the position is clamped to it, so it cannot flip: alice's -2 applies
        // as -1 and carol's +2 leaves the market unbalanced by the clamped 1
        fills[0] = _fill(alice, -2e18, 0, true);
        fills[1] = _fill(carol, 2e18, 0, false);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.MarketNotBalanced.selector, ETH, int256(1e18)));
        ch.settlePositions(ids, prices, fills);
        // from flat with reduce-only
        fills[0] = _fill(carol, 1e18, 0, true);
        fills[1] = _fill(alice, -1e18, 0, false);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.ReduceOnlyViolated.selector, 0, int256(0), int256(1e18)));
        ch.settlePositions(ids, prices, fills);
        // a true reduction passes
        fills[0] = _fill(alice, -1e18, 0, true);
        fills[1] = _fill(carol, 1e18, 0, false);
        ch.settlePositions(ids, prices, fills);
        assertEq(_pos(alice, ETH).size, 0);
    }

    /// Reduce-only larger than the position closes exactly the position (short side too), the
    /// event reports the applied delta, and the market nets on applied deltas.
    function test_reduceOnly_clampedToPosition() public {
        _deposit(alice, 10_000e18);
        _deposit(bob, 10_000e18);
        _deposit(carol, 10_000e18);
        _trade(ETH, 3000e18, alice, bob, 0.7e18); // bob short 0.7
        (uint32[] memory ids, uint256[] memory prices) = _one(ETH, 3000e18);
        ClearingHouseBase.Fill[] memory fills = new ClearingHouseBase.Fill[](3);
        fills[0] = _fill(bob, 5e18, 0, true); // close 5 reduce-only on a 0.7 short: buys 0.7
        fills[1] = _fill(carol, -0.2e18, 0, false);
        fills[2] = _fill(alice, -0.5e18, 0, false);
        vm.expectEmit(true, true, false, true, address(ch));
        emit ClearingHouseBase.PositionChanged(bob, ETH, 0.7e18, 3000e18, 0, 0, 0, 2.1e18);
        ch.settlePositions(ids, prices, fills);
        assertEq(_pos(bob, ETH).size, 0);
        assertEq(_pos(alice, ETH).size, 0.2e18);
        assertEq(_pos(carol, ETH).size, -0.2e18);
        assertEq(ch.accountMarkets(bob).length, 0);
        (,, uint256 oi,) = ch.marketState(ETH);
        assertEq(oi, 0.2e18);
        address[] memory accounts = new address[](3);
        (accounts[0], accounts[1], accounts[2]) = (alice, bob, carol);
        _assertConserved(accounts);
    }

    function test_duplicateFill_reverts() public {
        _deposit(alice, 10_000e18);
        _deposit(bob, 10_000e18);
        _deposit(carol, 10_000e18);
        (uint32[] memory ids, uint256[] memory prices) = _one(ETH, 3000e18);
        ClearingHouseBase.Fill[] memory fills = new ClearingHouseBase.Fill[](3);
        fills[0] = _fill(alice, 1e18, 0, false);
        fills[1] = _fill(bob, -2e18, 0, false);
        fills[2] = _fill(alice, 1e18, 0, false);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.DuplicateFill.selector, 2, alice, ETH));
        ch.settlePositions(ids, prices, fills);
        // opposite sides (a self-trade through a third party)
        fills[0] = _fill(alice, 1e18, 0, false);
        fills[1] = _fill(alice, -1e18, 0, false);
        fills[2] = _fill(carol, 0, 0, false);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.DuplicateFill.selector, 1, alice, ETH));
        ch.settlePositions(ids, prices, fills);
        // two separate calls in one transaction (this test) may fill the same pair again
        _trade(ETH, 3000e18, alice, bob, 1e18);
        _trade(ETH, 3000e18, alice, bob, 1e18);
        assertEq(_pos(alice, ETH).size, 2e18);
    }

    /// The packed market list keeps swap-and-pop order: closing the first market moves the last
    /// one into its lane; market id 0 cannot be listed (0 is an empty lane).
    function test_accountMarkets_packedList_order() public {
        _deposit(alice, 100_000e18);
        _deposit(bob, 100_000e18);
        DevnetPriceFeed solFeed = new DevnetPriceFeed(feeder, 8, "SOL / USD", 150e8);
        vm.startPrank(governance);
        ch.listMarket(7, _config(solFeed));
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.InvalidMarketConfig.selector, uint32(0)));
        ch.listMarket(0, _config(solFeed));
        vm.stopPrank();
        _trade(ETH, 3000e18, alice, bob, 1e18);
        _trade(BTC, 60_000e18, alice, bob, 0.01e18);
        _trade(7, 150e18, bob, alice, 2e18);
        uint32[] memory ms = ch.accountMarkets(alice);
        assertEq(ms.length, 3);
        (uint256 a, uint256 b, uint256 c) = (ms[0], ms[1], ms[2]);
        assertEq(a * 10_000 + b * 100 + c, 10_207);
        _trade(ETH, 3000e18, bob, alice, 1e18); // alice closes ETH
        ms = ch.accountMarkets(alice);
        assertEq(ms.length, 2);
        assertEq(ms[0], 7);
        assertEq(ms[1], BTC);
        _trade(BTC, 60_000e18, bob, alice, 0.01e18); // closes the last lane
        ms = ch.accountMarkets(alice);
        assertEq(ms.length, 1);
        assertEq(ms[0], 7);
        _trade(ETH, 3000e18, alice, bob, 1e18);
        ms = ch.accountMarkets(alice);
        assertEq(ms.length, 2);
        assertEq(ms[1], ETH);
    }

    function test_staleOracle_blocksRiskIncreasing_allowsReducing() public {
        _deposit(alice, 10_000e18);
        _deposit(bob, 10_000e18);
        _deposit(carol, 10_000e18);
        _trade(ETH, 3000e18, alice, bob, 1e18);
        vm.warp(block.timestamp + HEARTBEAT + 1);
        (uint32[] memory ids, uint256[] memory prices) = _one(ETH, 3000e18);
        ClearingHouseBase.Fill[] memory fills = new ClearingHouseBase.Fill[](2);
        fills[0] = _fill(alice, -1e18, 0, false); // reduces
        fills[1] = _fill(carol, 1e18, 0, false); // opens: blocked
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.OracleStale.selector, ETH));
        ch.settlePositions(ids, prices, fills);
        // both sides reducing: allowed on a stale oracle
        fills[0] = _fill(alice, -1e18, 0, false);
        fills[1] = _fill(bob, 1e18, 0, false);
        ch.settlePositions(ids, prices, fills);
        assertEq(_pos(alice, ETH).size, 0);
        assertEq(_pos(bob, ETH).size, 0);
    }

    function test_deviatingPrice_blocksRiskIncreasing() public {
        _deposit(alice, 10_000e18);
        _deposit(bob, 10_000e18);
        (uint32[] memory ids, uint256[] memory prices) = _one(ETH, 3150e18 + 1); // 5% + 1 wei above
        ClearingHouseBase.Fill[] memory fills = new ClearingHouseBase.Fill[](2);
        fills[0] = _fill(alice, 1e18, 0, false);
        fills[1] = _fill(bob, -1e18, 0, false);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.PriceDeviation.selector, ETH, 3150e18 + 1, 3000e18));
        ch.settlePositions(ids, prices, fills);
        prices[0] = 3150e18; // exactly 5%: allowed
        ch.settlePositions(ids, prices, fills);
    }

    function test_openInterestCap() public {
        ClearingHouseBase.MarketConfig memory c = _config(ethFeed);
        c.maxOpenInterest = 1e18;
        vm.prank(governance);
        ch.configureMarket(ETH, c);
        _deposit(alice, 10_000e18);
        _deposit(bob, 10_000e18);
        _trade(ETH, 3000e18, alice, bob, 1e18);
        (uint32[] memory ids, uint256[] memory prices) = _one(ETH, 3000e18);
        ClearingHouseBase.Fill[] memory fills = new ClearingHouseBase.Fill[](2);
        fills[0] = _fill(alice, 1, 0, false);
        fills[1] = _fill(bob, -1, 0, false);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.OpenInterestCapExceeded.selector, ETH, 1e18 + 1, 1e18));
        ch.settlePositions(ids, prices, fills);
    }

    function test_tooManyMarkets() public {
        vm.startPrank(governance);
        for (uint32 id = 3; id <= 9; ++id) {
            ch.listMarket(id, _config(ethFeed));
        }
        vm.stopPrank();
        _deposit(alice, 1_000_000e18);
        _deposit(bob, 1_000_000e18);
        for (uint32 id = 1; id <= 8; ++id) {
            _trade(id, id == BTC ? 60_000e18 : 3000e18, alice, bob, 1e18);
        }
        vm.prank(governance);
        ch.listMarket(10, _config(ethFeed));
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.TooManyMarkets.selector, alice));
        _trade(10, 3000e18, alice, bob, 1e18);
    }

    // ---------------------------------------------------------------- funding

    function test_funding_premiumAccruesAndSettlesOnTouch() public {
        _deposit(alice, 10_000e18);
        _deposit(bob, 10_000e18);
        // A funding period after listing, a trade of the whole open interest carries full weight:
        // clearing 1% above the oracle, longs pay (3030 - 3000) / 8h per second per unit.
        vm.warp(block.timestamp + 8 hours);
        _setPrice(ethFeed, 3000e8);
        _trade(ETH, 3030e18, alice, bob, 1e18);
        (int256 index, int256 rate,,) = ch.marketState(ETH);
        assertEq(index, 0);
        assertEq(rate, int256(30e18) / 8 hours);
        vm.warp(block.timestamp + 8 hours);
        _setPrice(ethFeed, 3000e8);
        (index,,,) = ch.marketState(ETH);
        assertEq(index, rate * 8 hours);
        int256 aliceBefore = _equity(alice);
        int256 bobBefore = _equity(bob);
        // Touch alice (and carol): funding moves from her collateral to the insurance float.
        _deposit(carol, 10_000e18);
        int256 collateralBefore = ch.collateral(alice);
        _trade(ETH, 3000e18, carol, alice, 0.5e18);
        int256 paid = PerpMath.mulDivCeil(1e18, index, WAD);
        assertApproxEqAbs(paid, 30e18, 1e6);
        // paid funding, realised 0.5 * 3000 - 1515 = -15, fee 1.5
        assertEq(ch.collateral(alice), collateralBefore - paid - 15e18 - 1.5e18);
        assertEq(_pos(alice, ETH).fundingIndex, index);
        // Bob (untouched) still shows the receivable in his equity.
        assertEq(_equity(bob), bobBefore); // mark unchanged, funding receivable already in equity
        assertEq(aliceBefore - _equity(alice), 1.5e18, "only the fee leaves her equity");
        _assertConserved(_accounts());
    }

    // ---------------------------------------------------------------- liquidation

    function _liquidationSetup() internal {
        _deposit(alice, 1006e18);
        _deposit(bob, 100_000e18);
        _deposit(keeper, 100_000e18);
        _trade(ETH, 3000e18, alice, bob, 2e18);
    }

    function test_notLiquidatable_reverts() public {
        _liquidationSetup();
        vm.prank(keeper);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.NotLiquidatable.selector, alice, int256(1000e18), int256(300e18)));
        ch.liquidate(alice);
    }

    function test_selfLiquidation_reverts() public {
        _liquidationSetup();
        vm.prank(alice);
        vm.expectRevert(ClearingHouseBase.SelfLiquidation.selector);
        ch.liquidate(alice);
    }

    function test_liquidation_nothingFreshToClose_reverts() public {
        _liquidationSetup();
        _setPrice(ethFeed, 2600e8);
        vm.warp(block.timestamp + HEARTBEAT + 1);
        vm.prank(keeper);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.OracleStale.selector, ETH));
        ch.liquidate(alice);
    }

    function test_partialLiquidation_restoresTarget() public {
        _liquidationSetup();
        _setPrice(ethFeed, 2600e8);
        // target 390 (halfway to initial 520): f = ceil(190 / 338) (margin.test.ts worked example)
        int256 f = PerpMath.liquidationFraction(200e18, 260e18, 520e18, 5200e18, PENALTY);
        assertEq(f, PerpMath.mulDivCeil(190e18, WAD, 338e18));
        vm.prank(keeper);
        uint256 fraction = ch.liquidate(alice);
        // forge-lint: disable-next-line(unsafe-typecast) -- bounded test values
        assertEq(fraction, uint256(f));
        int256 closed = PerpMath.mulDivCeil(2e18, f, WAD);
        assertEq(_pos(alice, ETH).size, 2e18 - closed);
        assertEq(_pos(keeper, ETH).size, closed);
        (int256 e, int256 im, int256 mm) = ch.accountHealth(alice);
        assertGe(e, mm + (im - mm) / 2, "halfway between maintenance and initial restored");
        assertFalse(ch.isLiquidatable(alice));
        int256 penalty = PerpMath.mulDivCeil(PerpMath.notional(closed, 2600e18), PENALTY, WAD);
        int256 reward = penalty / 2;
        assertEq(ch.collateral(keeper), 100_000e18 + reward);
        assertEq(ch.insuranceFund(), 12e18 + penalty - reward);
        address[] memory a = _accounts();
        _assertConserved(a);
    }

    function test_fullLiquidation_badDebtCoveredByInsurance() public {
        _liquidationSetup();
        usd.mint(address(this), 1000e18);
        usd.approve(address(ch), 1000e18);
        ch.fundInsurance(1000e18);
        _setPrice(ethFeed, 2400e8); // loss 1200 > 1000 collateral: bankrupt
        vm.prank(keeper);
        uint256 fraction = ch.liquidate(alice);
        assertEq(fraction, 1e18);
        assertEq(_pos(alice, ETH).size, 0);
        assertEq(_pos(keeper, ETH).size, 2e18);
        assertEq(_pos(keeper, ETH).openNotional, 4800e18);
        assertEq(ch.collateral(alice), 0);
        assertEq(ch.badDebtCovered(), 200e18);
        assertEq(ch.badDebtUncovered(), 0);
        // The bankrupt account pays no penalty; the fund pays the liquidator its share of the
        // penalty on the closed notional (1% of 4,800, half of it) and the 200 of bad debt.
        assertEq(ch.collateral(keeper), 100_000e18 + 24e18);
        assertEq(ch.insuranceFund(), 1000e18 + 12e18 - 24e18 - 200e18);
        _assertConserved(_accounts());
    }

    function test_badDebtBeyondInsurance_isRecordedUncovered() public {
        _liquidationSetup();
        _setPrice(ethFeed, 2400e8);
        vm.prank(keeper);
        ch.liquidate(alice);
        // The fund's 12 of fees pays the liquidator's reward (it would be 24, the fund holds 12),
        // so none is left for the 200 of bad debt.
        assertEq(ch.collateral(keeper), 100_000e18 + 12e18);
        assertEq(ch.badDebtCovered(), 0);
        assertEq(ch.badDebtUncovered(), 200e18);
        assertEq(ch.insuranceFund(), -200e18);
        _assertConserved(_accounts());
    }

    function test_liquidatorMustMeetInitialMargin() public {
        _liquidationSetup();
        _setPrice(ethFeed, 2600e8);
        _deposit(carol, 1e18);
        vm.prank(carol);
        vm.expectPartialRevert(ClearingHouseBase.InsufficientMargin.selector);
        ch.liquidate(alice);
    }

    // ---------------------------------------------------------------- auto-deleveraging

    function _adlSetup(uint256 carolPrice) internal {
        _deposit(alice, 1006e18);
        _deposit(bob, 10_000e18);
        _deposit(carol, 10_000e18);
        _trade(ETH, 3000e18, alice, bob, 1e18);
        _trade(ETH, carolPrice, alice, carol, 1e18);
    }

    function test_adl_notNeededWhileSolventOrInsured() public {
        _adlSetup(3000e18);
        address[] memory cps = new address[](2);
        (cps[0], cps[1]) = (bob, carol);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.AdlNotNeeded.selector, alice, int256(1000e18), int256(12e18)));
        ch.autoDeleverage(alice, cps);
        // bankrupt by 200, but the insurance fund can pay it: liquidation, not ADL
        usd.mint(address(this), 1000e18);
        usd.approve(address(ch), 1000e18);
        ch.fundInsurance(1000e18);
        _setPrice(ethFeed, 2400e8);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.AdlNotNeeded.selector, alice, int256(-200e18), int256(1012e18)));
        ch.autoDeleverage(alice, cps);
    }

    function test_adl_closesAgainstProfitableOppositePositions_chargesBeyondInsurance() public {
        _adlSetup(3000e18);
        _deposit(keeper, 10_000e18);
        _trade(ETH, 3000e18, keeper, bob, 1e18); // keeper long: same side as alice, must be skipped
        _setPrice(ethFeed, 2400e8); // alice: 1,000 - 1,200 = -200; insurance 18 (fees)
        address[] memory cps = new address[](3);
        (cps[0], cps[1], cps[2]) = (keeper, carol, bob);
        // carol (short 1, +600 on 2,400: score 0.25) ranks before bob (short 2, +1,200: score 0.25) - equal is fine
        ch.autoDeleverage(alice, cps);
        assertEq(ch.accountMarkets(alice).length, 0);
        assertEq(ch.collateral(alice), 0);
        assertEq(_pos(carol, ETH).size, 0, "carol took 1");
        assertEq(_pos(bob, ETH).size, -1e18, "bob took the other 1 of his 2");
        assertEq(_pos(keeper, ETH).size, 1e18, "same-side keeper untouched");
        // loss 200: insurance pays its 18, the 182 left is split by notional taken (1:1), capped by profit
        assertEq(ch.insuranceFund(), 0);
        assertEq(ch.badDebtCovered(), 18e18);
        assertEq(ch.badDebtSocialised(), 182e18);
        assertEq(ch.badDebtUncovered(), 0);
        int256 half = int256(91e18);
        assertEq(ch.collateral(carol), 10_000e18 - 3e18 + 600e18 - half);
        (,, uint256 oi,) = ch.marketState(ETH);
        assertEq(oi, 1e18);
        _assertConserved(_accounts());
    }

    function test_adl_needsEnoughCounterparties() public {
        _adlSetup(3000e18);
        _setPrice(ethFeed, 2400e8);
        address[] memory cps = new address[](1);
        cps[0] = bob;
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.AdlInsufficientCounterparties.selector, ETH));
        ch.autoDeleverage(alice, cps);
    }

    function test_adl_mostProfitableFirst() public {
        _adlSetup(3100e18); // carol shorted higher: more profitable per notional than bob
        _setPrice(ethFeed, 2400e8);
        address[] memory cps = new address[](2);
        (cps[0], cps[1]) = (bob, carol);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.AdlNotRanked.selector, ETH, carol));
        ch.autoDeleverage(alice, cps);
        (cps[0], cps[1]) = (carol, bob);
        ch.autoDeleverage(alice, cps);
        assertEq(ch.badDebtUncovered(), 0);
        _assertConserved(_accounts());
    }
}
