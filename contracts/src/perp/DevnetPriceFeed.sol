// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";

/// @title DevnetPriceFeed
/// @notice A Chainlink-shaped price feed whose owner (the devnet price feeder) publishes rounds.
/// Every `submit` starts and completes a new round at the current block time, so readers see the
/// same `latestRoundData` semantics as a Chainlink aggregator proxy (round ids increase, answered
/// in the same round, `updatedAt` = publication time). Historical rounds stay readable.
contract DevnetPriceFeed is AggregatorV3Interface {
    struct Round {
        int256 answer;
        uint64 updatedAt;
    }

    error NotOwner(address caller);
    error NonPositiveAnswer(int256 answer);
    error NoSuchRound(uint80 roundId);

    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);
    event OwnerChanged(address indexed owner);

    uint8 public immutable override decimals;
    address public owner;
    uint80 public latestRound;
    string private _description;
    mapping(uint80 roundId => Round) private _rounds;

    constructor(address owner_, uint8 decimals_, string memory description_, int256 initialAnswer) {
        owner = owner_;
        decimals = decimals_;
        _description = description_;
        _publish(initialAnswer);
    }

    /// @notice Publishes `answer` as a new round at the current block time (feeder only).
    function submit(int256 answer) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _publish(answer);
    }

    function setOwner(address owner_) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        owner = owner_;
        emit OwnerChanged(owner_);
    }

    function _publish(int256 answer) private {
        if (answer <= 0) revert NonPositiveAnswer(answer);
        uint80 id = latestRound + 1;
        latestRound = id;
        _rounds[id] = Round(answer, uint64(block.timestamp));
        emit AnswerUpdated(answer, id, block.timestamp);
    }

    function description() external view override returns (string memory) {
        return _description;
    }

    function version() external pure override returns (uint256) {
        return 1;
    }

    function getRoundData(uint80 roundId)
        public
        view
        override
        returns (uint80, int256, uint256, uint256, uint80)
    {
        Round memory r = _rounds[roundId];
        if (r.updatedAt == 0) revert NoSuchRound(roundId);
        return (roundId, r.answer, r.updatedAt, r.updatedAt, roundId);
    }

    function latestRoundData() external view override returns (uint80, int256, uint256, uint256, uint80) {
        return getRoundData(latestRound);
    }
}
