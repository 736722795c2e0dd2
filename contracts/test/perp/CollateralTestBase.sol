// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {CollateralVault} from "../../src/perp/CollateralVault.sol";
import {IClearingHouseMargin} from "../../src/interfaces/IClearingHouseMargin.sol";
import {ICollateralVault} from "../../src/interfaces/ICollateralVault.sol";
import {DevnetPriceFeed} from "../../src/perp/DevnetPriceFeed.sol";
import {MintableERC20} from "../utils/Tokens.sol";
import {PerpTestBase} from "./PerpTestBase.sol";

/// @notice PerpTestBase plus a CollateralVault with WETH (18 decimals, 10% haircut, feed 3,000 with
/// 8 decimals, cap 1,000 WETH) and WBTC (8 decimals, 20% haircut, feed 60,000, cap 10 WBTC).
abstract contract CollateralTestBase is PerpTestBase {
    CollateralVault internal vault;
    MintableERC20 internal weth;
    MintableERC20 internal wbtc;
    DevnetPriceFeed internal wethFeed;
    DevnetPriceFeed internal wbtcFeed;
    uint64 internal constant WETH_HAIRCUT = 0.1e18;
    uint64 internal constant WBTC_HAIRCUT = 0.2e18;

    function setUp() public virtual override {
        super.setUp();
        weth = new MintableERC20("Wrapped Ether", "WETH", 18);
        wbtc = new MintableERC20("Wrapped BTC", "WBTC", 8);
        wethFeed = new DevnetPriceFeed(feeder, 8, "WETH / USD", 3000e8);
        wbtcFeed = new DevnetPriceFeed(feeder, 8, "WBTC / USD", 60_000e8);
        vault = new CollateralVault(IClearingHouseMargin(address(ch)));
        vm.startPrank(governance);
        ch.setCollateralVault(ICollateralVault(address(vault)));
        vault.setCollateral(address(weth), _collateralConfig(wethFeed, WETH_HAIRCUT, 1000e18));
        vault.setCollateral(address(wbtc), _collateralConfig(wbtcFeed, WBTC_HAIRCUT, 10e8));
        vm.stopPrank();
    }

    function _collateralConfig(DevnetPriceFeed feed, uint64 haircut, uint256 cap)
        internal
        pure
        returns (CollateralVault.CollateralConfig memory c)
    {
        c.feed = feed;
        c.heartbeat = HEARTBEAT;
        c.haircut = haircut;
        c.depositCap = cap;
    }

    function _depositToken(MintableERC20 token, address account, uint256 amount) internal {
        token.mint(account, amount);
        vm.startPrank(account);
        token.approve(address(vault), type(uint256).max);
        vault.depositCollateral(address(token), amount);
        vm.stopPrank();
    }

    /// @dev Per token: vault balance == sum(balances of `accounts`) + insurance collateral.
    function _assertTokenConserved(MintableERC20 token, address[] memory accounts) internal view {
        uint256 sum = vault.insuranceCollateral(address(token));
        for (uint256 i; i < accounts.length; ++i) {
            sum += vault.balanceOf(accounts[i], address(token));
        }
        assertEq(sum, token.balanceOf(address(vault)), "vault balance == sum(balances) + insurance collateral");
    }
}
