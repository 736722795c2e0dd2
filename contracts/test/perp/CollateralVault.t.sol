// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {console2} from "forge-std/Test.sol";
import {ClearingHouse, ClearingHouseBase} from "../../src/perp/ClearingHouse.sol";
import {ICollateralVault} from "../../src/interfaces/ICollateralVault.sol";
import {CollateralVault} from "../../src/perp/CollateralVault.sol";
import {DevnetPriceFeed} from "../../src/perp/DevnetPriceFeed.sol";
import {OracleAdapter} from "../../src/perp/OracleAdapter.sol";
import {PerpMath} from "../../src/perp/PerpMath.sol";
import {MintableERC20} from "../utils/Tokens.sol";
import {CollateralTestBase} from "./CollateralTestBase.sol";

contract CollateralVaultTest is CollateralTestBase {
    function _accounts() internal view returns (address[] memory a) {
        a = new address[](4);
        (a[0], a[1], a[2], a[3]) = (alice, bob, carol, keeper);
    }

    function _fundInsurance(uint256 amount) internal {
        usd.mint(address(this), amount);
        usd.approve(address(ch), amount);
        ch.fundInsurance(amount);
    }

    // ---------------------------------------------------------------- valuation

    function test_equity_addsHaircutValueOfEveryToken() public {
        _deposit(alice, 1000e18);
        _depositToken(weth, alice, 2e18); // 2 * 3,000 * 0.9 = 5,400
        _depositToken(wbtc, alice, 0.01e8); // 0.01 * 60,000 * 0.8 = 480
        assertEq(vault.value(alice, true), 5880e18);
        (int256 equity, int256 initial, int256 maintenance) = ch.accountHealth(alice);
        assertEq(equity, 6880e18);
        assertEq(initial, 0);
        assertEq(maintenance, 0);
        assertEq(vault.accountTokens(alice).length, 2);
        (uint256 price, bool fresh) = vault.collateralPrice(address(wbtc));
        assertEq(price, 60_000e18);
        assertTrue(fresh);
    }

    function test_valuation_roundsDown() public pure {
        // haircut price floor(3,000.000000000000000001 * 0.9) and value floor(3 wei * hp / 1e18)
        assertEq(PerpMath.haircutPrice(3000e18 + 1, 0.1e18), 2700e18);
        assertEq(PerpMath.collateralValue(3, 3000e18 + 1, 18, 0.1e18), 8100);
        assertEq(PerpMath.collateralValue(1, 60_000e18, 8, 0.2e18), 480e12); // 1 sat
        assertEq(PerpMath.collateralValue(1, 1, 18, 0), 0);
        assertEq(PerpMath.collateralForValue(8100, 2700e18, 18), 3);
        assertEq(PerpMath.collateralForValue(8101, 2700e18, 18), 4);
    }

    // ---------------------------------------------------------------- deposits and withdrawals

    function test_depositAndWithdraw_extraCollateral() public {
        _depositToken(weth, alice, 2e18);
        vm.prank(alice);
        vault.withdrawCollateral(address(weth), 0.5e18, carol);
        assertEq(vault.balanceOf(alice, address(weth)), 1.5e18);
        assertEq(weth.balanceOf(carol), 0.5e18);
        (,, uint256 total) = _state(address(weth));
        assertEq(total, 1.5e18);
        vm.prank(alice);
        vault.withdrawCollateral(address(weth), 1.5e18, alice);
        assertEq(vault.accountTokens(alice).length, 0, "a zero balance leaves the account's list");
        _assertTokenConserved(weth, _accounts());
    }

    function _state(address token) internal view returns (uint8 decimals, bool listed, uint256 total) {
        CollateralVault.Collateral memory c = vault.collateralInfo(token);
        return (c.decimals, c.listed, c.totalDeposits);
    }

    function test_deposit_unlisted_reverts() public {
        MintableERC20 other = new MintableERC20("X", "X", 18);
        vm.expectRevert(abi.encodeWithSelector(CollateralVault.CollateralNotListed.selector, address(other)));
        vault.depositCollateral(address(other), 1);
    }

    function test_deposit_zero_reverts() public {
        vm.expectRevert(CollateralVault.ZeroAmount.selector);
        vault.depositCollateral(address(weth), 0);
    }

    function test_deposit_tooLarge_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(CollateralVault.AmountTooLarge.selector, uint256(1e36 + 1)));
        vault.depositCollateral(address(weth), 1e36 + 1);
    }

    function test_deposit_aboveCap_reverts() public {
        _depositToken(weth, alice, 600e18);
        _depositToken(weth, bob, 400e18); // exactly the cap
        weth.mint(carol, 1);
        vm.startPrank(carol);
        weth.approve(address(vault), 1);
        vm.expectRevert(abi.encodeWithSelector(CollateralVault.DepositCapExceeded.selector, address(weth), 1000e18 + 1, 1000e18));
        vault.depositCollateral(address(weth), 1);
        vm.stopPrank();
    }

    function test_withdraw_moreThanBalance_reverts() public {
        _depositToken(weth, alice, 1e18);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(CollateralVault.InsufficientCollateral.selector, address(weth), 1e18, 1e18 + 1));
        vault.withdrawCollateral(address(weth), 1e18 + 1, alice);
    }

    function test_withdraw_zero_reverts() public {
        vm.prank(alice);
        vm.expectRevert(CollateralVault.ZeroAmount.selector);
        vault.withdrawCollateral(address(weth), 0, alice);
    }

    /// Alice backs 2 ETH long (IM 600, fee 6 from her stablecoin, which goes to -6) with 1 WETH (2,700).
    function _wethBackedLong() internal {
        _depositToken(weth, alice, 1e18);
        _deposit(bob, 100_000e18);
        _trade(ETH, 3000e18, alice, bob, 2e18);
        assertEq(ch.collateral(alice), -6e18, "the fee is paid in the stablecoin, which may go negative");
    }

    function test_tradeBackedByExtraCollateral_withdrawBelowInitialMargin_reverts() public {
        _wethBackedLong();
        vm.startPrank(alice);
        // 0.2 WETH left = 540: equity 534 < 600
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.InsufficientMargin.selector, alice, int256(534e18), int256(600e18)));
        vault.withdrawCollateral(address(weth), 0.8e18, alice);
        vault.withdrawCollateral(address(weth), 0.7e18, alice); // 0.3 WETH left = 810: equity 804 >= 600
        vm.stopPrank();
        (int256 equity, int256 initial,) = ch.accountHealth(alice);
        assertEq(equity, 804e18);
        assertEq(initial, 600e18);
    }

    function test_stablecoinWithdrawal_backedByExtraCollateral() public {
        _deposit(bob, 10_000e18);
        _depositToken(weth, alice, 1e18); // 2,700
        vm.startPrank(alice);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.InsufficientMargin.selector, alice, int256(-1), int256(0)));
        ch.withdraw(2700e18 + 1, alice);
        ch.withdraw(2700e18, alice);
        vm.stopPrank();
        assertEq(ch.collateral(alice), -2700e18);
        _assertConserved(_accounts());
    }

    // ---------------------------------------------------------------- stale feeds

    function _staleWeth() internal {
        vm.warp(block.timestamp + HEARTBEAT + 1);
        _setPrice(ethFeed, 3000e8);
        _setPrice(btcFeed, 60_000e8);
    }

    function test_withdraw_staleFeed_withPositions_reverts() public {
        _wethBackedLong();
        uint256 updatedAt = block.timestamp;
        _staleWeth();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(OracleAdapter.OracleStale.selector, address(wethFeed), updatedAt));
        vault.withdrawCollateral(address(weth), 0.1e18, alice);
    }

    function test_withdraw_staleFeed_nothingToPrice_passes() public {
        _depositToken(weth, alice, 1e18);
        _staleWeth();
        vm.prank(alice);
        vault.withdrawCollateral(address(weth), 1e18, alice);
        assertEq(weth.balanceOf(alice), 1e18);
    }

    function test_batchCheck_valuesStaleCollateralAtZero() public {
        _wethBackedLong();
        _staleWeth();
        (int256 equity,,) = ch.accountHealth(alice);
        assertEq(equity, -6e18, "stale WETH counts zero in loose reads");
        assertTrue(ch.isLiquidatable(alice));
        // Any batch touching alice must leave her at initial margin, which the WETH no longer gives.
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.InsufficientMargin.selector, alice, int256(-6.3e18), int256(630e18)));
        _trade(ETH, 3000e18, alice, bob, 0.1e18);
        // A fresh round restores it.
        _setPrice(wethFeed, 3000e8);
        _trade(ETH, 3000e18, alice, bob, 0.1e18);
    }

    /// Audit finding 7: were a lagging collateral feed to revert the whole liquidation
    /// (`OracleStale`), an account could shield itself by holding a token whose feed lags. The
    /// stale WETH counts zero instead: alice (equity -6) is closed out, the WETH is not sold (it
    /// cannot be priced) and stays hers, and the fund's 12 of fees goes to the liquidator's
    /// reward, so the 6 of bad debt is left uncovered.
    function test_liquidation_staleCollateralFeed_valuesItAtZero() public {
        _wethBackedLong();
        _deposit(keeper, 100_000e18);
        _staleWeth();
        vm.prank(keeper);
        uint256 fraction = ch.liquidate(alice);
        assertEq(fraction, 1e18);
        assertEq(_pos(alice, ETH).size, 0);
        assertEq(_pos(keeper, ETH).size, 2e18);
        assertEq(ch.collateral(alice), 0);
        assertEq(vault.balanceOf(alice, address(weth)), 1e18, "stale collateral is not seized");
        assertEq(ch.collateral(keeper), 100_000e18 + 12e18);
        assertEq(ch.badDebtUncovered(), 6e18);
        _assertConserved(_accounts());
        _assertTokenConserved(weth, _accounts());
    }

    // ---------------------------------------------------------------- liquidation

    /// 1 WETH (2,700) backs 8 ETH long at 3,000 (IM 2,400, fee 24). Both prices fall to 2,600:
    /// uPnL -3,200, WETH 2,340, equity -884. Full liquidation: the stablecoin balance is -3,224 after
    /// the close, below the penalty 208, so all the WETH is sold to the insurance fund for 2,340;
    /// -884 remains, the penalty is waived, and the fund pays the 884 of bad debt and the liquidator's
    /// 104 (its half of the penalty the account could not pay).
    function test_fullLiquidation_seizesExtraCollateralBeforeInsurance() public {
        _depositToken(weth, alice, 1e18);
        _deposit(bob, 100_000e18);
        _deposit(keeper, 100_000e18);
        _fundInsurance(10_000e18);
        _trade(ETH, 3000e18, alice, bob, 8e18);
        _setPrice(ethFeed, 2600e8);
        _setPrice(wethFeed, 2600e8);
        (int256 equity,,) = ch.accountHealth(alice);
        assertEq(equity, -884e18);
        vm.expectEmit(true, true, false, true, address(vault));
        emit CollateralVault.CollateralSeized(alice, address(weth), 1e18, 2340e18);
        vm.expectEmit(true, true, false, true, address(ch));
        emit ClearingHouseBase.Liquidated(alice, keeper, 1e18, 0, 104e18, 884e18);
        vm.prank(keeper);
        uint256 g = gasleft();
        ch.liquidate(alice);
        console2.log("gas: liquidate, 1 market + WETH seized", g - gasleft());
        assertEq(ch.collateral(alice), 0);
        assertEq(vault.balanceOf(alice, address(weth)), 0);
        assertEq(vault.accountTokens(alice).length, 0);
        assertEq(vault.insuranceCollateral(address(weth)), 1e18);
        assertEq(ch.badDebtCovered(), 884e18);
        assertEq(ch.badDebtUncovered(), 0);
        // The fund also pays the liquidator's share of the penalty the bankrupt account cannot (104).
        assertEq(ch.collateral(keeper), 100_000e18 + 104e18);
        assertEq(ch.insuranceFund(), 10_000e18 + 48e18 - 2340e18 - 104e18 - 884e18);
        _assertConserved(_accounts());
        _assertTokenConserved(weth, _accounts());
        (,, uint256 total) = _state(address(weth));
        assertEq(total, 0);
    }

    /// A partial liquidation leaves the extra collateral alone (only the stablecoin pays the penalty).
    function test_partialLiquidation_keepsExtraCollateral() public {
        _deposit(alice, 1000e18);
        _depositToken(weth, alice, 0.5e18); // 1,350
        _deposit(bob, 100_000e18);
        _deposit(keeper, 100_000e18);
        _trade(ETH, 3000e18, alice, bob, 6e18); // notional 18,000, IM 1,800, fee 18: equity 2,332
        _setPrice(ethFeed, 2700e8); // uPnL -1,800: equity 532 < maintenance 810
        vm.prank(keeper);
        uint256 f = ch.liquidate(alice);
        assertLt(f, 1e18);
        assertEq(vault.balanceOf(alice, address(weth)), 0.5e18);
        assertEq(vault.insuranceCollateral(address(weth)), 0);
        (int256 equity,, int256 maintenance) = ch.accountHealth(alice);
        assertGe(equity, maintenance);
        _assertConserved(_accounts());
    }

    function test_noPositions_borrowedStablecoin_liquidatedBySeizure() public {
        _deposit(bob, 10_000e18);
        _deposit(keeper, 10_000e18);
        _fundInsurance(10_000e18);
        _depositToken(weth, alice, 1e18);
        vm.prank(alice);
        ch.withdraw(2000e18, alice); // equity 700
        assertFalse(ch.isLiquidatable(alice));
        _setPrice(wethFeed, 2000e8); // WETH 1,800: equity -200
        assertTrue(ch.isLiquidatable(alice));
        vm.prank(keeper);
        ch.liquidate(alice);
        assertEq(ch.collateral(alice), 0);
        assertEq(vault.insuranceCollateral(address(weth)), 1e18);
        assertEq(ch.badDebtCovered(), 200e18);
        assertEq(ch.insuranceFund(), 10_000e18 - 1800e18 - 200e18);
        _assertConserved(_accounts());
        _assertTokenConserved(weth, _accounts());
    }

    /// ADL: alice (1,000 stablecoin + 0.1 WETH = 270) is long 2 ETH at 3,000; ETH falls to 2,200:
    /// equity 994 + 270 - 1,600 = -336, beyond the insurance fund's 12 of fees. Her position closes
    /// against bob's short, her WETH is sold to the fund for 270 first, and the remaining 336 is
    /// charged to bob (the fund's stablecoin has nothing left: it is -258 against 0.1 WETH held).
    function test_adl_seizesExtraCollateralFirst() public {
        _deposit(alice, 1000e18);
        _depositToken(weth, alice, 0.1e18);
        _deposit(bob, 10_000e18);
        _trade(ETH, 3000e18, alice, bob, 2e18);
        _setPrice(ethFeed, 2200e8);
        assertEq(_equity(alice), -336e18);
        address[] memory cps = new address[](1);
        cps[0] = bob;
        ch.autoDeleverage(alice, cps);
        assertEq(ch.collateral(alice), 0);
        assertEq(vault.balanceOf(alice, address(weth)), 0);
        assertEq(vault.insuranceCollateral(address(weth)), 0.1e18);
        assertEq(ch.insuranceFund(), 12e18 - 270e18);
        assertEq(ch.badDebtSocialised(), 336e18);
        assertEq(ch.badDebtCovered(), 0);
        assertEq(ch.collateral(bob), 10_000e18 - 6e18 + 1600e18 - 336e18);
        _assertConserved(_accounts());
        _assertTokenConserved(weth, _accounts());
    }

    function test_seize_onlyClearingHouse() public {
        vm.expectRevert(abi.encodeWithSelector(CollateralVault.OnlyClearingHouse.selector, address(this)));
        vault.seize(alice, 1);
    }

    function test_withdrawInsuranceCollateral_onlyOwner() public {
        test_noPositions_borrowedStablecoin_liquidatedBySeizure();
        vm.expectRevert(abi.encodeWithSelector(CollateralVault.NotOwner.selector, address(this)));
        vault.withdrawInsuranceCollateral(address(weth), 1e18, address(this));
        vm.prank(governance);
        vault.withdrawInsuranceCollateral(address(weth), 1e18, governance);
        assertEq(weth.balanceOf(governance), 1e18);
        assertEq(vault.insuranceCollateral(address(weth)), 0);
    }

    // ---------------------------------------------------------------- governance

    function test_setCollateral_onlyOwner() public {
        vm.expectRevert(abi.encodeWithSelector(CollateralVault.NotOwner.selector, address(this)));
        vault.setCollateral(address(weth), _collateralConfig(wethFeed, 0.01e18, 1));
    }

    function test_setCollateral_invalid_reverts() public {
        vm.startPrank(governance);
        vm.expectRevert(abi.encodeWithSelector(CollateralVault.InvalidCollateralConfig.selector, address(weth)));
        vault.setCollateral(address(weth), _collateralConfig(wethFeed, 1e18, 1));
        vm.expectRevert(abi.encodeWithSelector(CollateralVault.InvalidCollateralConfig.selector, address(usd)));
        vault.setCollateral(address(usd), _collateralConfig(wethFeed, 0.01e18, 1));
        vm.expectRevert(abi.encodeWithSelector(CollateralVault.InvalidCollateralConfig.selector, address(weth)));
        vault.setCollateral(address(weth), _collateralConfig(DevnetPriceFeed(address(0)), 0, 1));
        vm.expectRevert(abi.encodeWithSelector(CollateralVault.InvalidCollateralConfig.selector, address(weth)));
        vault.setCollateral(address(weth), _collateralConfig(wethFeed, 0, 1e36 + 1));
        CollateralVault.CollateralConfig memory c = _collateralConfig(wethFeed, 0.01e18, 1);
        c.heartbeat = 0;
        vm.expectRevert(abi.encodeWithSelector(CollateralVault.InvalidCollateralConfig.selector, address(weth)));
        vault.setCollateral(address(weth), c);
        vm.expectRevert(abi.encodeWithSelector(CollateralVault.InvalidCollateralConfig.selector, address(ch)));
        vault.setCollateral(address(ch), _collateralConfig(wethFeed, 0.01e18, 1)); // no decimals()
        vm.stopPrank();
    }

    function test_setCollateral_atMostFourTokens() public {
        vm.startPrank(governance);
        vault.setCollateral(address(new MintableERC20("A", "A", 6)), _collateralConfig(wethFeed, 0.01e18, 1));
        vault.setCollateral(address(new MintableERC20("B", "B", 6)), _collateralConfig(wethFeed, 0.01e18, 1));
        address fifth = address(new MintableERC20("C", "C", 6));
        vm.expectRevert(CollateralVault.TooManyCollateralTokens.selector);
        vault.setCollateral(fifth, _collateralConfig(wethFeed, 0.01e18, 1));
        vm.stopPrank();
        assertEq(vault.tokenCount(), 4);
    }

    function test_setCollateral_reconfigure_appliesAtOnce() public {
        _depositToken(weth, alice, 1e18);
        vm.prank(governance);
        vault.setCollateral(address(weth), _collateralConfig(wethFeed, 0.5e18, 1e18));
        assertEq(_equity(alice), 1500e18);
        assertEq(vault.tokenCount(), 2, "reconfiguring does not list twice");
    }

    function test_setCollateralVault_onceAndOnlyOwner() public {
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.NotOwner.selector, address(this)));
        ch.setCollateralVault(ICollateralVault(address(1)));
        vm.prank(governance);
        vm.expectRevert(ClearingHouseBase.CollateralVaultAlreadySet.selector);
        ch.setCollateralVault(ICollateralVault(address(1)));
    }

    // ---------------------------------------------------------------- gas

    function test_gas_depositWithdraw() public {
        weth.mint(alice, 2e18);
        vm.startPrank(alice);
        weth.approve(address(vault), type(uint256).max);
        uint256 g = gasleft();
        vault.depositCollateral(address(weth), 2e18);
        console2.log("gas: first WETH deposit", g - gasleft());
        vm.stopPrank();
        _deposit(bob, 100_000e18);
        _trade(ETH, 3000e18, alice, bob, 2e18);
        vm.prank(alice);
        g = gasleft();
        vault.withdrawCollateral(address(weth), 0.5e18, alice);
        console2.log("gas: WETH withdrawal with 1 position (strict margin check)", g - gasleft());
    }
}
