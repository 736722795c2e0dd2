// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IntentHashing} from "../libraries/IntentHashing.sol";
import {SignatureChecker} from "../libraries/SignatureChecker.sol";
import {SizeFills} from "../libraries/SizeFills.sol";
import {TradeFlags} from "../libraries/TradeFlags.sol";
import {ClearingHouse, ClearingHouseBase} from "./ClearingHouse.sol";

/// @title PositionSettlement
/// @notice The position half of `Settlement.settle`: decodes `Batch.positions`, verifies every
/// signed PositionIntent exactly like a swap intent (EIP-712 digest under Settlement's domain,
/// EOA low-s ecrecover or EIP-1271, validTo, the owner's bitmap nonce), checks each fill against its
/// limit at its market's uniform clearing price, and hands the fills to the ClearingHouse in one
/// call. Internal functions: they run in Settlement's context (its nonce bitmap, its events).
///
/// `Batch.positions` = `abi.encode(PositionBatch)`:
///   markets  uint32[]   strictly ascending market ids;
///   prices   uint256[]  one uniform clearing price per market (collateral units per 1e18 size);
///   trades   PositionTrade[].
/// `executedSize` is the |size| this batch fills (> 0). A fill-or-kill intent (flag P = 0) fills
/// exactly |sizeDelta| (else `InvalidExecutedSize`) and consumes its nonce bit (the same bitmap as
/// swaps: word = nonce >> 8, bit = nonce & 0xff), so `invalidateNonces` cancels it too. A partially
/// fillable intent (P = 1) adds `executedSize` to `filledAmount[digest]` (Settlement's, shared with
/// partially fillable swaps), never beyond |sizeDelta| (`FillExceedsAmount`); its nonce bit is never
/// set by fills, and a set bit means cancelled (`NonceAlreadyUsed`).
/// The fill handed to the clearing house, and the event, carry sign(sizeDelta) * executedSize.
/// Limit: a long (sizeDelta > 0) fills only if price <= limitPrice; a short only if price >= limitPrice.
library PositionSettlement {
    /// @param account As signed: the margin account (signer, or EIP-1271 wallet).
    /// @param sizeDelta As signed (1e18 fixed point; positive = buy).
    /// @param limitPrice As signed.
    /// @param nonce As signed.
    /// @param validTo As signed.
    /// @param marketIndex Index into `PositionBatch.markets` (the signed `market` is markets[marketIndex]).
    /// @param flags reduceOnly, signature scheme, partiallyFillable: see the bit diagram in `TradeFlags`.
    /// @param executedSize The |size| this batch fills (> 0; == |sizeDelta| for fill-or-kill).
    struct PositionTrade {
        address account;
        int256 sizeDelta;
        uint256 limitPrice;
        uint256 nonce;
        uint32 validTo;
        uint8 marketIndex;
        uint8 flags;
        uint256 executedSize;
        bytes signature;
    }

    struct PositionBatch {
        uint32[] markets;
        uint256[] prices;
        PositionTrade[] trades;
    }

    /// @notice `Batch.positions` is not a well-formed `abi.encode(PositionBatch)` head.
    error MalformedPositions();
    /// @notice Position intents need the clearing house, which is not set.
    error ClearingHouseNotSet();
    error InvalidPositionFlags(uint256 trade, uint256 flags);
    error PositionIntentExpired(uint256 trade, uint256 validTo);
    error PositionMarketIndexOutOfRange(uint256 trade);
    /// @notice The market's clearing price is worse than the intent's limit.
    error PositionLimitNotMet(uint256 trade, uint256 price, uint256 limitPrice);

    /// @notice One per filled position intent.
    event PositionTradeSettled(address indexed account, bytes32 digest, uint32 market, int256 sizeDelta, uint256 price);

    /// @notice Verifies and applies the position trades in `encoded` (see the library docs).
    function settle(
        bytes calldata encoded,
        mapping(address => mapping(uint256 => uint256)) storage nonceBitmap,
        mapping(bytes32 => uint256) storage filledAmount,
        bytes32 separator,
        ClearingHouse clearingHouse
    ) internal {
        if (address(clearingHouse) == address(0)) revert ClearingHouseNotSet();
        PositionBatch calldata batch = decode(encoded);
        uint256 n = batch.trades.length;
        ClearingHouseBase.Fill[] memory fills = new ClearingHouseBase.Fill[](n);
        for (uint256 i; i < n; ++i) {
            fills[i] = _verify(batch, i, nonceBitmap, filledAmount, separator);
        }
        clearingHouse.settlePositions(batch.markets, batch.prices, fills);
    }

    /// @notice A calldata view of `abi.encode(PositionBatch)`; Solidity bounds-checks every member
    /// access against calldata, and the head offset is checked against `encoded` here.
    function decode(bytes calldata encoded) internal pure returns (PositionBatch calldata batch) {
        if (encoded.length < 0x60) revert MalformedPositions();
        uint256 head;
        assembly ("memory-safe") {
            head := calldataload(encoded.offset)
        }
        if (head > encoded.length - 0x60) revert MalformedPositions();
        assembly ("memory-safe") {
            batch := add(encoded.offset, head)
        }
    }

    /// @dev All checks of one position trade, its nonce / filled amount, its event; returns the fill.
    function _verify(
        PositionBatch calldata batch,
        uint256 i,
        mapping(address => mapping(uint256 => uint256)) storage nonceBitmap,
        mapping(bytes32 => uint256) storage filledAmount,
        bytes32 separator
    ) private returns (ClearingHouseBase.Fill memory fill) {
        PositionTrade calldata t = batch.trades[i];
        uint256 flags = t.flags;
        if (!TradeFlags.isValidPosition(flags)) revert InvalidPositionFlags(i, flags);
        {
            uint256 validTo = t.validTo;
            // forge-lint: disable-next-line(block-timestamp) -- expiry is defined against block time
            if (validTo < block.timestamp) revert PositionIntentExpired(i, validTo);
        }
        uint256 idx = t.marketIndex;
        if (idx >= batch.markets.length || idx >= batch.prices.length) revert PositionMarketIndexOutOfRange(i);
        fill.account = t.account;
        fill.reduceOnly = TradeFlags.isReduceOnly(flags);
        // forge-lint: disable-next-line(unsafe-typecast) -- idx < markets.length <= what a uint8 index addresses
        fill.marketIndex = uint8(idx);
        bytes32 digest = _digest(t, batch.markets[idx], flags, separator);
        if (!TradeFlags.isPositionEip1271(flags)) {
            SignatureChecker.verifyEoa(digest, fill.account, t.signature);
        } else {
            SignatureChecker.verifyEip1271(digest, fill.account, t.signature);
        }
        uint256 price = batch.prices[idx];
        {
            uint256 limit = t.limitPrice;
            if (t.sizeDelta > 0 ? price > limit : price < limit) revert PositionLimitNotMet(i, price, limit);
        }
        fill.sizeDelta = _fillSize(t, i, digest, flags, nonceBitmap[fill.account], filledAmount);
        emit PositionTradeSettled(fill.account, digest, batch.markets[idx], fill.sizeDelta, price);
    }

    /// @dev EIP-712 digest of the PositionIntent the trade claims to fill.
    function _digest(PositionTrade calldata t, uint32 market, uint256 flags, bytes32 separator)
        private
        pure
        returns (bytes32)
    {
        return IntentHashing.digest(
            separator,
            keccak256(
                abi.encode(
                    IntentHashing.POSITION_INTENT_TYPEHASH,
                    t.account,
                    market,
                    t.sizeDelta,
                    t.limitPrice,
                    TradeFlags.isReduceOnly(flags),
                    TradeFlags.isPositionPartiallyFillable(flags),
                    t.validTo,
                    t.nonce
                )
            )
        );
    }

    /// @dev Trade `i`'s executed size and nonce / filled-amount bookkeeping (`SizeFills`).
    function _fillSize(
        PositionTrade calldata t,
        uint256 i,
        bytes32 digest,
        uint256 flags,
        mapping(uint256 => uint256) storage words,
        mapping(bytes32 => uint256) storage filledAmount
    ) private returns (int256) {
        bool partiallyFillable = TradeFlags.isPositionPartiallyFillable(flags);
        return SizeFills.fill(
            t.sizeDelta, t.executedSize, i, t.account, t.nonce, digest, partiallyFillable, words, filledAmount
        );
    }
}
