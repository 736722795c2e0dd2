// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Settlement} from "../../src/Settlement.sol";
import {ClearingHouseBase} from "../../src/perp/ClearingHouseBase.sol";
import {CircuitBreaker} from "../../src/perp/CircuitBreaker.sol";
import {OptionBook} from "../../src/options/OptionBook.sol";
import {OptionSettlement} from "../../src/options/OptionSettlement.sol";
import {PortfolioMargin} from "../../src/options/PortfolioMargin.sol";
import {SwapIntent} from "../../src/libraries/IntentHashing.sol";
import {OptionBookBase} from "./OptionBookBase.sol";
import {DevnetSmartWallet} from "../../src/devnet/SmartWallet.sol";
import {console2} from "forge-std/console2.sol";
import {Ownable2Step} from "../../src/governance/Ownable2Step.sol";
import {SizeFills} from "../../src/libraries/SizeFills.sol";

contract OptionBookTest is OptionBookBase {
    address internal alice;
    uint256 internal aliceKey;
    address internal bob;
    uint256 internal bobKey;

    function setUp() public override {
        super.setUp();
        (alice, aliceKey) = _user("alice");
        (bob, bobKey) = _user("bob");
        _margin(alice, 10_000e18);
        _margin(bob, 10_000e18);
    }

    /// alice buys 1 call from bob at 275: premium moves, fees to the fund, open interest both sides.
    function test_optionFill_movesPremium_feesToInsurance() public {
        int256 fund0 = ch.insuranceFund();
        _settleAs(_optionBatch(CALL_3000, 275e18, _ot(aliceKey, alice, CALL_3000, 0, 1e18, 280e18, 1), _ot(bobKey, bob, CALL_3000, 0, -1e18, 270e18, 1)));
        int256 fee = 0.275e18;
        assertEq(ch.collateral(alice), 10_000e18 - 275e18 - fee);
        assertEq(ch.collateral(bob), 10_000e18 + 275e18 - fee);
        assertEq(ch.insuranceFund() - fund0, 2 * fee);
        assertEq(book.positionOf(alice, CALL_3000), 1e18);
        assertEq(book.positionOf(bob, CALL_3000), -1e18);
        (uint128 l, uint128 s) = book.openInterest(CALL_3000);
        assertEq(l, 1e18);
        assertEq(s, 1e18);
        assertTrue(settlement.isNonceUsed(alice, 1));
        _assertBooks();
        // the long's health counts the option's value; the short's its liability and the grid
        (int256 eqA, int256 imA,) = ch.accountHealth(alice);
        (int256 eqB, int256 imB, int256 mmB) = ch.accountHealth(bob);
        assertGt(eqA, int256(10_000e18 - 275e18 - fee));
        assertLt(eqB, int256(10_000e18 + 275e18 - fee));
        assertGt(imA, 0);
        assertGt(imB, mmB);
        assertGt(mmB, 0);
    }

    /// Premium rounding: the buyer pays ceil, the seller receives floor, the dust goes to the fund.
    function test_premiumRounding_dustToInsurance() public {
        vm.prank(governance);
        book.setFeeFraction(0);
        int256 fund0 = ch.insuranceFund();
        // 1 wei premium on 1.5 contracts: the buyer pays ceil(1.5) = 2, the seller receives 1
        _settleAs(_optionBatch(CALL_3000, 1, _ot(aliceKey, alice, CALL_3000, 0, 1.5e18, 1, 1), _ot(bobKey, bob, CALL_3000, 0, -1.5e18, 0, 1)));
        assertEq(ch.collateral(alice), 10_000e18 - 2);
        assertEq(ch.collateral(bob), 10_000e18 + 1);
        assertEq(ch.insuranceFund() - fund0, 1);
        _assertBooks();
    }

    function test_premiumLimit_buyerAndSeller() public {
        Settlement.Batch memory b = _optionBatch(
            CALL_3000, 275e18, _ot(aliceKey, alice, CALL_3000, 0, 1e18, 274e18, 1), _ot(bobKey, bob, CALL_3000, 0, -1e18, 270e18, 1)
        );
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(OptionSettlement.PremiumLimitNotMet.selector, 0, 275e18, 274e18));
        settlement.settle(b);
        b = _optionBatch(
            CALL_3000, 275e18, _ot(aliceKey, alice, CALL_3000, 0, 1e18, 280e18, 1), _ot(bobKey, bob, CALL_3000, 0, -1e18, 276e18, 1)
        );
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(OptionSettlement.PremiumLimitNotMet.selector, 1, 275e18, 276e18));
        settlement.settle(b);
    }

    /// A naked short call needs the portfolio requirement: 10 calls written on 300 of collateral fail.
    function test_nakedShort_insufficientMargin_reverts() public {
        (address carol, uint256 carolKey) = _user("carol");
        _margin(carol, 300e18);
        Settlement.Batch memory b = _optionBatch(
            CALL_3000, 275e18, _ot(aliceKey, alice, CALL_3000, 0, 10e18, 280e18, 1), _ot(carolKey, carol, CALL_3000, 0, -10e18, 270e18, 1)
        );
        vm.prank(solver);
        vm.expectPartialRevert(OptionBook.InsufficientMargin.selector);
        settlement.settle(b);
    }

    /// The one margin check: carol buys 1 call and sells 0.5 ETH perp as its hedge in the same
    /// batch. Her collateral covers the pair together but neither leg alone.
    function test_hedgedCallAndShortPerp_passTogetherNotAlone() public {
        (address carol, uint256 carolKey) = _user("carol");
        (address dave, uint256 daveKey) = _user("dave");
        _margin(dave, 100_000e18);
        // 120 of collateral. The call alone needs about premium - its worst-scenario value (~ 275 - 40);
        // the short perp alone 10% of 1,500 = 150; the pair about premium - the pair's worst-scenario
        // value (~ 275 - 190, the vol-down scenario at an unchanged price).
        _margin(carol, 120e18);
        Settlement.Batch memory opt = _optionBatch(
            CALL_3000, 275e18, _ot(carolKey, carol, CALL_3000, 0, 1e18, 280e18, 1), _ot(daveKey, dave, CALL_3000, 0, -1e18, 270e18, 1)
        );
        Settlement.Batch memory perp;
        perp.positions = _perpLeg(_pt(carolKey, carol, -0.5e18, 2990e18, 2), _pt(daveKey, dave, 0.5e18, 3010e18, 2));
        uint256 snap = vm.snapshotState();
        // the call alone
        vm.prank(solver);
        vm.expectPartialRevert(OptionBook.InsufficientMargin.selector);
        settlement.settle(opt);
        // the short perp alone (the clearing house's check)
        vm.prank(solver);
        vm.expectPartialRevert(ClearingHouseBase.InsufficientMargin.selector);
        settlement.settle(perp);
        vm.revertToState(snap);
        // both in one batch
        opt.positions = perp.positions;
        _settleAs(opt);
        assertEq(book.positionOf(carol, CALL_3000), 1e18);
        assertEq(ch.position(carol, ETH).size, -0.5e18);
        (int256 eq, int256 im,) = ch.accountHealth(carol);
        assertGe(eq, im);
        console2.log("hedged equity", eq);
        console2.log("hedged requirement", im);
    }

    /// The hedged pair of the test above in one settle, carol and dave in both legs.
    function _bothLegsPair() internal returns (Settlement.Batch memory b, address carol, uint256 carolKey, address dave, uint256 daveKey) {
        (carol, carolKey) = _user("carol");
        (dave, daveKey) = _user("dave");
        _margin(dave, 100_000e18);
        _margin(carol, 120e18);
        b = _optionBatch(
            CALL_3000, 275e18, _ot(carolKey, carol, CALL_3000, 0, 1e18, 280e18, 1), _ot(daveKey, dave, CALL_3000, 0, -1e18, 270e18, 1)
        );
        b.positions = _perpLeg(_pt(carolKey, carol, -0.5e18, 2990e18, 2), _pt(daveKey, dave, 0.5e18, 3010e18, 2));
    }

    /// Each account in both legs is valued once in the settle, by the book's check (the clearing
    /// house leaves it to it: `marginCheckPending`); nothing is pending afterwards.
    function test_bothLegs_valuedOnce() public {
        (Settlement.Batch memory b, address carol,, address dave,) = _bothLegsPair();
        vm.expectCall(address(book), abi.encodeCall(OptionBook.optionHealth, (carol, false)), 1);
        vm.expectCall(address(book), abi.encodeCall(OptionBook.optionHealth, (dave, false)), 1);
        uint256 g = gasleft();
        _settleAs(b);
        console2.log("gas: settle of an option pair and a perp pair, both accounts in both legs", g - gasleft());
        assertEq(book.positionOf(carol, CALL_3000), 1e18);
        assertEq(ch.position(carol, ETH).size, -0.5e18);
    }

    /// The check the clearing house leaves to the book is still made: a second settle in the same
    /// transaction (a forge test is one) with carol's perp alone beyond her margin is refused by
    /// the clearing house (the pending flag ended with the first settle's check), and the pair
    /// with too little collateral is refused whole by the book.
    function test_bothLegs_stillEnforced() public {
        (Settlement.Batch memory b, address carol, uint256 carolKey, address dave, uint256 daveKey) = _bothLegsPair();
        uint256 snap = vm.snapshotState();
        _settleAs(b);
        assertFalse(book.marginCheckPending(carol), "nothing pending after the settle");
        Settlement.Batch memory more;
        more.positions = _perpLeg(_pt(carolKey, carol, -0.5e18, 2990e18, 3), _pt(daveKey, dave, 0.5e18, 3010e18, 3));
        vm.prank(solver);
        vm.expectPartialRevert(ClearingHouseBase.InsufficientMargin.selector);
        settlement.settle(more);
        vm.revertToState(snap);
        vm.prank(carol);
        ch.withdraw(60e18, carol);
        vm.prank(solver);
        vm.expectPartialRevert(OptionBook.InsufficientMargin.selector);
        settlement.settle(b);
        assertEq(book.positionOf(carol, CALL_3000), 0);
        assertEq(ch.position(carol, ETH).size, 0);
    }

    /// `marginCheckPending` is true only inside a settle, between the option leg and the book's
    /// check; a solver's interaction sees it false (the option leg runs after the interactions).
    function test_marginCheckPending_onlyWithinTheSettle() public {
        assertFalse(book.marginCheckPending(alice));
        _settleAs(
            _optionBatch(
                CALL_3000, 275e18, _ot(aliceKey, alice, CALL_3000, 0, 1e18, 280e18, 1), _ot(bobKey, bob, CALL_3000, 0, -1e18, 270e18, 1)
            )
        );
        assertFalse(book.marginCheckPending(alice));
        assertFalse(book.marginCheckPending(bob));
    }

    /// Spot swap + perp fill + option fill in one settle, atomically; any failing leg reverts it all.
    function test_spotPerpOption_oneBatch_atomic() public {
        _fund(tokenA, alice, 100e18);
        _fund(tokenB, bob, 100e18);
        SwapIntent memory ia = _intent(alice, address(tokenA), address(tokenB), 100e18, 100e18, SELL, false, 10);
        SwapIntent memory ib = _intent(bob, address(tokenB), address(tokenA), 100e18, 100e18, SELL, false, 10);
        address[] memory tokens = _pair();
        Settlement.Batch memory b = _optionBatch(
            CALL_3000, 275e18, _ot(aliceKey, alice, CALL_3000, 0, 1e18, 280e18, 1), _ot(bobKey, bob, CALL_3000, 0, -1e18, 270e18, 1)
        );
        b.tokens = tokens;
        b.clearingPrices = _prices(1, 1);
        b.trades = _two(_trade(ia, tokens, _sign(aliceKey, ia), 0), _trade(ib, tokens, _sign(bobKey, ib), 0));
        b.interactions = _noInteractions();
        b.positions = _perpLeg(_pt(aliceKey, alice, 1e18, 3010e18, 2), _pt(bobKey, bob, -1e18, 2990e18, 2));

        // a failing option leg (bob's limit above the premium) reverts the swap and the perp too
        Settlement.Batch memory bad = b;
        bytes memory goodOptions = b.options;
        bad.options = _optionBatch(
            CALL_3000, 275e18, _ot(aliceKey, alice, CALL_3000, 0, 1e18, 280e18, 1), _ot(bobKey, bob, CALL_3000, 0, -1e18, 276e18, 1)
        ).options;
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(OptionSettlement.PremiumLimitNotMet.selector, 1, 275e18, 276e18));
        settlement.settle(bad);
        // a failing perp leg (alice's limit below the price) reverts the options too
        // (`bad` aliases `b` in memory: restore each leg after breaking it)
        b.options = goodOptions;
        bytes memory goodPositions = b.positions;
        b.positions = _perpLeg(_pt(aliceKey, alice, 1e18, 2990e18, 2), _pt(bobKey, bob, -1e18, 2990e18, 2));
        vm.prank(solver);
        vm.expectPartialRevert(bytes4(keccak256("PositionLimitNotMet(uint256,uint256,uint256)")));
        settlement.settle(b);
        b.positions = goodPositions;
        assertEq(book.positionOf(alice, CALL_3000), 0);
        assertEq(tokenB.balanceOf(alice), 0);

        uint256 g = gasleft();
        _settleAs(b);
        console2.log("gas: settle swap pair + perp pair + option pair", g - gasleft());
        assertEq(tokenB.balanceOf(alice), 100e18);
        assertEq(tokenA.balanceOf(bob), 100e18);
        assertEq(ch.position(alice, ETH).size, 1e18);
        assertEq(book.positionOf(alice, CALL_3000), 1e18);
        assertEq(book.positionOf(bob, CALL_3000), -1e18);
        _assertBooks();
    }

    function _openPair(uint64 id, int256 size, uint256 premium, uint256 nonce) internal {
        _settleAs(_optionBatch(id, premium, _ot(aliceKey, alice, id, 0, size, premium, nonce), _ot(bobKey, bob, id, 0, -size, premium, nonce)));
    }

    /// Expiry: after OptionSeries.settle anyone settles each side; the long receives the payoff, the
    /// short pays it, both leave the margin computation, and the pair conserves value exactly.
    function test_expiry_settleExpired_longReceivesShortPays_conservesValue() public {
        _openPair(CALL_3000, 2e18, 275e18, 1);
        int256 a0 = ch.collateral(alice);
        int256 b0 = ch.collateral(bob);
        int256 total0 = a0 + b0 + ch.insuranceFund() + ch.pnlFloat();
        // not yet expired
        vm.expectRevert(abi.encodeWithSelector(OptionBook.SeriesNotExpired.selector, CALL_3000, expiry));
        book.settleExpired(alice, CALL_3000);
        vm.warp(expiry + 1);
        _price(3300e8);
        _publishVol(0.8e18);
        // expired but unsettled: valued at intrinsic at the mark (300 per contract), out of the grid
        (int256 eqA,,) = ch.accountHealth(alice);
        assertEq(eqA, a0 + 600e18);
        (int256 eqB, int256 imB,) = ch.accountHealth(bob);
        assertEq(eqB, b0 - 600e18);
        assertEq(imB, 0);
        vm.expectRevert(abi.encodeWithSelector(bytes4(keccak256("NotSettled(uint64)")), CALL_3000));
        book.settleExpired(alice, CALL_3000);
        reg.settle(CALL_3000, ethFeed.latestRound());
        vm.prank(makeAddr("anyone"));
        assertEq(book.settleExpired(alice, CALL_3000), 600e18);
        assertEq(ch.collateral(alice), a0 + 600e18);
        _assertBooks();
        assertEq(book.settleExpired(bob, CALL_3000), -600e18);
        assertEq(ch.collateral(bob), b0 - 600e18);
        assertEq(book.positionOf(alice, CALL_3000), 0);
        assertEq(book.seriesOf(bob).length, 0);
        (uint128 l, uint128 s) = book.openInterest(CALL_3000);
        assertEq(l + s, 0);
        // value conservation: what moved between the pair is exactly zero-sum, the float back where it was
        assertEq(ch.collateral(alice) + ch.collateral(bob) + ch.insuranceFund() + ch.pnlFloat(), total0);
        assertEq(ch.collateral(alice) + ch.collateral(bob), a0 + b0);
        // no options left: health is the perp-only one (nothing here)
        (int256 e, int256 im, int256 mm) = ch.accountHealth(bob);
        assertEq(e, b0 - 600e18);
        assertEq(im, 0);
        assertEq(mm, 0);
        _assertBooks();
        vm.expectRevert(abi.encodeWithSelector(OptionBook.NoPosition.selector, bob, CALL_3000));
        book.settleExpired(bob, CALL_3000);
    }

    /// An expired series no longer trades.
    function test_expiredSeries_refusedAtTrade() public {
        vm.warp(expiry);
        _price(3000e8);
        _publishVol(0.8e18);
        Settlement.Batch memory b = _optionBatch(
            CALL_3000, 1e18, _ot(aliceKey, alice, CALL_3000, 0, 1e18, 1e18, 1), _ot(bobKey, bob, CALL_3000, 0, -1e18, 1e18, 1)
        );
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(OptionBook.SeriesExpired.selector, CALL_3000, expiry));
        settlement.settle(b);
    }

    /// Options follow the perp's circuit breaker: risk-increasing option fills revert while the
    /// market is halted, reductions pass.
    function test_circuitBreakerHalt_blocksNewRisk_allowsReduction() public {
        _openPair(CALL_3000, 2e18, 275e18, 1);
        CircuitBreaker breaker = new CircuitBreaker(governance, address(ch));
        vm.startPrank(governance);
        breaker.setConfig(ETH, CircuitBreaker.Config(0.1e18, 1 hours, 30 minutes));
        ch.setCircuitBreaker(breaker);
        vm.stopPrank();
        vm.warp(block.timestamp + 60);
        _price(2600e8); // -13% within the window: halts
        breaker.observe(ETH);
        Settlement.Batch memory b = _optionBatch(
            CALL_3000, 100e18, _ot(aliceKey, alice, CALL_3000, 0, 1e18, 300e18, 2), _ot(bobKey, bob, CALL_3000, 0, -1e18, 1e18, 2)
        );
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(OptionBook.MarketHalted.selector, ETH));
        settlement.settle(b);
        // alice sells 1 back to bob: both reduce
        _settleAs(_optionBatch(CALL_3000, 100e18, _ot(aliceKey, alice, CALL_3000, 0, -1e18, 1e18, 3), _ot(bobKey, bob, CALL_3000, 0, 1e18, 300e18, 3)));
        assertEq(book.positionOf(alice, CALL_3000), 1e18);
    }

    function test_staleSurface_andStaleMark_refuseNewRisk() public {
        vm.warp(block.timestamp + 2 hours); // surface max age 1 hour; mark heartbeat 1 hour
        _price(3000e8);
        Settlement.Batch memory b = _optionBatch(
            CALL_3000, 275e18, _ot(aliceKey, alice, CALL_3000, 0, 1e18, 280e18, 1), _ot(bobKey, bob, CALL_3000, 0, -1e18, 270e18, 1)
        );
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(OptionBook.StaleVolSurface.selector, ETH));
        settlement.settle(b);
        _publishVol(0.8e18);
        vm.warp(block.timestamp + 1 hours + 1);
        _publishVol(0.8e18);
        b = _optionBatch(
            CALL_3000, 275e18, _ot(aliceKey, alice, CALL_3000, 0, 1e18, 280e18, 1), _ot(bobKey, bob, CALL_3000, 0, -1e18, 270e18, 1)
        );
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(OptionBook.StaleMark.selector, ETH));
        settlement.settle(b);
    }

    /// Reduce-only clamps to the position: "sell 5" on a 2 long sells 2.
    function test_reduceOnly_clamps() public {
        (address carol, uint256 carolKey) = _user("carol");
        _margin(carol, 10_000e18);
        _openPair(CALL_3000, 2e18, 275e18, 1);
        // alice reduce-only sells 5 (clamped to 2) to carol (buys 2)... the series must net: carol buys 2
        (uint64[] memory ids, uint256[] memory prems) = _oneSeries(CALL_3000, 200e18);
        OptionSettlement.OptionTrade[] memory ts = new OptionSettlement.OptionTrade[](2);
        ts[0] = _otFlags(aliceKey, alice, CALL_3000, 0, -5e18, 1e18, 2, 1);
        ts[1] = _ot(carolKey, carol, CALL_3000, 0, 2e18, 300e18, 2);
        Settlement.Batch memory b;
        b.options = abi.encode(OptionSettlement.OptionBatch(ids, prems, ts));
        _settleAs(b);
        assertEq(book.positionOf(alice, CALL_3000), 0);
        assertEq(book.seriesOf(alice).length, 0);
        assertEq(book.positionOf(carol, CALL_3000), 2e18);
        // reduce-only on a flat position reverts
        ts[0] = _otFlags(aliceKey, alice, CALL_3000, 0, -1e18, 1e18, 3, 1);
        ts[1] = _ot(carolKey, carol, CALL_3000, 0, 1e18, 300e18, 3);
        b.options = abi.encode(OptionSettlement.OptionBatch(ids, prems, ts));
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(OptionBook.ReduceOnlyViolated.selector, 0, 0, -1e18));
        settlement.settle(b);
        _assertBooks();
    }

    function test_seriesMustNet_andOneFillPerAccountAndSeries() public {
        (uint64[] memory ids, uint256[] memory prems) = _oneSeries(CALL_3000, 275e18);
        OptionSettlement.OptionTrade[] memory ts = new OptionSettlement.OptionTrade[](2);
        ts[0] = _ot(aliceKey, alice, CALL_3000, 0, 1e18, 280e18, 1);
        ts[1] = _ot(bobKey, bob, CALL_3000, 0, -2e18, 270e18, 1);
        Settlement.Batch memory b;
        b.options = abi.encode(OptionSettlement.OptionBatch(ids, prems, ts));
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(OptionBook.SeriesNotBalanced.selector, CALL_3000, -1e18));
        settlement.settle(b);
        ts = new OptionSettlement.OptionTrade[](3);
        ts[0] = _ot(aliceKey, alice, CALL_3000, 0, 1e18, 280e18, 1);
        ts[1] = _ot(aliceKey, alice, CALL_3000, 0, 1e18, 280e18, 2);
        ts[2] = _ot(bobKey, bob, CALL_3000, 0, -2e18, 270e18, 1);
        b.options = abi.encode(OptionSettlement.OptionBatch(ids, prems, ts));
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(OptionBook.DuplicateFill.selector, 1, alice, CALL_3000));
        settlement.settle(b);
    }

    function test_seriesMustBeSorted() public {
        uint64[] memory ids = new uint64[](2);
        uint256[] memory prems = new uint256[](2);
        (ids[0], ids[1]) = (PUT_2800, CALL_3000);
        OptionSettlement.OptionTrade[] memory ts = new OptionSettlement.OptionTrade[](0);
        Settlement.Batch memory b;
        b.options = abi.encode(OptionSettlement.OptionBatch(ids, prems, ts));
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(OptionBook.SeriesNotSorted.selector, 1));
        settlement.settle(b);
    }

    /// At most MAX_ACCOUNT_OPTIONS series per account; the fifth reverts.
    function test_fifthSeries_reverts() public {
        uint64[5] memory ids5 = [CALL_3000, PUT_2800, CALL_3300, PUT_3000, CALL_3500];
        for (uint256 i; i < 4; ++i) {
            _openPair(ids5[i], 0.1e18, 50e18, 10 + i);
        }
        assertEq(book.seriesOf(alice).length, 4);
        Settlement.Batch memory b = _optionBatch(
            CALL_3500, 50e18, _ot(aliceKey, alice, CALL_3500, 0, 0.1e18, 50e18, 20), _ot(bobKey, bob, CALL_3500, 0, -0.1e18, 50e18, 20)
        );
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(OptionBook.TooManyOptionPositions.selector, alice));
        settlement.settle(b);
        _assertBooks();
    }

    /// Gas: the margin check of an account with 4 options and 1 perp through the real clearing house.
    function test_gas_marginCheck_fourOptionsOnePerp() public {
        uint64[4] memory ids4 = [CALL_3000, PUT_2800, CALL_3300, PUT_3000];
        for (uint256 i; i < 4; ++i) {
            _openPair(ids4[i], 0.5e18, 50e18, 10 + i);
        }
        Settlement.Batch memory perp;
        perp.positions = _perpLeg(_pt(aliceKey, alice, 1e18, 3010e18, 30), _pt(bobKey, bob, -1e18, 2990e18, 30));
        _settleAs(perp);
        uint256 g = gasleft();
        ch.requireWithdrawable(bob);
        console2.log("gas: requireWithdrawable, 4 options + 1 perp", g - gasleft());
        g = gasleft();
        ch.accountHealth(bob);
        console2.log("gas: accountHealth, 4 options + 1 perp", g - gasleft());
        // a settle with one option fill pair
        (address carol, uint256 carolKey) = _user("carol");
        (address dave, uint256 daveKey) = _user("dave");
        _margin(carol, 10_000e18);
        _margin(dave, 10_000e18);
        Settlement.Batch memory b = _optionBatch(
            CALL_3000, 275e18, _ot(carolKey, carol, CALL_3000, 0, 1e18, 280e18, 1), _ot(daveKey, dave, CALL_3000, 0, -1e18, 270e18, 1)
        );
        g = gasleft();
        _settleAs(b);
        console2.log("gas: settle with one option pair (2 fills, fresh accounts)", g - gasleft());
    }

    /// Gas: the same margin check on a surface with no flat stretch (every node's vol differs from
    /// its neighbours', across log-moneyness and across tenors), so no leg takes the feed's
    /// equal-vols shortcut: a call and a put at 3,000 (30 days: one surface read), a put at 2,700
    /// and a call at 3,400 (60 days), each between two nodes and between two tenors.
    function test_gas_marginCheck_fourOptionsOnePerp_smileSurface() public {
        _publishSmile();
        uint64 expiry2 = uint64(block.timestamp + 60 days);
        vm.startPrank(governance);
        uint64 put2700 = reg.list(ETH, 2700e18, expiry2, false);
        uint64 call3400 = reg.list(ETH, 3400e18, expiry2, true);
        vm.stopPrank();
        uint64[4] memory ids4 = [CALL_3000, PUT_3000, put2700, call3400];
        for (uint256 i; i < 4; ++i) {
            _openPair(ids4[i], 0.5e18, 50e18, 10 + i);
        }
        Settlement.Batch memory perp;
        perp.positions = _perpLeg(_pt(aliceKey, alice, 1e18, 3010e18, 30), _pt(bobKey, bob, -1e18, 2990e18, 30));
        _settleAs(perp);
        // The three distinct (strike, expiry) pairs read three different interpolated vols.
        (uint256 v30,) = vol.impliedVol(ETH, 0, 30 days);
        (uint256 vPut,) = vol.impliedVol(ETH, -0.105e18, 60 days);
        (uint256 vCall,) = vol.impliedVol(ETH, 0.125e18, 60 days);
        assertTrue(v30 != vPut && vPut != vCall && v30 != vCall, "smile");
        uint256 g = gasleft();
        ch.requireWithdrawable(bob);
        g -= gasleft();
        console2.log("gas: requireWithdrawable, 4 options + 1 perp, smile surface", g);
        assertLe(g, 300_000);
        g = gasleft();
        (, int256 im,) = ch.accountHealth(bob);
        console2.log("gas: accountHealth, 4 options + 1 perp, smile surface", g - gasleft());
        assertGt(im, 0);
    }

    /// @dev ETH's surface with a skew, a smile and a falling term structure: vol(t, k) = atm(t) -
    /// 0.25 k + 0.6 k^2 on 5 tenors x 8 nodes, no two neighbours equal.
    function _publishSmile() internal {
        uint256[] memory tenors = new uint256[](5);
        (tenors[0], tenors[1], tenors[2], tenors[3], tenors[4]) = (7 days, 21 days, 45 days, 90 days, 180 days);
        uint256[5] memory atm = [uint256(0.9e18), 0.82e18, 0.76e18, 0.7e18, 0.66e18];
        int256[] memory nodes = new int256[](8);
        int256[8] memory ks = [int256(-0.6e18), -0.3e18, -0.15e18, -0.05e18, 0.05e18, 0.15e18, 0.3e18, 0.6e18];
        uint256[] memory vols = new uint256[](40);
        for (uint256 j; j < 8; ++j) {
            nodes[j] = ks[j];
        }
        for (uint256 i; i < 5; ++i) {
            for (uint256 j; j < 8; ++j) {
                int256 k = ks[j];
                vols[i * 8 + j] = uint256(int256(atm[i]) - k / 4 + 0.6e18 * k / 1e18 * k / 1e18);
            }
        }
        vm.prank(feeder);
        vol.publish(ETH, tenors, nodes, vols);
    }

    /// A short option blocks withdrawing the collateral that backs it (no perps needed).
    function test_withdraw_blockedByShortOption() public {
        _openPair(CALL_3000, 10e18, 275e18, 1);
        vm.prank(bob);
        vm.expectPartialRevert(ClearingHouseBase.InsufficientMargin.selector);
        ch.withdraw(10_000e18, bob);
    }

    function test_hooks_onlyOptionBook() public {
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.NotOptionBook.selector, address(this)));
        ch.optionCash(address(this), 1e18);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.NotOptionBook.selector, address(this)));
        ch.setOptionHolder(alice, false);
        vm.prank(governance);
        vm.expectRevert(ClearingHouseBase.OptionBookAlreadySet.selector);
        ch.setOptionBook(address(1));
        vm.prank(governance);
        vm.expectRevert(Settlement.OptionBookAlreadySet.selector);
        settlement.setOptionBook(book);
        vm.expectRevert(abi.encodeWithSelector(OptionBook.OnlySettlement.selector, address(this)));
        book.checkMargins();
        vm.expectRevert(abi.encodeWithSelector(OptionBook.OnlySettlement.selector, address(this)));
        book.settleOptions(new uint64[](0), new uint256[](0), new OptionBook.Fill[](0));
    }

    function test_governance_boundsAndTwoStep() public {
        PortfolioMargin.Params memory p = _params();
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, address(this)));
        book.setParams(p);
        vm.startPrank(governance);
        p.maintenanceFraction = 0.05e18;
        vm.expectRevert(OptionBook.InvalidParams.selector);
        book.setParams(p);
        p = _params();
        p.priceShocks = [int256(0), 0, 0, 0, 0, 0, 0, 0.1e18, -0.01e18];
        vm.expectRevert(OptionBook.InvalidParams.selector);
        book.setParams(p);
        p = _params();
        p.priceShocks[3] = 0.51e18;
        vm.expectRevert(OptionBook.InvalidParams.selector);
        book.setParams(p);
        vm.expectRevert(abi.encodeWithSelector(OptionBook.InvalidFeeFraction.selector, 0.011e18));
        book.setFeeFraction(0.011e18);
        p = _params();
        p.shortFloor = 0.02e18;
        book.setParams(p);
        assertEq(book.params().shortFloor, 0.02e18);
        assertEq(book.params().priceShocks[8], -0.2e18);
        book.transferOwnership(alice);
        vm.stopPrank();
        assertEq(book.owner(), governance);
        vm.prank(alice);
        book.acceptOwnership();
        assertEq(book.owner(), alice);
    }

    /// Fuzz: any premium and size conserve money (collateral + fund + float unchanged in sum, the
    /// token balance identity exact) and keep open interest long == short.
    function testFuzz_fill_conservesMoney(uint256 premium, uint256 size, bool aliceBuys) public {
        premium = bound(premium, 0, 500e18);
        size = bound(size, 1, 5e18);
        int256 s = aliceBuys ? int256(size) : -int256(size);
        int256 before = ch.collateral(alice) + ch.collateral(bob) + ch.insuranceFund() + ch.pnlFloat();
        _settleAs(
            _optionBatch(
                PUT_3000,
                premium,
                _ot(aliceKey, alice, PUT_3000, 0, s, aliceBuys ? premium : 0, 1),
                _ot(bobKey, bob, PUT_3000, 0, -s, aliceBuys ? 0 : premium, 1)
            )
        );
        assertEq(ch.collateral(alice) + ch.collateral(bob) + ch.insuranceFund() + ch.pnlFloat(), before);
        assertEq(ch.pnlFloat(), 0);
        (uint128 l, uint128 sh) = book.openInterest(PUT_3000);
        assertEq(l, sh);
        assertEq(l, size);
        _assertBooks();
    }

    /// A partially fillable option intent fills across settles up to |size| (Settlement.filledAmount),
    /// never beyond; its nonce bit is never set by fills.
    function test_partiallyFillableOptionIntent_acrossSettles() public {
        (address carol, uint256 carolKey) = _user("carol");
        _margin(carol, 10_000e18);
        OptionSettlement.OptionTrade memory part = _otFlags(aliceKey, alice, CALL_3000, 0, 3e18, 280e18, 5, 4);
        part.executedSize = 2e18;
        _settleAs(_optionBatch(CALL_3000, 275e18, part, _ot(bobKey, bob, CALL_3000, 0, -2e18, 270e18, 5)));
        assertEq(book.positionOf(alice, CALL_3000), 2e18);
        assertFalse(settlement.isNonceUsed(alice, 5));
        part.executedSize = 2e18; // only 1 left
        Settlement.Batch memory b = _optionBatch(CALL_3000, 275e18, part, _ot(carolKey, carol, CALL_3000, 0, -2e18, 270e18, 5));
        vm.prank(solver);
        vm.expectPartialRevert(SizeFills.FillExceedsAmount.selector);
        settlement.settle(b);
        part.executedSize = 1e18;
        _settleAs(_optionBatch(CALL_3000, 275e18, part, _ot(carolKey, carol, CALL_3000, 0, -1e18, 270e18, 6)));
        assertEq(book.positionOf(alice, CALL_3000), 3e18);
        _assertBooks();
    }

    /// Maintenance counts options: a naked short call written near the limit becomes liquidatable
    /// when the underlying rallies (the book's value and the grid move with the mark).
    function test_shortCall_becomesLiquidatable_onRally() public {
        (address carol, uint256 carolKey) = _user("carol");
        _margin(carol, 1_600e18); // 3 short calls need ~1,552 at 3,000
        _settleAs(_optionBatch(CALL_3000, 275e18, _ot(aliceKey, alice, CALL_3000, 0, 3e18, 280e18, 1), _ot(carolKey, carol, CALL_3000, 0, -3e18, 270e18, 1)));
        assertFalse(ch.isLiquidatable(carol));
        _price(3900e8);
        (int256 eq,, int256 mm) = ch.accountHealth(carol);
        assertLt(eq, mm);
        assertTrue(ch.isLiquidatable(carol));
    }

    /// Liquidation reaches options: the liquidator takes the fraction of the call at its model
    /// value (the account's stablecoin rises by it), and while the account keeps part of the call
    /// nothing is written off against the fund.
    function test_liquidation_movesAnOptionHoldersLeg() public {
        (address carol, uint256 carolKey) = _user("carol");
        _margin(carol, 262e18);
        // carol buys 1 call (275 + fee) with 262: her stablecoin goes negative, the call's value backs it
        _settleAs(_optionBatch(CALL_3000, 275e18, _ot(carolKey, carol, CALL_3000, 0, 1e18, 280e18, 1), _ot(bobKey, bob, CALL_3000, 0, -1e18, 270e18, 1)));
        int256 c = ch.collateral(carol);
        assertLt(c, 0);
        _price(2200e8);
        assertTrue(ch.isLiquidatable(carol));
        int256 fund = ch.insuranceFund();
        vm.prank(alice);
        uint256 f = ch.liquidate(carol);
        int256 moved = book.positionOf(alice, CALL_3000);
        assertGt(moved, 0);
        assertEq(book.positionOf(carol, CALL_3000), 1e18 - moved);
        assertGt(ch.collateral(carol), c, "carol was paid the call's value");
        if (f < 1e18) {
            assertGe(ch.insuranceFund(), fund, "fund paid while carol keeps a call");
            assertEq(ch.badDebtCovered(), 0);
        }
        _assertBooks();
    }

    /// An EIP-1271 wallet's option intent (flag bit 1) is verified through isValidSignature; a
    /// signature by another key is refused.
    function test_eip1271OptionIntent() public {
        DevnetSmartWallet wallet = new DevnetSmartWallet(alice);
        tokenA.mint(address(this), 10_000e18);
        tokenA.approve(address(ch), 10_000e18);
        ch.deposit(address(wallet), 10_000e18);
        accounts.push(address(wallet));
        Settlement.Batch memory b = _optionBatch(
            CALL_3000, 275e18, _otFlags(bobKey, address(wallet), CALL_3000, 0, 1e18, 280e18, 1, 2), _ot(bobKey, bob, CALL_3000, 0, -1e18, 270e18, 1)
        );
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(bytes4(keccak256("InvalidEip1271Signature(address)")), address(wallet)));
        settlement.settle(b);
        _settleAs(
            _optionBatch(
                CALL_3000, 275e18, _otFlags(aliceKey, address(wallet), CALL_3000, 0, 1e18, 280e18, 1, 2), _ot(bobKey, bob, CALL_3000, 0, -1e18, 270e18, 1)
            )
        );
        assertEq(book.positionOf(address(wallet), CALL_3000), 1e18);
        _assertBooks();
    }
}
