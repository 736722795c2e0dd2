// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title InteractionGuard
/// @notice Settlement's interactions: which calls a solver may have Settlement make, the call
/// itself, and the two transient markers that decide who may act on a call from Settlement.
///
/// An interaction is an arbitrary call that Settlement makes as itself on a solver's behalf, so
/// every contract that grants Settlement a privilege has to tell Settlement's own calls from a
/// solver's. The trusted-callee marker does that (`ITrustedCaller`): Settlement names, in transient
/// storage, the one contract it is calling on its own behalf, for exactly the length of that call,
/// and interactions run only while the marker is zero. So a contract protects itself with one check
/// and needs no entry in a list here; the target and selector checks in `check` protect nobody on
/// their own, they make two mistakes fail early and clearly.
///
/// The callback marker holds the target of the interaction running now, the one address whose
/// Uniswap V3 swap callback Settlement pays, and only once (`Settlement.uniswapV3SwapCallback`).
///
/// Both markers live at fixed transient slots derived from their names (keccak256 of the name,
/// minus one), away from the slots the compiler gives Settlement's own transient variables.
library InteractionGuard {
    /// @dev `transferFrom(address,address,uint256)` (ERC20 and ERC721) and Permit2's
    /// `transferFrom(address,address,uint160,address)`. Settlement holds no user approvals by
    /// design (users approve the Vault; nothing in this project asks for an approval to
    /// Settlement), so interactions never need these two selectors and they are refused. This is a
    /// courtesy for the commonest mistake, not a guarantee: other ways to spend an allowance (DAI's
    /// `move`/`pull`, Permit2's batch transfer, ERC-721 `safeTransferFrom`, a token's own extension)
    /// are not filtered and no list could be complete, so an approval given to Settlement itself is
    /// as exposed as tokens sent to it (see Settlement's trust model).
    bytes4 internal constant ERC20_TRANSFER_FROM = 0x23b872dd;
    bytes4 internal constant PERMIT2_TRANSFER_FROM = 0x36c78516;

    /// @dev keccak256("Settlement.trustedCallee") - 1.
    uint256 private constant TRUSTED_CALLEE_SLOT = 0xafc4cb9e1a1cb62a2124f0f0cb0362947553cc0d96d02d1fb43b9fefb500dd3e;
    /// @dev keccak256("Settlement.callbackPool") - 1.
    uint256 private constant CALLBACK_POOL_SLOT = 0x43e7641e5d6d92912271bb0a91588c5041b42946b6b2396afa864f1b9da5a1a7;

    /// @notice Interaction `interaction` targets Settlement itself or the Vault.
    error ForbiddenInteractionTarget(uint256 interaction, address target);
    /// @notice Interaction `interaction` calls one of the two plain `transferFrom` selectors.
    error ForbiddenInteractionSelector(uint256 interaction, bytes4 selector);

    // ------------------------------------------------------------------ checks and the call

    /// @notice Refuses an interaction aimed at the calling contract (Settlement never calls itself)
    /// or at `vault` (a misrouted pull then fails with this error rather than the Vault's own), or
    /// whose calldata starts with `ERC20_TRANSFER_FROM` or `PERMIT2_TRANSFER_FROM`.
    /// @param index The interaction's position in the batch, for the error.
    function check(uint256 index, address target, bytes calldata data, address vault) internal view {
        if (target == vault || target == address(this)) revert ForbiddenInteractionTarget(index, target);
        if (data.length >= 4) {
            bytes4 selector = bytes4(data[:4]);
            if (selector == ERC20_TRANSFER_FROM || selector == PERMIT2_TRANSFER_FROM) {
                revert ForbiddenInteractionSelector(index, selector);
            }
        }
    }

    /// @notice `target.call{value: value}(data)`, with `target` as the callback marker for the
    /// length of the call; a revert bubbles up unchanged. The calldata is copied to free memory
    /// once (no ABI re-encoding) and the return data is never copied: interactions return nothing
    /// Settlement reads.
    function execute(address target, uint256 value, bytes calldata data) internal {
        assembly ("memory-safe") {
            tstore(CALLBACK_POOL_SLOT, target)
            let m := mload(0x40)
            calldatacopy(m, data.offset, data.length)
            if iszero(call(gas(), target, value, m, data.length, 0, 0)) {
                returndatacopy(m, 0, returndatasize())
                revert(m, returndatasize())
            }
            tstore(CALLBACK_POOL_SLOT, 0)
        }
    }

    // ------------------------------------------------------------------ markers

    /// @notice Names `callee` as the one contract Settlement is calling on its own behalf (zero:
    /// none). Between setting a callee and clearing it, Settlement makes only its privileged calls to
    /// that callee and EIP-1271 staticcalls, which cannot change state.
    function setTrustedCallee(address callee) internal {
        assembly ("memory-safe") {
            tstore(TRUSTED_CALLEE_SLOT, callee)
        }
    }

    /// @notice The contract Settlement is calling on its own behalf right now, else address(0).
    function trustedCallee() internal view returns (address callee) {
        assembly ("memory-safe") {
            callee := tload(TRUSTED_CALLEE_SLOT)
        }
    }

    /// @notice The target of the interaction running now, while its Uniswap V3 callback is still
    /// unpaid; else address(0).
    function callbackPool() internal view returns (address pool) {
        assembly ("memory-safe") {
            pool := tload(CALLBACK_POOL_SLOT)
        }
    }

    /// @notice Marks the running interaction's callback as paid.
    function clearCallbackPool() internal {
        assembly ("memory-safe") {
            tstore(CALLBACK_POOL_SLOT, 0)
        }
    }
}
