// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";
import {ICollateralVault} from "../interfaces/ICollateralVault.sol";
import {OracleAdapter} from "./OracleAdapter.sol";
import {PerpMath, Position} from "./PerpMath.sol";

/// @title ClearingHouseBase
/// @notice The clearing house's storage layout, types, errors, events and the position and margin
/// helpers shared by `ClearingHouse` and the modules it delegatecalls (`AutoDeleverageModule`).
/// Every storage variable is declared here and nowhere else, so a module running in the clearing
/// house's context reads and writes exactly the clearing house's slots. The split exists for the
/// EIP-170 code size limit; see `ClearingHouse` for the rules.
abstract contract ClearingHouseBase {
    using PerpMath for Position;

    int256 internal constant WAD = 1e18;
    /// @notice An account may hold positions in at most this many markets (bounds margin-check gas).
    uint256 public constant MAX_ACCOUNT_MARKETS = 8;
    /// @notice Clearing and oracle prices above this are rejected (keeps every product far from overflow).
    uint256 public constant MAX_PRICE = 1e36;
    /// @notice |sizeDelta| above this is rejected.
    uint256 public constant MAX_SIZE = 1e36;
    /// @notice Largest single deposit / withdrawal / insurance top-up.
    uint256 public constant MAX_AMOUNT = 1e36;

    // ------------------------------------------------------------------ types

    /// @notice Risk parameters of a market. Fractions are 1e18 fixed point.
    struct MarketConfig {
        AggregatorV3Interface feed;
        /// @dev Seconds after `updatedAt` for which the feed's answer counts as fresh.
        uint32 heartbeat;
        /// @dev Seconds over which the premium is paid as funding (e.g. 8 hours).
        uint32 fundingPeriod;
        uint64 initialMarginFraction;
        uint64 maintenanceMarginFraction;
        uint64 feeFraction;
        /// @dev Risk-increasing fills need |clearing - oracle| <= maxPriceDeviation * oracle.
        uint64 maxPriceDeviation;
        /// @dev Cap on |premium| used for funding, as a fraction of the oracle price per period.
        uint64 maxFundingRate;
        /// @dev Cap on long open interest (== short open interest), in size units.
        uint256 maxOpenInterest;
    }

    struct Market {
        MarketConfig config;
        OracleAdapter.Feed oracle;
        int256 fundingIndex;
        int256 fundingPerSecond;
        uint64 lastFundingTime;
        bool listed;
        /// @dev Time-weighted premium of the market's fills (1e18 fraction of the oracle price,
        /// within ±maxFundingRate), updated only by batches that traded in the market.
        int64 premium;
        /// @dev When `premium` was last updated (the listing time before any trade).
        uint64 lastPremiumTime;
        uint256 openInterest;
    }

    /// @notice A position fill of one batch, already authorised and limit-checked by Settlement.
    /// @param marketIndex Index into the batch's market list.
    struct Fill {
        address account;
        int256 sizeDelta;
        uint8 marketIndex;
        bool reduceOnly;
    }

    /// @dev Per-market scratch state of one batch.
    struct BatchMarket {
        Market market;
        uint32 id;
        int256 price;
        int256 mark;
        bool fresh;
        int256 net;
        /// @dev Long size traded in this batch (half the gross fill size).
        int256 volume;
    }

    // ------------------------------------------------------------------ errors

    error NotOwner(address caller);
    error OnlySettlement(address caller);
    error ZeroAmount();
    error AmountTooLarge(uint256 amount);
    error MarketAlreadyListed(uint32 market);
    error UnknownMarket(uint32 market);
    error InvalidMarketConfig(uint32 market);
    error PriceCountMismatch(uint256 markets, uint256 prices);
    /// @notice market ids in a batch must be strictly ascending (one price per market).
    error MarketsNotSorted(uint256 index);
    error PriceOutOfRange(uint32 market, uint256 price);
    error MarketIndexOutOfRange(uint256 fill);
    error ZeroSizeDelta(uint256 fill);
    error SizeOutOfRange(uint256 fill);
    /// @notice A reduce-only fill would grow or flip the position.
    error ReduceOnlyViolated(uint256 fill, int256 size, int256 sizeDelta);
    /// @notice A risk-increasing fill while the market's oracle is stale.
    error OracleStale(uint32 market);
    /// @notice A risk-increasing fill at a clearing price too far from the oracle.
    error PriceDeviation(uint32 market, uint256 clearingPrice, uint256 oraclePrice);
    /// @notice Longs and shorts of a market did not net to zero.
    error MarketNotBalanced(uint32 market, int256 net);
    error OpenInterestCapExceeded(uint32 market, uint256 openInterest, uint256 cap);
    error TooManyMarkets(address account);
    /// @notice The account ends below its initial margin requirement.
    error InsufficientMargin(address account, int256 equity, int256 requirement);
    error NotLiquidatable(address account, int256 equity, int256 maintenance);
    error SelfLiquidation();
    error UnpricedMarket(uint32 market);
    error CollateralVaultAlreadySet();
    /// @notice ADL only runs for a bankrupt account (equity < 0) whose loss exceeds the insurance fund.
    error AdlNotNeeded(address account, int256 equity, int256 insuranceFund);
    /// @notice The counterparties given cannot take over the account's whole position in `market`.
    error AdlInsufficientCounterparties(uint32 market);
    /// @notice Counterparties must be listed most profitable first (uPnL per notional), per market.
    error AdlNotRanked(uint32 market, address counterparty);
    error NotDeleverager(address caller);

    // ------------------------------------------------------------------ events

    event Deposited(address indexed account, address indexed from, uint256 amount);
    event Withdrawn(address indexed account, address indexed to, uint256 amount);
    event InsuranceFunded(address indexed from, uint256 amount);
    event MarketListed(uint32 indexed market, MarketConfig config);
    event MarketConfigured(uint32 indexed market, MarketConfig config);
    /// @notice One per fill (trade or liquidation transfer). `fee` and `realisedPnl` in collateral units.
    event PositionChanged(
        address indexed account,
        uint32 indexed market,
        int256 sizeDelta,
        uint256 price,
        int256 size,
        int256 openNotional,
        int256 realisedPnl,
        int256 fee
    );
    /// @notice One per market per batch.
    event MarketCleared(
        uint32 indexed market, uint256 price, uint256 oraclePrice, int256 fundingIndex, int256 fundingPerSecond
    );
    event Liquidated(
        address indexed account,
        address indexed liquidator,
        uint256 fraction,
        int256 penalty,
        int256 liquidatorReward,
        int256 badDebt
    );
    event OwnerChanged(address indexed owner);
    event CollateralVaultSet(address indexed vault);
    event DeleveragerSet(address indexed deleverager);
    /// @notice ADL: `counterparty` took over `size` of the bankrupt `account`'s position and paid `charge` of its loss.
    event Deleveraged(address indexed account, address indexed counterparty, uint32 indexed market, int256 size, int256 charge);

    // ------------------------------------------------------------------ state

    address public immutable settlement;
    address public immutable collateralToken;
    uint8 public immutable collateralDecimals;
    /// @notice Penalty on liquidated notional (1e18 fraction).
    int256 public immutable liquidationPenalty;
    /// @notice Liquidator's share of the penalty (1e18 fraction); the rest goes to the insurance fund.
    int256 public immutable liquidatorShare;

    address public owner;
    /// @notice Fees, penalties, rounding dust and funding float; pays bad debt. Negative = unabsorbed bad debt.
    int256 public insuranceFund;
    /// @notice Cash owed to open positions: minus the realised PnL and plus the funding paid so far.
    int256 public pnlFloat;
    /// @notice Cumulative bad debt covered by the insurance fund.
    uint256 public badDebtCovered;
    /// @notice Cumulative bad debt that exceeded the insurance fund (drove it negative).
    uint256 public badDebtUncovered;
    /// @notice Cumulative bad debt charged to auto-deleveraged counterparties.
    uint256 public badDebtSocialised;

    mapping(uint32 id => Market) internal _markets;
    uint32[] public marketIds;
    mapping(address account => int256) public collateral;
    mapping(address account => mapping(uint32 market => Position)) internal _positions;
    mapping(address account => uint32[]) internal _accountMarkets;
    /// @notice Holds extra collateral tokens with haircuts (zero: stablecoin only).
    ICollateralVault public collateralVault;
    /// @notice The only caller of `autoDeleverage` (set by governance; zero: nobody).
    address public deleverager;

    /// @dev Transient-storage seed for "account already in this batch's touched list".
    uint256 internal constant TOUCHED_SEED = 0x7c0e0b5d;

    constructor(
        address owner_,
        address settlement_,
        address collateralToken_,
        uint8 collateralDecimals_,
        int256 liquidationPenalty_,
        int256 liquidatorShare_
    ) {
        // A penalty of at most 10% of the closed notional (it comes out of the liquidated account).
        if (liquidationPenalty_ < 0 || liquidationPenalty_ > WAD / 10 || liquidatorShare_ < 0 || liquidatorShare_ > WAD) {
            revert InvalidMarketConfig(0);
        }
        owner = owner_;
        settlement = settlement_;
        collateralToken = collateralToken_;
        collateralDecimals = collateralDecimals_;
        liquidationPenalty = liquidationPenalty_;
        liquidatorShare = liquidatorShare_;
    }

    // ------------------------------------------------------------------ shared position and margin helpers

    /// @dev Applies a fill to a funding-settled position, keeps the account's market list and the
    /// market's long open interest (in `mk`, written back by the caller) current.
    function _fill(address account, uint32 id, Position storage p, int256 delta, int256 price, Market memory mk)
        internal
        returns (int256 realised)
    {
        int256 size = p.size;
        (int256 newSize, int256 newOpen, int256 r) = PerpMath.applyFill(size, p.openNotional, delta, price);
        realised = r;
        p.size = newSize;
        p.openNotional = newOpen;
        // forge-lint: disable-next-line(unsafe-typecast) -- sizes are bounded by MAX_SIZE sums
        mk.openInterest = mk.openInterest + (newSize > 0 ? uint256(newSize) : 0) - (size > 0 ? uint256(size) : 0);
        if (size == 0) {
            uint32[] storage list = _accountMarkets[account];
            if (list.length >= MAX_ACCOUNT_MARKETS) revert TooManyMarkets(account);
            list.push(id);
        } else if (newSize == 0) {
            _removeMarket(account, id);
        }
    }

    /// @dev Moves the position's pending funding from collateral to the insurance fund (the
    /// funding float); returns the amount paid.
    function _settleFunding(address account, Position storage p, int256 index) internal returns (int256 paid) {
        int256 last = p.fundingIndex;
        if (last == index) return 0;
        p.fundingIndex = index;
        if (p.size == 0) return 0;
        paid = PerpMath.mulDivCeil(p.size, index - last, WAD);
        collateral[account] -= paid;
    }

    /// @dev Accrues the market's funding index to now.
    function _accrue(Market storage mk) internal {
        uint64 last = mk.lastFundingTime;
        // forge-lint: disable-next-line(block-timestamp) -- funding accrues per second of block time
        if (last == block.timestamp) return;
        mk.fundingIndex = _indexNow(mk);
        mk.lastFundingTime = uint64(block.timestamp);
    }

    function _indexNow(Market storage mk) internal view returns (int256) {
        return mk.fundingIndex + mk.fundingPerSecond * int256(block.timestamp - mk.lastFundingTime);
    }

    function _removeMarket(address account, uint32 id) internal {
        uint32[] storage list = _accountMarkets[account];
        uint256 n = list.length;
        for (uint256 i; i < n; ++i) {
            if (list[i] == id) {
                list[i] = list[n - 1];
                list.pop();
                return;
            }
        }
    }

    /// @dev Sums over the account's markets. `strict` reverts on a stale oracle (withdrawals).
    /// Otherwise (batch margin checks, liquidations) nothing stale counts in the account's favour:
    /// a stale market's unrealised PnL counts at most zero (its requirement at the last price), and
    /// extra collateral with a stale feed counts zero, so profit nobody can currently check never
    /// backs new risk, and a lagging feed never shields an account from liquidation.
    function _health(address account, bool strict)
        internal
        view
        returns (int256 equity, int256 initial, int256 maintenance, int256 totalNotional)
    {
        equity = collateral[account];
        ICollateralVault vault = collateralVault;
        if (address(vault) != address(0)) equity += vault.value(account, strict);
        uint32[] storage list = _accountMarkets[account];
        for (uint256 i; i < list.length; ++i) {
            (int256 value, int256 notionalValue, int256 im, int256 mm) = _positionHealth(account, list[i], strict);
            equity += value;
            totalNotional += notionalValue;
            initial += im;
            maintenance += mm;
        }
    }

    /// @dev One position's contribution to equity (unrealised PnL, at most zero on a stale mark,
    /// less pending funding), its notional at the mark, and its initial and maintenance requirements.
    function _positionHealth(address account, uint32 id, bool strict)
        internal
        view
        returns (int256 value, int256 notionalValue, int256 im, int256 mm)
    {
        Market storage mk = _markets[id];
        (int256 mark, bool fresh) = _mark(id, mk, strict);
        Position memory p = _positions[account][id];
        value = p.unrealisedPnl(mark);
        if (!fresh && value > 0) value = 0;
        value -= p.pendingFunding(_indexNow(mk));
        notionalValue = PerpMath.notional(p.size, mark);
        im = PerpMath.mulDivCeil(notionalValue, int256(uint256(mk.config.initialMarginFraction)), WAD);
        mm = PerpMath.mulDivCeil(notionalValue, int256(uint256(mk.config.maintenanceMarginFraction)), WAD);
    }

    /// @dev The oracle mark and whether it is fresh; `strict` reverts `OracleStale` unless fresh.
    function _mark(uint32 id, Market storage mk, bool strict) internal view returns (int256, bool fresh) {
        uint256 price;
        uint256 updatedAt;
        (price, fresh, updatedAt) = OracleAdapter.read(mk.oracle);
        if (strict && !fresh) revert OracleAdapter.OracleStale(address(mk.oracle.feed), updatedAt);
        if (price == 0 || price > MAX_PRICE) revert UnpricedMarket(id);
        // forge-lint: disable-next-line(unsafe-typecast) -- 0 < price <= MAX_PRICE = 1e36 was just checked
        return (int256(price), fresh);
    }

    /// @dev A liquidation leg: fill at mark without fee, realised PnL to collateral, event.
    function _transferFill(address account, uint32 id, Position storage p, int256 delta, int256 mark, Market memory mm)
        internal
        returns (int256 realised)
    {
        realised = _fill(account, id, p, delta, mark, mm);
        collateral[account] += realised;
        // forge-lint: disable-next-line(unsafe-typecast) -- mark > 0
        emit PositionChanged(account, id, delta, uint256(mark), p.size, p.openNotional, realised, 0);
    }

    /// @dev The vault's `seize` (0 without a vault): the stablecoin value of the extra collateral
    /// sold to the insurance fund; the caller credits the account and debits the fund.
    function _seize(address account, int256 need) internal returns (int256) {
        ICollateralVault vault = collateralVault;
        return address(vault) == address(0) ? int256(0) : vault.seize(account, need);
    }
}
