// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TokenTransfer} from "./libraries/TokenTransfer.sol";
import {ITrustedCaller} from "./interfaces/ITrustedCaller.sol";

/// @title Vault
/// @notice The only contract users approve. It moves a user's tokens to the Settlement that
/// deployed it, and only when that Settlement asks on its own behalf: Settlement asks only for the
/// sell amount of an intent whose signature, expiry, nonce and limit it has just checked, and marks
/// such a call by naming this vault as its `trustedCallee` while it pulls. A solver's interaction is
/// a call from Settlement too, but it runs while `trustedCallee` is zero, so it can never make the
/// vault pull: a solver cannot spend a user's allowance, which is the reason this is a separate
/// contract at all (CoW's vault relayer idea).
/// @dev Deployed by Settlement's constructor, so `settlement` is fixed at birth and needs no setter.
contract Vault {
    /// @notice Someone other than the Settlement tried to pull funds.
    error OnlySettlement(address caller);

    /// @notice The Settlement allowed to pull; also the only recipient of pulled funds.
    address public immutable settlement;

    constructor() {
        settlement = msg.sender;
    }

    /// @notice Moves `amount` of `token` from `from` (who approved this vault) to the Settlement.
    function pull(address token, address from, uint256 amount) external {
        if (msg.sender != settlement || ITrustedCaller(msg.sender).trustedCallee() != address(this)) {
            revert OnlySettlement(msg.sender);
        }
        TokenTransfer.safeTransferFrom(token, from, msg.sender, amount);
    }
}
