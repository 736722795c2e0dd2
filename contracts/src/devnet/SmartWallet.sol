// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice Devnet EIP-1271 contract wallet: holds tokens like any account, lets its owner EOA make
/// arbitrary calls (e.g. approve the Vault), and accepts a signature iff it is the owner's 65-byte
/// ECDSA signature (r ‖ s ‖ v, low s) of the digest. Wallets and solvers sign intents for it with
/// the `eip1271` signature scheme; the node checks them with `isValidSignature` over RPC.
contract DevnetSmartWallet {
    bytes4 internal constant MAGIC = 0x1626ba7e;
    bytes4 internal constant INVALID = 0xffffffff;
    uint256 internal constant HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    address public immutable owner;

    error NotOwner();
    error CallFailed(bytes reason);

    constructor(address owner_) {
        owner = owner_;
    }

    /// @notice Arbitrary call by the owner (approve the Vault, move tokens out).
    function execute(address target, uint256 value, bytes calldata data) external returns (bytes memory) {
        if (msg.sender != owner) revert NotOwner();
        (bool ok, bytes memory ret) = target.call{value: value}(data);
        if (!ok) revert CallFailed(ret);
        return ret;
    }

    function isValidSignature(bytes32 digest, bytes calldata signature) external view returns (bytes4) {
        if (signature.length != 65) return INVALID;
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        if (uint256(s) > HALF_N || (v != 27 && v != 28)) return INVALID;
        address signer = ecrecover(digest, v, r, s);
        return signer != address(0) && signer == owner ? MAGIC : INVALID;
    }

    receive() external payable {}
}
