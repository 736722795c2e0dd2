// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IntentHashing, OptionIntent} from "../libraries/IntentHashing.sol";
import {SignatureChecker} from "../libraries/SignatureChecker.sol";
import {SizeFills} from "../libraries/SizeFills.sol";
import {TradeFlags} from "../libraries/TradeFlags.sol";
import {OptionBook} from "./OptionBook.sol";

/// @title OptionSettlement
/// @notice The option half of `Settlement.settle`: decodes `Batch.options`, verifies every signed
/// OptionIntent exactly like a position intent (EIP-712 digest under Settlement's domain, EOA low-s
/// ecrecover or EIP-1271, validTo, the owner's bitmap nonce shared with swaps and positions),
/// checks each fill against its premium limit at its series' uniform premium, and hands the fills
/// to the OptionBook in one call. Internal functions: they run in Settlement's context.
///
/// `Batch.options` = `abi.encode(OptionBatch)`:
///   series    uint64[]   strictly ascending series ids (`OptionSeries`);
///   premiums  uint256[]  one uniform premium per series (collateral units per 1e18 contracts);
///   trades    OptionTrade[].
/// Flags are the position flags (`TradeFlags`: bit 0 reduceOnly, bit 1 EIP-1271, bit 2 partially
/// fillable). Fill-or-kill: `executedSize` == |size| and the nonce bit is consumed; partially
/// fillable: `filledAmount[digest]` accumulates up to |size| and a set nonce bit means cancelled.
/// Limit: a buyer (size > 0) fills only if premium <= premiumLimit; a seller only if premium >=
/// premiumLimit. The fill handed on carries sign(size) * executedSize.
library OptionSettlement {
    struct OptionTrade {
        address account;
        int256 size;
        uint256 premiumLimit;
        uint256 nonce;
        uint32 validTo;
        uint8 seriesIndex;
        uint8 flags;
        uint256 executedSize;
        bytes signature;
    }

    struct OptionBatch {
        uint64[] series;
        uint256[] premiums;
        OptionTrade[] trades;
    }

    error MalformedOptions();
    error InvalidOptionFlags(uint256 trade, uint256 flags);
    error OptionIntentExpired(uint256 trade, uint256 validTo);
    error OptionSeriesIndexOutOfRange(uint256 trade);
    /// @notice The series' premium is worse than the intent's limit.
    error PremiumLimitNotMet(uint256 trade, uint256 premium, uint256 premiumLimit);

    /// @notice One per filled option intent.
    event OptionTradeSettled(address indexed account, bytes32 digest, uint64 series, int256 size, uint256 premium);

    /// @notice Verifies and applies the option trades in `encoded` (see the library docs).
    function settle(
        bytes calldata encoded,
        mapping(address => mapping(uint256 => uint256)) storage nonceBitmap,
        mapping(bytes32 => uint256) storage filledAmount,
        bytes32 separator,
        OptionBook book
    ) internal {
        OptionBatch calldata batch = decode(encoded);
        uint256 n = batch.trades.length;
        OptionBook.Fill[] memory fills = new OptionBook.Fill[](n);
        for (uint256 i; i < n; ++i) {
            fills[i] = _verify(batch, i, nonceBitmap, filledAmount, separator);
        }
        book.settleOptions(batch.series, batch.premiums, fills);
    }

    /// @notice A calldata view of `abi.encode(OptionBatch)` (head offset checked here; Solidity
    /// bounds-checks every member access).
    function decode(bytes calldata encoded) internal pure returns (OptionBatch calldata batch) {
        if (encoded.length < 0x60) revert MalformedOptions();
        uint256 head;
        assembly ("memory-safe") {
            head := calldataload(encoded.offset)
        }
        if (head > encoded.length - 0x60) revert MalformedOptions();
        assembly ("memory-safe") {
            batch := add(encoded.offset, head)
        }
    }

    function _verify(
        OptionBatch calldata batch,
        uint256 i,
        mapping(address => mapping(uint256 => uint256)) storage nonceBitmap,
        mapping(bytes32 => uint256) storage filledAmount,
        bytes32 separator
    ) private returns (OptionBook.Fill memory fill) {
        OptionTrade calldata t = batch.trades[i];
        uint256 flags = t.flags;
        if (!TradeFlags.isValidPosition(flags)) revert InvalidOptionFlags(i, flags);
        // forge-lint: disable-next-line(block-timestamp) -- expiry is defined against block time
        if (t.validTo < block.timestamp) revert OptionIntentExpired(i, t.validTo);
        uint256 idx = t.seriesIndex;
        if (idx >= batch.series.length || idx >= batch.premiums.length) revert OptionSeriesIndexOutOfRange(i);
        fill.account = t.account;
        fill.reduceOnly = TradeFlags.isReduceOnly(flags);
        // forge-lint: disable-next-line(unsafe-typecast) -- idx < series.length, addressed by a uint8
        fill.seriesIndex = uint8(idx);
        bytes32 digest = IntentHashing.optionDigest(
            separator,
            OptionIntent({
                account: t.account,
                series: batch.series[idx],
                size: t.size,
                premiumLimit: t.premiumLimit,
                reduceOnly: fill.reduceOnly,
                partiallyFillable: TradeFlags.isPositionPartiallyFillable(flags),
                validTo: t.validTo,
                nonce: t.nonce
            })
        );
        if (!TradeFlags.isPositionEip1271(flags)) SignatureChecker.verifyEoa(digest, fill.account, t.signature);
        else SignatureChecker.verifyEip1271(digest, fill.account, t.signature);
        uint256 premium = batch.premiums[idx];
        if (t.size > 0 ? premium > t.premiumLimit : premium < t.premiumLimit) {
            revert PremiumLimitNotMet(i, premium, t.premiumLimit);
        }
        fill.sizeDelta = _fillSize(t, i, digest, flags, nonceBitmap[fill.account], filledAmount);
        emit OptionTradeSettled(fill.account, digest, batch.series[idx], fill.sizeDelta, premium);
    }

    /// @dev Trade `i`'s executed size and nonce / filled-amount bookkeeping (`SizeFills`).
    function _fillSize(
        OptionTrade calldata t,
        uint256 i,
        bytes32 digest,
        uint256 flags,
        mapping(uint256 => uint256) storage words,
        mapping(bytes32 => uint256) storage filledAmount
    ) private returns (int256) {
        bool partiallyFillable = TradeFlags.isPositionPartiallyFillable(flags);
        return
            SizeFills.fill(
                t.size, t.executedSize, i, t.account, t.nonce, digest, partiallyFillable, words, filledAmount
            );
    }
}
