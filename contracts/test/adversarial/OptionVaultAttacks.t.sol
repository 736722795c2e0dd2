// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Settlement} from "../../src/Settlement.sol";
import {ClearingHouse} from "../../src/perp/ClearingHouse.sol";
import {ClearingHouseLpVault} from "../../src/perp/ClearingHouseLpVault.sol";
import {SignatureChecker} from "../../src/libraries/SignatureChecker.sol";
import {Ownable2Step} from "../../src/governance/Ownable2Step.sol";
import {OptionVault} from "../../src/options/OptionVault.sol";
import {UnderlyingParams} from "../../src/options/OptionVaultQuoter.sol";
import {OptionVaultBase} from "../options/OptionVaultBase.sol";

/// @notice The bonded solver attacks the options vault. Its interactions run with Settlement as
/// msg.sender and may call anything; it picks which trades of the vault a batch carries and at what
/// premium or price. It can neither take LP funds (no share, escrow or collateral of the vault moves
/// for a caller that is not its LP or the LP's operator), nor change the vault's parameters or
/// owner, nor get the vault to sign an option trade outside its quote or a perp fill that is not a
/// hedge within the band. Each test was checked to fail against a weakened vault (noted per test).
contract OptionVaultAttacksTest is OptionVaultBase {
    address internal attacker;
    uint256 internal attackerKey;

    function setUp() public override {
        super.setUp();
        (attacker, attackerKey) = _user("attacker");
        _margin(attacker, 100_000e18);
    }

    /// The LP has a claimable redemption request; the solver's interactions try to cancel it to
    /// themselves, claim it, move its shares, and withdraw the vault's collateral. (Fails when
    /// `cancelRedeemRequest` loses its `_onlySelfOrOperator(controller)` check.)
    function test_attack_interactionsCannotTakeLpFunds() public {
        uint256 shares = ovault.balanceOf(lp);
        vm.prank(lp);
        ovault.requestRedeem(shares / 2, lp, lp);
        vm.warp(block.timestamp + 1 hours);
        _price(3000e8);
        _publishVol(0.8e18);
        int256 collateral = ch.collateral(address(ovault));

        assertFalse(_viaInteraction(address(ovault), abi.encodeCall(ClearingHouseLpVault.cancelRedeemRequest, (lp, attacker))));
        assertFalse(
            _viaInteraction(address(ovault), abi.encodeWithSignature("redeem(uint256,address,address)", shares / 2, attacker, lp))
        );
        assertFalse(
            _viaInteraction(address(ovault), abi.encodeWithSignature("withdraw(uint256,address,address)", 1e18, attacker, lp))
        );
        assertFalse(_viaInteraction(address(ovault), abi.encodeCall(ClearingHouseLpVault.requestRedeem, (shares / 2, attacker, lp))));
        assertFalse(_viaInteraction(address(ovault), abi.encodeWithSignature("transferFrom(address,address,uint256)", lp, attacker, 1)));
        // the clearing house withdraws only the caller's (Settlement's) own collateral
        assertFalse(_viaInteraction(address(ch), abi.encodeCall(ClearingHouse.withdraw, (1e18, attacker))));

        assertEq(ovault.balanceOf(attacker), 0);
        assertEq(tokenA.balanceOf(attacker), 0);
        assertEq(ovault.redeemRequest(lp).shares, shares / 2, "the LP's request is intact");
        assertEq(ovault.balanceOf(lp), shares - shares / 2);
        assertEq(ch.collateral(address(ovault)), collateral);
        // and the LP still claims it
        vm.prank(lp);
        assertGt(ovault.redeem(shares / 2, lp, lp), 0);
    }

    /// Parameters, request delay and ownership from interactions. (Fails when `setUnderlyingParams`
    /// loses `onlyOwner`.)
    function test_attack_interactionsCannotChangeParameters() public {
        UnderlyingParams memory p = _defaultParams();
        p.baseVolSpread = 0;
        p.minSpread = 0;
        p.maxContracts = 1e36;
        assertFalse(_viaInteraction(address(ovault), abi.encodeCall(OptionVault.setUnderlyingParams, (ETH, p))));
        assertFalse(_viaInteraction(address(ovault), abi.encodeCall(ClearingHouseLpVault.setRequestDelay, (1 minutes))));
        assertFalse(_viaInteraction(address(ovault), abi.encodeCall(Ownable2Step.transferOwnership, (attacker))));
        assertFalse(_viaInteraction(address(ovault), abi.encodeCall(Ownable2Step.acceptOwnership, ())));
        UnderlyingParams memory now_ = ovault.underlyingParams(ETH);
        assertEq(now_.baseVolSpread, _defaultParams().baseVolSpread);
        assertEq(now_.maxContracts, _defaultParams().maxContracts);
        assertEq(ovault.requestDelay(), 1 hours);
        assertEq(ovault.owner(), governance);
        assertEq(ovault.pendingOwner(), address(0));
    }

    /// The solver's accomplice buys 10 calls from the vault at a premium of 1 wei, the vault's
    /// trade naming that premium as its limit. (Fails when `isValidSignature` skips the comparison
    /// with the quote.)
    function test_attack_optionTradeBelowQuote_refused() public {
        Settlement.Batch memory b = _optionBatch(
            CALL_3000, 1, _ot(attackerKey, attacker, CALL_3000, 0, 10e18, 1, 1), _vaultOt(CALL_3000, 0, -10e18, 1, 1)
        );
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(SignatureChecker.InvalidEip1271Signature.selector, address(ovault)));
        settlement.settle(b);
        assertEq(book.seriesOf(address(ovault)).length, 0);
    }

    /// The solver makes the (flat) vault buy 50 ETH of perp from its accomplice at the top of the
    /// band, as if it were a hedge; and, once the vault has written calls, a real hedge direction
    /// but at a price 2% over the mark. (Fails when the hedge rule's direction check is dropped.)
    function test_attack_perpFillThatIsNotAHedge_refused() public {
        Settlement.Batch memory b;
        b.positions = _perpLeg(_vaultPt(50e18, 3030e18, 1), _pt(attackerKey, attacker, -50e18, 2990e18, 1));
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(SignatureChecker.InvalidEip1271Signature.selector, address(ovault)));
        settlement.settle(b);

        _aliceTrades(CALL_3000, 10e18, 1);
        b.positions = _perpLeg(_vaultPt(1e18, 3060e18, 2), _pt(attackerKey, attacker, -1e18, 2990e18, 2));
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(SignatureChecker.InvalidEip1271Signature.selector, address(ovault)));
        settlement.settle(b);
        assertEq(ch.position(address(ovault), ETH).size, 0);
    }
}
