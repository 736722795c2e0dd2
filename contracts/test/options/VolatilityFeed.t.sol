// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test, console2} from "forge-std/Test.sol";
import {VolatilityFeed} from "../../src/options/VolatilityFeed.sol";
import {Timelock} from "../../src/governance/Timelock.sol";
import {Ownable2Step} from "../../src/governance/Ownable2Step.sol";

/// @dev Shared set-up: a feed with an owner, a feeder, a 1 hour max age and bounds 5%..500%, 8 x 16.
abstract contract VolatilityFeedBase is Test {
    uint256 internal constant WAD = 1e18;
    uint256 internal constant MARKET = 1;
    uint64 internal constant MIN_VOL = 0.05e18;
    uint64 internal constant MAX_VOL = 5e18;

    VolatilityFeed internal feed;
    address internal owner = makeAddr("owner");
    address internal feeder = makeAddr("feeder");
    address internal stranger = makeAddr("stranger");

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        feed = new VolatilityFeed(owner, feeder, 1 hours, _bounds(MIN_VOL, MAX_VOL, 8, 16));
    }

    function _bounds(uint64 minVol, uint64 maxVol, uint8 maxTenors, uint8 maxNodes)
        internal
        pure
        returns (VolatilityFeed.Bounds memory)
    {
        return VolatilityFeed.Bounds({minVol: minVol, maxVol: maxVol, maxTenors: maxTenors, maxNodes: maxNodes});
    }

    function _u(uint256 a, uint256 b, uint256 c) internal pure returns (uint256[] memory r) {
        r = new uint256[](3);
        (r[0], r[1], r[2]) = (a, b, c);
    }

    function _i(int256 a, int256 b, int256 c) internal pure returns (int256[] memory r) {
        r = new int256[](3);
        (r[0], r[1], r[2]) = (a, b, c);
    }

    /// @dev 3 tenors (7, 30, 90 days) x 3 nodes (-0.5, 0, +0.5): a smile that flattens with time.
    function _grid() internal pure returns (uint256[] memory tenors, int256[] memory nodes, uint256[] memory vols) {
        tenors = _u(7 days, 30 days, 90 days);
        nodes = _i(-0.5e18, 0, 0.5e18);
        vols = new uint256[](9);
        (vols[0], vols[1], vols[2]) = (0.9e18, 0.6e18, 0.8e18);
        (vols[3], vols[4], vols[5]) = (0.8e18, 0.55e18, 0.7e18);
        (vols[6], vols[7], vols[8]) = (0.7e18, 0.5e18, 0.6e18);
    }

    function _publishGrid() internal {
        (uint256[] memory t, int256[] memory k, uint256[] memory v) = _grid();
        vm.prank(feeder);
        feed.publish(MARKET, t, k, v);
    }

    function _vol(int256 k, uint256 t) internal view returns (uint256 vol) {
        (vol,) = feed.impliedVol(MARKET, k, t);
    }

    /// @dev The full 8 x 16 grid the gas figures are quoted for.
    function _fullGrid(uint256 salt)
        internal
        pure
        returns (uint256[] memory tenors, int256[] memory nodes, uint256[] memory vols)
    {
        tenors = new uint256[](8);
        nodes = new int256[](16);
        vols = new uint256[](128);
        uint256[8] memory days_ = [uint256(1), 7, 14, 30, 60, 90, 180, 365];
        for (uint256 i; i < 8; ++i) {
            tenors[i] = days_[i] * 1 days;
        }
        for (uint256 j; j < 16; ++j) {
            // forge-lint: disable-next-line(unsafe-typecast) -- j < 16
            nodes[j] = -1e18 + int256(j) * 0.13e18;
        }
        for (uint256 n; n < 128; ++n) {
            vols[n] = 0.3e18 + (uint256(keccak256(abi.encode(salt, n))) % 1e18);
        }
    }
}

