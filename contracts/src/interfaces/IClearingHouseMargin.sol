// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice What the `CollateralVault` needs from its clearing house.
interface IClearingHouseMargin {
    function owner() external view returns (address);
    function collateralToken() external view returns (address);
    function collateralDecimals() external view returns (uint8);
    /// @dev Reverts `InsufficientMargin` unless `account` meets initial margin (strict reads).
    function requireWithdrawable(address account) external view;
}
