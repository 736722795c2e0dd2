// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Vm} from "forge-std/Vm.sol";
import {Settlement} from "../../src/Settlement.sol";
import {CircuitBreaker} from "../../src/perp/CircuitBreaker.sol";
import {ICircuitBreaker} from "../../src/interfaces/ICircuitBreaker.sol";
import {ClearingHouse} from "../../src/perp/ClearingHouse.sol";
import {AdversarialBase} from "./AdversarialBase.sol";
import {Ownable2Step} from "../../src/governance/Ownable2Step.sol";

/// @notice A bonded solver's interactions run with Settlement as msg.sender and may call any
/// contract. Settlement is neither the breaker's owner nor the clearing house's, so through settle a
/// solver can neither configure the breaker, take its ownership, swap the clearing house's breaker
/// nor lift a halt; and `observe`, which anyone may call, only trips on what the market's real feed
/// shows: a stranger's feed or calldata cannot make it halt a market whose history does not justify it.
contract CircuitBreakerAttacksTest is AdversarialBase {
    CircuitBreaker breaker;

    function setUp() public override {
        super.setUp();
        breaker = new CircuitBreaker(s.governance, address(s.ch));
        vm.startPrank(s.governance);
        breaker.setConfig(MARKET, CircuitBreaker.Config(0.1e18, 1 hours, 30 minutes));
        s.ch.setCircuitBreaker(breaker);
        vm.stopPrank();
    }

    function _settleAsAttacker(address target, bytes memory data) internal returns (bool ok) {
        Settlement.Interaction[] memory its = new Settlement.Interaction[](1);
        its[0] = Settlement.Interaction(target, 0, data);
        Settlement.Batch memory b;
        b.interactions = its;
        vm.prank(s.attacker);
        (ok,) = address(s.settlement).call(abi.encodeCall(Settlement.settle, (b)));
    }

    function _crash() internal {
        vm.warp(block.timestamp + 5 minutes);
        vm.prank(s.feeder);
        s.ethFeed.submit(ETH_ANSWER * 7 / 10);
    }

    function test_attack_breakerThroughSettlement_cannotConfigureOrTakeOver() public {
        bytes[] memory calls = new bytes[](5);
        calls[0] = abi.encodeCall(CircuitBreaker.setConfig, (MARKET, CircuitBreaker.Config(0, 0, 0)));
        calls[1] = abi.encodeCall(CircuitBreaker.setConfig, (MARKET, CircuitBreaker.Config(0.5e18, 1 minutes, 1 minutes)));
        calls[2] = abi.encodeCall(Ownable2Step.transferOwnership, (s.attacker));
        calls[3] = abi.encodeCall(Ownable2Step.acceptOwnership, ());
        calls[4] = abi.encodeCall(ClearingHouse.setCircuitBreaker, (ICircuitBreaker(address(0))));
        for (uint256 i; i < calls.length; ++i) {
            address target = i == 4 ? address(s.ch) : address(breaker);
            assertFalse(_settleAsAttacker(target, calls[i]), "a breaker call through settle went through");
        }
        CircuitBreaker.Config memory c = breaker.config(MARKET);
        assertEq(c.maxMove, 0.1e18);
        assertEq(c.window, 1 hours);
        assertEq(c.cooldown, 30 minutes);
        assertEq(breaker.owner(), s.governance);
        assertEq(breaker.pendingOwner(), address(0));
        assertEq(address(s.ch.circuitBreaker()), address(breaker));
    }

    /// A real crash halts the market; nothing a solver's interaction sends (a config of zero, which
    /// would lift the halt, or the clearing house dropping its breaker) ends it early.
    function test_attack_cannotLiftAHalt() public {
        _crash();
        assertTrue(breaker.observe(MARKET));
        uint64 until = breaker.haltedUntil(MARKET);
        assertFalse(_settleAsAttacker(address(breaker), abi.encodeCall(CircuitBreaker.setConfig, (MARKET, CircuitBreaker.Config(0, 0, 0)))));
        assertFalse(
            _settleAsAttacker(address(s.ch), abi.encodeCall(ClearingHouse.setCircuitBreaker, (ICircuitBreaker(address(0)))))
        );
        // an interaction observing again changes nothing either (same block: same decision)
        assertTrue(_settleAsAttacker(address(breaker), abi.encodeCall(CircuitBreaker.observe, (MARKET))));
        (bool halted, uint64 u) = breaker.isHalted(MARKET);
        assertTrue(halted);
        assertEq(u, until);
        assertEq(breaker.haltedUntil(MARKET), until);
    }

    /// With a history that moves less than maxMove, a stranger's observe (directly or through
    /// settle) halts nothing, writes nothing and emits nothing.
    function test_attack_strangerObserve_cannotTripWithoutARealMove() public {
        // 9% down within the window: below the 10% max move (a fall of f is a move of f / (1 - f))
        vm.warp(block.timestamp + 5 minutes);
        vm.prank(s.feeder);
        s.ethFeed.submit(ETH_ANSWER * 92 / 100);
        vm.recordLogs();
        vm.prank(s.attacker);
        assertFalse(breaker.observe(MARKET));
        assertTrue(_settleAsAttacker(address(breaker), abi.encodeCall(CircuitBreaker.observe, (MARKET))));
        vm.prank(s.attacker);
        assertFalse(breaker.observe(MARKET + 1), "an unconfigured market");
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            assertTrue(logs[i].emitter != address(breaker), "the breaker emitted");
        }
        assertEq(breaker.haltedUntil(MARKET), 0);
        (bool halted,) = breaker.isHalted(MARKET);
        assertFalse(halted);
        // and observe takes no feed from its caller: the feed is the clearing house's listing
        (bool trips,,) = breaker.move(MARKET);
        assertFalse(trips);
    }
}
