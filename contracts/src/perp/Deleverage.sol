// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PerpMath, StoredPosition} from "./PerpMath.sol";
import {ClearingHouseBase} from "./ClearingHouseBase.sol";
import {Accounts} from "./Accounts.sol";
import {IOptionLiquidation} from "../options/IOptionLiquidation.sol";

/// @title Deleverage
/// @notice Auto-deleveraging (ADL), the last resort after the insurance fund, over the clearing
/// house's books (`ClearingHouseBase.State`). Its entry point is `ClearingHouse.autoDeleverage`,
/// which runs `AutoDeleverageModule` by delegatecall for the code size limit; the module checks the
/// caller and hands the books to `autoDeleverage` here.
///
/// For a bankrupt account (equity < 0 at strict marks) whose loss exceeds the insurance fund, every
/// position closes at the oracle mark against profitable opposite positions of the counterparties
/// given (each takes what it holds, in the order given; others are skipped). The account's extra
/// collateral is sold to the insurance fund first, the fund then pays what it holds, and the rest of
/// the loss is charged to the counterparties pro rata to the notional they took, each at most the
/// profit it realised on that close (so none closes worse than its entry price).
///
/// Options: a bankrupt account's option legs close too, at the model value (fresh mark and vol
/// surface), against counterparties holding the opposite side at a profit over their entry
/// premium, ranked the same way per series (`OptionBook.deleverageOptions`); the underlying
/// notional they took and the profit they realised join the perps' in the pro-rata charge. Every
/// leg must close (an expired one is settled first), so the account ends with nothing.
///
/// The rule is that counterparties are taken most profitable per unit of notional first over the
/// whole market. The contract cannot check that without a list of every holder, so it checks the
/// order among the counterparties given (`AdlNotRanked`); the rest is the duty of the governance-
/// appointed deleverager (a caller chosen by nobody could leave out the most profitable traders and
/// pick its victims), auditable from the `PositionChanged` and `Deleveraged` events.
library Deleverage {
    int256 private constant WAD = 1e18;

    /// @dev One market's closing: its id and mark, its funding index, the previous counterparty's
    /// score (uPnL per notional, for the ranking check), the PnL float's gain so far, and the
    /// market's state in memory (open interest written back once).
    struct MarketClose {
        uint32 id;
        int256 mark;
        int256 index;
        int256 lastScore;
        int256 floatDelta;
        ClearingHouseBase.Market market;
    }

    /// @notice Deleverages `account` against `counterparties` (see the library docs) and emits
    /// `Liquidated` with `caller` as the liquidator, unless the closes leave no loss to cover.
    /// Reverts `AdlNotNeeded` unless the account is bankrupt beyond the insurance fund,
    /// `AdlInsufficientCounterparties(market)` when the counterparties cannot take a whole
    /// position, `AdlNotRanked(market, counterparty)` when they are out of order.
    function autoDeleverage(
        ClearingHouseBase.State storage self,
        address account,
        address[] calldata counterparties,
        address caller
    ) internal {
        (uint32[] memory ids, int256 fund) = _precondition(self, account);
        (int256[] memory taken, int256[] memory profit, int256 totalTaken) = _closeAll(self, account, ids, counterparties);
        // The account is flat now; its collateral is what is left (negative: the loss to cover). Its
        // extra collateral is sold to the insurance fund first (strict haircut price), as in a liquidation.
        int256 loss = -self.collateral[account];
        if (loss > 0) {
            int256 bought = Accounts.seize(self, account, loss);
            loss -= bought;
            self.insuranceFund -= bought;
            fund = self.insuranceFund;
        }
        self.collateral[account] = 0;
        if (loss <= 0) {
            self.insuranceFund -= loss; // nothing left to cover (rounding): the dust goes to the fund
            return;
        }
        int256 covered = fund > 0 ? (fund < loss ? fund : loss) : int256(0);
        int256 charged = _chargeCounterparties(self, account, counterparties, ids, taken, profit, totalTaken, loss - covered);
        int256 uncovered = loss - covered - charged;
        self.insuranceFund -= covered + uncovered;
        // forge-lint: disable-next-line(unsafe-typecast) -- covered >= 0
        self.badDebtCovered += uint256(covered);
        // forge-lint: disable-next-line(unsafe-typecast) -- charged >= 0
        self.badDebtSocialised += uint256(charged);
        // forge-lint: disable-next-line(unsafe-typecast) -- uncovered >= 0 (charged <= loss - covered)
        self.badDebtUncovered += uint256(uncovered);
        emit ClearingHouseBase.Liquidated(account, caller, 1e18, 0, 0, loss);
    }

    /// @dev Accrues the account's markets and reverts `AdlNotNeeded` unless it is bankrupt beyond
    /// the insurance fund (strict marks).
    function _precondition(ClearingHouseBase.State storage self, address account)
        private
        returns (uint32[] memory ids, int256 fund)
    {
        ids = Accounts.marketList(self.accountMarkets[account]);
        for (uint256 i; i < ids.length; ++i) {
            Accounts.accrue(self.markets[ids[i]]);
        }
        (int256 equity,,,) = Accounts.health(self, account, true);
        fund = self.insuranceFund;
        if (equity >= 0 || -equity <= (fund > 0 ? fund : int256(0))) {
            revert ClearingHouseBase.AdlNotNeeded(account, equity, fund);
        }
    }

    /// @dev Closes every position of the account (each market's, then its options when it holds
    /// any) against the counterparties. Returns, in rows of one entry per counterparty (a row per
    /// market in `ids` order, then one for the options), the notional each took and the profit it
    /// realised, and the total notional taken.
    function _closeAll(
        ClearingHouseBase.State storage self,
        address account,
        uint32[] memory ids,
        address[] calldata counterparties
    ) private returns (int256[] memory taken, int256[] memory profit, int256 totalTaken) {
        uint256 n = counterparties.length;
        {
            uint256 entries = n * (ids.length + (self.holdsOptions[account] ? 1 : 0));
            taken = new int256[](entries);
            profit = new int256[](entries);
        }
        for (uint256 i; i < ids.length; ++i) {
            totalTaken += _closeMarket(self, account, ids[i], counterparties, taken, profit, i * n);
        }
        if (taken.length > ids.length * n) {
            totalTaken += _closeOptions(self, account, counterparties, taken, profit, ids.length * n);
        }
    }

    /// @dev Charges `rest` to the counterparties pro rata to the notional they took, each capped at
    /// the profit it realised. Returns the amount charged (<= rest).
    function _chargeCounterparties(
        ClearingHouseBase.State storage self,
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
            self.collateral[c] -= share;
            charged += share;
            _emitCharge(account, c, ids, k / n, share);
        }
    }

    /// @dev The event of a counterparty's charge in row `row` (a market's, or past them the options').
    function _emitCharge(address account, address c, uint32[] memory ids, uint256 row, int256 share) private {
        if (row < ids.length) emit ClearingHouseBase.Deleveraged(account, c, ids[row], 0, share);
        else emit ClearingHouseBase.OptionsDeleveraged(account, c, share);
    }

    /// @dev Closes all the account's option legs against the counterparties (the option book's
    /// `deleverageOptions`, cash through `optionCash`) and records, in the row at `base`, per
    /// counterparty the notional taken and the profit realised; returns the notional taken.
    function _closeOptions(
        ClearingHouseBase.State storage self,
        address account,
        address[] calldata counterparties,
        int256[] memory taken,
        int256[] memory profit,
        uint256 base
    ) private returns (int256 notionalTaken) {
        (int256[] memory t, int256[] memory p) =
            IOptionLiquidation(self.optionBook).deleverageOptions(account, counterparties);
        for (uint256 j; j < t.length; ++j) {
            taken[base + j] = t[j];
            profit[base + j] = p[j];
            notionalTaken += t[j];
        }
    }

    /// @dev Closes the account's position in market `id` against the counterparties at mark.
    /// Records per counterparty the notional taken and the profit realised; returns the notional
    /// taken in this market.
    function _closeMarket(
        ClearingHouseBase.State storage self,
        address account,
        uint32 id,
        address[] calldata counterparties,
        int256[] memory taken,
        int256[] memory profit,
        uint256 base
    ) private returns (int256 notionalTaken) {
        ClearingHouseBase.Market storage mk = self.markets[id];
        MarketClose memory ctx;
        ctx.id = id;
        (ctx.mark,) = Accounts.oracleMark(mk, id, true);
        ctx.index = mk.fundingIndex;
        ctx.lastScore = type(int256).max;
        ctx.market = mk;
        StoredPosition storage p = self.positions[account][id];
        ctx.floatDelta = Accounts.settleFunding(self, account, p, ctx.index);
        for (uint256 j; j < counterparties.length && p.size != 0; ++j) {
            (int256 size, int256 realised) = _take(self, account, counterparties[j], p, ctx);
            if (size == 0) continue;
            taken[base + j] = PerpMath.notional(size, ctx.mark);
            profit[base + j] = realised > 0 ? realised : int256(0);
            notionalTaken += taken[base + j];
        }
        if (p.size != 0) revert ClearingHouseBase.AdlInsufficientCounterparties(id);
        mk.openInterest = ctx.market.openInterest;
        self.pnlFloat += ctx.floatDelta;
    }

    /// @dev Counterparty `c` takes over what it can of the account's position `p` at mark, if it
    /// holds a profitable opposite position ranked no better than the previous one. Returns the
    /// size taken (p's sign; 0 if skipped) and c's realised PnL.
    function _take(
        ClearingHouseBase.State storage self,
        address account,
        address c,
        StoredPosition storage p,
        MarketClose memory ctx
    ) private returns (int256 size, int256 realised) {
        StoredPosition storage q = self.positions[c][ctx.id];
        if (c == account || q.size == 0 || (q.size > 0) == (p.size > 0)) return (0, 0);
        ctx.floatDelta += Accounts.settleFunding(self, c, q, ctx.index);
        int256 upnl = PerpMath.unrealisedPnl(PerpMath.load(q), ctx.mark);
        if (upnl <= 0) return (0, 0);
        int256 score = PerpMath.mulDivFloor(upnl, WAD, PerpMath.notional(q.size, ctx.mark));
        if (score > ctx.lastScore) revert ClearingHouseBase.AdlNotRanked(ctx.id, c);
        ctx.lastScore = score;
        size = PerpMath.abs(q.size) < PerpMath.abs(p.size) ? -q.size : p.size;
        ctx.floatDelta -= Accounts.transferFill(self, account, ctx.id, p, -size, ctx.mark, ctx.market);
        realised = Accounts.transferFill(self, c, ctx.id, q, size, ctx.mark, ctx.market);
        ctx.floatDelta -= realised;
        emit ClearingHouseBase.Deleveraged(account, c, ctx.id, size, 0);
    }
}
