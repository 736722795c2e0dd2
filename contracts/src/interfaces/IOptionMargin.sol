// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice What the clearing house asks the option book (`options/OptionBook.sol`) when it values an
/// account that holds options: the options' part of the account's health.
interface IOptionMargin {
    /// @notice The account's options as adjustments to the clearing house's perp-only health:
    /// `value` is added to equity (the options' model value, short legs negative); `initialDelta`
    /// and `maintenanceDelta` are added to the requirements (the portfolio requirement of each
    /// underlying the account holds options on, minus the perp's standalone requirement there, which
    /// the clearing house has already counted). `strict` reverts on a stale mark or surface.
    function optionHealth(address account, bool strict)
        external
        view
        returns (int256 value, int256 initialDelta, int256 maintenanceDelta);

    /// @notice Whether the book's `checkMargins` is still to value `account` in the running
    /// `Settlement.settle`: an option fill of this batch touched it and the check has not run. The
    /// clearing house's own batch check then leaves the account to it (one valuation, not two:
    /// Settlement makes that check right after the positions whenever the batch has options).
    function marginCheckPending(address account) external view returns (bool);
}
