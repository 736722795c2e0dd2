// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice The one call the timelock makes without a delay (two-step ownership, as in Settlement).
interface IOwnable2Step {
    function acceptOwnership() external;
}
