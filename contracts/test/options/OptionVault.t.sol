// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {console2} from "forge-std/console2.sol";
import {Settlement} from "../../src/Settlement.sol";
import {CircuitBreaker} from "../../src/perp/CircuitBreaker.sol";
import {ClearingHouseLpVault} from "../../src/perp/ClearingHouseLpVault.sol";
import {SignatureChecker} from "../../src/libraries/SignatureChecker.sol";
import {SizeFills} from "../../src/libraries/SizeFills.sol";
import {SwapIntent} from "../../src/libraries/IntentHashing.sol";
import {Ownable2Step} from "../../src/governance/Ownable2Step.sol";
import {BlackScholes} from "../../src/options/BlackScholes.sol";
import {BlackScholesHarness} from "../../src/options/BlackScholesHarness.sol";
import {OptionBook} from "../../src/options/OptionBook.sol";
import {OptionSettlement} from "../../src/options/OptionSettlement.sol";
import {OptionVault} from "../../src/options/OptionVault.sol";
import {OptionVaultQuoter, UnderlyingParams} from "../../src/options/OptionVaultQuoter.sol";
import {OptionVaultBase} from "./OptionVaultBase.sol";

contract OptionVaultTest is OptionVaultBase {
    // ------------------------------------------------------------------ settling against the vault

    /// A lone wallet's signed option intent (buy 1 call) fills against the vault in one settle at
    /// the vault's ask: positions, premium cash both ways (less the book's 0.1% fee), the books.
    function test_loneBuyer_fillsAgainstVault_atQuote() public {
        uint256 g = gasleft();
        uint256 ask = ovault.quote(CALL_3000, -1e18);
        console2.log("gas: quote, flat vault", g - gasleft());
        int256 aliceBefore = ch.collateral(alice);
        int256 vaultBefore = ch.collateral(address(ovault));
        Settlement.Batch memory b = _optionBatch(
            CALL_3000, ask, _ot(aliceKey, alice, CALL_3000, 0, 1e18, ask, 1), _vaultOt(CALL_3000, 0, -1e18, ask, 1)
        );
        g = gasleft();
        _settleAs(b);
        console2.log("gas: settle lone option intent against the vault", g - gasleft());
        assertEq(book.positionOf(alice, CALL_3000), 1e18);
        assertEq(book.positionOf(address(ovault), CALL_3000), -1e18);
        uint256 fee = (ask * FEE + 1e18 - 1) / 1e18;
        assertEq(ch.collateral(alice), aliceBefore - int256(ask + fee));
        assertEq(ch.collateral(address(ovault)), vaultBefore + int256(ask - fee));
        (int256 eq, int256 im,) = ch.accountHealth(address(ovault));
        assertGe(eq, im, "vault within portfolio margin");
        _assertBooks();
    }

    /// The quote sits around the model price: ask above Black-Scholes at the mark and the
    /// surface's vol, bid below, by at least the base spread (1 vol point of vega + 0.05% of mark).
    function test_quote_aroundModelPrice() public {
        BlackScholesHarness bs = new BlackScholesHarness();
        BlackScholes.Result memory r = bs.evaluate(3000e18, 3000e18, 30 days, 0.8e18);
        uint256 base = r.vega / 100 + 1.5e18;
        uint256 ask = ovault.quote(CALL_3000, -1e18);
        uint256 bid = ovault.quote(CALL_3000, 1e18);
        assertGe(ask, r.call + base, "ask >= model + base");
        assertLe(bid, r.call - base, "bid <= model - base");
        // one contract barely moves the book: its delta and vega skew is under 1 per contract
        assertLt(ask - (r.call + base), 1e18);
        assertLt((r.call - base) - bid, 1e18);
        uint256 putAsk = ovault.quote(PUT_3000, -1e18);
        assertGe(putAsk, r.put + base);
    }

    /// Quote monotone in size: selling more costs traders more per contract, buying more pays less.
    function testFuzz_quote_monotoneInSize(uint256 a, uint256 b) public view {
        a = bound(a, 1e15, 100e18);
        b = bound(b, a, 100e18);
        assertLe(ovault.quote(CALL_3000, -int256(a)), ovault.quote(CALL_3000, -int256(b)), "ask");
        assertGe(ovault.quote(CALL_3000, int256(a)), ovault.quote(CALL_3000, int256(b)), "bid");
        assertLe(ovault.quote(PUT_2800, -int256(a)), ovault.quote(PUT_2800, -int256(b)), "put ask");
    }

    /// Quote monotone in exposure: the more calls the vault has written, the higher its next ask
    /// and its bid to buy one back.
    function testFuzz_quote_monotoneInExposure(uint256 first, uint256 second) public {
        first = bound(first, 1e17, 40e18);
        second = bound(second, 1e17, 40e18);
        _margin(alice, 100_000e18);
        uint256 ask0 = ovault.quote(CALL_3000, -1e18);
        uint256 bid0 = ovault.quote(CALL_3000, 1e18);
        _aliceTrades(CALL_3000, int256(first), 1);
        uint256 ask1 = ovault.quote(CALL_3000, -1e18);
        uint256 bid1 = ovault.quote(CALL_3000, 1e18);
        _margin(alice, 100_000e18);
        _aliceTrades(CALL_3000, int256(second), 2);
        uint256 ask2 = ovault.quote(CALL_3000, -1e18);
        assertGt(ask1, ask0);
        assertGt(ask2, ask1);
        assertGt(bid1, bid0);
    }

    /// The delta skew alone (vega scale at its maximum): short calls make the vault short delta,
    /// so calls cost more and puts (which give it delta back when it sells them) cost less.
    function test_spread_widensWithNetDelta() public {
        UnderlyingParams memory p = _defaultParams();
        p.vegaScale = 1e36;
        _setParams(p);
        uint256 callAsk0 = ovault.quote(CALL_3000, -1e18);
        uint256 putAsk0 = ovault.quote(PUT_3000, -1e18);
        _aliceTrades(CALL_3000, 20e18, 1);
        (int256 d,) = ovault.exposure(ETH);
        assertLt(d, -9e18, "short about 10 delta");
        assertGt(ovault.quote(CALL_3000, -1e18), callAsk0, "more of the same exposure costs more");
        assertLt(ovault.quote(PUT_3000, -1e18), putAsk0, "trading against it is cheaper");
    }

    /// The vega skew alone (delta scale at its maximum): short calls make the vault short vega, so
    /// every option it sells costs more and it pays more to buy one back.
    function test_spread_widensWithNetVega() public {
        UnderlyingParams memory p = _defaultParams();
        p.deltaScale = 1e36;
        _setParams(p);
        uint256 putAsk0 = ovault.quote(PUT_3000, -1e18);
        uint256 putBid0 = ovault.quote(PUT_3000, 1e18);
        _aliceTrades(CALL_3000, 20e18, 1);
        (, int256 v) = ovault.exposure(ETH);
        assertLt(v, -6_000e18, "short about 20 x 342 vega");
        assertGt(ovault.quote(PUT_3000, -1e18), putAsk0, "more short vega costs more");
        assertGt(ovault.quote(PUT_3000, 1e18), putBid0, "it pays more to cut its vega");
    }

    // ------------------------------------------------------------------ limits and refusals

    function test_limits_contractsDeltaVega_closingAlwaysQuoted() public {
        vm.expectRevert(abi.encodeWithSelector(OptionVaultQuoter.MaxContractsExceeded.selector, CALL_3000, -201e18));
        ovault.quote(CALL_3000, -201e18);
        UnderlyingParams memory p = _defaultParams();
        p.maxDelta = 5e18;
        _setParams(p);
        vm.expectPartialRevert(OptionVaultQuoter.MaxDeltaExceeded.selector);
        ovault.quote(CALL_3000, -20e18);
        p = _defaultParams();
        p.maxVega = 1_000e18;
        _setParams(p);
        vm.expectPartialRevert(OptionVaultQuoter.MaxVegaExceeded.selector);
        ovault.quote(CALL_3000, -20e18);
        // within the defaults the vault writes 10 calls, then governance tightens every limit:
        _setParams(_defaultParams());
        _aliceTrades(CALL_3000, 10e18, 1);
        p = _defaultParams();
        (p.maxContracts, p.maxDelta, p.maxVega) = (1e18, 1e18, 1e18);
        _setParams(p);
        // buying back is still quoted (it shrinks every exposure), writing more is not
        assertGt(ovault.quote(CALL_3000, 5e18), 0);
        vm.expectPartialRevert(OptionVaultQuoter.MaxContractsExceeded.selector);
        ovault.quote(CALL_3000, -1e18);
    }

    /// The book keeps at most 4 series per account: a fifth is refused, held ones still quote.
    function test_fifthSeries_refused() public {
        _margin(alice, 100_000e18);
        _aliceTrades(CALL_3000, 1e18, 1);
        _aliceTrades(PUT_2800, 1e18, 2);
        _aliceTrades(CALL_3300, 1e18, 3);
        _aliceTrades(PUT_3000, 1e18, 4);
        vm.expectRevert(OptionVaultQuoter.TooManySeries.selector);
        ovault.quote(CALL_3500, -1e18);
        assertFalse(_accepts(CALL_3500, -1e18, type(uint256).max / 2));
        assertGt(ovault.quote(CALL_3300, -1e18), 0);
        uint256 g = gasleft();
        ovault.quote(CALL_3300, -1e18);
        console2.log("gas: quote, vault holding 4 series", g - gasleft());
    }

    function test_refusals() public {
        vm.expectRevert(abi.encodeWithSelector(OptionVaultQuoter.InvalidSize.selector, int256(0)));
        ovault.quote(CALL_3000, 0);
        vm.expectRevert(abi.encodeWithSelector(OptionVaultQuoter.UnknownSeries.selector, uint64(99)));
        ovault.quote(99, -1e18);
        UnderlyingParams memory p = _defaultParams();
        p.enabled = false;
        _setParams(p);
        vm.expectRevert(abi.encodeWithSelector(OptionVaultQuoter.UnderlyingDisabled.selector, ETH));
        ovault.quote(CALL_3000, -1e18);
        _setParams(_defaultParams());
        uint256 snap = vm.snapshotState();
        // stale mark (heartbeat 1 hour), surface fresh
        vm.warp(block.timestamp + 2 hours);
        _publishVol(0.8e18);
        vm.expectRevert(abi.encodeWithSelector(OptionVaultQuoter.StaleMark.selector, ETH));
        ovault.quote(CALL_3000, -1e18);
        // stale surface (max age 1 hour), mark fresh
        vm.warp(block.timestamp + 2 hours);
        _price(3000e8);
        vm.expectRevert(abi.encodeWithSelector(OptionVaultQuoter.StaleVolSurface.selector, ETH));
        ovault.quote(CALL_3000, -1e18);
        vm.revertToState(snap);
        // out of Black-Scholes' domain: ETH at 850, the 3,500 call is more than 4x out of the money
        _price(850e8);
        vm.expectRevert(abi.encodeWithSelector(OptionVaultQuoter.OutsideModel.selector, CALL_3500));
        ovault.quote(CALL_3500, -1e18);
        vm.revertToState(snap);
        // expired
        vm.warp(expiry);
        vm.expectRevert(abi.encodeWithSelector(OptionVaultQuoter.SeriesExpired.selector, CALL_3000));
        ovault.quote(CALL_3000, -1e18);
    }

    function test_haltedMarket_refusedAndNotSigned() public {
        uint256 ask = ovault.quote(CALL_3000, -1e18);
        assertTrue(_accepts(CALL_3000, -1e18, ask));
        CircuitBreaker breaker = new CircuitBreaker(governance, address(ch));
        vm.startPrank(governance);
        breaker.setConfig(ETH, CircuitBreaker.Config(0.1e18, 1 hours, 30 minutes));
        ch.setCircuitBreaker(breaker);
        vm.stopPrank();
        vm.warp(block.timestamp + 60);
        _price(2600e8); // -13% within the window
        breaker.observe(ETH);
        vm.expectRevert(abi.encodeWithSelector(OptionVaultQuoter.MarketHalted.selector, ETH));
        ovault.quote(CALL_3000, -1e18);
        assertFalse(_accepts(CALL_3000, -1e18, 10_000e18), "no signature while halted");
    }

    // ------------------------------------------------------------------ EIP-1271

    function test_signature_checks() public {
        uint256 ask = ovault.quote(CALL_3000, -2e18);
        uint256 bid = ovault.quote(CALL_3000, 2e18);
        assertTrue(_accepts(CALL_3000, -2e18, ask), "at the ask");
        assertTrue(_accepts(CALL_3000, -2e18, ask + 1), "above the ask");
        assertFalse(_accepts(CALL_3000, -2e18, ask - 1), "one wei below the ask");
        assertTrue(_accepts(CALL_3000, 2e18, bid), "at the bid");
        assertFalse(_accepts(CALL_3000, 2e18, bid + 1), "one wei above the bid");
        // wrong digest: the signature names another nonce
        uint32 validTo = uint32(block.timestamp + 1 hours);
        bytes32 digest = _optionDigest(CALL_3000, -2e18, ask, validTo, 5);
        assertEq(ovault.isValidSignature(digest, abi.encode(CALL_3000, int256(-2e18), ask, validTo, uint256(6))), bytes4(0xffffffff));
        // wrong series: digest for the 3,300 call, signature for the 3,000 call
        digest = _optionDigest(CALL_3300, -2e18, ask, validTo, 5);
        assertEq(ovault.isValidSignature(digest, abi.encode(CALL_3000, int256(-2e18), ask, validTo, uint256(5))), bytes4(0xffffffff));
        // malformed
        assertEq(ovault.isValidSignature(digest, hex"1234"), bytes4(0xffffffff));
        // over a limit: the vault would sell 300 contracts (max 200) at any premium
        assertFalse(_accepts(CALL_3000, -300e18, type(uint128).max));
        // stale quote: the ask at 3,000 is too low once ETH is at 3,030
        _price(3030e8);
        assertFalse(_accepts(CALL_3000, -2e18, ask), "old ask after the mark rose");
        assertTrue(_accepts(CALL_3000, -2e18, ovault.quote(CALL_3000, -2e18)));
        // stale surface
        vm.warp(block.timestamp + 2 hours);
        _price(3030e8);
        assertFalse(_accepts(CALL_3000, -2e18, type(uint128).max), "stale surface");
    }

    /// The vault signs exactly the limits on its side of its quote, for any size it quotes.
    function testFuzz_signature_iffOnTheVaultsSideOfQuote(int256 size, uint256 offset, bool above) public view {
        size = bound(size, -150e18, 150e18);
        vm.assume(size != 0);
        uint256 q = ovault.quote(CALL_3300, size);
        offset = bound(offset, 0, q);
        uint256 limit = above ? q + offset : q - offset;
        bool expected = size < 0 ? limit >= q : limit <= q;
        assertEq(_accepts(CALL_3300, size, limit), expected);
    }

    /// A vault trade the Settlement already filled cannot be replayed (the fill-or-kill nonce bit).
    function test_replay_nonceConsumed() public {
        // a limit well above the ask, so the vault's signature stays valid after its first fill and
        // the replay meets the nonce check
        uint256 limit = ovault.quote(CALL_3000, -1e18) * 2;
        OptionSettlement.OptionTrade memory vt = _vaultOt(CALL_3000, 0, -1e18, limit, 1);
        _settleAs(_optionBatch(CALL_3000, limit, _ot(aliceKey, alice, CALL_3000, 0, 1e18, limit, 1), vt));
        assertTrue(_accepts(CALL_3000, -1e18, limit));
        Settlement.Batch memory again =
            _optionBatch(CALL_3000, limit, _ot(aliceKey, alice, CALL_3000, 0, 1e18, limit, 2), vt);
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(SizeFills.NonceAlreadyUsed.selector, address(ovault), 1));
        settlement.settle(again);
    }

    /// The vault signs at its quote only: a batch whose vault trade names a premium limit one wei
    /// under its ask reverts whole.
    function test_settle_belowAsk_reverts() public {
        uint256 ask = ovault.quote(CALL_3000, -1e18);
        Settlement.Batch memory b = _optionBatch(
            CALL_3000,
            ask - 1,
            _ot(aliceKey, alice, CALL_3000, 0, 1e18, ask, 1),
            _vaultOt(CALL_3000, 0, -1e18, ask - 1, 1)
        );
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(SignatureChecker.InvalidEip1271Signature.selector, address(ovault)));
        settlement.settle(b);
        assertEq(book.positionOf(address(ovault), CALL_3000), 0);
    }

    // ------------------------------------------------------------------ delta hedge

    /// Spot-free version of the issue's atomic batch: alice buys 10 calls from the vault, and in the
    /// same settle the vault buys its delta back on the perp from bob. The hedge is judged against
    /// the vault's delta after its option fill (Settlement applies options before verifying
    /// position intents). Afterwards its net delta is within the tolerance.
    function test_hedge_inTheSameSettle() public {
        uint256 ask = ovault.quote(CALL_3000, -10e18);
        // the vault's delta after the option fill, measured in a throwaway state
        uint256 snap = vm.snapshotState();
        _aliceTrades(CALL_3000, 10e18, 1);
        (int256 d,) = ovault.exposure(ETH);
        vm.revertToState(snap);
        assertLt(d, -5e18);
        int256 hedge = (-d / 1e16) * 1e16; // buy back the delta, to 0.01 ETH
        uint256 limit = 3030e18; // 1% band

        // alone (the vault is flat before the batch) the hedge is not one
        assertFalse(_acceptsHedge(hedge, limit));

        Settlement.Batch memory b = _optionBatch(
            CALL_3000, ask, _ot(aliceKey, alice, CALL_3000, 0, 10e18, ask, 1), _vaultOt(CALL_3000, 0, -10e18, ask, 1)
        );
        b.positions = _perpLeg(_vaultPt(hedge, limit, 2), _pt(bobKey, bob, -hedge, 2990e18, 2));
        uint256 g = gasleft();
        _settleAs(b);
        console2.log("gas: settle option fill + the vault's perp hedge", g - gasleft());
        assertEq(ch.position(address(ovault), ETH).size, hedge);
        (int256 after_,) = ovault.exposure(ETH);
        assertLe(after_ < 0 ? -after_ : after_, 1e18, "hedged within the tolerance");
        (int256 eq, int256 im,) = ch.accountHealth(address(ovault));
        assertGe(eq, im);
        _assertBooks();
    }

    /// The issue's batch: a spot swap pair, alice's call bought from the vault and the vault's perp
    /// hedge, in one settle; a hedge past the tolerance makes the vault refuse it, and the whole
    /// batch (swap and option too) reverts.
    function test_spotOptionAndHedge_oneAtomicSettle() public {
        _fund(tokenA, alice, 100e18);
        _fund(tokenB, bob, 100e18);
        SwapIntent memory ia = _intent(alice, address(tokenA), address(tokenB), 100e18, 100e18, SELL, false, 10);
        SwapIntent memory ib = _intent(bob, address(tokenB), address(tokenA), 100e18, 100e18, SELL, false, 10);
        address[] memory tokens = _pair();
        uint256 ask = ovault.quote(CALL_3000, -10e18);
        uint256 snap = vm.snapshotState();
        _aliceTrades(CALL_3000, 10e18, 1);
        (int256 d,) = ovault.exposure(ETH);
        vm.revertToState(snap);
        int256 hedge = (-d / 1e16) * 1e16;

        Settlement.Batch memory b = _optionBatch(
            CALL_3000, ask, _ot(aliceKey, alice, CALL_3000, 0, 10e18, ask, 1), _vaultOt(CALL_3000, 0, -10e18, ask, 1)
        );
        b.tokens = tokens;
        b.clearingPrices = _prices(1, 1);
        b.trades = _two(_trade(ia, tokens, _sign(aliceKey, ia), 0), _trade(ib, tokens, _sign(bobKey, ib), 0));
        b.interactions = _noInteractions();
        // past zero by more than the 1 ETH tolerance: refused, nothing of the batch happens
        b.positions = _perpLeg(_vaultPt(hedge + 2e18, 3030e18, 2), _pt(bobKey, bob, -(hedge + 2e18), 2990e18, 2));
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(SignatureChecker.InvalidEip1271Signature.selector, address(ovault)));
        settlement.settle(b);
        assertEq(tokenB.balanceOf(alice), 0);
        assertEq(book.positionOf(alice, CALL_3000), 0);

        b.positions = _perpLeg(_vaultPt(hedge, 3030e18, 2), _pt(bobKey, bob, -hedge, 2990e18, 2));
        uint256 g = gasleft();
        _settleAs(b);
        console2.log("gas: settle swap pair + option fill against the vault + its perp hedge", g - gasleft());
        assertEq(tokenB.balanceOf(alice), 100e18);
        assertEq(book.positionOf(alice, CALL_3000), 10e18);
        assertEq(ch.position(address(ovault), ETH).size, hedge);
        _assertBooks();
    }

    /// The hedge rule: toward zero, past it by at most the tolerance, never inside the dead band,
    /// limit within the band of the mark.
    function test_hedge_rule() public {
        _aliceTrades(CALL_3000, 10e18, 1);
        (int256 d,) = ovault.exposure(ETH); // about -5.4
        assertTrue(_acceptsHedge(1e18, 3000e18), "part of the way");
        assertTrue(_acceptsHedge(-d + 1e18, 3000e18), "past zero by the tolerance");
        assertFalse(_acceptsHedge(-d + 1e18 + 1, 3000e18), "past zero by more");
        assertFalse(_acceptsHedge(-1e18, 2990e18), "away from zero");
        assertTrue(_acceptsHedge(1e18, 3030e18), "limit at the band");
        assertFalse(_acceptsHedge(1e18, 3030e18 + 1), "limit past the band");
        vm.expectPartialRevert(OptionVaultQuoter.NotAHedge.selector);
        ovault.hedgeQuote(ETH, -1e18);
        // the vault hedges down to |delta| <= 1: then no hedge either way (the dead band)
        int256 hedge = (-d / 1e16) * 1e16;
        Settlement.Batch memory b;
        b.positions = _perpLeg(_vaultPt(hedge, 3030e18, 2), _pt(bobKey, bob, -hedge, 2990e18, 2));
        _settleAs(b);
        assertFalse(_acceptsHedge(0.5e18, 3030e18));
        assertFalse(_acceptsHedge(-0.5e18, 2970e18));
    }

    /// The vault is an ordinary margin account: a thinly funded vault whose quote allows the trade
    /// (its own limits are absolute) still cannot write more than the portfolio margin accepts; the
    /// book's check after the batch reverts it.
    function test_thinVault_portfolioMarginRevertsTheBatch() public {
        OptionVault thin = new OptionVault(book, governance, 1 hours);
        vm.prank(governance);
        thin.setUnderlyingParams(ETH, _defaultParams());
        tokenA.mint(lp, 1_000e18);
        vm.startPrank(lp);
        tokenA.approve(address(thin), 1_000e18);
        thin.deposit(1_000e18, lp);
        vm.stopPrank();
        _margin(alice, 100_000e18);
        uint256 ask = thin.quote(CALL_3000, -20e18);
        uint32 validTo = uint32(block.timestamp + 1 hours);
        OptionSettlement.OptionTrade memory t = OptionSettlement.OptionTrade(
            address(thin), -20e18, ask, 1, validTo, 0, 2, 20e18, abi.encode(CALL_3000, int256(-20e18), ask, validTo, uint256(1))
        );
        Settlement.Batch memory b = _optionBatch(CALL_3000, ask, _ot(aliceKey, alice, CALL_3000, 0, 20e18, ask, 1), t);
        vm.prank(solver);
        vm.expectPartialRevert(OptionBook.InsufficientMargin.selector);
        settlement.settle(b);
        assertEq(book.positionOf(address(thin), CALL_3000), 0);
    }

    // ------------------------------------------------------------------ LPs and governance

    /// Once the vault holds options the plain deposit is closed; a redemption request is claimed
    /// after the delay for at most the free assets (equity above the portfolio requirement).
    function test_lp_asyncAfterBootstrap_redeemWithinFreeAssets() public {
        _aliceTrades(CALL_3000, 10e18, 1);
        tokenA.mint(lp, 1e18);
        vm.startPrank(lp);
        tokenA.approve(address(ovault), 1e18);
        vm.expectRevert(ClearingHouseLpVault.AsyncFlow.selector);
        ovault.deposit(1e18, lp);
        uint256 shares = ovault.balanceOf(lp) / 2;
        ovault.requestRedeem(shares, lp, lp);
        vm.stopPrank();
        uint256 atRequest = ovault.convertToAssets(shares);
        vm.warp(block.timestamp + 1 hours);
        _price(3000e8);
        _publishVol(0.8e18);
        (int256 eq, int256 im,) = ch.accountHealth(address(ovault));
        assertEq(ovault.freeAssets(), uint256(eq - im));
        uint256 atClaim = ovault.convertToAssets(shares);
        vm.prank(lp);
        uint256 paid = ovault.redeem(shares, lp, lp);
        // the worse for the LP of the request-time and claim-time values
        assertEq(paid, atRequest < atClaim ? atRequest : atClaim);
        assertGt(paid, SEED / 2 - SEED / 100);
        assertEq(tokenA.balanceOf(lp), paid + 1e18);
        _assertBooks();
    }

    function test_governance_ownerAndBounds() public {
        UnderlyingParams memory p = _defaultParams();
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, address(this)));
        ovault.setUnderlyingParams(ETH, p);
        vm.startPrank(governance);
        p.baseVolSpread = 0.5e18 + 1;
        vm.expectRevert(ClearingHouseLpVault.InvalidParams.selector);
        ovault.setUnderlyingParams(ETH, p);
        p = _defaultParams();
        p.hedgeBand = 0.05e18 + 1;
        vm.expectRevert(ClearingHouseLpVault.InvalidParams.selector);
        ovault.setUnderlyingParams(ETH, p);
        p = _defaultParams();
        p.deltaScale = 0;
        vm.expectRevert(ClearingHouseLpVault.InvalidParams.selector);
        ovault.setUnderlyingParams(ETH, p);
        p.enabled = false; // a disabled underlying may keep zero scales
        ovault.setUnderlyingParams(ETH, p);
        vm.expectRevert(abi.encodeWithSelector(bytes4(keccak256("UnknownMarket(uint32)")), uint32(9)));
        ovault.setUnderlyingParams(9, _defaultParams());
        vm.stopPrank();
    }

    /// The vault's perp hedge trade and an option trade each accept only their own digest kind.
    function test_signatureKinds_doNotCross() public {
        _aliceTrades(CALL_3000, 10e18, 1);
        uint32 validTo = uint32(block.timestamp + 1 hours);
        // words (1, +1e18, 3000e18, validTo, 9): as a hedge on market 1 they are accepted...
        assertTrue(_acceptsHedge(1e18, 3000e18));
        // ...but under an option digest with the same words (series 1 = CALL_3000, vault buying
        // 1 call for at most 3,000) the vault judges them as an option trade at its bid instead
        bytes32 optionDigest = _optionDigest(1, 1e18, 3000e18, validTo, 9);
        assertEq(
            ovault.isValidSignature(optionDigest, abi.encode(uint256(1), int256(1e18), uint256(3000e18), validTo, uint256(9))),
            bytes4(0xffffffff),
            "3,000 is far above its bid for one call"
        );
    }
}
