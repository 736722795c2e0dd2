// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice What the clearing house's liquidation and auto-deleveraging (`perp/Liquidation.sol`,
/// `perp/Deleverage.sol`, run in the clearing house by delegatecall) ask the option book
/// (`OptionBook.sol`) when the account holds options. Kept beside the book (not in `interfaces/`)
/// because only the two of them use it.
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

    /// @notice Clearing house only (its auto-deleveraging, after it found `account` bankrupt beyond
    /// the insurance fund): closes every option leg of `account` at the model value against the
    /// `counterparties` that hold the opposite side at a profit over their entry premium, most
    /// profitable per unit of underlying notional first (checked among those given), each taking
    /// what it holds up to what is left; cash through `optionCash`. Returns per counterparty the
    /// underlying notional it took and the profit it realised (>= 0), summed over the series, for
    /// the clearing house to share the rest of the loss by. Reverts unless every leg closes.
    function deleverageOptions(address account, address[] calldata counterparties)
        external
        returns (int256[] memory taken, int256[] memory profit);
}
