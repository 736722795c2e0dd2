// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ClearingHouse, ClearingHouseBase} from "../../src/perp/ClearingHouse.sol";
import {PositionSettlement} from "../../src/perp/PositionSettlement.sol";
import {IntentHashing, PositionIntent} from "../../src/libraries/IntentHashing.sol";

/// @notice Runs PositionSettlement the way Settlement does (own nonce bitmap and EIP-712 domain),
/// so the position path is tested on its own.
contract PositionSettlementHarness {
    mapping(address => mapping(uint256 => uint256)) public nonceBitmap;
    mapping(bytes32 => uint256) public filledAmount;
    ClearingHouse public clearingHouse;

    function setClearingHouse(ClearingHouse ch) external {
        clearingHouse = ch;
    }

    /// @dev Marks its own clearing-house call the way Settlement does (see ITrustedCaller).
    address private transient _trustedCallee;

    function trustedCallee() external view returns (address) {
        return _trustedCallee;
    }

    function settlePositions(bytes calldata positions) external {
        _trustedCallee = address(clearingHouse);
        PositionSettlement.settle(positions, nonceBitmap, filledAmount, _separator(), clearingHouse);
        _trustedCallee = address(0);
    }

    function invalidateNonces(uint256 wordPos, uint256 mask) external {
        nonceBitmap[msg.sender][wordPos] |= mask;
    }

    function hashPositionIntent(PositionIntent calldata intent) external view returns (bytes32) {
        return IntentHashing.digest(_separator(), IntentHashing.positionStructHash(intent));
    }

    function _separator() private view returns (bytes32) {
        return IntentHashing.domainSeparator(block.chainid, address(this));
    }
}
