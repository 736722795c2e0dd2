// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Settlement} from "../../src/Settlement.sol";
import {SolverRegistry} from "../../src/SolverRegistry.sol";
import {ClearingHouse, ClearingHouseBase} from "../../src/perp/ClearingHouse.sol";
import {Position} from "../../src/perp/PerpMath.sol";
import {AdversarialBase} from "./AdversarialBase.sol";
import {AttackerHelper} from "./AdversaryMocks.sol";

/// @notice Regression tests, one per audit finding in which a bonded solver (anyone can bond) is
/// the attacker. Each builds the concrete attack and asserts that it FAILS, so a contract that
/// lacks the protection fails the test (the attack works there).
contract SolverAttacksTest is AdversarialBase {
    function _settleAsAttacker(Settlement.Interaction[] memory its) internal returns (bool ok, bytes memory ret) {
        Settlement.Batch memory b;
        b.interactions = its;
        vm.prank(s.attacker);
        (ok, ret) = address(s.settlement).call(abi.encodeCall(Settlement.settle, (b)));
    }

    function _oneMarket(uint256 price) internal pure returns (uint32[] memory ids, uint256[] memory prices) {
        ids = new uint32[](1);
        prices = new uint256[](1);
        ids[0] = MARKET;
        prices[0] = price;
    }

    function _pairFills(address a, address b, int256 d, bool reduceOnly)
        internal
        pure
        returns (ClearingHouseBase.Fill[] memory fills)
    {
        fills = new ClearingHouseBase.Fill[](2);
        fills[0] = ClearingHouseBase.Fill(a, d, 0, reduceOnly);
        fills[1] = ClearingHouseBase.Fill(b, -d, 0, reduceOnly);
    }

    /// @notice Finding 1: an interaction calling `ClearingHouse.settlePositions` directly (msg.sender
    /// is Settlement) forges trades on a victim's margin account that it never signed. Here: open
    /// 60 ETH long for the victim against the attacker's account at the mark, then close both at a
    /// price of 1 wei (reducing fills skip the deviation guard): the victim realises ~180,000 USD of
    /// loss, the attacker's account the same gain, which it withdraws.
    function test_attack_settlePositionsViaInteraction_cannotForgeVictimTrades() public {
        address victim = s.victims[1];
        address mine = s.trader2;
        int256 size = 60e18;
        (uint32[] memory ids, uint256[] memory atMark) = _oneMarket(3000e18);
        (, uint256[] memory atOneWei) = _oneMarket(1);
        Settlement.Interaction[] memory its = new Settlement.Interaction[](2);
        its[0] = Settlement.Interaction(
            address(s.ch), 0, abi.encodeCall(ClearingHouse.settlePositions, (ids, atMark, _pairFills(victim, mine, size, false)))
        );
        its[1] = Settlement.Interaction(
            address(s.ch), 0, abi.encodeCall(ClearingHouse.settlePositions, (ids, atOneWei, _pairFills(victim, mine, -size, true)))
        );
        uint256 attackerUsdBefore = s.usd.balanceOf(s.attacker);
        (bool ok,) = _settleAsAttacker(its);
        if (ok) {
            // cash out what the forged trades moved to the attacker's account
            int256 gain = s.ch.collateral(mine) - 50_000e18;
            if (gain > 0) {
                vm.prank(mine);
                s.ch.withdraw(uint256(gain), s.attacker);
            }
        }
        Position memory p = s.ch.position(victim, MARKET);
        assertEq(s.ch.collateral(victim), int256(VICTIM_MARGIN), "victim's margin collateral was drained");
        assertEq(p.size, 0, "victim's position was forged");
        assertEq(s.usd.balanceOf(s.attacker), attackerUsdBefore, "attacker profited");
        assertFalse(ok, "settle with a settlePositions interaction must revert");
    }

    /// @notice Finding 1, one fill: the same settlePositions call growing victims[0]'s existing
    /// position within the deviation guard (the smallest forged trade) must also be refused.
    function test_attack_settlePositionsViaInteraction_cannotTouchExistingPosition() public {
        address victim = s.victims[0];
        (uint32[] memory ids, uint256[] memory prices) = _oneMarket(3100e18);
        Settlement.Interaction[] memory its = new Settlement.Interaction[](1);
        its[0] = Settlement.Interaction(
            address(s.ch), 0, abi.encodeCall(ClearingHouse.settlePositions, (ids, prices, _pairFills(victim, s.trader1, 1e18, false)))
        );
        (bool ok,) = _settleAsAttacker(its);
        assertEq(s.ch.position(victim, MARKET).size, VICTIM0_POSITION, "victim's position was changed");
        assertFalse(ok, "settle with a settlePositions interaction must revert");
    }

    /// @notice Finding 2: an interaction sends Settlement's ETH (the solvers' bonds) to a helper
    /// contract that calls `bond{value}` with it: Settlement's ETH balance is unchanged, so the
    /// batch's ETH check passes, but the helper now owns a bond paid with other solvers' money; it
    /// exits, waits, and withdraws it, and the honest solver can no longer withdraw its own bond.
    function test_attack_bondTheftViaHelper_cannotStealOtherSolversBonds() public {
        uint256 pot = address(s.settlement).balance; // 15 ETH: every solver's bond
        Settlement.Interaction[] memory its = new Settlement.Interaction[](1);
        its[0] = Settlement.Interaction(
            address(s.helper),
            pot,
            abi.encodeCall(AttackerHelper.exec, (address(s.settlement), pot, abi.encodeCall(SolverRegistry.bond, ())))
        );
        (bool ok,) = _settleAsAttacker(its);
        (uint256 stolen,) = s.settlement.bondOf(address(s.helper));
        if (ok && stolen != 0) {
            vm.prank(s.attacker);
            s.helper.exec(address(s.settlement), 0, abi.encodeCall(SolverRegistry.requestExit, ()));
        }
        vm.prank(s.honest);
        s.settlement.requestExit();
        vm.warp(block.timestamp + UNBONDING_DELAY + 1);
        if (ok && stolen != 0) {
            vm.prank(s.attacker);
            s.helper.exec(address(s.settlement), 0, abi.encodeCall(SolverRegistry.withdrawBond, ()));
        }
        assertEq(address(s.helper).balance, 0, "helper walked away with bonded ETH");
        uint256 before = s.honest.balance;
        vm.prank(s.honest);
        (bool withdrew,) = address(s.settlement).call(abi.encodeCall(SolverRegistry.withdrawBond, ()));
        assertTrue(withdrew, "honest solver cannot withdraw its bond");
        assertEq(s.honest.balance - before, HONEST_BOND, "honest solver did not get its whole bond");
        assertEq(stolen, 0, "helper was bonded with Settlement's ETH");
        assertFalse(ok, "settle whose interaction re-enters bond() must revert");
    }

    /// @notice Finding 2, the registry's other entry points: while a settle runs, the helper cannot
    /// requestExit / withdrawBond / bond on its own account either (the registry reverts during
    /// settle). The helper first bonds legitimately, with its own ETH, outside any settle.
    function test_attack_registryReentryDuringSettle_reverts() public {
        vm.deal(address(s.helper), 1 ether);
        vm.prank(s.attacker);
        s.helper.exec(address(s.settlement), 1 ether, abi.encodeCall(SolverRegistry.bond, ()));
        bytes[3] memory calls = [
            abi.encodeCall(SolverRegistry.bond, ()),
            abi.encodeCall(SolverRegistry.requestExit, ()),
            abi.encodeCall(SolverRegistry.withdrawBond, ())
        ];
        uint256 landed;
        for (uint256 i; i < 3; ++i) {
            uint256 value = i == 0 ? 1 ether : 0;
            Settlement.Interaction[] memory its = new Settlement.Interaction[](1);
            its[0] = Settlement.Interaction(
                address(s.helper), value, abi.encodeCall(AttackerHelper.exec, (address(s.settlement), value, calls[i]))
            );
            (bool ok,) = _settleAsAttacker(its);
            if (ok) landed++;
        }
        assertEq(landed, 0, "a registry entry point ran inside settle");
    }
}
