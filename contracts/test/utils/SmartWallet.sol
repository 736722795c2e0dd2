// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice Test-only EIP-1271 contract wallet: a signature is valid iff it is the 65-byte ECDSA
/// signature of the digest by the wallet's signer key. Can also be told to reject everything.
contract SmartWallet {
    address public immutable signer;
    bool public rejectAll;

    constructor(address signer_) {
        signer = signer_;
    }

    function setRejectAll(bool r) external {
        require(msg.sender == signer, "only signer");
        rejectAll = r;
    }

    /// @notice Arbitrary call by the signer (used to approve the Vault).
    function execute(address target, bytes calldata data) external returns (bytes memory) {
        require(msg.sender == signer, "only signer");
        (bool ok, bytes memory ret) = target.call(data);
        require(ok, "call failed");
        return ret;
    }

    function isValidSignature(bytes32 digest, bytes calldata signature) external view returns (bytes4) {
        if (rejectAll || signature.length != 65) return 0xffffffff;
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        return ecrecover(digest, v, r, s) == signer ? bytes4(0x1626ba7e) : bytes4(0xffffffff);
    }
}