contract VolatilityFeedTest is VolatilityFeedBase {
    // ---------------------------------------------------------------- interpolation

    function test_nodes_returnTheirVolsExactly() public {
        _publishGrid();
        (uint256[] memory t, int256[] memory k, uint256[] memory v) = _grid();
        for (uint256 i; i < 3; ++i) {
            for (uint256 j; j < 3; ++j) {
                (uint256 vol, bool fresh) = feed.impliedVol(MARKET, k[j], t[i]);
                assertEq(vol, v[i * 3 + j]);
                assertTrue(fresh);
            }
        }
    }

    function test_midpointInK_isTheMeanOfTheTwoNodes() public {
        _publishGrid();
        assertEq(_vol(-0.25e18, 7 days), 0.75e18); // (0.9 + 0.6) / 2
        assertEq(_vol(0.25e18, 30 days), 0.625e18); // (0.55 + 0.7) / 2
        // a quarter of the way from 0 to 0.5 at 90 days: 0.5 + (0.6 - 0.5) / 4
        assertEq(_vol(0.125e18, 90 days), 0.525e18);
    }

    function test_kInterpolation_roundsDown() public {
        _publishGrid();
        // 2 wei past the node at -0.5 (0.9) toward 0 (0.6): exactly 0.9e18 - 0.6e18 * 2 / 0.5e18 =
        // 899999999999999998.8, floored (rounding to nearest would give ...999)
        assertEq(_vol(-0.5e18 + 2, 7 days), 0.9e18 - 2);
        // and 2 wei short of the node at 0: 0.6e18 + 0.3e18 * 2 / 0.5e18 = 600000000000000001.2, floored
        assertEq(_vol(-2, 7 days), 0.6e18 + 1);
    }

    function test_timeInterpolation_isLinearInTotalVariance() public {
        uint256[] memory v = new uint256[](2);
        (v[0], v[1]) = (0.4e18, 0.6e18);
        uint256[] memory t = new uint256[](2);
        (t[0], t[1]) = (100, 300);
        int256[] memory k = new int256[](1);
        vm.prank(feeder);
        feed.publish(MARKET, t, k, v);
        // w(100) = 0.16 * 100 = 16, w(300) = 0.36 * 300 = 108, w(200) = 62, vol = sqrt(0.31);
        // interpolating vol itself would give 0.5
        assertEq(_vol(0, 200), 556776436283002192);
    }

    function test_timeInterpolation_keepsTotalVarianceMonotoneWhereLinearVolWouldNot() public {
        // Equal total variance at both tenors (v1 = v0 / 10 at 100 times the tenor): linear vol would
        // give w(50 days) = 15 w0, above w(100 days) = w0, a calendar arbitrage. Linear total variance
        // keeps w flat.
        uint256[] memory v = new uint256[](2);
        (v[0], v[1]) = (1e18, 0.1e18);
        uint256[] memory t = new uint256[](2);
        (t[0], t[1]) = (1 days, 100 days);
        int256[] memory k = new int256[](1);
        vm.prank(feeder);
        feed.publish(MARKET, t, k, v);
        uint256 w0 = 1e36 * 1 days;
        for (uint256 d = 2; d < 100; d += 7) {
            uint256 vol = _vol(0, d * 1 days);
            uint256 w = vol * vol * d * 1 days;
            assertLe(w, w0);
            // rounded down by at most 1 wei of vol
            assertGe((vol + 1) * (vol + 1) * d * 1 days, w0);
        }
    }

    function test_interior_combinesBothAxes() public {
        _publishGrid();
        // k = -0.25 between the first two nodes, T = 14 days between 7 and 30 days
        uint256 a = (0.9e18 + 0.6e18) / 2; // 7 days
        uint256 b = (0.8e18 + 0.55e18) / 2; // 30 days
        uint256 expected = feed.sqrt(
            (a * a * 7 days * (30 days - 14 days) + b * b * 30 days * (14 days - 7 days)) / (14 days * 23 days)
        );
        assertEq(_vol(-0.25e18, 14 days), expected);
        assertGt(expected, b);
        assertLt(expected, a);
    }

    function test_clamping_flatBeyondTheEdges() public {
        _publishGrid();
        // k beyond the nodes: the edge node's vol
        assertEq(_vol(-3e18, 30 days), 0.8e18);
        assertEq(_vol(type(int256).min, 30 days), 0.8e18);
        assertEq(_vol(4e18, 30 days), 0.7e18);
        assertEq(_vol(type(int256).max, 30 days), 0.7e18);
        // time before the first tenor (expiry now included) and after the last: that tenor's vol
        assertEq(_vol(0, 1 days), 0.6e18);
        assertEq(_vol(0, 0), 0.6e18);
        assertEq(_vol(0, 365 days), 0.5e18);
        assertEq(_vol(0, type(uint256).max), 0.5e18);
        // corners
        assertEq(_vol(-1e18, 1), 0.9e18);
        assertEq(_vol(1e18, 1000 days), 0.6e18);
        // beyond in time, inside in k: the row's k interpolation
        assertEq(_vol(0.25e18, 1 hours), 0.7e18);
    }

    function test_singleNodeAndSingleTenor_areFlat() public {
        uint256[] memory t = new uint256[](1);
        t[0] = 30 days;
        int256[] memory k = new int256[](1);
        uint256[] memory v = new uint256[](1);
        v[0] = 0.42e18;
        vm.prank(feeder);
        feed.publish(MARKET, t, k, v);
        assertEq(_vol(-2e18, 1), 0.42e18);
        assertEq(_vol(2e18, 400 days), 0.42e18);
    }

    function test_extremeGrid_noOverflow() public {
        uint64 maxVol = uint64(feed.MAX_VOL());
        vm.prank(owner);
        feed.setBounds(_bounds(1, maxVol, 8, 16));
        uint256[] memory t = new uint256[](2);
        (t[0], t[1]) = (1, feed.MAX_TENOR());
        int256[] memory k = new int256[](2);
        (k[0], k[1]) = (-feed.MAX_ABS_K(), feed.MAX_ABS_K());
        uint256[] memory v = new uint256[](4);
        (v[0], v[1], v[2], v[3]) = (1, feed.MAX_VOL(), feed.MAX_VOL(), 1);
        vm.prank(feeder);
        feed.publish(MARKET, t, k, v);
        uint256 vol = _vol(0, feed.MAX_TENOR() / 2);
        assertGt(vol, 0);
        assertLe(vol, feed.MAX_VOL());
        assertEq(_vol(-feed.MAX_ABS_K(), feed.MAX_TENOR()), feed.MAX_VOL());
    }

    function test_republishSmallerGrid_forgetsTheOldOne() public {
        (uint256[] memory t, int256[] memory k, uint256[] memory v) = _fullGrid(1);
        vm.prank(feeder);
        feed.publish(MARKET, t, k, v);
        _publishGrid();
        (uint256[] memory t2, int256[] memory k2, uint256[] memory v2, uint256 at) = feed.surface(MARKET);
        (uint256[] memory t3, int256[] memory k3, uint256[] memory v3) = _grid();
        assertEq(t2, t3);
        assertEq(k2, k3);
        assertEq(v2, v3);
        assertEq(at, block.timestamp);
        assertEq(_vol(1e18, 365 days), 0.6e18);
    }

    function test_surface_roundTripsAFullGrid() public {
        (uint256[] memory t, int256[] memory k, uint256[] memory v) = _fullGrid(7);
        vm.prank(feeder);
        feed.publish(MARKET, t, k, v);
        (uint256[] memory t2, int256[] memory k2, uint256[] memory v2,) = feed.surface(MARKET);
        assertEq(t2, t);
        assertEq(k2, k);
        assertEq(v2, v);
        // markets are separate
        (uint256[] memory t4,,, uint256 at4) = feed.surface(MARKET + 1);
        assertEq(t4.length, 0);
        assertEq(at4, 0);
    }

    // ---------------------------------------------------------------- staleness

    function test_staleness() public {
        (uint256 vol, bool fresh) = feed.impliedVol(MARKET, 0, 30 days);
        assertEq(vol, 0, "missing surface");
        assertFalse(fresh);
        _publishGrid();
        vm.warp(block.timestamp + 1 hours);
        (vol, fresh) = feed.impliedVol(MARKET, 0, 30 days);
        assertTrue(fresh, "exactly maxAge old");
        assertEq(vol, 0.55e18);
        vm.warp(block.timestamp + 1);
        (vol, fresh) = feed.impliedVol(MARKET, 0, 30 days);
        assertFalse(fresh, "older than maxAge");
        assertEq(vol, 0.55e18, "a stale answer is still given");
        // a longer max age makes it fresh again; a new publish too
        vm.prank(owner);
        feed.setMaxAge(2 hours);
        (, fresh) = feed.impliedVol(MARKET, 0, 30 days);
        assertTrue(fresh);
        vm.warp(block.timestamp + 2 hours);
        (, fresh) = feed.impliedVol(MARKET, 0, 30 days);
        assertFalse(fresh);
        _publishGrid();
        (, fresh) = feed.impliedVol(MARKET, 0, 30 days);
        assertTrue(fresh);
        (,,, uint256 at) = feed.surface(MARKET);
        assertEq(at, block.timestamp);
    }

    // ---------------------------------------------------------------- access and events

    function test_publish_emits() public {
        vm.expectEmit(address(feed));
        emit VolatilityFeed.SurfacePublished(MARKET, block.timestamp, 3, 3);
        _publishGrid();
    }

    function test_onlyFeederPublishes() public {
        (uint256[] memory t, int256[] memory k, uint256[] memory v) = _grid();
        vm.expectRevert(abi.encodeWithSelector(VolatilityFeed.NotFeeder.selector, owner));
        vm.prank(owner);
        feed.publish(MARKET, t, k, v);
        vm.expectRevert(abi.encodeWithSelector(VolatilityFeed.NotFeeder.selector, stranger));
        vm.prank(stranger);
        feed.publish(MARKET, t, k, v);
    }

    function test_onlyOwnerConfigures() public {
        bytes memory notOwner = abi.encodeWithSelector(Ownable2Step.NotOwner.selector, feeder);
        vm.startPrank(feeder);
        vm.expectRevert(notOwner);
        feed.setFeeder(feeder);
        vm.expectRevert(notOwner);
        feed.setMaxAge(2 hours);
        vm.expectRevert(notOwner);
        feed.setBounds(_bounds(1, 10e18, 8, 16));
        vm.expectRevert(notOwner);
        feed.transferOwnership(feeder);
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotPendingOwner.selector, feeder));
        feed.acceptOwnership();
        vm.stopPrank();
    }

    function test_ownerConfigures_andEmits() public {
        vm.startPrank(owner);
        vm.expectEmit(address(feed));
        emit VolatilityFeed.FeederSet(stranger);
        feed.setFeeder(stranger);
        assertEq(feed.feeder(), stranger);
        vm.expectEmit(address(feed));
        emit VolatilityFeed.MaxAgeSet(1 days);
        feed.setMaxAge(1 days);
        assertEq(feed.maxAge(), 1 days);
        VolatilityFeed.Bounds memory b = _bounds(0.1e18, 2e18, 4, 8);
        vm.expectEmit(address(feed));
        emit VolatilityFeed.BoundsSet(b);
        feed.setBounds(b);
        VolatilityFeed.Bounds memory got = feed.bounds();
        assertEq(got.minVol, 0.1e18);
        assertEq(got.maxVol, 2e18);
        assertEq(got.maxTenors, 4);
        assertEq(got.maxNodes, 8);
        vm.stopPrank();
        // the old feeder is out, the new one publishes
        (uint256[] memory t, int256[] memory k, uint256[] memory v) = _grid();
        vm.expectRevert(abi.encodeWithSelector(VolatilityFeed.NotFeeder.selector, feeder));
        vm.prank(feeder);
        feed.publish(MARKET, t, k, v);
        vm.prank(stranger);
        feed.publish(MARKET, t, k, v);
        assertEq(_vol(0, 7 days), 0.6e18);
    }

    function test_ownershipTransfer_isTwoStep() public {
        address next = makeAddr("timelock");
        vm.expectEmit(address(feed));
        emit Ownable2Step.OwnershipTransferStarted(owner, next);
        vm.prank(owner);
        feed.transferOwnership(next);
        assertEq(feed.owner(), owner, "nothing changes before the accept");
        assertEq(feed.pendingOwner(), next);
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotPendingOwner.selector, stranger));
        vm.prank(stranger);
        feed.acceptOwnership();
        vm.expectEmit(address(feed));
        emit Ownable2Step.OwnershipTransferred(owner, next);
        vm.prank(next);
        feed.acceptOwnership();
        assertEq(feed.owner(), next);
        assertEq(feed.pendingOwner(), address(0));
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, owner));
        vm.prank(owner);
        feed.setMaxAge(2 hours);
        vm.prank(next);
        feed.setMaxAge(2 hours);
        assertEq(feed.maxAge(), 2 hours);
    }

    /// @dev The feed is governed like the other contracts: the Timelock accepts it (its one undelayed
    /// call) and from then on a new feeder takes effect only after the delay.
    function test_timelock_ownsTheFeed_changesWaitForTheDelay() public {
        address admin = makeAddr("admin");
        Timelock timelock = new Timelock(admin, 2 days);
        vm.prank(owner);
        feed.transferOwnership(address(timelock));
        vm.prank(admin);
        timelock.acceptOwnership(address(feed));
        assertEq(feed.owner(), address(timelock));

        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, owner));
        vm.prank(owner);
        feed.setFeeder(stranger);
        bytes memory data = abi.encodeCall(VolatilityFeed.setFeeder, (stranger));
        vm.prank(admin);
        bytes32 id = timelock.schedule(address(feed), 0, data, bytes32(0));
        uint256 eta = block.timestamp + 2 days;
        vm.warp(eta - 1);
        vm.expectRevert(abi.encodeWithSelector(Timelock.NotReady.selector, id, eta, eta - 1));
        timelock.execute(address(feed), 0, data, bytes32(0));
        assertEq(feed.feeder(), feeder, "not before the delay");
        vm.warp(block.timestamp + 1);
        timelock.execute(address(feed), 0, data, bytes32(0));
        assertEq(feed.feeder(), stranger);
    }

    function test_constructor_emitsAndChecks() public {
        vm.expectEmit();
        emit Ownable2Step.OwnershipTransferred(address(0), owner);
        vm.expectEmit();
        emit VolatilityFeed.FeederSet(feeder);
        vm.expectEmit();
        emit VolatilityFeed.MaxAgeSet(1 hours);
        new VolatilityFeed(owner, feeder, 1 hours, _bounds(MIN_VOL, MAX_VOL, 8, 16));

        vm.expectRevert(VolatilityFeed.ZeroAddress.selector);
        new VolatilityFeed(address(0), feeder, 1 hours, _bounds(MIN_VOL, MAX_VOL, 8, 16));
        vm.expectRevert(VolatilityFeed.ZeroAddress.selector);
        new VolatilityFeed(owner, address(0), 1 hours, _bounds(MIN_VOL, MAX_VOL, 8, 16));
        vm.expectRevert(abi.encodeWithSelector(VolatilityFeed.InvalidMaxAge.selector, 0));
        new VolatilityFeed(owner, feeder, 0, _bounds(MIN_VOL, MAX_VOL, 8, 16));
        vm.expectRevert(VolatilityFeed.InvalidBounds.selector);
        new VolatilityFeed(owner, feeder, 1 hours, _bounds(0, MAX_VOL, 8, 16));
    }

    // ---------------------------------------------------------------- configuration errors

    function test_setFeeder_refusesZero() public {
        vm.expectRevert(VolatilityFeed.ZeroAddress.selector);
        vm.prank(owner);
        feed.setFeeder(address(0));
    }

    function test_setMaxAge_bounds() public {
        vm.startPrank(owner);
        vm.expectRevert(abi.encodeWithSelector(VolatilityFeed.InvalidMaxAge.selector, 59));
        feed.setMaxAge(59);
        vm.expectRevert(abi.encodeWithSelector(VolatilityFeed.InvalidMaxAge.selector, 1 days + 1));
        feed.setMaxAge(1 days + 1);
        feed.setMaxAge(60);
        assertEq(feed.maxAge(), 60);
        feed.setMaxAge(1 days);
        assertEq(feed.maxAge(), 1 days);
        vm.stopPrank();
    }

    function test_setBounds_refusesEveryBadField() public {
        VolatilityFeed.Bounds[7] memory bad = [
            _bounds(0, 1e18, 8, 16), // zero min
            _bounds(2e18, 1e18, 8, 16), // min above max
            _bounds(1, 10e18 + 1, 8, 16), // max above MAX_VOL
            _bounds(1, 1e18, 0, 16), // no tenor
            _bounds(1, 1e18, 9, 16), // above MAX_TENORS
            _bounds(1, 1e18, 8, 0), // no node
            _bounds(1, 1e18, 8, 17) // above MAX_NODES
        ];
        vm.startPrank(owner);
        for (uint256 i; i < bad.length; ++i) {
            vm.expectRevert(VolatilityFeed.InvalidBounds.selector);
            feed.setBounds(bad[i]);
        }
        feed.setBounds(_bounds(1, 10e18, 1, 1)); // the loosest vols with the smallest grid
        feed.setBounds(_bounds(1e18, 1e18, 8, 16)); // a single allowed vol
        vm.stopPrank();
    }

    // ---------------------------------------------------------------- publish validation

    function _expectPublishRevert(uint256[] memory t, int256[] memory k, uint256[] memory v, bytes memory err)
        internal
    {
        vm.expectRevert(err);
        vm.prank(feeder);
        feed.publish(MARKET, t, k, v);
    }

    function test_publish_emptyGrid() public {
        (uint256[] memory t, int256[] memory k,) = _grid();
        bytes memory err = abi.encodeWithSelector(VolatilityFeed.EmptyGrid.selector);
        _expectPublishRevert(new uint256[](0), k, new uint256[](0), err);
        _expectPublishRevert(t, new int256[](0), new uint256[](0), err);
    }

    function test_publish_tooManyTenorsAndNodes() public {
        (uint256[] memory t, int256[] memory k, uint256[] memory v) = _fullGrid(3);
        uint256[] memory t9 = new uint256[](9);
        for (uint256 i; i < 9; ++i) {
            t9[i] = (i + 1) * 1 days;
        }
        _expectPublishRevert(
            t9, k, new uint256[](9 * 16), abi.encodeWithSelector(VolatilityFeed.TooManyTenors.selector, 9, 8)
        );
        int256[] memory k17 = new int256[](17);
        for (uint256 j; j < 17; ++j) {
            // forge-lint: disable-next-line(unsafe-typecast) -- j < 17
            k17[j] = int256(j) * 0.1e18;
        }
        _expectPublishRevert(
            t, k17, new uint256[](8 * 17), abi.encodeWithSelector(VolatilityFeed.TooManyNodes.selector, 17, 16)
        );
        // tighter bounds refuse the full grid
        vm.prank(owner);
        feed.setBounds(_bounds(MIN_VOL, MAX_VOL, 4, 16));
        _expectPublishRevert(t, k, v, abi.encodeWithSelector(VolatilityFeed.TooManyTenors.selector, 8, 4));
        vm.prank(owner);
        feed.setBounds(_bounds(MIN_VOL, MAX_VOL, 8, 10));
        _expectPublishRevert(t, k, v, abi.encodeWithSelector(VolatilityFeed.TooManyNodes.selector, 16, 10));
    }

    function test_publish_volCountMismatch() public {
        (uint256[] memory t, int256[] memory k,) = _grid();
        _expectPublishRevert(
            t, k, new uint256[](8), abi.encodeWithSelector(VolatilityFeed.VolCountMismatch.selector, 8, 9)
        );
        _expectPublishRevert(
            t, k, new uint256[](10), abi.encodeWithSelector(VolatilityFeed.VolCountMismatch.selector, 10, 9)
        );
    }

    function test_publish_tenorErrors() public {
        (, int256[] memory k, uint256[] memory v) = _grid();
        uint256 maxTenor = feed.MAX_TENOR();
        _expectPublishRevert(
            _u(0, 30 days, 90 days), k, v, abi.encodeWithSelector(VolatilityFeed.TenorOutOfRange.selector, 0, 0)
        );
        _expectPublishRevert(
            _u(1, 30 days, maxTenor + 1),
            k,
            v,
            abi.encodeWithSelector(VolatilityFeed.TenorOutOfRange.selector, 2, maxTenor + 1)
        );
        _expectPublishRevert(
            _u(7 days, 7 days, 90 days), k, v, abi.encodeWithSelector(VolatilityFeed.TenorsNotIncreasing.selector, 1)
        );
        _expectPublishRevert(
            _u(7 days, 30 days, 8 days), k, v, abi.encodeWithSelector(VolatilityFeed.TenorsNotIncreasing.selector, 2)
        );
    }

    function test_publish_nodeErrors() public {
        (uint256[] memory t,, uint256[] memory v) = _grid();
        int256 maxK = feed.MAX_ABS_K();
        _expectPublishRevert(
            t, _i(-maxK - 1, 0, 1), v, abi.encodeWithSelector(VolatilityFeed.NodeOutOfRange.selector, 0, -maxK - 1)
        );
        _expectPublishRevert(
            t, _i(-1, 0, maxK + 1), v, abi.encodeWithSelector(VolatilityFeed.NodeOutOfRange.selector, 2, maxK + 1)
        );
        _expectPublishRevert(t, _i(-1, -1, 0), v, abi.encodeWithSelector(VolatilityFeed.NodesNotIncreasing.selector, 1));
        _expectPublishRevert(t, _i(-1, 1, 0), v, abi.encodeWithSelector(VolatilityFeed.NodesNotIncreasing.selector, 2));
        // the extremes themselves are fine
        vm.prank(feeder);
        feed.publish(MARKET, t, _i(-maxK, 0, maxK), v);
    }

    function test_publish_volErrors() public {
        (uint256[] memory t, int256[] memory k, uint256[] memory v) = _grid();
        v[4] = MIN_VOL - 1;
        _expectPublishRevert(t, k, v, abi.encodeWithSelector(VolatilityFeed.VolOutOfBounds.selector, 4, MIN_VOL - 1));
        v[4] = MAX_VOL + 1;
        _expectPublishRevert(t, k, v, abi.encodeWithSelector(VolatilityFeed.VolOutOfBounds.selector, 4, MAX_VOL + 1));
        v[4] = 0;
        _expectPublishRevert(t, k, v, abi.encodeWithSelector(VolatilityFeed.VolOutOfBounds.selector, 4, 0));
        (v[4], v[0], v[8]) = (0.5e18, MIN_VOL, MAX_VOL);
        vm.prank(feeder);
        feed.publish(MARKET, t, k, v);
        assertEq(_vol(-1e18, 0), MIN_VOL);
        assertEq(_vol(1e18, 1000 days), MAX_VOL);
    }

    function test_publish_checkOrder_firstFailureWins() public {
        // too many tenors and unsorted nodes and bad vols: the size check comes first
        uint256[] memory t9 = new uint256[](9);
        _expectPublishRevert(
            t9, _i(1, 0, -1), new uint256[](27), abi.encodeWithSelector(VolatilityFeed.TooManyTenors.selector, 9, 8)
        );
        // unsorted tenors and unsorted nodes: tenors first
        _expectPublishRevert(
            _u(2, 1, 3),
            _i(1, 0, -1),
            new uint256[](9),
            abi.encodeWithSelector(VolatilityFeed.TenorsNotIncreasing.selector, 1)
        );
        // unsorted nodes and zero vols: nodes first
        _expectPublishRevert(
            _u(1, 2, 3),
            _i(1, 0, -1),
            new uint256[](9),
            abi.encodeWithSelector(VolatilityFeed.NodesNotIncreasing.selector, 1)
        );
    }

    // ---------------------------------------------------------------- sqrt

    function test_sqrt_knownValues() public view {
        assertEq(feed.sqrt(0), 0);
        assertEq(feed.sqrt(1), 1);
        assertEq(feed.sqrt(2), 1);
        assertEq(feed.sqrt(3), 1);
        assertEq(feed.sqrt(4), 2);
        assertEq(feed.sqrt(1e36), 1e18);
        assertEq(feed.sqrt(1e36 - 1), 1e18 - 1);
        assertEq(feed.sqrt(type(uint256).max), type(uint128).max);
        assertEq(feed.sqrt(uint256(type(uint128).max) * type(uint128).max), type(uint128).max);
    }

    function testFuzz_sqrt_isTheFloorRoot(uint256 x) public view {
        uint256 r = feed.sqrt(x);
        assertLe(r * r, x);
        if (r < type(uint128).max) assertGt((r + 1) * (r + 1), x);
    }

    // ---------------------------------------------------------------- gas

    /// @dev The figures quoted in the report: a first publish (zero to non-zero slots), a re-publish of
    /// an 8 x 16 grid, and an interior impliedVol query on it (cold storage, as in a fresh transaction
    /// the first read is; measured from a test, so the call's own 21k base is not included).
    function test_gas_fullGrid() public {
        (uint256[] memory t, int256[] memory k, uint256[] memory v) = _fullGrid(11);
        vm.prank(feeder);
        uint256 g = gasleft();
        feed.publish(MARKET, t, k, v);
        uint256 firstPublish = g - gasleft();
        (t, k, v) = _fullGrid(12);
        vm.cool(address(feed));
        vm.prank(feeder);
        g = gasleft();
        feed.publish(MARKET, t, k, v);
        uint256 republish = g - gasleft();
        vm.cool(address(feed));
        g = gasleft();
        feed.impliedVol(MARKET, 0.05e18, 45 days);
        uint256 query = g - gasleft();
        console2.log("publish 8x16 (first)", firstPublish);
        console2.log("publish 8x16 (again)", republish);
        console2.log("impliedVol (cold)", query);
        assertLt(firstPublish, 1_000_000);
        assertLt(republish, 300_000);
        assertLt(query, 40_000);
    }
}

