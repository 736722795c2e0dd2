// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ClearingHouse, ClearingHouseBase} from "../../src/perp/ClearingHouse.sol";
import {PositionSettlement} from "../../src/perp/PositionSettlement.sol";
import {PositionIntent} from "../../src/libraries/IntentHashing.sol";
import {SignatureChecker} from "../../src/libraries/SignatureChecker.sol";
import {PerpTestBase} from "./PerpTestBase.sol";
import {PositionSettlementHarness} from "./PositionSettlementHarness.sol";
import {SmartWallet} from "../utils/SmartWallet.sol";

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
            validTo: uint32(block.timestamp + 1 hours),
            nonce: nonce
        });
    }

    function _trade(PositionIntent memory i, uint256 key, uint8 marketIndex)
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
            flags: i.reduceOnly ? 1 : 0,
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
        vm.expectRevert(abi.encodeWithSelector(PositionSettlement.NonceAlreadyUsed.selector, alice, 1));
        harness.settlePositions(b);
    }

    function test_cancelledNonce_reverts() public {
        vm.prank(bob);
        harness.invalidateNonces(0, 2);
        bytes memory encoded = _pair(3000e18, 3010e18, 2990e18);
        vm.expectRevert(abi.encodeWithSelector(PositionSettlement.NonceAlreadyUsed.selector, bob, 1));
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
        t.flags = 4;
        bytes memory encoded = _batch(3000e18, t, _trade(_intent(bob, ETH, -1e18, 0, 1), bobKey, 0));
        vm.expectRevert(abi.encodeWithSelector(PositionSettlement.InvalidPositionFlags.selector, 0, 4));
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
}
