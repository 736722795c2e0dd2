// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC4626} from "solady/tokens/ERC4626.sol";
import {FixedPointMathLib as FPM} from "solady/utils/FixedPointMathLib.sol";
import {SafeTransferLib} from "solady/utils/SafeTransferLib.sol";
import {Position} from "./PerpMath.sol";
import {Ownable2Step} from "../governance/Ownable2Step.sol";


/// @notice What the vault needs from the clearing house (a subset of `ClearingHouse`'s ABI).
interface IPerpVaultClearingHouse {
    function settlement() external view returns (address);
    function collateralToken() external view returns (address);
    function collateralDecimals() external view returns (uint8);
    function deposit(address account, uint256 amount) external;
    function withdraw(uint256 amount, address to) external;
    function accountHealth(address account)
        external
        view
        returns (int256 equity, int256 initialRequirement, int256 maintenanceRequirement);
    function position(address account, uint32 id) external view returns (Position memory);
    function accountMarkets(address account) external view returns (uint32[] memory);
    function markPrice(uint32 id) external view returns (uint256 price, bool fresh);
    function marketState(uint32 id)
        external
        view
        returns (int256 fundingIndex, int256 fundingPerSecond, uint256 openInterest, bool listed);
    function liquidate(address account) external returns (uint256 fraction);
}

/// @notice The Settlement's EIP-712 domain (the vault rebuilds position-intent digests under it).
interface IPerpVaultSettlement {
    function domainSeparator() external view returns (bytes32);
}