/// @dev Random valid surfaces from a seed, for the fuzz tests.
contract VolatilityFeedFuzzTest is VolatilityFeedBase {
    function _rand(uint256 seed, uint256 n) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed, n)));
    }

    function _randomAxes(uint256 seed) internal pure returns (uint256[] memory t, int256[] memory k) {
        t = new uint256[](1 + _rand(seed, 0) % 8);
        k = new int256[](1 + _rand(seed, 1) % 16);
        uint256 tenor = 0;
        for (uint256 i; i < t.length; ++i) {
            uint256 r = _rand(seed, 100 + i);
            tenor += r % 4 == 0 ? 1 + r % 100 : 1 + r % 60 days; // sometimes seconds apart
            t[i] = tenor;
        }
        // forge-lint: disable-next-line(unsafe-typecast) -- < 1e18
        int256 node = -5e18 + int256(_rand(seed, 2) % 1e18);
        for (uint256 j; j < k.length; ++j) {
            uint256 r = _rand(seed, 200 + j);
            k[j] = node;
            // forge-lint: disable-next-line(unsafe-typecast) -- < 0.5e18
            node += int256(r % 4 == 0 ? 1 + r % 100 : 1 + r % 0.5e18); // sometimes wei apart
        }
    }

    function _randomQuery(uint256 seed, uint256[] memory t, int256[] memory k)
        internal
        pure
        returns (int256 q, uint256 time)
    {
        uint256 r = _rand(seed, 300);
        // exactly a node a quarter of the time, else anywhere around the grid
        // forge-lint: disable-next-line(unsafe-typecast) -- < 12e18
        q = r % 4 == 0 ? k[r % k.length] : -6e18 + int256(r % 12e18);
        r = _rand(seed, 301);
        time = r % 4 == 0 ? t[r % t.length] : r % (t[t.length - 1] + 30 days);
    }

    /// @dev The tenor (or node) indices around x: last index <= x and first index >= x, clamped.
    function _around(uint256[] memory axis, uint256 x) internal pure returns (uint256 lo, uint256 hi) {
        hi = axis.length - 1;
        for (uint256 i; i < axis.length; ++i) {
            if (axis[i] <= x) lo = i;
        }
        for (uint256 i = axis.length; i > 0; --i) {
            if (axis[i - 1] >= x) hi = i - 1;
        }
    }

    function _aroundK(int256[] memory axis, int256 x) internal pure returns (uint256 lo, uint256 hi) {
        hi = axis.length - 1;
        for (uint256 i; i < axis.length; ++i) {
            if (axis[i] <= x) lo = i;
        }
        for (uint256 i = axis.length; i > 0; --i) {
            if (axis[i - 1] >= x) hi = i - 1;
        }
    }

    function testFuzz_answerLiesBetweenTheSurroundingNodes(uint256 seed) public {
        (uint256[] memory t, int256[] memory k) = _randomAxes(seed);
        uint256[] memory v = new uint256[](t.length * k.length);
        for (uint256 n; n < v.length; ++n) {
            v[n] = MIN_VOL + _rand(seed, 1000 + n) % (MAX_VOL - MIN_VOL + 1);
        }
        vm.prank(feeder);
        feed.publish(MARKET, t, k, v);

        for (uint256 round; round < 8; ++round) {
            (int256 q, uint256 time) = _randomQuery(seed ^ round, t, k);
            (uint256 i0, uint256 i1) = _around(t, time);
            (uint256 j0, uint256 j1) = _aroundK(k, q);
            uint256 lo = type(uint256).max;
            uint256 hi = 0;
            for (uint256 i = i0; i <= i1; ++i) {
                for (uint256 j = j0; j <= j1; ++j) {
                    uint256 x = v[i * k.length + j];
                    if (x < lo) lo = x;
                    if (x > hi) hi = x;
                }
            }
            (uint256 vol, bool fresh) = feed.impliedVol(MARKET, q, time);
            assertTrue(fresh);
            assertGe(vol, lo);
            assertLe(vol, hi);
        }
    }

    function testFuzz_totalVarianceMonotoneInTime(uint256 seed, int256 q, uint256 ta, uint256 tb) public {
        (uint256[] memory t, int256[] memory k) = _randomAxes(seed);
        uint256 nk = k.length;
        uint256[] memory v = new uint256[](t.length * nk);
        // Published total variance rises with the tenor at every node: vol(i+1)^2 t(i+1) > vol(i)^2 t(i)
        // (the lower bound floor(sqrt(vol^2 t(i) / t(i+1))) + 1 makes it strict); vols may fall.
        for (uint256 i; i < t.length; ++i) {
            for (uint256 j; j < nk; ++j) {
                uint256 floor_ = MIN_VOL;
                if (i > 0) {
                    uint256 prev = v[(i - 1) * nk + j];
                    uint256 lb = feed.sqrt(prev * prev * t[i - 1] / t[i]) + 1;
                    if (lb > floor_) floor_ = lb;
                }
                uint256 room = MAX_VOL - floor_ + 1;
                if (room > 0.3e18) room = 0.3e18;
                v[i * nk + j] = floor_ + _rand(seed, 5000 + i * nk + j) % room;
            }
        }
        vm.prank(feeder);
        feed.publish(MARKET, t, k, v);

        q = _bound(q, -6e18, 6e18);
        uint256 horizon = t[t.length - 1] + 30 days;
        ta = _bound(ta, 1, horizon);
        tb = _bound(tb, ta, horizon);
        uint256 va = _vol(q, ta);
        uint256 vb = _vol(q, tb);
        // Rounding: every row vol and the answer are floored, each by under 1 wei, which can lower a
        // total variance by up to about 2 (vol + 1) t per wei; allow 3 wei's worth at the later time.
        uint256 slack = 6 * (uint256(MAX_VOL) + 1) * tb;
        assertLe(va * va * ta, vb * vb * tb + slack);
    }
}

