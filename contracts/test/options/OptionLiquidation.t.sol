// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Vm} from "forge-std/Vm.sol";
import {Settlement} from "../../src/Settlement.sol";
import {ClearingHouse} from "../../src/perp/ClearingHouse.sol";
import {ClearingHouseBase} from "../../src/perp/ClearingHouseBase.sol";
import {OptionBook} from "../../src/options/OptionBook.sol";
import {OptionBookBase} from "./OptionBookBase.sol";
import {console2} from "forge-std/console2.sol";

/// @notice Liquidation of option portfolios through the real clearing house, Settlement and book:
/// the liquidator takes the liquidation fraction of every option leg at model value, the penalty
/// is split as for perps, a fully closed account's bad debt is the fund's, and neither a solver's
/// interaction nor anyone but the clearing house's liquidation can move an option.
contract OptionLiquidationTest is OptionBookBase {
    address internal alice;
    uint256 internal aliceKey;
    address internal bob;
    uint256 internal bobKey;
    address internal carol;
    uint256 internal carolKey;
    address internal dave;
    uint256 internal daveKey;

    function setUp() public override {
        super.setUp();
        (alice, aliceKey) = _user("alice");
        (bob, bobKey) = _user("bob");
        (carol, carolKey) = _user("carol");
        (dave, daveKey) = _user("dave");
        _margin(alice, 10_000e18);
        _margin(bob, 10_000e18);
        _margin(dave, 20_000e18);
    }

    /// carol writes `size` calls (strike 3,000) to alice at 275 with `margin` of stablecoin.
    function _carolWritesCalls(uint256 margin, int256 size) internal {
        _margin(carol, margin);
        _settleAs(
            _optionBatch(
                CALL_3000,
                275e18,
                _ot(aliceKey, alice, CALL_3000, 0, size, 280e18, 1),
                _ot(carolKey, carol, CALL_3000, 0, -size, 270e18, 1)
            )
        );
    }

    /// The first price (from 3,000 up by 25) at which carol is liquidatable.
    function _rallyUntilLiquidatable() internal returns (int256 answer) {
        for (answer = 3000e8; answer <= 6000e8; answer += 25e8) {
            _price(answer);
            if (ch.isLiquidatable(carol)) return answer;
        }
        revert("never liquidatable");
    }

    function _equity(address a) internal view returns (int256 eq) {
        (eq,,) = ch.accountHealth(a);
    }

    function _total() internal view returns (int256) {
        return ch.collateral(alice) + ch.collateral(bob) + ch.collateral(carol) + ch.collateral(dave)
            + ch.insuranceFund() + ch.pnlFloat();
    }

    /// Partial: dave takes ceil(3 x f) of carol's short calls at model value, the penalty is split
    /// half to dave and half to the fund, carol ends between maintenance and initial margin (the
    /// midpoint target, up to rounding), dave meets initial margin, and money is conserved.
    struct Snap {
        int256 eq;
        int256 im;
        int256 mm;
        int256 daveEq;
        int256 fund;
        int256 total;
        uint128 oiLong;
    }

    function test_partialLiquidation_shortCalls_restoresTarget() public {
        _carolWritesCalls(1_600e18, 3e18);
        _rallyUntilLiquidatable();
        Snap memory s0;
        (s0.eq, s0.im, s0.mm) = ch.accountHealth(carol);
        assertGt(s0.eq, 0, "partial case needs positive equity");
        s0.daveEq = _equity(dave);
        s0.fund = ch.insuranceFund();
        s0.total = _total();
        (s0.oiLong,) = book.openInterest(CALL_3000);

        vm.recordLogs();
        vm.prank(dave);
        uint256 f = ch.liquidate(carol);
        (int256 penalty, int256 reward) = _liquidatedEvent();
        assertLt(f, 1e18, "partial");
        assertGt(f, 0);
        int256 moved = int256((3e18 * f + 1e18 - 1) / 1e18);
        assertEq(book.positionOf(carol, CALL_3000), -3e18 + moved, "carol keeps 1 - f");
        assertEq(book.positionOf(dave, CALL_3000), -moved, "dave takes exactly ceil(3 f)");
        _checkOpenInterest(s0.oiLong);
        _checkHealed(s0);
        // the penalty is on the short leg's underlying notional: 1% of ceil(moved x mark), ceil
        (uint256 mark,) = ch.markPrice(ETH);
        uint256 notional = (uint256(moved) * mark + 1e18 - 1) / 1e18;
        assertEq(penalty, int256((notional + 99) / 100), "penalty = ceil(1% of ceil(moved x mark))");
        assertEq(reward, penalty / 2);
        assertEq(ch.insuranceFund() - s0.fund, penalty - reward, "fund gets the rest");
        // carol pays the penalty (the transfer at model value moves no equity, up to a wei a leg)
        assertApproxEqAbs(s0.eq - _equity(carol), penalty, 2, "carol lost more than the penalty");
        assertApproxEqAbs(_equity(dave) - s0.daveEq, reward, 2, "dave gained more than his reward");
        (int256 dEq, int256 dIm,) = ch.accountHealth(dave);
        assertGe(dEq, dIm, "liquidator below initial margin");
        assertEq(_total(), s0.total, "money created or destroyed");
        _assertBooks();
    }

    function _checkOpenInterest(uint128 oiLong0) internal view {
        (uint128 oiL, uint128 oiS) = book.openInterest(CALL_3000);
        assertEq(oiL, oiS);
        assertEq(oiL, oiLong0, "a transfer changes no open interest");
    }

    /// carol is out of liquidation, her requirements fell, and she is at the midpoint target of
    /// her new requirements (the fraction is rounded up).
    function _checkHealed(Snap memory s0) internal view {
        (int256 eq1, int256 im1, int256 mm1) = ch.accountHealth(carol);
        assertFalse(ch.isLiquidatable(carol), "still liquidatable");
        assertGe(eq1, mm1);
        assertLt(im1, s0.im, "requirement fell");
        assertLt(mm1, s0.mm);
        assertGe(eq1 + 2, mm1 + (im1 - mm1) / 2, "below the midpoint target");
    }

    /// Full: a long call bought with borrowed stablecoin, the underlying crashes; dave takes the
    /// whole call at its model value, carol's remaining shortfall is written off and the insurance
    /// fund pays it (bad debt covered), and carol no longer holds options.
    function test_fullLiquidation_longCall_badDebtCoveredByFund() public {
        tokenA.mint(address(this), 1_000e18);
        tokenA.approve(address(ch), 1_000e18);
        ch.fundInsurance(1_000e18);
        _margin(carol, 262e18);
        _settleAs(
            _optionBatch(
                CALL_3000,
                275e18,
                _ot(carolKey, carol, CALL_3000, 0, 1e18, 280e18, 1),
                _ot(bobKey, bob, CALL_3000, 0, -1e18, 270e18, 1)
            )
        );
        assertLt(ch.collateral(carol), 0);
        _price(1500e8);
        (int256 eq0,,) = ch.accountHealth(carol);
        assertLt(eq0, 0, "under water");
        int256 fund0 = ch.insuranceFund();
        int256 total0 = _total();
        vm.prank(dave);
        uint256 f = ch.liquidate(carol);
        assertEq(f, 1e18, "all of it");
        assertEq(book.positionOf(carol, CALL_3000), 0);
        assertEq(book.positionOf(dave, CALL_3000), 1e18);
        assertEq(book.seriesOf(carol).length, 0);
        assertEq(ch.collateral(carol), 0, "shortfall written off");
        assertGt(ch.badDebtCovered(), 0, "fund booked the bad debt");
        assertLt(ch.insuranceFund(), fund0, "fund paid");
        assertFalse(ch.isLiquidatable(carol));
        assertEq(_total(), total0);
        _assertBooks();
    }

    /// A healthy option writer cannot be liquidated, not by a bystander.
    function test_healthyAccount_notLiquidatable() public {
        _carolWritesCalls(5_000e18, 3e18);
        assertFalse(ch.isLiquidatable(carol));
        vm.prank(dave);
        vm.expectPartialRevert(ClearingHouseBase.NotLiquidatable.selector);
        ch.liquidate(carol);
        assertEq(book.positionOf(carol, CALL_3000), -3e18);
        assertEq(book.positionOf(dave, CALL_3000), 0);
    }

    /// The book's transfer entry point answers the clearing house only: a direct call, and the
    /// same call from Settlement (a solver's interaction), are refused, and so is a liquidation of a
    /// healthy account from an interaction; nothing of the victim moves.
    function test_liquidateOptions_onlyClearingHouse_notFromInteractions() public {
        _carolWritesCalls(5_000e18, 3e18);
        vm.prank(dave);
        vm.expectRevert(abi.encodeWithSelector(OptionBook.OnlyClearingHouse.selector, dave));
        book.liquidateOptions(carol, dave, 1e18);
        // from Settlement, with carol under water: still only the clearing house
        _price(4500e8);
        assertTrue(ch.isLiquidatable(carol));
        assertFalse(_viaInteraction(address(book), abi.encodeCall(OptionBook.liquidateOptions, (carol, solver, 1e18))));
        assertFalse(
            _viaInteraction(
                address(book), abi.encodeCall(OptionBook.liquidateOptions, (carol, address(settlement), 1e18))
            )
        );
        _price(3000e8);
        assertFalse(_viaInteraction(address(ch), abi.encodeCall(ClearingHouse.liquidate, (carol))));
        assertEq(book.positionOf(carol, CALL_3000), -3e18);
        assertEq(book.positionOf(address(settlement), CALL_3000), 0);
        assertEq(book.positionOf(solver, CALL_3000), 0);
        _assertBooks();
    }

    /// The liquidator must meet initial margin with the options it received counted.
    function test_liquidator_mustMeetInitialMargin() public {
        _carolWritesCalls(1_600e18, 3e18);
        (address erin, uint256 erinKey) = _user("erin");
        erinKey;
        _margin(erin, 10e18);
        _rallyUntilLiquidatable();
        vm.prank(erin);
        vm.expectPartialRevert(ClearingHouseBase.InsufficientMargin.selector);
        ch.liquidate(carol);
        assertEq(book.positionOf(carol, CALL_3000), -3e18);
    }

    /// The liquidator keeps MAX_ACCOUNT_OPTIONS: holding 4 other series, it cannot take a fifth.
    function test_liquidator_maxAccountOptions() public {
        _carolWritesCalls(1_600e18, 3e18);
        uint64[4] memory others = [PUT_2800, CALL_3300, PUT_3000, CALL_3500];
        for (uint256 i; i < 4; ++i) {
            _settleAs(
                _optionBatch(
                    others[i],
                    50e18,
                    _ot(daveKey, dave, others[i], 0, 0.1e18, 50e18, 10 + i),
                    _ot(bobKey, bob, others[i], 0, -0.1e18, 50e18, 10 + i)
                )
            );
        }
        _rallyUntilLiquidatable();
        vm.prank(dave);
        vm.expectRevert(abi.encodeWithSelector(OptionBook.TooManyOptionPositions.selector, dave));
        ch.liquidate(carol);
        // a liquidator with room takes it
        vm.prank(alice);
        ch.liquidate(carol);
        assertLt(book.positionOf(alice, CALL_3000), 3e18, "alice's long was reduced by the short she took");
        _assertBooks();
    }

    /// A leg whose surface is stale does not move (its price could not be checked); with nothing
    /// else to close the liquidation reverts, and nothing is written off.
    function test_staleSurface_legStays() public {
        _carolWritesCalls(1_600e18, 3e18);
        vm.warp(block.timestamp + 2 hours); // the surface's 1 hour heartbeat passes
        _price(4500e8); // the mark is fresh
        assertTrue(ch.isLiquidatable(carol));
        vm.prank(dave);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.OracleStale.selector, uint32(0)));
        ch.liquidate(carol);
        _publishVol(0.8e18);
        vm.prank(dave);
        ch.liquidate(carol);
        assertGt(book.positionOf(carol, CALL_3000), -3e18);
    }

    /// Perp + options on one account: both are cut by the same fraction.
    function test_perpAndOptions_sameFraction() public {
        _carolWritesCalls(3_000e18, 3e18);
        Settlement.Batch memory perp;
        perp.positions = _perpLeg(_pt(carolKey, carol, 2e18, 3010e18, 30), _pt(bobKey, bob, -2e18, 2990e18, 30));
        _settleAs(perp);
        int256 total0 = _total();
        _price(2000e8);
        for (int256 a = 2000e8; !ch.isLiquidatable(carol); a -= 25e8) {
            _price(a);
        }
        vm.prank(dave);
        uint256 f = ch.liquidate(carol);
        int256 perpMoved = int256((2e18 * f + 1e18 - 1) / 1e18);
        if (f == 1e18) perpMoved = 2e18;
        int256 optMoved = f == 1e18 ? int256(3e18) : int256((3e18 * f + 1e18 - 1) / 1e18);
        assertEq(ch.position(dave, ETH).size, perpMoved);
        assertEq(book.positionOf(dave, CALL_3000), -optMoved);
        assertEq(_total(), total0);
        _assertBooks();
    }

    /// Fuzz: any short size and rally; after a liquidation money is conserved, open interest stays
    /// balanced, the account never loses more than the penalty, a partial one leaves it above
    /// maintenance, and the liquidator took at most the fraction.
    function testFuzz_liquidation_conservesAndHeals(uint256 sizeSeed, uint256 priceSeed) public {
        int256 size = int256(bound(sizeSeed, 0.1e18, 5e18));
        _carolWritesCalls(uint256(size) * 560, size);
        _price(int256(bound(priceSeed, 3000e8, 5000e8)));
        if (!ch.isLiquidatable(carol)) return;
        (int256 eq0,,) = ch.accountHealth(carol);
        int256 total0 = _total();
        vm.recordLogs();
        vm.prank(dave);
        uint256 f = ch.liquidate(carol);
        (int256 penalty,) = _liquidatedEvent();
        int256 moved = -book.positionOf(dave, CALL_3000);
        assertLe(moved, f == 1e18 ? size : int256((uint256(size) * f + 1e18 - 1) / 1e18), "took more than the fraction");
        assertEq(book.positionOf(carol, CALL_3000) - moved, -size);
        assertEq(_total(), total0, "money");
        (uint128 l, uint128 s) = book.openInterest(CALL_3000);
        assertEq(l, s);
        if (f < 1e18) {
            assertFalse(ch.isLiquidatable(carol), "partial left it liquidatable");
            (int256 eq1,,) = ch.accountHealth(carol);
            assertApproxEqAbs(eq0 - eq1, penalty, 2);
        }
        _assertBooks();
    }

    /// Gas of an option liquidation (3 short calls, partial) through the clearing house.
    function test_gas_optionLiquidation() public {
        _carolWritesCalls(1_600e18, 3e18);
        _rallyUntilLiquidatable();
        vm.prank(dave);
        uint256 g = gasleft();
        ch.liquidate(carol);
        console2.log("gas: liquidate, 1 option leg (partial)", g - gasleft());
        assertLt(book.positionOf(dave, CALL_3000), 0);
    }


    /// The (penalty, reward) of the last `Liquidated` event recorded.
    function _liquidatedEvent() internal returns (int256 penalty, int256 reward) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        bytes32 topic = ClearingHouseBase.Liquidated.selector;
        for (uint256 i = logs.length; i > 0; --i) {
            if (logs[i - 1].topics[0] == topic) {
                (, penalty, reward,) = abi.decode(logs[i - 1].data, (uint256, int256, int256, int256));
                return (penalty, reward);
            }
        }
        revert("no Liquidated event");
    }
}
