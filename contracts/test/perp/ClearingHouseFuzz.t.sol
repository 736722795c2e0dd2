// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ClearingHouse, ClearingHouseBase} from "../../src/perp/ClearingHouse.sol";
import {PerpTestBase} from "./PerpTestBase.sol";

contract ClearingHouseFuzzTest is PerpTestBase {
    function _everyone() internal view returns (address[] memory a) {
        a = new address[](4);
        (a[0], a[1], a[2], a[3]) = (alice, bob, carol, keeper);
    }

    /// A liquidation either restores maintenance (partial) or closes everything; a bankrupt account
    /// is reset to zero with the insurance fund paying; money is conserved throughout.
    function testFuzz_liquidation_restoresMaintenanceOrClosesAll(
        uint256 collateralAmount,
        uint256 ethSize,
        uint256 btcSize,
        uint256 ethMoveBps,
        uint256 btcMoveBps,
        bool ethLong
    ) public {
        collateralAmount = bound(collateralAmount, 1_000e18, 100_000e18);
        _deposit(alice, collateralAmount);
        _deposit(bob, 1e30);
        _deposit(keeper, 1e30);
        // Leverage up to ~9.5x across the two markets, odd-wei sizes.
        uint256 budget = collateralAmount * 95 / 10; // notional budget in USD
        int256 e = int256(bound(ethSize, 1e15, budget * 1e18 / 2 / 3000e18)) + 7;
        int256 b = int256(bound(btcSize, 1e12, budget * 1e18 / 2 / 60_000e18)) + 3;
        if (ethLong) _trade(ETH, 3000e18, alice, bob, e);
        else _trade(ETH, 3000e18, bob, alice, e);
        _trade(BTC, 60_000e18, bob, alice, b); // short BTC
        // adverse moves up to 40%
        int256 em = int256(bound(ethMoveBps, 0, 4000));
        int256 bm = int256(bound(btcMoveBps, 0, 4000));
        _setPrice(ethFeed, ethLong ? 3000e8 * (10_000 - em) / 10_000 : 3000e8 * (10_000 + em) / 10_000);
        _setPrice(btcFeed, 60_000e8 * (10_000 + bm) / 10_000);
        if (!ch.isLiquidatable(alice)) {
            vm.prank(keeper);
            vm.expectPartialRevert(ClearingHouseBase.NotLiquidatable.selector);
            ch.liquidate(alice);
            return;
        }
        vm.prank(keeper);
        uint256 f = ch.liquidate(alice);
        (int256 equity,, int256 maintenance) = ch.accountHealth(alice);
        if (f < 1e18) {
            assertGe(equity, maintenance, "partial liquidation restores maintenance");
            assertFalse(ch.isLiquidatable(alice));
        } else {
            assertEq(ch.accountMarkets(alice).length, 0, "full liquidation closes every position");
            assertGe(ch.collateral(alice), 0, "no negative balance left behind");
        }
        _assertConserved(_everyone());
    }

    /// Withdrawals never take an account below initial margin, whatever the amount.
    function testFuzz_withdraw_neverBelowInitialMargin(uint256 size, uint256 amount, uint256 moveBps) public {
        _deposit(alice, 10_000e18);
        _deposit(bob, 1e30);
        int256 s = int256(bound(size, 1e15, 30e18));
        _trade(ETH, 3000e18, alice, bob, s);
        _setPrice(ethFeed, int256(3000e8 * bound(moveBps, 8_000, 12_000) / 10_000));
        amount = bound(amount, 1, 20_000e18);
        vm.prank(alice);
        try ch.withdraw(amount, alice) {
            (int256 equity, int256 initial,) = ch.accountHealth(alice);
            assertGe(equity, initial);
        } catch (bytes memory err) {
            // forge-lint: disable-next-line(unsafe-typecast) -- bounded test values
            assertEq(bytes4(err), ClearingHouseBase.InsufficientMargin.selector);
        }
    }

    /// A matched trade at any price and size moves money only between the two accounts, the
    /// insurance fund (fees) and the float, never out of thin air.
    function testFuzz_trade_conservesMoney(uint256 size, uint256 priceBps, uint256 closeBps) public {
        _deposit(alice, 1e30);
        _deposit(bob, 1e30);
        int256 s = int256(bound(size, 1, 1e24));
        uint256 open = 3000e18 * bound(priceBps, 9_510, 10_490) / 10_000 + 13;
        _trade(ETH, open, alice, bob, s);
        _assertConserved(_everyone());
        uint256 close = 3000e18 * bound(closeBps, 9_500, 10_500) / 10_000 + 7;
        _trade(ETH, close, bob, alice, s);
        _assertConserved(_everyone());
        // flat again: the float holds only rounding dust, which never favours the accounts
        assertGe(ch.pnlFloat(), 0);
        assertLe(ch.pnlFloat(), 4);
    }
}
