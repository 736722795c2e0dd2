// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {StdInvariant} from "forge-std/StdInvariant.sol";
import {Settlement} from "../../src/Settlement.sol";
import {OwnedToken, DaiLikeToken, MockNFT, MockPermit2} from "./AdversaryMocks.sol";
import {AdversarialBase} from "./AdversarialBase.sol";
import {SolverAdversaryHandler} from "./SolverAdversaryHandler.sol";

/// @notice Finding 3, kept OUT of the default adversarial set: a user who mistakenly approved
/// Settlement itself (instead of the Vault). Settlement's interaction filter blocks only the
/// selectors 0x23b872dd (ERC20/ERC721 transferFrom) and 0x36c78516 (Permit2's single
/// transferFrom); any other call that spends an allowance granted to msg.sender is open to a
/// solver. The planned answer is documentation, so these tests report the exposure rather than
/// gate the fix: run them with `--match-path 'test/adversarial/MistakenApproval.t.sol'`.
///
/// `mistaken` approved Settlement for 1,000 of a DAI-style token (move / pull / push aliases),
/// 1,000 usd (plain ERC20), all of its NFTs (ids 1, 2), and as a Permit2 spender of 1,000 usd.
contract MistakenApprovalTest is AdversarialBase {
    function _settleAsAttacker(address target, bytes memory data) internal returns (bool ok) {
        Settlement.Batch memory b;
        b.interactions = new Settlement.Interaction[](1);
        b.interactions[0] = Settlement.Interaction(target, 0, data);
        vm.prank(s.attacker);
        (ok,) = address(s.settlement).call(abi.encodeCall(Settlement.settle, (b)));
    }

    /// @notice Control: the guarded selector. Passes before and after.
    function test_mistakenApproval_erc20TransferFrom_isBlocked() public {
        bool ok = _settleAsAttacker(address(s.usd), abi.encodeCall(OwnedToken.transferFrom, (s.mistaken, s.attacker, 1_000e18)));
        assertFalse(ok, "transferFrom interaction must revert");
        assertEq(s.usd.balanceOf(s.mistaken), 5_000e18);
    }

    /// @notice DAI's `move(src, dst, wad)` is transferFrom under another selector.
    function test_mistakenApproval_daiMove_cannotBeSpent() public {
        bool ok = _settleAsAttacker(address(s.dai), abi.encodeCall(DaiLikeToken.move, (s.mistaken, s.attacker, 1_000e18)));
        assertEq(s.dai.balanceOf(s.mistaken), 1_000e18, "mistaken approval spent via move");
        assertFalse(ok, "move interaction must revert");
    }

    /// @notice DAI's `pull(usr, wad)`: transferFrom(usr, msg.sender = Settlement, wad); the solver
    /// then takes the tokens out of Settlement (here: a transfer it lists nothing for).
    function test_mistakenApproval_daiPull_cannotBeSpent() public {
        Settlement.Batch memory b;
        b.interactions = new Settlement.Interaction[](2);
        b.interactions[0] = Settlement.Interaction(address(s.dai), 0, abi.encodeCall(DaiLikeToken.pull, (s.mistaken, 1_000e18)));
        b.interactions[1] =
            Settlement.Interaction(address(s.dai), 0, abi.encodeCall(OwnedToken.transfer, (s.attacker, 1_000e18)));
        vm.prank(s.attacker);
        (bool ok,) = address(s.settlement).call(abi.encodeCall(Settlement.settle, (b)));
        assertEq(s.dai.balanceOf(s.mistaken), 1_000e18, "mistaken approval spent via pull");
        assertFalse(ok, "pull interaction must revert");
    }

    /// @notice ERC-721 `safeTransferFrom(from, to, id)` (0x42842e0e) with an operator approval.
    function test_mistakenApproval_erc721SafeTransferFrom_cannotBeSpent() public {
        bool ok = _settleAsAttacker(
            address(s.nft), abi.encodeWithSignature("safeTransferFrom(address,address,uint256)", s.mistaken, s.attacker, 1)
        );
        assertEq(s.nft.ownerOf(1), s.mistaken, "NFT taken via safeTransferFrom");
        assertFalse(ok, "safeTransferFrom interaction must revert");
    }

    /// @notice Permit2's batch `transferFrom((from, to, amount, token)[])` (0x0d58b1db): the single
    /// form is blocked, the batch form is not.
    function test_mistakenApproval_permit2BatchTransferFrom_cannotBeSpent() public {
        MockPermit2.AllowanceTransferDetails[] memory d = new MockPermit2.AllowanceTransferDetails[](1);
        d[0] = MockPermit2.AllowanceTransferDetails(s.mistaken, s.attacker, 1_000e18, address(s.usd));
        bool ok = _settleAsAttacker(
            address(s.permit2), abi.encodeWithSignature("transferFrom((address,address,uint160,address)[])", d)
        );
        assertEq(s.usd.balanceOf(s.mistaken), 5_000e18, "Permit2 allowance spent via batch transferFrom");
        assertFalse(ok, "Permit2 batch transferFrom interaction must revert");
    }

    /// @notice Control: Permit2's single transferFrom (0x36c78516) is blocked. Passes before and after.
    function test_mistakenApproval_permit2SingleTransferFrom_isBlocked() public {
        bool ok = _settleAsAttacker(
            address(s.permit2),
            abi.encodeWithSignature(
                "transferFrom(address,address,uint160,address)", s.mistaken, s.attacker, uint160(1_000e18), address(s.usd)
            )
        );
        assertFalse(ok, "Permit2 single transferFrom interaction must revert");
    }
}

/// @notice Invariant (d), separate from the default set: the same adversarial handler as
/// SolverAdversaryInvariant.t.sol (its catalogue includes move / pull / push, both ERC-721
/// safeTransferFroms, both Permit2 transferFroms, plain transferFrom, aimed at `mistaken`); this
/// asserts that nothing the mistaken approver granted to Settlement was ever spent.
contract MistakenApprovalInvariantTest is AdversarialBase {
    SolverAdversaryHandler internal handler;

    function setUp() public override {
        super.setUp();
        handler = new SolverAdversaryHandler(s, setupPositions);
        bytes4[] memory selectors = new bytes4[](2);
        selectors[0] = SolverAdversaryHandler.settleBatch.selector;
        selectors[1] = SolverAdversaryHandler.directCall.selector;
        targetSelector(StdInvariant.FuzzSelector(address(handler), selectors));
        targetContract(address(handler));
    }

    function invariant_mistakenApprovalNeverSpent() public view {
        MistakenSnapshot memory now_ = _mistakenState();
        MistakenSnapshot memory was = mistakenSnap;
        assertEq(now_.dai, was.dai, "DAI-style balance of the mistaken approver");
        assertEq(now_.daiAllowance, was.daiAllowance, "DAI-style allowance to Settlement spent");
        assertEq(now_.usd, was.usd, "usd balance of the mistaken approver");
        assertEq(now_.usdAllowance, was.usdAllowance, "usd allowance to Settlement spent");
        assertEq(now_.permit2Allowance, was.permit2Allowance, "Permit2 allowance to Settlement spent");
        assertEq(now_.nft1, was.nft1, "NFT 1 moved");
        assertEq(now_.nft2, was.nft2, "NFT 2 moved");
    }
}
