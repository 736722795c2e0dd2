// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test, console2} from "forge-std/Test.sol";
import {BlackScholes} from "../../src/options/BlackScholes.sol";
import {PortfolioMargin} from "../../src/options/PortfolioMargin.sol";
import {PortfolioMarginHarness} from "../../src/options/PortfolioMarginHarness.sol";

/// @notice Portfolio margin: hand-checked books, the named errors, fuzzed properties (the
/// requirement covers every scenario's loss computed here independently with BlackScholes,
/// maintenance <= requirement, a long-only book never needs more than its value, a hedge lowers
/// the worst loss) and the gas of a check. Wei equality with TypeScript: test/chain/portfolio-margin.test.ts.
// forge-lint: disable-start(unsafe-typecast)
contract PortfolioMarginTest is Test {
    PortfolioMarginHarness internal h;

    uint256 internal constant DAY = 1 days;
    uint256 internal constant SPOT = 3000e18;

    function setUp() public {
        h = new PortfolioMarginHarness();
    }

    function _params() internal pure returns (PortfolioMargin.Params memory p) {
        p.priceShocks = [int256(0), 0.05e18, -0.05e18, 0.1e18, -0.1e18, 0.15e18, -0.15e18, 0.2e18, -0.2e18];
        p.volShockUp = 0.3e18;
        p.volShockDown = 0.3e18;
        p.shortFloor = 0.01e18;
        p.maintenanceFraction = 0.6e18;
    }

    function _leg(uint256 strike, uint256 t, bool isCall, int256 size, uint256 vol)
        internal
        pure
        returns (PortfolioMargin.OptionLeg memory)
    {
        return PortfolioMargin.OptionLeg({
            strike: strike, secondsToExpiry: t, isCall: isCall, size: size, volatility: vol
        });
    }

    function _one(PortfolioMargin.OptionLeg memory a) internal pure returns (PortfolioMargin.OptionLeg[] memory l) {
        l = new PortfolioMargin.OptionLeg[](1);
        l[0] = a;
    }

    /// The worst loss recomputed here with BlackScholes directly, for books inside the domain, and
    /// how far the library's may differ: its scenario prices take ln(x / K) as ln(spot / K) +
    /// ln(1 + shock), a few wei from BlackScholes' ln(x * 1e18 / K), which moves N(d1) and N(d2)
    /// together (the price changes only at second order) but lands each on another wei: per
    /// contract at most 16 (x + K) / 1e18 wei here, summed over the legs.
    function _independentWorst(uint256 spot, int256 perp, PortfolioMargin.OptionLeg[] memory legs)
        internal
        pure
        returns (int256 worst, int256 tolerance)
    {
        tolerance = _tolerance(spot, legs);
        PortfolioMargin.Params memory p = _params();
        worst = type(int256).min;
        for (uint256 s; s < 9; ++s) {
            uint256 shocked = uint256(int256(spot) * (1e18 + p.priceShocks[s]) / 1e18);
            for (uint256 up; up < 2; ++up) {
                int256 loss = perp * (int256(spot) - int256(shocked));
                for (uint256 i; i < legs.length; ++i) {
                    PortfolioMargin.OptionLeg memory l = legs[i];
                    uint256 v = up == 1 ? l.volatility * 13 / 10 : l.volatility * 7 / 10;
                    if (v > 5e18) v = 5e18;
                    if (v < 0.01e18) v = 0.01e18;
                    uint256 p0 = l.isCall
                        ? BlackScholes.callPrice(spot, l.strike, l.secondsToExpiry, l.volatility)
                        : BlackScholes.putPrice(spot, l.strike, l.secondsToExpiry, l.volatility);
                    uint256 p1 = l.isCall
                        ? BlackScholes.callPrice(shocked, l.strike, l.secondsToExpiry, v)
                        : BlackScholes.putPrice(shocked, l.strike, l.secondsToExpiry, v);
                    loss += l.size * (int256(p0) - int256(p1));
                }
                loss = loss / 1e18; // truncated: the library rounds up, so it must be >= this
                if (loss > worst) worst = loss;
            }
        }
    }

    function _tolerance(uint256 spot, PortfolioMargin.OptionLeg[] memory legs) internal pure returns (int256 t) {
        for (uint256 i; i < legs.length; ++i) {
            int256 abs = legs[i].size < 0 ? -legs[i].size : legs[i].size;
            t += abs * 16 * int256(spot * 12 / 10 + legs[i].strike + 1e18) / 1e36 + 1;
        }
    }

    // ---- hand-checked -------------------------------------------------------------------------

    function test_perpAloneLosesItsWorstShock() public view {
        PortfolioMargin.OptionLeg[] memory none = new PortfolioMargin.OptionLeg[](0);
        PortfolioMargin.Result memory r = h.margin(SPOT, 2e18, none, _params());
        // long 2 at 3000: worst is -20%, 2 * 600
        assertEq(r.worstLoss, 1200e18);
        assertEq(r.requirement, 1200e18);
        assertEq(r.maintenance, 720e18);
        assertEq(r.worstScenario / 2, 8);
        r = h.margin(SPOT, -1e18, none, _params());
        assertEq(r.requirement, 600e18);
        assertEq(r.worstScenario / 2, 7);
    }

    function test_emptyBookNeedsNothing() public view {
        PortfolioMargin.Result memory r = h.margin(SPOT, 0, new PortfolioMargin.OptionLeg[](0), _params());
        assertEq(r.requirement, 0);
        assertEq(r.maintenance, 0);
        assertEq(r.worstLoss, 0);
    }

    function test_shortOptionFloor() public view {
        // a short put far out of the money (strike spot / 3.5): scenario losses tiny, the floor dominates
        PortfolioMargin.OptionLeg[] memory l = _one(_leg(SPOT * 2 / 7, 7 * DAY, false, -3e18, 0.5e18));
        PortfolioMargin.Result memory r = h.margin(SPOT, 0, l, _params());
        assertEq(r.shortFloorAmount, 90e18); // 3 contracts * 3000 * 1%
        assertEq(r.requirement, uint256(r.worstLoss > 0 ? r.worstLoss : int256(0)) + 90e18);
        assertLt(r.worstLoss, 1e18);
    }

    function test_hedgedBookIsMateriallyCheaper() public view {
        PortfolioMargin.Params memory p = _params();
        BlackScholes.Result memory bs = BlackScholes.evaluate(SPOT, SPOT, 30 * DAY, 0.6e18);
        PortfolioMargin.OptionLeg[] memory call = _one(_leg(SPOT, 30 * DAY, true, 1e18, 0.6e18));
        uint256 callAlone = h.margin(SPOT, 0, call, p).requirement;
        uint256 perpAlone = h.margin(SPOT, -int256(bs.callDelta), new PortfolioMargin.OptionLeg[](0), p).requirement;
        uint256 hedged = h.margin(SPOT, -int256(bs.callDelta), call, p).requirement;
        console2.log("call alone", callAlone, "perp alone", perpAlone);
        console2.log("hedged", hedged);
        assertLt(hedged * 4, callAlone + perpAlone); // under a quarter of the standalone sum
    }

    function test_outsideDomainIsBoundedConservatively() public view {
        // a call struck at spot / 3.9: the -20% shocks push spot/strike past 4 only for higher
        // shocks; strike at spot / 4.5 is outside at the current spot already (priced by bounds)
        PortfolioMargin.Params memory p = _params();
        PortfolioMargin.OptionLeg[] memory l = _one(_leg(SPOT * 2 / 9, 30 * DAY, true, 1e18, 0.8e18));
        PortfolioMargin.Result memory r = h.margin(SPOT, 0, l, p);
        // long deep ITM call: loss at -20% is at least intrinsic difference 600 and the value now is an upper bound
        assertGe(r.worstLoss, 600e18);
        // short: the requirement covers the true worst loss (at +20%, about +600)
        l[0].size = -1e18;
        r = h.margin(SPOT, 0, l, p);
        assertGe(r.worstLoss, 600e18);
        // under 60 s to expiry: no revert, intrinsic-based bounds
        l[0] = _leg(SPOT, 30, true, -1e18, 0.8e18);
        r = h.margin(SPOT, 0, l, p);
        assertGe(r.worstLoss, 600e18);
    }

    // ---- named errors ---------------------------------------------------------------------------

    function test_namedErrors() public {
        PortfolioMargin.Params memory p = _params();
        PortfolioMargin.OptionLeg[] memory five = new PortfolioMargin.OptionLeg[](5);
        for (uint256 i; i < 5; ++i) {
            five[i] = _leg(SPOT, DAY, true, 1e18, 0.5e18);
        }
        vm.expectRevert(abi.encodeWithSelector(PortfolioMargin.TooManyLegs.selector, 5));
        h.margin(SPOT, 0, five, p);
        PortfolioMargin.OptionLeg[] memory l = _one(_leg(SPOT, DAY, true, 1e18, 0.5e18));
        vm.expectRevert(abi.encodeWithSelector(PortfolioMargin.SpotOutOfRange.selector, 1e10 - 1));
        h.margin(1e10 - 1, 0, l, p);
        vm.expectRevert(abi.encodeWithSelector(PortfolioMargin.PerpSizeOutOfRange.selector, int256(1e36 + 1)));
        h.margin(SPOT, 1e36 + 1, l, p);
        l[0].strike = 4e9 - 1;
        vm.expectRevert(abi.encodeWithSelector(PortfolioMargin.StrikeOutOfRange.selector, 0, 4e9 - 1));
        h.margin(SPOT, 0, l, p);
        l[0] = _leg(SPOT, 0, true, 1e18, 0.5e18);
        vm.expectRevert(abi.encodeWithSelector(PortfolioMargin.ExpiryOutOfRange.selector, 0, 0));
        h.margin(SPOT, 0, l, p);
        l[0] = _leg(SPOT, DAY, true, 1e18, 5e18 + 1);
        vm.expectRevert(abi.encodeWithSelector(PortfolioMargin.VolatilityOutOfRange.selector, 0, 5e18 + 1));
        h.margin(SPOT, 0, l, p);
        l[0] = _leg(SPOT, DAY, true, -1e36 - 1, 0.5e18);
        vm.expectRevert(abi.encodeWithSelector(PortfolioMargin.SizeOutOfRange.selector, 0, -1e36 - 1));
        h.margin(SPOT, 0, l, p);
        l[0] = _leg(SPOT, DAY, true, 1e18, 0.5e18);
        p.volShockDown = 0.99e18 + 1;
        vm.expectRevert(PortfolioMargin.InvalidParams.selector);
        h.margin(SPOT, 0, l, p);
    }

    // ---- fuzz -----------------------------------------------------------------------------------

    /// A random book of 1-4 legs inside the domain at every shock (moneyness 0.33..3).
    function _book(uint256 seed, uint256 spot) internal pure returns (PortfolioMargin.OptionLeg[] memory legs) {
        uint256 n = 1 + seed % 4;
        legs = new PortfolioMargin.OptionLeg[](n);
        for (uint256 i; i < n; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            uint256 strike = spot * (0.4e18 + (r % 2.1e18)) / 1e18;
            uint256 t = 3600 + (r >> 64) % (365 * DAY);
            int256 size = int256((r >> 128) % 10e18) - 5e18;
            if (size == 0) size = 1;
            uint256 vol = 0.1e18 + (r >> 192) % 1.5e18;
            legs[i] = _leg(strike, t, (r >> 100) & 1 == 1, size, vol);
        }
    }

    function testFuzz_requirementCoversEveryScenario(uint256 seed, uint256 spotSeed, int256 perpSeed) public view {
        uint256 spot = bound(spotSeed, 1e12, 1e30);
        int256 perp = int256(bound(uint256(perpSeed >> 1), 0, 20e18)) - 10e18;
        PortfolioMargin.OptionLeg[] memory legs = _book(seed, spot);
        PortfolioMargin.Result memory r = h.margin(spot, perp, legs, _params());
        (int256 worst, int256 tolerance) = _independentWorst(spot, perp, legs);
        // inside the domain the only differences are the rounding and the shared ln (tolerance)
        assertGe(r.worstLoss, worst - tolerance);
        assertLe(r.worstLoss, worst + 1 + tolerance);
        assertGe(int256(r.requirement), worst - tolerance);
        assertLe(r.maintenance, r.requirement);
        // and the requirement is the worst loss plus the floor, exactly
        assertEq(r.requirement, (r.worstLoss > 0 ? uint256(r.worstLoss) : 0) + r.shortFloorAmount);
        assertEq(h.scenarioLoss(spot, perp, legs, _params(), r.worstScenario), r.worstLoss);
    }

    function testFuzz_longOnlyNeverAboveItsValue(uint256 seed, uint256 spotSeed) public view {
        uint256 spot = bound(spotSeed, 1e12, 1e30);
        PortfolioMargin.OptionLeg[] memory legs = _book(seed, spot);
        int256 value36;
        for (uint256 i; i < legs.length; ++i) {
            if (legs[i].size < 0) legs[i].size = -legs[i].size;
            value36 += legs[i].size * int256(PortfolioMargin.value(spot, legs[i], legs[i].volatility, true));
        }
        PortfolioMargin.Result memory r = h.margin(spot, 0, legs, _params());
        assertEq(r.shortFloorAmount, 0);
        assertLe(r.requirement, uint256((value36 + 1e18 - 1) / 1e18));
    }

    /// Far outside the domain too (strikes spot/10 .. 10 spot, expiries from 1 s): a short leg's
    /// worst loss is at least its scenario's intrinsic value minus the upper bound of its value now
    /// (the true loss is at least that: the true price there is at least intrinsic, the true price
    /// now at most the bound); a long leg's is at least its value now (lower bound) minus the upper
    /// bound of its value in the scenario.
    function testFuzz_outsideDomainBoundsAreConservative(uint256 seed, uint256 spotSeed) public view {
        uint256 spot = bound(spotSeed, 1e12, 1e30);
        uint256 r0 = uint256(keccak256(abi.encode(seed)));
        uint256 strike = spot * (0.1e18 + r0 % 9.9e18) / 1e18;
        uint256 t = 1 + (r0 >> 64) % (30 * DAY);
        int256 size = (r0 >> 128) & 1 == 1 ? int256(1e18) : -1e18;
        PortfolioMargin.OptionLeg[] memory legs = _one(_leg(strike, t, (r0 >> 129) & 1 == 1, size, 0.8e18));
        PortfolioMargin.Params memory p = _params();
        PortfolioMargin.Result memory r = h.margin(spot, 0, legs, p);
        // inside the domain the grid's prices may differ from BlackScholes' by _tolerance
        int256 tol = _tolerance(spot * 15 / 10, legs);
        for (uint256 s; s < 9; ++s) {
            uint256 shocked = uint256(int256(spot) * (1e18 + p.priceShocks[s]) / 1e18);
            for (uint256 up; up < 2; ++up) {
                uint256 vol = PortfolioMargin.shockedVol(0.8e18, p, up == 1);
                if (size < 0) {
                    uint256 intrinsic = legs[0].isCall
                        ? (shocked > strike ? shocked - strike : 0)
                        : (strike > shocked ? strike - shocked : 0);
                    uint256 upperNow = PortfolioMargin.value(spot, legs[0], 0.8e18, true);
                    assertGe(r.worstLoss, int256(intrinsic) - int256(upperNow) - tol);
                } else {
                    uint256 lowerNow = PortfolioMargin.value(spot, legs[0], 0.8e18, false);
                    uint256 upperThen = PortfolioMargin.value(shocked, legs[0], vol, true);
                    assertGe(r.worstLoss, int256(lowerNow) - int256(upperThen) - tol);
                }
            }
        }
        assertLe(r.maintenance, r.requirement);
    }

    /// The grid shares ln(1 + shock), ln(spot / K) and the square roots across legs and scenarios;
    /// scenarioLoss computes each of them again for its one scenario (and _value's bounds outside
    /// the domain). They agree to the wei in every scenario, outside the domain too.
    function testFuzz_sharedPricingEqualsScenarioLoss(uint256 seed, uint256 spotSeed, int256 perpSeed) public view {
        uint256 spot = bound(spotSeed, 1e12, 1e30);
        int256 perp = int256(bound(uint256(perpSeed >> 1), 0, 20e18)) - 10e18;
        PortfolioMargin.OptionLeg[] memory legs = _book(seed, spot);
        // widen the first leg's strike beyond the domain at some shocks
        legs[0].strike = spot * (0.2e18 + (seed >> 8) % 4.6e18) / 1e18;
        PortfolioMargin.Result memory r = h.margin(spot, perp, legs, _params());
        int256 worst = type(int256).min;
        for (uint256 j; j < 18; ++j) {
            int256 l = h.scenarioLoss(spot, perp, legs, _params(), j);
            if (l > worst) worst = l;
        }
        assertEq(r.worstLoss, worst);
    }

    /// Anywhere in the accepted input range (any spot, any strike, largest sizes, 1 s .. 2 years,
    /// vol 1-500%) a check never reverts, never overflows (scenarioLoss is checked arithmetic and
    /// agrees), and the requirement is at least every scenario's loss.
    function testFuzz_wholeInputRange(uint256 seed, uint256 spotSeed, bool bigPerp) public view {
        uint256 spot = bound(spotSeed, 1e10, 1e35);
        uint256 n = 1 + seed % 4;
        PortfolioMargin.OptionLeg[] memory legs = new PortfolioMargin.OptionLeg[](n);
        for (uint256 i; i < n; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            legs[i] = _leg(
                4e9 + r % (2.5e35 - 4e9 + 1),
                1 + (r >> 128) % (2 * 365 * DAY),
                (r >> 200) & 1 == 1,
                (r >> 201) & 1 == 1 ? int256(1e36) : -1e36,
                0.01e18 + (r >> 64) % (5e18 - 0.01e18 + 1)
            );
        }
        int256 perp = bigPerp ? int256(1e36) : -1e36;
        PortfolioMargin.Result memory r = h.margin(spot, perp, legs, _params());
        for (uint256 j; j < 18; ++j) {
            assertLe(h.scenarioLoss(spot, perp, legs, _params(), j), r.worstLoss);
        }
        assertLe(r.maintenance, r.requirement);
    }

    /// A long call plus a short perp at its delta has a lower worst loss than the call alone's perp
    /// twin: adding the offsetting perp to a naked short perp (or the call to it) never raises it.
    function testFuzz_hedgeLowersTheWorstLoss(uint256 volSeed, uint256 tSeed) public view {
        uint256 vol = bound(volSeed, 0.2e18, 1.5e18);
        uint256 t = bound(tSeed, 7 * DAY, 180 * DAY);
        PortfolioMargin.Params memory p = _params();
        BlackScholes.Result memory bs = BlackScholes.evaluate(SPOT, SPOT, t, vol);
        int256 hedge = -int256(bs.callDelta);
        PortfolioMargin.OptionLeg[] memory none = new PortfolioMargin.OptionLeg[](0);
        PortfolioMargin.OptionLeg[] memory call = _one(_leg(SPOT, t, true, 1e18, vol));
        int256 perpAlone = h.margin(SPOT, hedge, none, p).worstLoss;
        int256 hedged = h.margin(SPOT, hedge, call, p).worstLoss;
        assertLe(hedged, perpAlone);
        // a short call hedged by a long perp at its delta: the hedge lowers the short call's worst loss
        call[0].size = -1e18;
        int256 shortAlone = h.margin(SPOT, 0, call, p).worstLoss;
        assertLe(h.margin(SPOT, -hedge, call, p).worstLoss, shortAlone);
    }

    // ---- gas ------------------------------------------------------------------------------------

    function test_gas() public view {
        PortfolioMargin.Params memory p = _params();
        for (uint256 n = 1; n <= PortfolioMargin.MAX_OPTION_LEGS; ++n) {
            PortfolioMargin.OptionLeg[] memory legs = new PortfolioMargin.OptionLeg[](n);
            for (uint256 i; i < n; ++i) {
                legs[i] = _leg(
                    SPOT * (8 + i) / 10, (7 + 20 * i) * DAY, i % 2 == 0, i % 2 == 0 ? int256(1e18) : -2e18, 0.6e18
                );
            }
            (uint256 gasUsed,) = h.marginGas(SPOT, -1e18, legs, p);
            console2.log("options + 1 perp", n, "gas", gasUsed);
            if (n == 4) assertLe(gasUsed, 300_000);
        }
    }
}
// forge-lint: disable-end(unsafe-typecast)
