// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TokenTransfer} from "./libraries/TokenTransfer.sol";
import {TrustedCall} from "./libraries/TrustedCall.sol";

/// @title Vault
/// @notice The only contract users approve. It moves a user's tokens to the Settlement that
/// deployed it, and only during Settlement's own trade step: there Settlement pulls the sell amount
/// of each intent whose signature, expiry, nonce and limit it has just checked, and it names this
/// vault as its `trustedCallee` (`ITrustedCaller`) for the whole step, which it never does while a
/// solver's interactions run. An interaction is a call from Settlement too, but it finds
/// `trustedCallee` zero, so it can never make the vault pull: a solver cannot spend a user's
/// allowance, which is the reason this is a separate contract at all (CoW's vault relayer idea).
/// @dev Deployed by Settlement's constructor, so `settlement` is fixed at birth and needs no setter.
contract Vault {
    /// @notice Someone other than the Settlement, or the Settlement outside its trade step, tried
    /// to pull funds.
    error OnlySettlement(address caller);

    /// @notice The Settlement allowed to pull; also the only recipient of pulled funds.
    address public immutable settlement;

    constructor() {
        settlement = msg.sender;
    }

    /// @notice Moves `amount` of `token` from `from` (who approved this vault) to the Settlement.
    function pull(address token, address from, uint256 amount) external {
        if (msg.sender != settlement || TrustedCall.calleeOf(msg.sender) != address(this)) {
            revert OnlySettlement(msg.sender);
        }
        TokenTransfer.safeTransferFrom(token, from, msg.sender, amount);
    }
}
