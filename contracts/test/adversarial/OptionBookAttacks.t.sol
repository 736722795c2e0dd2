// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Settlement} from "../../src/Settlement.sol";
import {ClearingHouse} from "../../src/perp/ClearingHouse.sol";
import {OptionBook} from "../../src/options/OptionBook.sol";
import {OptionSettlement} from "../../src/options/OptionSettlement.sol";
import {SignatureChecker} from "../../src/libraries/SignatureChecker.sol";
import {OptionBookBase} from "../options/OptionBookBase.sol";
import {SizeFills} from "../../src/libraries/SizeFills.sol";
import {Ownable2Step} from "../../src/governance/Ownable2Step.sol";
import {PortfolioMargin} from "../../src/options/PortfolioMargin.sol";

/// @notice The bonded solver is the attacker: its interactions run with Settlement as msg.sender
/// and may send any calldata to any contract, and it chooses which signed option intents a batch
/// carries and at what premium. Through settle it can neither apply an option fill nobody signed
/// (settleOptions / checkMargins refuse interactions: Settlement names no trusted callee while they
/// run), nor move collateral through the clearing house's option hooks (option book only), nor
/// rewire the book; and every forged option trade reverts the whole batch.
contract OptionBookAttacksTest is OptionBookBase {
    address internal victim;
    uint256 internal victimKey;
    address internal mate;
    uint256 internal mateKey;
    uint256 internal attackerKey;
    address internal attacker;

    function setUp() public override {
        super.setUp();
        (victim, victimKey) = _user("victim");
        (mate, mateKey) = _user("mate");
        (attacker, attackerKey) = _user("attacker");
        _margin(victim, 10_000e18);
        _margin(mate, 10_000e18);
        _margin(attacker, 10_000e18);
    }


    function _victimUntouched() internal view {
        assertEq(ch.collateral(victim), 10_000e18, "victim collateral moved");
        assertEq(book.seriesOf(victim).length, 0, "victim got an option position");
    }

    /// settleOptions from an interaction: the victim sold 100 calls to the attacker at premium 0.
    function test_attack_settleOptionsViaInteraction_refused() public {
        (uint64[] memory ids, uint256[] memory prems) = _oneSeries(CALL_3000, 0);
        OptionBook.Fill[] memory fills = new OptionBook.Fill[](2);
        fills[0] = OptionBook.Fill(victim, -100e18, 0, false);
        fills[1] = OptionBook.Fill(attacker, 100e18, 0, false);
        assertFalse(_viaInteraction(address(book), abi.encodeCall(OptionBook.settleOptions, (ids, prems, fills))));
        assertFalse(_viaInteraction(address(book), abi.encodeCall(OptionBook.checkMargins, ())));
        _victimUntouched();
        assertEq(book.positionOf(attacker, CALL_3000), 0);
    }

    /// The clearing house's option hooks and both setOptionBook calls, from interactions.
    function test_attack_hooksAndWiringViaInteraction_refused() public {
        assertFalse(_viaInteraction(address(ch), abi.encodeCall(ClearingHouse.optionCash, (victim, -10_000e18))));
        assertFalse(_viaInteraction(address(ch), abi.encodeCall(ClearingHouse.optionCash, (attacker, 10_000e18))));
        assertFalse(_viaInteraction(address(ch), abi.encodeCall(ClearingHouse.setOptionHolder, (victim, false))));
        assertFalse(_viaInteraction(address(ch), abi.encodeCall(ClearingHouse.setOptionBook, (attacker))));
        assertFalse(
            _viaInteraction(address(settlement), abi.encodeCall(Settlement.setOptionBook, (OptionBook(attacker))))
        );
        // and directly
        vm.startPrank(attacker);
        vm.expectRevert(abi.encodeWithSelector(bytes4(keccak256("NotOptionBook(address)")), attacker));
        ch.optionCash(attacker, 1e18);
        vm.stopPrank();
        _victimUntouched();
        assertEq(ch.collateral(attacker), 10_000e18);
        assertEq(ch.optionBook(), address(book));
        assertEq(address(settlement.optionBook()), address(book));
    }

    /// The book's governance from interactions: a zero-floor, zero-fee margin or a new owner would
    /// let the attacker sell naked options on no collateral. All refused; nothing changes.
    function test_attack_bookGovernanceViaInteraction_refused() public {
        uint256 floor = book.params().shortFloor;
        uint256 maintenance = book.params().maintenanceFraction;
        uint256 fee = book.feeFraction();
        address owner = book.owner();
        PortfolioMargin.Params memory loose = book.params();
        loose.shortFloor = 0;
        loose.maintenanceFraction = 0.1e18;
        assertFalse(_viaInteraction(address(book), abi.encodeCall(OptionBook.setParams, (loose))));
        assertFalse(_viaInteraction(address(book), abi.encodeCall(OptionBook.setFeeFraction, (0))));
        assertFalse(_viaInteraction(address(book), abi.encodeCall(Ownable2Step.transferOwnership, (attacker))));
        assertFalse(_viaInteraction(address(book), abi.encodeCall(Ownable2Step.acceptOwnership, ())));
        assertEq(book.params().shortFloor, floor);
        assertEq(book.params().maintenanceFraction, maintenance);
        assertEq(book.feeFraction(), fee);
        assertEq(book.owner(), owner);
        assertEq(book.pendingOwner(), address(0));
    }

    /// The attacker signs the victim's side itself: the signature check refuses it.
    function test_attack_forgedSignature_reverts() public {
        OptionSettlement.OptionTrade memory forged = _ot(attackerKey, victim, CALL_3000, 0, -100e18, 0, 1);
        Settlement.Batch memory b =
            _optionBatch(CALL_3000, 0, forged, _ot(attackerKey, attacker, CALL_3000, 0, 100e18, 0, 1));
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(SignatureChecker.InvalidSigner.selector, attacker, victim));
        settlement.settle(b);
        _victimUntouched();
    }

    /// A filled option intent cannot be replayed (shared nonce bitmap), nor a cancelled one used.
    function test_attack_replayedNonce_reverts() public {
        Settlement.Batch memory b = _optionBatch(
            CALL_3000,
            275e18,
            _ot(victimKey, victim, CALL_3000, 0, 1e18, 280e18, 7),
            _ot(mateKey, mate, CALL_3000, 0, -1e18, 270e18, 7)
        );
        _settleAs(b);
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(SizeFills.NonceAlreadyUsed.selector, victim, 7));
        settlement.settle(b);
        assertEq(book.positionOf(victim, CALL_3000), 1e18);
    }

    /// The solver picks a premium worse than the victim's limit: refused (buyer and seller side).
    function test_attack_premiumWorseThanLimit_reverts() public {
        Settlement.Batch memory b = _optionBatch(
            CALL_3000,
            900e18,
            _ot(victimKey, victim, CALL_3000, 0, 1e18, 280e18, 1),
            _ot(attackerKey, attacker, CALL_3000, 0, -1e18, 0, 1)
        );
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(OptionSettlement.PremiumLimitNotMet.selector, 0, 900e18, 280e18));
        settlement.settle(b);
        b = _optionBatch(
            CALL_3000,
            1e18,
            _ot(victimKey, victim, CALL_3000, 0, -1e18, 270e18, 1),
            _ot(attackerKey, attacker, CALL_3000, 0, 1e18, 900e18, 1)
        );
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(OptionSettlement.PremiumLimitNotMet.selector, 0, 1e18, 270e18));
        settlement.settle(b);
        _victimUntouched();
    }

    /// An intent past its validTo, and a series past its expiry, are refused.
    function test_attack_expiredIntentOrSeries_reverts() public {
        Settlement.Batch memory b = _optionBatch(
            CALL_3000,
            275e18,
            _ot(victimKey, victim, CALL_3000, 0, 1e18, 280e18, 1),
            _ot(attackerKey, attacker, CALL_3000, 0, -1e18, 0, 1)
        );
        uint256 validTo = block.timestamp + 1 hours;
        vm.warp(validTo + 1);
        _price(3000e8);
        _publishVol(0.8e18);
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(OptionSettlement.OptionIntentExpired.selector, 0, validTo));
        settlement.settle(b);
        vm.warp(expiry);
        _price(3000e8);
        _publishVol(0.8e18);
        b = _optionBatch(
            CALL_3000,
            1e18,
            _ot(victimKey, victim, CALL_3000, 0, 1e18, 280e18, 2),
            _ot(attackerKey, attacker, CALL_3000, 0, -1e18, 0, 2)
        );
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(OptionBook.SeriesExpired.selector, CALL_3000, expiry));
        settlement.settle(b);
        _victimUntouched();
    }

    /// settleExpired cannot pay anything before the series is expired and settled on OptionSeries.
    function test_attack_earlyExpirySettlement_reverts() public {
        _settleAs(
            _optionBatch(
                CALL_3000,
                275e18,
                _ot(victimKey, victim, CALL_3000, 0, -1e18, 270e18, 1),
                _ot(mateKey, mate, CALL_3000, 0, 1e18, 280e18, 1)
            )
        );
        int256 c = ch.collateral(victim);
        vm.prank(attacker);
        vm.expectRevert(abi.encodeWithSelector(OptionBook.SeriesNotExpired.selector, CALL_3000, expiry));
        book.settleExpired(victim, CALL_3000);
        assertFalse(_viaInteraction(address(book), abi.encodeCall(OptionBook.settleExpired, (victim, CALL_3000))));
        assertEq(ch.collateral(victim), c);
    }
}
