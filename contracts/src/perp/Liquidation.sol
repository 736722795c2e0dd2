// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PerpMath, StoredPosition} from "./PerpMath.sol";
import {ClearingHouseBase} from "./ClearingHouseBase.sol";
import {Accounts} from "./Accounts.sol";
import {IOptionLiquidation} from "../options/IOptionLiquidation.sol";

/// @title Liquidation
/// @notice Liquidation of a margin account over the clearing house's books
/// (`ClearingHouseBase.State`); `ClearingHouse.liquidate` is its entry point.
///
/// An account whose equity is below maintenance, valued as in batch checks (a stale market's profit
/// and stale extra collateral count nothing), hands the liquidator the fraction
/// `PerpMath.liquidationFraction` of every position whose oracle is fresh, at that mark: the
/// smallest fraction that brings it back to halfway between maintenance and initial margin, or all
/// of it when no partial close gets there. Positions in stale markets stay with the account, so one
/// lagging feed never blocks a liquidation. The account pays a penalty on the closed notional,
/// split between the liquidator and the insurance fund.
///
/// A fully closed account whose stablecoin does not cover the penalty first sells its extra
/// collateral (fresh feeds only) to the insurance fund at the haircut price
/// (`CollateralVault.seize`). If its stablecoin is still negative it is reset to zero and the
/// insurance fund pays the difference (bad debt, booked covered up to what the fund held) and the
/// liquidator's share of the unpaid penalty, as far as the fund reaches. The liquidator must meet
/// initial margin afterwards.
///
/// Options: an account holding options is liquidated as one portfolio. The liquidator also takes
/// the same fraction of each of its option legs (live series, fresh mark and surface: the option
/// book's `liquidateOptions`), at the model value the account's health counts them at, so the
/// transfer moves risk, not equity; the penalty is charged on the options' penalty base (a short
/// leg's underlying notional, a long leg's value up to it) exactly as on a perp's notional, and that
/// base joins the notional the fraction is solved with. This is sound because the portfolio
/// requirement is homogeneous of degree one in the sizes (every scenario loss and the short floor
/// are linear in them), so closing the fraction f of every perp and option leg scales initial and
/// maintenance by (1 - f), as for perps alone. Once nothing is left (no perp, no option), the
/// account is closed: extra collateral, penalty waiver and bad debt follow the perp rules. An
/// account keeping a leg (expired, or on a stale feed) is not closed, so nothing is written off
/// while an option that may be worth its shortfall stays with it.
library Liquidation {
    int256 private constant WAD = 1e18;

    /// @notice Liquidates `account` in favour of `liquidator` (see the library docs) and emits
    /// `Liquidated`. Reverts `NotLiquidatable` unless equity < maintenance, `OracleStale(market)`
    /// when no market of the account has a fresh oracle, `InsufficientMargin` when the liquidator
    /// ends below initial margin.
    /// @param penaltyFraction Penalty on the closed notional (1e18 fraction).
    /// @param liquidatorShare The liquidator's share of the penalty (1e18 fraction).
    /// @return fraction The fraction of each position closed (1e18 = all).
    function liquidate(
        ClearingHouseBase.State storage self,
        address account,
        address liquidator,
        int256 penaltyFraction,
        int256 liquidatorShare
    ) internal returns (uint256 fraction) {
        ClearingHouseBase.BatchMarket[] memory marks = _marks(self, account);
        int256 penalty;
        {
            int256 f = _fractionOf(self, account, penaltyFraction, marks);
            // forge-lint: disable-next-line(unsafe-typecast) -- 0 < f <= WAD
            fraction = uint256(f);
            penalty = _closePositions(self, account, liquidator, f, penaltyFraction, marks);
        }
        int256 reward;
        int256 badDebt;
        (penalty, reward, badDebt) = _settlePenalty(self, account, liquidator, penalty, liquidatorShare);
        Accounts.requireInitialMarginCached(self, liquidator, false, marks);
        emit ClearingHouseBase.Liquidated(account, liquidator, fraction, penalty, reward, badDebt);
    }

    /// @dev One pass over the account's markets: reads each oracle once (loose: `UnpricedMarket`
    /// for a zero or out-of-range price) and keeps the market's funding index now, margin
    /// fractions and open interest in memory, for the health check, the transfers and the
    /// liquidator's margin check alike.
    function _marks(ClearingHouseBase.State storage self, address account)
        private
        view
        returns (ClearingHouseBase.BatchMarket[] memory marks)
    {
        uint32[] memory ids = Accounts.marketList(self.accountMarkets[account]);
        uint256 n = ids.length;
        marks = new ClearingHouseBase.BatchMarket[](n);
        for (uint256 i; i < n; ++i) {
            uint32 id = ids[i];
            ClearingHouseBase.Market storage mk = self.markets[id];
            ClearingHouseBase.BatchMarket memory b = marks[i];
            b.id = id;
            (b.mark, b.fresh) = Accounts.oracleMark(mk, id, false);
            // Only what health, the transfers and the margin check use. The funding index is
            // accrued in memory only: indexNow is linear in time, so writing it back now or at
            // the market's next accrual gives the same index to the wei.
            b.market.fundingIndex = Accounts.indexNow(mk);
            b.market.config.initialMarginFraction = mk.config.initialMarginFraction;
            b.market.config.maintenanceMarginFraction = mk.config.maintenanceMarginFraction;
            b.market.openInterest = mk.openInterest;
        }
    }

    /// @dev Reverts `NotLiquidatable` unless equity < maintenance, and returns the fraction to close.
    function _fractionOf(
        ClearingHouseBase.State storage self,
        address account,
        int256 penaltyFraction,
        ClearingHouseBase.BatchMarket[] memory marks
    ) private view returns (int256) {
        (int256 equity, int256 initial, int256 maintenance, int256 totalNotional) =
            Accounts.positionsHealth(self, account, false, marks);
        equity += Accounts.extraCollateral(self, account, false);
        // The options' penalty base, so the fraction allows for the penalty on them too.
        if (self.holdsOptions[account]) {
            totalNotional += IOptionLiquidation(self.optionBook).liquidationBase(account);
        }
        if (equity >= maintenance) revert ClearingHouseBase.NotLiquidatable(account, equity, maintenance);
        return PerpMath.liquidationFraction(equity, maintenance, initial, totalNotional, penaltyFraction);
    }

    /// @dev After the transfers (`_closePositions`, which returned `penalty`): charges the
    /// penalty, pays the liquidator, absorbs bad debt.
    function _settlePenalty(
        ClearingHouseBase.State storage self,
        address account,
        address liquidator,
        int256 penalty,
        int256 liquidatorShare
    ) private returns (int256, int256 reward, int256 badDebt) {
        int256 remaining = self.collateral[account];
        // An account that still holds options (a leg that could not move: expired, or on a stale
        // feed) is never "closed": that option may be worth what its stablecoin lacks, so no bad
        // debt is booked and nothing is seized while it is open.
        bool closedAll = self.accountMarkets[account] == 0 && !self.holdsOptions[account];
        int256 insuranceDelta;
        // A fully closed account whose stablecoin does not cover the penalty sells its extra
        // collateral to the insurance fund at the strict haircut price, as much as needed.
        if (closedAll && remaining < penalty) {
            int256 bought = Accounts.seize(self, account, penalty - remaining);
            remaining += bought;
            insuranceDelta = -bought;
        }
        // The liquidator's reward is its share of the whole penalty, even when the account cannot
        // pay it (a bankrupt account): the insurance fund pays what the account does not, as far as
        // the fund reaches, so bankrupt accounts, the ones that cost the fund most while open, are
        // still worth liquidating. A partial liquidation leaves equity above the penalty by
        // construction of the fraction; a full one takes what collateral is left, up to the penalty.
        reward = PerpMath.mulDivFloor(penalty, liquidatorShare, WAD);
        if (closedAll && penalty > remaining) {
            penalty = remaining > 0 ? remaining : int256(0);
            int256 fund = self.insuranceFund + insuranceDelta;
            int256 payable_ = penalty + (fund > 0 ? fund : int256(0));
            if (reward > payable_) reward = payable_;
        }
        remaining -= penalty;
        self.collateral[liquidator] += reward;
        insuranceDelta += penalty - reward;

        if (closedAll && remaining < 0) {
            badDebt = -remaining;
            remaining = 0;
            _recordBadDebt(self, badDebt, self.insuranceFund + insuranceDelta);
            insuranceDelta -= badDebt;
        }
        self.collateral[account] = remaining;
        self.insuranceFund += insuranceDelta;
        return (penalty, reward, badDebt);
    }

    /// @dev The position transfers of a liquidation, in every market with a fresh oracle; returns
    /// the penalty on the closed notional. Reverts `OracleStale` when every market is stale.
    function _closePositions(
        ClearingHouseBase.State storage self,
        address account,
        address liquidator,
        int256 f,
        int256 penaltyFraction,
        ClearingHouseBase.BatchMarket[] memory marks
    ) private returns (int256 penalty) {
        int256 floatDelta;
        bool closedAny;
        for (uint256 i; i < marks.length; ++i) {
            (int256 closedNotional, int256 fl, bool closed) = _liquidateMarket(self, account, liquidator, marks[i], f);
            penalty += PerpMath.mulDivCeil(closedNotional, penaltyFraction, WAD);
            floatDelta += fl;
            closedAny = closedAny || closed;
        }
        self.pnlFloat += floatDelta;
        // The same fraction of the option legs, at model value (cash through `optionCash`, which
        // moves the float by +v and -v: net zero); the penalty on their base like a notional.
        bool holder = self.holdsOptions[account];
        if (holder) {
            // forge-lint: disable-next-line(unsafe-typecast) -- 0 < f <= WAD
            (int256 base, bool moved) = IOptionLiquidation(self.optionBook).liquidateOptions(account, liquidator, uint256(f));
            penalty += PerpMath.mulDivCeil(base, penaltyFraction, WAD);
            closedAny = closedAny || moved;
        }
        if (!closedAny && (marks.length != 0 || holder)) {
            revert ClearingHouseBase.OracleStale(marks.length != 0 ? marks[0].id : 0);
        }
    }

    /// @dev Books `badDebt` as covered up to what the insurance fund held (`available`), the rest uncovered.
    function _recordBadDebt(ClearingHouseBase.State storage self, int256 badDebt, int256 available) private {
        // forge-lint: disable-next-line(unsafe-typecast) -- badDebt > 0
        uint256 bad = uint256(badDebt);
        if (available >= badDebt) {
            self.badDebtCovered += bad;
        } else {
            // forge-lint: disable-next-line(unsafe-typecast) -- available < badDebt, the difference is > 0
            uint256 uncovered = available > 0 ? uint256(badDebt - available) : bad;
            self.badDebtUncovered += uncovered;
            self.badDebtCovered += bad - uncovered;
        }
    }

    /// @dev Transfers the fraction f of `account`'s position in market `id` to the liquidator at
    /// the oracle mark, if it is fresh (else nothing, `closed` false). Returns the notional closed
    /// (the caller charges the penalty on it, rounded up market by market) and what the PnL float
    /// gains (funding paid minus realised PnL).
    function _liquidateMarket(
        ClearingHouseBase.State storage self,
        address account,
        address liquidator,
        ClearingHouseBase.BatchMarket memory b,
        int256 f
    ) private returns (int256 closedNotional, int256 floatDelta, bool closed) {
        if (!b.fresh) return (0, 0, false);
        closed = true;
        uint32 id = b.id;
        int256 mark = b.mark;
        ClearingHouseBase.Market memory mm = b.market;
        StoredPosition storage p = self.positions[account][id];
        StoredPosition storage q = self.positions[liquidator][id];
        floatDelta = Accounts.settleFunding(self, account, p, mm.fundingIndex)
            + Accounts.settleFunding(self, liquidator, q, mm.fundingIndex);
        int256 closeSize = f == WAD ? p.size : _scaleUp(p.size, f);
        floatDelta -= Accounts.transferFill(self, account, id, p, -closeSize, mark, mm);
        floatDelta -= Accounts.transferFill(self, liquidator, id, q, closeSize, mark, mm);
        self.markets[id].openInterest = mm.openInterest;
        closedNotional = PerpMath.notional(closeSize, mark);
    }

    /// @dev ceil(|size| * f) with size's sign, capped at |size|.
    function _scaleUp(int256 size, int256 f) private pure returns (int256) {
        int256 a = PerpMath.mulDivCeil(PerpMath.abs(size), f, WAD);
        int256 absSize = PerpMath.abs(size);
        if (a > absSize) a = absSize;
        return size > 0 ? a : -a;
    }
}
