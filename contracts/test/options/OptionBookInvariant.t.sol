// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {Settlement} from "../../src/Settlement.sol";
import {ClearingHouse} from "../../src/perp/ClearingHouse.sol";
import {DevnetPriceFeed} from "../../src/perp/DevnetPriceFeed.sol";
import {IntentHashing, OptionIntent} from "../../src/libraries/IntentHashing.sol";
import {OptionBook} from "../../src/options/OptionBook.sol";
import {OptionSeries} from "../../src/options/OptionSeries.sol";
import {OptionSettlement} from "../../src/options/OptionSettlement.sol";
import {PortfolioMargin} from "../../src/options/PortfolioMargin.sol";
import {VolatilityFeed} from "../../src/options/VolatilityFeed.sol";
import {BlackScholes} from "../../src/options/BlackScholes.sol";
import {OptionBookBase} from "./OptionBookBase.sol";
import {console2} from "forge-std/console2.sol";

/// @dev Random option batches between three accounts through the real Settlement (any series,
/// size, premium; most fail margin or limits and revert whole), price moves, expiry settlement.
contract OptionBookHandler is Test {
    Settlement internal settlement;
    OptionBook internal book;
    OptionSeries internal reg;
    DevnetPriceFeed internal feed;
    VolatilityFeed internal vol;
    address internal solver;
    address internal feeder;
    address[3] public users;
    uint256[3] internal keys;
    uint256 internal nonce = 100;
    uint256 public settled;
    ClearingHouse internal ch;
    uint256 public liquidations;
    uint256 public liquidatable;
    uint256 public deleveraged;
    /// @dev Set when a partial liquidation left its account liquidatable, or the liquidator below
    /// initial margin, or took more than the fraction (checked by an invariant: a handler's own
    /// assertion would only revert the call, which `fail_on_revert = false` ignores).
    string public broken;

    constructor(
        Settlement s,
        OptionBook b,
        OptionSeries r,
        DevnetPriceFeed f,
        VolatilityFeed v,
        address solver_,
        address feeder_,
        address[3] memory users_,
        uint256[3] memory keys_
    ) {
        ch = b.clearingHouse();
        settlement = s;
        book = b;
        reg = r;
        feed = f;
        vol = v;
        solver = solver_;
        feeder = feeder_;
        users = users_;
        keys = keys_;
    }

    function trade(uint256 seed, uint256 seriesSeed, uint256 sizeSeed, uint256 premiumSeed, bool reduceOnly) external {
        _tryTrade(seed, seriesSeed, sizeSeed, premiumSeed, reduceOnly);
    }

    function _tryTrade(uint256 seed, uint256 seriesSeed, uint256 sizeSeed, uint256 premiumSeed, bool reduceOnly) internal {
        uint256 i = seed % 3;
        uint256 j = (i + 1 + (seed >> 8) % 2) % 3;
        uint64 id = uint64(1 + seriesSeed % 5);
        int256 size = int256(bound(sizeSeed, 0.01e18, 5e18));
        if (seed & (1 << 20) != 0) size = -size;
        uint256 premium = bound(premiumSeed, 0, 800e18);
        OptionSettlement.OptionTrade[] memory ts = new OptionSettlement.OptionTrade[](2);
        ts[0] = _trade(i, id, size, size > 0 ? premium : 0, reduceOnly);
        ts[1] = _trade(j, id, -size, size > 0 ? 0 : premium, false);
        uint64[] memory ids = new uint64[](1);
        uint256[] memory prems = new uint256[](1);
        (ids[0], prems[0]) = (id, premium);
        Settlement.Batch memory b;
        b.options = abi.encode(OptionSettlement.OptionBatch(ids, prems, ts));
        vm.prank(solver);
        try settlement.settle(b) {
            ++settled;
        } catch {}
    }

    function _trade(uint256 who, uint64 id, int256 size, uint256 limit, bool reduceOnly)
        internal
        returns (OptionSettlement.OptionTrade memory t)
    {
        uint256 n = ++nonce;
        OptionIntent memory oi = OptionIntent(users[who], id, size, limit, reduceOnly, false, uint32(block.timestamp + 1 hours), n);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(keys[who], IntentHashing.optionDigest(settlement.domainSeparator(), oi));
        t = OptionSettlement.OptionTrade(
            users[who], size, limit, n, oi.validTo, 0, reduceOnly ? 1 : 0, uint256(size < 0 ? -size : size), abi.encodePacked(r, s, v)
        );
    }

    /// A batch (as `trade`), a price and surface move (as `movePrice`), then a random user
    /// liquidates another (most are healthy and revert `NotLiquidatable`). The batch first keeps
    /// the share of calls that trade as it was before this action existed (each run must settle
    /// something, `afterInvariant`), and positions opened near their limit are what a move makes
    /// liquidatable.
    function liquidate(uint256 seed, uint256 sizeSeed, uint256 premiumSeed, uint256 moveSeed) external {
        _tryTrade(seed, seed >> 32, sizeSeed, premiumSeed, false);
        _movePrice(moveSeed);
        // and a jump of 10-30% either way, so writers near their limit fall below maintenance
        (, int256 answer,,,) = feed.latestRoundData();
        int256 jump = int256(bound(moveSeed >> 128, 0.1e18, 0.3e18));
        answer = moveSeed & (1 << 127) != 0 ? answer * (1e18 + jump) / 1e18 : answer * (1e18 - jump) / 1e18;
        if (answer < 1500e8) answer = 1500e8;
        if (answer > 6000e8) answer = 6000e8;
        vm.prank(feeder);
        feed.submit(answer);
        if (ch.isLiquidatable(users[seed % 3])) ++liquidatable;
        uint256 i = seed % 3;
        uint256 j = (i + 1 + (seed >> 8) % 2) % 3;
        address victim = users[i];
        address liquidator = users[j];
        int256[5] memory before;
        for (uint64 id = 1; id <= 5; ++id) {
            before[id - 1] = book.positionOf(victim, id);
        }
        vm.prank(liquidator);
        try ch.liquidate(victim) returns (uint256 f) {
            ++liquidations;
            for (uint64 id = 1; id <= 5; ++id) {
                int256 b = before[id - 1];
                int256 a = book.positionOf(victim, id);
                uint256 absB = uint256(b < 0 ? -b : b);
                uint256 cap = (absB * f + 1e18 - 1) / 1e18;
                uint256 movedAbs = uint256(b - a < 0 ? a - b : b - a);
                if (movedAbs > cap) broken = "took more than the fraction";
                if (a != 0 && (a > 0) != (b > 0)) broken = "flipped the account's side";
            }
            if (f < 1e18 && ch.isLiquidatable(victim)) broken = "partial liquidation left it liquidatable";
            (int256 eq, int256 im,) = ch.accountHealth(liquidator);
            if (eq < im) broken = "liquidator below initial margin";
        } catch {}
    }

    function movePrice(uint256 seed) external {
        _movePrice(seed);
    }

    /// The handler is the deleverager: after a gap of 1.5-2.5x up or to 0.3-0.6x (which leaves
    /// writers or buyers on borrowed stablecoin bankrupt before anyone could liquidate them), a
    /// random user against the other two in a random order (many calls revert: the account is not
    /// bankrupt beyond the fund, or the order is not the ranking). A deleveraged account must end
    /// flat, holding no options, at zero collateral.
    function deleverage(uint256 seed) external {
        (, int256 answer,,,) = feed.latestRoundData();
        int256 gap = seed & (1 << 200) != 0
            ? int256(bound(seed >> 100, 1.5e18, 2.5e18))
            : int256(bound(seed >> 100, 0.3e18, 0.6e18));
        vm.prank(feeder);
        feed.submit(answer * gap / 1e18);
        address victim = users[seed % 3];
        address[] memory cs = new address[](2);
        cs[0] = users[(seed % 3 + 1 + (seed >> 8) % 2) % 3];
        cs[1] = users[(seed % 3 + 2 - (seed >> 8) % 2) % 3];
        try ch.autoDeleverage(victim, cs) {
            ++deleveraged;
            if (book.seriesOf(victim).length != 0) broken = "ADL left an option leg";
            if (ch.collateral(victim) != 0) broken = "ADL left collateral or debt";
        } catch {}
    }

    function _movePrice(uint256 seed) internal {
        vm.warp(block.timestamp + bound(seed, 1, 2 days));
        (, int256 answer,,,) = feed.latestRoundData();
        int256 move = int256(bound(seed >> 16, 0, 0.2e18)) - 0.1e18;
        answer = answer * (1e18 + move) / 1e18;
        if (answer < 2000e8) answer = 2000e8;
        if (answer > 4500e8) answer = 4500e8;
        vm.prank(feeder);
        feed.submit(answer);
        uint256[] memory tenors = new uint256[](1);
        tenors[0] = 30 days;
        int256[] memory nodes = new int256[](1);
        uint256[] memory vols = new uint256[](1);
        vols[0] = bound(seed >> 64, 0.3e18, 1.5e18);
        vm.prank(feeder);
        vol.publish(1, tenors, nodes, vols);
    }

    function settleExpiry(uint256 seed) external {
        uint64 id = uint64(1 + seed % 5);
        OptionSeries.Series memory s = reg.series(id);
        if (block.timestamp < s.expiry) return;
        if (s.settlementRound == 0) {
            try reg.settle(id, feed.latestRound()) {} catch {
                return;
            }
        }
        address who = users[(seed >> 8) % 3];
        if (book.positionOf(who, id) != 0) book.settleExpired(who, id);
    }
}

