// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Settlement} from "../../src/Settlement.sol";
import {ClearingHouse, ClearingHouseBase} from "../../src/perp/ClearingHouse.sol";
import {DevnetPriceFeed} from "../../src/perp/DevnetPriceFeed.sol";
import {CircuitBreaker} from "../../src/perp/CircuitBreaker.sol";
import {PositionSettlement} from "../../src/perp/PositionSettlement.sol";
import {IntentHashing, OptionIntent, PositionIntent} from "../../src/libraries/IntentHashing.sol";
import {OptionBook} from "../../src/options/OptionBook.sol";
import {OptionSeries} from "../../src/options/OptionSeries.sol";
import {OptionSettlement} from "../../src/options/OptionSettlement.sol";
import {PortfolioMargin} from "../../src/options/PortfolioMargin.sol";
import {VolatilityFeed} from "../../src/options/VolatilityFeed.sol";
import {SettlementTestBase} from "../utils/SettlementTestBase.sol";

/// @dev The real Settlement, ClearingHouse (market 1 = ETH at 3,000, collateral tokenA), a vol
/// surface at 80% flat, an OptionSeries with five 30-day series, and the OptionBook wired to both.
abstract contract OptionBookBase is SettlementTestBase {
    uint32 internal constant ETH = 1;
    uint64 internal constant CALL_3000 = 1;
    uint64 internal constant PUT_2800 = 2;
    uint64 internal constant CALL_3300 = 3;
    uint64 internal constant PUT_3000 = 4;
    uint64 internal constant CALL_3500 = 5;
    uint256 internal constant FEE = 0.001e18;

    ClearingHouse internal ch;
    DevnetPriceFeed internal ethFeed;
    VolatilityFeed internal vol;
    OptionSeries internal reg;
    OptionBook internal book;
    address internal feeder = makeAddr("feeder");
    uint64 internal expiry;
    address[] internal accounts;

    function setUp() public virtual override {
        super.setUp();
        ch = new ClearingHouse(governance, address(settlement), address(tokenA), 18, 0.01e18, 0.5e18);
        ethFeed = new DevnetPriceFeed(feeder, 8, "ETH / USD", 3000e8);
        ClearingHouseBase.MarketConfig memory c;
        c.feed = ethFeed;
        c.heartbeat = 1 hours;
        c.fundingPeriod = 8 hours;
        c.initialMarginFraction = 0.1e18;
        c.maintenanceMarginFraction = 0.05e18;
        c.feeFraction = 0.0005e18;
        c.maxPriceDeviation = 0.05e18;
        c.maxFundingRate = 0.01e18;
        c.maxOpenInterest = 1e30;
        vol = new VolatilityFeed(
            governance, feeder, 1 hours, VolatilityFeed.Bounds({minVol: 0.05e18, maxVol: 5e18, maxTenors: 8, maxNodes: 16})
        );
        reg = new OptionSeries(governance, ch);
        vm.startPrank(governance);
        ch.listMarket(ETH, c);
        settlement.setClearingHouse(ch);
        vm.stopPrank();
        expiry = uint64(block.timestamp + 30 days);
        vm.startPrank(governance);
        reg.list(ETH, 3000e18, expiry, true);
        reg.list(ETH, 2800e18, expiry, false);
        reg.list(ETH, 3300e18, expiry, true);
        reg.list(ETH, 3000e18, expiry, false);
        reg.list(ETH, 3500e18, expiry, true);
        book = new OptionBook(governance, ch, address(settlement), reg, vol, _params(), FEE);
        ch.setOptionBook(address(book));
        settlement.setOptionBook(book);
        vm.stopPrank();
        _publishVol(0.8e18);
    }

    function _params() internal pure returns (PortfolioMargin.Params memory p) {
        p.priceShocks = [int256(0), 0.05e18, -0.05e18, 0.1e18, -0.1e18, 0.15e18, -0.15e18, 0.2e18, -0.2e18];
        p.volShockUp = 0.3e18;
        p.volShockDown = 0.3e18;
        p.shortFloor = 0.01e18;
        p.maintenanceFraction = 0.6e18;
    }

    function _publishVol(uint256 v) internal {
        uint256[] memory tenors = new uint256[](2);
        (tenors[0], tenors[1]) = (7 days, 90 days);
        int256[] memory nodes = new int256[](2);
        (nodes[0], nodes[1]) = (-0.5e18, 0.5e18);
        uint256[] memory vols = new uint256[](4);
        (vols[0], vols[1], vols[2], vols[3]) = (v, v, v, v);
        vm.prank(feeder);
        vol.publish(ETH, tenors, nodes, vols);
    }

    /// @dev Publishes a new ETH round (8 decimals) now.
    function _price(int256 answer) internal {
        vm.prank(feeder);
        ethFeed.submit(answer);
    }

    function _margin(address user, uint256 amount) internal {
        tokenA.mint(user, amount);
        vm.startPrank(user);
        tokenA.approve(address(ch), amount);
        ch.deposit(user, amount);
        vm.stopPrank();
        accounts.push(user);
    }

    function _ot(uint256 key, address account, uint64 series, uint8 index, int256 size, uint256 limit, uint256 nonce)
        internal
        view
        returns (OptionSettlement.OptionTrade memory)
    {
        return _otFlags(key, account, series, index, size, limit, nonce, 0);
    }

    function _otFlags(
        uint256 key,
        address account,
        uint64 series,
        uint8 index,
        int256 size,
        uint256 limit,
        uint256 nonce,
        uint8 flags
    ) internal view returns (OptionSettlement.OptionTrade memory t) {
        OptionIntent memory i = OptionIntent({
            account: account,
            series: series,
            size: size,
            premiumLimit: limit,
            reduceOnly: flags & 1 != 0,
            partiallyFillable: flags & 4 != 0,
            validTo: uint32(block.timestamp + 1 hours),
            nonce: nonce
        });
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, IntentHashing.optionDigest(settlement.domainSeparator(), i));
        t = OptionSettlement.OptionTrade(
            account, size, limit, nonce, i.validTo, index, flags, uint256(size < 0 ? -size : size), abi.encodePacked(r, s, v)
        );
    }

    function _pt(uint256 key, address account, int256 delta, uint256 limit, uint256 nonce)
        internal
        view
        returns (PositionSettlement.PositionTrade memory t)
    {
        PositionIntent memory i =
            PositionIntent(account, ETH, delta, limit, false, false, uint32(block.timestamp + 1 hours), nonce);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, settlement.hashPositionIntent(i));
        t = PositionSettlement.PositionTrade(
            account, delta, limit, nonce, i.validTo, 0, 0, uint256(delta < 0 ? -delta : delta), abi.encodePacked(r, s, v)
        );
    }

    function _oneSeries(uint64 id, uint256 premium) internal pure returns (uint64[] memory ids, uint256[] memory prems) {
        ids = new uint64[](1);
        prems = new uint256[](1);
        (ids[0], prems[0]) = (id, premium);
    }

    /// @dev A batch with only an option leg: `a` and `b` trade one series.
    function _optionBatch(uint64 id, uint256 premium, OptionSettlement.OptionTrade memory a, OptionSettlement.OptionTrade memory b)
        internal
        pure
        returns (Settlement.Batch memory batch)
    {
        (uint64[] memory ids, uint256[] memory prems) = _oneSeries(id, premium);
        OptionSettlement.OptionTrade[] memory ts = new OptionSettlement.OptionTrade[](2);
        (ts[0], ts[1]) = (a, b);
        batch.options = abi.encode(OptionSettlement.OptionBatch(ids, prems, ts));
    }

    function _perpLeg(PositionSettlement.PositionTrade memory a, PositionSettlement.PositionTrade memory b)
        internal
        pure
        returns (bytes memory)
    {
        uint32[] memory markets = new uint32[](1);
        uint256[] memory prices = new uint256[](1);
        (markets[0], prices[0]) = (ETH, 3000e18);
        PositionSettlement.PositionTrade[] memory ts = new PositionSettlement.PositionTrade[](2);
        (ts[0], ts[1]) = (a, b);
        return abi.encode(PositionSettlement.PositionBatch(markets, prices, ts));
    }

    /// @dev token balance == sum(collateral) + insuranceFund + pnlFloat, over the accounts funded.
    function _assertBooks() internal view {
        int256 sum;
        for (uint256 i; i < accounts.length; ++i) {
            sum += ch.collateral(accounts[i]);
        }
        assertEq(int256(tokenA.balanceOf(address(ch))), sum + ch.insuranceFund() + ch.pnlFloat(), "books");
    }

    /// @dev Whether a settle whose only step is the solver's interaction calling `target` with
    /// `data` succeeds (the interaction runs with Settlement as msg.sender).
    function _viaInteraction(address target, bytes memory data) internal returns (bool ok) {
        Settlement.Batch memory b;
        b.interactions = _interaction(target, 0, data);
        vm.prank(solver);
        (ok,) = address(settlement).call(abi.encodeCall(Settlement.settle, (b)));
    }

    function _settleAs(Settlement.Batch memory b) internal {
        vm.prank(solver);
        settlement.settle(b);
    }
}
