// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {FixedPointMathLib as FPM} from "solady/utils/FixedPointMathLib.sol";
import {IPerpLiquiditySource} from "../interfaces/IPerpLiquiditySource.sol";
import {PerpMath} from "./PerpMath.sol";
import {ClearingHouseLpVault, IPerpVaultClearingHouse, IPerpVaultSettlement} from "./ClearingHouseLpVault.sol";

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
contract PerpVault is ClearingHouseLpVault, IPerpLiquiditySource {

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

    // ------------------------------------------------------------------ constants

    /// @notice EIP-712 type hash of PositionIntent v2 (spec section 1), kept here so the vault does
    /// not depend on the hashing library's version.
    bytes32 public constant POSITION_INTENT_V2_TYPEHASH = keccak256(
        "PositionIntent(address account,uint32 market,int256 sizeDelta,uint256 limitPrice,bool reduceOnly,bool partiallyFillable,uint32 validTo,uint256 nonce)"
    );
    /// @notice Bounds on the governed parameters.
    uint256 public constant MAX_FEE_FRACTION = 0.01e18;
    uint256 public constant MIN_SKEW_SCALE = 1e18;
    uint256 public constant MAX_SKEW_SCALE = 1e36;
    uint256 public constant MAX_POSITION = 1e36;
    uint256 public constant MAX_LEVERAGE = 5e18;
    /// @dev The clearing house's price and size bounds (marks above it count as stale here).
    uint256 internal constant MAX_PRICE = 1e36;

    // ------------------------------------------------------------------ state

    /// @notice Gross notional / NAV bound (1e18 = 1x) on fills the vault authorises.
    uint256 public maxLeverage;
    mapping(uint32 market => MarketParams) public marketParams;
    /// @notice Whether `liquidate` (the vault as backstop liquidator) is open.
    bool public backstopEnabled;

    // ------------------------------------------------------------------ errors and events

    error UnknownMarket(uint32 market);
    // quote refusals
    error InvalidSize(int256 sizeDelta);
    error MarketDisabled(uint32 market);
    error MaxPositionExceeded(uint32 market, int256 positionAfter, uint256 maxPosition);
    error LeverageExceeded(uint256 grossNotional, uint256 nav, uint256 maxLeverage);
    error PremiumOutOfRange(uint32 market, int256 premium);
    /// @notice A backstop liquidation would leave the vault in a market it does not quote or past
    /// its position limit there.
    error BackstopOutOfLimits(uint32 market, int256 size);
    error BackstopDisabled();

    event MarketParamsSet(uint32 indexed market, MarketParams params);
    event MaxLeverageSet(uint256 maxLeverage);
    event BackstopEnabledSet(bool enabled);

    constructor(address clearingHouse_, address owner_, uint256 requestDelay_, uint256 maxLeverage_)
        ClearingHouseLpVault(clearingHouse_, owner_, requestDelay_)
    {
        if (maxLeverage_ > MAX_LEVERAGE) revert InvalidParams();
        maxLeverage = maxLeverage_;
        emit MaxLeverageSet(maxLeverage_);
    }

    // ------------------------------------------------------------------ ERC-20 / ERC-4626 metadata

    function name() public pure override returns (string memory) {
        return "Perp Liquidity Vault";
    }

    function symbol() public pure override returns (string memory) {
        return "PLV";
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

    // ------------------------------------------------------------------ hooks

    /// @dev Any position in the clearing house.
    function _hasExposure() internal view override returns (bool) {
        return clearingHouse.accountMarkets(address(this)).length != 0;
    }

    /// @dev The first market the vault holds a position in whose oracle is stale, or type(uint32).max.
    function _staleMarket() internal view override returns (uint32) {
        uint32[] memory ids = clearingHouse.accountMarkets(address(this));
        for (uint256 i; i < ids.length; ++i) {
            (uint256 m, bool fresh) = clearingHouse.markPrice(ids[i]);
            if ((!fresh || m > MAX_PRICE) && clearingHouse.position(address(this), ids[i]).size != 0) return ids[i];
        }
        return type(uint32).max;
    }

    /// @notice What redemptions can take out of the vault now: equity minus the larger of the
    /// initial margin requirement and gross notional / maxLeverage (loose marks; zero when negative).
    /// The leverage term keeps a leaving LP from levering up the ones who stay beyond what the vault
    /// would trade into; the claim waits until traders close positions or new deposits arrive
    /// (GMX v2 caps withdrawals by its reserve factor the same way).
    function freeAssets() public view override returns (uint256) {
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
}
