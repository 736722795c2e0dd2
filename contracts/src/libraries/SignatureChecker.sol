// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title SignatureChecker
/// @notice Verifies an intent's authorisation: a 65-byte secp256k1 signature (r ‖ s ‖ v) by an EOA,
/// or an EIP-1271 contract wallet's approval of the digest.
library SignatureChecker {
    /// @notice An EOA signature was not exactly 65 bytes (r ‖ s ‖ v).
    error InvalidSignatureLength(uint256 length);
    /// @notice s lies in the upper half of the curve order: the malleable twin of a valid
    /// signature. Rejected so a signature has exactly one accepted encoding.
    error SignatureHighS();
    /// @notice v was neither 27 nor 28.
    error InvalidSignatureV(uint8 v);
    /// @notice ecrecover returned nobody, or somebody other than the intent's owner.
    error InvalidSigner(address recovered, address expected);
    /// @notice The owner contract's isValidSignature reverted or did not return the EIP-1271 magic value.
    error InvalidEip1271Signature(address owner);

    /// @dev secp256k1n / 2.
    uint256 internal constant HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;
    bytes4 internal constant EIP1271_MAGIC = 0x1626ba7e;

    /// @notice Reverts unless `signature` is `owner`'s EOA signature of `digest`.
    function verifyEoa(bytes32 digest, address owner, bytes calldata signature) internal pure {
        if (signature.length != 65) revert InvalidSignatureLength(signature.length);
        bytes32 r;
        uint256 s;
        uint8 v;
        assembly ("memory-safe") {
            r := calldataload(signature.offset)
            s := calldataload(add(signature.offset, 0x20))
            v := byte(0, calldataload(add(signature.offset, 0x40)))
        }
        if (s > HALF_N) revert SignatureHighS();
        if (v != 27 && v != 28) revert InvalidSignatureV(v);
        address recovered = ecrecover(digest, v, r, bytes32(s));
        // ecrecover yields address(0) on failure; owner is never address(0) here because then the
        // comparison below would accept garbage, so reject it explicitly.
        if (recovered == address(0) || recovered != owner) revert InvalidSigner(recovered, owner);
    }

    /// @notice Reverts unless the contract `owner` accepts `signature` for `digest` (EIP-1271).
    /// @dev A static call, so the wallet cannot change state (or re-enter) while approving.
    function verifyEip1271(bytes32 digest, address owner, bytes calldata signature) internal view {
        (bool ok, bytes memory ret) =
            owner.staticcall(abi.encodeWithSelector(EIP1271_MAGIC, digest, signature));
        // forge-lint: disable-next-line(unsafe-typecast) -- uint256 -> bytes32 is a same-size reinterpretation
        if (!ok || ret.length < 32 || bytes32(ret) != bytes32(EIP1271_MAGIC)) revert InvalidEip1271Signature(owner);
    }
}
