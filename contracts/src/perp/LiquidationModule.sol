// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ClearingHouseBase} from "./ClearingHouseBase.sol";
import {Liquidation} from "./Liquidation.sol";

/// @title LiquidationModule
/// @notice Where `ClearingHouse.liquidate` runs: the clearing house deploys this module in its
/// constructor and calls it by DELEGATECALL (same storage layout through `ClearingHouseBase`), so
/// its events come from the clearing house, `msg.sender` is the liquidator, and it changes only the
/// clearing house's state. A separate contract only for the EIP-170 code size limit (the option
/// hooks took the clearing house's last bytes); the rules are `Liquidation`'s, unchanged. Called
/// directly it refuses (`OnlyDelegateCall`).
contract LiquidationModule is ClearingHouseBase {
    using Liquidation for State;

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

    /// @notice `ClearingHouse.liquidate` (see there): the caller liquidates `account`.
    function liquidate(address account) external returns (uint256 fraction) {
        if (address(this) == _self) revert OnlyDelegateCall();
        if (msg.sender == account) revert SelfLiquidation();
        return _state.liquidate(account, msg.sender, liquidationPenalty, liquidatorShare);
    }
}
