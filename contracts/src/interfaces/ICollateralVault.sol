// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice What the clearing house asks of the extra-collateral side of margin accounts
/// (`perp/CollateralVault.sol`): a value in every margin computation, a sale in liquidations.
interface ICollateralVault {
    /// @notice The account's extra collateral at haircut prices, in stablecoin base units; `strict`
    /// reverts on a stale feed, otherwise such a token counts zero.
    function value(address account, bool strict) external view returns (int256);

    /// @notice Sells the account's extra collateral to the insurance fund until it raised `need`
    /// stablecoin or none is left; returns what it raised.
    function seize(address account, int256 need) external returns (int256 bought);
}
