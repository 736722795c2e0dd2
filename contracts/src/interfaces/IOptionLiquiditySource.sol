// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IOptionLiquiditySource
/// @notice The small surface a protocol implements to take the other side of option trades in the
/// settlement's batches, as `IPerpLiquiditySource` is for perps (`options/OptionVault.sol` is this
/// one's worked example).
///
/// An option liquidity source is a margin account of the clearing house that is a contract and
/// authorises its fills through EIP-1271. No callback and no transfer: its option positions live in
/// the option book, its premium cash and margin in the clearing house, and its margin (portfolio
/// margin over its options and perps) is checked after the batch like any account's.
///
/// Flow:
///   1. Off chain, the solver asks `quote(series, sizeDelta)` for the premium bound of the source
///      taking `sizeDelta` contracts (signed, from the source's side: negative = the source sells,
///      so traders buy) and picks a uniform premium no better for the traders than that bound.
///   2. It adds to `Batch.options` an OptionTrade with `account = source`, the EIP-1271 flag set,
///      fill-or-kill, not reduce-only, `executedSize = |sizeDelta|`, a nonce the source has not used,
///      `premiumLimit` = the bound (or one worse for the traders), and
///      `signature = abi.encode(uint64 series, int256 sizeDelta, uint256 premiumLimit, uint32 validTo, uint256 nonce)`.
///   3. In `settle`, the Settlement builds the OptionIntent digest of that trade and calls
///      `isValidSignature(digest, signature)`; the source rebuilds the digest from the signature's
///      fields with itself as the account (reduceOnly = partiallyFillable = false, the Settlement's
///      EIP-712 domain) and accepts only if it matches and `premiumLimit` is on the source's side of
///      `quote` in the state at that moment. The Settlement then checks the series' uniform premium
///      against `premiumLimit` as for any intent.
///
/// Delta hedge (optional for a source; `OptionVault` implements it): the source may also authorise
/// a perp fill of its own in the same batch. The solver adds a PositionTrade for the source (flags
/// as above) with `signature = abi.encode(uint32 market, int256 sizeDelta, uint256 limitPrice,
/// uint32 validTo, uint256 nonce)`, PerpVault's format. Both kinds are five ABI words; the source
/// tells them apart by the digest: it rebuilds the OptionIntent digest and the PositionIntent v2
/// digest from the same words (the first word read as the series or as the market) and accepts
/// only the one that equals `digest` (different type hashes, so at most one can). Within one
/// `settle`, the option trades are verified first (before any option fill), then the option fills
/// are applied, then the position trades are verified (so a hedge is judged against the source's
/// options including this batch's fills), then the perp fills are applied, then every margin is
/// checked. Each source states its own hedge rule; `OptionVault`'s: the fill moves its net delta
/// on the underlying (perp position + the options' model delta) toward zero and past it by at most
/// a set tolerance, at a limit price within a set band of the oracle mark.
interface IOptionLiquiditySource {
    /// @notice The worst premium for the source at which it takes `sizeDelta` contracts of `series`
    /// now, in collateral units per 1e18 contracts (as `OptionBatch.premiums`): for `sizeDelta < 0`
    /// (the source sells) the lowest premium it sells at, for `sizeDelta > 0` the highest premium it
    /// pays. Reverts when it would not take the size (series unknown or expired, stale mark or vol
    /// surface, halted market, exposure limits, zero size).
    function quote(uint64 series, int256 sizeDelta) external view returns (uint256 premium);

    /// @notice EIP-1271: `0x1626ba7e` if the source authorises the fill whose EIP-712 digest is
    /// `digest`, described by `signature` (see the flow above); any other value refuses.
    function isValidSignature(bytes32 digest, bytes calldata signature) external view returns (bytes4);
}
