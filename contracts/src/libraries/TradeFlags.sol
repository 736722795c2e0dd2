// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title TradeFlags
/// @notice Decodes the `flags` byte of the two kinds of signed trade a batch carries: a swap
/// (`Settlement.Trade`) and a position trade (`PositionSettlement.PositionTrade`). The flags carry
/// what the signed intent says about itself but the trade's other fields do not: for a swap, its
/// kind and fill mode (both part of the signed EIP-712 struct, so a wrong bit fails the signature
/// check); for a position trade, reduce-only and fill mode (signed too); for both, how the owner signed. Zero is
/// the commonest trade of each kind (an EOA-signed fill-or-kill SELL; an EOA-signed position trade
/// that may grow the position), and a zero calldata byte is the cheapest.
///
/// Swap trade, `Settlement.Trade.flags`:
///
///     bit    7   6   5   4   3   2   1   0
///          +---+---+---+---+---+---+---+---+
///          | 0   0   0   0   0 | S | P | K |
///          +---+---+---+---+---+---+---+---+
///     K  kind, as signed: 0 SELL (sellAmount is exact), 1 BUY (buyAmount is exact)
///     P  0 fill-or-kill (the fill sets the nonce bit); 1 partially fillable (fills add up in
///        `filledAmount` to the signed amount, `executedAmount` says how much this batch fills)
///     S  signature: 0 EOA (65 bytes r‖s‖v), 1 EIP-1271 (`owner.isValidSignature`)
///     bits 3-7 reserved, zero (else `Settlement.InvalidTradeFlags`)
///
/// Position trade, `PositionSettlement.PositionTrade.flags`:
///
///     bit    7   6   5   4   3   2   1   0
///          +---+---+---+---+---+---+---+---+
///          | 0   0   0   0   0 | P | S | R |
///          +---+---+---+---+---+---+---+---+
///     R  reduceOnly, as signed
///     S  signature: 0 EOA (65 bytes r‖s‖v), 1 EIP-1271 (`account.isValidSignature`)
///     P  partiallyFillable, as signed: 0 fill-or-kill (`executedSize` == |sizeDelta|, the fill
///        sets the nonce bit); 1 partially fillable (fills add up in `filledAmount` to |sizeDelta|)
///     bits 3-7 reserved, zero (else `PositionSettlement.InvalidPositionFlags`)
///
/// Reserved bits are refused rather than ignored, so each trade has exactly one encoding.
library TradeFlags {
    uint256 private constant SWAP_BUY = 1 << 0;
    uint256 private constant SWAP_PARTIALLY_FILLABLE = 1 << 1;
    uint256 private constant SWAP_EIP1271 = 1 << 2;
    uint256 private constant SWAP_MASK = SWAP_BUY | SWAP_PARTIALLY_FILLABLE | SWAP_EIP1271;

    uint256 private constant POSITION_REDUCE_ONLY = 1 << 0;
    uint256 private constant POSITION_EIP1271 = 1 << 1;
    uint256 private constant POSITION_PARTIALLY_FILLABLE = 1 << 2;
    uint256 private constant POSITION_MASK = POSITION_REDUCE_ONLY | POSITION_EIP1271 | POSITION_PARTIALLY_FILLABLE;

    // ------------------------------------------------------------------ swap trades

    /// @notice Whether a swap trade's reserved bits are all zero.
    function isValidSwap(uint256 flags) internal pure returns (bool) {
        return flags <= SWAP_MASK;
    }

    /// @notice Kind BUY (the signed `kind` is 1): `buyAmount` is exact and fills count in buy units.
    /// Otherwise SELL (`kind` 0): `sellAmount` is exact and fills count in sell units.
    function isBuy(uint256 flags) internal pure returns (bool) {
        return flags & SWAP_BUY != 0;
    }

    /// @notice Partially fillable (as signed): fills accumulate in `filledAmount` up to the intent's
    /// amount, and a set nonce bit means cancelled. Otherwise fill-or-kill: the fill sets the bit.
    function isPartiallyFillable(uint256 flags) internal pure returns (bool) {
        return flags & SWAP_PARTIALLY_FILLABLE != 0;
    }

    /// @notice The swap's owner signs through EIP-1271 (`isValidSignature`), not as an EOA.
    function isSwapEip1271(uint256 flags) internal pure returns (bool) {
        return flags & SWAP_EIP1271 != 0;
    }

    // ------------------------------------------------------------------ position trades

    /// @notice Whether a position trade's reserved bits are all zero.
    function isValidPosition(uint256 flags) internal pure returns (bool) {
        return flags <= POSITION_MASK;
    }

    /// @notice Reduce-only (as signed): the fill may shrink the position, never grow or flip it.
    function isReduceOnly(uint256 flags) internal pure returns (bool) {
        return flags & POSITION_REDUCE_ONLY != 0;
    }

    /// @notice The position trade's account signs through EIP-1271, not as an EOA.
    function isPositionEip1271(uint256 flags) internal pure returns (bool) {
        return flags & POSITION_EIP1271 != 0;
    }

    /// @notice Partially fillable (as signed): fills accumulate in `filledAmount` up to |sizeDelta|
    /// and a set nonce bit means cancelled. Otherwise fill-or-kill: the fill sets the bit.
    function isPositionPartiallyFillable(uint256 flags) internal pure returns (bool) {
        return flags & POSITION_PARTIALLY_FILLABLE != 0;
    }
}
