// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IOwnable2Step} from "../interfaces/IOwnable2Step.sol";

/// @title Timelock
/// @notice Owns the protocol's governed contracts (Settlement, ClearingHouse and, through it, the
/// CollateralVault) so that every owner power takes effect only `delay` seconds after it was
/// announced on chain. Users watch `CallScheduled` and have the whole delay to leave (withdraw
/// collateral, close positions, request a solver exit) before a change they dislike executes.
///
/// Flow: the `admin` (a multisig in production) calls `schedule(target, value, data, salt)`; from
/// `eta = scheduledAt + delay` until `eta + GRACE_PERIOD` anyone may `execute` it, once. The admin
/// may `cancel` a pending call at any time before it executes. A call not executed within the grace
/// period is dead (a stale change must be announced again, with a fresh delay).
///
/// What the admin cannot do: shorten the delay (immutable, bounded in code), run a call before its
/// eta, or change the admin without the delay (`setPendingAdmin` is itself a timelocked self-call).
/// @dev The only undelayed power is `acceptOwnership(target)`: it makes the timelock the owner of a
/// contract that already nominated it, which hands power *to* the delay, never around it.
contract Timelock {
    /// @notice Shortest allowed delay: one day, so users always get at least a day to react.
    uint256 public constant MIN_DELAY = 1 days;
    /// @notice Longest allowed delay: a longer one would mostly block emergency fixes.
    uint256 public constant MAX_DELAY = 30 days;
    /// @notice How long after its eta a scheduled call stays executable.
    uint256 public constant GRACE_PERIOD = 14 days;

    /// @dev `_eta[id]` marker for an executed call (a real eta is always far above 1).
    uint256 private constant DONE = 1;
    /// @dev Transient-storage slot of the execution lock.
    uint256 private constant LOCK_SLOT = uint256(keccak256("Timelock.executing"));

    error NotAdmin(address caller);
    error NotPendingAdmin(address caller);
    error NotSelf(address caller);
    error ZeroAddress();
    error DelayOutOfBounds(uint256 delay, uint256 min, uint256 max);
    /// @notice A call with this id is already pending (or executed: pick another salt).
    error AlreadyScheduled(bytes32 id);
    error NotScheduled(bytes32 id);
    error AlreadyExecuted(bytes32 id);
    error NotReady(bytes32 id, uint256 eta, uint256 timestamp);
    error Expired(bytes32 id, uint256 deadline, uint256 timestamp);
    /// @notice `execute` was re-entered from a call it made.
    error Reentrant();
    /// @notice Calldata for an address without code would "succeed" without doing anything.
    error TargetNotContract(address target);
    /// @notice The call reverted without reason (reasons are bubbled up verbatim).
    error CallFailed(bytes32 id);

    /// @notice A call was queued. Everything needed to judge (and later execute) it is here.
    event CallScheduled(
        bytes32 indexed id, address indexed target, uint256 value, bytes data, bytes32 salt, uint256 eta
    );
    /// @notice The pending call `id` (see its `CallScheduled`) was dropped; `eta` was its eta.
    event CallCancelled(bytes32 indexed id, uint256 eta);
    /// @notice The call `id` ran (successfully: a reverting call leaves no trace but the revert).
    event CallExecuted(bytes32 indexed id, address indexed target, uint256 value, bytes data, bytes32 salt);
    /// @notice The timelock accepted ownership of `target` (no delay, see `acceptOwnership`).
    event OwnershipAccepted(address indexed target);
    event PendingAdminSet(address indexed pendingAdmin);
    event AdminChanged(address indexed previousAdmin, address indexed newAdmin);

    /// @notice Seconds between `schedule` and the earliest `execute`.
    uint256 public immutable delay;
    /// @notice May schedule and cancel calls and accept ownerships.
    address public admin;
    /// @notice Nominated by a timelocked `setPendingAdmin`; becomes admin by calling `acceptAdmin`.
    address public pendingAdmin;

    /// @dev id => 0 (unknown or cancelled), DONE (executed) or the eta of a pending call.
    mapping(bytes32 id => uint256) private _eta;

    /// @param admin_ Schedules and cancels calls (a multisig in production).
    /// @param delay_ Seconds from schedule to execution, in [MIN_DELAY, MAX_DELAY]; fixed forever
    /// (a different delay means a new timelock, handed the ownerships through this one's delay).
    constructor(address admin_, uint256 delay_) {
        if (admin_ == address(0)) revert ZeroAddress();
        if (delay_ < MIN_DELAY || delay_ > MAX_DELAY) revert DelayOutOfBounds(delay_, MIN_DELAY, MAX_DELAY);
        admin = admin_;
        delay = delay_;
        emit AdminChanged(address(0), admin_);
    }

    modifier onlyAdmin() {
        if (msg.sender != admin) revert NotAdmin(msg.sender);
        _;
    }

    /// @notice Receives ether for calls that carry value (and slashed bonds sent here).
    receive() external payable {}

    // ------------------------------------------------------------------ queue

    /// @notice Queues `target.call{value: value}(data)` to be executable `delay` seconds from now.
    /// @param target Contract to call (or an address to send ether to, with empty `data`).
    /// @param value Wei sent with the call, from the timelock's balance at execution.
    /// @param data Calldata (selector and arguments).
    /// @param salt Distinguishes otherwise identical calls (an id can be used once).
    /// @return id keccak256(abi.encode(target, value, data, salt)).
    function schedule(address target, uint256 value, bytes calldata data, bytes32 salt)
        external
        onlyAdmin
        returns (bytes32 id)
    {
        if (data.length != 0 && target.code.length == 0) revert TargetNotContract(target);
        id = hashOperation(target, value, data, salt);
        if (_eta[id] != 0) revert AlreadyScheduled(id);
        uint256 eta = block.timestamp + delay;
        _eta[id] = eta;
        emit CallScheduled(id, target, value, data, salt, eta);
    }

    /// @notice Drops the pending call `id` (before it executes; expired calls may be dropped too,
    /// which frees their id for a new `schedule`).
    /// @param id The call's id, as returned by `schedule` and emitted in `CallScheduled`.
    function cancel(bytes32 id) external onlyAdmin {
        uint256 eta = _eta[id];
        if (eta == 0) revert NotScheduled(id);
        if (eta == DONE) revert AlreadyExecuted(id);
        delete _eta[id];
        emit CallCancelled(id, eta);
    }

    /// @notice Runs a scheduled call whose eta has come and whose grace period has not ended.
    /// Anyone may execute: the delay, not the executor, is the safeguard, and a change users have
    /// seen announced should not depend on the admin's liveness to land.
    /// @dev The call is marked executed before it is made (a re-entrant `execute` of the same call
    /// finds it done) and `execute` holds a lock, so a call cannot run other queued calls midway.
    /// A revert is bubbled up unchanged and undoes the marking: the call stays executable.
    /// @param target Same arguments as given to `schedule`.
    /// @param value Same arguments as given to `schedule`.
    /// @param data Same arguments as given to `schedule`.
    /// @param salt Same arguments as given to `schedule`.
    /// @return result The call's return data.
    function execute(address target, uint256 value, bytes calldata data, bytes32 salt)
        external
        payable
        returns (bytes memory result)
    {
        uint256 lock = LOCK_SLOT;
        bool locked;
        assembly ("memory-safe") {
            locked := tload(lock)
        }
        if (locked) revert Reentrant();

        bytes32 id = hashOperation(target, value, data, salt);
        uint256 eta = _eta[id];
        if (eta == 0) revert NotScheduled(id);
        if (eta == DONE) revert AlreadyExecuted(id);
        // forge-lint: disable-next-line(block-timestamp) -- delays are days; seconds of skew do not matter
        if (block.timestamp < eta) revert NotReady(id, eta, block.timestamp);
        // forge-lint: disable-next-line(block-timestamp) -- as above
        if (block.timestamp > eta + GRACE_PERIOD) revert Expired(id, eta + GRACE_PERIOD, block.timestamp);
        _eta[id] = DONE;

        assembly ("memory-safe") {
            tstore(lock, 1)
        }
        bool ok;
        (ok, result) = target.call{value: value}(data);
        assembly ("memory-safe") {
            tstore(lock, 0)
        }
        if (!ok) {
            if (result.length == 0) revert CallFailed(id);
            assembly ("memory-safe") {
                revert(add(result, 0x20), mload(result))
            }
        }
        emit CallExecuted(id, target, value, data, salt);
    }

    // ------------------------------------------------------------------ ownership and admin

    /// @notice Accepts a pending two-step ownership transfer of `target` to this timelock, at once.
    /// @dev Exempt from the delay because it can only add power to the timelock: the previous owner
    /// nominated it (that step is the previous governance's, delayed if it was a timelock too), and
    /// from here on every use of the power is scheduled and delayed. It calls exactly
    /// `acceptOwnership()` with no value, so it cannot be bent into another call. Without it, the
    /// new owner would sit as pendingOwner for a full delay while the old owner keeps full power.
    /// @param target A contract whose pendingOwner is this timelock.
    function acceptOwnership(address target) external onlyAdmin {
        IOwnable2Step(target).acceptOwnership();
        emit OwnershipAccepted(target);
    }

    /// @notice Nominates the next admin; only callable by the timelock itself (schedule a call of
    /// this function on this contract), so an admin change is announced a full delay ahead.
    /// @param newAdmin Must then call `acceptAdmin` (two steps: a typo cannot lock governance out).
    function setPendingAdmin(address newAdmin) external {
        if (msg.sender != address(this)) revert NotSelf(msg.sender);
        if (newAdmin == address(0)) revert ZeroAddress();
        pendingAdmin = newAdmin;
        emit PendingAdminSet(newAdmin);
    }

    /// @notice Completes an admin change started by a timelocked `setPendingAdmin`.
    function acceptAdmin() external {
        if (msg.sender != pendingAdmin) revert NotPendingAdmin(msg.sender);
        emit AdminChanged(admin, msg.sender);
        admin = msg.sender;
        delete pendingAdmin;
    }

    // ------------------------------------------------------------------ views

    /// @notice The id of a call: keccak256(abi.encode(target, value, data, salt)).
    function hashOperation(address target, uint256 value, bytes calldata data, bytes32 salt)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(target, value, data, salt));
    }

    /// @notice The eta of pending call `id`; 0 if it is unknown, cancelled or executed.
    function etaOf(bytes32 id) external view returns (uint256) {
        uint256 eta = _eta[id];
        return eta == DONE ? 0 : eta;
    }

    /// @notice Whether `id` is queued and not yet executed (it may be not ready yet, or expired).
    function isPending(bytes32 id) external view returns (bool) {
        return _eta[id] > DONE;
    }

    /// @notice Whether `id` can be executed now.
    function isReady(bytes32 id) external view returns (bool) {
        uint256 eta = _eta[id];
        // forge-lint: disable-next-line(block-timestamp) -- delays are days
        return eta > DONE && block.timestamp >= eta && block.timestamp <= eta + GRACE_PERIOD;
    }

    /// @notice Whether `id` was executed.
    function isDone(bytes32 id) external view returns (bool) {
        return _eta[id] == DONE;
    }
}
