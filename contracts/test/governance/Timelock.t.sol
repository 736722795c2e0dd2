// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {Timelock} from "../../src/governance/Timelock.sol";
import {ClearingHouse, ClearingHouseBase} from "../../src/perp/ClearingHouse.sol";
import {CollateralVault} from "../../src/perp/CollateralVault.sol";
import {DevnetPriceFeed} from "../../src/perp/DevnetPriceFeed.sol";
import {Settlement} from "../../src/Settlement.sol";
import {SolverRegistry} from "../../src/SolverRegistry.sol";
import {MintableERC20} from "../utils/Tokens.sol";
import {CollateralTestBase} from "../perp/CollateralTestBase.sol";

/// @notice A governed contract stand-in: stores a value, takes ether, reverts on demand.
contract Target {
    uint256 public value;
    uint256 public received;

    error Refused(uint256 value);

    function set(uint256 v) external payable returns (uint256) {
        if (v == 666) revert Refused(v);
        value = v;
        received += msg.value;
        return v * 2;
    }

    function failSilently() external pure {
        revert();
    }
}

/// @notice Called by the timelock, tries to execute queued calls again from inside the call.
contract Reenterer {
    Timelock public timelock;
    bytes32 public salt;
    /// @notice What it saw while re-entering.
    bool public sawDone;
    bytes public sameRevert;
    bytes public otherRevert;
    bool public ran;

    constructor(Timelock timelock_) {
        timelock = timelock_;
    }

    function attack(bytes32 salt_, bytes32 otherSalt) external {
        bytes memory data = abi.encodeCall(this.attack, (salt_, otherSalt));
        sawDone = timelock.isDone(timelock.hashOperation(address(this), 0, data, salt_));
        try timelock.execute(address(this), 0, data, salt_) {} catch (bytes memory reason) {
            sameRevert = reason;
        }
        bytes memory other = abi.encodeCall(this.ping, ());
        try timelock.execute(address(this), 0, other, otherSalt) {} catch (bytes memory reason) {
            otherRevert = reason;
        }
        ran = true;
    }

    function ping() external {}
}

