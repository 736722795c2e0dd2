// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test, console2} from "forge-std/Test.sol";
import {StableSwapPool} from "../src/liquidity/StableSwapPool.sol";
import {MintableERC20} from "./utils/Tokens.sol";

/// @notice First-depositor share inflation and LP rounding against StableSwapPool.
///
/// The pool accounts in tracked reserves, so a plain token transfer does not move the share price,
/// but `swap` turns the whole tokenIn balance into reserve: transfer X, swap 1 wei, and X is donated
/// to the LPs. An attacker who owns (almost) all of a tiny supply can so make one share worth as
/// much as a victim's deposit, and the victim's mint rounds down to nothing.
///
/// What the locked MINIMUM_LIQUIDITY buys (Uniswap V2's argument): the attacker can no longer own
/// the whole supply, so every unit of value donated per share also accrues to the 1000 locked
/// shares for good. Rounding still costs a victim up to one share's worth, but making a share worth
/// X costs the attacker at least ~1000·X: no profit, and griefing at a 1000:1 ratio. That is the
/// documented dust: victimLoss · GRIEF_RATIO <= attackerLoss (+ a few wei of swap rounding).
contract StableSwapInflationTest is Test {
    uint256 internal constant GRIEF_RATIO = 1000;
    uint256 internal constant SWAP_DUST = 1000; // wei the 1-wei donation swaps may move either way

    MintableERC20 internal t0;
    MintableERC20 internal t1;
    StableSwapPool internal pool;
    address internal attacker = makeAddr("attacker");
    address internal victim = makeAddr("victim");

    function setUp() public {
        t0 = new MintableERC20("USDA", "USDA", 18);
        t1 = new MintableERC20("USDB", "USDB", 18);
        pool = new StableSwapPool(address(t0), address(t1), 18, 18, 200, 4e6); // A = 200, fee 4 bp
        for (uint256 i; i < 2; ++i) {
            address who = i == 0 ? attacker : victim;
            vm.startPrank(who);
            t0.approve(address(pool), type(uint256).max);
            t1.approve(address(pool), type(uint256).max);
            vm.stopPrank();
        }
    }

    // ---------------------------------------------------------------- helpers

    function _holdings(address who) internal view returns (uint256) {
        return t0.balanceOf(who) + t1.balanceOf(who); // both 18 decimals, pegged: value at 1:1
    }

    function _add(address who, uint256 a0, uint256 a1, uint256 minMinted) internal returns (bool ok, uint256 minted) {
        vm.prank(who);
        try pool.addLiquidity(a0, a1, minMinted, who) returns (uint256 m) {
            return (true, m);
        } catch {
            return (false, 0);
        }
    }

    function _removeAll(address who) internal {
        uint256 shares = pool.balanceOf(who);
        if (shares == 0) return;
        vm.prank(who);
        pool.removeLiquidity(shares, 0, 0, who);
    }

    /// @dev Donates to the LPs through `swap`'s "whole balance becomes reserve" until both reserves
    /// reach `target`: transfer to the pool, swap 1 wei. Alternates sides, never past 2:1, so each
    /// 1-wei swap trades near the peg and pays out (almost) nothing.
    function _donateUpTo(address who, uint256 target) internal {
        for (uint256 i; i < 512; ++i) {
            uint256 r0 = pool.reserve0();
            uint256 r1 = pool.reserve1();
            if (r0 >= target && r1 >= target) return;
            if (r0 <= r1) _donateStep(who, t0, t1, r0, r1, target);
            else _donateStep(who, t1, t0, r1, r0, target);
        }
        revert("donation did not converge");
    }

    function _donateStep(address who, MintableERC20 tin, MintableERC20 tout, uint256 rIn, uint256 rOut, uint256 target)
        internal
    {
        uint256 next = 2 * rOut < target ? 2 * rOut : target;
        if (next <= rIn) next = rIn + 1;
        vm.startPrank(who);
        // forge-lint: disable-next-line(erc20-unchecked-transfer) -- test token reverts on failure
        tin.transfer(address(pool), next - rIn);
        pool.swap(address(tin), address(tout), 1, 0, who);
        vm.stopPrank();
    }

    struct Outcome {
        bool victimMinted;
        uint256 victimShares;
        int256 attackerProfit;
        int256 victimLoss;
    }

    /// @dev The whole attack on a fresh pool: seed, burn down to one share, donate, victim deposits
    /// `victimAmount` of each token with `victimMin` as its slippage bound, everybody exits.
    function _attack(uint256 seed, uint256 donationTarget, uint256 victimAmount, uint256 victimMin)
        internal
        returns (Outcome memory o)
    {
        uint256 budget = seed + donationTarget + 1e18;
        t0.mint(attacker, budget);
        t1.mint(attacker, budget);
        t0.mint(victim, victimAmount);
        t1.mint(victim, victimAmount);
        uint256 attackerStart = _holdings(attacker);
        uint256 victimStart = _holdings(victim);

        (bool seeded,) = _add(attacker, seed, seed, 0);
        require(seeded, "seed deposit failed");
        uint256 own = pool.balanceOf(attacker);
        if (own > 1) {
            vm.prank(attacker);
            pool.removeLiquidity(own - 1, 0, 0, attacker);
        }
        _donateUpTo(attacker, donationTarget);

        (o.victimMinted, o.victimShares) = _add(victim, victimAmount, victimAmount, victimMin);

        _removeAll(attacker);
        _removeAll(victim);
        o.attackerProfit = int256(_holdings(attacker)) - int256(attackerStart);
        o.victimLoss = int256(victimStart) - int256(_holdings(victim));
    }

    function _assertNoTheft(Outcome memory o) internal pure {
        assertLe(o.attackerProfit, int256(SWAP_DUST), "attacker profited");
        int256 attackerLoss = o.attackerProfit < 0 ? -o.attackerProfit : int256(0);
        assertLe(
            o.victimLoss * int256(GRIEF_RATIO),
            attackerLoss + int256(SWAP_DUST * GRIEF_RATIO),
            "victim lost more than dust"
        );
    }

    // ---------------------------------------------------------------- the attack

    /// @dev Victim deposits 10,000 + 10,000 with no minimum (as contracts/deploy/stableSwap.ts does);
    /// the attacker seeds 1000 wei a side, keeps one share and donates just over the victim's size.
    function test_firstDepositorInflation_noMinimum() public {
        Outcome memory o = _attack(1000, 10_000e18 + 1, 10_000e18, 0);
        console2.log("victim minted", o.victimMinted, o.victimShares);
        console2.log("attacker profit (wei)", o.attackerProfit);
        console2.log("victim loss (wei)", o.victimLoss);
        _assertNoTheft(o);
    }

    /// @dev Same, but the victim insists on at least one share: the attacker donates half the
    /// victim's size so the mint rounds to exactly 1 share out of 2.
    function test_firstDepositorInflation_victimDemandsOneShare() public {
        Outcome memory o = _attack(1000, 5_000e18 + 1, 10_000e18, 1);
        console2.log("victim minted", o.victimMinted, o.victimShares);
        console2.log("attacker profit (wei)", o.attackerProfit);
        console2.log("victim loss (wei)", o.victimLoss);
        _assertNoTheft(o);
    }

    function testFuzz_firstDepositorInflation(
        uint256 seed,
        uint256 victimAmount,
        uint256 donationTarget,
        bool victimMin
    ) public {
        seed = bound(seed, 1000, 1e21);
        victimAmount = bound(victimAmount, 1e3, 1e27);
        donationTarget = bound(donationTarget, 0, 2 * victimAmount);
        Outcome memory o = _attack(seed, donationTarget, victimAmount, victimMin ? 1 : 0);
        _assertNoTheft(o);
    }

    // ---------------------------------------------------------------- rounding favours the pool

    /// @dev A balanced deposit into a balanced pool (exactly proportional) and its immediate
    /// withdrawal never returns more than went in, whatever the sizes and the share price.
    function testFuzz_proportionalRoundTripNeverProfits(uint256 base, uint256 donation, uint256 amount, bool zeroFee)
        public
    {
        if (zeroFee) pool = new StableSwapPool(address(t0), address(t1), 18, 18, 200, 0);
        base = bound(base, 1e3, 1e27);
        amount = bound(amount, 1, 1e27);
        address lp = makeAddr("lp");
        t0.mint(lp, base);
        t1.mint(lp, base);
        vm.startPrank(lp);
        t0.approve(address(pool), type(uint256).max);
        t1.approve(address(pool), type(uint256).max);
        pool.addLiquidity(base, base, 0, lp);
        vm.stopPrank();
        // A balanced donation raises the share price without unbalancing the pool.
        donation = bound(donation, 0, 1e27);
        t0.mint(lp, donation + 1e6);
        t1.mint(lp, donation + 1e6);
        _donateUpTo(lp, base + donation);
        vm.assume(pool.reserve0() == pool.reserve1());
        t0.mint(victim, amount);
        t1.mint(victim, amount);
        vm.startPrank(victim);
        t0.approve(address(pool), type(uint256).max);
        t1.approve(address(pool), type(uint256).max);
        vm.stopPrank();
        (bool ok, uint256 minted) = _add(victim, amount, amount, 0);
        if (!ok) return; // a deposit worth less than one share is refused, nothing lost
        assertGt(minted, 0, "deposit taken for no shares");
        vm.prank(victim);
        (uint256 out0, uint256 out1) = pool.removeLiquidity(minted, 0, 0, victim);
        assertLe(out0, amount, "token0 round trip made money");
        assertLe(out1, amount, "token1 round trip made money");
    }

    /// @dev Integer multiples of an imbalanced pool's reserves (after a fee-paying swap), with a
    /// 6-decimal second token: the add/remove round trip never returns more than went in.
    function testFuzz_multipleOfReservesRoundTripNeverProfits(uint256 base, uint256 swapIn, uint256 k, bool zeroFee)
        public
    {
        MintableERC20 u6 = new MintableERC20("USD6", "U6", 6);
        pool = new StableSwapPool(address(t0), address(u6), 18, 6, 200, zeroFee ? 0 : 4e6);
        base = bound(base, 1e6, 1e15); // token1 units (6 decimals); token0 gets base * 1e12
        k = bound(k, 1, 50);
        address lp = makeAddr("lp");
        t0.mint(lp, base * 1e12);
        u6.mint(lp, base);
        vm.startPrank(lp);
        t0.approve(address(pool), type(uint256).max);
        u6.approve(address(pool), type(uint256).max);
        pool.addLiquidity(base * 1e12, base, 0, lp);
        swapIn = bound(swapIn, 0, base * 1e12 / 2);
        if (swapIn != 0) {
            t0.mint(lp, swapIn);
            // forge-lint: disable-next-line(erc20-unchecked-transfer) -- test token reverts on failure
            t0.transfer(address(pool), swapIn);
            pool.swap(address(t0), address(u6), swapIn, 0, lp);
        }
        vm.stopPrank();
        uint256 a0 = uint256(pool.reserve0()) * k;
        uint256 a1 = uint256(pool.reserve1()) * k;
        t0.mint(victim, a0);
        u6.mint(victim, a1);
        vm.startPrank(victim);
        t0.approve(address(pool), type(uint256).max);
        u6.approve(address(pool), type(uint256).max);
        uint256 minted = pool.addLiquidity(a0, a1, 0, victim);
        (uint256 out0, uint256 out1) = pool.removeLiquidity(minted, 0, 0, victim);
        vm.stopPrank();
        assertLe(out0, a0, "token0 round trip made money");
        assertLe(out1, a1, "token1 round trip made money");
    }
}
