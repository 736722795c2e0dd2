// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ICollateralVault} from "../interfaces/ICollateralVault.sol";
import {IOptionMargin} from "../interfaces/IOptionMargin.sol";
import {OracleAdapter} from "./OracleAdapter.sol";
import {PerpMath, Position, StoredPosition} from "./PerpMath.sol";
import {ClearingHouseBase, ACCOUNT_MARKETS_LIMIT, PRICE_LIMIT} from "./ClearingHouseBase.sol";

/// @title Accounts
/// @notice The position and margin steps that trading (`ClearingHouse.settlePositions`),
/// liquidation (`Liquidation`) and auto-deleveraging (`Deleverage`) share, over the clearing
/// house's books (`ClearingHouseBase.State`): applying a fill, settling and accruing funding,
/// valuing an account, reading a mark, selling extra collateral. Internal functions, so they run in
/// the clearing house's context (or its delegatecalled module's, which shares its storage layout)
/// and emit its events.
library Accounts {
    using PerpMath for Position;

    int256 private constant WAD = 1e18;
    uint256 private constant LANE = 0xffffffff;

    // ------------------------------------------------------------------ positions

    /// @dev Applies a fill to a funding-settled position, keeps the account's market list and the
    /// market's long open interest (in `mk`, written back by the caller) current.
    function fill(
        ClearingHouseBase.State storage self,
        address account,
        uint32 id,
        StoredPosition storage p,
        int256 delta,
        int256 price,
        ClearingHouseBase.Market memory mk
    ) internal returns (int256 realised) {
        int256 size = p.size;
        (int256 newSize, int256 newOpen, int256 r) = PerpMath.applyFill(size, p.openNotional, delta, price);
        realised = r;
        p.size = PerpMath.toInt128(newSize);
        p.openNotional = newOpen;
        // forge-lint: disable-next-line(unsafe-typecast) -- sizes are bounded by MAX_SIZE sums
        mk.openInterest =
            PerpMath.toUint128(mk.openInterest + (newSize > 0 ? uint256(newSize) : 0) - (size > 0 ? uint256(size) : 0));
        if (size == 0) {
            uint256 w = self.accountMarkets[account];
            uint256 n = marketCount(w);
            if (n >= ACCOUNT_MARKETS_LIMIT) revert ClearingHouseBase.TooManyMarkets(account);
            self.accountMarkets[account] = w | (uint256(id) << (32 * n));
        } else if (newSize == 0) {
            _removeMarket(self, account, id);
        }
    }

    /// @dev A liquidation or ADL leg: fill at mark without fee, realised PnL to collateral, event.
    function transferFill(
        ClearingHouseBase.State storage self,
        address account,
        uint32 id,
        StoredPosition storage p,
        int256 delta,
        int256 mark,
        ClearingHouseBase.Market memory mm
    ) internal returns (int256 realised) {
        realised = fill(self, account, id, p, delta, mark, mm);
        self.collateral[account] += realised;
        // forge-lint: disable-next-line(unsafe-typecast) -- mark > 0
        emit ClearingHouseBase.PositionChanged(account, id, delta, uint256(mark), p.size, p.openNotional, realised, 0);
    }

    /// @dev Moves the position's pending funding from collateral to the insurance fund (the
    /// funding float); returns the amount paid.
    function settleFunding(ClearingHouseBase.State storage self, address account, StoredPosition storage p, int256 index)
        internal
        returns (int256 paid)
    {
        int256 last = p.fundingIndex;
        if (last == index) return 0;
        p.fundingIndex = PerpMath.toInt128(index);
        if (p.size == 0) return 0;
        paid = PerpMath.mulDivCeil(p.size, index - last, WAD);
        self.collateral[account] -= paid;
    }

    /// @dev Removes `id` from the account's market list, moving the last one into its lane (the
    /// order a swap-and-pop array keeps).
    function _removeMarket(ClearingHouseBase.State storage self, address account, uint32 id) private {
        uint256 w = self.accountMarkets[account];
        uint256 n = marketCount(w);
        for (uint256 i; i < n; ++i) {
            // forge-lint: disable-next-line(unsafe-typecast) -- one 32-bit lane
            if (uint32(w >> (32 * i)) == id) {
                uint256 lastShift = 32 * (n - 1);
                uint256 last = (w >> lastShift) & LANE;
                w &= ~(LANE << lastShift);
                if (i != n - 1) w = (w & ~(LANE << (32 * i))) | (last << (32 * i));
                self.accountMarkets[account] = w;
                return;
            }
        }
    }

    /// @dev How many markets a packed market list holds (its lanes are filled from lane 0 and
    /// market ids are non-zero, so the count is the number of lanes up to the highest non-zero one).
    function marketCount(uint256 w) internal pure returns (uint256 n) {
        while (w != 0) {
            ++n;
            w >>= 32;
        }
    }

    /// @dev A packed market list (`State.accountMarkets`) as an array, lane 0 first.
    function marketList(uint256 w) internal pure returns (uint32[] memory ids) {
        ids = new uint32[](marketCount(w));
        for (uint256 i; i < ids.length; ++i) {
            // forge-lint: disable-next-line(unsafe-typecast) -- one 32-bit lane
            ids[i] = uint32(w >> (32 * i));
        }
    }

    // ------------------------------------------------------------------ markets

    /// @dev Accrues the market's funding index to now.
    function accrue(ClearingHouseBase.Market storage mk) internal {
        uint64 last = mk.lastFundingTime;
        // forge-lint: disable-next-line(block-timestamp) -- funding accrues per second of block time
        if (last == block.timestamp) return;
        mk.fundingIndex = indexNow(mk);
        mk.lastFundingTime = uint64(block.timestamp);
    }

    /// @dev The market's funding index accrued to now, without writing it.
    function indexNow(ClearingHouseBase.Market storage mk) internal view returns (int256) {
        return mk.fundingIndex + mk.fundingPerSecond * int256(block.timestamp - mk.lastFundingTime);
    }

    /// @dev The oracle mark and whether it is fresh; `strict` reverts `OracleStale` unless fresh.
    function oracleMark(ClearingHouseBase.Market storage mk, uint32 id, bool strict) internal view returns (int256, bool fresh) {
        uint256 price;
        uint256 updatedAt;
        (price, fresh, updatedAt) = OracleAdapter.read(mk.oracle);
        if (strict && !fresh) revert OracleAdapter.OracleStale(address(mk.oracle.feed), updatedAt);
        if (price == 0 || price > PRICE_LIMIT) revert ClearingHouseBase.UnpricedMarket(id);
        // forge-lint: disable-next-line(unsafe-typecast) -- 0 < price <= PRICE_LIMIT = 1e36 was just checked
        return (int256(price), fresh);
    }

    // ------------------------------------------------------------------ margin

    /// @dev Sums over the account's markets. `strict` reverts on a stale oracle (withdrawals).
    /// Otherwise (batch margin checks, liquidations) nothing stale counts in the account's favour:
    /// a stale market's unrealised PnL counts at most zero (its requirement at the last price), and
    /// extra collateral with a stale feed counts zero, so profit nobody can currently check never
    /// backs new risk, and a lagging feed never shields an account from liquidation.
    function health(ClearingHouseBase.State storage self, address account, bool strict)
        internal
        view
        returns (int256 equity, int256 initial, int256 maintenance, int256 totalNotional)
    {
        ClearingHouseBase.BatchMarket[] memory none;
        (equity, initial, maintenance, totalNotional) = positionsHealth(self, account, strict, none);
        equity += extraCollateral(self, account, strict);
    }

    /// @dev The stablecoin balance plus the positions' part of `health` (no extra collateral), with
    /// the option book's adjustments when the account holds options (`IOptionMargin`).
    /// Markets found in `cache` (loose reads of this block: same marks, freshness, funding index
    /// and fractions as storage and the feeds give) are not read again; `strict` needs an empty cache.
    function positionsHealth(
        ClearingHouseBase.State storage self,
        address account,
        bool strict,
        ClearingHouseBase.BatchMarket[] memory cache
    ) internal view returns (int256 equity, int256 initial, int256 maintenance, int256 totalNotional) {
        int256[4] memory sums; // equity, initial, maintenance, notional
        sums[0] = self.collateral[account];
        for (uint256 w = self.accountMarkets[account]; w != 0; w >>= 32) {
            // forge-lint: disable-next-line(unsafe-typecast) -- one 32-bit lane
            _addPositionHealth(self, account, uint32(w), strict, cache, sums);
        }
        // Options: their model value joins equity, and on each underlying they are written on the
        // portfolio requirement (perp and options stressed together) replaces the perp's own.
        if (self.holdsOptions[account]) {
            (int256 v, int256 i, int256 m) = IOptionMargin(self.optionBook).optionHealth(account, strict);
            sums[0] += v;
            sums[1] += i;
            sums[2] += m;
        }
        return (sums[0], sums[1], sums[2], sums[3]);
    }

    /// @dev The haircut value of the account's extra collateral (0 without a vault; >= 0).
    function extraCollateral(ClearingHouseBase.State storage self, address account, bool strict)
        internal
        view
        returns (int256)
    {
        ICollateralVault vault = self.collateralVault;
        return address(vault) == address(0) ? int256(0) : vault.value(account, strict);
    }

    /// @dev Reverts `InsufficientMargin` unless the account's equity covers its initial requirement.
    function requireInitialMargin(ClearingHouseBase.State storage self, address account, bool strict) internal view {
        ClearingHouseBase.BatchMarket[] memory none;
        requireInitialMarginCached(self, account, strict, none);
    }

    /// @dev `requireInitialMargin` with the markets in `cache` already priced (loose reads only).
    /// Extra collateral only adds (its value is >= 0), so a loose check that passes without it
    /// does not ask the vault; a strict one always asks (a stale feed must revert a withdrawal).
    function requireInitialMarginCached(
        ClearingHouseBase.State storage self,
        address account,
        bool strict,
        ClearingHouseBase.BatchMarket[] memory cache
    ) internal view {
        (int256 equity, int256 initial,,) = positionsHealth(self, account, strict, cache);
        if (strict || equity < initial) equity += extraCollateral(self, account, strict);
        if (equity < initial) revert ClearingHouseBase.InsufficientMargin(account, equity, initial);
    }

    /// @dev Adds one position's contribution to equity (unrealised PnL, at most zero on a stale
    /// mark, less pending funding), its initial and maintenance requirements and its notional at
    /// the mark to `sums`.
    function _addPositionHealth(
        ClearingHouseBase.State storage self,
        address account,
        uint32 id,
        bool strict,
        ClearingHouseBase.BatchMarket[] memory cache,
        int256[4] memory sums
    ) private view {
        (int256 mark, bool fresh, int256 index, int256 imf, int256 mmf) = _marketTerms(self, id, strict, cache);
        StoredPosition storage p = self.positions[account][id];
        int256 size = p.size;
        // PerpMath.unrealisedPnl and pendingFunding, on the stored fields
        int256 value = PerpMath.mulDivFloor(size, mark, WAD) - p.openNotional;
        if (!fresh && value > 0) value = 0;
        sums[0] += value - PerpMath.mulDivCeil(size, index - p.fundingIndex, WAD);
        int256 notionalValue = PerpMath.notional(size, mark);
        sums[1] += PerpMath.mulDivCeil(notionalValue, imf, WAD);
        sums[2] += PerpMath.mulDivCeil(notionalValue, mmf, WAD);
        sums[3] += notionalValue;
    }

    /// @dev Market `id`'s mark, freshness, funding index now and margin fractions: from `cache`
    /// when it holds the market, else from storage and the feed (`oracleMark`: `UnpricedMarket`
    /// for a zero or out-of-range price, `OracleStale` when strict and stale).
    function _marketTerms(
        ClearingHouseBase.State storage self,
        uint32 id,
        bool strict,
        ClearingHouseBase.BatchMarket[] memory cache
    ) private view returns (int256 mark, bool fresh, int256 index, int256 imf, int256 mmf) {
        for (uint256 j; j < cache.length; ++j) {
            ClearingHouseBase.BatchMarket memory b = cache[j];
            if (b.id != id) continue;
            mark = b.mark;
            // forge-lint: disable-next-line(unsafe-typecast) -- PRICE_LIMIT = 1e36 < 2^255
            if (mark <= 0 || mark > int256(PRICE_LIMIT)) revert ClearingHouseBase.UnpricedMarket(id);
            ClearingHouseBase.MarketConfig memory c = b.market.config;
            return (mark, b.fresh, b.market.fundingIndex, int256(uint256(c.initialMarginFraction)), int256(uint256(c.maintenanceMarginFraction)));
        }
        ClearingHouseBase.Market storage mk = self.markets[id];
        (mark, fresh) = oracleMark(mk, id, strict);
        index = indexNow(mk);
        imf = int256(uint256(mk.config.initialMarginFraction));
        mmf = int256(uint256(mk.config.maintenanceMarginFraction));
    }

    // ------------------------------------------------------------------ extra collateral

    /// @dev The vault's `seize` (0 without a vault): the stablecoin value of the extra collateral
    /// sold to the insurance fund; the caller credits the account and debits the fund.
    function seize(ClearingHouseBase.State storage self, address account, int256 need) internal returns (int256) {
        ICollateralVault vault = self.collateralVault;
        return address(vault) == address(0) ? int256(0) : vault.seize(account, need);
    }
}