contract TimelockTest is CollateralTestBase {
    uint256 internal constant DELAY = 2 days;

    Timelock internal timelock;
    Target internal target;
    address internal admin = makeAddr("admin");
    address internal stranger = makeAddr("stranger");

    event CallScheduled(
        bytes32 indexed id, address indexed target, uint256 value, bytes data, bytes32 salt, uint256 eta
    );
    event CallCancelled(bytes32 indexed id, uint256 eta);
    event CallExecuted(bytes32 indexed id, address indexed target, uint256 value, bytes data, bytes32 salt);

    function setUp() public override {
        super.setUp();
        timelock = new Timelock(admin, DELAY);
        target = new Target();
    }

    function _schedule(address to, uint256 value, bytes memory data, bytes32 salt) internal returns (bytes32 id) {
        vm.prank(admin);
        id = timelock.schedule(to, value, data, salt);
    }

    // ------------------------------------------------------------------ constructor

    function test_constructor_boundsTheDelay() public {
        vm.expectRevert(abi.encodeWithSelector(Timelock.DelayOutOfBounds.selector, 1 days - 1, 1 days, 30 days));
        new Timelock(admin, 1 days - 1);
        vm.expectRevert(abi.encodeWithSelector(Timelock.DelayOutOfBounds.selector, 30 days + 1, 1 days, 30 days));
        new Timelock(admin, 30 days + 1);
        vm.expectRevert(abi.encodeWithSelector(Timelock.DelayOutOfBounds.selector, 0, 1 days, 30 days));
        new Timelock(admin, 0);
        assertEq(new Timelock(admin, 1 days).delay(), 1 days);
        assertEq(new Timelock(admin, 30 days).delay(), 30 days);
    }

    function test_constructor_rejectsZeroAdmin() public {
        vm.expectRevert(Timelock.ZeroAddress.selector);
        new Timelock(address(0), DELAY);
    }

    // ------------------------------------------------------------------ schedule / execute

    function test_execute_afterDelay() public {
        bytes memory data = abi.encodeCall(Target.set, (42));
        bytes32 id = timelock.hashOperation(address(target), 0, data, bytes32(0));
        assertEq(id, keccak256(abi.encode(address(target), uint256(0), data, bytes32(0))));

        vm.expectEmit(address(timelock));
        emit CallScheduled(id, address(target), 0, data, bytes32(0), block.timestamp + DELAY);
        assertEq(_schedule(address(target), 0, data, bytes32(0)), id);
        assertEq(timelock.etaOf(id), block.timestamp + DELAY);
        assertTrue(timelock.isPending(id));
        assertFalse(timelock.isReady(id));

        vm.warp(block.timestamp + DELAY);
        assertTrue(timelock.isReady(id));
        vm.expectEmit(address(timelock));
        emit CallExecuted(id, address(target), 0, data, bytes32(0));
        vm.prank(stranger); // anyone may execute
        bytes memory result = timelock.execute(address(target), 0, data, bytes32(0));
        assertEq(abi.decode(result, (uint256)), 84);
        assertEq(target.value(), 42);
        assertTrue(timelock.isDone(id));
        assertFalse(timelock.isPending(id));
        assertEq(timelock.etaOf(id), 0);
    }

    function test_execute_tooEarlyReverts() public {
        bytes memory data = abi.encodeCall(Target.set, (1));
        bytes32 id = _schedule(address(target), 0, data, bytes32(0));
        uint256 eta = block.timestamp + DELAY;
        vm.warp(eta - 1);
        vm.expectRevert(abi.encodeWithSelector(Timelock.NotReady.selector, id, eta, eta - 1));
        timelock.execute(address(target), 0, data, bytes32(0));
        assertEq(target.value(), 0);
    }

    function test_execute_afterGraceReverts() public {
        bytes memory data = abi.encodeCall(Target.set, (1));
        bytes32 id = _schedule(address(target), 0, data, bytes32(0));
        uint256 deadline = block.timestamp + DELAY + timelock.GRACE_PERIOD();
        vm.warp(deadline + 1);
        assertFalse(timelock.isReady(id));
        vm.expectRevert(abi.encodeWithSelector(Timelock.Expired.selector, id, deadline, deadline + 1));
        timelock.execute(address(target), 0, data, bytes32(0));
        // the last second of the grace period still works
        vm.warp(deadline);
        timelock.execute(address(target), 0, data, bytes32(0));
        assertEq(target.value(), 1);
    }

    function test_execute_unknownReverts() public {
        bytes memory data = abi.encodeCall(Target.set, (1));
        bytes32 id = timelock.hashOperation(address(target), 0, data, bytes32(0));
        vm.expectRevert(abi.encodeWithSelector(Timelock.NotScheduled.selector, id));
        timelock.execute(address(target), 0, data, bytes32(0));
        // any argument changed is another call
        _schedule(address(target), 0, data, bytes32(0));
        vm.warp(block.timestamp + DELAY);
        bytes32 other = timelock.hashOperation(address(target), 0, data, bytes32(uint256(1)));
        vm.expectRevert(abi.encodeWithSelector(Timelock.NotScheduled.selector, other));
        timelock.execute(address(target), 0, data, bytes32(uint256(1)));
    }

    function test_execute_replayReverts() public {
        bytes memory data = abi.encodeCall(Target.set, (7));
        bytes32 id = _schedule(address(target), 0, data, bytes32(0));
        vm.warp(block.timestamp + DELAY);
        timelock.execute(address(target), 0, data, bytes32(0));
        vm.expectRevert(abi.encodeWithSelector(Timelock.AlreadyExecuted.selector, id));
        timelock.execute(address(target), 0, data, bytes32(0));
        // nor can the same id be queued again (a repeat needs a new salt)
        vm.prank(admin);
        vm.expectRevert(abi.encodeWithSelector(Timelock.AlreadyScheduled.selector, id));
        timelock.schedule(address(target), 0, data, bytes32(0));
        vm.prank(admin);
        vm.expectRevert(abi.encodeWithSelector(Timelock.AlreadyExecuted.selector, id));
        timelock.cancel(id);
    }

    function test_schedule_twiceReverts() public {
        bytes memory data = abi.encodeCall(Target.set, (7));
        bytes32 id = _schedule(address(target), 0, data, bytes32(0));
        vm.prank(admin);
        vm.expectRevert(abi.encodeWithSelector(Timelock.AlreadyScheduled.selector, id));
        timelock.schedule(address(target), 0, data, bytes32(0));
    }

    function test_schedule_rejectsCalldataToCodelessAddress() public {
        vm.prank(admin);
        vm.expectRevert(abi.encodeWithSelector(Timelock.TargetNotContract.selector, stranger));
        timelock.schedule(stranger, 0, abi.encodeCall(Target.set, (1)), bytes32(0));
        // plain ether to an account is fine
        vm.deal(address(timelock), 1 ether);
        _schedule(stranger, 1 ether, "", bytes32(0));
        vm.warp(block.timestamp + DELAY);
        timelock.execute(stranger, 1 ether, "", bytes32(0));
        assertEq(stranger.balance, 1 ether);
    }

    function test_execute_bubblesReverts() public {
        bytes memory data = abi.encodeCall(Target.set, (666));
        bytes32 id = _schedule(address(target), 0, data, bytes32(0));
        bytes memory silent = abi.encodeCall(Target.failSilently, ());
        bytes32 silentId = _schedule(address(target), 0, silent, bytes32(0));
        vm.warp(block.timestamp + DELAY);
        vm.expectRevert(abi.encodeWithSelector(Target.Refused.selector, 666));
        timelock.execute(address(target), 0, data, bytes32(0));
        vm.expectRevert(abi.encodeWithSelector(Timelock.CallFailed.selector, silentId));
        timelock.execute(address(target), 0, silent, bytes32(0));
        // a reverted call is not consumed
        assertTrue(timelock.isPending(id));
        assertTrue(timelock.isReady(id));
    }

    function test_execute_sendsValue() public {
        bytes memory data = abi.encodeCall(Target.set, (5));
        _schedule(address(target), 1 ether, data, bytes32(0));
        vm.warp(block.timestamp + DELAY);
        // the executor may bring the ether, or the timelock's balance pays
        vm.deal(stranger, 1 ether);
        vm.prank(stranger);
        timelock.execute{value: 1 ether}(address(target), 1 ether, data, bytes32(0));
        assertEq(target.received(), 1 ether);
        assertEq(address(timelock).balance, 0);
    }

    // ------------------------------------------------------------------ cancel and access

    function test_cancel() public {
        bytes memory data = abi.encodeCall(Target.set, (9));
        bytes32 id = _schedule(address(target), 0, data, bytes32(0));
        uint256 eta = block.timestamp + DELAY;
        vm.expectEmit(address(timelock));
        emit CallCancelled(id, eta);
        vm.prank(admin);
        timelock.cancel(id);
        assertFalse(timelock.isPending(id));
        vm.warp(eta);
        vm.expectRevert(abi.encodeWithSelector(Timelock.NotScheduled.selector, id));
        timelock.execute(address(target), 0, data, bytes32(0));
        vm.prank(admin);
        vm.expectRevert(abi.encodeWithSelector(Timelock.NotScheduled.selector, id));
        timelock.cancel(id);
        // rescheduling starts a fresh delay
        _schedule(address(target), 0, data, bytes32(0));
        assertEq(timelock.etaOf(id), eta + DELAY);
    }

    function test_onlyAdminSchedulesAndCancels() public {
        bytes memory data = abi.encodeCall(Target.set, (9));
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Timelock.NotAdmin.selector, stranger));
        timelock.schedule(address(target), 0, data, bytes32(0));
        bytes32 id = _schedule(address(target), 0, data, bytes32(0));
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Timelock.NotAdmin.selector, stranger));
        timelock.cancel(id);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Timelock.NotAdmin.selector, stranger));
        timelock.acceptOwnership(address(ch));
    }

    function test_adminChange_onlyThroughTheDelay() public {
        address next = makeAddr("next");
        vm.prank(admin);
        vm.expectRevert(abi.encodeWithSelector(Timelock.NotSelf.selector, admin));
        timelock.setPendingAdmin(next);

        bytes memory data = abi.encodeCall(Timelock.setPendingAdmin, (next));
        _schedule(address(timelock), 0, data, bytes32(0));
        vm.prank(next);
        vm.expectRevert(abi.encodeWithSelector(Timelock.NotPendingAdmin.selector, next));
        timelock.acceptAdmin();

        vm.warp(block.timestamp + DELAY);
        timelock.execute(address(timelock), 0, data, bytes32(0));
        assertEq(timelock.pendingAdmin(), next);
        assertEq(timelock.admin(), admin); // still, until accepted
        vm.prank(next);
        timelock.acceptAdmin();
        assertEq(timelock.admin(), next);
        assertEq(timelock.pendingAdmin(), address(0));

        vm.prank(admin);
        vm.expectRevert(abi.encodeWithSelector(Timelock.NotAdmin.selector, admin));
        timelock.schedule(address(target), 0, "", bytes32(0));
    }

    // ------------------------------------------------------------------ reentrancy

    function test_execute_reentrancyBlocked() public {
        Reenterer r = new Reenterer(timelock);
        bytes32 salt = bytes32(uint256(1));
        bytes32 otherSalt = bytes32(uint256(2));
        bytes memory data = abi.encodeCall(Reenterer.attack, (salt, otherSalt));
        _schedule(address(r), 0, data, salt);
        _schedule(address(r), 0, abi.encodeCall(Reenterer.ping, ()), otherSalt);
        vm.warp(block.timestamp + DELAY);
        timelock.execute(address(r), 0, data, salt);
        assertTrue(r.ran());
        assertTrue(r.sawDone(), "marked executed before the call");
        assertEq(r.sameRevert(), abi.encodeWithSelector(Timelock.Reentrant.selector));
        assertEq(r.otherRevert(), abi.encodeWithSelector(Timelock.Reentrant.selector));
        // the other call was left alone and still runs on its own
        bytes32 otherId = timelock.hashOperation(address(r), 0, abi.encodeCall(Reenterer.ping, ()), otherSalt);
        assertTrue(timelock.isReady(otherId));
        timelock.execute(address(r), 0, abi.encodeCall(Reenterer.ping, ()), otherSalt);
        assertTrue(timelock.isDone(otherId));
    }

    // ------------------------------------------------------------------ end to end

    /// The timelock owns the clearing house (and so the collateral vault): the old owner is
    /// locked out, and a market is listed only a full delay after it was announced.
    function test_e2e_clearingHouseListsMarketOnlyAfterDelay() public {
        vm.prank(governance);
        ch.setOwner(address(timelock));
        assertEq(ch.owner(), address(timelock));

        DevnetPriceFeed solFeed = new DevnetPriceFeed(feeder, 8, "SOL / USD", 150e8);
        ClearingHouseBase.MarketConfig memory config = _config(solFeed);
        vm.prank(governance);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.NotOwner.selector, governance));
        ch.listMarket(3, config);
        vm.prank(admin); // the admin is no owner either: only the timelock is
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.NotOwner.selector, admin));
        ch.listMarket(3, config);

        bytes memory data = abi.encodeCall(ClearingHouse.listMarket, (3, config));
        _schedule(address(ch), 0, data, bytes32(0));
        vm.warp(block.timestamp + DELAY - 1);
        vm.expectRevert();
        timelock.execute(address(ch), 0, data, bytes32(0));
        assertEq(ch.marketCount(), 2);

        vm.warp(block.timestamp + 1);
        _setPrice(ethFeed, 3000e8); // keep feeds fresh: listing reads nothing, but be realistic
        timelock.execute(address(ch), 0, data, bytes32(0));
        assertEq(ch.marketCount(), 3);
        assertEq(address(ch.marketConfig(3).feed), address(solFeed));

        // the vault follows the clearing house's owner
        MintableERC20 fake = new MintableERC20("Fake", "FAKE", 18);
        CollateralVault.CollateralConfig memory cc = _collateralConfig(solFeed, 0.2e18, 1e30);
        vm.prank(governance);
        vm.expectRevert(abi.encodeWithSelector(CollateralVault.NotOwner.selector, governance));
        vault.setCollateral(address(fake), cc);
        bytes memory list = abi.encodeCall(CollateralVault.setCollateral, (address(fake), cc));
        _schedule(address(vault), 0, list, bytes32(0));
        vm.expectRevert();
        timelock.execute(address(vault), 0, list, bytes32(0));
        vm.warp(block.timestamp + DELAY);
        timelock.execute(address(vault), 0, list, bytes32(0));
        assertTrue(vault.collateralInfo(address(fake)).listed);
    }

    /// Settlement's two-step transfer: the old owner nominates, the admin accepts at once; from then
    /// on a slash is delayed, and lands on a solver that started exiting when it was announced
    /// because the unbonding delay is longer than the timelock's.
    function test_e2e_settlementOwnershipAndDelayedSlash() public {
        address gov = makeAddr("gov");
        address solver = makeAddr("solver");
        address victim = makeAddr("victim");
        Settlement s = new Settlement(gov, 1 ether, 7 days);
        vm.deal(solver, 2 ether);
        vm.prank(solver);
        s.bond{value: 2 ether}();

        vm.prank(gov);
        s.transferOwnership(address(timelock));
        vm.prank(admin);
        timelock.acceptOwnership(address(s));
        assertEq(s.owner(), address(timelock));
        vm.prank(gov);
        vm.expectRevert(abi.encodeWithSelector(SolverRegistry.NotOwner.selector, gov));
        s.slash(solver, 1 ether, victim);

        bytes memory data = abi.encodeCall(SolverRegistry.slash, (solver, 1 ether, victim));
        _schedule(address(s), 0, data, bytes32(0));
        vm.prank(solver); // the solver sees it coming and runs
        s.requestExit();
        vm.warp(block.timestamp + DELAY);
        timelock.execute(address(s), 0, data, bytes32(0));
        assertEq(victim.balance, 1 ether);
        vm.prank(solver);
        vm.expectRevert();
        s.withdrawBond(); // still unbonding
    }
}