/// @title ClearingHouseLpVault
/// @notice The LP half shared by the clearing house's liquidity vaults (`PerpVault`, and
/// `options/OptionVault`): ERC-4626 shares (Solady, virtual shares with a decimals offset of 6)
/// over one margin account of the clearing house, with ERC-7540-style asynchronous deposits and
/// redemptions claimed at the worse for the LP of the request-time and claim-time prices (see
/// `PerpVault`'s notice and `perp/README.md` for why). NAV = max(0, equity) from `accountHealth`,
/// which for an option holder includes the options' model value and the portfolio margin. A vault
/// says what it holds (`_hasExposure`: the bootstrap deposit is open only without it), which of its
/// marks is stale (`_staleMarket`: claims wait for it) and what redemptions may take out
/// (`freeAssets`). Moved here unchanged from `PerpVault` so both vaults run one copy of this code.
abstract contract ClearingHouseLpVault is ERC4626, Ownable2Step {
    using SafeTransferLib for address;

    // ------------------------------------------------------------------ types

    /// @dev A controller's pending deposit: escrowed `assets`, the `shares` they would buy at the
    /// request's price (min-merged), and when they become claimable.
    struct DepositRequestState {
        uint256 assets;
        uint256 shares;
        uint64 claimableAt;
    }

    /// @dev A controller's pending redemption: escrowed `shares`, the `assets` they were worth at the
    /// request's price (min-merged), and when they become claimable.
    struct RedeemRequestState {
        uint256 shares;
        uint256 assets;
        uint64 claimableAt;
    }

    // ------------------------------------------------------------------ constants

    bytes4 internal constant EIP1271_MAGIC = 0x1626ba7e;
    bytes4 internal constant EIP1271_INVALID = 0xffffffff;
    int256 internal constant WAD = 1e18;
    /// @notice The only request id: requests aggregate per controller (ERC-7540 allows id 0).
    uint256 public constant REQUEST_ID = 0;
    uint256 public constant MIN_REQUEST_DELAY = 1 minutes;
    uint256 public constant MAX_REQUEST_DELAY = 7 days;
    uint256 internal constant MAX_SIZE = 1e36;
    /// @dev Virtual shares: 10^6 per unit of asset at the start, so an inflation attack has to
    /// donate a million times what it hopes to take.
    uint8 internal constant DECIMALS_OFFSET = 6;

    // ------------------------------------------------------------------ immutables and state

    IPerpVaultClearingHouse public immutable clearingHouse;
    /// @notice The clearing house's Settlement, whose domain the position-intent digests use.
    address public immutable settlement;
    address internal immutable _asset;
    uint8 internal immutable _assetDecimals;

    /// @notice Seconds between a request and its claim.
    uint256 public requestDelay;

    mapping(address controller => DepositRequestState) internal _depositRequests;
    mapping(address controller => RedeemRequestState) internal _redeemRequests;
    /// @notice ERC-7540 operators: `isOperator[controller][operator]`.
    mapping(address controller => mapping(address operator => bool)) public isOperator;
    /// @notice Assets escrowed by pending deposit requests (held here as tokens, not in NAV).
    uint256 public totalPendingDepositAssets;
    /// @notice Shares escrowed by pending redeem requests (held by this contract).
    uint256 public totalPendingRedeemShares;

    // ------------------------------------------------------------------ errors and events

    error ZeroAddress();
    error InvalidParams();
    error ZeroAmount();
    /// @notice The plain ERC-4626 entry point is closed: use requestDeposit / requestRedeem and claim.
    error AsyncFlow();
    /// @notice `msg.sender` is neither the owner/controller nor one of its operators.
    error NotAuthorized(address caller, address account);
    error RequestNotClaimable(address controller, uint256 claimableAt);
    error ExceedsRequest(uint256 amount, uint256 pending);
    /// @notice A deposit claim while the vault's equity is negative would pay its deficit.
    error VaultInsolvent(int256 equity);
    /// @notice A redemption claim above what the vault can release now (`freeAssets`); it waits.
    error InsufficientFreeAssets(uint256 assets, uint256 free);
    /// @notice A claim (or a quote) needs the oracle mark of `market`, which is stale.
    error OracleStale(uint32 market);

    /// ERC-7540 events.
    event DepositRequest(
        address indexed controller, address indexed owner, uint256 indexed requestId, address sender, uint256 assets
    );
    event RedeemRequest(
        address indexed controller, address indexed owner, uint256 indexed requestId, address sender, uint256 shares
    );
    event OperatorSet(address indexed controller, address indexed operator, bool approved);
    event DepositRequestCancelled(address indexed controller, address indexed receiver, uint256 assets);
    event RedeemRequestCancelled(address indexed controller, address indexed receiver, uint256 shares);
    event RequestDelaySet(uint256 requestDelay);

    constructor(address clearingHouse_, address owner_, uint256 requestDelay_) Ownable2Step(owner_) {
        if (clearingHouse_ == address(0) || owner_ == address(0)) revert ZeroAddress();
        if (requestDelay_ < MIN_REQUEST_DELAY || requestDelay_ > MAX_REQUEST_DELAY) revert InvalidParams();
        clearingHouse = IPerpVaultClearingHouse(clearingHouse_);
        settlement = IPerpVaultClearingHouse(clearingHouse_).settlement();
        _asset = IPerpVaultClearingHouse(clearingHouse_).collateralToken();
        _assetDecimals = IPerpVaultClearingHouse(clearingHouse_).collateralDecimals();
        requestDelay = requestDelay_;
        _asset.safeApprove(clearingHouse_, type(uint256).max);
        emit RequestDelaySet(requestDelay_);
    }

    // ------------------------------------------------------------------ hooks

    /// @dev Whether the vault holds anything with market risk (positions, options): while it holds
    /// nothing and has no shares, the plain synchronous ERC-4626 deposit is open.
    function _hasExposure() internal view virtual returns (bool);

    /// @dev A market whose stale mark would leave a move out of NAV, or type(uint32).max.
    function _staleMarket() internal view virtual returns (uint32);

    /// @notice What redemptions can take out of the vault now.
    function freeAssets() public view virtual returns (uint256);

    // ------------------------------------------------------------------ ERC-20 / ERC-4626 metadata

    function asset() public view override returns (address) {
        return _asset;
    }

    function _underlyingDecimals() internal view override returns (uint8) {
        return _assetDecimals;
    }

    function _decimalsOffset() internal pure override returns (uint8) {
        return DECIMALS_OFFSET;
    }

    /// @dev Shares move only by their holders' own approvals.
    function _givePermit2InfiniteAllowance() internal pure override returns (bool) {
        return false;
    }

    /// @notice NAV: max(0, equity) of the vault's clearing-house account (collateral + unrealised PnL
    /// - pending funding at loose oracle marks). Escrowed deposit assets are not part of it.
    function totalAssets() public view override returns (uint256) {
        (int256 equity,,) = clearingHouse.accountHealth(address(this));
        // forge-lint: disable-next-line(unsafe-typecast) -- equity > 0
        return equity > 0 ? uint256(equity) : 0;
    }

    /// @notice Seconds between a request and its claim, 1 minute to 7 days (pending requests keep
    /// the claim time they were given).
    function setRequestDelay(uint256 requestDelay_) external onlyOwner {
        if (requestDelay_ < MIN_REQUEST_DELAY || requestDelay_ > MAX_REQUEST_DELAY) revert InvalidParams();
        requestDelay = requestDelay_;
        emit RequestDelaySet(requestDelay_);
    }

    // ------------------------------------------------------------------ ERC-7540 operators

    function setOperator(address operator, bool approved) external returns (bool) {
        isOperator[msg.sender][operator] = approved;
        emit OperatorSet(msg.sender, operator, approved);
        return true;
    }

    function _onlySelfOrOperator(address account) internal view {
        if (msg.sender != account && !isOperator[account][msg.sender]) revert NotAuthorized(msg.sender, account);
    }

    // ------------------------------------------------------------------ deposits

    /// @notice Escrows `assets` from `owner_` (now) for `controller` to claim as shares after
    /// `requestDelay`, at the lower of the share counts at request and at claim. A second request of
    /// the same controller merges at the lower price and restarts the delay. The caller must be (or
    /// operate for) both `owner_` and `controller` (stricter than ERC-7540, so nobody can restart
    /// someone else's delay). Returns request id 0.
    function requestDeposit(uint256 assets, address controller, address owner_) external returns (uint256) {
        if (assets == 0) revert ZeroAmount();
        if (controller == address(0)) revert ZeroAddress();
        _onlySelfOrOperator(owner_);
        // Also the controller's (or its operator's) call: a request merges into the controller's
        // pending one and restarts its delay, which nobody else may do to it.
        _onlySelfOrOperator(controller);
        _asset.safeTransferFrom(owner_, address(this), assets);
        DepositRequestState storage r = _depositRequests[controller];
        uint256 total = r.assets + assets;
        uint256 sharesNow = convertToShares(total);
        // Merged: the whole amount at the lower of the previous request's price and today's.
        r.shares = r.assets == 0 ? sharesNow : FPM.min(FPM.fullMulDiv(r.shares, total, r.assets), sharesNow);
        r.assets = total;
        // forge-lint: disable-next-line(unsafe-typecast) -- timestamp + at most 7 days < 2^64
        r.claimableAt = uint64(block.timestamp + requestDelay);
        totalPendingDepositAssets += assets;
        emit DepositRequest(controller, owner_, REQUEST_ID, msg.sender, assets);
        return REQUEST_ID;
    }

    /// @notice Claims `assets` of `controller`'s claimable deposit request: shares to `receiver` =
    /// min(the request's shares for them, what they buy now). The assets join the vault's margin.
    /// Reverts `OracleStale` while a market the vault holds has a stale oracle (claims wait for it).
    function deposit(uint256 assets, address receiver, address controller) public returns (uint256 shares) {
        _onlySelfOrOperator(controller);
        DepositRequestState memory r = _claimableDeposit(controller);
        if (assets == 0) revert ZeroAmount();
        if (assets > r.assets) revert ExceedsRequest(assets, r.assets);
        shares = FPM.min(FPM.fullMulDiv(r.shares, assets, r.assets), convertToShares(assets));
        _settleDeposit(controller, receiver, assets, shares, r);
    }

    /// @notice Claims exactly `shares` from `controller`'s claimable deposit request, for the larger
    /// of their request-time and claim-time prices in assets (rounded up).
    function mint(uint256 shares, address receiver, address controller) public returns (uint256 assets) {
        _onlySelfOrOperator(controller);
        DepositRequestState memory r = _claimableDeposit(controller);
        if (shares == 0 || r.shares == 0) revert ZeroAmount();
        assets = FPM.max(FPM.fullMulDivUp(r.assets, shares, r.shares), _previewMintNow(shares));
        if (assets > r.assets) revert ExceedsRequest(assets, r.assets);
        _settleDeposit(controller, receiver, assets, shares, r);
    }

    /// @notice Bootstrap only (no shares and no positions: the vault bears no market risk): a plain
    /// synchronous ERC-4626 deposit. Otherwise reverts `AsyncFlow` (use requestDeposit).
    function deposit(uint256 assets, address receiver) public override returns (uint256 shares) {
        _requireBootstrap();
        if (assets == 0) revert ZeroAmount();
        shares = convertToShares(assets);
        _syncDeposit(receiver, assets, shares);
    }

    /// @notice Bootstrap only, as `deposit(assets, receiver)`.
    function mint(uint256 shares, address receiver) public override returns (uint256 assets) {
        _requireBootstrap();
        if (shares == 0) revert ZeroAmount();
        assets = _previewMintNow(shares);
        _syncDeposit(receiver, assets, shares);
    }

    /// @notice Returns `controller`'s whole pending deposit (claimable or not) to `receiver`, unchanged.
    function cancelDepositRequest(address controller, address receiver) external returns (uint256 assets) {
        _onlySelfOrOperator(controller);
        assets = _depositRequests[controller].assets;
        if (assets == 0) revert ZeroAmount();
        delete _depositRequests[controller];
        totalPendingDepositAssets -= assets;
        _asset.safeTransfer(receiver, assets);
        emit DepositRequestCancelled(controller, receiver, assets);
    }

    function _claimableDeposit(address controller) internal view returns (DepositRequestState memory r) {
        r = _depositRequests[controller];
        // forge-lint: disable-next-line(block-timestamp) -- the delay is minutes to days; seconds of skew do not matter
        if (r.assets == 0 || block.timestamp < r.claimableAt) revert RequestNotClaimable(controller, r.claimableAt);
    }

    function _settleDeposit(
        address controller,
        address receiver,
        uint256 assets,
        uint256 shares,
        DepositRequestState memory r
    ) internal {
        if (shares == 0) revert ZeroAmount();
        _requireSolvent();
        _requireFreshMarks();
        DepositRequestState storage s = _depositRequests[controller];
        if (assets == r.assets) {
            delete _depositRequests[controller];
        } else {
            // The rest keeps (at most) the request's price: its recorded shares shrink rounding up.
            s.shares = r.shares - FPM.min(r.shares, FPM.fullMulDivUp(r.shares, assets, r.assets));
            s.assets = r.assets - assets;
        }
        totalPendingDepositAssets -= assets;
        clearingHouse.deposit(address(this), assets);
        _mint(receiver, shares);
        emit Deposit(controller, receiver, assets, shares);
    }

    function _syncDeposit(address receiver, uint256 assets, uint256 shares) internal {
        if (shares == 0 || assets == 0) revert ZeroAmount();
        _asset.safeTransferFrom(msg.sender, address(this), assets);
        clearingHouse.deposit(address(this), assets);
        _mint(receiver, shares);
        emit Deposit(msg.sender, receiver, assets, shares);
    }

    function _requireBootstrap() internal view {
        if (totalSupply() != 0 || _hasExposure()) revert AsyncFlow();
    }

    /// @dev Claims price at NAV, so every market the vault holds must have a fresh oracle: a lagging
    /// feed would leave a move out of the claim-time price (an LP who saw the market crash while the
    /// feed was stale could otherwise redeem at the pre-crash value its request recorded).
    function _requireFreshMarks() internal view {
        uint32 stale = _staleMarket();
        if (stale != type(uint32).max) revert OracleStale(stale);
    }

    function _requireSolvent() internal view {
        (int256 equity,,) = clearingHouse.accountHealth(address(this));
        if (equity < 0) revert VaultInsolvent(equity);
    }

    /// @dev Solady's previewMint formula (assets for `shares` now, rounded up), which this contract
    /// otherwise makes revert.
    function _previewMintNow(uint256 shares) internal view returns (uint256) {
        return FPM.fullMulDivUp(shares, totalAssets() + 1, totalSupply() + 10 ** DECIMALS_OFFSET);
    }

    function _previewWithdrawNow(uint256 assets) internal view returns (uint256) {
        return FPM.fullMulDivUp(assets, totalSupply() + 10 ** DECIMALS_OFFSET, totalAssets() + 1);
    }

    // ------------------------------------------------------------------ redemptions

    /// @notice Escrows `shares` of `owner_` (now) for `controller` to claim as assets after
    /// `requestDelay`, at the lower of their value at request and at claim. The caller must be the
    /// owner, its operator, or hold an allowance, and be (or operate for) `controller`. Merges like
    /// `requestDeposit`. Returns request id 0.
    function requestRedeem(uint256 shares, address controller, address owner_) external returns (uint256) {
        if (shares == 0) revert ZeroAmount();
        if (controller == address(0)) revert ZeroAddress();
        _onlySelfOrOperator(controller); // as in requestDeposit
        if (msg.sender != owner_ && !isOperator[owner_][msg.sender]) _spendAllowance(owner_, msg.sender, shares);
        _transfer(owner_, address(this), shares);
        RedeemRequestState storage r = _redeemRequests[controller];
        uint256 total = r.shares + shares;
        uint256 assetsNow = convertToAssets(total);
        r.assets = r.shares == 0 ? assetsNow : FPM.min(FPM.fullMulDiv(r.assets, total, r.shares), assetsNow);
        r.shares = total;
        // forge-lint: disable-next-line(unsafe-typecast) -- timestamp + at most 7 days < 2^64
        r.claimableAt = uint64(block.timestamp + requestDelay);
        totalPendingRedeemShares += shares;
        emit RedeemRequest(controller, owner_, REQUEST_ID, msg.sender, shares);
        return REQUEST_ID;
    }

    /// @notice Claims `shares` of `controller`'s claimable redemption: pays `receiver` min(their value
    /// at the request's price, their value now). Reverts `InsufficientFreeAssets` when the vault
    /// cannot release that much now (see `maxRedeem`), `OracleStale` while a market it holds has a
    /// stale oracle.
    function redeem(uint256 shares, address receiver, address controller) public override returns (uint256 assets) {
        _onlySelfOrOperator(controller);
        RedeemRequestState memory r = _claimableRedeem(controller);
        if (shares == 0) revert ZeroAmount();
        if (shares > r.shares) revert ExceedsRequest(shares, r.shares);
        assets = _redeemPayout(r, shares);
        _settleRedeem(controller, receiver, assets, shares, r);
    }

    /// @notice Claims exactly `assets` from `controller`'s claimable redemption, burning the larger of
    /// the share counts at the request's price and now (rounded up).
    function withdraw(uint256 assets, address receiver, address controller) public override returns (uint256 shares) {
        _onlySelfOrOperator(controller);
        RedeemRequestState memory r = _claimableRedeem(controller);
        if (assets == 0 || r.assets == 0) revert ZeroAmount();
        shares = FPM.max(FPM.fullMulDivUp(r.shares, assets, r.assets), _previewWithdrawNow(assets));
        if (shares > r.shares) revert ExceedsRequest(shares, r.shares);
        _settleRedeem(controller, receiver, assets, shares, r);
    }

    /// @notice Returns `controller`'s whole pending redemption (claimable or not) to `receiver` as shares.
    function cancelRedeemRequest(address controller, address receiver) external returns (uint256 shares) {
        _onlySelfOrOperator(controller);
        shares = _redeemRequests[controller].shares;
        if (shares == 0) revert ZeroAmount();
        delete _redeemRequests[controller];
        totalPendingRedeemShares -= shares;
        _transfer(address(this), receiver, shares);
        emit RedeemRequestCancelled(controller, receiver, shares);
    }

    function _claimableRedeem(address controller) internal view returns (RedeemRequestState memory r) {
        r = _redeemRequests[controller];
        // forge-lint: disable-next-line(block-timestamp) -- the delay is minutes to days; seconds of skew do not matter
        if (r.shares == 0 || block.timestamp < r.claimableAt) revert RequestNotClaimable(controller, r.claimableAt);
    }

    function _redeemPayout(RedeemRequestState memory r, uint256 shares) internal view returns (uint256) {
        return FPM.min(FPM.fullMulDiv(r.assets, shares, r.shares), convertToAssets(shares));
    }

    function _settleRedeem(
        address controller,
        address receiver,
        uint256 assets,
        uint256 shares,
        RedeemRequestState memory r
    ) internal {
        RedeemRequestState storage s = _redeemRequests[controller];
        if (shares == r.shares) {
            delete _redeemRequests[controller];
        } else {
            // The rest keeps (at most) the request's price: its recorded assets shrink rounding up.
            s.assets = r.assets - FPM.min(r.assets, FPM.fullMulDivUp(r.assets, shares, r.shares));
            s.shares = r.shares - shares;
        }
        _requireFreshMarks();
        if (assets > freeAssets()) revert InsufficientFreeAssets(assets, freeAssets());
        totalPendingRedeemShares -= shares;
        _burn(address(this), shares);
        if (assets != 0) clearingHouse.withdraw(assets, receiver);
        emit Withdraw(msg.sender, receiver, controller, assets, shares);
    }

    // ------------------------------------------------------------------ ERC-7540 / ERC-4626 views

    /// @notice Assets of `controller`'s deposit request still waiting for the delay (request id 0).
    function pendingDepositRequest(uint256 requestId, address controller) external view returns (uint256) {
        DepositRequestState memory r = _depositRequests[controller];
        // forge-lint: disable-next-line(block-timestamp) -- the delay is minutes to days; seconds of skew do not matter
        return requestId == REQUEST_ID && block.timestamp < r.claimableAt ? r.assets : 0;
    }

    /// @notice Assets of `controller`'s deposit request that can be claimed now (request id 0).
    function claimableDepositRequest(uint256 requestId, address controller) public view returns (uint256) {
        DepositRequestState memory r = _depositRequests[controller];
        // forge-lint: disable-next-line(block-timestamp) -- the delay is minutes to days; seconds of skew do not matter
        return requestId == REQUEST_ID && block.timestamp >= r.claimableAt ? r.assets : 0;
    }

    /// @notice Shares of `controller`'s redeem request still waiting for the delay (request id 0).
    function pendingRedeemRequest(uint256 requestId, address controller) external view returns (uint256) {
        RedeemRequestState memory r = _redeemRequests[controller];
        // forge-lint: disable-next-line(block-timestamp) -- the delay is minutes to days; seconds of skew do not matter
        return requestId == REQUEST_ID && block.timestamp < r.claimableAt ? r.shares : 0;
    }

    /// @notice Shares of `controller`'s redeem request that can be claimed now (request id 0).
    function claimableRedeemRequest(uint256 requestId, address controller) public view returns (uint256) {
        RedeemRequestState memory r = _redeemRequests[controller];
        // forge-lint: disable-next-line(block-timestamp) -- the delay is minutes to days; seconds of skew do not matter
        return requestId == REQUEST_ID && block.timestamp >= r.claimableAt ? r.shares : 0;
    }

    /// @notice `controller`'s deposit request: escrowed assets, shares at the request's price, claim time.
    function depositRequest(address controller) external view returns (DepositRequestState memory) {
        return _depositRequests[controller];
    }

    /// @notice `controller`'s redeem request: escrowed shares, assets at the request's price, claim time.
    function redeemRequest(address controller) external view returns (RedeemRequestState memory) {
        return _redeemRequests[controller];
    }

    /// @notice Assets `controller` can claim with `deposit(assets, receiver, controller)` now
    /// (unbounded in the bootstrap state, where the two-argument deposit is open).
    function maxDeposit(address controller) public view override returns (uint256) {
        if (totalSupply() == 0 && !_hasExposure()) return type(uint256).max;
        if (_staleMarket() != type(uint32).max) return 0;
        return claimableDepositRequest(REQUEST_ID, controller);
    }

    /// @notice Shares `controller` can claim with `mint(shares, receiver, controller)` now.
    function maxMint(address controller) public view override returns (uint256) {
        if (totalSupply() == 0 && !_hasExposure()) return type(uint256).max;
        uint256 assets = claimableDepositRequest(REQUEST_ID, controller);
        if (assets == 0 || _staleMarket() != type(uint32).max) return 0;
        DepositRequestState memory r = _depositRequests[controller];
        return FPM.min(r.shares, convertToShares(assets));
    }

    /// @notice Shares of `controller`'s claimable redemption the vault can pay now (none while a
    /// market it holds has a stale oracle): all of them when
    /// their payout fits within `freeAssets()` (loose marks; the clearing house's withdrawal check
    /// also reads the oracles strictly), else the part that fits.
    function maxRedeem(address controller) public view override returns (uint256) {
        uint256 shares = claimableRedeemRequest(REQUEST_ID, controller);
        if (shares == 0 || _staleMarket() != type(uint32).max) return 0;
        RedeemRequestState memory r = _redeemRequests[controller];
        uint256 payout = _redeemPayout(r, shares);
        uint256 free = freeAssets();
        if (payout <= free) return shares;
        return FPM.fullMulDiv(shares, free, payout + 1);
    }

    /// @notice Assets `controller` can withdraw now (the payout of `maxRedeem`).
    function maxWithdraw(address controller) public view override returns (uint256) {
        uint256 shares = maxRedeem(controller);
        if (shares == 0) return 0;
        return _redeemPayout(_redeemRequests[controller], shares);
    }



    /// @notice Bootstrap state: as ERC-4626. Otherwise reverts `AsyncFlow` (ERC-7540: an async
    /// deposit vault's previews revert).
    function previewDeposit(uint256 assets) public view override returns (uint256) {
        _requireBootstrap();
        return convertToShares(assets);
    }

    /// @notice As `previewDeposit`.
    function previewMint(uint256 shares) public view override returns (uint256) {
        _requireBootstrap();
        return _previewMintNow(shares);
    }

    /// @notice Always reverts `AsyncFlow`: redemptions are asynchronous (ERC-7540).
    function previewWithdraw(uint256) public view override returns (uint256) {
        return _asyncOnly();
    }

    /// @notice Always reverts `AsyncFlow`: redemptions are asynchronous (ERC-7540).
    function previewRedeem(uint256) public view override returns (uint256) {
        return _asyncOnly();
    }

    /// @dev Reverts `AsyncFlow`. Written as a condition the compiler cannot fold (the asset is never
    /// zero), so Solady's overridden synchronous withdraw/redeem bodies, which call the previews,
    /// do not warn as unreachable.
    function _asyncOnly() internal view returns (uint256) {
        if (_asset != address(0)) revert AsyncFlow();
        return 0;
    }

    /// @notice ERC-165 for ERC-7540's operator, async deposit and async redeem interfaces.
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == 0x01ffc9a7 // ERC-165
            || interfaceId == 0xe3bc4e65 // ERC-7540 operator methods
            || interfaceId == 0xce3bbe50 // ERC-7540 async deposit
            || interfaceId == 0x620ee8e4; // ERC-7540 async redeem
    }
}
