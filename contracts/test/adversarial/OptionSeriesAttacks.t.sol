// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Settlement} from "../../src/Settlement.sol";
import {OptionSeries} from "../../src/options/OptionSeries.sol";
import {AdversarialBase} from "./AdversarialBase.sol";
import {Ownable2Step} from "../../src/governance/Ownable2Step.sol";

/// @notice A bonded solver's interactions run with Settlement as msg.sender and may call any
/// contract. Settlement is not the OptionSeries owner, so through settle a solver can neither list
/// a series, use governance's phase-start settlement, nor take ownership; and nobody, directly or through settle, can settle a series at any
/// price but the first feed round at or after its expiry.
contract OptionSeriesAttacksTest is AdversarialBase {
    OptionSeries reg;
    uint64 series;
    uint64 expiry;

    function setUp() public override {
        super.setUp();
        reg = new OptionSeries(s.governance, s.ch);
        expiry = uint64(block.timestamp + 1 days);
        vm.prank(s.governance);
        series = reg.list(MARKET, 3000e18, expiry, true);
    }

    function _settleAsAttacker(bytes memory data) internal returns (bool ok) {
        Settlement.Interaction[] memory its = new Settlement.Interaction[](1);
        its[0] = Settlement.Interaction(address(reg), 0, data);
        Settlement.Batch memory b;
        b.interactions = its;
        vm.prank(s.attacker);
        (ok,) = address(s.settlement).call(abi.encodeCall(Settlement.settle, (b)));
    }

    function _publish(uint256 at, int256 answer) internal returns (uint80) {
        vm.warp(at);
        vm.prank(s.feeder);
        s.ethFeed.submit(answer);
        return s.ethFeed.latestRound();
    }

    function test_attack_throughSettlement_cannotListOrTakeOwnership() public {
        bytes[] memory calls = new bytes[](5);
        calls[0] = abi.encodeCall(OptionSeries.list, (MARKET, 3100e18, uint64(block.timestamp + 2 days), true));
        calls[1] = abi.encodeCall(OptionSeries.list, (MARKET, 3000e18, expiry, false));
        calls[2] = abi.encodeCall(Ownable2Step.transferOwnership, (s.attacker));
        calls[3] = abi.encodeCall(Ownable2Step.acceptOwnership, ());
        // governance's phase-start fallback, once it would be allowed
        calls[4] = abi.encodeCall(OptionSeries.settleAtPhaseStart, (series, (uint80(2) << 64) | 1));
        vm.warp(uint256(expiry) + reg.PHASE_START_FALLBACK_DELAY());
        for (uint256 i; i < calls.length; ++i) {
            assertFalse(_settleAsAttacker(calls[i]), "an OptionSeries call through settle went through");
        }
        assertEq(reg.seriesCount(), 1);
        assertEq(reg.series(series).settlementRound, 0);
        assertEq(reg.owner(), s.governance);
        assertEq(reg.pendingOwner(), address(0));
        // Directly, too.
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, s.attacker));
        vm.prank(s.attacker);
        reg.list(MARKET, 3100e18, uint64(block.timestamp + 2 days), true);
    }

    /// @dev The attacker holds calls and wants a high settlement price: rounds before expiry and
    /// later (higher) rounds are refused, directly and through settle; only the first round counts.
    function test_attack_strangerCannotPickTheSettlementRound() public {
        uint80 early = _publish(expiry - 60, 3500e8);
        uint80 first = _publish(expiry + 12, 3010e8);
        uint80 later = _publish(expiry + 24, 3600e8);
        uint80 latest = _publish(expiry + 36, 3700e8);

        uint80[3] memory wrong = [early, later, latest];
        for (uint256 i; i < wrong.length; ++i) {
            vm.prank(s.attacker);
            vm.expectRevert();
            reg.settle(series, wrong[i]);
            assertFalse(
                _settleAsAttacker(abi.encodeCall(OptionSeries.settle, (series, wrong[i]))), "wrong round via settle"
            );
        }
        // Round ids the feed never published, or ahead of it.
        vm.prank(s.attacker);
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.InvalidRound.selector, latest + 1));
        reg.settle(series, latest + 1);
        vm.prank(s.attacker);
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.InvalidRound.selector, uint80(0)));
        reg.settle(series, 0);
        assertEq(reg.series(series).settlementRound, 0, "nothing settled yet");

        vm.prank(s.attacker);
        assertEq(reg.settle(series, first), 3010e18);
        assertEq(reg.payoff(series), 10e18);
        // Final: no second settlement at another round.
        vm.prank(s.attacker);
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.AlreadySettled.selector, series));
        reg.settle(series, later);
        assertEq(reg.series(series).settlementPrice, 3010e18);
    }

    /// @dev Before expiry nobody can settle, at any round, even one the feed publishes later.
    function test_attack_cannotSettleEarly() public {
        uint80 r = _publish(expiry - 1, 9000e8);
        vm.prank(s.attacker);
        vm.expectRevert(abi.encodeWithSelector(OptionSeries.NotExpired.selector, series, expiry));
        reg.settle(series, r);
        assertFalse(_settleAsAttacker(abi.encodeCall(OptionSeries.settle, (series, r))));
    }
}
