// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SettlementTestBase} from "./utils/SettlementTestBase.sol";
import {stdError} from "forge-std/StdError.sol";
import {MintableERC20, NoReturnERC20, FalseReturningERC20} from "./utils/Tokens.sol";
import {SmartWallet} from "./utils/SmartWallet.sol";
import {Settlement} from "../src/Settlement.sol";
import {Vault} from "../src/Vault.sol";
import {SolverRegistry} from "../src/SolverRegistry.sol";
import {SwapIntent} from "../src/libraries/IntentHashing.sol";
import {SignatureChecker} from "../src/libraries/SignatureChecker.sol";
import {TokenTransfer} from "../src/libraries/TokenTransfer.sol";
import {InteractionGuard} from "../src/libraries/InteractionGuard.sol";

/// @notice A bonded solver contract that tries to re-enter settle from inside an interaction.
contract ReentrantSolver {
    Settlement internal immutable settlement;

    constructor(Settlement s) payable {
        settlement = s;
        s.bond{value: msg.value}();
    }

    function attack() external {
        Settlement.Batch memory b;
        b.interactions = new Settlement.Interaction[](1);
        b.interactions[0] = Settlement.Interaction(address(this), 0, abi.encodeCall(this.reenter, ()));
        settlement.settle(b);
    }

    function reenter() external {
        Settlement.Batch memory empty;
        settlement.settle(empty);
    }
}

/// @notice Calls Settlement's V3 callback with whatever deltas it is told to.
contract FakePool {
    address public token0;
    address public token1;

    constructor(address t0, address t1) {
        token0 = t0;
        token1 = t1;
    }

    function callback(Settlement s, int256 a0, int256 a1) external {
        s.uniswapV3SwapCallback(a0, a1, "");
    }

    function relay(FakePool other, Settlement s, int256 a0) external {
        other.callback(s, a0, 0);
    }

    function callbackTwice(Settlement s, int256 a0) external {
        s.uniswapV3SwapCallback(a0, 0, "");
        s.uniswapV3SwapCallback(a0, 0, "");
    }
}

contract Reverter {
    error Nope(uint256 code);

    function fail() external pure {
        revert Nope(42);
    }

    receive() external payable {
        revert Nope(1);
    }
}

