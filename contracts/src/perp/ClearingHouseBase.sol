// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";
import {ICircuitBreaker} from "../interfaces/ICircuitBreaker.sol";
import {ICollateralVault} from "../interfaces/ICollateralVault.sol";
import {OracleAdapter} from "./OracleAdapter.sol";
import {StoredPosition} from "./PerpMath.sol";

// Two of the clearing house's bounds, at file level so that the library that enforces them
// (`Accounts`) reads the very numbers `ClearingHouseBase` publishes as constants.
uint256 constant ACCOUNT_MARKETS_LIMIT = 8;
uint256 constant PRICE_LIMIT = 1e30;

/// @title ClearingHouseBase
/// @notice The clearing house's storage layout, types, errors and events: what `ClearingHouse`, the
/// module it delegatecalls (`AutoDeleverageModule`) and the libraries that change its books
/// (`Accounts`, `Liquidation`, `Deleverage`) share. Every storage variable is declared here and
/// nowhere else, so a module running in the clearing house's context reads and writes exactly the
/// clearing house's slots. The books the libraries work on are one struct, `State`, which the
/// contracts hand them as a storage pointer; the getters below read it. See `ClearingHouse` for the
/// rules.
abstract contract ClearingHouseBase {
    int256 internal constant WAD = 1e18;
    /// @notice An account may hold positions in at most this many markets (bounds margin-check gas).
    uint256 public constant MAX_ACCOUNT_MARKETS = ACCOUNT_MARKETS_LIMIT;
    /// @notice Clearing and oracle prices above this are rejected (keeps every product far from
    /// overflow, and bounds the funding index a `StoredPosition` keeps in 128 bits). 1e30 is
    /// 1e12 collateral tokens per whole unit at 18 decimals.
    uint256 public constant MAX_PRICE = PRICE_LIMIT;
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
        /// @dev |rate| <= MAX_PRICE * maxFundingRate / fundingPeriod <= 1e30 * 20% / 1 hour
        /// = 5.6e25 < 2^95: shares a slot with the accrual time, so accruing reads two slots.
        int96 fundingPerSecond;
        uint64 lastFundingTime;
        bool listed;
        /// @dev Time-weighted premium of the market's fills (1e18 fraction of the oracle price,
        /// within ±maxFundingRate), updated only by batches that traded in the market.
        int64 premium;
        /// @dev When `premium` was last updated (the listing time before any trade).
        uint64 lastPremiumTime;
        /// @dev <= a few times MAX_SIZE (1e36) even mid-batch, < 2^128; shares a slot with
        /// lastPremiumTime (a batch that trades writes both).
        uint128 openInterest;
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
        /// @dev The circuit breaker halts risk-increasing fills in this market (`MarketHalted`).
        bool halted;
    }

    /// @notice The books: markets, positions, stablecoin balances and the system's own accounts.
    /// Everything a trade, a liquidation or an ADL changes is here (the libraries take it as
    /// `self`); governance state (owner, market list, deleverager) stays outside. `positions`, the
    /// most used member, comes first: it sits at the struct's own slot, so reaching it needs no
    /// offset added to `self`.
    struct State {
        mapping(address account => mapping(uint32 market => StoredPosition)) positions;
        mapping(uint32 id => Market) markets;
        /// @dev The markets in which the account holds a position (at most MAX_ACCOUNT_MARKETS = 8),
        /// packed in one word: 32-bit lanes filled from the lowest, each a market id (ids are
        /// non-zero, so an empty lane ends the list); one slot to read in every margin check.
        mapping(address account => uint256) accountMarkets;
        /// @dev Stablecoin balance; may be negative while extra collateral backs it.
        mapping(address account => int256) collateral;
        int256 insuranceFund;
        int256 pnlFloat;
        uint256 badDebtCovered;
        uint256 badDebtUncovered;
        uint256 badDebtSocialised;
        /// @dev Holds extra collateral tokens with haircuts (zero: stablecoin only).
        ICollateralVault collateralVault;
        /// @dev The option book (zero: no options): the only caller of the option hooks, asked for
        /// the options' part of the health of accounts flagged in `holdsOptions`.
        address optionBook;
        /// @dev Set by the option book while the account has an open option position, so an
        /// account without options costs one slot read, not an external call, in every valuation.
        mapping(address account => bool) holdsOptions;
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
    /// @notice A reduce-only fill on a flat position or on the same side as the position.
    error ReduceOnlyViolated(uint256 fill, int256 size, int256 sizeDelta);
    /// @notice A second fill of the same account in the same market in one batch.
    error DuplicateFill(uint256 fill, address account, uint32 market);
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
    error OptionBookAlreadySet();
    /// @notice An option hook called by anyone but the option book.
    error NotOptionBook(address caller);
    /// @notice ADL only runs for a bankrupt account (equity < 0) whose loss exceeds the insurance fund.
    error AdlNotNeeded(address account, int256 equity, int256 insuranceFund);
    /// @notice The counterparties given cannot take over the account's whole position in `market`.
    error AdlInsufficientCounterparties(uint32 market);
    /// @notice Counterparties must be listed most profitable first (uPnL per notional), per market.
    error AdlNotRanked(uint32 market, address counterparty);
    error NotDeleverager(address caller);
    /// @notice A risk-increasing fill while the market's circuit breaker halts it (see `CircuitBreaker`).
    error MarketHalted(uint32 market);

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
    event OptionBookSet(address indexed optionBook);
    event DeleveragerSet(address indexed deleverager);
    event CircuitBreakerSet(address indexed breaker);
    /// @notice ADL: `counterparty` took over `size` of the bankrupt `account`'s position and paid `charge` of its loss.
    event Deleveraged(address indexed account, address indexed counterparty, uint32 indexed market, int256 size, int256 charge);
    /// @notice ADL: `counterparty`, which took over option legs of the bankrupt `account` (the option
    /// book's `OptionDeleveraged` events), paid `charge` of its loss.
    event OptionsDeleveraged(address indexed account, address indexed counterparty, int256 charge);

    // ------------------------------------------------------------------ state

    address public immutable settlement;
    address public immutable collateralToken;
    uint8 public immutable collateralDecimals;
    /// @notice Penalty on liquidated notional (1e18 fraction).
    int256 public immutable liquidationPenalty;
    /// @notice Liquidator's share of the penalty (1e18 fraction); the rest goes to the insurance fund.
    int256 public immutable liquidatorShare;

    address public owner;
    /// @dev The books (see `State`); read through the getters below.
    State internal _state;
    uint32[] public marketIds;
    /// @notice The only caller of `autoDeleverage` (set by governance; zero: nobody).
    address public deleverager;
    /// @notice Asked once per batch market whether risk-increasing fills are halted (zero: never).
    ICircuitBreaker public circuitBreaker;

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

    // ------------------------------------------------------------------ getters of the books

    /// @notice Fees, penalties, rounding dust and funding float; pays bad debt. Negative = unabsorbed bad debt.
    function insuranceFund() external view returns (int256) {
        return _state.insuranceFund;
    }

    /// @notice Cash owed to open positions: minus the realised PnL and plus the funding paid so far.
    function pnlFloat() external view returns (int256) {
        return _state.pnlFloat;
    }

    /// @notice Cumulative bad debt covered by the insurance fund.
    function badDebtCovered() external view returns (uint256) {
        return _state.badDebtCovered;
    }

    /// @notice Cumulative bad debt that exceeded the insurance fund (drove it negative).
    function badDebtUncovered() external view returns (uint256) {
        return _state.badDebtUncovered;
    }

    /// @notice Cumulative bad debt charged to auto-deleveraged counterparties.
    function badDebtSocialised() external view returns (uint256) {
        return _state.badDebtSocialised;
    }

    /// @notice The account's stablecoin balance (negative while extra collateral backs it).
    function collateral(address account) external view returns (int256) {
        return _state.collateral[account];
    }

    /// @notice Holds extra collateral tokens with haircuts (zero: stablecoin only).
    function collateralVault() external view returns (ICollateralVault) {
        return _state.collateralVault;
    }

    /// @notice The option book (zero: none), the only caller of `optionCash` and `setOptionHolder`.
    function optionBook() external view returns (address) {
        return _state.optionBook;
    }
}
