// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IOwnable2Step} from "../interfaces/IOwnable2Step.sol";

/// @title Ownable2Step
/// @notice Two-step ownership for the contracts whose owner powers sit behind the Timelock
/// (`governance/Timelock.sol`): the owner proposes (`transferOwnership`), the proposed owner
/// accepts (`acceptOwnership`, the one call the Timelock makes without a delay). A mistyped
/// address therefore never receives the powers, and handing them to the Timelock is one proposal
/// plus one acceptance. Proposing again replaces the pending owner; proposing zero cancels.
abstract contract Ownable2Step is IOwnable2Step {
    error NotOwner(address caller);
    error NotPendingOwner(address caller);

    event OwnershipTransferStarted(address indexed owner, address indexed pendingOwner);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    address public owner;
    address public pendingOwner;

    constructor(address owner_) {
        owner = owner_;
        emit OwnershipTransferred(address(0), owner_);
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    /// @notice Step one of an ownership transfer; `newOwner` must call `acceptOwnership`.
    function transferOwnership(address newOwner) external onlyOwner {
        pendingOwner = newOwner;
        emit OwnershipTransferStarted(msg.sender, newOwner);
    }

    /// @notice Step two: the pending owner takes the owner powers.
    function acceptOwnership() external {
        if (msg.sender != pendingOwner) revert NotPendingOwner(msg.sender);
        emit OwnershipTransferred(owner, msg.sender);
        owner = msg.sender;
        delete pendingOwner;
    }
}
