// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {StdInvariant} from "forge-std/StdInvariant.sol";
import {Settlement} from "../src/Settlement.sol";
import {Vault} from "../src/Vault.sol";
import {SwapIntent} from "../src/libraries/IntentHashing.sol";
import {MintableERC20} from "./utils/Tokens.sol";

/// @notice Drives random settlements (matched pairs at random prices and limits, fill-or-kill and
/// partial fills, replays, cancellations, theft attempts) and keeps the ledger that the signed
/// intents allow. The invariants compare that ledger with the chain.
contract SettlementHandler is Test {
    uint256 internal constant ACTORS = 4;
    uint256 internal constant START = 1e30;

    Settlement public immutable settlement;
    MintableERC20 public immutable tokenA;
    MintableERC20 public immutable tokenB;
    address public immutable solver;

    address[ACTORS] public actors;
    uint256[ACTORS] internal keys;
    mapping(address => mapping(address => uint256)) public expected; // actor => token => balance
    mapping(address => uint256) internal nextNonce;

    Settlement.Trade[] internal settledFillOrKill; // replay candidates
    struct Partial {
        Settlement.Trade trade;
        bytes32 digest;
        uint256 amount;
        uint256 filled;
        bool cancelled;
    }
    Partial[] internal partials;

    // Ghost flags: each must stay false.
    bool public settlementLostFunds;
    bool public replaySucceeded;
    bool public overfillSucceeded;
    bool public limitViolationSucceeded;
    bool public cancelledFillSucceeded;
    bool public theftSucceeded;
    uint256 public settledBatches;

    constructor(Settlement s, MintableERC20 a, MintableERC20 b, address solver_) {
        settlement = s;
        tokenA = a;
        tokenB = b;
        solver = solver_;
        Vault vault = s.vault();
        for (uint256 k; k < ACTORS; ++k) {
            (address u, uint256 key) = makeAddrAndKey(string.concat("actor", vm.toString(k)));
            actors[k] = u;
            keys[k] = key;
            a.mint(u, START);
            b.mint(u, START);
            vm.startPrank(u);
            a.approve(address(vault), type(uint256).max);
            b.approve(address(vault), type(uint256).max);
            vm.stopPrank();
            expected[u][address(a)] = START;
            expected[u][address(b)] = START;
        }
    }

    // ------------------------------------------------------------------ actions

    struct Side {
        uint256 actor;
        bool buyKind;
        bool partiallyFillable;
        uint256 amount; // the kind amount
        uint256 limitPct; // other side's amount as % of the fair amount (> 100 violates)
        uint256 fillPct; // partial fills: executed as % of amount
    }

    /// @dev Two actors trade A<->B against each other at random prices; the solver's "market"
    /// interaction covers any rounding shortfall (as routing would).
    function settlePair(Side memory x, Side memory y, uint256 priceA, uint256 priceB) external {
        priceA = bound(priceA, 1, 1e6);
        priceB = bound(priceB, 1, 1e6);
        x.actor = bound(x.actor, 0, ACTORS - 1);
        y.actor = bound(y.actor, 0, ACTORS - 1);
        if (x.actor == y.actor) y.actor = (x.actor + 1) % ACTORS;
        Leg memory lx = _side(x, address(tokenA), address(tokenB), priceA, priceB); // x pays A, gets B
        Leg memory ly = _side(y, address(tokenB), address(tokenA), priceB, priceA); // y pays B, gets A

        Settlement.Interaction[] memory its = new Settlement.Interaction[](2);
        its[0] = _mint(tokenA, ly.get > lx.pay ? ly.get - lx.pay : 0);
        its[1] = _mint(tokenB, lx.get > ly.pay ? lx.get - ly.pay : 0);
        Settlement.Trade[] memory trades = new Settlement.Trade[](2);
        trades[0] = lx.t;
        trades[1] = ly.t;

        bool ok = _run(_batch(trades, priceA, priceB, its));
        if (ok && !(lx.limitOk && ly.limitOk)) limitViolationSucceeded = true;
        if (!ok) return;
        address ax = actors[x.actor];
        address ay = actors[y.actor];
        expected[ax][address(tokenA)] -= lx.pay;
        expected[ax][address(tokenB)] += lx.get;
        expected[ay][address(tokenB)] -= ly.pay;
        expected[ay][address(tokenA)] += ly.get;
        _record(lx, x);
        _record(ly, y);
    }

    /// @dev Replays a fill-or-kill trade that already settled: must fail.
    function replay(uint256 index) external {
        if (settledFillOrKill.length == 0) return;
        Settlement.Trade[] memory trades = new Settlement.Trade[](1);
        trades[0] = settledFillOrKill[bound(index, 0, settledFillOrKill.length - 1)];
        Settlement.Interaction[] memory its = new Settlement.Interaction[](2);
        its[0] = _mint(tokenA, 1e36);
        its[1] = _mint(tokenB, 1e36);
        if (_run(_batch(trades, 1, 1, its))) replaySucceeded = true;
    }

    /// @dev Fills a partially fillable intent again by a random amount: fails iff cancelled or it
    /// would exceed the signed amount.
    function refillPartial(uint256 index, uint256 executed, uint256 price) external {
        if (partials.length == 0) return;
        Partial storage p = partials[bound(index, 0, partials.length - 1)];
        executed = bound(executed, 1, p.amount);
        price = bound(price, 1, 1e6);
        Settlement.Trade memory t = p.trade;
        t.executedAmount = executed;
        bool buyKind = t.flags & 1 == 1;
        bool aSells = t.sellTokenIndex == 0;
        // Price the trade exactly at its limit so it is always acceptable.
        (uint256 pSell, uint256 pBuy) = (t.buyAmount * price, t.sellAmount * price);
        (uint256 pay, uint256 get) = buyKind
            ? (executed * pBuy / pSell, executed)
            : (executed, _ceilDiv(executed * pSell, pBuy));
        Settlement.Trade[] memory trades = new Settlement.Trade[](1);
        trades[0] = t;
        Settlement.Interaction[] memory its = new Settlement.Interaction[](1);
        its[0] = _mint(aSells ? tokenB : tokenA, get);
        bool ok = _run(_batch(trades, aSells ? pSell : pBuy, aSells ? pBuy : pSell, its));
        bool allowed = !p.cancelled && p.filled + executed <= p.amount;
        if (ok && !allowed) {
            if (p.cancelled) cancelledFillSucceeded = true;
            else overfillSucceeded = true;
        }
        if (!ok) return;
        p.filled += executed;
        address owner = t.owner;
        expected[owner][aSells ? address(tokenA) : address(tokenB)] -= pay;
        expected[owner][aSells ? address(tokenB) : address(tokenA)] += get;
    }

    /// @dev The owner of a partial intent cancels it on chain.
    function cancelPartial(uint256 index) external {
        if (partials.length == 0) return;
        Partial storage p = partials[bound(index, 0, partials.length - 1)];
        uint256 nonce = p.trade.nonce;
        vm.prank(p.trade.owner);
        // forge-lint: disable-next-line(incorrect-shift) -- nonce bit mask
        settlement.invalidateNonces(nonce >> 8, 1 << (nonce & 0xff));
        p.cancelled = true;
    }

    /// @dev An actor burns random nonce bits (cancelling intents not yet signed/settled).
    function cancelRandom(uint256 actor, uint256 wordPos, uint256 mask) external {
        vm.prank(actors[bound(actor, 0, ACTORS - 1)]);
        settlement.invalidateNonces(bound(wordPos, 0, 3), mask);
    }

    /// @dev The solver tries to walk away with part of Settlement's buffer: must fail.
    function steal(uint256 amount, bool fromA) external {
        MintableERC20 token = fromA ? tokenA : tokenB;
        uint256 held = token.balanceOf(address(settlement));
        if (held == 0) return;
        amount = bound(amount, 1, held);
        Settlement.Interaction[] memory its = new Settlement.Interaction[](1);
        its[0] = Settlement.Interaction(address(token), 0, abi.encodeCall(MintableERC20.transfer, (solver, amount)));
        if (_run(_batch(new Settlement.Trade[](0), 1, 1, its))) theftSucceeded = true;
    }

    // ------------------------------------------------------------------ helpers

    struct Leg {
        Settlement.Trade t;
        uint256 pay;
        uint256 get;
        bool limitOk;
        bytes32 digest;
    }

    function _side(Side memory s, address sellToken, address buyToken, uint256 pSell, uint256 pBuy)
        internal
        returns (Leg memory leg)
    {
        s.amount = bound(s.amount, 1, 1e24);
        s.limitPct = bound(s.limitPct, 50, 110);
        address owner = actors[s.actor];
        SwapIntent memory i;
        i.owner = owner;
        i.sellToken = sellToken;
        i.buyToken = buyToken;
        i.validTo = uint32(block.timestamp + 1 hours);
        i.nonce = nextNonce[owner]++;
        i.kind = s.buyKind ? 1 : 0;
        i.partiallyFillable = s.partiallyFillable;
        i.appData = bytes32(settledBatches);
        // The user signs a limit around the fair amount at these prices: limitPct <= 100 leaves room,
        // above 100 asks for more than the prices give (the batch must then revert).
        if (s.buyKind) {
            i.buyAmount = s.amount;
            i.sellAmount = s.amount * pBuy * 100 / (pSell * s.limitPct);
        } else {
            i.sellAmount = s.amount;
            i.buyAmount = s.amount * pSell * s.limitPct / (100 * pBuy);
        }
        leg.limitOk = i.sellAmount * pSell >= i.buyAmount * pBuy;
        uint256 executed = s.partiallyFillable ? bound(s.fillPct, 1, 100) * s.amount / 100 : s.amount;
        if (executed == 0) executed = 1;
        if (s.buyKind) (leg.get, leg.pay) = (executed, executed * pBuy / pSell);
        else (leg.pay, leg.get) = (executed, _ceilDiv(executed * pSell, pBuy));
        leg.digest = settlement.hashSwapIntent(i);
        (uint8 v, bytes32 r, bytes32 sig) = vm.sign(keys[s.actor], leg.digest);
        Settlement.Trade memory t = leg.t;
        t.owner = owner;
        t.sellAmount = i.sellAmount;
        t.buyAmount = i.buyAmount;
        t.nonce = i.nonce;
        t.appData = i.appData;
        t.executedAmount = s.partiallyFillable ? executed : 0;
        t.validTo = i.validTo;
        t.sellTokenIndex = sellToken == address(tokenA) ? 0 : 1;
        t.buyTokenIndex = sellToken == address(tokenA) ? 1 : 0;
        t.flags = i.kind | (s.partiallyFillable ? 2 : 0);
        t.signature = abi.encodePacked(r, sig, v);
    }

    function _record(Leg memory leg, Side memory s) internal {
        Settlement.Trade memory t = leg.t;
        bytes32 digest = leg.digest;
        if (t.flags & 2 == 0) {
            settledFillOrKill.push(t);
        } else {
            Partial storage p = partials.push();
            p.trade = t;
            p.digest = digest;
            p.amount = s.amount;
            p.filled = t.executedAmount;
        }
    }

    function _batch(Settlement.Trade[] memory trades, uint256 pA, uint256 pB, Settlement.Interaction[] memory its)
        internal
        view
        returns (Settlement.Batch memory b)
    {
        b.auctionId = settledBatches;
        b.tokens = new address[](2);
        b.tokens[0] = address(tokenA);
        b.tokens[1] = address(tokenB);
        b.clearingPrices = new uint256[](2);
        b.clearingPrices[0] = pA;
        b.clearingPrices[1] = pB;
        b.trades = trades;
        b.interactions = its;
    }

    function _mint(MintableERC20 token, uint256 amount) internal view returns (Settlement.Interaction memory) {
        return Settlement.Interaction(address(token), 0, abi.encodeCall(MintableERC20.mint, (address(settlement), amount)));
    }

    /// @dev Settles as the solver; on success checks Settlement did not end the batch poorer.
    function _run(Settlement.Batch memory b) internal returns (bool ok) {
        uint256 a0 = tokenA.balanceOf(address(settlement));
        uint256 b0 = tokenB.balanceOf(address(settlement));
        vm.prank(solver);
        try settlement.settle(b) {
            ok = true;
        } catch {
            return false;
        }
        settledBatches++;
        if (tokenA.balanceOf(address(settlement)) < a0 || tokenB.balanceOf(address(settlement)) < b0) {
            settlementLostFunds = true;
        }
    }

    function _ceilDiv(uint256 a, uint256 b) internal pure returns (uint256) {
        return a == 0 ? 0 : (a - 1) / b + 1;
    }

    function partialsLength() external view returns (uint256) {
        return partials.length;
    }

    function partialAt(uint256 k) external view returns (bytes32 digest, uint256 amount, uint256 filled) {
        Partial storage p = partials[k];
        return (p.digest, p.amount, p.filled);
    }
}

