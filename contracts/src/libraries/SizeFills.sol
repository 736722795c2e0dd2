// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title SizeFills
/// @notice The executed-size and nonce bookkeeping that signed size intents share (position and
/// option intents: a signed size, an executed |size| per batch), run in Settlement's context on
/// its nonce bitmap (the one swaps use: word = nonce >> 8, bit = nonce & 0xff) and its
/// `filledAmount`. Fill-or-kill fills exactly |size| and consumes the nonce bit, so
/// `invalidateNonces` cancels it too; partially fillable adds the executed size to
/// `filledAmount[digest]`, never beyond |size|, and a set nonce bit means cancelled.
/// The errors carry Settlement's own signatures, so off-chain readers decode one set of names.
library SizeFills {
    /// @notice The nonce is already used (filled or cancelled).
    error NonceAlreadyUsed(address owner, uint256 nonce);
    /// @notice executedSize is zero, too large, or differs from |size| for a fill-or-kill intent.
    error InvalidExecutedSize(uint256 trade);
    /// @notice The partially fillable intent would be filled beyond |size|.
    error FillExceedsAmount(bytes32 digest, uint256 filled, uint256 executed, uint256 amount);

    /// @notice Checks trade `trade`'s executed size against its signed `size`, records the fill
    /// (nonce bit or filled amount) and returns the signed fill, sign(size) * executed.
    function fill(
        int256 size,
        uint256 executed,
        uint256 trade,
        address account,
        uint256 nonce,
        bytes32 digest,
        bool partiallyFillable,
        mapping(uint256 => uint256) storage words,
        mapping(bytes32 => uint256) storage filledAmount
    ) internal returns (int256) {
        uint256 amount;
        // |size| without overflow (type(int256).min has no positive counterpart).
        // forge-lint: disable-next-line(unsafe-typecast) -- the two's complement magnitude, exact
        unchecked {
            amount = size < 0 ? uint256(-(size + 1)) + 1 : uint256(size);
        }
        // forge-lint: disable-next-line(unsafe-typecast) -- the constant is positive
        if (executed == 0 || executed > uint256(type(int256).max)) revert InvalidExecutedSize(trade);
        uint256 wordPos = nonce >> 8;
        // forge-lint: disable-next-line(incorrect-shift) -- 1 << bit is the intended mask for nonce bit (nonce & 0xff)
        uint256 bit = 1 << (nonce & 0xff);
        uint256 word = words[wordPos];
        if (!partiallyFillable) {
            if (executed != amount) revert InvalidExecutedSize(trade);
            if (word & bit != 0) revert NonceAlreadyUsed(account, nonce);
            words[wordPos] = word | bit;
        } else {
            if (word & bit != 0) revert NonceAlreadyUsed(account, nonce);
            uint256 filled = filledAmount[digest];
            // filled <= amount always holds (it is only ever written below), so no underflow.
            unchecked {
                if (executed > amount - filled) revert FillExceedsAmount(digest, filled, executed, amount);
                filledAmount[digest] = filled + executed;
            }
        }
        // forge-lint: disable-next-line(unsafe-typecast) -- executed <= type(int256).max was checked
        return size < 0 ? -int256(executed) : int256(executed);
    }
}
