// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice What the clearing house asks a circuit breaker (see `perp/CircuitBreaker.sol`).
interface ICircuitBreaker {
    /// @notice Brings the halt of `market` up to date with its feed and returns whether risk-increasing
    /// trades are halted now. Permissionless; never reverts on a feed's account.
    function observe(uint32 market) external returns (bool halted);

    /// @notice What `observe(market)` would decide in the same block, and the halt's end (0: none).
    function isHalted(uint32 market) external view returns (bool halted, uint64 until);
}
