// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable2Step} from "../governance/Ownable2Step.sol";
import {ICircuitBreaker} from "../interfaces/ICircuitBreaker.sol";
import {IOptionMargin} from "../interfaces/IOptionMargin.sol";
import {IOptionLiquidation} from "./IOptionLiquidation.sol";
import {TrustedCall} from "../libraries/TrustedCall.sol";
import {ClearingHouse} from "../perp/ClearingHouse.sol";
import {ClearingHouseBase} from "../perp/ClearingHouseBase.sol";
import {Position} from "../perp/PerpMath.sol";
import {BlackScholes} from "./BlackScholes.sol";
import {OptionMarginEngine} from "./OptionMarginEngine.sol";
import {OptionSeries} from "./OptionSeries.sol";
import {PortfolioMargin} from "./PortfolioMargin.sol";
import {VolatilityFeed} from "./VolatilityFeed.sol";

/// @title OptionBook
/// @notice Option positions (European, cash-settled series of `OptionSeries`) held by the clearing
/// house's margin accounts, traded in `Settlement.settle` batches and margined together with the
/// account's perps. A separate contract because the clearing house has no EIP-170 room; it keeps
/// the positions and the premium / payoff rules, while the collateral stays in the clearing house,
/// moved only through its `optionCash` hook, so the clearing house's books identity
/// (`token balance == sum(collateral) + insuranceFund + pnlFloat`) covers options too.
///
/// Trading: Settlement, on its own behalf (`ITrustedCaller`, as for `ClearingHouse.settlePositions`:
/// never from a solver's interaction), after verifying every option intent (signature, expiry,
/// nonce, premium limit), calls `settleOptions` with, per series, one uniform premium (collateral
/// units per 1e18 contracts) and the fills. Premium cash: a buyer pays ceil(premium * |delta|), a
/// seller receives floor(premium * |delta|), each pays a fee of `feeFraction` of that cash; the
/// rounding dust and the fees go to the insurance fund. Nothing is minted: the calls net to zero.
/// Risk-increasing fills need a fresh oracle mark, a fresh volatility surface and an un-halted
/// circuit breaker for the underlying (options follow the perp's halt); reductions need none.
///
/// Margin: the clearing house flags holders (`setOptionHolder`) and asks `optionHealth` in every
/// valuation of a holder (batch checks, withdrawals, liquidation, views). The options' model value
/// joins equity, and on each underlying the account holds options on, the portfolio requirement
/// (`PortfolioMargin`: perp and options stressed together on a price x vol grid, plus a floor per
/// short contract) replaces the perp's standalone requirement. One margin check per batch:
/// Settlement applies the options first (this contract only records the touched accounts), then
/// the perps (the clearing house checks its accounts with option-aware health), then calls
/// `checkMargins`, which checks the option-touched accounts; so a call bought and a perp sold as
/// its hedge in the same batch are judged together.
///
/// Expiry: a series trades until its expiry; afterwards anyone may, once `OptionSeries.settle` has
/// fixed its price, call `settleExpired(account, series)`: the payoff moves through the clearing
/// house's PnL float (long receives floor, short pays ceil), the position and its open interest
/// go. Until then an expired leg is valued at intrinsic value (settlement price once known, else
/// the mark) and is left out of the scenario grid.
contract OptionBook is IOptionMargin, IOptionLiquidation, Ownable2Step {
    /// @notice Open option positions per account, over all underlyings: bounds the worst-case gas
    /// of a valuation (one portfolio grid of at most this many legs).
    uint256 public constant MAX_ACCOUNT_OPTIONS = PortfolioMargin.MAX_OPTION_LEGS;
    /// @notice Largest premium per 1e18 contracts, and largest |size|.
    uint256 public constant MAX_PREMIUM = 1e36;
    uint256 public constant MAX_SIZE = 1e36;
    uint256 public constant MAX_FEE_FRACTION = 0.01e18;
    /// @notice The maintenance fraction may not go below this (liquidation must precede insolvency).
    uint256 public constant MIN_MAINTENANCE_FRACTION = 0.1e18;
    /// @notice The grid must stress at least this far both ways.
    int256 public constant MIN_WIDEST_SHOCK = 0.05e18;

    int256 private constant WAD = 1e18;
    uint256 private constant UWAD = 1e18;
    uint256 private constant LANE = 0xffffffffffffffff;
    uint256 private constant SEQ_SLOT = uint256(keccak256("OptionBook.batchSeq")) - 1;
    uint256 private constant TOUCHED_SLOT = uint256(keccak256("OptionBook.touched")) - 1;

    /// @notice One option fill of a batch, already authorised and premium-checked by Settlement.
    /// @param sizeDelta Contracts, wad, signed (+ buy, - sell).
    /// @param seriesIndex Index into the batch's series list.
    struct Fill {
        address account;
        int256 sizeDelta;
        uint8 seriesIndex;
        bool reduceOnly;
    }

    /// @dev A series' terms cached from the registry at its first trade (one slot).
    struct Terms {
        uint32 market;
        uint64 expiry;
        uint128 strike;
        bool isCall;
    }

    /// @notice A position: contracts (wad, signed: + long, - short) and the average premium per 1e18
    /// contracts it was opened at, weighted by contracts (a reduction keeps it, a flip restarts it
    /// at the fill's premium; a liquidator's legs enter at the model value it paid). One slot.
    /// The entry premium is what auto-deleveraging ranks and caps counterparties by.
    struct OptionPosition {
        int128 size;
        uint128 entryPremium;
    }

    /// @notice Contracts held long and short in a series (equal after every batch).
    struct OpenInterest {
        uint128 long;
        uint128 short;
    }

    /// @dev The parameters as stored (4 slots): shocks as int64 wads.
    struct StoredParams {
        int64[9] priceShocks;
        uint64 volShockUp;
        uint64 volShockDown;
        uint64 shortFloor;
        uint64 maintenanceFraction;
    }

    /// @dev Per-series scratch of one `settleOptions` call.
    struct BatchSeries {
        uint64 id;
        Terms terms;
        int256 premium;
        int256 net;
        /// @dev 0: risk-increasing fills not yet checked; 1: checked and allowed.
        bool riskChecked;
    }

    error ZeroAddress();
    error OnlySettlement(address caller);
    error InvalidParams();
    error InvalidFeeFraction(uint256 fee);
    error CountMismatch(uint256 series, uint256 premiums);
    error SeriesNotSorted(uint256 index);
    error UnknownSeries(uint64 series);
    error SeriesExpired(uint64 series, uint64 expiry);
    error SeriesNotExpired(uint64 series, uint64 expiry);
    error PremiumOutOfRange(uint64 series, uint256 premium);
    error SeriesIndexOutOfRange(uint256 fill);
    error ZeroSizeDelta(uint256 fill);
    error SizeOutOfRange(uint256 fill);
    error DuplicateFill(uint256 fill, address account, uint64 series);
    error ReduceOnlyViolated(uint256 fill, int256 size, int256 sizeDelta);
    error SeriesNotBalanced(uint64 series, int256 net);
    error TooManyOptionPositions(address account);
    /// @notice A risk-increasing option fill while the underlying's oracle mark is stale.
    error StaleMark(uint32 market);
    /// @notice A risk-increasing option fill (or a strict valuation) while the vol surface is stale.
    error StaleVolSurface(uint32 market);
    /// @notice A risk-increasing option fill while the underlying's circuit breaker halts it.
    error MarketHalted(uint32 market);
    error NoPosition(address account, uint64 series);
    /// @notice `liquidateOptions` from anyone but the clearing house (its liquidation).
    error OnlyClearingHouse(address caller);
    error InvalidLiquidation(address account, address liquidator, uint256 fraction);
    /// @notice ADL met a leg it cannot close now: expired (settle it first) or on a stale mark or
    /// vol surface.
    error NotDeleverageable(address account, uint64 series);
    /// @notice ADL: the counterparties given cannot take the account's whole leg in `series`.
    error AdlInsufficientCounterparties(uint64 series);
    /// @notice ADL: `counterparty` ranks above (is more profitable per notional than) the one before.
    error AdlNotRanked(uint64 series, address counterparty);
    /// @notice Same signature as the clearing house's: the account ends below initial margin.
    error InsufficientMargin(address account, int256 equity, int256 requirement);

    event OptionFilled(
        address indexed account, uint64 indexed series, int256 sizeDelta, uint256 premium, int256 size, int256 cash, int256 fee
    );
    event SeriesCleared(uint64 indexed series, uint256 premium, uint256 openInterest);
    event OptionExpired(address indexed account, uint64 indexed series, int256 size, uint256 payoff, int256 amount);
    /// @notice A liquidation moved `size` contracts of `series` from `account` to `liquidator`, who
    /// paid `value` (the model value; negative for a short leg: the account paid the liquidator).
    event OptionLiquidated(
        address indexed account, address indexed liquidator, uint64 indexed series, int256 size, int256 value
    );
    /// @notice Auto-deleveraging closed `size` contracts of `account`'s leg in `series` against
    /// `counterparty` (its side: + it bought, - it sold), `value` the cash `account` received
    /// (negative: it paid).
    event OptionDeleveraged(
        address indexed account, address indexed counterparty, uint64 indexed series, int256 size, int256 value
    );
    event ParamsSet(PortfolioMargin.Params params);
    event FeeFractionSet(uint256 feeFraction);

    ClearingHouse public immutable clearingHouse;
    address public immutable settlement;
    OptionSeries public immutable registry;
    VolatilityFeed public immutable volatilityFeed;
    /// @notice Black-Scholes and the scenario grid (deployed by this constructor; EIP-170).
    OptionMarginEngine public immutable marginEngine;

    /// @notice Fee on premium cash, charged to both sides (wad, <= 1%).
    uint256 public feeFraction;
    StoredParams internal _params;

    /// @dev Per account: up to MAX_ACCOUNT_OPTIONS series ids (ids start at 1), 64-bit lanes from the lowest.
    mapping(address account => uint256) internal _accountSeries;
    mapping(address account => mapping(uint64 series => OptionPosition)) internal _positions;
    mapping(uint64 series => Terms) internal _terms;
    mapping(uint64 series => OpenInterest) public openInterest;

    constructor(
        address owner_,
        ClearingHouse clearingHouse_,
        address settlement_,
        OptionSeries registry_,
        VolatilityFeed volatilityFeed_,
        PortfolioMargin.Params memory params_,
        uint256 feeFraction_
    ) Ownable2Step(owner_) {
        if (
            owner_ == address(0) || address(clearingHouse_) == address(0) || settlement_ == address(0)
                || address(registry_) == address(0) || address(volatilityFeed_) == address(0)
        ) revert ZeroAddress();
        clearingHouse = clearingHouse_;
        settlement = settlement_;
        registry = registry_;
        volatilityFeed = volatilityFeed_;
        marginEngine = new OptionMarginEngine();
        _setParams(params_);
        _setFeeFraction(feeFraction_);
    }

    // ------------------------------------------------------------------ governance

    /// @notice Sets the portfolio-margin parameters (bounds: `_setParams`).
    function setParams(PortfolioMargin.Params calldata p) external onlyOwner {
        _setParams(p);
    }

    /// @notice Sets the premium fee fraction (<= 1%, may be 0).
    function setFeeFraction(uint256 fee) external onlyOwner {
        _setFeeFraction(fee);
    }

    /// @dev PortfolioMargin's own bounds (shocks within ±50%, vol shocks, floor and maintenance
    /// <= 100%), plus: the grid stresses at least MIN_WIDEST_SHOCK up and down, and maintenance is
    /// at least MIN_MAINTENANCE_FRACTION of the requirement (and positive, so liquidation comes
    /// before insolvency). These hold whatever governance proposes.
    function _setParams(PortfolioMargin.Params memory p) private {
        int256 widestUp;
        int256 widestDown;
        StoredParams memory s;
        for (uint256 i; i < PortfolioMargin.NUM_SHOCKS; ++i) {
            int256 shock = p.priceShocks[i];
            if (shock > PortfolioMargin.MAX_PRICE_SHOCK || shock < -PortfolioMargin.MAX_PRICE_SHOCK) {
                revert InvalidParams();
            }
            if (shock > widestUp) widestUp = shock;
            if (shock < widestDown) widestDown = shock;
            // forge-lint: disable-next-line(unsafe-typecast) -- |shock| <= 0.5e18 < 2^63
            s.priceShocks[i] = int64(shock);
        }
        if (
            widestUp < MIN_WIDEST_SHOCK || widestDown > -MIN_WIDEST_SHOCK
                || p.volShockUp > PortfolioMargin.MAX_VOL_SHOCK_UP || p.volShockDown > PortfolioMargin.MAX_VOL_SHOCK_DOWN
                || p.shortFloor > uint256(WAD) || p.maintenanceFraction > uint256(WAD)
                || p.maintenanceFraction < MIN_MAINTENANCE_FRACTION
        ) revert InvalidParams();
        // forge-lint: disable-start(unsafe-typecast) -- each bounded by 10e18 < 2^64 just above
        s.volShockUp = uint64(p.volShockUp);
        s.volShockDown = uint64(p.volShockDown);
        s.shortFloor = uint64(p.shortFloor);
        s.maintenanceFraction = uint64(p.maintenanceFraction);
        // forge-lint: disable-end(unsafe-typecast)
        _params = s;
        emit ParamsSet(p);
    }

    function _setFeeFraction(uint256 fee) private {
        if (fee > MAX_FEE_FRACTION) revert InvalidFeeFraction(fee);
        feeFraction = fee;
        emit FeeFractionSet(fee);
    }

    /// @notice The portfolio-margin parameters in force.
    /// @dev Reads `_params`' four slots once each (the shocks packed four int64 to a slot, then the
    /// four uint64), where copying the struct to memory read a slot per field (every valuation
    /// asks for them).
    function params() public view returns (PortfolioMargin.Params memory p) {
        uint256 slot;
        assembly ("memory-safe") {
            slot := _params.slot
        }
        uint256 w;
        for (uint256 i; i < PortfolioMargin.NUM_SHOCKS; ++i) {
            if (i % 4 == 0) {
                assembly ("memory-safe") {
                    w := sload(add(slot, shr(2, i)))
                }
            }
            // forge-lint: disable-next-line(unsafe-typecast) -- one int64 lane, sign-extended
            p.priceShocks[i] = int64(uint64(w >> (64 * (i % 4))));
        }
        assembly ("memory-safe") {
            w := sload(add(slot, 3))
        }
        // forge-lint: disable-start(unsafe-typecast) -- one uint64 lane each
        p.volShockUp = uint64(w);
        p.volShockDown = uint64(w >> 64);
        p.shortFloor = uint64(w >> 128);
        p.maintenanceFraction = uint64(w >> 192);
        // forge-lint: disable-end(unsafe-typecast)
    }

    /// @dev Settlement's own calls only, exactly as `ClearingHouse._onlySettlementItself`: a
    /// contract Settlement must name this book as its `trustedCallee` (never the case while a
    /// solver's interactions run, which also come from Settlement).
    function _onlySettlementItself() private view {
        address s = settlement;
        if (msg.sender != s || (s.code.length != 0 && TrustedCall.calleeOf(s) != address(this))) {
            revert OnlySettlement(msg.sender);
        }
    }

    // ------------------------------------------------------------------ batch clearing

    /// @notice Applies one batch's option fills (Settlement only, on its own behalf). `ids`
    /// strictly ascending, live series; `premiums[i]` the uniform premium of `ids[i]` per 1e18
    /// contracts. One fill per (account, series); per series the applied fills net to zero. No
    /// margin check here: Settlement calls `checkMargins` after the batch's perps are applied.
    function settleOptions(uint64[] calldata ids, uint256[] calldata premiums, Fill[] calldata fills) external {
        _onlySettlementItself();
        uint256 n = ids.length;
        if (premiums.length != n) revert CountMismatch(n, premiums.length);
        BatchSeries[] memory bs = new BatchSeries[](n);
        uint64 previous;
        for (uint256 i; i < n; ++i) {
            uint64 id = ids[i];
            if (i != 0 && id <= previous) revert SeriesNotSorted(i);
            previous = id;
            Terms memory t = _termsOf(id);
            // forge-lint: disable-next-line(block-timestamp) -- expiry is defined against block time
            if (t.expiry <= block.timestamp) revert SeriesExpired(id, t.expiry);
            uint256 premium = premiums[i];
            if (premium > MAX_PREMIUM) revert PremiumOutOfRange(id, premium);
            bs[i].id = id;
            bs[i].terms = t;
            // forge-lint: disable-next-line(unsafe-typecast) -- premium <= MAX_PREMIUM = 1e36
            bs[i].premium = int256(premium);
        }

        uint256 seq = _nextSeq();
        int256 toInsurance;
        int256 fee = int256(feeFraction);
        for (uint256 j; j < fills.length; ++j) {
            toInsurance += _applyFill(fills[j], j, bs, seq, fee);
        }
        for (uint256 i; i < n; ++i) {
            BatchSeries memory b = bs[i];
            if (b.net != 0) revert SeriesNotBalanced(b.id, b.net);
            // forge-lint: disable-next-line(unsafe-typecast) -- premium <= MAX_PREMIUM
            emit SeriesCleared(b.id, uint256(b.premium), openInterest[b.id].long);
        }
        if (toInsurance != 0) clearingHouse.optionCash(address(0), toInsurance);
    }

    /// @dev One option fill: duplicate check, reduce-only clamp, risk checks for risk-increasing
    /// fills, the position, open interest, premium cash. Returns what the insurance fund gains
    /// (this fill's rounding dust and fee).
    function _applyFill(Fill calldata f, uint256 j, BatchSeries[] memory bs, uint256 seq, int256 feeFraction_)
        private
        returns (int256 toInsurance)
    {
        uint256 idx = f.seriesIndex;
        if (idx >= bs.length) revert SeriesIndexOutOfRange(j);
        BatchSeries memory b = bs[idx];
        address account = f.account;
        int256 delta = f.sizeDelta;
        if (delta == 0) revert ZeroSizeDelta(j);
        // forge-lint: disable-next-line(unsafe-typecast) -- MAX_SIZE = 1e36
        if (delta > int256(MAX_SIZE) || delta < -int256(MAX_SIZE)) revert SizeOutOfRange(j);
        if (_markFill(account, idx, seq)) revert DuplicateFill(j, account, b.id);
        int256 size = _positions[account][b.id].size;
        if (f.reduceOnly) {
            if (size == 0 || (size > 0) == (delta > 0)) revert ReduceOnlyViolated(j, size, delta);
            if (_abs(delta) > _abs(size)) delta = -size;
        }
        bool reduces = size != 0 && (size > 0) != (delta > 0) && _abs(delta) <= _abs(size);
        if (!reduces && !b.riskChecked) {
            _checkRisk(b);
            b.riskChecked = true;
        }
        int256 newSize = size + delta;
        // forge-lint: disable-next-line(unsafe-typecast) -- premium <= MAX_PREMIUM
        _setPosition(account, b.id, size, newSize, uint256(b.premium));
        b.net += delta;

        // Premium cash: the buyer pays ceil, the seller receives floor; both pay the fee.
        int256 gross = b.premium * _abs(delta);
        int256 feePaid = _ceilDiv(_ceilDiv(gross, WAD) * feeFraction_, WAD);
        int256 cash = delta > 0 ? -_ceilDiv(gross, WAD) : gross / WAD;
        toInsurance = feePaid - cash; // a buyer's payment (or minus a seller's receipt) plus the fee
        cash -= feePaid;
        clearingHouse.optionCash(account, cash);
        // forge-lint: disable-next-line(unsafe-typecast) -- premium <= MAX_PREMIUM
        emit OptionFilled(account, b.id, delta, uint256(b.premium), newSize, cash, feePaid);
    }

    /// @dev A risk-increasing fill needs a fresh mark, a fresh vol surface and no circuit-breaker
    /// halt on the series' underlying.
    function _checkRisk(BatchSeries memory b) private {
        uint32 market = b.terms.market;
        (uint256 mark, bool fresh) = clearingHouse.markPrice(market);
        if (!fresh || mark == 0) revert StaleMark(market);
        (, bool volFresh) = volatilityFeed.impliedVol(
            market, _logMoneyness(b.terms.strike, mark), uint256(b.terms.expiry) - block.timestamp
        );
        if (!volFresh) revert StaleVolSurface(market);
        ICircuitBreaker breaker = clearingHouse.circuitBreaker();
        if (address(breaker) != address(0) && breaker.observe(market)) revert MarketHalted(market);
    }

    /// @dev Writes the position (`size` -> `newSize`, traded at `price` per 1e18 contracts, which
    /// sets or averages into the entry premium when the position opens, grows or flips), keeps the
    /// account's series list, the holder flag in the clearing house and the series' open interest
    /// current.
    function _setPosition(address account, uint64 id, int256 size, int256 newSize, uint256 price) private {
        _writePosition(_positions[account][id], size, newSize, price);
        OpenInterest storage oi = openInterest[id];
        OpenInterest memory o = oi;
        uint256 longOi = uint256(o.long) + _pos(newSize) - _pos(size);
        uint256 shortOi = uint256(o.short) + _pos(-newSize) - _pos(-size);
        if (longOi > MAX_SIZE || shortOi > MAX_SIZE) revert SizeOutOfRange(type(uint256).max);
        // forge-lint: disable-next-line(unsafe-typecast) -- both <= MAX_SIZE = 1e36 < 2^128
        (oi.long, oi.short) = (uint128(longOi), uint128(shortOi));
        if (size == 0) {
            uint256 w = _accountSeries[account];
            uint256 count = _count(w);
            if (count >= MAX_ACCOUNT_OPTIONS) revert TooManyOptionPositions(account);
            _accountSeries[account] = w | (uint256(id) << (64 * count));
            if (count == 0) clearingHouse.setOptionHolder(account, true);
        } else if (newSize == 0) {
            _removeSeries(account, id);
        }
    }

    /// @dev The position's new size and entry premium (see `OptionPosition`); cleared at zero.
    function _writePosition(OptionPosition storage pos, int256 size, int256 newSize, uint256 price) private {
        if (newSize == 0) {
            (pos.size, pos.entryPremium) = (0, 0);
            return;
        }
        uint256 entry = pos.entryPremium;
        // forge-lint: disable-start(unsafe-typecast) -- |size|, |newSize| <= 2 MAX_SIZE = 2e36 < 2^127;
        // entry and price < 2^121 (MAX_PREMIUM, or a model value below 2e36)
        if (size == 0 || (size > 0) != (newSize > 0)) {
            entry = price;
        } else if (_abs(newSize) > _abs(size)) {
            entry = (entry * uint256(_abs(size)) + price * uint256(_abs(newSize - size))) / uint256(_abs(newSize));
        }
        (pos.size, pos.entryPremium) = (int128(newSize), uint128(entry));
        // forge-lint: disable-end(unsafe-typecast)
    }

    function _removeSeries(address account, uint64 id) private {
        uint256 w = _accountSeries[account];
        uint256 n = _count(w);
        for (uint256 i; i < n; ++i) {
            // forge-lint: disable-next-line(unsafe-typecast) -- one 64-bit lane
            if (uint64(w >> (64 * i)) == id) {
                uint256 lastShift = 64 * (n - 1);
                uint256 last = (w >> lastShift) & LANE;
                w &= ~(LANE << lastShift);
                if (i != n - 1) w = (w & ~(LANE << (64 * i))) | (last << (64 * i));
                _accountSeries[account] = w;
                if (w == 0) clearingHouse.setOptionHolder(account, false);
                return;
            }
        }
    }

    /// @notice After a batch's option and perp fills: reverts `InsufficientMargin` naming the first
    /// option-touched account whose equity (clearing-house health, options included, loose reads as
    /// in batch checks) is below its initial requirement. Settlement only, on its own behalf.
    function checkMargins() external {
        _onlySettlementItself();
        uint256 slot = TOUCHED_SLOT;
        uint256 count;
        assembly ("memory-safe") {
            count := tload(slot)
            tstore(slot, 0)
        }
        for (uint256 i; i < count; ++i) {
            address account;
            assembly ("memory-safe") {
                account := tload(add(slot, add(i, 1)))
            }
            (int256 equity, int256 initial,) = clearingHouse.accountHealth(account);
            if (equity < initial) revert InsufficientMargin(account, equity, initial);
        }
    }

    /// @inheritdoc IOptionMargin
    /// @dev The touched list is non-empty only between a `settleOptions` that filled something and
    /// the `checkMargins` Settlement makes after the positions of the same `settle` (it empties the
    /// list; a reverted settle reverts the list too), and the account's fill bit of the latest
    /// `settleOptions` call says whether it is on it.
    function marginCheckPending(address account) external view returns (bool pending) {
        uint256 touchedSlot = TOUCHED_SLOT;
        uint256 seqSlot = SEQ_SLOT;
        assembly ("memory-safe") {
            if tload(touchedSlot) {
                mstore(0x00, account)
                mstore(0x20, tload(seqSlot))
                pending := iszero(iszero(tload(keccak256(0x00, 0x40))))
            }
        }
    }

    // ------------------------------------------------------------------ expiry

    /// @notice Settles `account`'s position in an expired series whose price `OptionSeries.settle`
    /// has fixed (anyone may call): the payoff moves to collateral through the clearing house's
    /// PnL float (a long receives floor(size * payoff), a short pays ceil(|size| * payoff)), the
    /// position and its open interest go, and the series leaves the account's margin.
    function settleExpired(address account, uint64 id) external returns (int256 amount) {
        Terms memory t = _termsOf(id);
        // forge-lint: disable-next-line(block-timestamp) -- expiry is defined against block time
        if (t.expiry > block.timestamp) revert SeriesNotExpired(id, t.expiry);
        int256 size = _positions[account][id].size;
        if (size == 0) revert NoPosition(account, id);
        uint256 payoff = registry.payoff(id); // reverts NotSettled until the price is fixed
        // forge-lint: disable-next-line(unsafe-typecast) -- payoff <= settlement price, bounded by the feed scaling
        int256 perContract = int256(payoff);
        amount = size > 0 ? size * perContract / WAD : -_ceilDiv(-size * perContract, WAD);
        _setPosition(account, id, size, 0, 0);
        if (amount != 0) clearingHouse.optionCash(account, amount);
        emit OptionExpired(account, id, size, payoff, amount);
    }

    // ------------------------------------------------------------------ liquidation

    /// @dev One leg a liquidation moves: `close` contracts (signed as the position) of `size`, at
    /// `value` (what the liquidator pays the account; < 0 for a short leg) and its penalty `base`.
    struct LiquidationLeg {
        uint64 id;
        uint256 unit;
        int256 size;
        int256 close;
        int256 value;
        int256 base;
    }

    /// @inheritdoc IOptionLiquidation
    function liquidationBase(address account) external view returns (int256 base) {
        (LiquidationLeg[] memory legs, uint256 n) = _liquidationLegs(account, UWAD);
        for (uint256 k; k < n; ++k) {
            base += legs[k].base;
        }
    }

    /// @inheritdoc IOptionLiquidation
    /// @dev Only the clearing house: `Liquidation` runs in its context (delegatecall from
    /// `ClearingHouse.liquidate`) after it refused a healthy account and capped the fraction, so
    /// nobody else, Settlement relaying a solver's interaction included, can move a position here.
    /// Each leg moves at the model value `optionHealth` counts (long floor, short ceil), so the
    /// transfer itself changes neither side's equity beyond a wei of rounding; the penalty is the
    /// clearing house's, on `base`. The liquidator takes the legs into its own book: its
    /// MAX_ACCOUNT_OPTIONS bound holds (`TooManyOptionPositions`), and the clearing house checks its
    /// initial margin with the options counted afterwards. Expired legs never move (they settle at
    /// their fixed price, `settleExpired`); legs whose mark or surface is stale stay too, as perps in
    /// stale markets do, so a stale feed can neither block a liquidation nor misprice a transfer.
    function liquidateOptions(address account, address liquidator, uint256 fraction)
        external
        returns (int256 base, bool moved)
    {
        if (msg.sender != address(clearingHouse)) revert OnlyClearingHouse(msg.sender);
        if (fraction == 0 || fraction > UWAD || liquidator == account || liquidator == address(0)) {
            revert InvalidLiquidation(account, liquidator, fraction);
        }
        (LiquidationLeg[] memory legs, uint256 n) = _liquidationLegs(account, fraction);
        int256 cash;
        for (uint256 k; k < n; ++k) {
            LiquidationLeg memory l = legs[k];
            _setPosition(account, l.id, l.size, l.size - l.close, l.unit);
            int256 q = _positions[liquidator][l.id].size;
            _setPosition(liquidator, l.id, q, q + l.close, l.unit);
            cash += l.value;
            base += l.base;
            emit OptionLiquidated(account, liquidator, l.id, l.close, l.value);
        }
        moved = n != 0;
        // Through the PnL float like every option cash: +cash then -cash, so the float ends where it was.
        if (cash != 0) {
            clearingHouse.optionCash(account, cash);
            clearingHouse.optionCash(liquidator, -cash);
        }
    }

    /// @dev The legs of `account` a liquidation of `fraction` moves: live series with a fresh mark
    /// and a fresh surface, ceil(|size| x fraction) of each (all at 1e18), valued as `optionHealth`
    /// values them. Penalty base: a short leg's underlying notional ceil(|close| x mark), the risk
    /// the liquidator takes on whatever the premium (a far out-of-the-money short is cheap but not
    /// riskless); a long leg's min(value, notional), since buying an asset at a discount of its own
    /// price is the reward, and a worthless long should cost its holder nothing to hand over.
    /// Both are at most the underlying notional, as a perp's, so the penalty stays within
    /// `liquidationPenalty` of the notional moved.
    function _liquidationLegs(address account, uint256 fraction)
        private
        view
        returns (LiquidationLeg[] memory legs, uint256 n)
    {
        uint256 w = _accountSeries[account];
        legs = new LiquidationLeg[](MAX_ACCOUNT_OPTIONS);
        for (uint256 i; i < MAX_ACCOUNT_OPTIONS; ++i) {
            // forge-lint: disable-next-line(unsafe-typecast) -- one 64-bit lane
            uint64 id = uint64(w >> (64 * i));
            if (id == 0) break;
            (bool ok, LiquidationLeg memory l) = _liquidationLeg(account, id, fraction);
            if (ok) legs[n++] = l;
        }
    }

    /// @dev `_liquidationLegs`' leg `id` (`ok` false when it does not move).
    function _liquidationLeg(address account, uint64 id, uint256 fraction)
        private
        view
        returns (bool ok, LiquidationLeg memory l)
    {
        uint256 mark;
        (ok, mark, l.unit) = _liveUnit(id);
        if (!ok) return (false, l);
        // forge-lint: disable-next-line(unsafe-typecast) -- a price < 2e36
        int256 unit = int256(l.unit);
        int256 size = _positions[account][id].size;
        int256 absSize = _abs(size);
        // forge-lint: disable-next-line(unsafe-typecast) -- fraction <= 1e18
        int256 absClose = fraction >= UWAD ? absSize : _ceilDiv(absSize * int256(fraction), WAD);
        if (absClose > absSize) absClose = absSize;
        // forge-lint: disable-next-line(unsafe-typecast) -- mark <= 1e36
        int256 notional = _ceilDiv(absClose * int256(mark), WAD);
        l.id = id;
        l.size = size;
        if (size > 0) {
            l.close = absClose;
            l.value = absClose * unit / WAD;
            l.base = l.value < notional ? l.value : notional;
        } else {
            l.close = -absClose;
            l.value = -_ceilDiv(absClose * unit, WAD);
            l.base = notional;
        }
    }

    /// @dev Series `id`'s model value per 1e18 contracts, as `optionHealth` prices a live leg, when
    /// it can move at it: live (unexpired), with a fresh mark and a fresh vol surface (`ok` false
    /// otherwise).
    function _liveUnit(uint64 id) private view returns (bool ok, uint256 mark, uint256 unit) {
        Terms memory t = _terms[id];
        // forge-lint: disable-next-line(block-timestamp) -- expiry is defined against block time
        if (t.expiry <= block.timestamp) return (false, 0, 0);
        bool fresh;
        (mark, fresh) = clearingHouse.markPrice(t.market);
        if (!fresh || mark == 0) return (false, 0, 0);
        PortfolioMargin.OptionLeg memory leg;
        leg.strike = t.strike;
        leg.secondsToExpiry = uint256(t.expiry) - block.timestamp;
        leg.isCall = t.isCall;
        (uint256 v, bool volFresh) =
            volatilityFeed.impliedVol(t.market, _logMoneyness(t.strike, mark), leg.secondsToExpiry);
        if (!volFresh) return (false, 0, 0);
        leg.volatility = _clampVol(v);
        unit = marginEngine.unitValue(mark, leg);
        ok = true;
    }

    // ------------------------------------------------------------------ auto-deleveraging

    /// @dev One series of an auto-deleveraging: the account's leg and what the counterparties took.
    struct AdlSeries {
        uint64 id;
        int256 mark;
        int256 unit;
        /// @dev What is left of the account's position (its sign), and what it was.
        int256 size;
        int256 size0;
        /// @dev The previous taking counterparty's score, for the ranking check.
        int256 lastScore;
        /// @dev The account's cash: + for a long sold, - for a short bought back.
        int256 cash;
    }

    /// @inheritdoc IOptionLiquidation
    /// @dev Only the clearing house: `Deleverage` runs in its context (delegatecall from
    /// `ClearingHouse.autoDeleverage`, the governance-appointed deleverager's call) after it found
    /// the account bankrupt beyond the insurance fund, so nobody else, Settlement relaying a
    /// solver's interaction included, can close anyone's position here.
    function deleverageOptions(address account, address[] calldata counterparties)
        external
        returns (int256[] memory taken, int256[] memory profit)
    {
        if (msg.sender != address(clearingHouse)) revert OnlyClearingHouse(msg.sender);
        taken = new int256[](counterparties.length);
        profit = new int256[](counterparties.length);
        // The lanes as they are now: closing a series compacts the stored list, not this copy.
        uint256 w = _accountSeries[account];
        for (uint256 i; i < MAX_ACCOUNT_OPTIONS; ++i) {
            // forge-lint: disable-next-line(unsafe-typecast) -- one 64-bit lane
            uint64 id = uint64(w >> (64 * i));
            if (id == 0) break;
            _deleverageSeries(account, id, counterparties, taken, profit);
        }
    }

    /// @dev Closes `account`'s whole position in series `id` against the counterparties holding
    /// the opposite side at a profit, in the order given (each takes what it holds, up to what is
    /// left), at the model value. Adds each one's underlying notional taken and realised profit
    /// (>= 0) to `taken` / `profit`. Reverts `NotDeleverageable` for a leg that cannot be valued now
    /// (expired: settle it first; stale mark or surface), `AdlNotRanked` when a taking
    /// counterparty's score (unrealised PnL per unit of underlying notional: (model value - entry
    /// premium) / mark for a long, the reverse for a short) exceeds the previous one's,
    /// `AdlInsufficientCounterparties` when they cannot take the whole leg.
    function _deleverageSeries(
        address account,
        uint64 id,
        address[] calldata counterparties,
        int256[] memory taken,
        int256[] memory profit
    ) private {
        AdlSeries memory a;
        {
            (bool ok, uint256 mark, uint256 unit) = _liveUnit(id);
            if (!ok) revert NotDeleverageable(account, id);
            // forge-lint: disable-start(unsafe-typecast) -- a mark <= 1e36, a model value < 2e36
            (a.id, a.mark, a.unit) = (id, int256(mark), int256(unit));
            // forge-lint: disable-end(unsafe-typecast)
        }
        a.size = _positions[account][id].size;
        a.size0 = a.size;
        a.lastScore = type(int256).max;
        for (uint256 j; j < counterparties.length && a.size != 0; ++j) {
            (int256 notional, int256 realised) = _adlTake(account, counterparties[j], a);
            taken[j] += notional;
            if (realised > 0) profit[j] += realised;
        }
        if (a.size != 0) revert AdlInsufficientCounterparties(id);
        _setPosition(account, id, a.size0, 0, 0);
        clearingHouse.optionCash(account, a.cash);
    }

    /// @dev Counterparty `c` takes what it can of the account's leg `a` at the model value, if it
    /// holds the opposite side at a profit, ranked no better than the previous taker. The account
    /// sells a long at floor(take x value) and buys a short back at ceil, the counterparty the
    /// reverse; its realised profit counts its entry cost rounded against it. Returns the
    /// underlying notional taken (0 if skipped) and the counterparty's realised PnL.
    function _adlTake(address account, address c, AdlSeries memory a)
        private
        returns (int256 notional, int256 realised)
    {
        OptionPosition memory q = _positions[c][a.id];
        if (c == account || q.size == 0 || (q.size > 0) == (a.size > 0)) return (0, 0);
        int256 entry = int256(uint256(q.entryPremium));
        {
            int256 gain = q.size > 0 ? a.unit - entry : entry - a.unit;
            if (gain <= 0) return (0, 0);
            int256 score = gain * WAD / a.mark;
            if (score > a.lastScore) revert AdlNotRanked(a.id, c);
            a.lastScore = score;
        }
        int256 take = _abs(q.size) < _abs(a.size) ? _abs(q.size) : _abs(a.size);
        int256 value = a.size > 0 ? take * a.unit / WAD : -_ceilDiv(take * a.unit, WAD);
        realised = q.size > 0 ? -value - _ceilDiv(take * entry, WAD) : take * entry / WAD - value;
        notional = _ceilDiv(take * a.mark, WAD);
        int256 delta = a.size > 0 ? take : -take; // what the counterparty buys (+) or sells (-)
        _setPosition(c, a.id, q.size, q.size + delta, 0);
        a.size -= delta;
        a.cash += value;
        clearingHouse.optionCash(c, -value);
        emit OptionDeleveraged(account, c, a.id, delta, value);
    }

    // ------------------------------------------------------------------ margin

    /// @inheritdoc IOptionMargin
    function optionHealth(address account, bool strict)
        external
        view
        returns (int256 value, int256 initialDelta, int256 maintenanceDelta)
    {
        uint256 w = _accountSeries[account];
        if (w == 0) return (0, 0, 0);
        int256[3] memory sums; // value, initial delta, maintenance delta
        uint256 done; // bit i: lane i's market already valued
        PortfolioMargin.Params memory p = params();
        for (uint256 i; i < MAX_ACCOUNT_OPTIONS; ++i) {
            // forge-lint: disable-next-line(unsafe-typecast) -- one 64-bit lane
            uint64 id = uint64(w >> (64 * i));
            if (id == 0) break;
            if (done & (1 << i) != 0) continue;
            done |= _marketHealth(account, w, _terms[id].market, strict, p, sums);
        }
        return (sums[0], sums[1], sums[2]);
    }

    /// @dev Adds the options on `market` of `account` to `sums`: their value, and the portfolio
    /// requirement less the perp's standalone one (initial and maintenance). Returns the lanes
    /// valued.
    function _marketHealth(
        address account,
        uint256 w,
        uint32 market,
        bool strict,
        PortfolioMargin.Params memory p,
        int256[3] memory sums
    ) private view returns (uint256 usedLanes) {
        (uint256 mark, bool fresh) = clearingHouse.markPrice(market);
        if (!fresh && strict) revert StaleMark(market);
        PortfolioMargin.OptionLeg[] memory legs;
        (legs, usedLanes) = _legs(account, w, market, mark, strict, sums);
        int256 perp = clearingHouse.position(account, market).size;
        {
            (int256 v, uint256 requirement, uint256 maintenance) = marginEngine.evaluate(mark, fresh, perp, legs, p);
            sums[0] += v;
            // forge-lint: disable-start(unsafe-typecast) -- requirements are far below 2^255
            sums[1] += int256(requirement);
            sums[2] += int256(maintenance);
        }
        // Less the clearing house's own requirement for this perp (ceil notional, ceil fraction).
        ClearingHouseBase.MarketConfig memory c = clearingHouse.marketConfig(market);
        // mark <= MAX_PRICE, fractions <= 1e18
        int256 notional = _ceilDiv(_abs(perp) * int256(mark), WAD);
        sums[1] -= _ceilDiv(notional * int256(uint256(c.initialMarginFraction)), WAD);
        sums[2] -= _ceilDiv(notional * int256(uint256(c.maintenanceMarginFraction)), WAD);
        // forge-lint: disable-end(unsafe-typecast)
    }

    /// @dev The live legs of `account` on `market` for the grid (the engine values them); adds the
    /// expired legs' intrinsic value to sums[0] and leaves them out of the grid.
    function _legs(address account, uint256 w, uint32 market, uint256 mark, bool strict, int256[3] memory sums)
        private
        view
        returns (PortfolioMargin.OptionLeg[] memory legs, uint256 usedLanes)
    {
        legs = new PortfolioMargin.OptionLeg[](MAX_ACCOUNT_OPTIONS);
        uint256 liveLegs;
        for (uint256 i; i < MAX_ACCOUNT_OPTIONS; ++i) {
            // forge-lint: disable-next-line(unsafe-typecast) -- one 64-bit lane
            uint64 id = uint64(w >> (64 * i));
            if (id == 0) break;
            Terms memory t = _terms[id];
            if (t.market != market) continue;
            usedLanes |= 1 << i;
            int256 size = _positions[account][id].size;
            // forge-lint: disable-next-line(block-timestamp) -- expiry is defined against block time
            if (t.expiry <= block.timestamp) {
                sums[0] += _expiredValue(id, t, size, mark);
                continue;
            }
            PortfolioMargin.OptionLeg memory leg = legs[liveLegs++];
            leg.strike = t.strike;
            leg.secondsToExpiry = uint256(t.expiry) - block.timestamp;
            leg.isCall = t.isCall;
            leg.size = size;
            leg.volatility = _sharedVol(legs, liveLegs - 1, leg.strike, leg.secondsToExpiry);
            if (leg.volatility == 0) leg.volatility = _vol(market, t.strike, mark, leg.secondsToExpiry, strict);
        }
        assembly ("memory-safe") {
            mstore(legs, liveLegs)
        }
    }

    /// @dev The vol of an earlier leg among `legs[0..n)` with the same strike and expiry (a call and
    /// a put at one strike, a straddle): the surface answers the same for the same (k, t), so it is
    /// asked once (an external call and the interpolation, ~11k gas). 0 when there is none (a
    /// surface vol is clamped to at least BlackScholes.MIN_VOL > 0). In a strict valuation the
    /// first leg's call already checked freshness.
    function _sharedVol(PortfolioMargin.OptionLeg[] memory legs, uint256 n, uint256 strike, uint256 secondsToExpiry)
        private
        pure
        returns (uint256)
    {
        for (uint256 j; j < n; ++j) {
            if (legs[j].strike == strike && legs[j].secondsToExpiry == secondsToExpiry) return legs[j].volatility;
        }
        return 0;
    }

    /// @dev An expired leg at intrinsic value: at the settlement price once fixed, else at the mark
    /// (long floor, short ceil).
    function _expiredValue(uint64 id, Terms memory t, int256 size, uint256 mark) private view returns (int256) {
        uint256 price = registry.series(id).settlementPrice;
        if (price == 0) price = mark;
        uint256 strike = t.strike;
        uint256 intrinsic = t.isCall ? (price > strike ? price - strike : 0) : (strike > price ? strike - price : 0);
        // forge-lint: disable-next-line(unsafe-typecast) -- intrinsic < 1e36
        int256 unit = int256(intrinsic);
        return size > 0 ? size * unit / WAD : -_ceilDiv(-size * unit, WAD);
    }

    /// @dev The surface's vol at the leg's strike and expiry, clamped into Black-Scholes' range.
    /// A stale surface reverts only in strict valuations; otherwise its last vols are used.
    function _vol(uint32 market, uint256 strike, uint256 mark, uint256 secondsToExpiry, bool strict)
        private
        view
        returns (uint256 vol)
    {
        bool fresh;
        (vol, fresh) = volatilityFeed.impliedVol(market, _logMoneyness(strike, mark), secondsToExpiry);
        if (strict && !fresh) revert StaleVolSurface(market);
        vol = _clampVol(vol);
    }

    /// @dev A surface vol clamped into Black-Scholes' range.
    function _clampVol(uint256 vol) private pure returns (uint256) {
        if (vol < BlackScholes.MIN_VOL) return BlackScholes.MIN_VOL;
        if (vol > BlackScholes.MAX_VOL) return BlackScholes.MAX_VOL;
        return vol;
    }

    /// @dev k = ln(strike / forward), wad; the forward is the mark (zero rate). Clamped to the
    /// feed's ±MAX_ABS_K (flat extrapolation there anyway).
    function _logMoneyness(uint256 strike, uint256 mark) private pure returns (int256 k) {
        // forge-lint: disable-next-line(unsafe-typecast) -- strike <= 1e36, mark >= 1
        k = BlackScholes.ln(int256(strike * 1e18 / mark));
    }

    // ------------------------------------------------------------------ views

    /// @notice `account`'s size in series `id` (contracts, wad; + long, - short).
    function positionOf(address account, uint64 id) external view returns (int256) {
        return _positions[account][id].size;
    }

    /// @notice The average premium per 1e18 contracts `account`'s position in series `id` was
    /// opened at (0 without a position).
    function entryPremiumOf(address account, uint64 id) external view returns (uint256) {
        return _positions[account][id].entryPremium;
    }

    /// @notice The series `account` holds positions in (at most MAX_ACCOUNT_OPTIONS).
    function seriesOf(address account) external view returns (uint64[] memory ids) {
        uint256 w = _accountSeries[account];
        ids = new uint64[](_count(w));
        for (uint256 i; i < ids.length; ++i) {
            // forge-lint: disable-next-line(unsafe-typecast) -- one 64-bit lane
            ids[i] = uint64(w >> (64 * i));
        }
    }

    // ------------------------------------------------------------------ helpers

    /// @dev The series' terms, cached from the registry at first use (terms never change).
    function _termsOf(uint64 id) private returns (Terms memory t) {
        t = _terms[id];
        if (t.expiry != 0) return t;
        OptionSeries.Series memory s = registry.series(id);
        if (s.expiry == 0) revert UnknownSeries(id);
        t = Terms({market: s.market, expiry: s.expiry, strike: s.strike, isCall: s.isCall});
        _terms[id] = t;
    }

    function _count(uint256 w) private pure returns (uint256 n) {
        while (w != 0) {
            ++n;
            w >>= 64;
        }
    }

    function _nextSeq() private returns (uint256 seq) {
        uint256 slot = SEQ_SLOT;
        assembly ("memory-safe") {
            seq := add(tload(slot), 1)
            tstore(slot, seq)
        }
    }

    /// @dev Records a fill of `account` in the batch's series `idx` (< 256) in call `seq`; returns
    /// whether it already filled there. The account's first fill of the call joins the touched list.
    function _markFill(address account, uint256 idx, uint256 seq) private returns (bool dup) {
        uint256 touchedSlot = TOUCHED_SLOT;
        assembly ("memory-safe") {
            mstore(0x00, account)
            mstore(0x20, seq)
            let slot := keccak256(0x00, 0x40)
            let seen := tload(slot)
            let bit := shl(idx, 1)
            dup := iszero(iszero(and(seen, bit)))
            tstore(slot, or(seen, bit))
            if iszero(seen) {
                let count := add(tload(touchedSlot), 1)
                tstore(touchedSlot, count)
                tstore(add(touchedSlot, count), account)
            }
        }
    }

    function _abs(int256 x) private pure returns (int256) {
        return x < 0 ? -x : x;
    }

    function _pos(int256 x) private pure returns (uint256) {
        // forge-lint: disable-next-line(unsafe-typecast) -- x > 0
        return x > 0 ? uint256(x) : 0;
    }

    /// @dev ceil(a / b) for a >= 0, b > 0.
    function _ceilDiv(int256 a, int256 b) private pure returns (int256) {
        return a == 0 ? int256(0) : (a - 1) / b + 1;
    }
}
