// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ClearingHouseBase} from "./ClearingHouseBase.sol";
import {Deleverage} from "./Deleverage.sol";

/// @title AutoDeleverageModule
/// @notice Where `ClearingHouse.autoDeleverage` runs: the clearing house deploys this module in its
/// constructor and calls it by DELEGATECALL (same storage layout through `ClearingHouseBase`), so
/// its events come from the clearing house and it changes only the clearing house's state. A
/// separate contract only for the EIP-170 code size limit: the clearing house has no room for the
/// ADL code (`Deleverage`). Called directly it refuses (`OnlyDelegateCall`).
contract AutoDeleverageModule is ClearingHouseBase {
    using Deleverage for State;

    error OnlyDelegateCall();

    address private immutable _self;

    constructor(
        address settlement_,
        address collateralToken_,
        uint8 collateralDecimals_,
        int256 liquidationPenalty_,
        int256 liquidatorShare_
    ) ClearingHouseBase(address(0), settlement_, collateralToken_, collateralDecimals_, liquidationPenalty_, liquidatorShare_) {
        _self = address(this);
    }

    /// @notice Auto-deleverages the bankrupt `account` against `counterparties`, listed most
    /// profitable first (`Deleverage.autoDeleverage`). Only the `deleverager` governance appointed
    /// may call: the ranking over the whole market cannot be checked on chain, so whoever lists
    /// the counterparties must be answerable for it.
    function autoDeleverage(address account, address[] calldata counterparties) external {
        if (address(this) == _self) revert OnlyDelegateCall();
        if (msg.sender != deleverager) revert NotDeleverager(msg.sender);
        _state.autoDeleverage(account, counterparties, msg.sender);
    }
}
