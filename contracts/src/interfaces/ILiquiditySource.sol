// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ILiquiditySource
/// @notice The small surface a third-party protocol implements to be routable by solvers, both
/// off chain (quote) and inside a settlement (swap), without any token approval.
///
/// Payment model: PRE-TRANSFER (like Uniswap V2 pairs). The caller first transfers exactly
/// `amountIn` of `tokenIn` to the source, then calls `swap`. The source measures what it received
/// against its own accounting (balance minus recorded reserve), so it never calls `transferFrom`
/// and nobody ever has to approve it. Inside a settlement that is two ordinary interactions:
///   1. `tokenIn.transfer(source, amountIn)`
///   2. `source.swap(tokenIn, tokenOut, amountIn, minAmountOut, settlement)`
/// Both run in the same transaction, so nobody can take the pre-transferred tokens in between.
/// Anything transferred beyond `amountIn` is not refunded (it accrues to the source).
interface ILiquiditySource {
    /// @notice Amount of `tokenOut` that `swap` would pay for `amountIn` of `tokenIn` right now.
    /// Must equal what `swap` pays in the same state, to the wei (solvers rely on it).
    function quote(address tokenIn, address tokenOut, uint256 amountIn) external view returns (uint256 amountOut);

    /// @notice Swaps `amountIn` of `tokenIn`, which the caller has already transferred to this
    /// contract, for at least `minAmountOut` of `tokenOut`, paid to `recipient`.
    /// @dev MUST revert if fewer than `amountIn` unaccounted `tokenIn` are held, or if the output
    /// would be below `minAmountOut`. MUST NOT call back into msg.sender.
    function swap(address tokenIn, address tokenOut, uint256 amountIn, uint256 minAmountOut, address recipient)
        external
        returns (uint256 amountOut);
}
