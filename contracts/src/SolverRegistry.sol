// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title SolverRegistry
/// @notice Permissionless, bonded solver set. Anyone becomes a solver by bonding at least
/// `minBond` wei; a solver leaves by requesting exit and, after `unbondingDelay` seconds, withdrawing.
/// While exiting it cannot settle, and during the delay governance can still slash it: that is
/// what the delay is for (misbehaviour is judged off chain and may take a while to prove).
/// @dev Lives inside Settlement (inherited) rather than in a separate contract: authorising a
/// settle is then one cold SLOAD (2.1k) instead of a cold external call (2.6k + 2.1k + call overhead).
/// Bonds are ETH held by Settlement, alongside whatever ETH a batch handles. Two rules keep a batch
/// from touching them: settle checks that a batch never ends with less ETH than it started with,
/// and every entry point here reverts `SettlementInProgress` while a settle runs. Without the
/// second, an interaction could send bonded ETH to a helper that calls `bond{value}` back: the
/// balance check passes (the ETH came back) and the helper owns a bond backed by others' ETH.
abstract contract SolverRegistry {
    /// @notice One storage slot per solver.
    /// @param amount Bonded wei.
    /// @param exitableAt 0 while active; otherwise the timestamp from which the bond can be withdrawn.
    struct Bond {
        uint128 amount;
        uint64 exitableAt;
    }

    error NotOwner(address caller);
    error NotPendingOwner(address caller);
    error ZeroAddress();
    /// @notice A bond (after this deposit) would be below the minimum.
    error BondBelowMinimum(uint256 bond, uint256 minimum);
    error BondOverflow();
    /// @notice The caller has no bond, or a bond below the minimum (e.g. after a slash).
    error NotSolver(address account);
    /// @notice The solver requested exit: it can neither settle nor top up.
    error SolverExiting(address solver, uint256 exitableAt);
    error ExitNotRequested(address solver);
    error UnbondingNotElapsed(uint256 exitableAt, uint256 timestamp);
    error SlashExceedsBond(uint256 amount, uint256 bond);
    error EthTransferFailed(address to, uint256 amount);
    /// @notice The unbonding delay must fit in 32 bits (136 years), so exit times fit their 64-bit slot.
    error UnbondingDelayTooLong(uint256 delay);
    /// @notice A registry call made while a settle runs (only a batch's interaction can do that).
    error SettlementInProgress();

    event SolverBonded(address indexed solver, uint256 amount, uint256 total);
    event SolverExitRequested(address indexed solver, uint256 exitableAt);
    event SolverWithdrawn(address indexed solver, uint256 amount);
    event SolverSlashed(address indexed solver, uint256 amount, address beneficiary);
    event OwnershipTransferStarted(address indexed owner, address indexed pendingOwner);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    /// @notice Minimum bond, in wei, for an active solver. Immutable: settle checks it on every call.
    uint256 public immutable minBond;
    /// @notice Seconds between requestExit and the earliest withdrawBond.
    uint256 public immutable unbondingDelay;

    /// @notice Governance: may slash bonds and hand itself over (two steps).
    address public owner;
    address public pendingOwner;

    mapping(address solver => Bond) internal _bonds;

    /// @dev Set while Settlement's `settle` runs (its reentrancy lock, shared with the registry).
    bool internal transient _settling;

    constructor(address owner_, uint256 minBond_, uint256 unbondingDelay_) {
        if (owner_ == address(0)) revert ZeroAddress();
        if (unbondingDelay_ > type(uint32).max) revert UnbondingDelayTooLong(unbondingDelay_);
        owner = owner_;
        minBond = minBond_;
        unbondingDelay = unbondingDelay_;
        emit OwnershipTransferred(address(0), owner_);
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    /// @dev Bonds and ownership never move during a batch (see the contract notes).
    modifier notSettling() {
        if (_settling) revert SettlementInProgress();
        _;
    }

    /// @notice Bonds `msg.value` more wei for the caller; the total must reach `minBond`.
    function bond() external payable notSettling {
        Bond memory b = _bonds[msg.sender];
        if (b.exitableAt != 0) revert SolverExiting(msg.sender, b.exitableAt);
        uint256 total = uint256(b.amount) + msg.value;
        if (total > type(uint128).max) revert BondOverflow();
        if (total < minBond) revert BondBelowMinimum(total, minBond);
        // forge-lint: disable-next-line(unsafe-typecast) -- total <= type(uint128).max was just checked
        _bonds[msg.sender].amount = uint128(total);
        emit SolverBonded(msg.sender, msg.value, total);
    }

    /// @notice Starts unbonding: from now on the caller cannot settle.
    function requestExit() external notSettling {
        Bond memory b = _bonds[msg.sender];
        if (b.amount == 0) revert NotSolver(msg.sender);
        if (b.exitableAt != 0) revert SolverExiting(msg.sender, b.exitableAt);
        uint256 exitableAt = block.timestamp + unbondingDelay;
        // forge-lint: disable-next-line(unsafe-typecast) -- unbondingDelay <= type(uint32).max (constructor), so the sum fits in 64 bits for ~500 billion years
        _bonds[msg.sender].exitableAt = uint64(exitableAt);
        emit SolverExitRequested(msg.sender, exitableAt);
    }

    /// @notice Withdraws the whole (possibly slashed) bond once the unbonding delay has passed.
    function withdrawBond() external notSettling {
        Bond memory b = _bonds[msg.sender];
        if (b.exitableAt == 0) revert ExitNotRequested(msg.sender);
        // forge-lint: disable-next-line(block-timestamp) -- the unbonding delay is measured in block time; seconds of skew do not matter
        if (block.timestamp < b.exitableAt) revert UnbondingNotElapsed(b.exitableAt, block.timestamp);
        delete _bonds[msg.sender];
        emit SolverWithdrawn(msg.sender, b.amount);
        _sendEth(msg.sender, b.amount);
    }

    /// @notice Takes `amount` from `solver`'s bond and sends it to `beneficiary` (e.g. harmed users
    /// or an insurance fund). Works on exiting solvers too. A solver left below `minBond` cannot
    /// settle until it tops up.
    function slash(address solver, uint256 amount, address beneficiary) external onlyOwner notSettling {
        if (beneficiary == address(0)) revert ZeroAddress();
        uint256 current = _bonds[solver].amount;
        if (amount > current) revert SlashExceedsBond(amount, current);
        unchecked {
            // forge-lint: disable-next-line(unsafe-typecast) -- amount <= current, and current came from a uint128
            _bonds[solver].amount = uint128(current - amount);
        }
        emit SolverSlashed(solver, amount, beneficiary);
        _sendEth(beneficiary, amount);
    }

    /// @notice Step one of an ownership transfer; `newOwner` must call `acceptOwnership`.
    function transferOwnership(address newOwner) external onlyOwner notSettling {
        pendingOwner = newOwner;
        emit OwnershipTransferStarted(msg.sender, newOwner);
    }

    function acceptOwnership() external notSettling {
        if (msg.sender != pendingOwner) revert NotPendingOwner(msg.sender);
        emit OwnershipTransferred(owner, msg.sender);
        owner = msg.sender;
        delete pendingOwner;
    }

    /// @notice Bonded wei and exit time (0 = active) of `solver`.
    function bondOf(address solver) external view returns (uint256 amount, uint256 exitableAt) {
        Bond memory b = _bonds[solver];
        return (b.amount, b.exitableAt);
    }

    /// @notice Whether `account` may call settle right now.
    function isSolver(address account) public view returns (bool) {
        Bond memory b = _bonds[account];
        return b.exitableAt == 0 && b.amount >= minBond && b.amount != 0;
    }

    /// @dev Reverts unless `account` is an active solver. One cold SLOAD.
    function _authorizeSolver(address account) internal view {
        Bond memory b = _bonds[account];
        if (b.amount < minBond || b.amount == 0) revert NotSolver(account);
        if (b.exitableAt != 0) revert SolverExiting(account, b.exitableAt);
    }

    function _sendEth(address to, uint256 amount) internal {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert EthTransferFailed(to, amount);
    }
}
