// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SettlementTestBase} from "./utils/SettlementTestBase.sol";
import {MintableERC20} from "./utils/Tokens.sol";
import {Settlement} from "../src/Settlement.sol";
import {Vault} from "../src/Vault.sol";
import {IntentHashing, SwapIntent} from "../src/libraries/IntentHashing.sol";
import {SignatureChecker} from "../src/libraries/SignatureChecker.sol";
import {InteractionGuard} from "../src/libraries/InteractionGuard.sol";

contract SettlementFuzzTest is SettlementTestBase {
    uint256 internal constant HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;
    uint256 internal constant N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
    address internal alice;
    uint256 internal aliceKey;

    function setUp() public override {
        super.setUp();
        (alice, aliceKey) = _user("alice");
    }

    struct Case {
        uint256 sellAmount;
        uint256 buyAmount;
        uint256 sellPrice;
        uint256 buyPrice;
        bool buyKind;
        bool partiallyFillable;
        uint256 executed;
    }

    /// @dev Whatever the amounts, prices, kind and partial fill: either the limit fails and the batch
    /// reverts, or the user pays at most its amount and receives at least its pro-rata limit, exactly
    /// as the NatSpec formulas say.
    function testFuzz_userNeverGetsLessThanLimitNorPaysMore(Case memory c) public {
        // Up to 1e36 each: the products the contract forms (<= 1e72) never overflow.
        c.sellAmount = bound(c.sellAmount, 1, 1e36);
        c.buyAmount = bound(c.buyAmount, 1, 1e36);
        c.sellPrice = bound(c.sellPrice, 1, 1e36);
        c.buyPrice = bound(c.buyPrice, 1, 1e36);
        uint256 amount = c.buyKind ? c.buyAmount : c.sellAmount;
        c.executed = c.partiallyFillable ? bound(c.executed, 1, amount) : amount;

        _fund(tokenA, alice, c.sellAmount);
        Settlement.Batch memory b = _caseBatch(c);
        if (c.sellAmount * c.sellPrice < c.buyAmount * c.buyPrice) {
            vm.expectRevert(abi.encodeWithSelector(Settlement.LimitPriceNotMet.selector, 0));
            _settle(b);
            return;
        }
        _settle(b);
        uint256 paid = c.sellAmount - tokenA.balanceOf(alice);
        uint256 received = tokenB.balanceOf(alice);

        assertLe(paid, c.sellAmount, "paid more than the sell amount");
        if (!c.buyKind) {
            assertEq(paid, c.executed, "SELL pays exactly the executed sell amount");
            assertEq(received, _ceilDiv(c.executed * c.sellPrice, c.buyPrice), "SELL receives ceil(x*pS/pB)");
            // Pro-rata limit: received / paid >= buyAmount / sellAmount.
            assertTrue(_productGe(received, c.sellAmount, c.executed, c.buyAmount), "SELL received below its limit");
        } else {
            assertEq(received, c.executed, "BUY receives exactly the executed buy amount");
            assertEq(paid, c.executed * c.buyPrice / c.sellPrice, "BUY pays floor(y*pB/pS)");
            assertTrue(_productGe(c.executed, c.sellAmount, paid, c.buyAmount), "BUY paid above its limit");
        }
    }

    function _caseBatch(Case memory c) internal view returns (Settlement.Batch memory) {
        SwapIntent memory i = _intent(
            alice, address(tokenA), address(tokenB), c.sellAmount, c.buyAmount, c.buyKind ? BUY : SELL, c.partiallyFillable, 1
        );
        Settlement.Trade memory t = _trade(i, _pair(), _sign(aliceKey, i), c.partiallyFillable ? c.executed : 0);
        // Liquidity: the "market" delivers more than enough B; the surplus stays in Settlement.
        return _batch(_pair(), _prices(c.sellPrice, c.buyPrice), _one(t), _mintInto(tokenB, 1e75));
    }

    /// @dev a * b >= c * d on full 512-bit products.
    function _productGe(uint256 a, uint256 b, uint256 c, uint256 d) internal pure returns (bool) {
        (uint256 hi1, uint256 lo1) = _mul512(a, b);
        (uint256 hi2, uint256 lo2) = _mul512(c, d);
        return hi1 > hi2 || (hi1 == hi2 && lo1 >= lo2);
    }

    function _mul512(uint256 a, uint256 b) internal pure returns (uint256 hi, uint256 lo) {
        assembly {
            let mm := mulmod(a, b, not(0))
            lo := mul(a, b)
            hi := sub(sub(mm, lo), lt(mm, lo))
        }
    }

    /// @dev A fill-or-kill intent never fills twice, in the same batch or a later one.
    function testFuzz_fillOrKillFillsOnce(uint256 nonce, uint256 amount, bool buyKind) public {
        amount = bound(amount, 1, 1e30);
        _fund(tokenA, alice, 2 * amount);
        SwapIntent memory i = _intent(alice, address(tokenA), address(tokenB), amount, amount, buyKind ? BUY : SELL, false, nonce);
        Settlement.Trade memory t = _trade(i, _pair(), _sign(aliceKey, i), 0);
        _settle(_batch(_pair(), _prices(1, 1), _one(t), _mintInto(tokenB, amount)));
        assertEq(tokenB.balanceOf(alice), amount);
        vm.expectRevert(abi.encodeWithSelector(Settlement.NonceAlreadyUsed.selector, alice, nonce));
        _settle(_batch(_pair(), _prices(1, 1), _one(t), _mintInto(tokenB, amount)));
        vm.expectRevert(abi.encodeWithSelector(Settlement.NonceAlreadyUsed.selector, alice, nonce));
        _settle(_batch(_pair(), _prices(1, 1), _two(t, t), _mintInto(tokenB, 2 * amount)));
    }

    /// @dev Across any sequence of partial fills, the cumulative fill never exceeds the amount, and
    /// the user pays exactly the accepted fills.
    function testFuzz_partialFillNeverExceedsAmount(uint256 amount, uint256[5] memory fills) public {
        amount = bound(amount, 1, 1e30);
        _fund(tokenA, alice, amount);
        SwapIntent memory i = _intent(alice, address(tokenA), address(tokenB), amount, amount, SELL, true, 77);
        bytes memory sig = _sign(aliceKey, i);
        bytes32 digest = settlement.hashSwapIntent(i);
        uint256 accepted;
        for (uint256 k; k < fills.length; ++k) {
            uint256 x = bound(fills[k], 1, amount);
            Settlement.Batch memory b = _batch(_pair(), _prices(1, 1), _one(_trade(i, _pair(), sig, x)), _mintInto(tokenB, x));
            if (accepted + x > amount) {
                vm.expectRevert(abi.encodeWithSelector(Settlement.FillExceedsAmount.selector, digest, accepted, x, amount));
                _settle(b);
            } else {
                _settle(b);
                accepted += x;
            }
            assertEq(settlement.filledAmount(digest), accepted);
            assertLe(accepted, amount);
        }
        assertEq(amount - tokenA.balanceOf(alice), accepted, "paid exactly the accepted fills");
        assertEq(tokenB.balanceOf(alice), accepted);
    }

    /// @dev A signature made for another chain id never verifies here.
    function testFuzz_otherChainSignatureNeverVerifies(uint64 otherChainId) public {
        vm.assume(otherChainId != block.chainid);
        _fund(tokenA, alice, 1e18);
        SwapIntent memory i = _intent(alice, address(tokenA), address(tokenB), 1e18, 1e18, SELL, false, 1);
        bytes32 foreign =
            IntentHashing.digest(IntentHashing.domainSeparator(otherChainId, address(settlement)), IntentHashing.swapStructHash(i));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(aliceKey, foreign);
        Settlement.Trade memory t = _trade(i, _pair(), abi.encodePacked(r, s, v), 0);
        vm.expectPartialRevert(SignatureChecker.InvalidSigner.selector);
        _settle(_batch(_pair(), _prices(1, 1), _one(t), _mintInto(tokenB, 1e18)));

        // And a signature valid here stops verifying once the chain id changes (fork): the domain
        // separator is recomputed from block.chainid.
        Settlement.Trade memory good = _trade(i, _pair(), _sign(aliceKey, i), 0);
        vm.chainId(otherChainId);
        vm.expectPartialRevert(SignatureChecker.InvalidSigner.selector);
        _settle(_batch(_pair(), _prices(1, 1), _one(good), _mintInto(tokenB, 1e18)));
    }

    /// @dev A signature made for another verifying contract never verifies here.
    function testFuzz_otherContractSignatureNeverVerifies(address other) public {
        vm.assume(other != address(settlement));
        _fund(tokenA, alice, 1e18);
        SwapIntent memory i = _intent(alice, address(tokenA), address(tokenB), 1e18, 1e18, SELL, false, 1);
        bytes32 foreign =
            IntentHashing.digest(IntentHashing.domainSeparator(block.chainid, other), IntentHashing.swapStructHash(i));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(aliceKey, foreign);
        Settlement.Trade memory t = _trade(i, _pair(), abi.encodePacked(r, s, v), 0);
        vm.expectPartialRevert(SignatureChecker.InvalidSigner.selector);
        _settle(_batch(_pair(), _prices(1, 1), _one(t), _mintInto(tokenB, 1e18)));
    }

    /// @dev No interaction can reach the Vault, whatever it sends.
    function testFuzz_interactionTargetingVaultReverts(uint256 value, bytes memory callData, uint8 position) public {
        value = bound(value, 0, address(settlement).balance);
        uint256 n = uint256(position) % 4 + 1;
        Settlement.Interaction[] memory its = new Settlement.Interaction[](n);
        for (uint256 k; k + 1 < n; ++k) {
            its[k] = Settlement.Interaction(address(tokenA), 0, abi.encodeCall(MintableERC20.mint, (address(1), 1)));
        }
        its[n - 1] = Settlement.Interaction(address(vault), value, callData);
        vm.expectRevert(abi.encodeWithSelector(InteractionGuard.ForbiddenInteractionTarget.selector, n - 1, address(vault)));
        _settle(_batch(new address[](0), new uint256[](0), new Settlement.Trade[](0), its));
    }

    /// @dev Signatures with s in the upper half of the curve order are refused, even when they
    /// recover to the owner (the malleable twin of a valid signature).
    function testFuzz_highSRejected(uint256 s, bytes32 r, bool v27) public {
        s = bound(s, HALF_N + 1, type(uint256).max);
        _fund(tokenA, alice, 1e18);
        SwapIntent memory i = _intent(alice, address(tokenA), address(tokenB), 1e18, 1e18, SELL, false, 1);
        Settlement.Trade memory t = _trade(i, _pair(), abi.encodePacked(r, s, v27 ? uint8(27) : uint8(28)), 0);
        vm.expectRevert(SignatureChecker.SignatureHighS.selector);
        _settle(_batch(_pair(), _prices(1, 1), _one(t), _mintInto(tokenB, 1e18)));
    }

    function testFuzz_malleableTwinRejected(uint256 nonce) public {
        _fund(tokenA, alice, 1e18);
        SwapIntent memory i = _intent(alice, address(tokenA), address(tokenB), 1e18, 1e18, SELL, false, nonce);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(aliceKey, settlement.hashSwapIntent(i));
        bytes memory twin = abi.encodePacked(r, N - uint256(s), v == 27 ? uint8(28) : uint8(27));
        Settlement.Trade memory t = _trade(i, _pair(), twin, 0);
        vm.expectRevert(SignatureChecker.SignatureHighS.selector);
        _settle(_batch(_pair(), _prices(1, 1), _one(t), _mintInto(tokenB, 1e18)));
    }
}
