// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Settlement} from "../../src/Settlement.sol";
import {OwnedToken, DaiLikeToken, MockNFT, MockPermit2} from "./AdversaryMocks.sol";
import {AdversarialBase} from "./AdversarialBase.sol";

/// @notice Audit finding 5, the documented limit of the trust model: a user who approves Settlement
/// itself instead of the Vault is not protected. Settlement holds no user approvals by design
/// (users approve the Vault, which pulls only for verified trades), but interactions run as
/// Settlement, so whatever allowance someone grants Settlement can be spent by some interaction.
/// Settlement refuses the two commonest spending selectors (ERC-20/721 `transferFrom` 0x23b872dd,
/// Permit2's single `transferFrom` 0x36c78516); no list of selectors could be complete, and these
/// tests pin down that the others (DAI's `move` / `pull`, ERC-721 `safeTransferFrom`, Permit2's
/// batch `transferFrom`) stay open, which is what the README's trust model says. If interactions
/// ever run from an unprivileged executor, these tests flip and the trust model gets stronger.
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

    /// @notice The filtered selector: refused.
    function test_mistakenApproval_erc20TransferFrom_isBlocked() public {
        bool ok = _settleAsAttacker(address(s.usd), abi.encodeCall(OwnedToken.transferFrom, (s.mistaken, s.attacker, 1_000e18)));
        assertFalse(ok, "transferFrom interaction must revert");
        assertEq(s.usd.balanceOf(s.mistaken), 5_000e18);
    }

    /// @notice DAI's `move(src, dst, wad)` is transferFrom under another selector.
    function test_documentedLimit_daiMove_spendsAnApprovalToSettlement() public {
        bool ok = _settleAsAttacker(address(s.dai), abi.encodeCall(DaiLikeToken.move, (s.mistaken, s.attacker, 1_000e18)));
        assertTrue(ok, "move is not filtered");
        assertEq(s.dai.balanceOf(s.mistaken), 0);
    }

    /// @notice DAI's `pull(usr, wad)`: transferFrom(usr, msg.sender = Settlement, wad); the solver
    /// then takes the tokens out of Settlement (here: a transfer it lists nothing for).
    function test_documentedLimit_daiPull_spendsAnApprovalToSettlement() public {
        Settlement.Batch memory b;
        b.interactions = new Settlement.Interaction[](2);
        b.interactions[0] = Settlement.Interaction(address(s.dai), 0, abi.encodeCall(DaiLikeToken.pull, (s.mistaken, 1_000e18)));
        b.interactions[1] =
            Settlement.Interaction(address(s.dai), 0, abi.encodeCall(OwnedToken.transfer, (s.attacker, 1_000e18)));
        vm.prank(s.attacker);
        (bool ok,) = address(s.settlement).call(abi.encodeCall(Settlement.settle, (b)));
        assertTrue(ok, "pull is not filtered");
        assertEq(s.dai.balanceOf(s.mistaken), 0);
    }

    /// @notice ERC-721 `safeTransferFrom(from, to, id)` (0x42842e0e) with an operator approval.
    function test_documentedLimit_erc721SafeTransferFrom_spendsAnApprovalToSettlement() public {
        bool ok = _settleAsAttacker(
            address(s.nft), abi.encodeWithSignature("safeTransferFrom(address,address,uint256)", s.mistaken, s.attacker, 1)
        );
        assertTrue(ok, "safeTransferFrom is not filtered");
        assertEq(s.nft.ownerOf(1), s.attacker);
    }

    /// @notice Permit2's batch `transferFrom((from, to, amount, token)[])` (0x0d58b1db): the single
    /// form is blocked, the batch form is not.
    function test_documentedLimit_permit2BatchTransferFrom_spendsAnApprovalToSettlement() public {
        MockPermit2.AllowanceTransferDetails[] memory d = new MockPermit2.AllowanceTransferDetails[](1);
        d[0] = MockPermit2.AllowanceTransferDetails(s.mistaken, s.attacker, 1_000e18, address(s.usd));
        bool ok = _settleAsAttacker(
            address(s.permit2), abi.encodeWithSignature("transferFrom((address,address,uint160,address)[])", d)
        );
        assertTrue(ok, "Permit2's batch transferFrom is not filtered");
        assertEq(s.usd.balanceOf(s.mistaken), 4_000e18);
    }

    /// @notice Permit2's single transferFrom (0x36c78516): refused.
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
