// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice What a contract that grants Settlement a privilege asks it before acting.
/// @dev Settlement runs solvers' interactions as itself, so `msg.sender == settlement` alone does not
/// tell Settlement's own calls from a solver's. Settlement names the one contract it is calling on
/// its own behalf in transient storage for exactly the length of that call, and leaves it zero
/// while interactions run. A privileged entry point therefore requires both
/// `msg.sender == settlement` and `ITrustedCaller(settlement).trustedCallee() == address(this)`.
interface ITrustedCaller {
    /// @notice The contract Settlement is calling on its own behalf right now, else address(0).
    function trustedCallee() external view returns (address);
}
