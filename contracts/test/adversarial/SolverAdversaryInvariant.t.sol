// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {StdInvariant} from "forge-std/StdInvariant.sol";
import {console2} from "forge-std/console2.sol";
import {Position} from "../../src/perp/PerpMath.sol";
import {AdversarialBase} from "./AdversarialBase.sol";
import {SolverAdversaryHandler} from "./SolverAdversaryHandler.sol";

/// @notice The solver is the adversary. A bonded attacker (anyone can bond) drives
/// `SolverAdversaryHandler`: batches with arbitrary interactions against every deployed contract,
/// its own signed position legs, forged/replayed victim intents, and direct calls to every entry
/// point. The victims sign nothing during the run. Invariants:
///   (a) `invariant_victimWalletsAndVaultAllowances`, `invariant_victimMarginAccounts`: every
///       victim's token balances, Vault allowances, clearing-house collateral, CollateralVault
///       balance and position (size, open notional) are as in setUp; victims[0]'s collateral may
///       move by funding only (`_victim0FundingBound`);
///   (b) `invariant_bondsIntact`: every bond is what its owner put in (no slashing happens), and
///       Settlement holds at least the sum of all bonds in ETH;
///       `invariant_honestSolverCanExitWithFullBond` (every step, including the last, on a
///       rolled-back snapshot): the honest solver can request exit and withdraw its whole bond;
///   (c) `invariant_clearingHouseBooks`: usd.balanceOf(clearingHouse) == sum(collateral of every
///       account that can hold any) + insuranceFund + pnlFloat.
/// The mistaken-approval victim is checked separately (MistakenApprovalInvariant.t.sol).
contract SolverAdversaryInvariantTest is AdversarialBase {
    SolverAdversaryHandler internal handler;

    function setUp() public override {
        super.setUp();
        handler = new SolverAdversaryHandler(s, setupPositions);
        bytes4[] memory selectors = new bytes4[](4);
        selectors[0] = SolverAdversaryHandler.settleBatch.selector;
        selectors[1] = SolverAdversaryHandler.directCall.selector;
        selectors[2] = SolverAdversaryHandler.keeperTick.selector;
        selectors[3] = SolverAdversaryHandler.helperCashOut.selector;
        targetSelector(StdInvariant.FuzzSelector(address(handler), selectors));
        targetContract(address(handler));
    }

    // ------------------------------------------------------------------ (a) victims

    function invariant_victimWalletsAndVaultAllowances() public view {
        for (uint256 i; i < 3; ++i) {
            address v = s.victims[i];
            VictimSnapshot memory was = snap[v];
            VictimSnapshot memory now_ = _victimState(v);
            assertEq(now_.usd, was.usd, "victim usd balance");
            assertEq(now_.weth, was.weth, "victim weth balance");
            assertEq(now_.tokB, was.tokB, "victim tokB balance");
            assertEq(now_.allowUsd, was.allowUsd, "victim usd allowance to Vault");
            assertEq(now_.allowWeth, was.allowWeth, "victim weth allowance to Vault");
            assertEq(now_.allowTokB, was.allowTokB, "victim tokB allowance to Vault");
        }
    }

    function invariant_victimMarginAccounts() public view {
        for (uint256 i; i < 3; ++i) {
            address v = s.victims[i];
            VictimSnapshot memory was = snap[v];
            VictimSnapshot memory now_ = _victimState(v);
            assertEq(now_.size, was.size, "victim position size");
            assertEq(now_.openNotional, was.openNotional, "victim position open notional");
            assertEq(now_.extra, was.extra, "victim CollateralVault balance");
            if (i == 0) {
                int256 bound = _victim0FundingBound();
                assertGe(now_.collateral, was.collateral - bound, "victims[0] collateral moved by more than funding");
                assertLe(now_.collateral, was.collateral + bound, "victims[0] collateral moved by more than funding");
            } else {
                assertEq(now_.collateral, was.collateral, "victim clearing-house collateral");
            }
        }
    }

    // ------------------------------------------------------------------ (b) bonds

    function invariant_bondsIntact() public view {
        uint256 sum;
        uint256 n = handler.bonderCount();
        for (uint256 i; i < n; ++i) {
            address b = handler.bonders(i);
            (uint256 amount,) = s.settlement.bondOf(b);
            assertEq(amount, handler.expectedBond(b), string.concat("bond of ", vm.getLabel(b)));
            sum += amount;
        }
        assertGe(address(s.settlement).balance, sum, "Settlement ETH >= sum of bonds");
    }

    /// @notice At every step, so also at the end of every run: the honest solver could request exit
    /// now, wait out the unbonding delay and withdraw its whole bond (tried on a state snapshot,
    /// then rolled back). A per-step invariant rather than an afterInvariant hook, so a failure is
    /// reported under this name instead of under whichever invariant's campaign ran.
    function invariant_honestSolverCanExitWithFullBond() public {
        _assertHonestExit();
    }

    function _assertHonestExit() internal {
        uint256 snapshot = vm.snapshotState();
        uint256 before = s.honest.balance;
        vm.prank(s.honest);
        s.settlement.requestExit();
        vm.warp(block.timestamp + UNBONDING_DELAY + 1);
        vm.prank(s.honest);
        (bool ok,) = address(s.settlement).call(abi.encodeWithSignature("withdrawBond()"));
        uint256 got = s.honest.balance - before;
        vm.revertToState(snapshot);
        assertTrue(ok, "honest solver could not withdraw its bond");
        assertEq(got, HONEST_BOND, "honest solver got its whole bond back");
    }

    // ------------------------------------------------------------------ (c) clearing-house books

    function invariant_clearingHouseBooks() public view {
        int256 sum = s.ch.insuranceFund() + s.ch.pnlFloat();
        uint256 n = handler.chAccountCount();
        for (uint256 i; i < n; ++i) {
            sum += s.ch.collateral(handler.chAccounts(i));
        }
        assertEq(int256(s.usd.balanceOf(address(s.ch))), sum, "usd held == sum(collateral) + insurance + float");
    }

    // ------------------------------------------------------------------ the handler does attack

    /// @notice Drives every catalogue kind once through a settle and once directly, plus the
    /// attacker's own position leg and each forged/replayed-intent option, and checks that each was
    /// attempted and that legitimate settles (own position leg, pool swaps) land, so a passing
    /// invariant run means the attacks were tried and failed, not that nothing ran. Passes before
    /// and after the fixes; it logs which attack kinds landed.
    function test_handlerAttemptsEveryAttackClass() public {
        uint256 kinds = handler.KINDS();
        for (uint256 k; k < kinds; ++k) {
            handler.settleBatch(k, 0, 0, 1, 0);
            handler.directCall(k);
        }
        handler.settleBatch(K_PAIR(), 0, 0, 1, 1); // own position leg + a pool swap
        handler.settleBatch(0, 0, 0, 7, 1); // own position leg alone
        handler.settleBatch(0, 0, 0, 7, 1 << 2); // forged victim position trade
        handler.settleBatch(0, 0, 0, 7, 2 << 2); // replay of the victim's setUp position intent
        handler.settleBatch(0, 0, 0, 7, 3 << 2); // forged victim swap intent
        handler.keeperTick(1, 0);
        handler.helperCashOut(0);
        handler.helperCashOut(0);
        for (uint256 k; k < kinds; ++k) {
            assertGt(handler.attempted(k), 0, "kind attempted in a settle");
            assertGt(handler.directAttempted(k), 0, "kind attempted directly");
            console2.log("kind", k, "landed in settle", handler.landed(k));
        }
        assertGt(handler.ownLegLanded(), 0, "attacker's own position leg settles");
        assertGt(handler.landed(K_PAIR()), 0, "Uniswap V2 swap settles");
        assertGt(handler.landed(17), 0, "StableSwap swap settles");
        assertEq(handler.forgedLegLanded(), 0, "forged victim position intent accepted");
        assertEq(handler.replayLanded(), 0, "replayed victim position intent accepted");
        assertEq(handler.forgedSwapLanded(), 0, "forged victim swap intent accepted");
        assertGt(handler.forgedLegAttempted() * handler.replayAttempted() * handler.forgedSwapAttempted(), 0);
        assertGt(handler.keeperTicks(), 0);
        assertGt(handler.cashOutCalls(), 0);
    }

    function K_PAIR() internal pure returns (uint256) {
        return 16;
    }
}
