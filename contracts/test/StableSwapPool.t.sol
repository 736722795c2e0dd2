// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {StableSwapPool} from "../src/liquidity/StableSwapPool.sol";
import {MintableERC20} from "./utils/Tokens.sol";

/// @notice A token that, when the armed pool pays it out, tries to re-enter the pool and records why it failed.
contract ReenteringToken is MintableERC20 {
    StableSwapPool public pool;
    bytes public reentryError;

    constructor() MintableERC20("Re", "RE", 18) {}

    function arm(StableSwapPool p) external {
        pool = p;
    }

    function transfer(address to, uint256 amount) public override returns (bool) {
        if (address(pool) != address(0) && msg.sender == address(pool)) {
            try pool.removeLiquidity(1, 0, 0, to) {}
            catch (bytes memory err) {
                reentryError = err;
            }
        }
        return super.transfer(to, amount);
    }
}

contract StableSwapPoolTest is Test {
    MintableERC20 internal usd18; // 18 decimals
    MintableERC20 internal usd6; // 6 decimals
    StableSwapPool internal pool;
    address internal lp = makeAddr("lp");
    address internal trader = makeAddr("trader");

    function setUp() public {
        usd18 = new MintableERC20("USD18", "U18", 18);
        usd6 = new MintableERC20("USD6", "U6", 6);
        pool = new StableSwapPool(address(usd18), address(usd6), 18, 6, 200, 4e6); // A = 200, fee 4 bp
        _provide(lp, 1_000_000e18, 1_000_000e6);
    }

    function _provide(address who, uint256 a0, uint256 a1) internal returns (uint256 minted) {
        usd18.mint(who, a0);
        usd6.mint(who, a1);
        vm.startPrank(who);
        usd18.approve(address(pool), type(uint256).max);
        usd6.approve(address(pool), type(uint256).max);
        minted = pool.addLiquidity(a0, a1, 0, who);
        vm.stopPrank();
    }

    /// @dev ILiquiditySource usage: pre-transfer, then swap.
    function _swap18for6(uint256 amountIn, uint256 minOut) internal returns (uint256 out) {
        usd18.mint(trader, amountIn);
        vm.startPrank(trader);
        // forge-lint: disable-next-line(erc20-unchecked-transfer) -- test token reverts on failure
        usd18.transfer(address(pool), amountIn);
        out = pool.swap(address(usd18), address(usd6), amountIn, minOut, trader);
        vm.stopPrank();
    }

    function test_initialDepositMintsD() public view {
        assertEq(pool.totalSupply(), 2_000_000e18);
        assertEq(pool.balanceOf(lp), 2_000_000e18 - pool.MINIMUM_LIQUIDITY(), "D minus the locked minimum");
        assertEq(pool.balanceOf(address(0)), pool.MINIMUM_LIQUIDITY());
        assertEq(pool.getD(), 2_000_000e18);
        assertEq(pool.reserve0(), 1_000_000e18);
        assertEq(pool.reserve1(), 1_000_000e6);
    }

    function test_swapNearPegMatchesQuoteAndPaysFee() public {
        uint256 q = pool.quote(address(usd18), address(usd6), 10_000e18);
        uint256 dBefore = pool.getD();
        uint256 out = _swap18for6(10_000e18, q);
        assertEq(out, q, "swap pays exactly the quote");
        assertEq(usd6.balanceOf(trader), out);
        // Near the peg a stable pool gives ~1:1 minus the 4 bp fee; constant product would lose ~1%.
        assertGt(out, 9_994e6);
        assertLt(out, 9_996e6 + 1);
        assertGt(pool.getD(), dBefore, "fee stays with LPs");
        assertEq(pool.reserve0(), 1_010_000e18);
        assertEq(pool.reserve1(), 1_000_000e6 - out);
    }

    function test_reverseDirection() public {
        uint256 q = pool.quote(address(usd6), address(usd18), 500e6);
        usd6.mint(trader, 500e6);
        vm.startPrank(trader);
        // forge-lint: disable-next-line(erc20-unchecked-transfer) -- test token reverts on failure
        usd6.transfer(address(pool), 500e6);
        uint256 out = pool.swap(address(usd6), address(usd18), 500e6, 0, trader);
        vm.stopPrank();
        assertEq(out, q);
        assertApproxEqRel(out, 500e18, 0.001e18);
    }

    function test_excessPreTransferIsDonationNotCredit() public {
        usd18.mint(trader, 3e18);
        vm.startPrank(trader);
        // forge-lint: disable-next-line(erc20-unchecked-transfer) -- test token reverts on failure
        usd18.transfer(address(pool), 3e18);
        pool.swap(address(usd18), address(usd6), 1e18, 0, trader);
        vm.stopPrank();
        assertEq(pool.reserve0(), usd18.balanceOf(address(pool)), "the extra 2 became reserve");
        vm.expectRevert(abi.encodeWithSelector(StableSwapPool.InsufficientInput.selector, 0, 1e18));
        pool.swap(address(usd18), address(usd6), 1e18, 0, address(this));
    }

    function test_removeLiquidityProportional() public {
        uint256 half = pool.totalSupply() / 2;
        vm.prank(lp);
        (uint256 a0, uint256 a1) = pool.removeLiquidity(half, 500_000e18, 500_000e6, lp);
        assertEq(a0, 500_000e18);
        assertEq(a1, 500_000e6);
        assertEq(usd18.balanceOf(lp), 500_000e18);
        assertEq(pool.totalSupply(), 1_000_000e18);
    }

    function test_imbalancedAddPaysFee() public {
        address whale = makeAddr("whale");
        uint256 minted = _provide(whale, 100_000e18, 0);
        vm.prank(whale);
        (uint256 a0, uint256 a1) = pool.removeLiquidity(minted, 0, 0, whale);
        // Value back (normalised) is below the single-sided deposit: no fee-free swap via add/remove.
        assertLt(a0 + a1 * 1e12, 100_000e18);
    }

    function test_lpTokenTransfers() public {
        vm.prank(lp);
        // forge-lint: disable-next-line(erc20-unchecked-transfer) -- test token reverts on failure
        pool.transfer(trader, 10);
        assertEq(pool.balanceOf(trader), 10);
        vm.prank(trader);
        pool.approve(address(this), 5);
        // forge-lint: disable-next-line(erc20-unchecked-transfer) -- test token reverts on failure
        pool.transferFrom(trader, lp, 5);
        assertEq(pool.allowance(trader, address(this)), 0);
        vm.expectRevert(abi.encodeWithSelector(StableSwapPool.InsufficientAllowance.selector, 0, 1));
        // forge-lint: disable-next-line(erc20-unchecked-transfer) -- test token reverts on failure
        pool.transferFrom(trader, lp, 1);
        vm.expectRevert(abi.encodeWithSelector(StableSwapPool.InsufficientBalance.selector, 5, 6));
        vm.prank(trader);
        // forge-lint: disable-next-line(erc20-unchecked-transfer) -- test token reverts on failure
        pool.transfer(lp, 6);
    }

    // ---------------------------------------------------------------- reverts

    function test_revert_insufficientInput() public {
        vm.expectRevert(abi.encodeWithSelector(StableSwapPool.InsufficientInput.selector, 0, 1e18));
        pool.swap(address(usd18), address(usd6), 1e18, 0, address(this));
    }

    function test_revert_insufficientOutput() public {
        uint256 q = pool.quote(address(usd18), address(usd6), 1e18);
        usd18.mint(address(pool), 1e18);
        vm.expectRevert(abi.encodeWithSelector(StableSwapPool.InsufficientOutput.selector, q, q + 1));
        pool.swap(address(usd18), address(usd6), 1e18, q + 1, address(this));
    }

    function test_revert_unknownAndSameToken() public {
        vm.expectRevert(abi.encodeWithSelector(StableSwapPool.UnknownToken.selector, address(this)));
        pool.quote(address(this), address(usd6), 1);
        vm.expectRevert(abi.encodeWithSelector(StableSwapPool.UnknownToken.selector, address(this)));
        pool.quote(address(usd6), address(this), 1);
        vm.expectRevert(StableSwapPool.SameToken.selector);
        pool.quote(address(usd6), address(usd6), 1);
    }

    function test_revert_zeroAmounts() public {
        vm.expectRevert(StableSwapPool.ZeroAmount.selector);
        pool.swap(address(usd18), address(usd6), 0, 0, address(this));
        vm.expectRevert(StableSwapPool.ZeroAmount.selector);
        pool.addLiquidity(0, 0, 0, address(this));
        vm.expectRevert(StableSwapPool.ZeroAmount.selector);
        pool.removeLiquidity(0, 0, 0, address(this));
    }

    function test_revert_emptyPool() public {
        StableSwapPool empty = new StableSwapPool(address(usd18), address(usd6), 18, 6, 100, 0);
        vm.expectRevert(StableSwapPool.InsufficientLiquidity.selector);
        empty.quote(address(usd18), address(usd6), 1);
        usd18.mint(address(this), 1e18);
        usd18.approve(address(empty), 1e18);
        vm.expectRevert(StableSwapPool.InitialDepositMustBeBalanced.selector);
        empty.addLiquidity(1e18, 0, 0, address(this));
    }

    function test_revert_firstDepositNotAboveMinimumLiquidity() public {
        MintableERC20 other18 = new MintableERC20("O18", "O18", 18);
        StableSwapPool empty = new StableSwapPool(address(usd18), address(other18), 18, 18, 100, 0);
        usd18.mint(address(this), 1001);
        other18.mint(address(this), 1001);
        usd18.approve(address(empty), 1001);
        other18.approve(address(empty), 1001);
        vm.expectRevert(StableSwapPool.InsufficientLiquidity.selector);
        empty.addLiquidity(500, 500, 0, address(this)); // D = 1000 = MINIMUM_LIQUIDITY
        assertEq(empty.addLiquidity(501, 501, 0, address(this)), 2, "D = 1002, 1000 of it locked");
        assertEq(empty.totalSupply(), 1002);
    }

    function test_lockedLiquidityOutlivesEveryLp() public {
        vm.startPrank(lp);
        pool.removeLiquidity(pool.balanceOf(lp), 0, 0, lp);
        vm.stopPrank();
        assertEq(pool.totalSupply(), pool.MINIMUM_LIQUIDITY());
        assertEq(pool.balanceOf(address(0)), pool.MINIMUM_LIQUIDITY());
        assertGt(pool.reserve0(), 0, "the locked shares keep a floor of both reserves");
        assertGt(pool.reserve1(), 0);
        // The pool stays live on that (dust) floor: a new LP mints against it and gets its deposit back.
        uint256 minted = _provide(trader, 1_000e18, 1_000e6);
        vm.prank(trader);
        (uint256 a0, uint256 a1) = pool.removeLiquidity(minted, 0, 0, trader);
        assertApproxEqRel(a0 + a1 * 1e12, 2_000e18, 0.001e18);
    }

    function test_revert_slippage() public {
        usd18.mint(address(this), 1e18);
        usd6.mint(address(this), 1e6);
        usd18.approve(address(pool), 1e18);
        usd6.approve(address(pool), 1e6);
        // ΔD = 2e18; the mint rounds D's growth down by one unit.
        vm.expectRevert(abi.encodeWithSelector(StableSwapPool.SlippageExceeded.selector, 2e18 - 1, 2e18));
        pool.addLiquidity(1e18, 1e6, 2e18, address(this));
        vm.expectRevert(abi.encodeWithSelector(StableSwapPool.SlippageExceeded.selector, 1e18, 1e18 + 1));
        vm.prank(lp);
        pool.removeLiquidity(2e18, 1e18 + 1, 0, lp);
        vm.expectRevert(abi.encodeWithSelector(StableSwapPool.SlippageExceeded.selector, 1e6, 1e6 + 1));
        vm.prank(lp);
        pool.removeLiquidity(2e18, 0, 1e6 + 1, lp);
    }

    function test_revert_invalidParameters() public {
        vm.expectRevert(StableSwapPool.InvalidParameters.selector);
        new StableSwapPool(address(usd18), address(usd18), 18, 18, 100, 0);
        vm.expectRevert(StableSwapPool.InvalidParameters.selector);
        new StableSwapPool(address(usd18), address(0), 18, 18, 100, 0);
        vm.expectRevert(StableSwapPool.InvalidParameters.selector);
        new StableSwapPool(address(usd18), address(usd6), 19, 6, 100, 0);
        vm.expectRevert(StableSwapPool.InvalidParameters.selector);
        new StableSwapPool(address(usd18), address(usd6), 18, 6, 0, 0);
        vm.expectRevert(StableSwapPool.InvalidParameters.selector);
        new StableSwapPool(address(usd18), address(usd6), 18, 6, 100, 5e9);
    }

    function test_revert_balanceOverflow() public {
        usd18.mint(address(pool), uint256(type(uint128).max)); // a donation that cannot be accounted
        vm.expectRevert(StableSwapPool.BalanceOverflow.selector);
        pool.swap(address(usd18), address(usd6), 1e18, 0, address(this));
    }

    function test_revert_reentrancyLocked() public {
        ReenteringToken re = new ReenteringToken();
        StableSwapPool p = new StableSwapPool(address(re), address(usd6), 18, 6, 100, 0);
        re.mint(address(this), 10e18);
        usd6.mint(address(this), 10e6);
        re.approve(address(p), type(uint256).max);
        usd6.approve(address(p), type(uint256).max);
        p.addLiquidity(10e18, 10e6, 0, address(this));
        re.arm(p);
        p.removeLiquidity(1e18, 0, 0, address(this)); // pays `re` out, which tries to re-enter
        assertEq(re.reentryError(), abi.encodeWithSelector(StableSwapPool.Locked.selector));
    }

    // ---------------------------------------------------------------- fuzz

    /// @dev Swaps never lower the invariant D (LPs never lose), pay exactly the quote, and a round
    /// trip never returns more than went in.
    function testFuzz_swapKeepsInvariantAndRoundTripLoses(uint256 amountIn) public {
        amountIn = bound(amountIn, 1e12, 900_000e18);
        uint256 d0 = pool.getD();
        uint256 q = pool.quote(address(usd18), address(usd6), amountIn);
        uint256 out = _swap18for6(amountIn, 0);
        assertEq(out, q);
        assertGe(pool.getD(), d0, "D decreased");
        if (out == 0) return;
        vm.startPrank(trader);
        // forge-lint: disable-next-line(erc20-unchecked-transfer) -- test token reverts on failure
        usd6.transfer(address(pool), out);
        uint256 back = pool.swap(address(usd6), address(usd18), out, 0, trader);
        vm.stopPrank();
        assertLe(back, amountIn, "round trip made money");
        assertGe(pool.getD(), d0);
        assertEq(usd18.balanceOf(address(pool)), pool.reserve0());
        assertEq(usd6.balanceOf(address(pool)), pool.reserve1());
    }
}
