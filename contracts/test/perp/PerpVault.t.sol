// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PerpVaultTestBase} from "./PerpVaultTestBase.sol";
import {ClearingHouseBase} from "../../src/perp/ClearingHouse.sol";
import {PerpVault} from "../../src/perp/PerpVault.sol";
import {ClearingHouseLpVault} from "../../src/perp/ClearingHouseLpVault.sol";
import {IPerpLiquiditySource} from "../../src/interfaces/IPerpLiquiditySource.sol";
import {Ownable2Step} from "../../src/governance/Ownable2Step.sol";

/// @notice Timing attacks on deposits and redemptions (a known oracle move between request and
/// claim), share accounting, the vault as the counterparty of a batch, its EIP-1271 authorisation
/// and quote curve, margin and limits, governance bounds.
contract PerpVaultTest is PerpVaultTestBase {
    bytes4 internal constant MAGIC = 0x1626ba7e;

    function setUp() public override {
        super.setUp();
        _deposit(alice, 100_000e18);
        _deposit(bob, 100_000e18);
        _deposit(carol, 5_030e18); // 10 ETH at 3,000 with 10% initial margin (plus the fee)
    }

    // ============================================================ adversarial: timing

    /// Alice knows ETH will rise 10% (a pending round) while the vault is long: she requests a
    /// deposit before the round and claims after it. She gets the post-rise (worse) share count,
    /// so the rise is not hers; had the deposit been synchronous she would have captured it.
    function test_knownRise_depositRequestedBefore_getsPostRiseShares() public {
        _bootstrap(lp0, 100_000e18);
        _tradeVault(ETH, bob, -50e18); // bob sells 50 ETH: the vault is long 50
        uint256 sharesAtRequest = vault.convertToShares(10_000e18);
        _requestDeposit(alice, 10_000e18);
        assertEq(vault.depositRequest(alice).shares, sharesAtRequest);
        _setPrice(ethFeed, 3300e8); // the known move: NAV +15,000
        _warp(DELAY);
        uint256 sharesNow = vault.convertToShares(10_000e18);
        assertLt(sharesNow, sharesAtRequest, "the move favoured depositing before it");
        uint256 shares = _claimDeposit(alice);
        assertEq(shares, sharesNow, "priced after the move");
        assertLe(vault.convertToAssets(shares), 10_000e18, "no profit from the timing");
    }

    /// An LP knows ETH will fall 10% while the vault is long: redeeming before the round pays the
    /// post-fall value, so the loss stays with the leaver.
    function test_knownDrop_redeemRequestedBefore_paysPostDropValue() public {
        _bootstrap(lp0, 100_000e18);
        _requestDeposit(lp1, 50_000e18);
        _warp(DELAY);
        uint256 lp1Shares = _claimDeposit(lp1);
        _tradeVault(ETH, bob, -50e18);
        uint256 valueAtRequest = vault.convertToAssets(lp1Shares);
        _requestRedeem(lp1, lp1Shares);
        assertEq(vault.balanceOf(lp1), 0);
        assertEq(vault.balanceOf(address(vault)), lp1Shares, "escrowed");
        _setPrice(ethFeed, 2700e8); // NAV -15,000
        _warp(DELAY);
        uint256 valueNow = vault.convertToAssets(lp1Shares);
        assertLt(valueNow, valueAtRequest);
        uint256 lp0Before = vault.convertToAssets(vault.balanceOf(lp0));
        uint256 paid = _claimRedeem(lp1);
        assertEq(paid, valueNow, "paid after the move");
        assertEq(usd.balanceOf(lp1), paid);
        assertGe(vault.convertToAssets(vault.balanceOf(lp0)), lp0Before, "the stayer is not diluted");
    }

    /// The mirror images: a move against the LP between request and claim is borne by the LP.
    /// A redemption requested before a rise pays the request-time value; the rise stays with lp0.
    function test_riseAfterRedeemRequest_paysRequestValue_restToStayers() public {
        _bootstrap(lp0, 100_000e18);
        _requestDeposit(lp1, 50_000e18);
        _warp(DELAY);
        uint256 lp1Shares = _claimDeposit(lp1);
        _tradeVault(ETH, bob, -50e18);
        uint256 valueAtRequest = vault.convertToAssets(lp1Shares);
        _requestRedeem(lp1, lp1Shares);
        _setPrice(ethFeed, 3300e8);
        _warp(DELAY);
        assertGt(vault.convertToAssets(lp1Shares), valueAtRequest);
        uint256 lp0Before = vault.convertToAssets(vault.balanceOf(lp0));
        assertEq(_claimRedeem(lp1), valueAtRequest);
        assertGt(vault.convertToAssets(vault.balanceOf(lp0)), lp0Before, "lp0 keeps lp1's forgone gain");
    }

    /// A deposit requested before a fall gets the request-time (smaller) share count.
    function test_dropAfterDepositRequest_getsRequestShares() public {
        _bootstrap(lp0, 100_000e18);
        _tradeVault(ETH, bob, -50e18);
        uint256 sharesAtRequest = vault.convertToShares(10_000e18);
        _requestDeposit(alice, 10_000e18);
        _setPrice(ethFeed, 2700e8);
        _warp(DELAY);
        assertGt(vault.convertToShares(10_000e18), sharesAtRequest);
        assertEq(_claimDeposit(alice), sharesAtRequest);
    }

    /// Merging a second request never improves the price: the whole pending redemption is priced
    /// at the lower of the two, and the delay restarts. (Without that, an old request at a high
    /// price could carry a new one made just before a known rise.)
    function test_mergedRedeemRequests_neverBetterThanEachAlone() public {
        _bootstrap(lp0, 100_000e18);
        _requestDeposit(lp1, 50_000e18);
        _warp(DELAY);
        uint256 lp1Shares = _claimDeposit(lp1);
        _tradeVault(ETH, bob, -50e18);
        uint256 half = lp1Shares / 2;
        uint256 a1 = vault.convertToAssets(half);
        _requestRedeem(lp1, half);
        _setPrice(ethFeed, 2700e8);
        _warp(DELAY / 2);
        uint256 a2 = vault.convertToAssets(lp1Shares - half);
        _requestRedeem(lp1, lp1Shares - half); // the known rise back to 3,000 is next
        _setPrice(ethFeed, 3000e8);
        _warp(DELAY / 2 + 1);
        vm.prank(lp1);
        vm.expectRevert(); // the delay restarted with the second request
        vault.redeem(lp1Shares, lp1, lp1);
        _warp(DELAY);
        uint256 c = vault.convertToAssets(lp1Shares);
        uint256 perRequest = _min(a1, vault.convertToAssets(half)) + _min(a2, vault.convertToAssets(lp1Shares - half));
        uint256 paid = _claimRedeem(lp1);
        assertLe(paid, perRequest, "merged <= each request priced alone");
        assertLt(paid, c, "the rise back is not captured");
    }

    function test_claimBeforeDelay_reverts() public {
        _bootstrap(lp0, 100_000e18);
        _requestDeposit(alice, 1_000e18);
        (,, uint64 claimableAt) = _depositReq(alice);
        vm.warp(block.timestamp + DELAY - 1);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseLpVault.RequestNotClaimable.selector, alice, claimableAt));
        vault.deposit(1_000e18, alice, alice);
        assertEq(vault.pendingDepositRequest(0, alice), 1_000e18);
        assertEq(vault.claimableDepositRequest(0, alice), 0);
        vm.warp(block.timestamp + 1);
        assertEq(vault.pendingDepositRequest(0, alice), 0);
        assertEq(vault.claimableDepositRequest(0, alice), 1_000e18);
        _claimDeposit(alice);
    }

    /// Nobody can restart someone else's delay (or re-price its request) by requesting for it.
    function test_requestForAnotherController_reverts() public {
        _bootstrap(lp0, 100_000e18);
        _requestDeposit(alice, 1_000e18);
        usd.mint(bob, 1e18);
        vm.startPrank(bob);
        usd.approve(address(vault), 1e18);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseLpVault.NotAuthorized.selector, bob, alice));
        vault.requestDeposit(1e18, alice, bob);
        vm.stopPrank();
        uint256 s = vault.balanceOf(lp0);
        vm.prank(lp0);
        vault.approve(bob, s);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseLpVault.NotAuthorized.selector, bob, alice));
        vault.requestRedeem(1, alice, lp0);
        vm.prank(bob);
        vault.requestRedeem(1, bob, lp0); // an allowance lets bob redeem lp0's shares for himself
        assertEq(vault.redeemRequest(bob).shares, 1);
    }

    /// A feed that lags while the market moves cannot be used to redeem at a value it does not show:
    /// claims wait until every market the vault holds is fresh again (then priced after the move).
    function test_claimsWaitForFreshMarks() public {
        _bootstrap(lp0, 100_000e18);
        _requestDeposit(lp1, 50_000e18);
        _warp(DELAY);
        uint256 s1 = _claimDeposit(lp1);
        _tradeVault(ETH, bob, -50e18); // vault long 50 ETH
        _requestRedeem(lp1, s1);
        _requestDeposit(alice, 1_000e18);
        vm.warp(block.timestamp + HEARTBEAT + 1); // ETH and BTC feeds stale
        assertEq(vault.maxRedeem(lp1), 0);
        assertEq(vault.maxWithdraw(lp1), 0);
        assertEq(vault.maxDeposit(alice), 0);
        vm.prank(lp1);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseLpVault.OracleStale.selector, ETH));
        vault.redeem(s1, lp1, lp1);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseLpVault.OracleStale.selector, ETH));
        vault.deposit(1_000e18, alice, alice);
        _setPrice(ethFeed, 2700e8); // the feed catches up with the move; BTC (not held) may stay stale
        uint256 valueNow = vault.convertToAssets(s1);
        assertEq(vault.maxRedeem(lp1), s1);
        assertEq(_claimRedeem(lp1), valueNow, "priced after the move");
        _claimDeposit(alice);
    }

    /// The classic first-depositor inflation attack: 1 wei of shares, then a large donation to the
    /// vault's margin account. The virtual shares (offset 6) absorb it: the victim loses a
    /// negligible fraction, the attacker most of its donation.
    function test_inflationAttack_unprofitable() public {
        _bootstrap(carol, 1); // 1e6 shares
        _deposit(address(vault), 10_000e18); // donation
        _requestDeposit(alice, 10_000e18);
        _warp(DELAY);
        uint256 shares = _claimDeposit(alice);
        uint256 victim = vault.convertToAssets(shares);
        assertGe(victim, 10_000e18 - 10_000e18 / 1e5, "victim loses < 0.001%");
        // The attacker gets back about half its donation (the virtual shares keep the other half).
        assertLt(
            vault.convertToAssets(vault.balanceOf(carol)), 10_000e18 * 51 / 100, "attacker loses ~half its donation"
        );
    }

    // ============================================================ share accounting

    /// Depositing then redeeming never profits from rounding, whatever the share price (a donation
    /// to the vault's margin account moves it), and never costs the other LPs.
    function testFuzz_depositThenRedeem_neverProfits(uint256 seed, uint256 assets, uint256 donation) public {
        seed = bound(seed, 1, 1e24);
        assets = bound(assets, 1, 1e24);
        donation = bound(donation, 0, 1e24);
        _bootstrap(lp0, seed);
        if (donation != 0) _deposit(address(vault), donation); // anyone can credit the vault's account
        uint256 lp0Value = vault.convertToAssets(vault.balanceOf(lp0));
        _requestDeposit(alice, assets);
        _warp(DELAY);
        uint256 sharesExpected = vault.convertToShares(assets);
        if (sharesExpected == 0) {
            vm.prank(alice);
            vm.expectRevert(ClearingHouseLpVault.ZeroAmount.selector);
            vault.deposit(assets, alice, alice);
            return;
        }
        uint256 shares = _claimDeposit(alice);
        _requestRedeem(alice, shares);
        _warp(DELAY);
        uint256 paid = _claimRedeem(alice);
        assertLe(paid, assets, "no round-trip profit");
        assertGe(vault.convertToAssets(vault.balanceOf(lp0)), lp0Value, "the other LP never pays for it");
    }

    /// With trading and oracle moves: no LP's redemption exceeds its pro-rata share of NAV at the
    /// claim, and the remaining LP's per-share value does not fall because of it.
    function testFuzz_redemptionNeverExceedsShareOfNav(uint256 a0, uint256 a1, int256 size, int256 bps1, int256 bps2)
        public
    {
        a0 = bound(a0, 10_000e18, 1_000_000e18);
        a1 = bound(a1, 1e18, 1_000_000e18);
        size = bound(size, -30e18, 30e18);
        bps1 = bound(bps1, -800, 800);
        bps2 = bound(bps2, -800, 800);
        _bootstrap(lp0, a0);
        _requestDeposit(lp1, a1);
        _warp(DELAY);
        uint256 s1 = _claimDeposit(lp1);
        if (size != 0) {
            try vault.quote(ETH, -size) returns (uint256) {
                _tradeVault(ETH, bob, size);
            } catch {} // over the vault's leverage for a small NAV: no trade
        }
        _setPrice(ethFeed, 3000e8 * (10_000 + bps1) / 10_000);
        _requestRedeem(lp1, s1);
        _setPrice(ethFeed, 3000e8 * (10_000 + bps2) / 10_000);
        _warp(DELAY);
        uint256 nav = vault.totalAssets();
        uint256 supply = vault.totalSupply();
        uint256 lp0PerShareBefore = vault.convertToAssets(1e24);
        uint256 claimable = vault.maxRedeem(lp1);
        if (claimable == 0) return;
        vm.prank(lp1);
        uint256 paid = vault.redeem(claimable, lp1, lp1);
        // +1: the virtual share's one unit of virtual assets (Solady's `totalAssets() + 1`)
        assertLe(paid, claimable * nav / supply + 1, "at most its share of NAV");
        assertGe(vault.convertToAssets(1e24), lp0PerShareBefore, "stayers not diluted");
    }

    function test_escrowedDepositIsNotInNav_andBootstrapClosesAfterFirstShares() public {
        uint256 shares = _bootstrap(lp0, 100_000e18);
        assertEq(shares, 100_000e18 * 1e6, "virtual shares: 10^6 per unit at the start");
        assertEq(vault.decimals(), 24);
        assertEq(vault.totalAssets(), 100_000e18);
        assertEq(ch.collateral(address(vault)), 100_000e18, "LP capital is the vault's margin");
        _requestDeposit(alice, 5_000e18);
        assertEq(vault.totalAssets(), 100_000e18, "escrow not in NAV");
        assertEq(usd.balanceOf(address(vault)), 5_000e18);
        assertEq(vault.totalPendingDepositAssets(), 5_000e18);
        usd.mint(alice, 1e18);
        vm.startPrank(alice);
        vm.expectRevert(ClearingHouseLpVault.AsyncFlow.selector);
        vault.deposit(1e18, alice);
        vm.expectRevert(ClearingHouseLpVault.AsyncFlow.selector);
        vault.mint(1e18, alice);
        vm.stopPrank();
        vm.expectRevert(ClearingHouseLpVault.AsyncFlow.selector);
        vault.previewDeposit(1e18);
        vm.expectRevert(ClearingHouseLpVault.AsyncFlow.selector);
        vault.previewRedeem(1e18);
        vm.expectRevert(ClearingHouseLpVault.AsyncFlow.selector);
        vault.previewWithdraw(1e18);
        assertEq(vault.maxDeposit(alice), 0);
    }

    function test_cancel_returnsEscrowUnchanged() public {
        _bootstrap(lp0, 100_000e18);
        _requestDeposit(alice, 5_000e18);
        vm.prank(alice);
        assertEq(vault.cancelDepositRequest(alice, alice), 5_000e18);
        assertEq(usd.balanceOf(alice), 5_000e18);
        assertEq(vault.totalPendingDepositAssets(), 0);
        uint256 s = vault.balanceOf(lp0) / 4;
        _requestRedeem(lp0, s);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseLpVault.NotAuthorized.selector, bob, lp0));
        vault.cancelRedeemRequest(lp0, bob);
        vm.prank(lp0);
        vault.cancelRedeemRequest(lp0, lp0);
        assertEq(vault.balanceOf(lp0), 4 * s);
        assertEq(vault.totalPendingRedeemShares(), 0);
    }

    function test_operator_canRequestAndClaimForController() public {
        _bootstrap(lp0, 100_000e18);
        usd.mint(alice, 1_000e18);
        vm.prank(alice);
        usd.approve(address(vault), type(uint256).max);
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseLpVault.NotAuthorized.selector, carol, alice));
        vault.requestDeposit(1_000e18, alice, alice);
        vm.prank(alice);
        vault.setOperator(carol, true);
        vm.prank(carol);
        vault.requestDeposit(1_000e18, alice, alice);
        _warp(DELAY);
        vm.prank(carol);
        uint256 shares = vault.deposit(1_000e18, carol, alice);
        assertEq(vault.balanceOf(carol), shares);
    }

    // ============================================================ the vault as counterparty

    /// Traders buy, the vault sells at its ask; NAV = equity moves with the mark.
    function test_counterparty_traderBuysVaultSells_navMarksToOracle() public {
        uint256 shares = _bootstrap(lp0, 100_000e18);
        uint256 price = _tradeVault(ETH, alice, 10e18);
        // premium = (0 + 10) / (2 * 10,000) = 0.05%; ask = 3,000 * 1.0005 * 1.001
        assertEq(price, 3004.5015e18);
        assertEq(ch.position(address(vault), ETH).size, -10e18);
        // NAV = 100,000 + 10 * (3,004.5015 - 3,000) - fee 0.1% * 30,045.015
        assertEq(vault.totalAssets(), 100_014.969985e18);
        (int256 equity,,) = ch.accountHealth(address(vault));
        assertEq(int256(vault.totalAssets()), equity);
        _setPrice(ethFeed, 3300e8);
        assertEq(vault.totalAssets(), 97_014.969985e18, "short 10 ETH loses 3,000");
        assertApproxEqAbs(vault.convertToAssets(shares), 97_014.969985e18, 2, "share price marks to NAV");
        _setPrice(ethFeed, 2700e8);
        assertEq(vault.totalAssets(), 103_014.969985e18);
    }

    /// Funding accrues to the vault like to any account: traders who bought above the oracle pay
    /// the vault's short.
    function test_funding_accruesToVault() public {
        _bootstrap(lp0, 100_000e18);
        _warp(8 hours); // a full funding period since listing: the batch sets the premium fully
        _tradeVault(ETH, alice, 10e18);
        (, int256 rate,,) = ch.marketState(ETH);
        assertGt(rate, 0, "longs pay");
        uint256 navBefore = vault.totalAssets();
        int256 aliceBefore = _equity(alice);
        _warp(1 hours);
        uint256 navAfter = vault.totalAssets();
        assertGt(navAfter, navBefore, "the short vault receives funding");
        (int256 equity,,) = ch.accountHealth(address(vault));
        assertEq(int256(navAfter), equity);
        // What alice pays (rounded up) is at least what the vault receives (rounded down).
        assertGe(aliceBefore - _equity(alice), int256(navAfter - navBefore));
        assertApproxEqAbs(aliceBefore - _equity(alice), int256(navAfter - navBefore), 2);
    }

    /// The vault's margin is checked after the batch like any account's: a batch that would leave
    /// it under initial margin reverts in the clearing house (and the vault would not sign it).
    function test_batchLeavingVaultUnderInitialMargin_reverts() public {
        _bootstrap(lp0, 1_000e18);
        assertFalse(_accepts(ETH, -10e18, 4000e18), "over leverage: the vault refuses");
        (uint32[] memory ids, uint256[] memory prices) = _one(ETH, 3000e18);
        ClearingHouseBase.Fill[] memory fills = new ClearingHouseBase.Fill[](2);
        fills[0] = _fill(alice, 10e18, 0, false);
        fills[1] = _fill(address(vault), -10e18, 0, false);
        // equity 1,000 - fee 30; initial 10% of 30,000
        vm.expectRevert(
            abi.encodeWithSelector(ClearingHouseBase.InsufficientMargin.selector, address(vault), 970e18, 3000e18)
        );
        ch.settlePositions(ids, prices, fills);
    }

    /// A claim pays only what the vault can release now (initial margin and its leverage limit
    /// after the payment); the rest waits.
    function test_redeemClaim_limitedByFreeAssets() public {
        _bootstrap(lp0, 10_000e18);
        _requestDeposit(lp1, 40_000e18);
        _warp(DELAY);
        uint256 s1 = _claimDeposit(lp1);
        _tradeVault(ETH, bob, -45e18); // vault long 45 ETH: ~135,000 gross on ~50,000 NAV
        _requestRedeem(lp1, s1);
        _warp(DELAY);
        uint256 free = vault.freeAssets();
        uint256 gross = vault.grossNotional();
        assertApproxEqAbs(free, vault.totalAssets() - (gross * 1e18 + 3e18 - 1) / 3e18, 1);
        uint256 maxShares = vault.maxRedeem(lp1);
        assertLt(maxShares, s1, "only part can be paid now");
        vm.prank(lp1);
        vm.expectRevert();
        vault.redeem(s1, lp1, lp1);
        vm.prank(lp1);
        uint256 paid = vault.redeem(maxShares, lp1, lp1);
        assertLe(paid, free);
        assertEq(vault.redeemRequest(lp1).shares, s1 - maxShares, "the rest still waits");
        // Traders close: the rest is released.
        _tradeVault(ETH, bob, 45e18);
        _warp(1);
        uint256 rest = vault.maxRedeem(lp1);
        assertEq(rest, s1 - maxShares);
        vm.prank(lp1);
        vault.redeem(rest, lp1, lp1);
        assertEq(vault.balanceOf(address(vault)), 0);
    }

    // ============================================================ EIP-1271 authorisation

    function test_isValidSignature_acceptsLimitsOnTheVaultsSideOfTheCurve() public {
        _bootstrap(lp0, 100_000e18);
        uint256 ask = vault.quote(ETH, -10e18);
        uint256 bid = vault.quote(ETH, 10e18);
        assertEq(bid, 2995.5015e18);
        assertTrue(_accepts(ETH, -10e18, ask));
        assertTrue(_accepts(ETH, -10e18, ask + 1), "a higher ask is worse for traders: fine");
        assertTrue(_accepts(ETH, 10e18, bid));
        assertTrue(_accepts(ETH, 10e18, bid - 1));
    }

    function test_isValidSignature_refusesBetterThanCurve() public {
        _bootstrap(lp0, 100_000e18);
        assertFalse(_accepts(ETH, -10e18, vault.quote(ETH, -10e18) - 1));
        assertFalse(_accepts(ETH, 10e18, vault.quote(ETH, 10e18) + 1));
    }

    function test_isValidSignature_refusesOtherDigests() public {
        _bootstrap(lp0, 100_000e18);
        uint256 ask = vault.quote(ETH, -10e18);
        uint32 validTo = uint32(block.timestamp + 60);
        bytes memory sig = abi.encode(ETH, int256(-10e18), ask, validTo, uint256(7));
        // another account
        bytes32 d = _positionDigest(alice, ETH, -10e18, ask, false, false, validTo, 7);
        assertEq(vault.isValidSignature(d, sig), bytes4(0xffffffff));
        // reduce-only or partially fillable variants of the vault's own intent
        d = _positionDigest(address(vault), ETH, -10e18, ask, true, false, validTo, 7);
        assertEq(vault.isValidSignature(d, sig), bytes4(0xffffffff));
        d = _positionDigest(address(vault), ETH, -10e18, ask, false, true, validTo, 7);
        assertEq(vault.isValidSignature(d, sig), bytes4(0xffffffff));
        // a field of the signature differs from the digest (another nonce)
        d = _positionDigest(address(vault), ETH, -10e18, ask, false, false, validTo, 8);
        assertEq(vault.isValidSignature(d, sig), bytes4(0xffffffff));
        // the v1 PositionIntent type (no partiallyFillable)
        bytes32 v1 = keccak256(
            abi.encode(
                keccak256(
                    "PositionIntent(address account,uint32 market,int256 sizeDelta,uint256 limitPrice,bool reduceOnly,uint32 validTo,uint256 nonce)"
                ),
                address(vault),
                ETH,
                int256(-10e18),
                ask,
                false,
                validTo,
                uint256(7)
            )
        );
        d = keccak256(abi.encodePacked(hex"1901", domainSeparator(), v1));
        assertEq(vault.isValidSignature(d, sig), bytes4(0xffffffff));
        // a swap intent of the vault
        bytes32 swapHash = keccak256(
            abi.encode(
                keccak256(
                    "SwapIntent(address owner,address sellToken,address buyToken,address receiver,uint256 sellAmount,uint256 buyAmount,uint32 validTo,uint256 nonce,uint8 kind,bool partiallyFillable,bytes32 appData)"
                ),
                address(vault),
                address(usd),
                address(1),
                address(0),
                uint256(100_000e18),
                uint256(1),
                validTo,
                uint256(7),
                uint8(0),
                false,
                bytes32(0)
            )
        );
        d = keccak256(abi.encodePacked(hex"1901", domainSeparator(), swapHash));
        assertEq(vault.isValidSignature(d, sig), bytes4(0xffffffff));
        assertEq(vault.isValidSignature(d, ""), bytes4(0xffffffff));
        // another domain (another settlement)
        d = keccak256(
            abi.encodePacked(
                hex"1901",
                keccak256(
                    abi.encode(
                        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                        keccak256("IntentSettlement"),
                        keccak256("1"),
                        block.chainid,
                        address(0xdead)
                    )
                ),
                keccak256(abi.encode(V2_TYPEHASH, address(vault), ETH, int256(-10e18), ask, false, false, validTo, 7))
            )
        );
        assertEq(vault.isValidSignature(d, sig), bytes4(0xffffffff));
        // malformed signature
        (bytes32 good,) = _vaultAuth(ETH, -10e18, ask);
        assertEq(vault.isValidSignature(good, abi.encodePacked(sig, uint8(0))), bytes4(0xffffffff));
    }

    function test_isValidSignature_refusesStaleOracle() public {
        _bootstrap(lp0, 100_000e18);
        uint256 ask = vault.quote(ETH, -10e18);
        vm.warp(block.timestamp + HEARTBEAT + 1);
        assertFalse(_accepts(ETH, -10e18, ask));
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseLpVault.OracleStale.selector, ETH));
        vault.quote(ETH, -10e18);
    }

    function test_isValidSignature_refusesDisabledMarket() public {
        _bootstrap(lp0, 100_000e18);
        uint256 ask = vault.quote(ETH, -10e18);
        vm.prank(governance);
        vault.setMarketParams(ETH, PerpVault.MarketParams(10_000e18, 0.001e18, 100e18, false));
        assertFalse(_accepts(ETH, -10e18, ask));
        vm.expectRevert(abi.encodeWithSelector(PerpVault.MarketDisabled.selector, ETH));
        vault.quote(ETH, -10e18);
        assertFalse(_accepts(3, -1e18, type(uint256).max), "unconfigured market");
    }

    function test_isValidSignature_refusesOverMaxPosition() public {
        _bootstrap(lp0, 100_000e18);
        vm.prank(governance);
        vault.setMaxLeverage(5e18); // only the position limit binds here
        assertTrue(_accepts(BTC, -5e18, vault.quote(BTC, -5e18)));
        assertFalse(_accepts(BTC, -5e18 - 1, type(uint256).max));
        vm.expectRevert(abi.encodeWithSelector(PerpVault.MaxPositionExceeded.selector, BTC, -5e18 - 1, 5e18));
        vault.quote(BTC, -5e18 - 1);
        // The limit is on the position after the fill: from -4, +9 (to long 5) is fine, +9.1 is not.
        _tradeVault(BTC, alice, 4e18);
        assertTrue(_accepts(BTC, 9e18, 0));
        assertFalse(_accepts(BTC, 9.1e18, 0));
    }

    function test_isValidSignature_refusesOverLeverage_acrossMarkets() public {
        _bootstrap(lp0, 100_000e18);
        // 100 ETH = 300,000 = exactly 3x NAV: accepted.
        assertTrue(_accepts(ETH, -100e18, vault.quote(ETH, -100e18)));
        _tradeVault(BTC, alice, 4e18); // vault short 4 BTC: 240,000 gross
        assertTrue(_accepts(ETH, -10e18, vault.quote(ETH, -10e18)));
        assertFalse(_accepts(ETH, -30e18, type(uint256).max), "240,000 + 90,000 > 3 x ~100,000");
        vm.expectPartialRevert(PerpVault.LeverageExceeded.selector);
        vault.quote(ETH, -30e18);
        // Reducing is always within the limit.
        assertTrue(_accepts(BTC, 4e18, 0));
    }

    /// Limits bind only fills that grow the vault's exposure: after its NAV fell below what its
    /// positions' leverage allows, or its limits were lowered, traders can still close against it.
    function test_reducingFills_alwaysQuoted() public {
        _bootstrap(lp0, 100_000e18);
        _tradeVault(ETH, alice, 90e18); // vault short 90 ETH: 270,000 on ~100,000
        _setPrice(ethFeed, 3150e8); // NAV falls ~13,500: now over 3x
        vm.startPrank(governance);
        vault.setMarketParams(ETH, PerpVault.MarketParams(10_000e18, 0.001e18, 10e18, true)); // max 10 ETH
        vm.stopPrank();
        assertFalse(_accepts(ETH, -1e18, type(uint256).max), "growing: refused");
        assertTrue(_accepts(ETH, 50e18, vault.quote(ETH, 50e18)), "reducing: quoted");
        assertTrue(_accepts(ETH, 180e18, vault.quote(ETH, 180e18)), "flipping to an equal or smaller size: quoted");
        assertFalse(_accepts(ETH, 180e18 + 1, type(uint256).max), "flipping beyond: refused");
        _tradeVault(ETH, alice, -50e18);
        assertEq(ch.position(address(vault), ETH).size, -40e18);
    }

    // ============================================================ the quote curve

    function test_quote_followsSkew() public {
        _bootstrap(lp0, 100_000e18);
        _tradeVault(ETH, alice, 10e18); // vault -10: traders net long 10
        // selling 10 more: s0 = 10, s1 = 20, premium 0.15%: 3,000 * 1.0015 * 1.001
        assertEq(vault.quote(ETH, -10e18), 3007.5045e18);
        // buying 10 back: s0 = 10, s1 = 0, premium +0.05%: the arbitrageur who rebalances the vault
        // sells above the mark (3,000 * 1.0005 * 0.999)
        assertEq(vault.quote(ETH, 10e18), 2998.4985e18);
        vm.expectRevert(abi.encodeWithSelector(PerpVault.InvalidSize.selector, int256(0)));
        vault.quote(ETH, 0);
    }

    /// The spec's formula, written out independently, with every rounding direction explicit.
    function testFuzz_quote_matchesSpecRounding(uint256 skewScale, uint64 fee, int256 d, int256 answer) public {
        skewScale = bound(skewScale, 1e18, 1e30);
        fee = uint64(bound(fee, 0, 0.01e18));
        d = bound(d, -100e18, 100e18);
        answer = bound(answer, 1e8, 10_000_000e8);
        vm.assume(d != 0);
        _bootstrap(lp0, 1e30);
        _setPrice(ethFeed, answer);
        vm.prank(governance);
        vault.setMarketParams(ETH, PerpVault.MarketParams(skewScale, fee, 100e18, true));
        int256 num = -d * 1e18; // s0 + s1 = -d with v = 0
        int256 den = 2 * int256(skewScale);
        int256 premium = num / den;
        if (d < 0 && num % den != 0 && num > 0) premium += 1; // ceil
        if (d > 0 && num % den != 0 && num < 0) premium -= 1; // floor
        uint256 m = uint256(answer) * 1e10;
        if (1e18 + premium <= 0) {
            vm.expectRevert(abi.encodeWithSelector(PerpVault.PremiumOutOfRange.selector, ETH, premium));
            vault.quote(ETH, d);
            return;
        }
        uint256 f = uint256(1e18 + premium);
        uint256 expected;
        if (d < 0) {
            uint256 a = (m * f + 1e18 - 1) / 1e18;
            expected = (a * (1e18 + fee) + 1e18 - 1) / 1e18;
        } else {
            expected = (m * f / 1e18) * (1e18 - fee) / 1e18;
        }
        assertEq(vault.quote(ETH, d), expected);
        if (d < 0) assertGe(expected, m);
        else assertLe(expected, m);
    }

    // ============================================================ governance

    function test_governance_boundsAndOwnership() public {
        vm.startPrank(governance);
        vm.expectRevert(ClearingHouseLpVault.InvalidParams.selector);
        vault.setMarketParams(ETH, PerpVault.MarketParams(10_000e18, 0.01e18 + 1, 100e18, true));
        vm.expectRevert(ClearingHouseLpVault.InvalidParams.selector);
        vault.setMarketParams(ETH, PerpVault.MarketParams(1e18 - 1, 0.001e18, 100e18, true));
        vm.expectRevert(ClearingHouseLpVault.InvalidParams.selector);
        vault.setMarketParams(ETH, PerpVault.MarketParams(10_000e18, 0.001e18, 1e36 + 1, true));
        vm.expectRevert(abi.encodeWithSelector(PerpVault.UnknownMarket.selector, uint32(9)));
        vault.setMarketParams(9, PerpVault.MarketParams(10_000e18, 0.001e18, 100e18, true));
        vm.expectRevert(ClearingHouseLpVault.InvalidParams.selector);
        vault.setMaxLeverage(5e18 + 1);
        vm.expectRevert(ClearingHouseLpVault.InvalidParams.selector);
        vault.setRequestDelay(7 days + 1);
        vm.expectRevert(ClearingHouseLpVault.InvalidParams.selector);
        vault.setRequestDelay(59);
        vault.setRequestDelay(2 hours);
        vault.transferOwnership(alice);
        vm.stopPrank();
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotPendingOwner.selector, bob));
        vault.acceptOwnership();
        vm.prank(alice);
        vault.acceptOwnership();
        assertEq(vault.owner(), alice);
        vm.prank(governance);
        vm.expectRevert(abi.encodeWithSelector(Ownable2Step.NotOwner.selector, governance));
        vault.setMaxLeverage(1e18);
        (uint256 skewScale, uint64 fee, uint256 maxPosition, bool enabled) = vault.marketParams(ETH);
        assertEq(skewScale, 10_000e18);
        assertEq(fee, 0.001e18);
        assertEq(maxPosition, 100e18);
        assertTrue(enabled);
        assertEq(vault.maxLeverage(), 3e18);
    }

    /// A pending request keeps the claim time it was given when the delay changes.
    function test_requestDelayChange_doesNotMovePendingClaims() public {
        _bootstrap(lp0, 100_000e18);
        _requestDeposit(alice, 1_000e18);
        vm.prank(governance);
        vault.setRequestDelay(7 days);
        _warp(DELAY);
        _claimDeposit(alice);
    }

    function test_erc7540InterfaceIds() public view {
        bytes4 operatorId =
            bytes4(keccak256("setOperator(address,bool)")) ^ bytes4(keccak256("isOperator(address,address)"));
        bytes4 depositId = bytes4(keccak256("requestDeposit(uint256,address,address)"))
            ^ bytes4(keccak256("pendingDepositRequest(uint256,address)"))
            ^ bytes4(keccak256("claimableDepositRequest(uint256,address)"))
            ^ bytes4(keccak256("deposit(uint256,address,address)")) ^ bytes4(keccak256("mint(uint256,address,address)"));
        bytes4 redeemId = bytes4(keccak256("requestRedeem(uint256,address,address)"))
            ^ bytes4(keccak256("pendingRedeemRequest(uint256,address)"))
            ^ bytes4(keccak256("claimableRedeemRequest(uint256,address)"));
        assertTrue(vault.supportsInterface(operatorId));
        assertTrue(vault.supportsInterface(depositId));
        assertTrue(vault.supportsInterface(redeemId));
        assertTrue(vault.supportsInterface(0x01ffc9a7));
        assertFalse(vault.supportsInterface(0xffffffff));
        assertEq(IPerpLiquiditySource.quote.selector, vault.quote.selector);
    }

    // ============================================================ backstop liquidation

    /// Alice's leveraged long is liquidated by anyone through the vault: the vault takes over the
    /// closed fraction at the mark and its LPs earn the liquidator's share of the penalty.
    function test_backstopLiquidation_vaultTakesOverAtMark() public {
        _bootstrap(lp0, 100_000e18);
        _trade(ETH, 3000e18, carol, bob, 10e18); // carol long 10 ETH against bob
        vm.prank(keeper);
        vm.expectRevert(PerpVault.BackstopDisabled.selector);
        vault.liquidate(carol);
        vm.prank(governance);
        vault.setBackstopEnabled(true);
        _setPrice(ethFeed, 2600e8); // carol: equity 5,000 - 4,000 = 1,000 < maintenance 1,300
        assertTrue(ch.isLiquidatable(carol));
        uint256 navBefore = vault.totalAssets();
        vm.prank(keeper);
        uint256 fraction = vault.liquidate(carol);
        assertGt(fraction, 0);
        int256 taken = ch.position(address(vault), ETH).size;
        assertGt(taken, 0, "the vault took over part of the long");
        assertEq(taken, 10e18 - ch.position(carol, ETH).size);
        // The reward: half of the 1% penalty on the taken notional at 2,600 (position opened at the mark).
        uint256 notional = uint256(taken) * 2600;
        assertApproxEqAbs(vault.totalAssets() - navBefore, notional * 0.005e18 / 1e18, 1e6);
    }

    function test_backstopLiquidation_refusedBeyondLimits() public {
        _bootstrap(lp0, 100_000e18);
        _trade(ETH, 3000e18, carol, bob, 10e18);
        vm.startPrank(governance);
        vault.setBackstopEnabled(true);
        vault.setMarketParams(ETH, PerpVault.MarketParams(10_000e18, 0.001e18, 1e18, true)); // max 1 ETH
        vm.stopPrank();
        _setPrice(ethFeed, 2600e8);
        vm.expectPartialRevert(PerpVault.BackstopOutOfLimits.selector);
        vault.liquidate(carol);
    }

    // ============================================================ helpers

    function _depositReq(address c) internal view returns (uint256, uint256, uint64) {
        ClearingHouseLpVault.DepositRequestState memory r = vault.depositRequest(c);
        return (r.assets, r.shares, r.claimableAt);
    }

    function _min(uint256 a, uint256 b) internal pure returns (uint256) {
        return a < b ? a : b;
    }
}
