// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Vm} from "forge-std/Vm.sol";
import {Settlement} from "../../src/Settlement.sol";
import {ClearingHouse} from "../../src/perp/ClearingHouse.sol";
import {ClearingHouseBase} from "../../src/perp/ClearingHouseBase.sol";
import {OptionBook} from "../../src/options/OptionBook.sol";
import {OptionBookBase} from "./OptionBookBase.sol";
import {console2} from "forge-std/console2.sol";

/// @notice Auto-deleveraging of option portfolios through the real clearing house, Settlement and
/// book: a writer bankrupt beyond the insurance fund has its legs closed at model value against
/// the profitable opposite holders, ranked by profit per notional over their entry premium; the
/// rest of the loss is charged to them pro rata, never beyond the profit they realised; and only
/// the appointed deleverager, through the clearing house, can do it.
contract OptionAdlTest is OptionBookBase {
    address internal alice;
    uint256 internal aliceKey;
    address internal bob;
    uint256 internal bobKey;
    address internal carol;
    uint256 internal carolKey;
    address internal dave;
    uint256 internal daveKey;
    address internal deleverager = makeAddr("deleverager");

    function setUp() public override {
        super.setUp();
        (alice, aliceKey) = _user("alice");
        (bob, bobKey) = _user("bob");
        (carol, carolKey) = _user("carol");
        (dave, daveKey) = _user("dave");
        _margin(alice, 10_000e18);
        _margin(bob, 10_000e18);
        _margin(dave, 10_000e18);
        vm.prank(governance);
        ch.setDeleverager(deleverager);
    }

    /// carol writes one 3,000 call to alice at 275 and one to bob at 300 with `margin`.
    function _carolWritesTwo(uint256 margin) internal {
        _margin(carol, margin);
        _settleAs(
            _optionBatch(
                CALL_3000,
                275e18,
                _ot(aliceKey, alice, CALL_3000, 0, 1e18, 280e18, 1),
                _ot(carolKey, carol, CALL_3000, 0, -1e18, 270e18, 1)
            )
        );
        _settleAs(
            _optionBatch(
                CALL_3000,
                300e18,
                _ot(bobKey, bob, CALL_3000, 0, 1e18, 300e18, 1),
                _ot(carolKey, carol, CALL_3000, 0, -1e18, 300e18, 2)
            )
        );
    }

    function _total() internal view returns (int256) {
        return ch.collateral(alice) + ch.collateral(bob) + ch.collateral(carol) + ch.collateral(dave)
            + ch.insuranceFund() + ch.pnlFloat();
    }

    function _counterparties(address a, address b) internal pure returns (address[] memory cs) {
        cs = new address[](2);
        (cs[0], cs[1]) = (a, b);
    }

    function _adl(address account, address[] memory cs) internal {
        vm.prank(deleverager);
        ch.autoDeleverage(account, cs);
    }

    /// The unit model value the book pays a long holder for a contract closed now (what
    /// `OptionDeleveraged` reports per 1e18 contracts for a 1e18 take, ceil for a short account).
    function _deleveragedValues() internal returns (int256[] memory values, address[] memory cs) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        bytes32 topic = OptionBook.OptionDeleveraged.selector;
        uint256 n;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] == topic) ++n;
        }
        values = new int256[](n);
        cs = new address[](n);
        n = 0;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] != topic) continue;
            (, int256 value) = abi.decode(logs[i].data, (int256, int256));
            values[n] = value;
            cs[n++] = address(uint160(uint256(logs[i].topics[2])));
        }
    }

    /// Entry premiums: the first fill sets it, growing averages by contracts, reducing keeps it, a
    /// flip restarts at the flipping fill's premium, closing clears it.
    function test_entryPremium_tracksFills() public {
        _carolWritesTwo(5_000e18);
        assertEq(book.entryPremiumOf(alice, CALL_3000), 275e18);
        assertEq(book.entryPremiumOf(bob, CALL_3000), 300e18);
        assertEq(book.entryPremiumOf(carol, CALL_3000), (275e18 + 300e18) / 2, "average of two sells");
        // carol buys 1.5 back from dave... dave writes 1.5 at 250: carol's short of 2 -> 0.5 short
        _settleAs(
            _optionBatch(
                CALL_3000,
                250e18,
                _ot(daveKey, dave, CALL_3000, 0, -1.5e18, 240e18, 1),
                _ot(carolKey, carol, CALL_3000, 0, 1.5e18, 260e18, 3)
            )
        );
        assertEq(book.positionOf(carol, CALL_3000), -0.5e18);
        assertEq(book.entryPremiumOf(carol, CALL_3000), 287.5e18, "a reduction keeps the entry");
        // carol buys 1.5 more from dave at 260: flips to +1 long at 260
        _settleAs(
            _optionBatch(
                CALL_3000,
                260e18,
                _ot(daveKey, dave, CALL_3000, 0, -1.5e18, 240e18, 2),
                _ot(carolKey, carol, CALL_3000, 0, 1.5e18, 270e18, 4)
            )
        );
        assertEq(book.positionOf(carol, CALL_3000), 1e18);
        assertEq(book.entryPremiumOf(carol, CALL_3000), 260e18, "a flip restarts at the fill");
        assertEq(book.entryPremiumOf(dave, CALL_3000), (250e18 * 1.5e18 + 260e18 * 1.5e18) / 3e18, "dave averages");
        // alice sells hers to carol: alice closes, entry cleared
        _settleAs(
            _optionBatch(
                CALL_3000,
                270e18,
                _ot(aliceKey, alice, CALL_3000, 0, -1e18, 260e18, 2),
                _ot(carolKey, carol, CALL_3000, 0, 1e18, 280e18, 5)
            )
        );
        assertEq(book.positionOf(alice, CALL_3000), 0);
        assertEq(book.entryPremiumOf(alice, CALL_3000), 0);
        assertEq(book.entryPremiumOf(carol, CALL_3000), 265e18, "(260 + 270) / 2");
    }

    /// The case ADL exists for: carol's two short calls are deep under water after a gap up, the
    /// insurance fund holds a few DAI of fees. ADL closes both calls at the model value against
    /// alice (bought at 275, the more profitable per notional) then bob (bought at 300), carol ends
    /// flat at zero, the fund pays what it holds, and the rest is charged to alice and bob pro
    /// rata to the notional they took (one contract each: equal shares up to rounding), each at
    /// most the profit realised, so neither ends worse than its entry; nothing is created.
    function test_adl_bankruptWriter_closesAgainstRankedHolders() public {
        _carolWritesTwo(1_200e18);
        _price(6000e8);
        (int256 eq0,,) = ch.accountHealth(carol);
        int256 fund0 = ch.insuranceFund();
        assertLt(eq0 + fund0, 0, "bankrupt beyond the fund");
        int256 total0 = _total();
        int256 alice0 = ch.collateral(alice);
        int256 bob0 = ch.collateral(bob);

        vm.recordLogs();
        uint256 g = gasleft();
        _adl(carol, _counterparties(alice, bob));
        console2.log("gas: ADL of 2 short calls against 2 holders", g - gasleft());
        (int256[] memory values, address[] memory cs) = _deleveragedValues();

        assertEq(values.length, 2, "one close per counterparty");
        assertEq(cs[0], alice);
        assertEq(cs[1], bob);
        assertLt(values[0], 0, "carol paid for the calls she bought back");
        assertEq(book.positionOf(carol, CALL_3000), 0, "carol flat");
        assertEq(book.seriesOf(carol).length, 0);
        assertEq(book.positionOf(alice, CALL_3000), 0);
        assertEq(book.positionOf(bob, CALL_3000), 0);
        (uint128 oiL, uint128 oiS) = book.openInterest(CALL_3000);
        assertEq(oiL, 0);
        assertEq(oiS, 0);
        assertEq(ch.collateral(carol), 0, "carol's loss is covered");
        assertEq(ch.insuranceFund(), fund0 > 0 ? int256(0) : fund0, "the fund paid what it held first");
        // alice and bob: received the model value, were charged the rest of the loss
        int256 aliceGain = ch.collateral(alice) - alice0;
        int256 bobGain = ch.collateral(bob) - bob0;
        assertGe(aliceGain, 275e18, "alice ended worse than her entry");
        assertGe(bobGain, 300e18, "bob ended worse than his entry");
        int256 charged = -values[0] - aliceGain + (-values[1] - bobGain);
        assertEq(charged, -(eq0 + (fund0 > 0 ? fund0 : int256(0))), "the counterparties paid the loss beyond the fund");
        assertApproxEqAbs(-values[0] - aliceGain, -values[1] - bobGain, 1, "equal notional, equal share");
        assertEq(ch.badDebtSocialised(), uint256(charged));
        assertEq(_total(), total0, "money created or destroyed");
        _assertBooks();
        assertFalse(ch.isLiquidatable(carol));
    }

    /// Listed least profitable first: refused, naming the better-ranked one; nothing moved.
    function test_adl_unranked_refused() public {
        _carolWritesTwo(1_200e18);
        _price(6000e8);
        vm.prank(deleverager);
        vm.expectRevert(abi.encodeWithSelector(OptionBook.AdlNotRanked.selector, CALL_3000, alice));
        ch.autoDeleverage(carol, _counterparties(bob, alice));
        assertEq(book.positionOf(carol, CALL_3000), -2e18);
    }

    /// Counterparties that cannot take the whole leg: refused (carol is short 2, bob holds 1;
    /// dave holds none and is skipped, as is carol herself).
    function test_adl_insufficientCounterparties_refused() public {
        _carolWritesTwo(1_200e18);
        _price(6000e8);
        vm.prank(deleverager);
        vm.expectRevert(abi.encodeWithSelector(OptionBook.AdlInsufficientCounterparties.selector, CALL_3000));
        ch.autoDeleverage(carol, _counterparties(dave, bob));
        address[] memory self_ = new address[](1);
        self_[0] = carol;
        vm.prank(deleverager);
        vm.expectRevert(abi.encodeWithSelector(OptionBook.AdlInsufficientCounterparties.selector, CALL_3000));
        ch.autoDeleverage(carol, self_);
    }

    /// A holder of the same side (another writer) is skipped, not charged, and one who is not
    /// needed is left alone: dave writes a call to alice, so alice holds 2 long (enough for carol's
    /// 2 short) and dave is short like carol.
    function test_adl_skipsSameSideAndUnneeded() public {
        _carolWritesTwo(1_200e18);
        _settleAs(
            _optionBatch(
                CALL_3000,
                275e18,
                _ot(aliceKey, alice, CALL_3000, 0, 1e18, 280e18, 2),
                _ot(daveKey, dave, CALL_3000, 0, -1e18, 270e18, 1)
            )
        );
        _price(6000e8);
        int256 dave0 = ch.collateral(dave);
        address[] memory cs = new address[](3);
        (cs[0], cs[1], cs[2]) = (dave, alice, bob);
        vm.recordLogs();
        _adl(carol, cs);
        (, address[] memory takers) = _deleveragedValues();
        assertEq(takers.length, 1, "alice alone takes both");
        assertEq(takers[0], alice);
        assertEq(book.positionOf(alice, CALL_3000), 0);
        assertEq(book.positionOf(bob, CALL_3000), 1e18, "bob untouched");
        assertEq(book.positionOf(dave, CALL_3000), -1e18, "dave untouched");
        assertEq(ch.collateral(dave), dave0, "dave not charged");
        _assertBooks();
    }

    /// Only the deleverager, and only through the clearing house: the book's entry point refuses
    /// anyone else, a solver's interaction included, and the clearing house's refuses a stranger
    /// and Settlement; a healthy account is never deleveraged.
    function test_adl_onlyDeleveragerThroughClearingHouse() public {
        _carolWritesTwo(1_200e18);
        address[] memory cs = _counterparties(alice, bob);
        vm.prank(dave);
        vm.expectRevert(abi.encodeWithSelector(OptionBook.OnlyClearingHouse.selector, dave));
        book.deleverageOptions(carol, cs);
        _price(6000e8);
        assertFalse(_viaInteraction(address(book), abi.encodeCall(OptionBook.deleverageOptions, (carol, cs))));
        assertFalse(_viaInteraction(address(ch), abi.encodeCall(ClearingHouse.autoDeleverage, (carol, cs))));
        vm.prank(dave);
        vm.expectRevert(abi.encodeWithSelector(ClearingHouseBase.NotDeleverager.selector, dave));
        ch.autoDeleverage(carol, cs);
        assertEq(book.positionOf(carol, CALL_3000), -2e18);
        assertEq(book.positionOf(alice, CALL_3000), 1e18);
        // a solvent account: refused even for the deleverager
        _price(3000e8);
        vm.prank(deleverager);
        vm.expectPartialRevert(ClearingHouseBase.AdlNotNeeded.selector);
        ch.autoDeleverage(carol, cs);
    }

    /// A leg that cannot be valued now is not closed at a guess: a stale surface stops the strict
    /// valuation; an expired leg must be settled first (its price is fixed by the registry).
    function test_adl_staleOrExpiredLeg_refused() public {
        _carolWritesTwo(1_200e18);
        _price(6000e8);
        vm.warp(block.timestamp + 2 hours); // surface heartbeat 1 hour
        _price(6000e8);
        vm.prank(deleverager);
        vm.expectPartialRevert(OptionBook.StaleVolSurface.selector);
        ch.autoDeleverage(carol, _counterparties(alice, bob));
        vm.warp(expiry + 1);
        _price(6000e8);
        vm.prank(deleverager);
        vm.expectRevert(abi.encodeWithSelector(OptionBook.NotDeleverageable.selector, carol, CALL_3000));
        ch.autoDeleverage(carol, _counterparties(alice, bob));
    }

    /// A perp and an option leg together: bob's long perp takes carol's short perp (the market row,
    /// `Deleveraged`), alice's long call takes her short call (the options row,
    /// `OptionsDeleveraged`); both charged, carol flat in both.
    function test_adl_perpAndOption_bothRows() public {
        _margin(carol, 1_300e18);
        _settleAs(
            _optionBatch(
                CALL_3000,
                275e18,
                _ot(aliceKey, alice, CALL_3000, 0, 1e18, 280e18, 1),
                _ot(carolKey, carol, CALL_3000, 0, -1e18, 270e18, 1)
            )
        );
        Settlement.Batch memory perp;
        perp.positions = _perpLeg(_pt(carolKey, carol, -1e18, 2990e18, 2), _pt(bobKey, bob, 1e18, 3010e18, 2));
        _settleAs(perp);
        _price(5000e8);
        int256 total0 = _total();
        vm.recordLogs();
        _adl(carol, _counterparties(alice, bob));
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 perpCharges;
        uint256 optionCharges;
        for (uint256 i; i < logs.length; ++i) {
            bytes32 t = logs[i].topics[0];
            if (t == ClearingHouseBase.Deleveraged.selector) {
                (, int256 charge) = abi.decode(logs[i].data, (int256, int256));
                if (charge > 0) {
                    ++perpCharges;
                    assertEq(address(uint160(uint256(logs[i].topics[2]))), bob);
                }
            }
            if (t == ClearingHouseBase.OptionsDeleveraged.selector) {
                ++optionCharges;
                assertEq(address(uint160(uint256(logs[i].topics[2]))), alice);
            }
        }
        assertEq(perpCharges, 1, "bob charged for the perp row");
        assertEq(optionCharges, 1, "alice charged for the options row");
        assertEq(ch.position(carol, ETH).size, 0);
        assertEq(book.positionOf(carol, CALL_3000), 0);
        assertEq(ch.collateral(carol), 0);
        assertEq(_total(), total0);
        _assertBooks();
    }

    /// Fuzz: any gap up and sizes. ADL closes everything, conserves money, charges exactly the loss
    /// beyond the fund (or every counterparty its whole realised profit, the rest uncovered), and
    /// no counterparty ends its closed contracts below its entry premium.
    function testFuzz_adl_conservesAndCapsAtProfit(uint256 priceSeed, uint256 sizeSeed) public {
        int256 size = int256(bound(sizeSeed, 0.2e18, 3e18));
        int256 answer = int256(bound(priceSeed, 4500e8, 12_000e8));
        _margin(carol, uint256(size) * 700);
        _settleAs(
            _optionBatch(
                CALL_3000,
                275e18,
                _ot(aliceKey, alice, CALL_3000, 0, size, 280e18, 1),
                _ot(carolKey, carol, CALL_3000, 0, -size, 270e18, 1)
            )
        );
        _price(answer);
        (int256 eq0,,) = ch.accountHealth(carol);
        int256 fund0 = ch.insuranceFund();
        vm.assume(eq0 + fund0 < 0);
        int256 total0 = _total();
        int256 alice0 = ch.collateral(alice);
        vm.recordLogs();
        _adl(carol, _counterparties(alice, bob));
        (int256[] memory values,) = _deleveragedValues();
        assertEq(values.length, 1);
        int256 received = -values[0];
        int256 gain = ch.collateral(alice) - alice0;
        int256 cost = (size * 275e18 + 1e18 - 1) / 1e18;
        assertGe(gain, cost, "alice closed below her entry");
        int256 charged = received - gain;
        assertGe(charged, 0);
        int256 beyond = -eq0 - fund0;
        if (received - cost >= beyond) assertEq(charged, beyond, "charged the whole loss beyond the fund");
        else assertEq(charged, received - cost, "charged the whole realised profit");
        assertEq(book.positionOf(carol, CALL_3000), 0);
        assertEq(ch.collateral(carol), 0);
        assertEq(_total(), total0);
        _assertBooks();
    }
}
