// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TokenTransfer} from "../libraries/TokenTransfer.sol";
import {AggregatorV3Interface} from "./AggregatorV3Interface.sol";
import {OracleAdapter} from "./OracleAdapter.sol";
import {PerpMath, Position} from "./PerpMath.sol";

/// @notice The extra-collateral side of margin accounts (`CollateralVault`).
interface ICollateralVault {
    function value(address account, bool strict) external view returns (int256);
    function seize(address account, int256 need) external returns (int256 bought);
}

/// @title ClearingHouse
/// @notice Cross-margined perpetual futures cleared in the Settlement's batches.
///
/// Accounts hold the settlement stablecoin (`collateralToken`) here and, optionally, extra
/// collateral tokens with haircuts in the `CollateralVault` (a separate contract only for the
/// EIP-170 size limit); one account's collateral backs all of its positions. The stablecoin is the
/// settlement currency: realised PnL, fees, funding and penalties move only its balance
/// (`collateral`, which may go negative). Equity adds the vault's haircut value of the account's
/// extra collateral (zero for a stale feed in batch checks; strict reads in withdrawals and
/// liquidations). The maths is `protocol/margin.ts`, reproduced to the wei by `PerpMath`:
///   equity      = collateral + sum(size * mark - openNotional) - sum(pending funding)
///   initial     = sum(ceil(ceil(|size| * mark) * IMF))      maintenance: same with MMF
/// where mark is the market's oracle price (`OracleAdapter`).
///
/// Trading: only the Settlement (which verified every position intent's signature, expiry, nonce
/// and limit at the batch's uniform price) calls `settlePositions` with, per market, one clearing
/// price and the fills. Per market the fills net to zero (every long has a short; no liquidity-source
/// account takes the remainder). Each fill settles the account's pending funding in that market,
/// honours reduce-only, pays the taker fee on its notional to the insurance fund and moves realised
/// PnL into collateral. After all fills, each market's long open interest must be within its cap,
/// its funding rate is re-set from the premium of the clearing price over the oracle, and every
/// touched account must meet its initial margin, or the whole batch reverts naming the account.
///
/// Funding: `fundingPerSecond = clamp((clearingPrice - oracle) / fundingPeriod, ±maxFundingRate *
/// oracle / fundingPeriod)` (collateral per 1e18 size per second), accrued into the market's index
/// lazily when the market is next touched; a position pays `ceil(size * (index - its index))`.
/// Longs pay when the index rises (perp trading above the oracle), shorts receive.
///
/// Solvency bookkeeping: realised PnL and funding are paid through `pnlFloat` (the cash that open
/// positions' unrealised PnL and pending funding are owed from, plus rounding dust, which always
/// favours the system); fees and penalties go to `insuranceFund`, which pays bad debt. So
/// `token balance == sum(collateral) + insuranceFund + pnlFloat` holds exactly at all times (tests
/// assert it). A negative insurance fund is bad debt nobody has absorbed.
///
/// Liquidation: anyone may liquidate an account whose equity is below maintenance (strict oracle
/// reads). The liquidator takes over the smallest fraction `liquidationFraction` of every position
/// that restores maintenance (all of it when none does) at the oracle mark, and the account pays a
/// penalty on the closed notional, split between the liquidator and the insurance fund. A fully
/// closed account whose stablecoin does not cover the penalty first sells its extra collateral to
/// the insurance fund at the strict haircut price (`CollateralVault.seize`); if its stablecoin is
/// still negative it is reset to zero and the insurance fund pays the difference. The liquidator must meet initial margin afterwards.
contract ClearingHouse {
    using TokenTransfer for address;
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

    /// @dev Transient-storage seed for "account already in this batch's touched list".
    uint256 private constant TOUCHED_SEED = 0x7c0e0b5d;

    constructor(
        address owner_,
        address settlement_,
        address collateralToken_,
        uint8 collateralDecimals_,
        int256 liquidationPenalty_,
        int256 liquidatorShare_
    ) {
        if (liquidationPenalty_ < 0 || liquidationPenalty_ >= WAD || liquidatorShare_ < 0 || liquidatorShare_ > WAD) {
            revert InvalidMarketConfig(0);
        }
        owner = owner_;
        settlement = settlement_;
        collateralToken = collateralToken_;
        collateralDecimals = collateralDecimals_;
        liquidationPenalty = liquidationPenalty_;
        liquidatorShare = liquidatorShare_;
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    // ------------------------------------------------------------------ governance

    function setOwner(address owner_) external onlyOwner {
        owner = owner_;
        emit OwnerChanged(owner_);
    }

    /// @notice Connects the extra-collateral vault (once: balances live there).
    function setCollateralVault(ICollateralVault vault) external onlyOwner {
        if (address(collateralVault) != address(0)) revert CollateralVaultAlreadySet();
        collateralVault = vault;
        emit CollateralVaultSet(address(vault));
    }

    /// @notice Lists market `id` with `config`; the feed's decimals fix the price normalisation.
    function listMarket(uint32 id, MarketConfig calldata config) external onlyOwner {
        Market storage m = _markets[id];
        if (m.listed) revert MarketAlreadyListed(id);
        _checkConfig(id, config);
        m.listed = true;
        m.lastFundingTime = uint64(block.timestamp);
        m.config = config;
        m.oracle = _feed(config);
        marketIds.push(id);
        emit MarketListed(id, config);
    }

    /// @notice Changes a listed market's parameters (funding accrued so far is kept).
    function configureMarket(uint32 id, MarketConfig calldata config) external onlyOwner {
        Market storage m = _markets[id];
        if (!m.listed) revert UnknownMarket(id);
        _checkConfig(id, config);
        _accrue(m);
        m.config = config;
        m.oracle = _feed(config);
        emit MarketConfigured(id, config);
    }

    function _checkConfig(uint32 id, MarketConfig calldata c) private pure {
        if (
            address(c.feed) == address(0) || c.heartbeat == 0 || c.fundingPeriod == 0
                || c.maintenanceMarginFraction == 0 || c.maintenanceMarginFraction > c.initialMarginFraction
                || c.initialMarginFraction > 1e18 || c.feeFraction >= 1e18
        ) revert InvalidMarketConfig(id);
    }

    function _feed(MarketConfig calldata c) private view returns (OracleAdapter.Feed memory f) {
        uint8 feedDecimals = c.feed.decimals();
        f.feed = c.feed;
        f.heartbeat = c.heartbeat;
        if (collateralDecimals >= feedDecimals) {
            f.multiplier = uint96(10 ** (collateralDecimals - feedDecimals));
            f.divisor = 1;
        } else {
            f.multiplier = 1;
            f.divisor = uint96(10 ** (feedDecimals - collateralDecimals));
        }
    }

    // ------------------------------------------------------------------ collateral

    /// @notice Credits `amount` of the collateral token, pulled from the caller, to `account`.
    function deposit(address account, uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        if (amount > MAX_AMOUNT) revert AmountTooLarge(amount);
        collateralToken.safeTransferFrom(msg.sender, address(this), amount);
        // forge-lint: disable-next-line(unsafe-typecast) -- amount <= MAX_AMOUNT = 1e36 < 2^255
        collateral[account] += int256(amount);
        emit Deposited(account, msg.sender, amount);
    }

    /// @notice Withdraws `amount` to `to`. Reverts `InsufficientMargin` if the account would end
    /// below its initial margin requirement (strict oracle reads when it holds positions).
    function withdraw(uint256 amount, address to) external {
        if (amount == 0) revert ZeroAmount();
        if (amount > MAX_AMOUNT) revert AmountTooLarge(amount);
        // forge-lint: disable-next-line(unsafe-typecast) -- amount <= MAX_AMOUNT = 1e36 < 2^255
        collateral[msg.sender] -= int256(amount);
        requireWithdrawable(msg.sender);
        collateralToken.safeTransfer(to, amount);
        emit Withdrawn(msg.sender, to, amount);
    }

    /// @notice Adds `amount` to the insurance fund (pulled from the caller).
    function fundInsurance(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        if (amount > MAX_AMOUNT) revert AmountTooLarge(amount);
        collateralToken.safeTransferFrom(msg.sender, address(this), amount);
        // forge-lint: disable-next-line(unsafe-typecast) -- amount <= MAX_AMOUNT = 1e36 < 2^255
        insuranceFund += int256(amount);
        emit InsuranceFunded(msg.sender, amount);
    }

    // ------------------------------------------------------------------ batch clearing

    /// @notice Applies one batch's position fills (Settlement only). `ids` strictly ascending,
    /// `prices[i]` the uniform clearing price of market `ids[i]`.
    function settlePositions(uint32[] calldata ids, uint256[] calldata prices, Fill[] calldata fills) external {
        if (msg.sender != settlement) revert OnlySettlement(msg.sender);
        uint256 m = ids.length;
        if (prices.length != m) revert PriceCountMismatch(m, prices.length);
        BatchMarket[] memory bms = new BatchMarket[](m);
        uint32 previous;
        for (uint256 i; i < m; ++i) {
            uint32 id = ids[i];
            if (i != 0 && id <= previous) revert MarketsNotSorted(i);
            previous = id;
            Market storage mk = _markets[id];
            if (!mk.listed) revert UnknownMarket(id);
            uint256 price = prices[i];
            if (price == 0 || price > MAX_PRICE) revert PriceOutOfRange(id, price);
            _accrue(mk);
            (uint256 mark, bool fresh,) = OracleAdapter.read(mk.oracle);
            BatchMarket memory b = bms[i];
            b.market = mk;
            b.id = id;
            // forge-lint: disable-next-line(unsafe-typecast) -- 0 < price <= MAX_PRICE = 1e36
            b.price = int256(price);
            // forge-lint: disable-next-line(unsafe-typecast) -- the feed answer is positive and scaled by a power of ten; fresh requires <= MAX_PRICE
            b.mark = int256(mark);
            b.fresh = fresh && mark <= MAX_PRICE;
        }

        int256 floatDelta;
        int256 fees;
        address[] memory touched = new address[](fills.length);
        uint256 touchedCount;
        for (uint256 j; j < fills.length; ++j) {
            Fill calldata f = fills[j];
            if (f.marketIndex >= m) revert MarketIndexOutOfRange(j);
            BatchMarket memory b = bms[f.marketIndex];
            (int256 fl, int256 fee) = _applyTradeFill(f, j, b);
            floatDelta += fl;
            fees += fee;
            if (_markTouched(f.account)) touched[touchedCount++] = f.account;
        }

        for (uint256 i; i < m; ++i) {
            BatchMarket memory b = bms[i];
            if (b.net != 0) revert MarketNotBalanced(b.id, b.net);
            Market storage mk = _markets[b.id];
            uint256 oi = b.market.openInterest;
            if (oi > b.market.config.maxOpenInterest) {
                revert OpenInterestCapExceeded(b.id, oi, b.market.config.maxOpenInterest);
            }
            mk.openInterest = oi;
            int256 rate = _fundingRate(b);
            mk.fundingPerSecond = rate;
            // forge-lint: disable-next-line(unsafe-typecast) -- both are positive and <= MAX_PRICE
            emit MarketCleared(b.id, uint256(b.price), uint256(b.mark), b.market.fundingIndex, rate);
        }
        insuranceFund += fees;
        pnlFloat += floatDelta;

        for (uint256 k; k < touchedCount; ++k) {
            address account = touched[k];
            _clearTouched(account);
            _requireInitialMargin(account, false);
        }
    }

    /// @dev One trade fill: funding, reduce-only, oracle guards, the fill, fee. Returns what the
    /// PnL float gains (funding paid - realised PnL) and the fee.
    function _applyTradeFill(Fill calldata f, uint256 j, BatchMarket memory b)
        private
        returns (int256 floatDelta, int256 fee)
    {
        int256 delta = f.sizeDelta;
        if (delta == 0) revert ZeroSizeDelta(j);
        // forge-lint: disable-next-line(unsafe-typecast) -- MAX_SIZE = 1e36 < 2^255
        if (PerpMath.abs(delta) > int256(MAX_SIZE)) revert SizeOutOfRange(j);
        address account = f.account;
        Position storage p = _positions[account][b.id];
        floatDelta = _settleFunding(account, p, b.market.fundingIndex);
        int256 size = p.size;
        bool reduces = size != 0 && (size > 0) != (delta > 0) && PerpMath.abs(delta) <= PerpMath.abs(size);
        if (f.reduceOnly && !reduces) revert ReduceOnlyViolated(j, size, delta);
        if (!reduces) {
            if (!b.fresh) revert OracleStale(b.id);
            int256 gap = PerpMath.abs(b.price - b.mark);
            if (gap * WAD > int256(uint256(b.market.config.maxPriceDeviation)) * b.mark) {
                // forge-lint: disable-next-line(unsafe-typecast) -- both positive and bounded
                revert PriceDeviation(b.id, uint256(b.price), uint256(b.mark));
            }
        }
        fee = PerpMath.tradeFee(delta, b.price, int256(uint256(b.market.config.feeFraction)));
        int256 realised = _fill(account, b.id, p, delta, b.price, b.market);
        collateral[account] += realised - fee;
        b.net += delta;
        floatDelta -= realised;
        // forge-lint: disable-next-line(unsafe-typecast) -- price > 0
        emit PositionChanged(account, b.id, delta, uint256(b.price), p.size, p.openNotional, realised, fee);
    }

    /// @dev Applies a fill to a funding-settled position, keeps the account's market list and the
    /// market's long open interest (in `mk`, written back by the caller) current.
    function _fill(address account, uint32 id, Position storage p, int256 delta, int256 price, Market memory mk)
        private
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
    function _settleFunding(address account, Position storage p, int256 index) private returns (int256 paid) {
        int256 last = p.fundingIndex;
        if (last == index) return 0;
        p.fundingIndex = index;
        if (p.size == 0) return 0;
        paid = PerpMath.mulDivCeil(p.size, index - last, WAD);
        collateral[account] -= paid;
    }

    function _fundingRate(BatchMarket memory b) private pure returns (int256 rate) {
        int256 period = int256(uint256(b.market.config.fundingPeriod));
        if (b.mark == 0) return 0;
        rate = (b.price - b.mark) / period;
        int256 cap = b.mark * int256(uint256(b.market.config.maxFundingRate)) / WAD / period;
        if (rate > cap) rate = cap;
        if (rate < -cap) rate = -cap;
    }

    /// @dev Accrues the market's funding index to now.
    function _accrue(Market storage mk) private {
        uint64 last = mk.lastFundingTime;
        // forge-lint: disable-next-line(block-timestamp) -- funding accrues per second of block time
        if (last == block.timestamp) return;
        mk.fundingIndex = _indexNow(mk);
        mk.lastFundingTime = uint64(block.timestamp);
    }

    function _indexNow(Market storage mk) private view returns (int256) {
        return mk.fundingIndex + mk.fundingPerSecond * int256(block.timestamp - mk.lastFundingTime);
    }

    function _markTouched(address account) private returns (bool isNew) {
        uint256 slot = uint256(keccak256(abi.encode(account, TOUCHED_SEED)));
        assembly ("memory-safe") {
            isNew := iszero(tload(slot))
            if isNew { tstore(slot, 1) }
        }
    }

    function _clearTouched(address account) private {
        uint256 slot = uint256(keccak256(abi.encode(account, TOUCHED_SEED)));
        assembly ("memory-safe") {
            tstore(slot, 0)
        }
    }

    function _removeMarket(address account, uint32 id) private {
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

    // ------------------------------------------------------------------ margin

    /// @notice Equity and requirements of `account` now (protocol/margin.ts `accountHealth`),
    /// at loose oracle marks and the funding index accrued to this block.
    function accountHealth(address account)
        public
        view
        returns (int256 equity, int256 initialRequirement, int256 maintenanceRequirement)
    {
        (equity, initialRequirement, maintenanceRequirement,) = _health(account, false);
    }

    /// @dev Sums over the account's markets. `strict` reverts on a stale oracle.
    function _health(address account, bool strict)
        private
        view
        returns (int256 equity, int256 initial, int256 maintenance, int256 totalNotional)
    {
        equity = collateral[account];
        ICollateralVault vault = collateralVault;
        if (address(vault) != address(0)) equity += vault.value(account, strict);
        uint32[] storage list = _accountMarkets[account];
        uint256 n = list.length;
        for (uint256 i; i < n; ++i) {
            uint32 id = list[i];
            Market storage mk = _markets[id];
            int256 mark = _mark(id, mk, strict);
            Position memory p = _positions[account][id];
            equity += p.unrealisedPnl(mark) - p.pendingFunding(_indexNow(mk));
            int256 notionalValue = PerpMath.notional(p.size, mark);
            totalNotional += notionalValue;
            initial += PerpMath.mulDivCeil(notionalValue, int256(uint256(mk.config.initialMarginFraction)), WAD);
            maintenance += PerpMath.mulDivCeil(notionalValue, int256(uint256(mk.config.maintenanceMarginFraction)), WAD);
        }
    }

    function _mark(uint32 id, Market storage mk, bool strict) private view returns (int256) {
        (uint256 price, bool fresh, uint256 updatedAt) = OracleAdapter.read(mk.oracle);
        if (strict && !fresh) revert OracleAdapter.OracleStale(address(mk.oracle.feed), updatedAt);
        if (price == 0 || price > MAX_PRICE) revert UnpricedMarket(id);
        // forge-lint: disable-next-line(unsafe-typecast) -- 0 < price <= MAX_PRICE = 1e36 was just checked
        return int256(price);
    }

    /// @notice The withdrawal check (also for the vault's withdrawals): reverts `InsufficientMargin`
    /// unless `account` meets initial margin at strict reads. Nothing to price (no positions and a
    /// non-negative stablecoin balance) always passes, without reading a feed.
    function requireWithdrawable(address account) public view {
        if (_accountMarkets[account].length == 0 && collateral[account] >= 0) return;
        _requireInitialMargin(account, true);
    }

    function _requireInitialMargin(address account, bool strict) private view {
        (int256 equity, int256 initial,,) = _health(account, strict);
        if (equity < initial) revert InsufficientMargin(account, equity, initial);
    }

    // ------------------------------------------------------------------ liquidation

    /// @notice Liquidates `account` if its equity is below maintenance: the caller takes over the
    /// fraction `liquidationFraction` of every position at the oracle mark (strict reads), the
    /// account pays the penalty (liquidator share to the caller, the rest to the insurance fund),
    /// and a fully closed account's negative collateral is paid by the insurance fund. The caller
    /// must meet initial margin afterwards. Returns the fraction closed (1e18 = all).
    function liquidate(address account) external returns (uint256 fraction) {
        if (msg.sender == account) revert SelfLiquidation();
        int256 f = _liquidationFractionOf(account);
        // forge-lint: disable-next-line(unsafe-typecast) -- 0 < f <= WAD
        fraction = uint256(f);
        (int256 penalty, int256 reward, int256 badDebt) = _liquidatePositions(account, msg.sender, f);
        _requireInitialMargin(msg.sender, true);
        emit Liquidated(account, msg.sender, fraction, penalty, reward, badDebt);
    }

    /// @dev Accrues the account's markets, reverts `NotLiquidatable` unless equity < maintenance
    /// (strict marks), and returns the fraction to close.
    function _liquidationFractionOf(address account) private returns (int256) {
        uint32[] storage ids = _accountMarkets[account];
        uint256 n = ids.length;
        for (uint256 i; i < n; ++i) {
            _accrue(_markets[ids[i]]);
        }
        (int256 equity, int256 initial, int256 maintenance, int256 totalNotional) = _health(account, true);
        if (equity >= maintenance) revert NotLiquidatable(account, equity, maintenance);
        return PerpMath.liquidationFraction(equity, maintenance, initial, totalNotional, liquidationPenalty);
    }

    /// @dev Transfers the fraction f of every position, charges the penalty, absorbs bad debt.
    function _liquidatePositions(address account, address liquidator, int256 f)
        private
        returns (int256 penalty, int256 reward, int256 badDebt)
    {
        uint32[] memory ids = _accountMarkets[account];
        int256 floatDelta;
        for (uint256 i; i < ids.length; ++i) {
            (int256 pen, int256 fl) = _liquidateMarket(account, liquidator, ids[i], f);
            penalty += pen;
            floatDelta += fl;
        }
        pnlFloat += floatDelta;

        int256 remaining = collateral[account];
        bool closedAll = _accountMarkets[account].length == 0;
        int256 insuranceDelta;
        // A fully closed account whose stablecoin does not cover the penalty sells its extra
        // collateral to the insurance fund at the strict haircut price, as much as needed.
        if (closedAll && remaining < penalty) {
            int256 bought = _seize(account, penalty - remaining);
            remaining += bought;
            insuranceDelta = -bought;
        }
        // A partial liquidation leaves equity above the penalty by construction of the fraction; a
        // full one takes what collateral is left, up to the penalty.
        if (closedAll && penalty > remaining) penalty = remaining > 0 ? remaining : int256(0);
        reward = PerpMath.mulDivFloor(penalty, liquidatorShare, WAD);
        remaining -= penalty;
        collateral[liquidator] += reward;
        insuranceDelta += penalty - reward;

        if (closedAll && remaining < 0) {
            badDebt = -remaining;
            remaining = 0;
            _recordBadDebt(badDebt, insuranceFund + insuranceDelta);
            insuranceDelta -= badDebt;
        }
        collateral[account] = remaining;
        insuranceFund += insuranceDelta;
    }

    /// @dev The vault's `seize` (0 without a vault): the stablecoin value of the extra collateral
    /// sold to the insurance fund; the caller credits the account and debits the fund.
    function _seize(address account, int256 need) private returns (int256) {
        ICollateralVault vault = collateralVault;
        return address(vault) == address(0) ? int256(0) : vault.seize(account, need);
    }

    /// @dev Books `badDebt` as covered up to what the insurance fund held (`available`), the rest uncovered.
    function _recordBadDebt(int256 badDebt, int256 available) private {
        // forge-lint: disable-next-line(unsafe-typecast) -- badDebt > 0
        uint256 bad = uint256(badDebt);
        if (available >= badDebt) {
            badDebtCovered += bad;
        } else {
            // forge-lint: disable-next-line(unsafe-typecast) -- available < badDebt, the difference is > 0
            uint256 uncovered = available > 0 ? uint256(badDebt - available) : bad;
            badDebtUncovered += uncovered;
            badDebtCovered += bad - uncovered;
        }
    }

    /// @dev Transfers the fraction f of `account`'s position in market `id` to the liquidator at
    /// the strict oracle mark. Returns the penalty on the closed notional and the insurance fund's
    /// PnL float's gain (funding paid minus realised PnL).
    function _liquidateMarket(address account, address liquidator, uint32 id, int256 f)
        private
        returns (int256 penalty, int256 floatDelta)
    {
        Market storage mk = _markets[id];
        int256 mark = _mark(id, mk, true);
        Position storage p = _positions[account][id];
        Position storage q = _positions[liquidator][id];
        floatDelta = _settleFunding(account, p, mk.fundingIndex) + _settleFunding(liquidator, q, mk.fundingIndex);
        int256 closeSize = f == WAD ? p.size : _scaleUp(p.size, f);
        Market memory mm = mk;
        floatDelta -= _transferFill(account, id, p, -closeSize, mark, mm);
        floatDelta -= _transferFill(liquidator, id, q, closeSize, mark, mm);
        mk.openInterest = mm.openInterest;
        penalty = PerpMath.mulDivCeil(PerpMath.notional(closeSize, mark), liquidationPenalty, WAD);
    }

    /// @dev A liquidation leg: fill at mark without fee, realised PnL to collateral, event.
    function _transferFill(address account, uint32 id, Position storage p, int256 delta, int256 mark, Market memory mm)
        private
        returns (int256 realised)
    {
        realised = _fill(account, id, p, delta, mark, mm);
        collateral[account] += realised;
        // forge-lint: disable-next-line(unsafe-typecast) -- mark > 0
        emit PositionChanged(account, id, delta, uint256(mark), p.size, p.openNotional, realised, 0);
    }

    // ------------------------------------------------------------------ auto-deleveraging

    /// @notice Auto-deleveraging, the last resort after the insurance fund: for a bankrupt account
    /// (equity < 0 at strict marks) whose loss exceeds the insurance fund, closes all its positions
    /// against profitable opposite positions of `counterparties` at the oracle mark (each takes what
    /// it holds, in the order given; others are skipped), lets the insurance fund pay what it holds,
    /// and charges the rest of the loss to the counterparties pro rata to the notional they took,
    /// each at most the profit it realised on that close (so they close at no worse than their entry
    /// price). Anyone may call; the ranking (most profitable per unit of notional first) is chosen
    /// off chain and checked among the counterparties used in each market.
    function autoDeleverage(address account, address[] calldata counterparties) external {
        (uint32[] memory ids, int256 fund) = _adlPrecondition(account);
        uint256 n = counterparties.length;
        int256[] memory taken = new int256[](n * ids.length);
        int256[] memory profit = new int256[](n * ids.length);
        int256 totalTaken;
        for (uint256 i; i < ids.length; ++i) {
            totalTaken += _adlMarket(account, ids[i], counterparties, taken, profit, i * n);
        }
        // The account is flat now; its collateral is what is left (negative: the loss to cover). Its
        // extra collateral is sold to the insurance fund first (strict haircut price), as in `liquidate`.
        int256 loss = -collateral[account];
        if (loss > 0) {
            int256 bought = _seize(account, loss);
            loss -= bought;
            insuranceFund -= bought;
            fund = insuranceFund;
        }
        collateral[account] = 0;
        if (loss <= 0) {
            insuranceFund -= loss; // nothing left to cover (rounding): the dust goes to the fund
            return;
        }
        int256 covered = fund > 0 ? (fund < loss ? fund : loss) : int256(0);
        int256 charged = _chargeCounterparties(account, counterparties, ids, taken, profit, totalTaken, loss - covered);
        int256 uncovered = loss - covered - charged;
        insuranceFund -= covered + uncovered;
        // forge-lint: disable-next-line(unsafe-typecast) -- covered >= 0
        badDebtCovered += uint256(covered);
        // forge-lint: disable-next-line(unsafe-typecast) -- charged >= 0
        badDebtSocialised += uint256(charged);
        // forge-lint: disable-next-line(unsafe-typecast) -- uncovered >= 0 (charged <= loss - covered)
        badDebtUncovered += uint256(uncovered);
        emit Liquidated(account, msg.sender, 1e18, 0, 0, loss);
    }

    /// @dev Accrues the account's markets and reverts `AdlNotNeeded` unless it is bankrupt beyond
    /// the insurance fund (strict marks).
    function _adlPrecondition(address account) private returns (uint32[] memory ids, int256 fund) {
        ids = _accountMarkets[account];
        for (uint256 i; i < ids.length; ++i) {
            _accrue(_markets[ids[i]]);
        }
        (int256 equity,,,) = _health(account, true);
        fund = insuranceFund;
        if (equity >= 0 || -equity <= (fund > 0 ? fund : int256(0))) revert AdlNotNeeded(account, equity, fund);
    }

    /// @dev Charges `rest` to the counterparties pro rata to the notional they took, each capped at
    /// the profit it realised. Returns the amount charged (<= rest).
    function _chargeCounterparties(
        address account,
        address[] calldata counterparties,
        uint32[] memory ids,
        int256[] memory taken,
        int256[] memory profit,
        int256 totalTaken,
        int256 rest
    ) private returns (int256 charged) {
        uint256 n = counterparties.length;
        for (uint256 k; k < taken.length && rest > charged; ++k) {
            if (taken[k] == 0) continue;
            int256 share = PerpMath.mulDivCeil(rest, taken[k], totalTaken);
            if (share > profit[k]) share = profit[k];
            if (share > rest - charged) share = rest - charged;
            if (share <= 0) continue;
            address c = counterparties[k % n];
            collateral[c] -= share;
            charged += share;
            emit Deleveraged(account, c, ids[k / n], 0, share);
        }
    }

    /// @dev Closes the account's position in market `id` against the counterparties at mark.
    /// Records per counterparty the notional taken and the profit realised; returns the notional
    /// taken in this market.
    function _adlMarket(
        address account,
        uint32 id,
        address[] calldata counterparties,
        int256[] memory taken,
        int256[] memory profit,
        uint256 base
    ) private returns (int256 notionalTaken) {
        Market storage mk = _markets[id];
        AdlContext memory ctx;
        ctx.id = id;
        ctx.mark = _mark(id, mk, true);
        ctx.index = mk.fundingIndex;
        ctx.lastScore = type(int256).max;
        ctx.market = mk;
        Position storage p = _positions[account][id];
        ctx.floatDelta = _settleFunding(account, p, ctx.index);
        for (uint256 j; j < counterparties.length && p.size != 0; ++j) {
            (int256 size, int256 realised) = _adlTake(account, counterparties[j], p, ctx);
            if (size == 0) continue;
            taken[base + j] = PerpMath.notional(size, ctx.mark);
            profit[base + j] = realised > 0 ? realised : int256(0);
            notionalTaken += taken[base + j];
        }
        if (p.size != 0) revert AdlInsufficientCounterparties(id);
        mk.openInterest = ctx.market.openInterest;
        pnlFloat += ctx.floatDelta;
    }

    struct AdlContext {
        uint32 id;
        int256 mark;
        int256 index;
        int256 lastScore;
        int256 floatDelta;
        Market market;
    }

    /// @dev Counterparty `c` takes over what it can of the account's position `p` at mark, if it
    /// holds a profitable opposite position ranked no better than the previous one. Returns the
    /// size taken (p's sign; 0 if skipped) and c's realised PnL.
    function _adlTake(address account, address c, Position storage p, AdlContext memory ctx)
        private
        returns (int256 size, int256 realised)
    {
        Position storage q = _positions[c][ctx.id];
        if (c == account || q.size == 0 || (q.size > 0) == (p.size > 0)) return (0, 0);
        ctx.floatDelta += _settleFunding(c, q, ctx.index);
        int256 upnl = PerpMath.unrealisedPnl(q, ctx.mark);
        if (upnl <= 0) return (0, 0);
        int256 score = PerpMath.mulDivFloor(upnl, WAD, PerpMath.notional(q.size, ctx.mark));
        if (score > ctx.lastScore) revert AdlNotRanked(ctx.id, c);
        ctx.lastScore = score;
        size = PerpMath.abs(q.size) < PerpMath.abs(p.size) ? -q.size : p.size;
        ctx.floatDelta -= _transferFill(account, ctx.id, p, -size, ctx.mark, ctx.market);
        realised = _transferFill(c, ctx.id, q, size, ctx.mark, ctx.market);
        ctx.floatDelta -= realised;
        emit Deleveraged(account, c, ctx.id, size, 0);
    }

    /// @dev ceil(|size| * f) with size's sign, capped at |size|.
    function _scaleUp(int256 size, int256 f) private pure returns (int256) {
        int256 a = PerpMath.mulDivCeil(PerpMath.abs(size), f, WAD);
        int256 absSize = PerpMath.abs(size);
        if (a > absSize) a = absSize;
        return size > 0 ? a : -a;
    }

    // ------------------------------------------------------------------ views

    function position(address account, uint32 id) external view returns (Position memory) {
        return _positions[account][id];
    }

    function accountMarkets(address account) external view returns (uint32[] memory) {
        return _accountMarkets[account];
    }

    function marketConfig(uint32 id) external view returns (MarketConfig memory) {
        return _markets[id].config;
    }

    /// @notice Market state: funding index accrued to now, stored funding rate, long open interest, listed.
    function marketState(uint32 id)
        external
        view
        returns (int256 fundingIndex, int256 fundingPerSecond, uint256 openInterest, bool listed)
    {
        Market storage mk = _markets[id];
        return (_indexNow(mk), mk.fundingPerSecond, mk.openInterest, mk.listed);
    }

    /// @notice The oracle mark of market `id` (loose read) and whether it is fresh.
    function markPrice(uint32 id) external view returns (uint256 price, bool fresh) {
        (price, fresh,) = OracleAdapter.read(_markets[id].oracle);
    }

    function marketCount() external view returns (uint256) {
        return marketIds.length;
    }

    /// @notice Whether `account` is below maintenance now (loose marks).
    function isLiquidatable(address account) external view returns (bool) {
        (int256 equity,, int256 maintenance,) = _health(account, false);
        return equity < maintenance;
    }
}
