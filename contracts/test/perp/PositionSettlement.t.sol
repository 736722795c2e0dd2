// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ClearingHouse, ClearingHouseBase} from "../../src/perp/ClearingHouse.sol";
import {PositionSettlement} from "../../src/perp/PositionSettlement.sol";
import {PositionIntent} from "../../src/libraries/IntentHashing.sol";
import {SignatureChecker} from "../../src/libraries/SignatureChecker.sol";
import {PerpTestBase} from "./PerpTestBase.sol";
import {PositionSettlementHarness} from "./PositionSettlementHarness.sol";
import {SmartWallet} from "../utils/SmartWallet.sol";
import {SizeFills} from "../../src/libraries/SizeFills.sol";

contract PositionSettlementTest is PerpTestBase {
    PositionSettlementHarness internal harness;
    uint256 internal aliceKey;
    uint256 internal bobKey;

    function setUp() public override {
        super.setUp();
        harness = new PositionSettlementHarness();
        // A clearing house whose settlement is the harness, same markets.
        ch = new ClearingHouse(governance, address(harness), address(usd), 18, PENALTY, LIQUIDATOR_SHARE);
        vm.startPrank(governance);
        ch.listMarket(ETH, _config(ethFeed));
        ch.listMarket(BTC, _config(btcFeed));
        vm.stopPrank();
        harness.setClearingHouse(ch);
        (alice, aliceKey) = makeAddrAndKey("alice-signer");
        (bob, bobKey) = makeAddrAndKey("bob-signer");
        _deposit(alice, 10_000e18);
        _deposit(bob, 10_000e18);
    }

    function _intent(address account, uint32 market, int256 delta, uint256 limit, uint256 nonce)
        internal
        view
        returns (PositionIntent memory i)
    {
        i = PositionIntent({
            account: account,
            market: market,
            sizeDelta: delta,
            limitPrice: limit,
            reduceOnly: false,
            partiallyFillable: false,
            validTo: uint32(block.timestamp + 1 hours),
            nonce: nonce
        });
    }

    function _trade(PositionIntent memory i, uint256 key, uint8 marketIndex)
        internal
        view
        returns (PositionSettlement.PositionTrade memory t)
    {
        // forge-lint: disable-next-line(unsafe-typecast) -- test sizes are far from int256.min
        return _tradeExec(i, key, marketIndex, uint256(i.sizeDelta < 0 ? -i.sizeDelta : i.sizeDelta));
    }

    /// @dev The trade filling `executed` of intent `i` (flags R and P from the intent).
    function _tradeExec(PositionIntent memory i, uint256 key, uint8 marketIndex, uint256 executed)
        internal
        view
        returns (PositionSettlement.PositionTrade memory t)
    {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, harness.hashPositionIntent(i));
        t = PositionSettlement.PositionTrade({
            account: i.account,
            sizeDelta: i.sizeDelta,
            limitPrice: i.limitPrice,
            nonce: i.nonce,
            validTo: i.validTo,
            marketIndex: marketIndex,
            flags: (i.reduceOnly ? 1 : 0) | (i.partiallyFillable ? 4 : 0),
            executedSize: executed,
            signature: abi.encodePacked(r, s, v)
        });
    }

    function _batch(uint256 price, PositionSettlement.PositionTrade memory a, PositionSettlement.PositionTrade memory b)
        internal
        pure
        returns (bytes memory)
    {
        PositionSettlement.PositionTrade[] memory trades = new PositionSettlement.PositionTrade[](2);
        trades[0] = a;
        trades[1] = b;
        (uint32[] memory ids, uint256[] memory prices) = _one(ETH, price);
        return abi.encode(PositionSettlement.PositionBatch({markets: ids, prices: prices, trades: trades}));
    }

    function _pair(uint256 price, uint256 longLimit, uint256 shortLimit) internal view returns (bytes memory) {
        return _batch(
            price,
            _trade(_intent(alice, ETH, 1e18, longLimit, 1), aliceKey, 0),
            _trade(_intent(bob, ETH, -1e18, shortLimit, 1), bobKey, 0)
        );
    }

    function test_settlesSignedIntents_atUniformPrice() public {
        harness.settlePositions(_pair(3000e18, 3010e18, 2990e18));
        assertEq(_pos(alice, ETH).size, 1e18);
        assertEq(_pos(bob, ETH).size, -1e18);
        assertEq(_pos(alice, ETH).openNotional, 3000e18);
        assertEq(harness.nonceBitmap(alice, 0), 2);
    }

    function test_limitExactlyAtPrice_fills() public {
        harness.settlePositions(_pair(3000e18, 3000e18, 3000e18));
        assertEq(_pos(alice, ETH).size, 1e18);
    }

    function test_longLimitNotMet() public {
        bytes memory encoded = _pair(3000e18, 3000e18 - 1, 2990e18);
        vm.expectRevert(abi.encodeWithSelector(PositionSettlement.PositionLimitNotMet.selector, 0, 3000e18, 3000e18 - 1));
        harness.settlePositions(encoded);
    }

    function test_shortLimitNotMet() public {
        bytes memory encoded = _pair(3000e18, 3010e18, 3000e18 + 1);
        vm.expectRevert(abi.encodeWithSelector(PositionSettlement.PositionLimitNotMet.selector, 1, 3000e18, 3000e18 + 1));
        harness.settlePositions(encoded);
    }

    function test_replay_reverts() public {
        bytes memory b = _pair(3000e18, 3010e18, 2990e18);
        harness.settlePositions(b);
        vm.expectRevert(abi.encodeWithSelector(SizeFills.NonceAlreadyUsed.selector, alice, 1));
        harness.settlePositions(b);
    }

    function test_cancelledNonce_reverts() public {
        vm.prank(bob);
        harness.invalidateNonces(0, 2);
        bytes memory encoded = _pair(3000e18, 3010e18, 2990e18);
        vm.expectRevert(abi.encodeWithSelector(SizeFills.NonceAlreadyUsed.selector, bob, 1));
        harness.settlePositions(encoded);
    }

    function test_expired_reverts() public {
        PositionIntent memory i = _intent(alice, ETH, 1e18, 3010e18, 1);
        i.validTo = uint32(block.timestamp - 1);
        bytes memory b = _batch(3000e18, _trade(i, aliceKey, 0), _trade(_intent(bob, ETH, -1e18, 0, 1), bobKey, 0));
        vm.expectRevert(abi.encodeWithSelector(PositionSettlement.PositionIntentExpired.selector, 0, block.timestamp - 1));
        harness.settlePositions(b);
    }

    function test_tamperedSize_failsSignature() public {
        PositionSettlement.PositionTrade memory t = _trade(_intent(alice, ETH, 1e18, 3010e18, 1), aliceKey, 0);
        t.sizeDelta = 2e18;
        PositionSettlement.PositionTrade memory u = _trade(_intent(bob, ETH, -2e18, 0, 1), bobKey, 0);
        bytes memory encoded = _batch(3000e18, t, u);
        vm.expectPartialRevert(SignatureChecker.InvalidSigner.selector);
        harness.settlePositions(encoded);
    }

    function test_reduceOnlyFlag_isSigned() public {
        // alice signs reduceOnly = false; a solver setting the flag changes the digest
        PositionSettlement.PositionTrade memory t = _trade(_intent(alice, ETH, 1e18, 3010e18, 1), aliceKey, 0);
        t.flags = 1;
        bytes memory encoded = _batch(3000e18, t, _trade(_intent(bob, ETH, -1e18, 0, 1), bobKey, 0));
        vm.expectPartialRevert(SignatureChecker.InvalidSigner.selector);
        harness.settlePositions(encoded);
    }

    function test_invalidFlags() public {
        PositionSettlement.PositionTrade memory t = _trade(_intent(alice, ETH, 1e18, 3010e18, 1), aliceKey, 0);
        t.flags = 8;
        bytes memory encoded = _batch(3000e18, t, _trade(_intent(bob, ETH, -1e18, 0, 1), bobKey, 0));
        vm.expectRevert(abi.encodeWithSelector(PositionSettlement.InvalidPositionFlags.selector, 0, 8));
        harness.settlePositions(encoded);
    }

    function test_marketIndexOutOfRange() public {
        PositionSettlement.PositionTrade memory t = _trade(_intent(alice, ETH, 1e18, 3010e18, 1), aliceKey, 1);
        bytes memory encoded = _batch(3000e18, t, _trade(_intent(bob, ETH, -1e18, 0, 1), bobKey, 0));
        vm.expectRevert(abi.encodeWithSelector(PositionSettlement.PositionMarketIndexOutOfRange.selector, 0));
        harness.settlePositions(encoded);
    }

    function test_signatureForOtherMarket_fails() public {
        // signed for BTC, submitted as ETH (index 0)
        PositionSettlement.PositionTrade memory t = _trade(_intent(alice, BTC, 1e18, 3010e18, 1), aliceKey, 0);
        bytes memory encoded = _batch(3000e18, t, _trade(_intent(bob, ETH, -1e18, 0, 1), bobKey, 0));
        vm.expectPartialRevert(SignatureChecker.InvalidSigner.selector);
        harness.settlePositions(encoded);
    }

    function test_malformed_reverts() public {
        vm.expectRevert(PositionSettlement.MalformedPositions.selector);
        harness.settlePositions(hex"0001");
        vm.expectRevert(PositionSettlement.MalformedPositions.selector);
        harness.settlePositions(abi.encode(uint256(1 << 200), uint256(0), uint256(0)));
    }

    function test_eip1271Wallet() public {
        SmartWallet wallet = new SmartWallet(alice);
        _deposit(address(wallet), 10_000e18);
        PositionSettlement.PositionTrade memory t = _trade(_intent(address(wallet), ETH, 1e18, 3010e18, 1), aliceKey, 0);
        t.flags = 2;
        harness.settlePositions(_batch(3000e18, t, _trade(_intent(bob, ETH, -1e18, 0, 1), bobKey, 0)));
        assertEq(_pos(address(wallet), ETH).size, 1e18);
        vm.prank(alice);
        wallet.setRejectAll(true);
        PositionSettlement.PositionTrade memory t2 = _trade(_intent(address(wallet), ETH, -1e18, 0, 2), aliceKey, 0);
        t2.flags = 2;
        bytes memory encoded = _batch(3000e18, t2, _trade(_intent(bob, ETH, 1e18, 4000e18, 2), bobKey, 0));
        vm.expectRevert(abi.encodeWithSelector(SignatureChecker.InvalidEip1271Signature.selector, address(wallet)));
        harness.settlePositions(encoded);
    }

    function test_clearingHouseChecksStillApply() public {
        // bob signs a short he cannot margin: the whole batch reverts naming him
        PositionSettlement.PositionTrade memory a = _trade(_intent(alice, ETH, 40e18, 3010e18, 1), aliceKey, 0);
        PositionSettlement.PositionTrade memory b = _trade(_intent(bob, ETH, -40e18, 0, 1), bobKey, 0);
        bytes memory encoded = _batch(3000e18, a, b);
        vm.expectPartialRevert(ClearingHouseBase.InsufficientMargin.selector);
        harness.settlePositions(encoded);
    }

    function testFuzz_limits(uint256 price, uint256 longLimit, uint256 shortLimit) public {
        price = bound(price, 2850e18, 3150e18);
        longLimit = bound(longLimit, 1, 1e30);
        shortLimit = bound(shortLimit, 0, 1e30);
        bytes memory b = _pair(price, longLimit, shortLimit);
        if (price > longLimit || price < shortLimit) {
            vm.expectPartialRevert(PositionSettlement.PositionLimitNotMet.selector);
            harness.settlePositions(b);
        } else {
            harness.settlePositions(b);
            // forge-lint: disable-next-line(unsafe-typecast) -- bounded test values
            assertEq(_pos(alice, ETH).openNotional, int256(price));
        }
    }

    // ------------------------------------------------------------------ v2: executedSize, P flag

    /// @dev alice's partially fillable long of `size` in ETH (limit 3,010), nonce 7.
    function _partialLong(int256 size) internal view returns (PositionIntent memory i) {
        i = _intent(alice, ETH, size, 3010e18, 7);
        i.partiallyFillable = true;
    }

    /// @dev A batch: alice fills `executed` of `i`, bob shorts the same amount (fill-or-kill, nonce `bobNonce`).
    function _partialBatch(PositionIntent memory i, uint256 executed, uint256 bobNonce) internal view returns (bytes memory) {
        // forge-lint: disable-next-line(unsafe-typecast) -- bounded test values
        int256 e = int256(executed);
        return _batch(3000e18, _tradeExec(i, aliceKey, 0, executed), _trade(_intent(bob, ETH, -e, 0, bobNonce), bobKey, 0));
    }

    function test_partialFill_accumulates_thenOverFillReverts() public {
        PositionIntent memory i = _partialLong(2e18);
        bytes32 digest = harness.hashPositionIntent(i);
        harness.settlePositions(_partialBatch(i, 1.5e18, 1));
        assertEq(harness.filledAmount(digest), 1.5e18);
        assertEq(_pos(alice, ETH).size, 1.5e18);
        assertEq(harness.nonceBitmap(alice, 0), 0, "fills do not set the nonce bit");
        bytes memory over = _partialBatch(i, 0.5e18 + 1, 2);
        vm.expectRevert(
            abi.encodeWithSelector(SizeFills.FillExceedsAmount.selector, digest, 1.5e18, 0.5e18 + 1, 2e18)
        );
        harness.settlePositions(over);
        harness.settlePositions(_partialBatch(i, 0.5e18, 3));
        assertEq(harness.filledAmount(digest), 2e18);
        assertEq(_pos(alice, ETH).size, 2e18);
        bytes memory again = _partialBatch(i, 1, 4);
        vm.expectRevert(abi.encodeWithSelector(SizeFills.FillExceedsAmount.selector, digest, 2e18, 1, 2e18));
        harness.settlePositions(again);
    }

    function test_partialFill_overFillInOneBatch_reverts() public {
        PositionIntent memory i = _partialLong(1e18);
        bytes memory b = _partialBatch(i, 1e18 + 1, 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                SizeFills.FillExceedsAmount.selector, harness.hashPositionIntent(i), 0, 1e18 + 1, 1e18
            )
        );
        harness.settlePositions(b);
    }

    function test_partialFill_cancelled_cannotFill() public {
        PositionIntent memory i = _partialLong(2e18);
        harness.settlePositions(_partialBatch(i, 1e18, 1));
        vm.prank(alice);
        harness.invalidateNonces(0, 1 << 7);
        bytes memory b = _partialBatch(i, 0.5e18, 2);
        vm.expectRevert(abi.encodeWithSelector(SizeFills.NonceAlreadyUsed.selector, alice, 7));
        harness.settlePositions(b);
    }

    function test_partialFill_cancelledBeforeAnyFill() public {
        vm.prank(alice);
        harness.invalidateNonces(0, 1 << 7);
        bytes memory b = _partialBatch(_partialLong(2e18), 1e18, 1);
        vm.expectRevert(abi.encodeWithSelector(SizeFills.NonceAlreadyUsed.selector, alice, 7));
        harness.settlePositions(b);
    }

    function test_partialFill_zeroExecuted_reverts() public {
        PositionIntent memory i = _partialLong(2e18);
        bytes memory b = _batch(
            3000e18, _tradeExec(i, aliceKey, 0, 0), _trade(_intent(bob, ETH, -1e18, 0, 1), bobKey, 0)
        );
        vm.expectRevert(abi.encodeWithSelector(SizeFills.InvalidExecutedSize.selector, 0));
        harness.settlePositions(b);
    }

    function test_fillOrKill_executedSizeNotFull_reverts() public {
        PositionIntent memory i = _intent(alice, ETH, 1e18, 3010e18, 1);
        bytes memory less = _batch(
            3000e18, _tradeExec(i, aliceKey, 0, 0.5e18), _trade(_intent(bob, ETH, -0.5e18, 0, 1), bobKey, 0)
        );
        vm.expectRevert(abi.encodeWithSelector(SizeFills.InvalidExecutedSize.selector, 0));
        harness.settlePositions(less);
        bytes memory more = _batch(
            3000e18, _tradeExec(i, aliceKey, 0, 2e18), _trade(_intent(bob, ETH, -2e18, 0, 1), bobKey, 0)
        );
        vm.expectRevert(abi.encodeWithSelector(SizeFills.InvalidExecutedSize.selector, 0));
        harness.settlePositions(more);
        PositionIntent memory s = _intent(bob, ETH, -1e18, 0, 1);
        bytes memory short = _batch(
            3000e18, _trade(_intent(alice, ETH, 0.5e18, 3010e18, 1), aliceKey, 0), _tradeExec(s, bobKey, 0, 0.5e18)
        );
        vm.expectRevert(abi.encodeWithSelector(SizeFills.InvalidExecutedSize.selector, 1));
        harness.settlePositions(short);
    }

    function test_partialFlag_isSigned() public {
        // alice signs fill-or-kill; a solver setting P (to fill part of it) changes the digest
        PositionSettlement.PositionTrade memory t = _tradeExec(_intent(alice, ETH, 2e18, 3010e18, 1), aliceKey, 0, 1e18);
        t.flags = 4;
        bytes memory encoded = _batch(3000e18, t, _trade(_intent(bob, ETH, -1e18, 0, 1), bobKey, 0));
        vm.expectPartialRevert(SignatureChecker.InvalidSigner.selector);
        harness.settlePositions(encoded);
    }

    function test_partialShort_eventCarriesExecutedSize() public {
        PositionIntent memory i = _intent(bob, ETH, -3e18, 2990e18, 9);
        i.partiallyFillable = true;
        bytes32 digest = harness.hashPositionIntent(i);
        bytes memory b = _batch(
            3000e18, _trade(_intent(alice, ETH, 1e18, 3010e18, 1), aliceKey, 0), _tradeExec(i, bobKey, 0, 1e18)
        );
        vm.expectEmit(address(harness));
        emit PositionSettlement.PositionTradeSettled(bob, digest, ETH, -1e18, 3000e18);
        harness.settlePositions(b);
        assertEq(_pos(bob, ETH).size, -1e18);
        assertEq(harness.filledAmount(digest), 1e18);
    }

    function test_reduceOnly_flat_reverts() public {
        PositionIntent memory i = _intent(alice, ETH, -1e18, 0, 1);
        i.reduceOnly = true;
        bytes memory b = _batch(3000e18, _trade(i, aliceKey, 0), _trade(_intent(bob, ETH, 1e18, 3010e18, 1), bobKey, 0));
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.ReduceOnlyViolated.selector, 0, int256(0), int256(-1e18)));
        harness.settlePositions(b);
    }

    function test_reduceOnly_sameSide_reverts() public {
        harness.settlePositions(_pair(3000e18, 3010e18, 2990e18)); // alice long 1
        PositionIntent memory i = _intent(alice, ETH, 1e18, 3010e18, 2);
        i.reduceOnly = true;
        bytes memory b = _batch(3000e18, _trade(i, aliceKey, 0), _trade(_intent(bob, ETH, -1e18, 0, 2), bobKey, 0));
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.ReduceOnlyViolated.selector, 0, int256(1e18), int256(1e18)));
        harness.settlePositions(b);
    }

    /// "Close 1 ETH reduce-only" on a 0.7 ETH long closes 0.7: the counterparty's 0.7 nets it.
    function test_reduceOnly_largerThanPosition_closesExactly() public {
        bytes memory open = _batch(
            3000e18,
            _trade(_intent(alice, ETH, 0.7e18, 3010e18, 1), aliceKey, 0),
            _trade(_intent(bob, ETH, -0.7e18, 0, 1), bobKey, 0)
        );
        harness.settlePositions(open);
        PositionIntent memory close = _intent(alice, ETH, -1e18, 0, 2);
        close.reduceOnly = true;
        // the counterparty buying the full 1 ETH would leave 0.3 unmatched
        bytes memory unbalanced =
            _batch(3000e18, _trade(close, aliceKey, 0), _trade(_intent(bob, ETH, 1e18, 3010e18, 2), bobKey, 0));
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.MarketNotBalanced.selector, ETH, int256(0.3e18)));
        harness.settlePositions(unbalanced);
        bytes memory b =
            _batch(3000e18, _trade(close, aliceKey, 0), _trade(_intent(bob, ETH, 0.7e18, 3010e18, 2), bobKey, 0));
        vm.expectEmit(true, true, false, false, address(ch));
        emit ClearingHouseBase.PositionChanged(alice, ETH, -0.7e18, 3000e18, 0, 0, 0, 0);
        harness.settlePositions(b);
        assertEq(_pos(alice, ETH).size, 0);
        assertEq(_pos(alice, ETH).openNotional, 0);
        assertEq(_pos(bob, ETH).size, 0);
        assertEq(ch.accountMarkets(alice).length, 0);
        (,, uint256 oi,) = ch.marketState(ETH);
        assertEq(oi, 0);
    }

    function test_sameAccountTwiceInOneMarket_sameSide_reverts() public {
        PositionSettlement.PositionTrade[] memory trades = new PositionSettlement.PositionTrade[](3);
        trades[0] = _trade(_intent(alice, ETH, 1e18, 3010e18, 1), aliceKey, 0);
        trades[1] = _trade(_intent(alice, ETH, 1e18, 3010e18, 2), aliceKey, 0);
        trades[2] = _trade(_intent(bob, ETH, -2e18, 0, 1), bobKey, 0);
        (uint32[] memory ids, uint256[] memory prices) = _one(ETH, 3000e18);
        bytes memory b = abi.encode(PositionSettlement.PositionBatch(ids, prices, trades));
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.DuplicateFill.selector, 1, alice, ETH));
        harness.settlePositions(b);
    }

    function test_sameAccountTwiceInOneMarket_oppositeSides_reverts() public {
        // a self-trade: alice buys from herself (nets to zero on her own)
        bytes memory b = _batch(
            3000e18,
            _trade(_intent(alice, ETH, 1e18, 3010e18, 1), aliceKey, 0),
            _trade(_intent(alice, ETH, -1e18, 0, 2), aliceKey, 0)
        );
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.DuplicateFill.selector, 1, alice, ETH));
        harness.settlePositions(b);
    }

    function test_sameAccountInTwoMarkets_fills() public {
        PositionSettlement.PositionTrade[] memory trades = new PositionSettlement.PositionTrade[](4);
        trades[0] = _trade(_intent(alice, ETH, 1e18, 3010e18, 1), aliceKey, 0);
        trades[1] = _trade(_intent(bob, ETH, -1e18, 0, 1), bobKey, 0);
        trades[2] = _trade(_intent(alice, BTC, -0.01e18, 0, 2), aliceKey, 1);
        trades[3] = _trade(_intent(bob, BTC, 0.01e18, 61_000e18, 2), bobKey, 1);
        uint32[] memory ids = new uint32[](2);
        uint256[] memory prices = new uint256[](2);
        (ids[0], ids[1]) = (ETH, BTC);
        (prices[0], prices[1]) = (3000e18, 60_000e18);
        harness.settlePositions(abi.encode(PositionSettlement.PositionBatch(ids, prices, trades)));
        assertEq(_pos(alice, ETH).size, 1e18);
        assertEq(_pos(alice, BTC).size, -0.01e18);
    }

    /// Two batches in one transaction (a forge test is one transaction): the second batch may fill
    /// the same accounts in the same market again.
    function test_twoBatchesInOneTransaction_noDuplicateLeak() public {
        harness.settlePositions(_pair(3000e18, 3010e18, 2990e18));
        bytes memory second = _batch(
            3000e18,
            _trade(_intent(alice, ETH, 1e18, 3010e18, 2), aliceKey, 0),
            _trade(_intent(bob, ETH, -1e18, 0, 2), bobKey, 0)
        );
        harness.settlePositions(second);
        assertEq(_pos(alice, ETH).size, 2e18);
    }

    /// Partial fills of one intent across several batches never add up beyond |sizeDelta|; each
    /// batch either fills what it says or reverts FillExceedsAmount with nothing changed.
    function testFuzz_partialFills_neverExceedSignedSize(uint256 size, uint256[6] memory parts, bool short) public {
        size = bound(size, 1, 2e18);
        // forge-lint: disable-next-line(unsafe-typecast) -- size <= 2e18
        PositionIntent memory i = _intent(alice, ETH, short ? -int256(size) : int256(size), short ? 0 : 3010e18, 7);
        i.partiallyFillable = true;
        uint256 filled;
        for (uint256 k; k < parts.length; ++k) {
            filled = _fuzzStep(i, size, filled, bound(parts[k], 1, size), 100 + k);
        }
    }

    /// @dev One batch filling `e` of alice's partially fillable intent `i` (|sizeDelta| = size,
    /// `filled` so far) against bob; returns the new filled amount.
    function _fuzzStep(PositionIntent memory i, uint256 size, uint256 filled, uint256 e, uint256 bobNonce)
        internal
        returns (uint256)
    {
        bool short = i.sizeDelta < 0;
        bytes32 digest = harness.hashPositionIntent(i);
        // forge-lint: disable-next-line(unsafe-typecast) -- e <= 2e18
        PositionIntent memory counter = _intent(bob, ETH, short ? int256(e) : -int256(e), short ? 3010e18 : 0, bobNonce);
        bytes memory b = _batch(3000e18, _tradeExec(i, aliceKey, 0, e), _trade(counter, bobKey, 0));
        if (filled + e > size) {
            vm.expectRevert(abi.encodeWithSelector(SizeFills.FillExceedsAmount.selector, digest, filled, e, size));
            harness.settlePositions(b);
        } else {
            harness.settlePositions(b);
            filled += e;
        }
        assertEq(harness.filledAmount(digest), filled);
        assertLe(filled, size);
        // forge-lint: disable-next-line(unsafe-typecast) -- filled <= 2e18
        assertEq(_pos(alice, ETH).size, short ? -int256(filled) : int256(filled));
        return filled;
    }
}
