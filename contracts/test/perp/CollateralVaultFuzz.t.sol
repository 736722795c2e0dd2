// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ClearingHouse, ClearingHouseBase} from "../../src/perp/ClearingHouse.sol";
import {CollateralVault} from "../../src/perp/CollateralVault.sol";
import {PerpMath} from "../../src/perp/PerpMath.sol";
import {CollateralTestBase} from "./CollateralTestBase.sol";

contract CollateralVaultFuzzTest is CollateralTestBase {
    /// The value never exceeds amount * price * (1 - haircut) and is below it by less than the two
    /// floors can take (one base unit of value plus one unit of haircut price per whole token).
    function testFuzz_collateralValue_neverExceedsHaircutValue(uint256 amount, uint256 price, uint8 decimals, uint256 haircut)
        public
        pure
    {
        amount = bound(amount, 0, 1e27);
        price = bound(price, 1, 1e27);
        decimals = uint8(bound(decimals, 0, 18));
        haircut = bound(haircut, 0, 1e18 - 1);
        int256 v = PerpMath.collateralValue(amount, price, decimals, haircut);
        assertGe(v, 0);
        // forge-lint: disable-next-line(unsafe-typecast) -- v >= 0
        uint256 value = uint256(v);
        uint256 exact = amount * price * (1e18 - haircut); // * 10^-decimals * 1e-18
        uint256 scale = 10 ** decimals * 1e18;
        assertLe(value * scale, exact, "never above amount * price * (1 - haircut)");
        assertGt((value + 1) * scale + amount * 1e18, exact, "at most the floors below");
    }

    /// collateralForValue gives the smallest amount worth at least the value asked for.
    function testFuzz_collateralForValue_isMinimal(uint256 want, uint256 hp, uint8 decimals) public pure {
        hp = bound(hp, 1, 1e30);
        decimals = uint8(bound(decimals, 0, 18));
        want = bound(want, 1, 1e30);
        uint256 amount = PerpMath.collateralForValue(want, hp, decimals);
        // forge-lint: disable-next-line(unsafe-typecast) -- bounded
        assertGe(PerpMath.collateralValue(amount, hp, decimals, 0), int256(want));
        // forge-lint: disable-next-line(unsafe-typecast) -- bounded
        assertLt(PerpMath.collateralValue(amount - 1, hp, decimals, 0), int256(want));
    }

    /// Withdrawals of any collateral never leave an account with mixed collateral and positions
    /// below initial margin; a refused one reverts InsufficientMargin (or InsufficientCollateral).
    function testFuzz_withdraw_mixedCollateral_neverBelowInitialMargin(
        uint256 stable,
        uint256 wethAmount,
        uint256 wbtcAmount,
        uint256 size,
        uint256 ethMoveBps,
        uint256 wethMoveBps,
        uint8 which,
        uint256 amount
    ) public {
        stable = bound(stable, 0, 5_000e18);
        wethAmount = bound(wethAmount, 1e15, 5e18);
        wbtcAmount = bound(wbtcAmount, 0, 0.2e8);
        if (stable > 0) _deposit(alice, stable);
        _depositToken(weth, alice, wethAmount);
        if (wbtcAmount > 0) _depositToken(wbtc, alice, wbtcAmount);
        _deposit(bob, 1e30);
        (int256 equity0,,) = ch.accountHealth(alice);
        // up to ~8x leverage on what the collateral is worth, odd wei
        // forge-lint: disable-next-line(unsafe-typecast) -- equity0 > 0
        uint256 maxSize = uint256(equity0) * 8 / 3000;
        int256 s = int256(bound(size, 1e12, maxSize > 1e12 ? maxSize : 1e12)) + 7;
        try this.tradeExternal(s) {} catch {
            return; // not enough margin for that size: nothing to test
        }
        _setPrice(ethFeed, int256(3000e8 * bound(ethMoveBps, 9_000, 11_000) / 10_000));
        _setPrice(wethFeed, int256(3000e8 * bound(wethMoveBps, 9_000, 11_000) / 10_000));
        which = which % 3;
        address token = which == 0 ? address(usd) : which == 1 ? address(weth) : address(wbtc);
        uint256 cap = which == 0 ? 10_000e18 : which == 1 ? 6e18 : 0.3e8;
        amount = bound(amount, 1, cap);
        vm.prank(alice);
        bool ok;
        bytes memory err;
        if (which == 0) {
            try ch.withdraw(amount, alice) {
                ok = true;
            } catch (bytes memory e) {
                err = e;
            }
        } else {
            try vault.withdrawCollateral(token, amount, alice) {
                ok = true;
            } catch (bytes memory e) {
                err = e;
            }
        }
        if (ok) {
            (int256 equity, int256 initial,) = ch.accountHealth(alice);
            assertGe(equity, initial, "a withdrawal left the account below initial margin");
        } else {
            bytes4 sel = bytes4(err);
            assertTrue(
                sel == ClearingHouseBase.InsufficientMargin.selector || sel == CollateralVault.InsufficientCollateral.selector,
                "unexpected revert"
            );
        }
    }

    function tradeExternal(int256 s) external {
        require(msg.sender == address(this));
        _trade(ETH, 3000e18, alice, bob, s);
    }
}