contract SettlementTest is SettlementTestBase {
    address internal alice;
    uint256 internal aliceKey;
    address internal bob;
    uint256 internal bobKey;

    function setUp() public override {
        super.setUp();
        (alice, aliceKey) = _user("alice");
        (bob, bobKey) = _user("bob");
        _fund(tokenA, alice, 1_000e18);
        _fund(tokenB, bob, 1_000e18);
    }

    // ---------------------------------------------------------------- happy paths

    /// @dev alice sells 100 A for >= 190 B; bob sells 200 B for >= 95 A; prices A:B = 2:1.
    function _matched() internal view returns (Settlement.Batch memory b) {
        address[] memory tokens = _pair();
        SwapIntent memory ia = _intent(alice, address(tokenA), address(tokenB), 100e18, 190e18, SELL, false, 1);
        SwapIntent memory ib = _intent(bob, address(tokenB), address(tokenA), 200e18, 95e18, SELL, false, 1);
        b = _batch(
            tokens,
            _prices(2, 1),
            _two(_trade(ia, tokens, _sign(aliceKey, ia), 0), _trade(ib, tokens, _sign(bobKey, ib), 0)),
            _noInteractions()
        );
    }

    function test_matchedTrades() public {
        Settlement.Batch memory b = _matched();
        vm.expectEmit(address(settlement));
        emit Settlement.TradeSettled(
            alice,
            settlement.hashSwapIntent(
                _intent(alice, address(tokenA), address(tokenB), 100e18, 190e18, SELL, false, 1)
            ),
            address(tokenA),
            address(tokenB),
            100e18,
            200e18
        );
        vm.expectEmit(address(settlement));
        emit Settlement.Settled(solver, 7);
        _settle(b);
        assertEq(tokenA.balanceOf(alice), 900e18);
        assertEq(tokenB.balanceOf(alice), 200e18);
        assertEq(tokenA.balanceOf(bob), 100e18);
        assertEq(tokenB.balanceOf(bob), 800e18);
        assertTrue(settlement.isNonceUsed(alice, 1));
        assertTrue(settlement.isNonceUsed(bob, 1));
        assertFalse(settlement.isNonceUsed(alice, 2));
    }

    function test_buyOrderPaysFloorAndReceiverGetsTokens() public {
        address carol = makeAddr("carol");
        address[] memory tokens = _pair();
        // BUY 10 B paying at most 7 A; prices A = 3, B = 2: pays floor(10e18 * 2 / 3).
        SwapIntent memory i = _intent(alice, address(tokenA), address(tokenB), 7e18, 10e18, BUY, false, 5);
        i.receiver = carol;
        tokenA.mint(address(settlement), 1); // buffer absorbs nothing here; just a non-zero balance
        _settle(_batch(tokens, _prices(3, 2), _one(_trade(i, tokens, _sign(aliceKey, i), 0)), _mintInto(tokenB, 10e18)));
        assertEq(tokenB.balanceOf(carol), 10e18);
        assertEq(tokenA.balanceOf(alice), uint256(1_000e18) - uint256(20e18) / 3);
    }

    function test_partialFillAcrossBatches() public {
        address[] memory tokens = _pair();
        SwapIntent memory i = _intent(alice, address(tokenA), address(tokenB), 100e18, 100e18, SELL, true, 9);
        bytes memory sig = _sign(aliceKey, i);
        bytes32 digest = settlement.hashSwapIntent(i);
        _settle(_batch(tokens, _prices(1, 1), _one(_trade(i, tokens, sig, 30e18)), _mintInto(tokenB, 30e18)));
        _settle(_batch(tokens, _prices(1, 1), _one(_trade(i, tokens, sig, 70e18)), _mintInto(tokenB, 70e18)));
        assertEq(settlement.filledAmount(digest), 100e18);
        assertEq(tokenB.balanceOf(alice), 100e18);
        vm.expectRevert(abi.encodeWithSelector(Settlement.FillExceedsAmount.selector, digest, 100e18, 1, 100e18));
        _settle(_batch(tokens, _prices(1, 1), _one(_trade(i, tokens, sig, 1)), _mintInto(tokenB, 1)));
    }

    function test_eip1271Wallet() public {
        (address walletSigner, uint256 walletKey) = _user("walletSigner");
        SmartWallet wallet = new SmartWallet(walletSigner);
        tokenA.mint(address(wallet), 50e18);
        vm.prank(walletSigner);
        wallet.execute(address(tokenA), abi.encodeCall(MintableERC20.approve, (address(vault), type(uint256).max)));

        address[] memory tokens = _pair();
        SwapIntent memory i = _intent(address(wallet), address(tokenA), address(tokenB), 50e18, 50e18, SELL, false, 3);
        Settlement.Trade memory t = _trade(i, tokens, _sign(walletKey, i), 0);
        t.flags |= 4; // EIP-1271
        _settle(_batch(tokens, _prices(1, 1), _one(t), _mintInto(tokenB, 50e18)));
        assertEq(tokenB.balanceOf(address(wallet)), 50e18);

        // Same trade, wallet now refuses: rejected with the EIP-1271 error.
        SwapIntent memory j = _intent(address(wallet), address(tokenA), address(tokenB), 1, 1, SELL, false, 4);
        Settlement.Trade memory u = _trade(j, tokens, _sign(walletKey, j), 0);
        u.flags |= 4;
        vm.prank(walletSigner);
        wallet.setRejectAll(true);
        vm.expectRevert(abi.encodeWithSelector(SignatureChecker.InvalidEip1271Signature.selector, address(wallet)));
        _settle(_batch(tokens, _prices(1, 1), _one(u), _mintInto(tokenB, 1)));
    }

    function test_eip1271FlagOnEoaOwnerFails() public {
        address[] memory tokens = _pair();
        SwapIntent memory i = _intent(alice, address(tokenA), address(tokenB), 1e18, 1e18, SELL, false, 3);
        Settlement.Trade memory t = _trade(i, tokens, _sign(aliceKey, i), 0);
        t.flags |= 4;
        vm.expectRevert(abi.encodeWithSelector(SignatureChecker.InvalidEip1271Signature.selector, alice));
        _settle(_batch(tokens, _prices(1, 1), _one(t), _mintInto(tokenB, 1e18)));
    }

    function test_nonStandardTokenWithoutReturnValue() public {
        NoReturnERC20 usdt = new NoReturnERC20();
        usdt.mint(alice, 10e6);
        vm.prank(alice);
        usdt.approve(address(vault), type(uint256).max);
        address[] memory tokens = new address[](2);
        (tokens[0], tokens[1]) =
            address(usdt) < address(tokenB) ? (address(usdt), address(tokenB)) : (address(tokenB), address(usdt));
        SwapIntent memory i = _intent(alice, address(usdt), address(tokenB), 10e6, 10e18, SELL, false, 1);
        uint256[] memory prices = address(usdt) < address(tokenB) ? _prices(1e12, 1) : _prices(1, 1e12);
        _settle(_batch(tokens, prices, _one(_trade(i, tokens, _sign(aliceKey, i), 0)), _mintInto(tokenB, 10e18)));
        assertEq(usdt.balanceOf(address(settlement)), 10e6);
        assertEq(tokenB.balanceOf(alice), 10e18);
    }

    function test_emptySettle() public {
        Settlement.Batch memory b;
        vm.expectEmit(address(settlement));
        emit Settlement.Settled(solver, 0);
        _settle(b);
    }

    function test_domainSeparatorFollowsChainId() public {
        bytes32 before = settlement.domainSeparator();
        vm.chainId(block.chainid + 1);
        assertTrue(settlement.domainSeparator() != before);
    }

    function test_interactionRevertIsBubbled() public {
        Reverter r = new Reverter();
        vm.expectRevert(abi.encodeWithSelector(Reverter.Nope.selector, 42));
        _settle(_batch(new address[](0), new uint256[](0), new Settlement.Trade[](0), _interaction(address(r), 0, abi.encodeCall(Reverter.fail, ()))));
    }

    // ---------------------------------------------------------------- batch-level reverts

    function test_revert_notSolver() public {
        Settlement.Batch memory b;
        vm.expectRevert(abi.encodeWithSelector(SolverRegistry.NotSolver.selector, alice));
        vm.prank(alice);
        settlement.settle(b);
    }

    function test_revert_exitingSolverCannotSettle() public {
        vm.prank(solver);
        settlement.requestExit();
        Settlement.Batch memory b;
        vm.expectRevert(
            abi.encodeWithSelector(SolverRegistry.SolverExiting.selector, solver, block.timestamp + UNBONDING_DELAY)
        );
        _settle(b);
    }

    function test_revert_slashedBelowMinimumCannotSettle() public {
        vm.prank(governance);
        settlement.slash(solver, 1, governance);
        Settlement.Batch memory b;
        vm.expectRevert(abi.encodeWithSelector(SolverRegistry.NotSolver.selector, solver));
        _settle(b);
    }

    function test_revert_reentrancy() public {
        ReentrantSolver r = new ReentrantSolver{value: MIN_BOND}(settlement);
        vm.expectRevert(Settlement.Reentrancy.selector);
        r.attack();
    }

    function test_revert_positionsNotSupported() public {
        Settlement.Batch memory b;
        b.positions = hex"01";
        vm.expectRevert(Settlement.PositionsNotSupported.selector);
        _settle(b);
    }

    function test_revert_priceCountMismatch() public {
        Settlement.Batch memory b;
        b.tokens = _pair();
        b.clearingPrices = new uint256[](1);
        vm.expectRevert(abi.encodeWithSelector(Settlement.PriceCountMismatch.selector, 2, 1));
        _settle(b);
    }

    function test_revert_tokensNotSorted() public {
        Settlement.Batch memory b;
        b.tokens = new address[](2);
        b.tokens[0] = address(tokenB);
        b.tokens[1] = address(tokenA);
        b.clearingPrices = _prices(1, 1);
        vm.expectRevert(abi.encodeWithSelector(Settlement.TokensNotSorted.selector, 1));
        _settle(b);
        b.tokens[0] = address(tokenA);
        b.tokens[1] = address(tokenA);
        vm.expectRevert(abi.encodeWithSelector(Settlement.TokensNotSorted.selector, 1));
        _settle(b);
    }

    function test_revert_zeroClearingPrice() public {
        Settlement.Batch memory b;
        b.tokens = _pair();
        b.clearingPrices = _prices(1, 0);
        vm.expectRevert(abi.encodeWithSelector(Settlement.ZeroClearingPrice.selector, 1));
        _settle(b);
    }

    function test_revert_balanceQueryFailed() public {
        Settlement.Batch memory b;
        b.tokens = new address[](1);
        b.tokens[0] = address(0xdead);
        b.clearingPrices = new uint256[](1);
        b.clearingPrices[0] = 1;
        vm.expectRevert(abi.encodeWithSelector(TokenTransfer.BalanceQueryFailed.selector, address(0xdead)));
        _settle(b);
    }

    // ---------------------------------------------------------------- trade-level reverts

    function _aliceSells(uint256 nonce) internal view returns (SwapIntent memory) {
        return _intent(alice, address(tokenA), address(tokenB), 10e18, 10e18, SELL, false, nonce);
    }

    function _settleOne(Settlement.Trade memory t) internal {
        _settle(_batch(_pair(), _prices(1, 1), _one(t), _mintInto(tokenB, 10e18)));
    }

    function test_revert_invalidTradeFlags() public {
        SwapIntent memory i = _aliceSells(1);
        Settlement.Trade memory t = _trade(i, _pair(), _sign(aliceKey, i), 0);
        t.flags = 8;
        vm.expectRevert(abi.encodeWithSelector(Settlement.InvalidTradeFlags.selector, 0, 8));
        _settleOne(t);
    }

    function test_revert_tokenIndexOutOfRange() public {
        SwapIntent memory i = _aliceSells(1);
        Settlement.Trade memory t = _trade(i, _pair(), _sign(aliceKey, i), 0);
        t.buyTokenIndex = 2;
        vm.expectRevert(abi.encodeWithSelector(Settlement.TokenIndexOutOfRange.selector, 0));
        _settleOne(t);
    }

    function test_revert_intentExpired() public {
        SwapIntent memory i = _aliceSells(1);
        Settlement.Trade memory t = _trade(i, _pair(), _sign(aliceKey, i), 0);
        vm.warp(uint256(i.validTo) + 1);
        vm.expectRevert(abi.encodeWithSelector(Settlement.IntentExpired.selector, 0, i.validTo));
        _settleOne(t);
    }

    function test_validToIsInclusive() public {
        SwapIntent memory i = _aliceSells(1);
        Settlement.Trade memory t = _trade(i, _pair(), _sign(aliceKey, i), 0);
        vm.warp(i.validTo);
        _settleOne(t);
        assertEq(tokenB.balanceOf(alice), 10e18);
    }

    function test_revert_limitPriceNotMet() public {
        SwapIntent memory i = _aliceSells(1); // 10 A for >= 10 B
        Settlement.Trade memory t = _trade(i, _pair(), _sign(aliceKey, i), 0);
        vm.expectRevert(abi.encodeWithSelector(Settlement.LimitPriceNotMet.selector, 0));
        // A is worth slightly less than B: 10 * 999 < 10 * 1000.
        _settle(_batch(_pair(), _prices(999, 1000), _one(t), _mintInto(tokenB, 10e18)));
    }

    function test_revert_limitProductOverflowPanics() public {
        SwapIntent memory i = _intent(alice, address(tokenA), address(tokenB), 1e30, 1, SELL, false, 1);
        Settlement.Trade memory t = _trade(i, _pair(), _sign(aliceKey, i), 0);
        vm.expectRevert(stdError.arithmeticError);
        _settle(_batch(_pair(), _prices(type(uint256).max / 1e29, 1), _one(t), _noInteractions()));
    }

    function test_revert_nonceAlreadyUsed() public {
        SwapIntent memory i = _aliceSells(1);
        Settlement.Trade memory t = _trade(i, _pair(), _sign(aliceKey, i), 0);
        _settleOne(t);
        vm.expectRevert(abi.encodeWithSelector(Settlement.NonceAlreadyUsed.selector, alice, 1));
        _settleOne(t);
    }

    function test_revert_sameTradeTwiceInOneBatch() public {
        SwapIntent memory i = _aliceSells(1);
        Settlement.Trade memory t = _trade(i, _pair(), _sign(aliceKey, i), 0);
        vm.expectRevert(abi.encodeWithSelector(Settlement.NonceAlreadyUsed.selector, alice, 1));
        _settle(_batch(_pair(), _prices(1, 1), _two(t, t), _mintInto(tokenB, 20e18)));
    }

    function test_revert_cancelledFillOrKill() public {
        SwapIntent memory i = _aliceSells(300); // word 1, bit 44
        Settlement.Trade memory t = _trade(i, _pair(), _sign(aliceKey, i), 0);
        vm.expectEmit(address(settlement));
        emit Settlement.NoncesInvalidated(alice, 1, 1 << 44);
        vm.prank(alice);
        settlement.invalidateNonces(1, 1 << 44);
        vm.expectRevert(abi.encodeWithSelector(Settlement.NonceAlreadyUsed.selector, alice, 300));
        _settleOne(t);
    }

    function test_revert_cancelledPartiallyFillable() public {
        SwapIntent memory i = _intent(alice, address(tokenA), address(tokenB), 10e18, 10e18, SELL, true, 2);
        Settlement.Trade memory t = _trade(i, _pair(), _sign(aliceKey, i), 5e18);
        _settleOne(t);
        vm.prank(alice);
        settlement.invalidateNonces(0, 1 << 2);
        vm.expectRevert(abi.encodeWithSelector(Settlement.IntentCancelled.selector, alice, 2));
        _settleOne(t);
    }

    function test_revert_zeroExecutedAmount() public {
        SwapIntent memory i = _intent(alice, address(tokenA), address(tokenB), 10e18, 10e18, SELL, true, 2);
        Settlement.Trade memory t = _trade(i, _pair(), _sign(aliceKey, i), 0);
        vm.expectRevert(abi.encodeWithSelector(Settlement.ZeroExecutedAmount.selector, 0));
        _settleOne(t);
    }

    function test_revert_fillExceedsAmountBuyKind() public {
        SwapIntent memory i = _intent(alice, address(tokenA), address(tokenB), 10e18, 10e18, BUY, true, 2);
        Settlement.Trade memory t = _trade(i, _pair(), _sign(aliceKey, i), 10e18 + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                Settlement.FillExceedsAmount.selector, settlement.hashSwapIntent(i), 0, 10e18 + 1, 10e18
            )
        );
        _settleOne(t);
    }

    function test_revert_signatureLength() public {
        SwapIntent memory i = _aliceSells(1);
        Settlement.Trade memory t = _trade(i, _pair(), hex"1234", 0);
        vm.expectRevert(abi.encodeWithSelector(SignatureChecker.InvalidSignatureLength.selector, 2));
        _settleOne(t);
    }

    function test_revert_highS() public {
        SwapIntent memory i = _aliceSells(1);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(aliceKey, settlement.hashSwapIntent(i));
        // The malleable twin (n - s, flipped v) recovers the same address but must be refused.
        uint256 n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
        bytes memory twin = abi.encodePacked(r, bytes32(n - uint256(s)), v == 27 ? uint8(28) : uint8(27));
        assertEq(
            ecrecover(settlement.hashSwapIntent(i), v == 27 ? 28 : 27, r, bytes32(n - uint256(s))), alice
        );
        vm.expectRevert(SignatureChecker.SignatureHighS.selector);
        _settleOne(_trade(i, _pair(), twin, 0));
    }

    function test_revert_invalidV() public {
        SwapIntent memory i = _aliceSells(1);
        (, bytes32 r, bytes32 s) = vm.sign(aliceKey, settlement.hashSwapIntent(i));
        vm.expectRevert(abi.encodeWithSelector(SignatureChecker.InvalidSignatureV.selector, 1));
        _settleOne(_trade(i, _pair(), abi.encodePacked(r, s, uint8(1)), 0));
    }

    function test_revert_wrongSigner() public {
        SwapIntent memory i = _aliceSells(1);
        Settlement.Trade memory t = _trade(i, _pair(), _sign(bobKey, i), 0);
        vm.expectRevert(abi.encodeWithSelector(SignatureChecker.InvalidSigner.selector, bob, alice));
        _settleOne(t);
    }

    function test_revert_tamperedAmountInvalidatesSignature() public {
        SwapIntent memory i = _aliceSells(1);
        Settlement.Trade memory t = _trade(i, _pair(), _sign(aliceKey, i), 0);
        t.buyAmount = 1; // the solver tries to lower the limit
        vm.expectPartialRevert(SignatureChecker.InvalidSigner.selector);
        _settleOne(t);
    }

    function test_revert_unrecoverableSignature() public {
        SwapIntent memory i = _aliceSells(1);
        // r = 0 never recovers: ecrecover returns address(0).
        vm.expectRevert(abi.encodeWithSelector(SignatureChecker.InvalidSigner.selector, address(0), alice));
        _settleOne(_trade(i, _pair(), abi.encodePacked(bytes32(0), bytes32(uint256(1)), uint8(27)), 0));
    }

    function test_revert_missingAllowance() public {
        (address dave, uint256 daveKey) = _user("dave");
        tokenA.mint(dave, 10e18); // no approval to the vault
        SwapIntent memory i = _intent(dave, address(tokenA), address(tokenB), 10e18, 10e18, SELL, false, 1);
        Settlement.Trade memory t = _trade(i, _pair(), _sign(daveKey, i), 0);
        vm.expectRevert(
            abi.encodeWithSelector(
                TokenTransfer.TransferFromFailed.selector, address(tokenA), dave, address(settlement), 10e18
            )
        );
        _settleOne(t);
    }

    function test_revert_payoutTransferFails() public {
        FalseReturningERC20 bad = new FalseReturningERC20();
        address[] memory tokens = new address[](2);
        (tokens[0], tokens[1]) =
            address(bad) < address(tokenA) ? (address(bad), address(tokenA)) : (address(tokenA), address(bad));
        SwapIntent memory i = _intent(alice, address(tokenA), address(bad), 10e18, 10e18, SELL, false, 1);
        Settlement.Trade memory t = _trade(i, tokens, _sign(aliceKey, i), 0);
        bad.mint(address(settlement), 10e18);
        bad.setBroken(true);
        vm.expectRevert(abi.encodeWithSelector(TokenTransfer.TransferFailed.selector, address(bad), alice, 10e18));
        _settle(_batch(tokens, _prices(1, 1), _one(t), _noInteractions()));
    }

    // ---------------------------------------------------------------- interaction reverts

    function test_revert_interactionTargetsVault() public {
        vm.expectRevert(abi.encodeWithSelector(InteractionGuard.ForbiddenInteractionTarget.selector, 0, address(vault)));
        _settle(
            _batch(
                new address[](0),
                new uint256[](0),
                new Settlement.Trade[](0),
                _interaction(address(vault), 0, abi.encodeCall(Vault.pull, (address(tokenA), alice, 1)))
            )
        );
    }

    function test_revert_interactionTargetsSettlement() public {
        vm.expectRevert(abi.encodeWithSelector(InteractionGuard.ForbiddenInteractionTarget.selector, 0, address(settlement)));
        _settle(
            _batch(
                new address[](0),
                new uint256[](0),
                new Settlement.Trade[](0),
                _interaction(address(settlement), 0, abi.encodeCall(Settlement.invalidateNonces, (0, 1)))
            )
        );
    }

    function test_revert_interactionSpendsAllowance() public {
        // Even if alice wrongly approved Settlement itself, a solver cannot pull her tokens.
        vm.prank(alice);
        tokenA.approve(address(settlement), type(uint256).max);
        bytes memory data = abi.encodeCall(MintableERC20.transferFrom, (alice, solver, 1e18));
        vm.expectRevert(abi.encodeWithSelector(InteractionGuard.ForbiddenInteractionSelector.selector, 0, bytes4(0x23b872dd)));
        _settle(_batch(new address[](0), new uint256[](0), new Settlement.Trade[](0), _interaction(address(tokenA), 0, data)));
        bytes memory permit2 = abi.encodeWithSelector(bytes4(0x36c78516), alice, solver, uint160(1), address(tokenA));
        vm.expectRevert(abi.encodeWithSelector(InteractionGuard.ForbiddenInteractionSelector.selector, 0, bytes4(0x36c78516)));
        _settle(_batch(new address[](0), new uint256[](0), new Settlement.Trade[](0), _interaction(address(0x22d4), 0, permit2)));
    }

    function test_revert_tokenBalanceDecreased() public {
        tokenA.mint(address(settlement), 5e18); // the buffer
        address[] memory tokens = new address[](1);
        tokens[0] = address(tokenA);
        uint256[] memory prices = new uint256[](1);
        prices[0] = 1;
        bytes memory steal = abi.encodeCall(MintableERC20.transfer, (solver, 1));
        vm.expectRevert(
            abi.encodeWithSelector(Settlement.TokenBalanceDecreased.selector, address(tokenA), 5e18, 5e18 - 1)
        );
        _settle(_batch(tokens, prices, new Settlement.Trade[](0), _interaction(address(tokenA), 0, steal)));
    }

    function test_revert_tradeUnderfundedByRouting() public {
        // The solver promises alice 10 B but its routing brings only 9: the buffer would pay, so revert.
        tokenB.mint(address(settlement), 100e18);
        SwapIntent memory i = _aliceSells(1);
        Settlement.Trade memory t = _trade(i, _pair(), _sign(aliceKey, i), 0);
        vm.expectRevert(
            abi.encodeWithSelector(Settlement.TokenBalanceDecreased.selector, address(tokenB), 100e18, 99e18)
        );
        _settle(_batch(_pair(), _prices(1, 1), _one(t), _mintInto(tokenB, 9e18)));
    }

    function test_revert_ethBalanceDecreased() public {
        // Bonds are ETH held by Settlement: an interaction may not send them away.
        uint256 held = address(settlement).balance;
        vm.expectRevert(abi.encodeWithSelector(Settlement.EthBalanceDecreased.selector, held, held - 1));
        _settle(_batch(new address[](0), new uint256[](0), new Settlement.Trade[](0), _interaction(solver, 1, "")));
    }

    function test_revert_unauthorizedCallbackOutsideInteraction() public {
        vm.expectRevert(abi.encodeWithSelector(Settlement.UnauthorizedCallback.selector, address(this)));
        settlement.uniswapV3SwapCallback(1, 0, "");
    }

    function test_revert_unauthorizedCallbackFromOtherContract() public {
        // The interaction targets pool1, which makes pool2 call the callback: pool2 is not the
        // current target and gets nothing.
        FakePool pool1 = new FakePool(address(tokenA), address(tokenB));
        FakePool pool2 = new FakePool(address(tokenA), address(tokenB));
        tokenA.mint(address(settlement), 5e18);
        vm.expectRevert(abi.encodeWithSelector(Settlement.UnauthorizedCallback.selector, address(pool2)));
        _settle(
            _batch(
                new address[](0),
                new uint256[](0),
                new Settlement.Trade[](0),
                _interaction(address(pool1), 0, abi.encodeCall(FakePool.relay, (pool2, settlement, 1)))
            )
        );
        // Sanity: with the right target the callback pays (and the balance check is what stops theft
        // when tokenA is in the batch).
        _settle(
            _batch(
                new address[](0),
                new uint256[](0),
                new Settlement.Trade[](0),
                _interaction(address(pool1), 0, abi.encodeCall(FakePool.callback, (settlement, 1, 0)))
            )
        );
        assertEq(tokenA.balanceOf(address(pool1)), 1);
    }

    function test_revert_callbackPaysOncePerInteraction() public {
        FakePool pool = new FakePool(address(tokenA), address(tokenB));
        tokenA.mint(address(settlement), 5e18);
        vm.expectRevert(abi.encodeWithSelector(Settlement.UnauthorizedCallback.selector, address(pool)));
        _settle(
            _batch(
                new address[](0),
                new uint256[](0),
                new Settlement.Trade[](0),
                _interaction(address(pool), 0, abi.encodeCall(FakePool.callbackTwice, (settlement, 1)))
            )
        );
    }

    function test_revert_callbackNothingOwed() public {
        FakePool pool = new FakePool(address(tokenA), address(tokenB));
        vm.expectRevert(Settlement.NothingOwed.selector);
        _settle(
            _batch(
                new address[](0),
                new uint256[](0),
                new Settlement.Trade[](0),
                _interaction(address(pool), 0, abi.encodeCall(FakePool.callback, (settlement, -1, 0)))
            )
        );
    }

    function test_revert_vaultOnlySettlement() public {
        vm.expectRevert(abi.encodeWithSelector(Vault.OnlySettlement.selector, address(this)));
        vault.pull(address(tokenA), alice, 1);
    }

    /// A call from Settlement's address outside its trade step (which is what a solver's interaction
    /// is) cannot make the vault pull: the structural guarantee behind the interaction target
    /// check, which would otherwise stop such a call first.
    function test_revert_vaultRefusesSettlementOutsideItsTradeStep() public {
        assertEq(settlement.trustedCallee(), address(0));
        vm.prank(address(settlement));
        vm.expectRevert(abi.encodeWithSelector(Vault.OnlySettlement.selector, address(settlement)));
        vault.pull(address(tokenA), alice, 1);
    }

    /// After a settled batch Settlement names nobody again (transient storage lasts the whole test
    /// here, so a marker left set would show).
    function test_vaultRefusesSettlementAfterSettle() public {
        test_matchedTrades();
        vm.prank(address(settlement));
        vm.expectRevert(abi.encodeWithSelector(Vault.OnlySettlement.selector, address(settlement)));
        vault.pull(address(tokenA), alice, 1);
    }
}