contract SettlementInvariantTest is StdInvariant, Test {
    Settlement internal settlement;
    SettlementHandler internal handler;
    MintableERC20 internal tokenA;
    MintableERC20 internal tokenB;
    uint256 internal constant BUFFER = 1e18;

    function setUp() public {
        vm.warp(1_700_000_000);
        settlement = new Settlement(address(this), 1 ether, 1 days);
        address solver = makeAddr("solver");
        vm.deal(solver, 1 ether);
        vm.prank(solver);
        settlement.bond{value: 1 ether}();
        MintableERC20 x = new MintableERC20("X", "X", 18);
        MintableERC20 y = new MintableERC20("Y", "Y", 18);
        (tokenA, tokenB) = address(x) < address(y) ? (x, y) : (y, x);
        tokenA.mint(address(settlement), BUFFER);
        tokenB.mint(address(settlement), BUFFER);
        handler = new SettlementHandler(settlement, tokenA, tokenB, solver);

        bytes4[] memory selectors = new bytes4[](6);
        selectors[0] = SettlementHandler.settlePair.selector;
        selectors[1] = SettlementHandler.replay.selector;
        selectors[2] = SettlementHandler.refillPartial.selector;
        selectors[3] = SettlementHandler.cancelPartial.selector;
        selectors[4] = SettlementHandler.cancelRandom.selector;
        selectors[5] = SettlementHandler.steal.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    /// @notice The handler really settles (a fixed valid pair and a partial refill go through and
    /// move the ledger), so the invariants below are not vacuous.
    function test_handlerSettles() public {
        SettlementHandler.Side memory x = SettlementHandler.Side(0, false, false, 1e18, 90, 0);
        SettlementHandler.Side memory y = SettlementHandler.Side(1, true, true, 2e18, 95, 50);
        handler.settlePair(x, y, 2, 1);
        assertEq(handler.settledBatches(), 1);
        address a0 = handler.actors(0);
        assertEq(tokenA.balanceOf(a0), 1e30 - 1e18);
        assertEq(tokenB.balanceOf(a0), 1e30 + 2e18);
        assertEq(handler.partialsLength(), 1);
        handler.refillPartial(0, 1e18, 1);
        assertEq(handler.settledBatches(), 2);
        (,, uint256 filled) = handler.partialAt(0);
        assertEq(filled, 2e18);
        handler.replay(0);
        assertFalse(handler.replaySucceeded());
        invariant_usersMoveOnlyAsSigned();
        invariant_noIntentFillsBeyondItsSignature();
    }

    /// @notice After every run: the run settled batches (not vacuous) and the ledgers hold.
    function afterInvariant() external view {
        invariant_usersMoveOnlyAsSigned();
    }

    /// @notice No batch ever ends with Settlement holding less than it started with.
    function invariant_settlementNeverEndsABatchPoorer() public view {
        assertFalse(handler.settlementLostFunds());
        assertFalse(handler.theftSucceeded());
        assertGe(tokenA.balanceOf(address(settlement)), BUFFER);
        assertGe(tokenB.balanceOf(address(settlement)), BUFFER);
    }

    /// @notice Every user's balances are exactly what their settled intents allow, nothing else.
    function invariant_usersMoveOnlyAsSigned() public view {
        for (uint256 k; k < 4; ++k) {
            address u = handler.actors(k);
            assertEq(tokenA.balanceOf(u), handler.expected(u, address(tokenA)), "tokenA ledger");
            assertEq(tokenB.balanceOf(u), handler.expected(u, address(tokenB)), "tokenB ledger");
        }
    }

    /// @notice No replay, overfill, cancelled fill or limit violation ever settled.
    function invariant_noIntentFillsBeyondItsSignature() public view {
        assertFalse(handler.replaySucceeded());
        assertFalse(handler.overfillSucceeded());
        assertFalse(handler.cancelledFillSucceeded());
        assertFalse(handler.limitViolationSucceeded());
        uint256 n = handler.partialsLength();
        for (uint256 k; k < n; ++k) {
            (bytes32 digest, uint256 amount, uint256 filled) = handler.partialAt(k);
            assertEq(settlement.filledAmount(digest), filled);
            assertLe(filled, amount);
        }
    }
}
