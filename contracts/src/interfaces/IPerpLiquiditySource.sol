// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IPerpLiquiditySource
/// @notice The small surface a protocol implements to take the other side of perpetual trades in
/// the settlement's batches, as `ILiquiditySource` is for spot swaps (`liquidity/StableSwapPool.sol`
/// is that one's worked example; `perp/PerpVault.sol` is this one's).
///
/// A perp liquidity source is just a margin account of the clearing house that is a contract and
/// authorises its fills through EIP-1271. There is no callback and no transfer: the position and its
/// margin live in the clearing house like any account's, and the clearing house checks the source's
/// margin after the batch like any account's.
///
/// Flow:
///   1. Off chain, the solver asks `quote(market, sizeDelta)` for the price bound of the source
///      taking `sizeDelta` (signed, from the source's side: negative = the source sells, so traders
///      buy) and picks a uniform clearing price no better for the traders than that bound.
///   2. It adds to the batch a PositionTrade with `account = source`, the EIP-1271 flag set,
///      fill-or-kill, not reduce-only, `executedSize = |sizeDelta|`, a nonce the source has not used,
///      `limitPrice` = the bound (or one worse for the traders), and
///      `signature = abi.encode(uint32 market, int256 sizeDelta, uint256 limitPrice, uint32 validTo, uint256 nonce)`.
///   3. In `settle`, the Settlement builds the PositionIntent v2 digest of that trade and calls
///      `isValidSignature(digest, signature)`; the source rebuilds the digest from the signature's
///      fields with itself as the account and accepts only if it matches and the limit is on the
///      source's side of `quote` in the state at that moment (so a stale or replayed quote cannot
///      be used against it). The Settlement then checks the clearing price against `limitPrice` as
///      for any intent, and the clearing house nets the market, books the fills and checks margins.
interface IPerpLiquiditySource {
    /// @notice The worst price for the source at which it takes `sizeDelta` in `market` now: for
    /// `sizeDelta < 0` (the source sells) the lowest price it sells at (its ask), for
    /// `sizeDelta > 0` the highest price it buys at (its bid). Reverts when it would not take the
    /// size at all (market disabled, stale oracle, position or leverage limits, zero size).
    function quote(uint32 market, int256 sizeDelta) external view returns (uint256 price);

    /// @notice EIP-1271: `0x1626ba7e` if the source authorises the position fill whose EIP-712
    /// digest is `digest`, described by `signature` (see the flow above); any other value refuses.
    function isValidSignature(bytes32 digest, bytes calldata signature) external view returns (bytes4);
}
