// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC4626} from "solady/tokens/ERC4626.sol";
import {FixedPointMathLib as FPM} from "solady/utils/FixedPointMathLib.sol";
import {SafeTransferLib} from "solady/utils/SafeTransferLib.sol";
import {IPerpLiquiditySource} from "../interfaces/IPerpLiquiditySource.sol";
import {PerpMath, Position} from "./PerpMath.sol";
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

/// @title PerpVault
/// @notice A perpetual liquidity vault: LPs pool the clearing house's collateral stablecoin for
/// ERC-4626 shares (Solady's ERC4626, virtual shares with a decimals offset against the inflation
/// attack), and the pool trades as one margin account of the clearing house, taking the net side of
/// a batch in a market at a price no better for the traders than its on-chain quote curve. It is the
/// worked example of `IPerpLiquiditySource`, as `StableSwapPool` is of `ILiquiditySource`.
///
/// Margin account: every asset the LPs committed sits in the clearing house as this contract's
/// collateral; the vault's positions, funding and margin are booked and checked there exactly like
/// any account's (after every batch it touched it must meet initial margin, or the batch reverts;
/// it can be liquidated). NAV = `totalAssets()` = max(0, equity) from `accountHealth`
/// (collateral + unrealised PnL - pending funding at the oracle marks), so the share price marks to
/// the oracle continuously and funding accrues to and from LPs like to any account.
///
/// Quote curve (skew premium, as Synthetix perps v2/v3 and GMX v2's price impact): with the vault's
/// position v, the size it takes d (signed from its side) and the traders' net exposure against it
/// s0 = -v before and s1 = -(v + d) after, the average premium over the trade is
///   premium = (s0 + s1) * 1e18 / (2 * skewScale)                  (1e18 fraction of the mark m)
/// rounded up when the vault sells (d < 0) and down when it buys, and the bound is
///   ask (d < 0) = ceil(ceil(m * (1e18 + premium) / 1e18) * (1e18 + fee) / 1e18)
///   bid (d > 0) = floor(floor(m * (1e18 + premium) / 1e18) * (1e18 - fee) / 1e18)
/// Every rounding favours the vault; `protocol/perp-vault.ts` reproduces it to the wei. Traders
/// that push the skew further pay more (the vault is paid to warehouse the risk); traders that
/// reduce it get a better price (an arbitrageur is paid to rebalance the vault, GMX's positive
/// impact), and the fee is charged either way. Limits, for fills that grow the vault's exposure in
/// the market (|v + d| > |v|; a fill that does not is always quoted, so traders can close against a
/// vault whose NAV fell): |v + d| <= maxPosition, and the vault's gross notional after the fill (the
/// market's size replaced by v + d, every other market at its loose mark, each notional rounded up)
/// at most `maxLeverage` x NAV. Refused outright when the market is not enabled here or its oracle
/// is stale. Hyperliquid's HLP is the same idea run by
/// an off-chain market maker; here the curve is on chain and the batch's solver chooses the price.
///
/// Authorisation (EIP-1271, spec section 4): the solver adds a PositionTrade for this vault with
/// `signature = abi.encode(market, sizeDelta, limitPrice, validTo, nonce)`; `isValidSignature`
/// rebuilds the PositionIntent v2 digest (account = this vault, not reduce-only, fill-or-kill) and
/// accepts it only when the digest matches and `limitPrice` is on the vault's side of `quote` in the
/// state the Settlement sees (before the batch). The Settlement then checks the clearing price
/// against `limitPrice`; the clearing house forbids a second fill of the vault in the same market of
/// one batch, so one quote covers one fill. Fills in several markets of one batch are each checked
/// against the pre-batch state (the vault cannot see the others), so their combined leverage can
/// exceed `maxLeverage`; the clearing house's initial-margin check after the batch is the hard bound.
///
/// Deposits and withdrawals cannot be timed against a known oracle move (ERC-7540-style asynchronous
/// requests, both directions): a request escrows the LP's assets (deposit) or shares (redeem) and
/// records the share price at that moment; after `requestDelay` seconds the controller claims at
/// the WORSE of the request-time and claim-time prices for the LP (fewer shares for a deposit, fewer
/// assets for a redemption). A move known D <= requestDelay seconds ahead (a pending Chainlink round
/// in the mempool, a feeder's publication) happens after the request or before the claim, so at
/// least one of the two prices already includes it, and the LP always gets the worse one: a deposit
/// ahead of a rise is priced after the rise, a redemption ahead of a fall pays after the fall. The
/// difference stays with the remaining LPs. A delay alone would not do (the price would be the
/// claim's, which the LP could still time); a fee would have to exceed every move worth timing,
/// which taxes honest LPs; epochs need a keeper. Escrowed deposit assets are not in NAV (they buy
/// nothing until claimed) and escrowed redeem shares stay in the supply (they keep bearing the
/// vault's losses, while gains above the request price go to the others). A second request of the
/// same controller before claiming merges into one at the lower of the two prices and restarts the
/// delay (so merging can never improve a price). Cancelling returns the escrow unchanged (assets, or
/// shares) and is harmless: with the worse-price rule, a claim is never better than depositing or
/// redeeming at either of the two moments, so the option to walk away is worth nothing to a timer
/// and costs the other LPs nothing (it is also the exit while the vault is insolvent).
/// Bootstrap: while there are no shares and no positions the vault carries no market risk, so a
/// plain ERC-4626 `deposit`/`mint` is synchronous (the devnet seeds it this way); otherwise they
/// revert `AsyncFlow` and the preview functions revert as ERC-7540 requires of async vaults.
/// Redemptions are always asynchronous: `redeem`/`withdraw` claim a request. A claim pays at most
/// `freeAssets()`: equity minus the larger of the initial margin and gross notional / maxLeverage,
/// so a leaving LP never levers up those who stay beyond the vault's own limit (the clearing house
/// also requires initial margin at strict oracle reads); the rest waits for traders to close or new
/// deposits, and `maxRedeem`/`maxWithdraw` say how much can be paid now.
///
/// Governance: the owner (meant to be the repo's `Timelock`, two-step ownership) sets per-market
/// params, `maxLeverage` and `requestDelay`, all bounded in code. Differences from ERC-7540: one
/// aggregated request per controller (`requestId` 0); a request must also come from (an operator
/// of) its controller, so nobody can restart another's delay; and the two-argument `deposit`/`mint`
/// are the bootstrap path rather than claims (claims use the three-argument overloads).
contract PerpVault is ERC4626, IPerpLiquiditySource, Ownable2Step {
    using SafeTransferLib for address;

    // ------------------------------------------------------------------ types

    /// @notice Per-market quote parameters. `skewScale`: the skew (size units) at which the premium
    /// reaches 100%; `feeFraction`: 1e18 fraction added to the ask / taken off the bid;
    /// `maxPosition`: bound on |vault position| after a fill; `enabled`: the vault quotes the market.
    struct MarketParams {
        uint256 skewScale;
        uint64 feeFraction;
        uint256 maxPosition;
        bool enabled;
    }

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
    /// @notice EIP-712 type hash of PositionIntent v2 (spec section 1), kept here so the vault does
    /// not depend on the hashing library's version.
    bytes32 public constant POSITION_INTENT_V2_TYPEHASH = keccak256(
        "PositionIntent(address account,uint32 market,int256 sizeDelta,uint256 limitPrice,bool reduceOnly,bool partiallyFillable,uint32 validTo,uint256 nonce)"
    );
    int256 internal constant WAD = 1e18;
    /// @notice The only request id: requests aggregate per controller (ERC-7540 allows id 0).
    uint256 public constant REQUEST_ID = 0;
    /// @notice Bounds on the governed parameters.
    uint256 public constant MAX_FEE_FRACTION = 0.01e18;
    uint256 public constant MIN_SKEW_SCALE = 1e18;
    uint256 public constant MAX_SKEW_SCALE = 1e36;
    uint256 public constant MAX_POSITION = 1e36;
    uint256 public constant MAX_LEVERAGE = 5e18;
    uint256 public constant MIN_REQUEST_DELAY = 1 minutes;
    uint256 public constant MAX_REQUEST_DELAY = 7 days;
    /// @dev The clearing house's price and size bounds (marks above it count as stale here).
    uint256 internal constant MAX_PRICE = 1e36;
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

    /// @notice Gross notional / NAV bound (1e18 = 1x) on fills the vault authorises.
    uint256 public maxLeverage;
    /// @notice Seconds between a request and its claim.
    uint256 public requestDelay;
    mapping(uint32 market => MarketParams) public marketParams;
    /// @notice Whether `liquidate` (the vault as backstop liquidator) is open.
    bool public backstopEnabled;

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
    error UnknownMarket(uint32 market);
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
    // quote refusals
    error InvalidSize(int256 sizeDelta);
    error MarketDisabled(uint32 market);
    error OracleStale(uint32 market);
    error MaxPositionExceeded(uint32 market, int256 positionAfter, uint256 maxPosition);
    error LeverageExceeded(uint256 grossNotional, uint256 nav, uint256 maxLeverage);
    error PremiumOutOfRange(uint32 market, int256 premium);
    /// @notice A backstop liquidation would leave the vault in a market it does not quote or past
    /// its position limit there.
    error BackstopOutOfLimits(uint32 market, int256 size);
    error BackstopDisabled();

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
    event MarketParamsSet(uint32 indexed market, MarketParams params);
    event MaxLeverageSet(uint256 maxLeverage);
    event RequestDelaySet(uint256 requestDelay);
    event BackstopEnabledSet(bool enabled);

    constructor(address clearingHouse_, address owner_, uint256 requestDelay_, uint256 maxLeverage_)
        Ownable2Step(owner_)
    {
        if (clearingHouse_ == address(0) || owner_ == address(0)) revert ZeroAddress();
        if (requestDelay_ < MIN_REQUEST_DELAY || requestDelay_ > MAX_REQUEST_DELAY || maxLeverage_ > MAX_LEVERAGE) {
            revert InvalidParams();
        }
        clearingHouse = IPerpVaultClearingHouse(clearingHouse_);
        settlement = IPerpVaultClearingHouse(clearingHouse_).settlement();
        _asset = IPerpVaultClearingHouse(clearingHouse_).collateralToken();
        _assetDecimals = IPerpVaultClearingHouse(clearingHouse_).collateralDecimals();
        requestDelay = requestDelay_;
        maxLeverage = maxLeverage_;
        _asset.safeApprove(clearingHouse_, type(uint256).max);
        emit RequestDelaySet(requestDelay_);
        emit MaxLeverageSet(maxLeverage_);
    }

    // ------------------------------------------------------------------ ERC-20 / ERC-4626 metadata

    function name() public pure override returns (string memory) {
        return "Perp Liquidity Vault";
    }

    function symbol() public pure override returns (string memory) {
        return "PLV";
    }

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

    // ------------------------------------------------------------------ governance

    /// @notice Sets market `market`'s quote parameters. Bounds: the market is listed in the clearing
    /// house; fee <= 1%; an enabled market needs 1e18 <= skewScale <= 1e36 (so the premium of a
    /// full-size skew stays below 1e36 and nothing overflows) and maxPosition <= 1e36.
    function setMarketParams(uint32 market, MarketParams calldata p) external onlyOwner {
        (,,, bool listed) = clearingHouse.marketState(market);
        if (!listed) revert UnknownMarket(market);
        if (p.feeFraction > MAX_FEE_FRACTION || p.maxPosition > MAX_POSITION) revert InvalidParams();
        if (p.enabled && (p.skewScale < MIN_SKEW_SCALE || p.skewScale > MAX_SKEW_SCALE)) revert InvalidParams();
        marketParams[market] = p;
        emit MarketParamsSet(market, p);
    }

    /// @notice Gross-notional bound as a multiple of NAV (1e18 = 1x), at most 5x.
    function setMaxLeverage(uint256 maxLeverage_) external onlyOwner {
        if (maxLeverage_ > MAX_LEVERAGE) revert InvalidParams();
        maxLeverage = maxLeverage_;
        emit MaxLeverageSet(maxLeverage_);
    }

    /// @notice Seconds between a request and its claim, 1 minute to 7 days (pending requests keep
    /// the claim time they were given).
    function setRequestDelay(uint256 requestDelay_) external onlyOwner {
        if (requestDelay_ < MIN_REQUEST_DELAY || requestDelay_ > MAX_REQUEST_DELAY) revert InvalidParams();
        requestDelay = requestDelay_;
        emit RequestDelaySet(requestDelay_);
    }

    /// @notice Opens or closes `liquidate` (the vault as backstop liquidator).
    function setBackstopEnabled(bool enabled) external onlyOwner {
        backstopEnabled = enabled;
        emit BackstopEnabledSet(enabled);
    }

    // ------------------------------------------------------------------ liquidity source

    /// @inheritdoc IPerpLiquiditySource
    function quote(uint32 market, int256 sizeDelta) public view returns (uint256 price) {
        // forge-lint: disable-next-line(unsafe-typecast) -- MAX_SIZE = 1e36 < 2^255
        if (sizeDelta == 0 || sizeDelta > int256(MAX_SIZE) || sizeDelta < -int256(MAX_SIZE)) {
            revert InvalidSize(sizeDelta);
        }
        MarketParams memory p = marketParams[market];
        if (!p.enabled) revert MarketDisabled(market);
        (uint256 mark, bool fresh) = clearingHouse.markPrice(market);
        if (!fresh || mark == 0 || mark > MAX_PRICE) revert OracleStale(market);
        int256 v = clearingHouse.position(address(this), market).size;
        int256 after_ = v + sizeDelta;
        // Limits bind fills that grow the vault's exposure in this market; one that does not
        // (|v + d| <= |v|) only lowers its risk and is always quoted, so traders can close against
        // the vault even after its NAV fell or governance lowered a limit.
        if (PerpMath.abs(after_) > PerpMath.abs(v)) {
            // forge-lint: disable-next-line(unsafe-typecast) -- maxPosition <= 1e36
            if (PerpMath.abs(after_) > int256(p.maxPosition)) {
                revert MaxPositionExceeded(market, after_, p.maxPosition);
            }
            _checkLeverage(market, after_, mark);
        }
        // s0 + s1 = -v - (v + d); premium rounded in the vault's favour.
        int256 skewSum = -v - after_;
        // forge-lint: disable-next-line(unsafe-typecast) -- skewScale <= 1e36
        int256 den = 2 * int256(p.skewScale);
        int256 premium =
            sizeDelta < 0 ? PerpMath.mulDivCeil(skewSum, WAD, den) : PerpMath.mulDivFloor(skewSum, WAD, den);
        int256 factor = WAD + premium;
        if (factor <= 0) revert PremiumOutOfRange(market, premium);
        // forge-lint: disable-next-line(unsafe-typecast) -- factor > 0
        uint256 f = uint256(factor);
        uint256 fee = p.feeFraction;
        if (sizeDelta < 0) price = FPM.mulDivUp(FPM.mulDivUp(mark, f, 1e18), 1e18 + fee, 1e18);
        else price = FPM.mulDiv(FPM.mulDiv(mark, f, 1e18), 1e18 - fee, 1e18);
    }

    /// @dev Gross notional after the fill (market `market` at `sizeAfter`, the others as they are)
    /// must be <= maxLeverage * NAV / 1e18 (compared without dividing).
    function _checkLeverage(uint32 market, int256 sizeAfter, uint256 mark) internal view {
        uint256 gross = _notional(sizeAfter, mark) + _grossNotional(market, true);
        uint256 nav = totalAssets();
        if (gross * 1e18 > maxLeverage * nav) revert LeverageExceeded(gross, nav, maxLeverage);
    }

    /// @notice The vault's gross notional: sum over its markets of |size| * mark, each rounded up,
    /// at loose marks (a stale market counts at its last price).
    function grossNotional() public view returns (uint256) {
        return _grossNotional(0, false);
    }

    /// @dev Gross notional of every market of the vault but `skip` (when `skipping`).
    function _grossNotional(uint32 skip, bool skipping) internal view returns (uint256 gross) {
        uint32[] memory ids = clearingHouse.accountMarkets(address(this));
        for (uint256 i; i < ids.length; ++i) {
            uint32 id = ids[i];
            if (skipping && id == skip) continue;
            (uint256 m,) = clearingHouse.markPrice(id);
            gross += _notional(clearingHouse.position(address(this), id).size, m);
        }
    }

    function _notional(int256 size, uint256 mark) internal pure returns (uint256) {
        // forge-lint: disable-next-line(unsafe-typecast) -- |size| <= a few 1e36
        return FPM.mulDivUp(uint256(PerpMath.abs(size)), mark, 1e18);
    }

    /// @inheritdoc IPerpLiquiditySource
    /// @dev `signature` = abi.encode(uint32 market, int256 sizeDelta, uint256 limitPrice, uint32 validTo,
    /// uint256 nonce). Accepts only a PositionIntent v2 digest with account = this vault, reduceOnly =
    /// false, partiallyFillable = false, under the Settlement's domain, whose limit is on the vault's
    /// side of `quote` now (vault sells: limit >= ask; vault buys: limit <= bid). Expiry and the
    /// nonce are the Settlement's to check, as for any intent.
    function isValidSignature(bytes32 digest, bytes calldata signature) external view returns (bytes4) {
        if (signature.length != 160) return EIP1271_INVALID;
        (uint32 market, int256 sizeDelta, uint256 limitPrice, uint32 validTo, uint256 nonce) =
            abi.decode(signature, (uint32, int256, uint256, uint32, uint256));
        bytes32 structHash = keccak256(
            abi.encode(
                POSITION_INTENT_V2_TYPEHASH, address(this), market, sizeDelta, limitPrice, false, false, validTo, nonce
            )
        );
        bytes32 expected =
            keccak256(abi.encodePacked(hex"1901", IPerpVaultSettlement(settlement).domainSeparator(), structHash));
        if (expected != digest) return EIP1271_INVALID;
        try this.quote(market, sizeDelta) returns (uint256 bound) {
            bool ok = sizeDelta < 0 ? limitPrice >= bound : limitPrice <= bound;
            return ok ? EIP1271_MAGIC : EIP1271_INVALID;
        } catch {
            return EIP1271_INVALID;
        }
    }

    // ------------------------------------------------------------------ backstop liquidation

    /// @notice Backstop liquidator, callable by anyone: liquidates `account` through the clearing
    /// house with the vault as the liquidator, so the vault takes over the closed fraction of the
    /// account's positions at the oracle mark and earns the liquidator's share of the penalty (for
    /// its LPs). Reverts unless the vault stays within its own limits afterwards: every market it
    /// holds enabled here and within `maxPosition`, gross notional within `maxLeverage` x NAV
    /// (the clearing house also requires the vault to meet initial margin). Returns the fraction.
    /// Off by default (`setBackstopEnabled`): since anyone picks the moment, a caller who knows the
    /// next oracle round can hand the vault a position at the mark just before an adverse move
    /// (adverse selection a keeper choosing for itself does not suffer); the limits bound it.
    function liquidate(address account) external returns (uint256 fraction) {
        if (!backstopEnabled) revert BackstopDisabled();
        fraction = clearingHouse.liquidate(account);
        uint32[] memory ids = clearingHouse.accountMarkets(address(this));
        for (uint256 i; i < ids.length; ++i) {
            uint32 id = ids[i];
            MarketParams memory p = marketParams[id];
            int256 size = clearingHouse.position(address(this), id).size;
            // forge-lint: disable-next-line(unsafe-typecast) -- maxPosition <= 1e36
            if (size != 0 && (!p.enabled || PerpMath.abs(size) > int256(p.maxPosition))) {
                revert BackstopOutOfLimits(id, size);
            }
        }
        uint256 gross = _grossNotional(0, false);
        uint256 nav = totalAssets();
        if (gross * 1e18 > maxLeverage * nav) revert LeverageExceeded(gross, nav, maxLeverage);
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
        if (totalSupply() != 0 || clearingHouse.accountMarkets(address(this)).length != 0) revert AsyncFlow();
    }

    /// @dev Claims price at NAV, so every market the vault holds must have a fresh oracle: a lagging
    /// feed would leave a move out of the claim-time price (an LP who saw the market crash while the
    /// feed was stale could otherwise redeem at the pre-crash value its request recorded).
    function _requireFreshMarks() internal view {
        uint32 stale = _staleMarket();
        if (stale != type(uint32).max) revert OracleStale(stale);
    }

    /// @dev The first market the vault holds a position in whose oracle is stale, or type(uint32).max.
    function _staleMarket() internal view returns (uint32) {
        uint32[] memory ids = clearingHouse.accountMarkets(address(this));
        for (uint256 i; i < ids.length; ++i) {
            (uint256 m, bool fresh) = clearingHouse.markPrice(ids[i]);
            if ((!fresh || m > MAX_PRICE) && clearingHouse.position(address(this), ids[i]).size != 0) return ids[i];
        }
        return type(uint32).max;
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
        if (totalSupply() == 0 && clearingHouse.accountMarkets(address(this)).length == 0) return type(uint256).max;
        if (_staleMarket() != type(uint32).max) return 0;
        return claimableDepositRequest(REQUEST_ID, controller);
    }

    /// @notice Shares `controller` can claim with `mint(shares, receiver, controller)` now.
    function maxMint(address controller) public view override returns (uint256) {
        if (totalSupply() == 0 && clearingHouse.accountMarkets(address(this)).length == 0) return type(uint256).max;
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

    /// @notice What redemptions can take out of the vault now: equity minus the larger of the
    /// initial margin requirement and gross notional / maxLeverage (loose marks; zero when negative).
    /// The leverage term keeps a leaving LP from levering up the ones who stay beyond what the vault
    /// would trade into; the claim waits until traders close positions or new deposits arrive
    /// (GMX v2 caps withdrawals by its reserve factor the same way).
    function freeAssets() public view returns (uint256) {
        (int256 equity, int256 initial,) = clearingHouse.accountHealth(address(this));
        uint256 gross = grossNotional();
        uint256 floor_;
        if (gross != 0) floor_ = maxLeverage == 0 ? type(uint256).max : FPM.fullMulDivUp(gross, 1e18, maxLeverage);
        if (equity <= 0 || equity <= initial) return 0;
        // forge-lint: disable-next-line(unsafe-typecast) -- positive
        uint256 e = uint256(equity);
        // forge-lint: disable-next-line(unsafe-typecast) -- 0 <= initial < equity
        uint256 free = e - uint256(initial > 0 ? initial : int256(0));
        return floor_ >= e ? 0 : FPM.min(free, e - floor_);
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
