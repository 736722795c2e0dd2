// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Settlement} from "../../src/Settlement.sol";
import {VolatilityFeed} from "../../src/options/VolatilityFeed.sol";
import {AdversarialBase} from "./AdversarialBase.sol";
import {Ownable2Step} from "../../src/governance/Ownable2Step.sol";

/// @notice A bonded solver's interactions run with Settlement as msg.sender and may call any
/// contract. Settlement is neither the VolatilityFeed's feeder nor its owner, so through settle a
/// solver can neither publish a surface nor change the feed's feeder, staleness, bounds or owner.
contract VolatilityFeedAttacksTest is AdversarialBase {
    VolatilityFeed feed;
    address feeder = makeAddr("feeder");
    uint256 constant FEED_MARKET = 1;

    function setUp() public override {
        super.setUp();
        feed = new VolatilityFeed(s.governance, feeder, 1 hours, VolatilityFeed.Bounds(0.05e18, 5e18, 8, 16));
        (uint256[] memory tenors, int256[] memory nodes, uint256[] memory vols) = _grid(0.6e18);
        vm.prank(feeder);
        feed.publish(FEED_MARKET, tenors, nodes, vols);
    }

    function _grid(uint256 vol) internal pure returns (uint256[] memory tenors, int256[] memory nodes, uint256[] memory vols) {
        tenors = new uint256[](1);
        tenors[0] = 30 days;
        nodes = new int256[](1);
        vols = new uint256[](1);
        vols[0] = vol;
    }

    function _settleAsAttacker(bytes memory data) internal returns (bool ok) {
        Settlement.Interaction[] memory its = new Settlement.Interaction[](1);
        its[0] = Settlement.Interaction(address(feed), 0, data);
        Settlement.Batch memory b;
        b.interactions = its;
        vm.prank(s.attacker);
        (ok,) = address(s.settlement).call(abi.encodeCall(Settlement.settle, (b)));
    }

    function test_attack_feedThroughSettlement_cannotPublishOrReconfigure() public {
        (uint256[] memory tenors, int256[] memory nodes, uint256[] memory vols) = _grid(4e18);
        bytes[] memory calls = new bytes[](6);
        calls[0] = abi.encodeCall(VolatilityFeed.publish, (FEED_MARKET, tenors, nodes, vols));
        calls[1] = abi.encodeCall(VolatilityFeed.setFeeder, (s.attacker));
        calls[2] = abi.encodeCall(VolatilityFeed.setMaxAge, (1 days));
        calls[3] = abi.encodeCall(VolatilityFeed.setBounds, (VolatilityFeed.Bounds(1, 10e18, 8, 16)));
        calls[4] = abi.encodeCall(Ownable2Step.transferOwnership, (s.attacker));
        calls[5] = abi.encodeCall(Ownable2Step.acceptOwnership, ());
        for (uint256 i; i < calls.length; ++i) {
            assertFalse(_settleAsAttacker(calls[i]), "a feed call through settle went through");
        }
        (uint256 vol,) = feed.impliedVol(FEED_MARKET, 0, 30 days);
        assertEq(vol, 0.6e18);
        assertEq(feed.feeder(), feeder);
        assertEq(feed.maxAge(), 1 hours);
        assertEq(feed.bounds().minVol, 0.05e18);
        assertEq(feed.owner(), s.governance);
        assertEq(feed.pendingOwner(), address(0));
    }
}
