// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ClearingHouseBase} from "./ClearingHouseBase.sol";
import {PerpMath, Position} from "./PerpMath.sol";

/// @title AutoDeleverageModule
/// @notice Auto-deleveraging for the clearing house, which deploys this module in its constructor
/// and runs it by DELEGATECALL (same storage layout through `ClearingHouseBase`), so its events come
/// from the clearing house and it changes only the clearing house's state. A separate contract only
/// for the EIP-170 code size limit. Called directly it refuses (`OnlyDelegateCall`).
contract AutoDeleverageModule is ClearingHouseBase {
    using PerpMath for Position;

    error OnlyDelegateCall();

    address private immutable _self;

    constructor(
        address settlement_,
        address collateralToken_,
        uint8 collateralDecimals_,
        int256 liquidationPenalty_,
        int256 liquidatorShare_
    ) ClearingHouseBase(address(0), settlement_, collateralToken_, collateralDecimals_, liquidationPenalty_, liquidatorShare_) {
        _self = address(this);
    }

    /// @notice Auto-deleveraging, the last resort after the insurance fund: for a bankrupt account
    /// (equity < 0 at strict marks) whose loss exceeds the insurance fund, closes all its positions
    /// against profitable opposite positions of `counterparties` at the oracle mark (each takes what
    /// it holds, in the order given; others are skipped), lets the insurance fund pay what it holds,
    /// and charges the rest of the loss to the counterparties pro rata to the notional they took,
    /// each at most the profit it realised on that close (so they close at no worse than their entry
    /// price). Only the `deleverager` governance appointed may call: the rule is that counterparties
    /// are taken most profitable per unit of notional first over the WHOLE market, which the
    /// contract cannot check without a list of every holder, so it checks the order among the
    /// counterparties given (`AdlNotRanked`) and the rest is the deleverager's duty, auditable from
    /// `PositionChanged` and `Deleveraged` events (a caller chosen by nobody could otherwise leave
    /// out the most profitable traders and pick its victims).
    function autoDeleverage(address account, address[] calldata counterparties) external {
        if (address(this) == _self) revert OnlyDelegateCall();
        if (msg.sender != deleverager) revert NotDeleverager(msg.sender);
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
        (ctx.mark,) = _mark(id, mk, true);
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

    struct AdlContext {
        uint32 id;
        int256 mark;
        int256 index;
        int256 lastScore;
        int256 floatDelta;
        Market market;
    }
}
