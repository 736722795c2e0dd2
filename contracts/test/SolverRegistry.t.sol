// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {Settlement} from "../src/Settlement.sol";
import {SolverRegistry} from "../src/SolverRegistry.sol";

contract RejectsEth {
    receive() external payable {
        revert("no");
    }
}

contract SolverRegistryTest is Test {
    uint256 internal constant MIN_BOND = 1 ether;
    uint256 internal constant DELAY = 7 days;
    Settlement internal s;
    address internal gov = makeAddr("gov");
    address internal solver = makeAddr("solver");

    function setUp() public {
        vm.warp(1_700_000_000);
        s = new Settlement(gov, MIN_BOND, DELAY);
        vm.deal(solver, 10 ether);
    }

    function test_constructorRejectsZeroOwner() public {
        vm.expectRevert(SolverRegistry.ZeroAddress.selector);
        new Settlement(address(0), MIN_BOND, DELAY);
    }

    function test_constructorRejectsHugeDelay() public {
        uint256 delay = uint256(type(uint32).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(SolverRegistry.UnbondingDelayTooLong.selector, delay));
        new Settlement(gov, MIN_BOND, delay);
    }

    function test_bondTopUpExitWithdraw() public {
        vm.expectEmit(address(s));
        emit SolverRegistry.SolverBonded(solver, MIN_BOND, MIN_BOND);
        vm.prank(solver);
        s.bond{value: MIN_BOND}();
        assertTrue(s.isSolver(solver));
        vm.prank(solver);
        s.bond{value: 1}(); // top-up of any size once above the minimum
        (uint256 amount, uint256 exitableAt) = s.bondOf(solver);
        assertEq(amount, MIN_BOND + 1);
        assertEq(exitableAt, 0);

        vm.prank(solver);
        s.requestExit();
        assertFalse(s.isSolver(solver));
        (, exitableAt) = s.bondOf(solver);
        assertEq(exitableAt, block.timestamp + DELAY);

        vm.warp(block.timestamp + DELAY);
        uint256 before = solver.balance;
        vm.prank(solver);
        s.withdrawBond();
        assertEq(solver.balance - before, MIN_BOND + 1);
        (amount, exitableAt) = s.bondOf(solver);
        assertEq(amount, 0);
        assertEq(exitableAt, 0);
        assertEq(address(s).balance, 0);
    }

    function test_revert_bondBelowMinimum() public {
        vm.expectRevert(abi.encodeWithSelector(SolverRegistry.BondBelowMinimum.selector, MIN_BOND - 1, MIN_BOND));
        vm.prank(solver);
        s.bond{value: MIN_BOND - 1}();
    }

    function test_revert_bondOverflow() public {
        uint256 huge = uint256(type(uint128).max);
        vm.deal(solver, huge + 1);
        vm.prank(solver);
        s.bond{value: huge}();
        vm.expectRevert(SolverRegistry.BondOverflow.selector);
        vm.prank(solver);
        s.bond{value: 1}();
    }

    function test_revert_bondWhileExiting() public {
        _bond();
        vm.prank(solver);
        s.requestExit();
        vm.expectRevert(abi.encodeWithSelector(SolverRegistry.SolverExiting.selector, solver, block.timestamp + DELAY));
        vm.prank(solver);
        s.bond{value: 1}();
    }

    function test_revert_requestExitTwice() public {
        _bond();
        vm.prank(solver);
        s.requestExit();
        vm.expectRevert(abi.encodeWithSelector(SolverRegistry.SolverExiting.selector, solver, block.timestamp + DELAY));
        vm.prank(solver);
        s.requestExit();
    }

    function test_revert_requestExitWithoutBond() public {
        vm.expectRevert(abi.encodeWithSelector(SolverRegistry.NotSolver.selector, solver));
        vm.prank(solver);
        s.requestExit();
    }

    function test_revert_withdrawWithoutExit() public {
        _bond();
        vm.expectRevert(abi.encodeWithSelector(SolverRegistry.ExitNotRequested.selector, solver));
        vm.prank(solver);
        s.withdrawBond();
    }

    function test_revert_withdrawBeforeDelay() public {
        _bond();
        vm.prank(solver);
        s.requestExit();
        vm.warp(block.timestamp + DELAY - 1);
        vm.expectRevert(
            abi.encodeWithSelector(SolverRegistry.UnbondingNotElapsed.selector, block.timestamp + 1, block.timestamp)
        );
        vm.prank(solver);
        s.withdrawBond();
    }

    function test_slash() public {
        _bond();
        address victim = makeAddr("victim");
        vm.expectEmit(address(s));
        emit SolverRegistry.SolverSlashed(solver, 0.4 ether, victim);
        vm.prank(gov);
        s.slash(solver, 0.4 ether, victim);
        assertEq(victim.balance, 0.4 ether);
        (uint256 amount,) = s.bondOf(solver);
        assertEq(amount, 0.6 ether);
        assertFalse(s.isSolver(solver), "below the minimum after the slash");
        // An exiting solver can still be slashed during the delay.
        vm.prank(solver);
        s.requestExit();
        vm.prank(gov);
        s.slash(solver, 0.6 ether, victim);
        assertEq(victim.balance, 1 ether);
    }

    function test_revert_slashNotOwner() public {
        _bond();
        vm.expectRevert(abi.encodeWithSelector(SolverRegistry.NotOwner.selector, solver));
        vm.prank(solver);
        s.slash(solver, 1, solver);
    }

    function test_revert_slashExceedsBond() public {
        _bond();
        vm.expectRevert(abi.encodeWithSelector(SolverRegistry.SlashExceedsBond.selector, MIN_BOND + 1, MIN_BOND));
        vm.prank(gov);
        s.slash(solver, MIN_BOND + 1, gov);
    }

    function test_revert_slashToZeroAddress() public {
        _bond();
        vm.expectRevert(SolverRegistry.ZeroAddress.selector);
        vm.prank(gov);
        s.slash(solver, 1, address(0));
    }

    function test_revert_ethTransferFailed() public {
        _bond();
        RejectsEth sink = new RejectsEth();
        vm.expectRevert(abi.encodeWithSelector(SolverRegistry.EthTransferFailed.selector, address(sink), 1));
        vm.prank(gov);
        s.slash(solver, 1, address(sink));
    }

    function test_ownershipTwoStep() public {
        address next = makeAddr("next");
        vm.expectRevert(abi.encodeWithSelector(SolverRegistry.NotOwner.selector, next));
        vm.prank(next);
        s.transferOwnership(next);

        vm.prank(gov);
        s.transferOwnership(next);
        assertEq(s.pendingOwner(), next);
        assertEq(s.owner(), gov);

        vm.expectRevert(abi.encodeWithSelector(SolverRegistry.NotPendingOwner.selector, gov));
        vm.prank(gov);
        s.acceptOwnership();

        vm.expectEmit(address(s));
        emit SolverRegistry.OwnershipTransferred(gov, next);
        vm.prank(next);
        s.acceptOwnership();
        assertEq(s.owner(), next);
        assertEq(s.pendingOwner(), address(0));

        _bond();
        vm.expectRevert(abi.encodeWithSelector(SolverRegistry.NotOwner.selector, gov));
        vm.prank(gov);
        s.slash(solver, 1, gov);
    }

    function testFuzz_bondAccounting(uint96 first, uint96 second, uint96 slashed) public {
        vm.assume(uint256(first) >= MIN_BOND);
        vm.deal(solver, uint256(first) + second);
        vm.prank(solver);
        s.bond{value: first}();
        vm.prank(solver);
        s.bond{value: second}();
        uint256 total = uint256(first) + second;
        uint256 cut = bound(slashed, 0, total);
        vm.prank(gov);
        s.slash(solver, cut, gov);
        (uint256 amount,) = s.bondOf(solver);
        assertEq(amount, total - cut);
        assertEq(address(s).balance, total - cut, "contract holds exactly the bonds");
        assertEq(s.isSolver(solver), total - cut >= MIN_BOND);
    }

    function _bond() internal {
        vm.prank(solver);
        s.bond{value: MIN_BOND}();
    }
}
