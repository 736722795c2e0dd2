// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title TokenTransfer
/// @notice ERC20 calls that tolerate tokens which return nothing (USDT-style) and reject tokens that
/// return `false`. A call "succeeds" iff it did not revert and either returned a 32-byte word equal
/// to 1, or returned no data at all from an address that has code (a call to an address without
/// code also "succeeds" at the EVM level, so that case must be rejected explicitly).
/// @dev Written with scratch-space assembly so no memory is allocated per transfer: the settlement
/// makes two of these calls per trade and memory growth is quadratic.
library TokenTransfer {
    /// @notice `token.transfer(to, amount)` failed or returned false.
    error TransferFailed(address token, address to, uint256 amount);
    /// @notice `token.transferFrom(from, to, amount)` failed or returned false.
    error TransferFromFailed(address token, address from, address to, uint256 amount);
    /// @notice `token.balanceOf(account)` reverted or returned less than 32 bytes.
    error BalanceQueryFailed(address token);

    function safeTransfer(address token, address to, uint256 amount) internal {
        bool ok;
        assembly ("memory-safe") {
            let fmp := mload(0x40)
            mstore(0x00, 0xa9059cbb) // transfer(address,uint256)
            mstore(0x20, to)
            mstore(0x40, amount)
            ok := call(gas(), token, 0, 0x1c, 0x44, 0x00, 0x20)
            ok := and(ok, or(and(eq(mload(0x00), 1), gt(returndatasize(), 0x1f)), iszero(returndatasize())))
            if and(ok, iszero(returndatasize())) { ok := gt(extcodesize(token), 0) }
            mstore(0x40, fmp)
        }
        if (!ok) revert TransferFailed(token, to, amount);
    }

    function safeTransferFrom(address token, address from, address to, uint256 amount) internal {
        bool ok;
        assembly ("memory-safe") {
            let fmp := mload(0x40)
            mstore(0x00, 0x23b872dd) // transferFrom(address,address,uint256)
            mstore(0x20, from)
            mstore(0x40, to)
            mstore(0x60, amount)
            ok := call(gas(), token, 0, 0x1c, 0x64, 0x00, 0x20)
            ok := and(ok, or(and(eq(mload(0x00), 1), gt(returndatasize(), 0x1f)), iszero(returndatasize())))
            if and(ok, iszero(returndatasize())) { ok := gt(extcodesize(token), 0) }
            mstore(0x60, 0) // restore the zero slot
            mstore(0x40, fmp)
        }
        if (!ok) revert TransferFromFailed(token, from, to, amount);
    }

    function balanceOf(address token, address account) internal view returns (uint256 amount) {
        bool ok;
        assembly ("memory-safe") {
            mstore(0x00, 0x70a08231) // balanceOf(address)
            mstore(0x20, account)
            ok := staticcall(gas(), token, 0x1c, 0x24, 0x00, 0x20)
            ok := and(ok, gt(returndatasize(), 0x1f)) // separate statement: Yul evaluates arguments right to left
            amount := mload(0x00)
        }
        if (!ok) revert BalanceQueryFailed(token);
    }
}
