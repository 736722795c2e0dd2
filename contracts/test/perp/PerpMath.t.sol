// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {PerpMath, Position} from "../../src/perp/PerpMath.sol";

/// @notice Properties of the margin maths (the same ones protocol/margin.test.ts checks in TypeScript).
contract PerpMathTest is Test {
    int256 internal constant WAD = 1e18;

    function _size(int256 s) internal pure returns (int256) {
        s = bound(s, -1e24, 1e24);
        return s == 0 ? int256(1) : s;
    }

    function _price(uint256 p) internal pure returns (int256) {
        return int256(bound(p, 1, 1e24));
    }

    function test_mulDivRounding() public pure {
        assertEq(PerpMath.mulDivFloor(-3, 1, 2), -2);
        assertEq(PerpMath.mulDivFloor(3, 1, 2), 1);
        assertEq(PerpMath.mulDivCeil(3, 1, 2), 2);
        assertEq(PerpMath.mulDivCeil(-3, 1, 2), -1);
    }

    function testFuzz_mulDivBounds(int256 a, int256 b, uint256 d) public pure {
        a = bound(a, -1e36, 1e36);
        b = bound(b, -1e36, 1e36);
        int256 dd = int256(bound(d, 1, 1e36));
        int256 p = a * b;
        int256 f = PerpMath.mulDivFloor(a, b, dd);
        int256 c = PerpMath.mulDivCeil(a, b, dd);
        assertLe(f * dd, p);
        assertGt((f + 1) * dd, p);
        assertGe(c * dd, p);
        assertLt((c - 1) * dd, p);
        assertLe(c - f, 1);
    }

    function testFuzz_openCloseAtOnePrice_neverGains(int256 s, uint256 p) public pure {
        s = _size(s);
        int256 price = _price(p);
        (int256 size, int256 open,) = PerpMath.applyFill(0, 0, s, price);
        (int256 size2, int256 open2, int256 realised) = PerpMath.applyFill(size, open, -s, price);
        assertEq(size2, 0);
        assertEq(open2, 0);
        assertLe(realised, 0);
        assertGe(realised, -2);
    }

    function testFuzz_partialReduce_matchesWhole(int256 s, uint256 p0, uint256 p1, uint256 part) public pure {
        s = _size(s);
        int256 price1 = _price(p1);
        // forge-lint: disable-next-line(unsafe-typecast) -- bounded test values
        int256 fraction = int256(bound(part, 1, uint256(WAD) - 1));
        (int256 size, int256 open,) = PerpMath.applyFill(0, 0, s, _price(p0));
        (,, int256 whole) = PerpMath.applyFill(size, open, -s, price1);
        int256 parts = _inParts(size, open, -(s * fraction) / WAD, price1);
        assertLe(parts - whole, 2);
        assertLe(whole - parts, 2);
    }

    function _inParts(int256 size, int256 open, int256 first, int256 price) internal pure returns (int256) {
        (int256 sa, int256 oa, int256 ra) = PerpMath.applyFill(size, open, first, price);
        (int256 sb,, int256 rb) = PerpMath.applyFill(sa, oa, -sa, price);
        assertEq(sb, 0);
        return ra + rb;
    }

    function test_flip() public pure {
        (int256 size, int256 open,) = PerpMath.applyFill(0, 0, 2e18, 100e18);
        (int256 s2, int256 o2, int256 r) = PerpMath.applyFill(size, open, -5e18, 110e18);
        assertEq(r, 20e18);
        assertEq(s2, -3e18);
        assertEq(o2, -330e18);
        Position memory p = Position(s2, o2, 0);
        assertEq(PerpMath.unrealisedPnl(p, 100e18), 30e18);
    }

    function testFuzz_pendingFunding_roundsAgainstAccount(int256 s, int256 di) public pure {
        s = _size(s);
        di = bound(di, -1e24, 1e24);
        Position memory p = Position(s, 0, 0);
        int256 owed = PerpMath.pendingFunding(p, di);
        // the position never pays less than the exact amount (it pays at least s * di / WAD)
        assertGe(owed * WAD, s * di);
    }

    function testFuzz_liquidationFraction_bounds(uint256 e, uint256 m, uint256 n, uint256 pen) public pure {
        int256 maintenance = int256(bound(m, 1, 1e30));
        // forge-lint: disable-next-line(unsafe-typecast) -- bounded test values
        int256 equity = int256(bound(e, 0, uint256(maintenance))) - 1e18;
        // forge-lint: disable-next-line(unsafe-typecast) -- bounded test values
        int256 totalNotional = int256(bound(n, uint256(maintenance), 1e32));
        int256 penalty = int256(bound(pen, 0, 0.05e18));
        int256 initial = maintenance * 2; // IMF = 2 x MMF, as on the devnet markets
        int256 target = maintenance + (initial - maintenance) / 2;
        int256 f = PerpMath.liquidationFraction(equity, maintenance, initial, totalNotional, penalty);
        if (equity >= maintenance) {
            assertEq(f, 0);
            return;
        }
        assertGt(f, 0);
        assertLe(f, WAD);
        if (f < WAD) {
            // E - f*pen*N >= (1 - f) * T, with the rounding the contract uses on both sides
            int256 penaltyAll = PerpMath.mulDivCeil(totalNotional, penalty, WAD);
            assertGe(equity * WAD - f * penaltyAll, (WAD - f) * target);
        }
    }
}