contract OptionBookInvariantTest is OptionBookBase {
    OptionBookHandler internal handler;
    address[3] internal us;

    function setUp() public override {
        super.setUp();
        uint256[3] memory ks;
        string[3] memory names = ["inv0", "inv1", "inv2"];
        for (uint256 i; i < 3; ++i) {
            (us[i], ks[i]) = _user(names[i]);
            _margin(us[i], 2_500e18); // tight, so price moves make option writers liquidatable
        }
        handler = new OptionBookHandler(settlement, book, reg, ethFeed, vol, solver, feeder, us, ks);
        vm.prank(governance);
        ch.setDeleverager(address(handler));
        // us[0] writes 4 calls to us[1] close to its initial margin (about 2,070 of its 2,500), so
        // the price jumps of the liquidate action make it liquidatable from the first calls on and
        // every run exercises option liquidations, not only the rare accounts trading gets there.
        _settleAs(
            _optionBatch(
                CALL_3000, 275e18, _ot(ks[1], us[1], CALL_3000, 0, 4e18, 280e18, 1), _ot(ks[0], us[0], CALL_3000, 0, -4e18, 270e18, 1)
            )
        );
        targetContract(address(handler));
    }

    /// token balance == sum(collateral) + insuranceFund + pnlFloat, exactly.
    function invariant_booksIdentity() public view {
        _assertBooks();
    }

    /// Every series: long open interest == short open interest == the sum of the long positions.
    function invariant_openInterestBalanced() public view {
        for (uint64 id = 1; id <= 5; ++id) {
            (uint128 l, uint128 s) = book.openInterest(id);
            assertEq(l, s, "long != short");
            int256 net;
            uint256 longs;
            for (uint256 i; i < 3; ++i) {
                int256 p = book.positionOf(us[i], id);
                net += p;
                if (p > 0) longs += uint256(p);
            }
            assertEq(net, 0, "positions do not net");
            assertEq(longs, l, "open interest != positions");
        }
    }

    /// After any batch, an account's initial requirement is at least the worst scenario loss of
    /// its live options (recomputed here from the book's positions, the mark and the surface).
    function invariant_requirementCoversWorstLoss() public view {
        (uint256 mark,) = ch.markPrice(ETH);
        for (uint256 i; i < 3; ++i) {
            PortfolioMargin.Result memory r = PortfolioMargin.margin(mark, 0, _legs(us[i], mark), _params());
            (, int256 initial,) = ch.accountHealth(us[i]);
            assertGe(initial, r.worstLoss, "requirement below the worst scenario loss");
            assertEq(initial, int256(r.requirement), "requirement is the portfolio requirement");
        }
    }

    function _legs(address account, uint256 mark) internal view returns (PortfolioMargin.OptionLeg[] memory legs) {
        uint64[] memory ids = book.seriesOf(account);
        legs = new PortfolioMargin.OptionLeg[](ids.length);
        uint256 n;
        for (uint256 j; j < ids.length; ++j) {
            OptionSeries.Series memory s = reg.series(ids[j]);
            if (s.expiry <= block.timestamp) continue;
            PortfolioMargin.OptionLeg memory leg = legs[n++];
            leg.strike = s.strike;
            leg.secondsToExpiry = s.expiry - block.timestamp;
            leg.isCall = s.isCall;
            leg.size = book.positionOf(account, ids[j]);
            leg.volatility = _volAt(s.strike, mark, leg.secondsToExpiry);
        }
        assembly ("memory-safe") {
            mstore(legs, n)
        }
    }

    function _volAt(uint256 strike, uint256 mark, uint256 t) internal view returns (uint256 v) {
        (v,) = vol.impliedVol(ETH, BlackScholes.ln(int256(strike * 1e18 / mark)), t);
        if (v < 0.01e18) v = 0.01e18;
        if (v > 5e18) v = 5e18;
    }

    /// Liquidations of option portfolios: never more than the fraction, partial ones heal the
    /// account, the liquidator meets initial margin; ADL leaves its account flat at zero.
    function invariant_liquidationsSound() public view {
        assertEq(bytes(handler.broken()).length, 0, handler.broken());
    }

    function afterInvariant() external view {
        assertGt(handler.settled(), 0, "no batch ever settled");
        console2.log("settled", handler.settled(), "liquidations", handler.liquidations());
        console2.log("liquidatable", handler.liquidatable(), "deleveraged", handler.deleveraged());
    }
}
