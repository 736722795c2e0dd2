// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {ClearingHouse, ClearingHouseBase} from "../../src/perp/ClearingHouse.sol";
import {DevnetPriceFeed} from "../../src/perp/DevnetPriceFeed.sol";
import {Position} from "../../src/perp/PerpMath.sol";
import {MintableERC20} from "../utils/Tokens.sol";

/// @notice A ClearingHouse whose "settlement" is this test contract, an 18-decimal stablecoin as
/// collateral, and two markets (1 = ETH at 3,000, 2 = BTC at 60,000) on 8-decimal devnet feeds.
abstract contract PerpTestBase is Test {
    int256 internal constant WAD = 1e18;
    uint32 internal constant ETH = 1;
    uint32 internal constant BTC = 2;
    uint32 internal constant HEARTBEAT = 1 hours;
    int256 internal constant PENALTY = 0.01e18;
    int256 internal constant LIQUIDATOR_SHARE = 0.5e18;

    ClearingHouse internal ch;
    MintableERC20 internal usd;
    DevnetPriceFeed internal ethFeed;
    DevnetPriceFeed internal btcFeed;
    address internal feeder = makeAddr("feeder");
    address internal governance = makeAddr("governance");
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    address internal carol = makeAddr("carol");
    address internal keeper = makeAddr("keeper");

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        usd = new MintableERC20("USD", "USD", 18);
        ch = new ClearingHouse(governance, address(this), address(usd), 18, PENALTY, LIQUIDATOR_SHARE);
        ethFeed = new DevnetPriceFeed(feeder, 8, "ETH / USD", 3000e8);
        btcFeed = new DevnetPriceFeed(feeder, 8, "BTC / USD", 60_000e8);
        vm.startPrank(governance);
        ch.listMarket(ETH, _config(ethFeed));
        ch.listMarket(BTC, _config(btcFeed));
        // The ADL tests call autoDeleverage from this contract, the appointed deleverager.
        ch.setDeleverager(address(this));
        vm.stopPrank();
    }

    /// @dev This test contract plays the Settlement: it names the clearing house as the callee of its own calls.
    function trustedCallee() external view returns (address) {
        return address(ch);
    }

    /// IMF 10%, MMF 5%, fee 0.1%, deviation 5%, funding over 8h capped at 1%/period, OI cap 1,000,000.
    function _config(DevnetPriceFeed feed) internal pure returns (ClearingHouseBase.MarketConfig memory c) {
        c.feed = feed;
        c.heartbeat = HEARTBEAT;
        c.fundingPeriod = 8 hours;
        c.initialMarginFraction = 0.1e18;
        c.maintenanceMarginFraction = 0.05e18;
        c.feeFraction = 0.001e18;
        c.maxPriceDeviation = 0.05e18;
        c.maxFundingRate = 0.01e18;
        c.maxOpenInterest = 1_000_000e18;
    }

    function _deposit(address account, uint256 amount) internal {
        usd.mint(account, amount);
        vm.startPrank(account);
        usd.approve(address(ch), type(uint256).max);
        ch.deposit(account, amount);
        vm.stopPrank();
    }

    function _setPrice(DevnetPriceFeed feed, int256 answer) internal {
        vm.prank(feeder);
        feed.submit(answer);
    }

    function _fill(address account, int256 delta, uint8 marketIndex, bool reduceOnly)
        internal
        pure
        returns (ClearingHouseBase.Fill memory f)
    {
        f = ClearingHouseBase.Fill({account: account, sizeDelta: delta, marketIndex: marketIndex, reduceOnly: reduceOnly});
    }

    function _one(uint32 id, uint256 price) internal pure returns (uint32[] memory ids, uint256[] memory prices) {
        ids = new uint32[](1);
        prices = new uint256[](1);
        ids[0] = id;
        prices[0] = price;
    }

    /// @dev `long` buys `size` from `short` in market `id` at `price`.
    function _trade(uint32 id, uint256 price, address long, address short, int256 size) internal {
        (uint32[] memory ids, uint256[] memory prices) = _one(id, price);
        ClearingHouseBase.Fill[] memory fills = new ClearingHouseBase.Fill[](2);
        fills[0] = _fill(long, size, 0, false);
        fills[1] = _fill(short, -size, 0, false);
        ch.settlePositions(ids, prices, fills);
    }

    function _pos(address account, uint32 id) internal view returns (Position memory) {
        return ch.position(account, id);
    }

    function _equity(address account) internal view returns (int256 equity) {
        (equity,,) = ch.accountHealth(account);
    }

    /// @dev token balance == sum(collateral) + insurance fund, for the given accounts.
    function _assertConserved(address[] memory accounts) internal view {
        int256 sum = ch.insuranceFund() + ch.pnlFloat();
        for (uint256 i; i < accounts.length; ++i) {
            sum += ch.collateral(accounts[i]);
        }
        assertEq(sum, int256(usd.balanceOf(address(ch))), "balance == sum(collateral) + insurance + float");
    }
}
