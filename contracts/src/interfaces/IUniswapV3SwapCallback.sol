// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice The callback a Uniswap V3 pool makes to `msg.sender` during `swap`, expecting to be paid
/// the positive delta (`amount0Delta` of token0 or `amount1Delta` of token1) before it returns.
interface IUniswapV3SwapCallback {
    function uniswapV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata data) external;
}

/// @notice The two immutable token getters every Uniswap V3 pool exposes.
interface IUniswapV3PoolTokens {
    function token0() external view returns (address);
    function token1() external view returns (address);
}
