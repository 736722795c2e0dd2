// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test, console2} from "forge-std/Test.sol";
import {BlackScholes} from "../../src/options/BlackScholes.sol";
import {BlackScholesHarness} from "../../src/options/BlackScholesHarness.sol";

/// @notice Unit values against float64 Black-Scholes, the domain's reverts, and fuzzed no-arbitrage
/// properties: monotonicity, put-call parity, price bounds. The float64 accuracy sweep over the
/// whole grid is test/bench/options.ts; the wei equality with TypeScript is test/chain/black-scholes.test.ts.
contract BlackScholesTest is Test {
    BlackScholesHarness internal h;

    uint256 internal constant HOUR = 3600;
    uint256 internal constant YEAR = 365 days;

    function setUp() public {
        h = new BlackScholesHarness();
    }

    /// Slack for comparisons the exact formula satisfies: the CDF is within 6.2e-16 of N, so a
    /// price is within (spot + strike) * 6.2e-16 plus a few wei of truncation of the exact value;
    /// two prices compared can therefore disagree with the true order by twice that (1.24e-15,
    /// rounded up to 1.3e-15).
    function _tol(uint256 spot, uint256 strike) internal pure returns (uint256) {
        return (spot + strike) * 13 / 1e16 + 8;
    }

    function _domain(uint256 spot, uint256 ratio, uint256 t, uint256 vol)
        internal
        pure
        returns (uint256 s, uint256 k, uint256 tau, uint256 sigma)
    {
        s = bound(spot, 1e12, 1e30);
        // strike = spot * ratio, ratio in [0.26, 3.9], away from the moneyness limits so a nudged
        // spot or strike stays inside the domain.
        k = s * bound(ratio, 0.26e18, 3.9e18) / 1e18;
        tau = bound(t, 60, 2 * YEAR - 1 days);
        sigma = bound(vol, 0.01e18, 4.9e18);
    }

    // ------------------------------------------------------------------ units against float64

    function test_atTheMoney_oneYear_twentyPercent() public view {
        BlackScholes.Result memory r = h.evaluate(100e18, 100e18, YEAR, 0.2e18);
        // float64: call = put = 7.965567455405804, N(d1) = 0.539827837277029, vega = 39.695254747701185
        assertApproxEqAbs(r.call, 7.965567455405804e18, 1e11, "call within 1e-9 of spot");
        assertApproxEqAbs(r.put, 7.965567455405804e18, 1e11, "put within 1e-9 of spot");
        assertApproxEqAbs(r.callDelta, 0.539827837277029e18, 1e3, "delta");
        assertApproxEqAbs(r.vega, 39.695254747701185e18, 1e5, "vega");
    }

    function test_outOfTheMoney_thirtyDays() public view {
        BlackScholes.Result memory r = h.evaluate(3000e18, 3300e18, 30 days, 0.8e18);
        // float64: call 161.94070634065577, put 461.9407063406559, N(d1) 0.3817511423858947, vega 327.9342709007711
        assertApproxEqAbs(r.call, 161.94070634065577e18, 3e12, "call within 1e-9 of spot");
        assertApproxEqAbs(r.put, 461.9407063406559e18, 3e12, "put within 1e-9 of spot");
        assertApproxEqAbs(r.callDelta, 0.3817511423858947e18, 1e3, "delta");
        assertApproxEqAbs(r.vega, 327.9342709007711e18, 1e6, "vega");
    }

    function test_deepInTheMoneyPut_shortExpiry_isIntrinsic() public view {
        // spot 1, strike 2, one hour at 150%: d2 is about 46 standard deviations out.
        BlackScholes.Result memory r = h.evaluate(1e18, 2e18, HOUR, 1.5e18);
        assertEq(r.call, 0);
        assertEq(r.put, 1e18);
        assertEq(r.callDelta, 0);
        assertEq(r.vega, 0);
    }

    function test_cdf_knownValues() public view {
        assertApproxEqAbs(h.cdf(0), 0.5e18, 1e3);
        assertApproxEqAbs(h.cdf(1e18), 0.8413447460685429e18, 1e3);
        assertApproxEqAbs(h.cdf(0.3e18), 0.6179114221889526e18, 1e3);
        assertApproxEqAbs(h.cdf(-1.96e18), 0.024997895148220435e18, 1e3);
        assertApproxEqAbs(h.cdf(3e18), 0.9986501019683699e18, 1e3);
        assertEq(h.cdf(9e18), 1e18);
        assertEq(h.cdf(-9e18), 0);
    }

    function test_ln_knownValues() public view {
        assertEq(h.ln(1e18), 0);
        assertApproxEqAbs(h.ln(2e18), 693147180559945309, 20);
        assertApproxEqAbs(h.ln(0.25e18), -1386294361119890618, 20);
        assertApproxEqAbs(h.ln(3e18), 1098612288668109691, 20);
    }

    function testFuzz_cdf_isAProbabilityAndSymmetric(int256 x) public view {
        x = bound(x, -10e18, 10e18);
        int256 p = h.cdf(x);
        assertGe(p, 0);
        assertLe(p, 1e18);
        // N(x) + N(-x) = 1 up to the polynomial error at both points.
        assertApproxEqAbs(p + h.cdf(-x), 1e18, 2e3);
    }

    function testFuzz_sqrt_isTheFloor(uint256 x) public pure {
        uint256 s = BlackScholes.sqrt(x);
        assertLe(s, type(uint128).max);
        assertLe(s * s, x);
        if (s < type(uint128).max) assertGt((s + 1) * (s + 1), x);
    }

    /// Around every power of two and every perfect square near one, where a Newton step that
    /// stopped early would land one above the floor.
    function test_sqrt_aroundPowersAndSquares() public pure {
        for (uint256 b = 2; b < 256; ++b) {
            uint256 x = uint256(1) << b;
            _assertFloorSqrt(x);
            _assertFloorSqrt(x - 1);
            _assertFloorSqrt(x + 1);
            uint256 r = uint256(1) << (b / 2);
            if (r < type(uint128).max) {
                _assertFloorSqrt(r * r);
                _assertFloorSqrt(r * r - 1);
                _assertFloorSqrt((r + 1) * (r + 1) - 1);
            }
        }
    }

    function _assertFloorSqrt(uint256 x) internal pure {
        uint256 s = BlackScholes.sqrt(x);
        assertLe(s * s, x);
        if (s < type(uint128).max) assertGt((s + 1) * (s + 1), x);
    }

    function test_sqrt_smallAndLargest() public pure {
        for (uint256 x = 0; x < 100; x++) {
            uint256 s = BlackScholes.sqrt(x);
            assertTrue(s * s <= x && (s + 1) * (s + 1) > x);
        }
        assertEq(BlackScholes.sqrt(type(uint256).max), type(uint128).max);
    }

    // ------------------------------------------------------------------ domain

    function test_revertsOutsideDomain() public {
        vm.expectRevert(abi.encodeWithSelector(BlackScholes.PriceOutOfRange.selector, 1e8, 1e8));
        h.callPrice(1e8, 1e8, YEAR, 0.5e18);
        vm.expectRevert(abi.encodeWithSelector(BlackScholes.PriceOutOfRange.selector, 1e18, 1e37));
        h.callPrice(1e18, 1e37, YEAR, 0.5e18);
        vm.expectRevert(abi.encodeWithSelector(BlackScholes.MoneynessOutOfRange.selector, 100e18, 401e18));
        h.callPrice(100e18, 401e18, YEAR, 0.5e18);
        vm.expectRevert(abi.encodeWithSelector(BlackScholes.MoneynessOutOfRange.selector, 401e18, 100e18));
        h.putPrice(401e18, 100e18, YEAR, 0.5e18);
        vm.expectRevert(abi.encodeWithSelector(BlackScholes.VolatilityOutOfRange.selector, 0.009e18));
        h.callPrice(100e18, 100e18, YEAR, 0.009e18);
        vm.expectRevert(abi.encodeWithSelector(BlackScholes.VolatilityOutOfRange.selector, 5.01e18));
        h.callPrice(100e18, 100e18, YEAR, 5.01e18);
        vm.expectRevert(abi.encodeWithSelector(BlackScholes.ExpiryOutOfRange.selector, 59));
        h.evaluate(100e18, 100e18, 59, 0.5e18);
        vm.expectRevert(abi.encodeWithSelector(BlackScholes.ExpiryOutOfRange.selector, 2 * YEAR + 1));
        h.evaluate(100e18, 100e18, 2 * YEAR + 1, 0.5e18);
    }

    function test_domainEdgesPrice() public view {
        // The corners of the domain evaluate (no overflow, no revert) and respect the bounds.
        uint256[2] memory spots = [uint256(1e9), 1e36];
        for (uint256 i = 0; i < 2; i++) {
            uint256 s = spots[i];
            uint256[2] memory strikes = [s / 4 < 1e9 ? 1e9 : s / 4, s * 4 > 1e36 ? 1e36 : s * 4];
            for (uint256 j = 0; j < 2; j++) {
                BlackScholes.Result memory lo = h.evaluate(s, strikes[j], 60, 0.01e18);
                BlackScholes.Result memory hi = h.evaluate(s, strikes[j], 2 * YEAR, 5e18);
                assertLe(lo.call, s);
                assertLe(hi.call, s);
                assertLe(lo.put, strikes[j]);
                assertLe(hi.put, strikes[j]);
            }
        }
    }

    // ------------------------------------------------------------------ no-arbitrage properties

    function testFuzz_boundsAndParity(uint256 spot, uint256 ratio, uint256 t, uint256 vol) public view {
        (uint256 s, uint256 k, uint256 tau, uint256 sigma) = _domain(spot, ratio, t, vol);
        BlackScholes.Result memory r = h.evaluate(s, k, tau, sigma);
        uint256 tol = _tol(s, k);
        assertLe(r.call, s, "call <= spot");
        assertLe(r.put, k, "put <= strike");
        // Rate zero: call - put = spot - strike. Both come from the same N(d1), N(d2), so only the
        // four truncations (and a clamp at 0 of a price below the error bound) separate them.
        assertApproxEqAbs(int256(r.call) - int256(r.put), int256(s) - int256(k), tol, "put-call parity");
        if (r.call > tol && r.put > tol) {
            assertApproxEqAbs(int256(r.call) - int256(r.put), int256(s) - int256(k), 4, "parity to 4 wei");
        }
        // Never below intrinsic value.
        assertGe(r.call + tol, s > k ? s - k : 0, "call >= intrinsic");
        assertGe(r.put + tol, k > s ? k - s : 0, "put >= intrinsic");
        assertLe(r.callDelta, 1e18);
    }

    function testFuzz_monotoneInSpot(uint256 spot, uint256 ratio, uint256 t, uint256 vol, uint256 bump) public view {
        (uint256 s, uint256 k, uint256 tau, uint256 sigma) = _domain(spot, ratio, t, vol);
        uint256 s2 = s + s * bound(bump, 1, 0.02e18) / 1e18; // up to 2% higher, ratio stays in the domain
        uint256 tol = _tol(s2, k);
        assertGe(h.callPrice(s2, k, tau, sigma) + tol, h.callPrice(s, k, tau, sigma), "call rises with spot");
        assertLe(h.putPrice(s2, k, tau, sigma), h.putPrice(s, k, tau, sigma) + tol, "put falls with spot");
    }

    function testFuzz_monotoneInStrike(uint256 spot, uint256 ratio, uint256 t, uint256 vol, uint256 bump)
        public
        view
    {
        (uint256 s, uint256 k, uint256 tau, uint256 sigma) = _domain(spot, ratio, t, vol);
        uint256 k2 = k + k * bound(bump, 1, 0.02e18) / 1e18;
        uint256 tol = _tol(s, k2);
        assertLe(h.callPrice(s, k2, tau, sigma), h.callPrice(s, k, tau, sigma) + tol, "call falls with strike");
        assertGe(h.putPrice(s, k2, tau, sigma) + tol, h.putPrice(s, k, tau, sigma), "put rises with strike");
    }

    function testFuzz_monotoneInVolatility(uint256 spot, uint256 ratio, uint256 t, uint256 vol, uint256 bump)
        public
        view
    {
        (uint256 s, uint256 k, uint256 tau, uint256 sigma) = _domain(spot, ratio, t, vol);
        uint256 sigma2 = sigma + bound(bump, 1, 0.1e18);
        uint256 tol = _tol(s, k);
        assertGe(h.callPrice(s, k, tau, sigma2) + tol, h.callPrice(s, k, tau, sigma), "call rises with vol");
        assertGe(h.putPrice(s, k, tau, sigma2) + tol, h.putPrice(s, k, tau, sigma), "put rises with vol");
    }

    function testFuzz_monotoneInTime(uint256 spot, uint256 ratio, uint256 t, uint256 vol, uint256 bump) public view {
        (uint256 s, uint256 k, uint256 tau, uint256 sigma) = _domain(spot, ratio, t, vol);
        uint256 tau2 = tau + bound(bump, 1, 1 days);
        uint256 tol = _tol(s, k);
        assertGe(h.callPrice(s, k, tau2, sigma) + tol, h.callPrice(s, k, tau, sigma), "call rises with time");
        assertGe(h.putPrice(s, k, tau2, sigma) + tol, h.putPrice(s, k, tau, sigma), "put rises with time");
    }

    // ------------------------------------------------------------------ gas

    /// Gas of one evaluation measured inside the EVM (gasleft() deltas in the harness), logged and
    /// held under a budget so a regression shows.
    function test_gasPerEvaluation() public view {
        uint256[4][4] memory cases = [
            [uint256(100e18), 100e18, YEAR, 0.2e18],
            [uint256(3000e18), 3300e18, 30 days, 0.8e18],
            [uint256(1e18), 0.5e18, HOUR, 0.1e18],
            [uint256(60_000e18), 120_000e18, 7 days, 2e18]
        ];
        for (uint256 i = 0; i < cases.length; i++) {
            (uint256 callGas, uint256 evalGas) = h.evaluateGas(cases[i][0], cases[i][1], cases[i][2], cases[i][3]);
            console2.log("callPrice gas", callGas, "evaluate (call, put, delta, vega) gas", evalGas);
            assertLt(callGas, 4500);
            assertLt(evalGas, 6000);
        }
    }
}
