// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice A signed swap intent, field for field as `protocol/intent.ts` and the EIP-712 type
/// `SwapIntent(address owner,address sellToken,address buyToken,address receiver,uint256 sellAmount,
/// uint256 buyAmount,uint32 validTo,uint256 nonce,uint8 kind,bool partiallyFillable,bytes32 appData)`.
struct SwapIntent {
    address owner;
    address sellToken;
    address buyToken;
    /// @dev address(0) means the owner.
    address receiver;
    uint256 sellAmount;
    uint256 buyAmount;
    uint32 validTo;
    uint256 nonce;
    /// @dev 0 = SELL (sell exactly sellAmount for at least buyAmount), 1 = BUY (buy exactly buyAmount for at most sellAmount).
    uint8 kind;
    bool partiallyFillable;
    bytes32 appData;
}

/// @notice A signed perpetual-position intent, settled in the same batches as swaps by the clearing
/// house (`perp/PositionSettlement.sol`).
struct PositionIntent {
    address account;
    uint32 market;
    int256 sizeDelta;
    uint256 limitPrice;
    bool reduceOnly;
    /// @dev false = fill-or-kill (the fill sets the nonce bit); true = fills add up in
    /// `Settlement.filledAmount` to |sizeDelta| (a set nonce bit means cancelled).
    bool partiallyFillable;
    uint32 validTo;
    uint256 nonce;
}

/// @notice A signed option intent (`protocol/intent.ts` OptionIntent): buy (size > 0) or sell
/// (size < 0) contracts of a series of `options/OptionSeries.sol`, paying at most / receiving at
/// least `premiumLimit` collateral units per 1e18 contracts. Hashing only: nothing settles it yet.
struct OptionIntent {
    address account;
    uint64 series;
    int256 size;
    uint256 premiumLimit;
    bool reduceOnly;
    bool partiallyFillable;
    uint32 validTo;
    uint256 nonce;
}

/// @title IntentHashing
/// @notice EIP-712 hashing of the three intent types and of the domain. The type strings are the
/// ones `protocol/eip712.ts` exports; `test/vectors/intents.json` pins the digests both sides give.
library IntentHashing {
    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 internal constant NAME_HASH = keccak256("IntentSettlement");
    bytes32 internal constant VERSION_HASH = keccak256("1");
    bytes32 internal constant SWAP_INTENT_TYPEHASH = keccak256(
        "SwapIntent(address owner,address sellToken,address buyToken,address receiver,uint256 sellAmount,uint256 buyAmount,uint32 validTo,uint256 nonce,uint8 kind,bool partiallyFillable,bytes32 appData)"
    );
    bytes32 internal constant POSITION_INTENT_TYPEHASH = keccak256(
        "PositionIntent(address account,uint32 market,int256 sizeDelta,uint256 limitPrice,bool reduceOnly,bool partiallyFillable,uint32 validTo,uint256 nonce)"
    );

    bytes32 internal constant OPTION_INTENT_TYPEHASH = keccak256(
        "OptionIntent(address account,uint64 series,int256 size,uint256 premiumLimit,bool reduceOnly,bool partiallyFillable,uint32 validTo,uint256 nonce)"
    );

    /// @notice The domain separator for a deployment at `verifyingContract` on chain `chainId`.
    function domainSeparator(uint256 chainId, address verifyingContract) internal pure returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, chainId, verifyingContract));
    }

    function swapStructHash(SwapIntent memory i) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                SWAP_INTENT_TYPEHASH,
                i.owner,
                i.sellToken,
                i.buyToken,
                i.receiver,
                i.sellAmount,
                i.buyAmount,
                i.validTo,
                i.nonce,
                i.kind,
                i.partiallyFillable,
                i.appData
            )
        );
    }

    function positionStructHash(PositionIntent memory i) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                POSITION_INTENT_TYPEHASH,
                i.account,
                i.market,
                i.sizeDelta,
                i.limitPrice,
                i.reduceOnly,
                i.partiallyFillable,
                i.validTo,
                i.nonce
            )
        );
    }

    function optionStructHash(OptionIntent memory i) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                OPTION_INTENT_TYPEHASH,
                i.account,
                i.series,
                i.size,
                i.premiumLimit,
                i.reduceOnly,
                i.partiallyFillable,
                i.validTo,
                i.nonce
            )
        );
    }

    /// @notice The option intent's EIP-712 digest (its id) under `separator`.
    function optionDigest(bytes32 separator, OptionIntent memory i) internal pure returns (bytes32) {
        return digest(separator, optionStructHash(i));
    }

    /// @notice `keccak256("\x19\x01" ‖ domainSeparator ‖ structHash)`, without allocating memory.
    function digest(bytes32 separator, bytes32 structHash) internal pure returns (bytes32 d) {
        assembly ("memory-safe") {
            let fmp := mload(0x40)
            mstore(0x00, shl(240, 0x1901))
            mstore(0x02, separator)
            mstore(0x22, structHash)
            d := keccak256(0x00, 0x42)
            mstore(0x40, fmp)
        }
    }
}
