// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ClearingHouse, ClearingHouseBase} from "../../src/perp/ClearingHouse.sol";
import {AutoDeleverageModule} from "../../src/perp/AutoDeleverageModule.sol";
import {CollateralVault} from "../../src/perp/CollateralVault.sol";
import {MintableERC20} from "../utils/Tokens.sol";
import {CollateralTestBase} from "./CollateralTestBase.sol";

/// @notice Regression tests for the clearing-house findings of the December 2026 audit (numbers as
/// in the contracts README's trust model). Findings 1, 2 and 5 (interactions reaching privileged
/// contracts, bond theft, approval aliases) are in `test/adversarial/`.
contract AuditFindingsTest is CollateralTestBase {
    int256 internal constant CAP_RATE = int256(3000e18) * 0.01e18 / 1e18 / 8 hours; // 1% of 3,000 per 8 h

    function _rate(uint32 id) internal view returns (int256 rate) {
        (, rate,,) = ch.marketState(id);
    }

    function _refreshFeeds() internal {
        _setPrice(ethFeed, 3000e8);
        _setPrice(btcFeed, 60_000e8);
        _setPrice(wethFeed, 3000e8);
        _setPrice(wbtcFeed, 60_000e8);
    }

    // ------------------------------------------------------------ finding 3: funding a solver sets

    /// A position leg may name a market at a price of the solver's choosing with no fills. Such a
    /// batch says nothing about the market's price, so funding must stay as it was.
    function test_finding3_marketWithoutFills_leavesFundingAlone() public {
        _deposit(alice, 10_000e18);
        _deposit(bob, 10_000e18);
        _trade(ETH, 3000e18, alice, bob, 1e18);
        assertEq(_rate(ETH), 0);
        (uint32[] memory ids, uint256[] memory prices) = _one(ETH, 3150e18);
        ch.settlePositions(ids, prices, new ClearingHouseBase.Fill[](0));
        assertEq(_rate(ETH), 0, "no fills, no premium");
    }

    /// A solver's own small trade at the edge of the deviation band (5%, wider than the 1% funding
    /// cap) must not set funding to the cap. Funding follows a premium weighted by the time each
    /// batch stands for and by its share of the open interest: two seconds after an honest batch at
    /// the oracle price, a 0.1 ETH self-trade in a 10 ETH market moves it by a negligible amount.
    function test_finding3_selfTradeAtBandEdge_barelyMovesFunding() public {
        _deposit(alice, 100_000e18);
        _deposit(bob, 100_000e18);
        _deposit(carol, 10_000e18);
        _deposit(keeper, 10_000e18);
        vm.warp(block.timestamp + 8 hours);
        _refreshFeeds();
        _trade(ETH, 3000e18, alice, bob, 10e18);
        assertEq(_rate(ETH), 0);
        vm.warp(block.timestamp + 2);
        _trade(ETH, 3150e18, carol, keeper, 0.1e18);
        int256 rate = _rate(ETH);
        assertGt(rate, 0, "the premium does move, a little");
        // weight = 2 s / 8 h * 0.1 / (10.1 / 10): about 7e-6 of the way to the cap.
        assertLt(rate, CAP_RATE / 100_000, "far below the cap the old rule set at once");
    }

    /// Honest, sustained trading above the oracle still moves funding to the premium: a batch that
    /// stands for a whole funding period and trades the open interest sets it fully.
    function test_finding3_fullWeightBatch_setsPremium() public {
        _deposit(alice, 10_000e18);
        _deposit(bob, 10_000e18);
        vm.warp(block.timestamp + 8 hours);
        _refreshFeeds();
        _trade(ETH, 3015e18, alice, bob, 1e18); // 0.5% above the oracle
        assertEq(_rate(ETH), int256(15e18) / 8 hours);
    }

    // ------------------------------------------------------------ finding 4: stale profit backs risk

    /// Alice's ETH long is 1,000 in profit when the ETH feed goes stale. Valued at the last price,
    /// that unverifiable profit would back a new BTC position (initial margin 600 on top of ETH's
    /// 400) on 400 of deposit. A stale market's PnL counts at most zero, so the BTC fill is refused.
    function test_finding4_stalePnl_doesNotBackNewRisk() public {
        _deposit(alice, 400e18);
        _deposit(bob, 100_000e18);
        _trade(ETH, 3000e18, alice, bob, 1e18);
        _setPrice(ethFeed, 4000e8);
        vm.warp(block.timestamp + HEARTBEAT + 1);
        _setPrice(btcFeed, 60_000e8); // BTC stays fresh, ETH does not
        (int256 equity,,) = ch.accountHealth(alice);
        assertEq(equity, 400e18 - 3e18, "the stale ETH profit counts zero");
        (uint32[] memory ids, uint256[] memory prices) = _one(BTC, 60_000e18);
        ClearingHouseBase.Fill[] memory fills = new ClearingHouseBase.Fill[](2);
        fills[0] = _fill(alice, 0.1e18, 0, false);
        fills[1] = _fill(bob, -0.1e18, 0, false);
        vm.expectPartialRevert(ClearingHouseBase.InsufficientMargin.selector);
        ch.settlePositions(ids, prices, fills);
    }

    /// The same account, once below maintenance on fresh markets, is liquidatable even though one
    /// of its markets is stale (the old code reverted `OracleStale` for as long as the feed lagged):
    /// the fresh BTC position is closed, the stale ETH position stays.
    function test_finding4_staleMarket_doesNotShieldFromLiquidation() public {
        _deposit(alice, 1000e18);
        _deposit(bob, 100_000e18);
        _deposit(keeper, 100_000e18);
        _trade(ETH, 3000e18, alice, bob, 1e18);
        _trade(BTC, 60_000e18, alice, bob, 0.1e18);
        vm.warp(block.timestamp + HEARTBEAT + 1);
        _setPrice(btcFeed, 52_000e8); // BTC fresh and down 800; ETH stale
        assertTrue(ch.isLiquidatable(alice));
        vm.prank(keeper);
        ch.liquidate(alice);
        assertEq(_pos(alice, ETH).size, 1e18, "the stale market is not closed");
        assertLt(_pos(alice, BTC).size, 0.1e18, "the fresh market is");
        assertEq(_pos(keeper, ETH).size, 0);
    }

    // ------------------------------------------------------------ finding 6: ADL victims

    /// Whoever calls `autoDeleverage` lists the counterparties, so a caller chosen by nobody could
    /// leave out the most profitable traders and pick its victims. Only the governance-appointed
    /// deleverager may call it, and the module refuses a direct call.
    function test_finding6_adl_onlyTheDeleverager() public {
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.NotDeleverager.selector, carol));
        ch.autoDeleverage(alice, new address[](0));
        AutoDeleverageModule module = AutoDeleverageModule(ch.adlModule());
        vm.expectRevert(AutoDeleverageModule.OnlyDelegateCall.selector);
        module.autoDeleverage(alice, new address[](0));
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.NotOwner.selector, address(this)));
        ch.setDeleverager(carol);
    }

    // ------------------------------------------------------------ finding 7: lagging feeds, third parties

    /// `depositCollateral` credits the caller only, so a third party cannot attach a token (say one
    /// whose feed lags) to someone else's account.
    function test_finding7_depositCollateral_creditsOnlyTheCaller() public {
        _depositToken(weth, carol, 1e18);
        assertEq(vault.balanceOf(carol, address(weth)), 1e18);
        assertEq(vault.accountTokens(alice).length, 0);
    }

    // ------------------------------------------------------------ finding 8: liquidating the bankrupt

    /// A bankrupt account cannot pay the penalty; were the liquidator paid only from the account,
    /// nobody would have a reason to close the accounts that cost the fund most. The fund pays the
    /// liquidator's share of the penalty, as far as the fund reaches.
    function test_finding8_bankruptLiquidation_paysTheLiquidator() public {
        _deposit(alice, 1006e18);
        _deposit(bob, 100_000e18);
        _deposit(keeper, 100_000e18);
        usd.mint(address(this), 1000e18);
        usd.approve(address(ch), 1000e18);
        ch.fundInsurance(1000e18);
        _trade(ETH, 3000e18, alice, bob, 2e18);
        _setPrice(ethFeed, 2400e8); // loss 1,200 > 1,000 of collateral
        vm.prank(keeper);
        ch.liquidate(alice);
        // penalty 1% of 4,800 closed = 48, liquidator's half = 24, paid by the fund
        assertEq(ch.collateral(keeper), 100_000e18 + 24e18);
    }

    // ------------------------------------------------------------ governance bounds

    function test_bounds_marketConfig() public {
        ClearingHouseBase.MarketConfig[6] memory bad;
        for (uint256 i; i < 6; ++i) {
            bad[i] = _config(ethFeed);
        }
        bad[0].heartbeat = 30; // below a minute
        bad[1].fundingPeriod = 10 minutes; // below an hour
        bad[2].maintenanceMarginFraction = 0.001e18; // below 0.5%
        bad[3].feeFraction = 0.02e18; // above 1%
        bad[4].maxFundingRate = 0.06e18; // above the 5% band
        bad[5].maxPriceDeviation = 0.06e18; // above half the 10% initial margin
        vm.startPrank(governance);
        for (uint256 i; i < 6; ++i) {
            vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.InvalidMarketConfig.selector, uint32(3)));
            ch.listMarket(3, bad[i]);
        }
        ch.listMarket(3, _config(ethFeed));
        vm.stopPrank();
    }

    function test_bounds_collateralConfig() public {
        MintableERC20 token = new MintableERC20("T", "T", 18);
        vm.startPrank(governance);
        vm.expectRevert(abi.encodeWithSelector(CollateralVault.InvalidCollateralConfig.selector, address(token)));
        vault.setCollateral(address(token), _collateralConfig(wethFeed, 0, 1e18)); // no haircut
        vm.expectRevert(abi.encodeWithSelector(CollateralVault.InvalidCollateralConfig.selector, address(token)));
        vault.setCollateral(address(token), _collateralConfig(wethFeed, 0.95e18, 1e18)); // above 90%
        vault.setCollateral(address(token), _collateralConfig(wethFeed, 0.05e18, 1e18));
        vm.stopPrank();
    }

    function test_bounds_liquidationPenalty() public {
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.InvalidMarketConfig.selector, uint32(0)));
        new ClearingHouse(governance, address(this), address(usd), 18, 0.11e18, 0.5e18);
    }
}