/// @dev What an attacker can and cannot do: only the feeder writes, a feeder is held to the bounds,
/// and a refused publish leaves the last good surface in place.
contract VolatilityFeedAdversarialTest is VolatilityFeedBase {
    function _assertGridUntouched(uint256 publishedAt) internal view {
        (uint256[] memory t, int256[] memory k, uint256[] memory v, uint256 at) = feed.surface(MARKET);
        (uint256[] memory t0, int256[] memory k0, uint256[] memory v0) = _grid();
        assertEq(t, t0);
        assertEq(k, k0);
        assertEq(v, v0);
        assertEq(at, publishedAt);
    }

    function testFuzz_nonFeeder_cannotPublish(address attacker) public {
        vm.assume(attacker != feeder);
        _publishGrid();
        (uint256[] memory t, int256[] memory k, uint256[] memory v) = _fullGrid(5);
        vm.expectRevert(abi.encodeWithSelector(VolatilityFeed.NotFeeder.selector, attacker));
        vm.prank(attacker);
        feed.publish(MARKET, t, k, v);
        _assertGridUntouched(block.timestamp);
    }

    function testFuzz_nonOwner_cannotConfigure(address attacker) public {
        vm.assume(attacker != owner);
        vm.startPrank(attacker);
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, attacker));
        feed.setFeeder(attacker);
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, attacker));
        feed.setBounds(_bounds(1, 10e18, 8, 16));
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, attacker));
        feed.setMaxAge(1 days);
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, attacker));
        feed.transferOwnership(attacker);
        vm.stopPrank();
        assertEq(feed.feeder(), feeder);
        assertEq(feed.owner(), owner);
    }

    function test_maliciousFeeder_outOfBoundsVols_refused_lastSurfaceStays() public {
        _publishGrid();
        uint256 at = block.timestamp;
        vm.warp(block.timestamp + 10 minutes);
        (uint256[] memory t, int256[] memory k, uint256[] memory v) = _grid();
        // a 10,000% vol to blow up option prices, or a near-zero one to sell them for nothing
        v[8] = 100e18;
        vm.expectRevert(abi.encodeWithSelector(VolatilityFeed.VolOutOfBounds.selector, 8, 100e18));
        vm.prank(feeder);
        feed.publish(MARKET, t, k, v);
        v[8] = 1;
        vm.expectRevert(abi.encodeWithSelector(VolatilityFeed.VolOutOfBounds.selector, 8, 1));
        vm.prank(feeder);
        feed.publish(MARKET, t, k, v);
        _assertGridUntouched(at);
    }

    function test_maliciousFeeder_unsortedOrOverlappingAxes_refused() public {
        _publishGrid();
        (uint256[] memory t, int256[] memory k, uint256[] memory v) = _grid();
        // reversed tenors would make the time search and the variance weights meaningless
        _tryPublish(
            _u(90 days, 30 days, 7 days), k, v, abi.encodeWithSelector(VolatilityFeed.TenorsNotIncreasing.selector, 1)
        );
        // a duplicated node would divide by k1 - k0 = 0
        _tryPublish(t, _i(0, 0, 1), v, abi.encodeWithSelector(VolatilityFeed.NodesNotIncreasing.selector, 1));
        // a node beyond the int64 lane, to corrupt its neighbour on packing
        _tryPublish(
            t,
            _i(-1, 0, int256(type(int64).max) + 1),
            v,
            abi.encodeWithSelector(VolatilityFeed.NodeOutOfRange.selector, 2, int256(type(int64).max) + 1)
        );
        // a tenor beyond the uint32 lane
        _tryPublish(
            _u(1, 2, uint256(type(uint32).max) + 1),
            k,
            v,
            abi.encodeWithSelector(VolatilityFeed.TenorOutOfRange.selector, 2, uint256(type(uint32).max) + 1)
        );
        // a vol beyond the uint64 lane
        v[0] = uint256(type(uint64).max) + 1;
        _tryPublish(
            t, k, v, abi.encodeWithSelector(VolatilityFeed.VolOutOfBounds.selector, 0, uint256(type(uint64).max) + 1)
        );
        _assertGridUntouched(block.timestamp);
    }

    function test_maliciousFeeder_oversizedGrid_refused() public {
        _publishGrid();
        // 16 x 32, far over the hard limits: would cost the readers gas and overflow the packed words
        uint256[] memory t = new uint256[](16);
        int256[] memory k = new int256[](32);
        for (uint256 i; i < 16; ++i) {
            t[i] = (i + 1) * 1 days;
        }
        for (uint256 j; j < 32; ++j) {
            // forge-lint: disable-next-line(unsafe-typecast) -- j < 32
            k[j] = int256(j) * 0.1e18;
        }
        _tryPublish(t, k, new uint256[](512), abi.encodeWithSelector(VolatilityFeed.TooManyTenors.selector, 16, 8));
        uint256[] memory t8 = new uint256[](8);
        for (uint256 i; i < 8; ++i) {
            t8[i] = t[i];
        }
        _tryPublish(t8, k, new uint256[](256), abi.encodeWithSelector(VolatilityFeed.TooManyNodes.selector, 32, 16));
        // a vols array too short to fill the grid (reads past it would be garbage)
        _tryPublish(
            t8, _i(0, 1, 2), new uint256[](23), abi.encodeWithSelector(VolatilityFeed.VolCountMismatch.selector, 23, 24)
        );
        _assertGridUntouched(block.timestamp);
    }

    function test_feeder_cannotLoosenItsOwnBounds() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, feeder));
        vm.prank(feeder);
        feed.setBounds(_bounds(1, 10e18, 8, 16));
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, feeder));
        vm.prank(feeder);
        feed.setMaxAge(1 days);
    }

    function test_pendingOwner_hasNoPowerBeforeAccepting() public {
        vm.prank(owner);
        feed.transferOwnership(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, stranger));
        vm.prank(stranger);
        feed.setFeeder(stranger);
        // the owner can still re-point the transfer away from a wrong nominee
        vm.prank(owner);
        feed.transferOwnership(owner);
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotPendingOwner.selector, stranger));
        vm.prank(stranger);
        feed.acceptOwnership();
    }

    function _tryPublish(uint256[] memory t, int256[] memory k, uint256[] memory v, bytes memory err) internal {
        vm.expectRevert(err);
        vm.prank(feeder);
        feed.publish(MARKET, t, k, v);
    }
}
