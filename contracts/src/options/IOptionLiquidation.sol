// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice What the clearing house's liquidation (`perp/Liquidation.sol`, run in the clearing house
/// by delegatecall) asks the option book (`OptionBook.sol`) when the liquidated account holds
/// options. Kept beside the book (not in `interfaces/`) because only the two of them use it.
interface IOptionLiquidation {
    /// @notice The penalty base of all of `account`'s transferable option legs (live series with a
    /// fresh mark and a fresh vol surface): per short leg its underlying notional ceil(|size| x mark),
    /// per long leg min(its model value, that notional). The clearing house adds it to the perps'
    /// notional when it picks the liquidation fraction, so the penalty the fraction allows for is
    /// the one `liquidateOptions` will return.
    function liquidationBase(address account) external view returns (int256 base);

    /// @notice Clearing house only (its liquidation, after it checked `account` is below
    /// maintenance and chose `fraction`): moves ceil(|size| x fraction) of each transferable leg of
    /// `account` to `liquidator` at the model value, paid through the clearing house's
    /// `optionCash` (the two calls net to zero). Returns the penalty base of what moved (as
    /// `liquidationBase`) and whether any leg moved.
    function liquidateOptions(address account, address liquidator, uint256 fraction)
        external
        returns (int256 base, bool moved);
}
