// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TokenTransfer} from "../libraries/TokenTransfer.sol";
import {OracleAdapter} from "./OracleAdapter.sol";
import {PerpMath, Position, StoredPosition} from "./PerpMath.sol";
import {TrustedCall} from "../libraries/TrustedCall.sol";
import {ClearingHouseBase} from "./ClearingHouseBase.sol";
import {Accounts} from "./Accounts.sol";
import {ICircuitBreaker} from "../interfaces/ICircuitBreaker.sol";
import {ICollateralVault} from "../interfaces/ICollateralVault.sol";
import {IOptionMargin} from "../interfaces/IOptionMargin.sol";
import {AutoDeleverageModule} from "./AutoDeleverageModule.sol";
import {LiquidationModule} from "./LiquidationModule.sol";

/// @title ClearingHouse
/// @notice Cross-margined perpetual futures cleared in the Settlement's batches.
///
/// Accounts hold the settlement stablecoin (`collateralToken`) here and, optionally, extra
/// collateral tokens with haircuts in the `CollateralVault` (a separate contract only for the
/// EIP-170 size limit); one account's collateral backs all of its positions. The stablecoin is the
/// settlement currency: realised PnL, fees, funding and penalties move only its balance
/// (`collateral`, which may go negative). Equity adds the vault's haircut value of the account's
/// extra collateral (zero for a stale feed in batch checks and liquidations; strict reads in
/// withdrawals). The maths is `protocol/margin.ts`, reproduced to the wei by `PerpMath`:
///   equity      = collateral + sum(size * mark - openNotional) - sum(pending funding)
///   initial     = sum(ceil(ceil(|size| * mark) * IMF))      maintenance: same with MMF
/// where mark is the market's oracle price (`OracleAdapter`).
///
/// Trading: only the Settlement, on its own behalf (`ITrustedCaller`: never from a solver's
/// interaction), after it verified every position intent's signature, expiry, nonce
/// and limit at the batch's uniform price, calls `settlePositions` with, per market, one clearing
/// price and the fills, at most one per (account, market) (`DuplicateFill`). Per market the applied
/// fills net to zero (every long has a short; a liquidity source is an ordinary account with its own
/// fill). Each fill settles the account's pending funding in that market, clamps a reduce-only fill
/// to the position (it must be non-zero and of the opposite side), pays the taker fee on its notional to the insurance fund and moves realised
/// PnL into collateral. After all fills, each market's long open interest must be within its cap,
/// each market that traded moves its premium toward the batch's (`_updateFunding`), and every
/// touched account must meet its initial margin, or the whole batch reverts naming the account.
/// Risk-increasing fills in a market its circuit breaker halts revert `MarketHalted` (the breaker,
/// `CircuitBreaker`, is asked once per batch market; reductions and liquidations never ask it).
///
/// Funding: a time- and volume-weighted premium of real fills (`_updateFunding`), within
/// ±maxFundingRate, sets `fundingPerSecond = premium * oracle / fundingPeriod` (collateral per 1e18
/// size per second), accrued into the market's index lazily when the market is next touched; a
/// position pays `ceil(size * (index - its index))`. Longs pay when the index rises (perp trading
/// above the oracle), shorts receive. A market named in a batch without fills, or with a stale
/// oracle, keeps its rate.
///
/// Solvency bookkeeping: realised PnL and funding are paid through `pnlFloat` (the cash that open
/// positions' unrealised PnL and pending funding are owed from, plus rounding dust, which always
/// favours the system); fees and penalties go to `insuranceFund`, which pays bad debt. So
/// `token balance == sum(collateral) + insuranceFund + pnlFloat` holds exactly at all times (tests
/// assert it). A negative insurance fund is bad debt nobody has absorbed.
///
/// Liquidation (`liquidate`, the state transition in `Liquidation`): anyone may liquidate an
/// account whose equity is below maintenance, valued as in batch checks (a stale market's profit
/// and stale extra collateral count nothing). The liquidator takes over the fraction of every
/// position with a fresh oracle that brings the account back to halfway between maintenance and
/// initial margin (all of it when no partial close gets there), at the oracle mark; the account
/// pays a penalty on the closed notional, split between the liquidator and the insurance fund, and
/// a fully closed account's shortfall is paid by its extra collateral, then the insurance fund.
///
/// Auto-deleveraging (`autoDeleverage`, the state transition in `Deleverage`) runs in
/// `AutoDeleverageModule` by delegatecall, for the governance-appointed `deleverager` only.
///
/// Layout: storage, types, errors and events in `ClearingHouseBase`; the steps trading,
/// liquidation and ADL share (fills, funding, health, marks) in `Accounts`; liquidation and ADL in
/// libraries over the books (`ClearingHouseBase.State`), so this contract holds the entry points,
/// governance and batch clearing. Every owner power is meant to sit behind
/// `governance/Timelock.sol`; the parameters are bounded in code (`_checkConfig`).
contract ClearingHouse is ClearingHouseBase {
    using TokenTransfer for address;
    using Accounts for State;

    /// @dev Transient slot of the `settlePositions` call counter; the per-call scratch keys below
    /// include it, so nothing one call records is seen by another call in the same transaction.
    uint256 private constant BATCH_SEQ_SLOT = uint256(keccak256("ClearingHouse.batchSeq")) - 1;

    /// @notice Where `autoDeleverage` runs (by delegatecall); deployed by this constructor.
    address public immutable adlModule;
    /// @notice Where `liquidate` runs (by delegatecall); deployed by this constructor.
    address public immutable liquidationModule;

    constructor(
        address owner_,
        address settlement_,
        address collateralToken_,
        uint8 collateralDecimals_,
        int256 liquidationPenalty_,
        int256 liquidatorShare_
    ) ClearingHouseBase(owner_, settlement_, collateralToken_, collateralDecimals_, liquidationPenalty_, liquidatorShare_) {
        adlModule = address(
            new AutoDeleverageModule(settlement_, collateralToken_, collateralDecimals_, liquidationPenalty_, liquidatorShare_)
        );
        liquidationModule = address(
            new LiquidationModule(settlement_, collateralToken_, collateralDecimals_, liquidationPenalty_, liquidatorShare_)
        );
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
        if (address(_state.collateralVault) != address(0)) revert CollateralVaultAlreadySet();
        _state.collateralVault = vault;
        emit CollateralVaultSet(address(vault));
    }

    /// @notice Connects the option book (once: it holds the option positions whose value and
    /// portfolio requirement every valuation of a holder asks it for).
    function setOptionBook(address book) external onlyOwner {
        if (_state.optionBook != address(0)) revert OptionBookAlreadySet();
        _state.optionBook = book;
        emit OptionBookSet(book);
    }

    /// @notice Option book only: moves `delta` of stablecoin between the PnL float and `account`'s
    /// balance, or the insurance fund for `account` = 0 (premium dust and fees). Premiums net to
    /// zero across a batch's calls and expiry payoffs are paid through the float like realised PnL,
    /// so `token balance == sum(collateral) + insuranceFund + pnlFloat` stays exact.
    function optionCash(address account, int256 delta) external {
        _onlyOptionBook();
        if (account == address(0)) _state.insuranceFund += delta;
        else _state.collateral[account] += delta;
        _state.pnlFloat -= delta;
    }

    /// @notice Option book only: flags whether `account` holds options (valuations then ask the book).
    function setOptionHolder(address account, bool holds) external {
        _onlyOptionBook();
        _state.holdsOptions[account] = holds;
    }

    function _onlyOptionBook() private view {
        if (msg.sender != _state.optionBook || msg.sender == address(0)) revert NotOptionBook(msg.sender);
    }

    /// @notice Appoints the only account that may call `autoDeleverage` (zero disables ADL).
    function setDeleverager(address deleverager_) external onlyOwner {
        deleverager = deleverager_;
        emit DeleveragerSet(deleverager_);
    }

    /// @notice Sets the circuit breaker asked once per batch market whether risk-increasing fills
    /// are halted (zero: none). Reductions and liquidations never ask it.
    function setCircuitBreaker(ICircuitBreaker breaker) external onlyOwner {
        circuitBreaker = breaker;
        emit CircuitBreakerSet(address(breaker));
    }

    /// @notice Lists market `id` with `config`; the feed's decimals fix the price normalisation.
    function listMarket(uint32 id, MarketConfig calldata config) external onlyOwner {
        Market storage m = _state.markets[id];
        if (m.listed) revert MarketAlreadyListed(id);
        _checkConfig(id, config);
        m.listed = true;
        m.lastFundingTime = uint64(block.timestamp);
        m.lastPremiumTime = uint64(block.timestamp);
        m.config = config;
        m.oracle = _feed(config);
        marketIds.push(id);
        emit MarketListed(id, config);
    }

    /// @notice Changes a listed market's parameters (funding accrued so far is kept).
    function configureMarket(uint32 id, MarketConfig calldata config) external onlyOwner {
        Market storage m = _state.markets[id];
        if (!m.listed) revert UnknownMarket(id);
        _checkConfig(id, config);
        Accounts.accrue(m);
        m.config = config;
        m.oracle = _feed(config);
        emit MarketConfigured(id, config);
    }

    /// @dev The bounds every market configuration must meet, whoever proposes it (governance goes
    /// through a timelock; these hold even if a proposal slips through): a heartbeat of 1 minute to
    /// 1 day; a funding period of 1 hour to 7 days; maintenance margin at least 0.5% and at most the
    /// initial margin, which is at most 100%; a taker fee of at most 1%; a deviation band of 0.1%
    /// to 20%, at most half the initial margin (a fill inside the band cannot by itself push a fresh
    /// position below maintenance); a funding cap of at most the band (the premium is measured
    /// within it); an open-interest cap of at most MAX_SIZE. Market id 0 is not listable (an
    /// account's packed market list uses 0 for an empty lane).
    function _checkConfig(uint32 id, MarketConfig calldata c) private pure {
        if (
            address(c.feed) == address(0) || c.heartbeat < 1 minutes || c.heartbeat > 1 days
                || c.fundingPeriod < 1 hours || c.fundingPeriod > 7 days || c.maintenanceMarginFraction < 0.005e18
                || c.maintenanceMarginFraction > c.initialMarginFraction || c.initialMarginFraction > 1e18
                || c.feeFraction > 0.01e18 || c.maxPriceDeviation < 0.001e18 || c.maxPriceDeviation > 0.2e18
                || c.maxPriceDeviation * 2 > c.initialMarginFraction || c.maxFundingRate > c.maxPriceDeviation
                || c.maxOpenInterest > MAX_SIZE || id == 0
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

    /// @dev Settlement's own calls only: a contract Settlement must name this clearing house as its
    /// `trustedCallee` (never the case while a solver's interactions run). A settlement without code
    /// (an account, as isolated tests deploy it) cannot be made to relay a call and is trusted as is.
    function _onlySettlementItself() private view {
        address s = settlement;
        if (msg.sender != s || (s.code.length != 0 && TrustedCall.calleeOf(s) != address(this))) {
            revert OnlySettlement(msg.sender);
        }
    }

    // ------------------------------------------------------------------ collateral

    /// @notice Credits `amount` of the collateral token, pulled from the caller, to `account`.
    function deposit(address account, uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        if (amount > MAX_AMOUNT) revert AmountTooLarge(amount);
        collateralToken.safeTransferFrom(msg.sender, address(this), amount);
        // forge-lint: disable-next-line(unsafe-typecast) -- amount <= MAX_AMOUNT = 1e36 < 2^255
        _state.collateral[account] += int256(amount);
        emit Deposited(account, msg.sender, amount);
    }

    /// @notice Withdraws `amount` to `to`. Reverts `InsufficientMargin` if the account would end
    /// below its initial margin requirement (strict oracle reads when it holds positions).
    function withdraw(uint256 amount, address to) external {
        if (amount == 0) revert ZeroAmount();
        if (amount > MAX_AMOUNT) revert AmountTooLarge(amount);
        // forge-lint: disable-next-line(unsafe-typecast) -- amount <= MAX_AMOUNT = 1e36 < 2^255
        _state.collateral[msg.sender] -= int256(amount);
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
        _state.insuranceFund += int256(amount);
        emit InsuranceFunded(msg.sender, amount);
    }

    // ------------------------------------------------------------------ batch clearing

    /// @notice Applies one batch's position fills (Settlement only, on its own behalf: see
    /// `ITrustedCaller`; a solver's interaction calling this from Settlement is refused). `ids`
    /// strictly ascending, `prices[i]` the uniform clearing price of market `ids[i]`.
    function settlePositions(uint32[] calldata ids, uint256[] calldata prices, Fill[] calldata fills) external {
        _onlySettlementItself();
        uint256 m = ids.length;
        if (prices.length != m) revert PriceCountMismatch(m, prices.length);
        BatchMarket[] memory bms = new BatchMarket[](m);
        ICircuitBreaker breaker = circuitBreaker;
        uint32 previous;
        for (uint256 i; i < m; ++i) {
            uint32 id = ids[i];
            if (i != 0 && id <= previous) revert MarketsNotSorted(i);
            previous = id;
            Market storage mk = _state.markets[id];
            if (!mk.listed) revert UnknownMarket(id);
            uint256 price = prices[i];
            if (price == 0 || price > MAX_PRICE) revert PriceOutOfRange(id, price);
            Accounts.accrue(mk);
            (uint256 mark, bool fresh,) = OracleAdapter.read(mk.oracle);
            BatchMarket memory b = bms[i];
            b.market = mk;
            b.id = id;
            // forge-lint: disable-next-line(unsafe-typecast) -- 0 < price <= MAX_PRICE = 1e36
            b.price = int256(price);
            // forge-lint: disable-next-line(unsafe-typecast) -- the feed answer is positive and scaled by a power of ten; fresh requires <= MAX_PRICE
            b.mark = int256(mark);
            b.fresh = fresh && mark <= MAX_PRICE;
            if (address(breaker) != address(0)) b.halted = breaker.observe(id);
        }

        int256 floatDelta;
        int256 fees;
        address[] memory touched = new address[](fills.length);
        uint256 touchedCount;
        uint256 seq = _nextBatchSeq();
        for (uint256 j; j < fills.length; ++j) {
            Fill calldata f = fills[j];
            uint256 idx = f.marketIndex;
            if (idx >= m) revert MarketIndexOutOfRange(j);
            BatchMarket memory b = bms[idx];
            address account = f.account;
            // One fill per (account, market): a bitmap of the batch's market indices per account.
            (bool isNew, bool dup) = _markFill(account, idx, seq);
            if (dup) revert DuplicateFill(j, account, b.id);
            if (isNew) touched[touchedCount++] = account;
            (int256 fl, int256 fee) = _applyTradeFill(f, j, b);
            floatDelta += fl;
            fees += fee;
        }

        for (uint256 i; i < m; ++i) {
            BatchMarket memory b = bms[i];
            if (b.net != 0) revert MarketNotBalanced(b.id, b.net);
            Market storage mk = _state.markets[b.id];
            uint256 oi = b.market.openInterest;
            if (oi > b.market.config.maxOpenInterest) {
                revert OpenInterestCapExceeded(b.id, oi, b.market.config.maxOpenInterest);
            }
            mk.openInterest = b.market.openInterest;
            // A market named without fills says nothing about its price: funding stays as it was.
            // A stale oracle gives no premium to measure either.
            if (b.volume == 0 || !b.fresh) continue;
            int256 rate = _updateFunding(mk, b);
            // forge-lint: disable-next-line(unsafe-typecast) -- both are positive and <= MAX_PRICE
            emit MarketCleared(b.id, uint256(b.price), uint256(b.mark), b.market.fundingIndex, rate);
        }
        _state.insuranceFund += fees;
        _state.pnlFloat += floatDelta;

        // Margin: the batch's markets are priced once (bms), not once per account. An option holder
        // this batch's option leg also touched is valued once, by the option book's check that
        // Settlement makes right after this call on the same final state (`marginCheckPending`).
        for (uint256 k; k < touchedCount; ++k) {
            address account = touched[k];
            if (_state.holdsOptions[account] && IOptionMargin(_state.optionBook).marginCheckPending(account)) continue;
            _state.requireInitialMarginCached(account, false, bms);
        }
    }

    /// @dev One trade fill: funding, reduce-only (clamped to the position), oracle guards, the fill,
    /// fee. Returns what the PnL float gains (funding paid - realised PnL) and the fee.
    function _applyTradeFill(Fill calldata f, uint256 j, BatchMarket memory b)
        private
        returns (int256 floatDelta, int256 fee)
    {
        int256 delta = f.sizeDelta;
        if (delta == 0) revert ZeroSizeDelta(j);
        // forge-lint: disable-next-line(unsafe-typecast) -- MAX_SIZE = 1e36 < 2^255
        if (PerpMath.abs(delta) > int256(MAX_SIZE)) revert SizeOutOfRange(j);
        address account = f.account;
        StoredPosition storage p = _state.positions[account][b.id];
        floatDelta = _state.settleFunding(account, p, b.market.fundingIndex);
        int256 size = p.size;
        if (f.reduceOnly) {
            // Reduce-only closes at most the position: "close 1" on a 0.7 long sells 0.7.
            if (size == 0 || (size > 0) == (delta > 0)) revert ReduceOnlyViolated(j, size, delta);
            if (PerpMath.abs(delta) > PerpMath.abs(size)) delta = -size;
        }
        bool reduces = size != 0 && (size > 0) != (delta > 0) && PerpMath.abs(delta) <= PerpMath.abs(size);
        if (!reduces) {
            if (!b.fresh) revert OracleStale(b.id);
            if (b.halted) revert MarketHalted(b.id);
            int256 gap = PerpMath.abs(b.price - b.mark);
            if (gap * WAD > int256(uint256(b.market.config.maxPriceDeviation)) * b.mark) {
                // forge-lint: disable-next-line(unsafe-typecast) -- both positive and bounded
                revert PriceDeviation(b.id, uint256(b.price), uint256(b.mark));
            }
        }
        fee = PerpMath.tradeFee(delta, b.price, int256(uint256(b.market.config.feeFraction)));
        int256 realised = _state.fill(account, b.id, p, delta, b.price, b.market);
        _state.collateral[account] += realised - fee;
        b.net += delta;
        if (delta > 0) b.volume += delta;
        floatDelta -= realised;
        // forge-lint: disable-next-line(unsafe-typecast) -- price > 0
        emit PositionChanged(account, b.id, delta, uint256(b.price), p.size, p.openNotional, realised, fee);
    }

    /// @dev Moves the market's premium toward this batch's and sets the funding rate from it.
    /// sample = clamp((price - oracle) / oracle, ±maxFundingRate); the premium moves toward it by
    /// weight min(1, dt / fundingPeriod) * min(1, volume / (openInterest / 10)), dt = seconds since
    /// the premium last moved. So one batch moves funding in proportion to the time it stands for
    /// and to how much of the market traded in it: a price a solver picks for a small or frequent
    /// trade (its own, say, at the edge of the deviation band) barely moves it, and pinning funding
    /// costs trading fees on a tenth of the open interest per funding period.
    /// rate = premium * oracle / fundingPeriod (collateral per 1e18 size per second).
    function _updateFunding(Market storage mk, BatchMarket memory b) private returns (int256 rate) {
        MarketConfig memory c = b.market.config;
        int256 period = int256(uint256(c.fundingPeriod));
        int256 cap = int256(uint256(c.maxFundingRate));
        int256 sample = PerpMath.mulDivFloor(b.price - b.mark, WAD, b.mark);
        if (sample > cap) sample = cap;
        if (sample < -cap) sample = -cap;
        int256 dt = int256(block.timestamp - uint256(b.market.lastPremiumTime));
        int256 weight = dt >= period ? WAD : dt * WAD / period;
        // forge-lint: disable-next-line(unsafe-typecast) -- open interest <= MAX_SIZE sums, far below 2^255
        int256 referenceVolume = int256(uint256(b.market.openInterest / 10));
        if (b.volume < referenceVolume) weight = weight * b.volume / referenceVolume;
        int256 premium = b.market.premium;
        premium += (sample - premium) * weight / WAD;
        if (premium > cap) premium = cap;
        if (premium < -cap) premium = -cap;
        // forge-lint: disable-next-line(unsafe-typecast) -- |premium| <= maxFundingRate < 2^63
        mk.premium = int64(premium);
        mk.lastPremiumTime = uint64(block.timestamp);
        rate = b.mark * premium / WAD / period;
        mk.fundingPerSecond = PerpMath.toInt96(rate);
    }

    /// @dev A fresh key space for this call's scratch records (transient, so it starts at zero in
    /// every transaction; the counter keeps two calls in one transaction apart).
    function _nextBatchSeq() private returns (uint256 seq) {
        uint256 slot = BATCH_SEQ_SLOT;
        assembly ("memory-safe") {
            seq := add(tload(slot), 1)
            tstore(slot, seq)
        }
    }

    /// @dev Records that `account` fills in the batch's market `idx` (< 256) in call `seq`:
    /// `isNew` when it is the account's first fill of the call, `dup` when it already filled there.
    function _markFill(address account, uint256 idx, uint256 seq) private returns (bool isNew, bool dup) {
        assembly ("memory-safe") {
            mstore(0x00, account)
            mstore(0x20, seq)
            let slot := keccak256(0x00, 0x40)
            let seen := tload(slot)
            let bit := shl(idx, 1)
            isNew := iszero(seen)
            dup := iszero(iszero(and(seen, bit)))
            tstore(slot, or(seen, bit))
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
        (equity, initialRequirement, maintenanceRequirement,) = _state.health(account, false);
    }

    /// @notice The withdrawal check (also for the vault's withdrawals): reverts `InsufficientMargin`
    /// unless `account` meets initial margin at strict reads. Nothing to price (no positions and a
    /// non-negative stablecoin balance) always passes, without reading a feed.
    function requireWithdrawable(address account) public view {
        if (_state.accountMarkets[account] == 0 && _state.collateral[account] >= 0 && !_state.holdsOptions[account]) {
            return;
        }
        _state.requireInitialMargin(account, true);
    }

    // ------------------------------------------------------------------ liquidation

    /// @notice Liquidates `account` if its equity is below maintenance (see `Liquidation`): the
    /// caller takes over the fraction `liquidationFraction` of every position whose oracle is
    /// fresh, at that mark, the account pays the penalty (liquidator share to the caller, the rest
    /// to the insurance fund), and a fully closed account's negative collateral is paid by the
    /// insurance fund. Health is valued as in batch checks: whatever is stale counts for nothing in
    /// the account's favour, and positions in stale markets stay with the account, so one lagging
    /// feed (a market's, or an extra collateral token's) never blocks a liquidation. The caller
    /// must meet initial margin afterwards. Returns the fraction closed (1e18 = all).
    /// Runs `LiquidationModule` by delegatecall (EIP-170: no room here for `Liquidation`).
    function liquidate(address account) external returns (uint256 fraction) {
        // The module decodes the calldata and `_delegate` returns its answer; this only silences
        // the unused-variable warnings.
        (account, fraction);
        _delegate(liquidationModule);
    }

    // ------------------------------------------------------------------ auto-deleveraging

    /// @notice Auto-deleveraging, the last resort after the insurance fund, for the governance-
    /// appointed `deleverager` only (the rules: `Deleverage`). Runs `AutoDeleverageModule` by
    /// delegatecall with this call's calldata; reverts bubble up unchanged.
    function autoDeleverage(address account, address[] calldata counterparties) external {
        // Silence the unused-parameter warnings: the module decodes the calldata itself.
        (account, counterparties);
        _delegate(adlModule);
    }

    /// @dev Runs `module` by delegatecall with this call's calldata and ends the call with its
    /// answer: returns what it returned, or reverts with its revert data unchanged.
    function _delegate(address module) private {
        assembly {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), module, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }

    // ------------------------------------------------------------------ views

    function position(address account, uint32 id) external view returns (Position memory) {
        return PerpMath.load(_state.positions[account][id]);
    }

    function accountMarkets(address account) external view returns (uint32[] memory) {
        return Accounts.marketList(_state.accountMarkets[account]);
    }

    function marketConfig(uint32 id) external view returns (MarketConfig memory) {
        return _state.markets[id].config;
    }

    /// @notice Market state: funding index accrued to now, stored funding rate, long open interest, listed.
    function marketState(uint32 id)
        external
        view
        returns (int256 fundingIndex, int256 fundingPerSecond, uint256 openInterest, bool listed)
    {
        Market storage mk = _state.markets[id];
        return (Accounts.indexNow(mk), mk.fundingPerSecond, mk.openInterest, mk.listed);
    }

    /// @notice The oracle mark of market `id` (loose read) and whether it is fresh.
    function markPrice(uint32 id) external view returns (uint256 price, bool fresh) {
        (price, fresh,) = OracleAdapter.read(_state.markets[id].oracle);
    }

    function marketCount() external view returns (uint256) {
        return marketIds.length;
    }

    /// @notice Whether `account` is below maintenance now (loose marks).
    function isLiquidatable(address account) external view returns (bool) {
        (int256 equity,, int256 maintenance,) = _state.health(account, false);
        return equity < maintenance;
    }
}
