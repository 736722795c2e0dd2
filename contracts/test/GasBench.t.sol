// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {console2} from "forge-std/console2.sol";
import {SettlementTestBase} from "./utils/SettlementTestBase.sol";
import {MintableERC20} from "./utils/Tokens.sol";
import {
    UniswapDeployer,
    IUniswapV2Factory,
    IUniswapV2Pair,
    IUniswapV3Factory,
    IUniswapV3Pool
} from "./utils/Uniswap.sol";
import {Settlement} from "../src/Settlement.sol";
import {StableSwapPool} from "../src/liquidity/StableSwapPool.sol";
import {ILiquiditySource} from "../src/interfaces/ILiquiditySource.sol";
import {SwapIntent} from "../src/libraries/IntentHashing.sol";

/// @notice Gas of whole settle transactions in steady state (every balance and nonce word already
/// non-zero, pools already used), reported as a transaction would pay it:
/// 21,000 + calldata (EIP-2028: 4/zero byte, 16/non-zero byte; EIP-7623's floor checked) + execution.
/// The target the issue sets is asserted: <= 0.75x CoW's 66.1k per trade at 20 matched trades, and
/// below CoW's 161.6k for one trade through a Uniswap V2 pair. CoW's V3 figure is not published in
/// the issue; the single-trade V3 total is asserted below the V2 figure CoW needs (161.6k).
contract GasBenchTest is SettlementTestBase {
    uint256 internal constant USERS = 20;
    uint256 internal constant AMOUNT_IN = 1e18;
    address[] internal users;
    uint256[] internal keys;
    uint256 internal nextNonce = 1;

    IUniswapV2Pair internal pair;
    IUniswapV3Pool internal v3pool;
    StableSwapPool internal stable;
    bool internal aIsV2Token0;
    bool internal aIsV3Token0;
    uint256 internal v2Out; // what each pool pays for AMOUNT_IN of A in the measured state
    uint256 internal v3Out;
    uint256 internal stableOut;
    uint256 internal user0BBefore; // read in setUp: reading it in the test would warm the slot

    /// @dev Builds steady state: every user holds both tokens and has a non-zero nonce word,
    /// Settlement holds buffers, and every pool has liquidity and has already been swapped through
    /// a settlement (so its oracle/accumulator slots are non-zero).
    function setUp() public override {
        super.setUp();
        for (uint256 k; k < USERS; ++k) {
            (address u, uint256 key) = _user(string.concat("user", vm.toString(k)));
            users.push(u);
            keys.push(key);
            _fund(tokenA, u, 1_000e18);
            _fund(tokenB, u, 1_000e18);
            vm.prank(u);
            settlement.invalidateNonces(0, 1 << 255); // an earlier intent: nonce word 0 is non-zero
        }
        tokenA.mint(address(settlement), 1e18); // buffers
        tokenB.mint(address(settlement), 1e18);

        // Uniswap V2 pair, from the npm artifact.
        pair = IUniswapV2Pair(UniswapDeployer.v2Factory().createPair(address(tokenA), address(tokenB)));
        aIsV2Token0 = pair.token0() == address(tokenA);
        tokenA.mint(address(pair), 1_000_000e18);
        tokenB.mint(address(pair), 1_000_000e18);
        pair.mint(address(this));

        // Uniswap V3 pool (0.3%, full range), from the npm artifact.
        v3pool = IUniswapV3Pool(UniswapDeployer.v3Factory().createPool(address(tokenA), address(tokenB), 3000));
        aIsV3Token0 = v3pool.token0() == address(tokenA);
        v3pool.initialize(uint160(1) << 96);
        v3pool.mint(address(this), -887220, 887220, 1_000_000e18, "");

        // The third source.
        stable = new StableSwapPool(address(tokenA), address(tokenB), 18, 18, 200, 4e6);
        tokenA.mint(address(this), 1_000_000e18);
        tokenB.mint(address(this), 1_000_000e18);
        tokenA.approve(address(stable), type(uint256).max);
        tokenB.approve(address(stable), type(uint256).max);
        stable.addLiquidity(1_000_000e18, 1_000_000e18, 0, address(this));

        // One settled swap through each source in an earlier block, then move to a new block.
        vm.warp(block.timestamp + 12);
        vm.roll(block.number + 1);
        uint256 out = _v2Quote();
        _settle(_ammBatch(out, _v2Interactions(out)));
        out = _v3Quote();
        _settle(_ammBatch(out, _interaction(address(v3pool), 0, _v3Swap())));
        out = stable.quote(address(tokenA), address(tokenB), AMOUNT_IN);
        _settle(_ammBatch(out, _stableInteractions(out)));
        vm.warp(block.timestamp + 12);
        vm.roll(block.number + 1);
        v2Out = _v2Quote();
        v3Out = _v3Quote();
        stableOut = stable.quote(address(tokenA), address(tokenB), AMOUNT_IN);
        user0BBefore = tokenB.balanceOf(users[0]);
    }

    // ---------------------------------------------------------------- measurement

    function _calldataGas(bytes memory data) internal pure returns (uint256 gas, uint256 tokens) {
        for (uint256 k; k < data.length; ++k) {
            if (data[k] == 0) {
                gas += 4;
                tokens += 1;
            } else {
                gas += 16;
                tokens += 4;
            }
        }
    }

    /// @dev Transaction gas of `settle(b)` sent by the solver. Runs in the test function, a separate
    /// EVM transaction from setUp: storage and accounts start cold and SSTOREs are priced against
    /// the values setUp left (as on chain). Before this, the test function touches nothing the
    /// settle reads except Settlement's own address (`hashSwapIntent` while signing), which is warm
    /// in a real transaction too because it is the `to`.
    function _measure(Settlement.Batch memory b) internal returns (uint256 txGas) {
        bytes memory data = abi.encodeCall(Settlement.settle, (b));
        (uint256 cdGas, uint256 tokens) = _calldataGas(data);
        address target = address(settlement);
        settlement.domainSeparator(); // warms Settlement's address only (immutables, no storage)
        vm.prank(solver);
        uint256 g0 = gasleft();
        (bool ok, bytes memory ret) = target.call(data);
        uint256 used = g0 - gasleft();
        if (!ok) {
            assembly {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        txGas = 21_000 + cdGas + used;
        console2.log("  calldata bytes", data.length);
        console2.log("  calldata gas", cdGas);
        console2.log("  execution gas", used);
        uint256 floor = 21_000 + 10 * tokens; // EIP-7623
        if (floor > txGas) txGas = floor;
    }

    // ---------------------------------------------------------------- matched trades (no AMM)

    /// @dev n trades: user 2k sells 10 A for >= 9 B, user 2k+1 sells 10 B for >= 9 A, prices 1:1.
    function _matchedBatch(uint256 n) internal returns (Settlement.Batch memory b) {
        address[] memory tokens = _pair();
        Settlement.Trade[] memory trades = new Settlement.Trade[](n);
        for (uint256 k; k < n; ++k) {
            (address sellT, address buyT) =
                k % 2 == 0 ? (address(tokenA), address(tokenB)) : (address(tokenB), address(tokenA));
            SwapIntent memory i = _intent(users[k], sellT, buyT, 10e18, 9e18, SELL, false, nextNonce);
            trades[k] = _trade(i, tokens, _sign(keys[k], i), 0);
        }
        nextNonce++;
        b = _batch(tokens, _prices(1, 1), trades, _noInteractions());
    }

    function _benchMatched(uint256 n) internal returns (uint256 perTrade) {
        uint256 txGas = _measure(_matchedBatch(n));
        perTrade = txGas / n;
        console2.log("matched trades", n);
        console2.log("  tx gas", txGas);
        console2.log("  per trade", perTrade);
        assertEq(tokenA.balanceOf(users[0]), 1_000e18 - 10e18 - 3 * AMOUNT_IN, "user0 sold 10 A (and 3 A in setUp)");
        assertEq(tokenA.balanceOf(users[1]), 1_000e18 + 10e18, "user1 bought 10 A");
    }

    function test_gas_matched2() public {
        assertLt(_benchMatched(2), 88_000, "CoW: 88.0k per trade at 2");
    }

    function test_gas_matched10() public {
        assertLt(_benchMatched(10), 68_500, "CoW: 68.5k per trade at 10");
    }

    function test_gas_matched20() public {
        assertLe(_benchMatched(20), 49_575, "goal: <= 0.75 x CoW's 66.1k per trade at 20");
    }

    function test_gas_emptySettle() public {
        Settlement.Batch memory b;
        uint256 txGas = _measure(b);
        console2.log("empty settle tx gas", txGas);
        assertLt(txGas, 38_500, "CoW: 38.5k");
    }

    // ---------------------------------------------------------------- one trade through an AMM

    /// @dev users[0] sells AMOUNT_IN of A; the interactions must bring back `out` B, which the user
    /// receives exactly (prices: A = out, B = AMOUNT_IN).
    function _ammBatch(uint256 out, Settlement.Interaction[] memory its) internal returns (Settlement.Batch memory b) {
        address[] memory tokens = _pair();
        SwapIntent memory i =
            _intent(users[0], address(tokenA), address(tokenB), AMOUNT_IN, out, SELL, false, nextNonce++);
        b = _batch(tokens, _prices(out, AMOUNT_IN), _one(_trade(i, tokens, _sign(keys[0], i), 0)), its);
    }

    /// @dev Uniswap V2: transfer the input to the pair, then `pair.swap(out, to = settlement)`.
    function _v2Interactions(uint256 out) internal view returns (Settlement.Interaction[] memory its) {
        its = new Settlement.Interaction[](2);
        its[0] = Settlement.Interaction(
            address(tokenA), 0, abi.encodeCall(MintableERC20.transfer, (address(pair), AMOUNT_IN))
        );
        (uint256 o0, uint256 o1) = aIsV2Token0 ? (uint256(0), out) : (out, uint256(0));
        its[1] = Settlement.Interaction(
            address(pair), 0, abi.encodeCall(IUniswapV2Pair.swap, (o0, o1, address(settlement), ""))
        );
    }

    function _v2Quote() internal view returns (uint256) {
        (uint112 r0, uint112 r1,) = pair.getReserves();
        (uint256 rIn, uint256 rOut) = aIsV2Token0 ? (uint256(r0), uint256(r1)) : (uint256(r1), uint256(r0));
        uint256 inWithFee = AMOUNT_IN * 997;
        return inWithFee * rOut / (rIn * 1000 + inWithFee);
    }

    function test_gas_uniswapV2() public {
        Settlement.Batch memory b = _ammBatch(v2Out, _v2Interactions(v2Out));
        uint256 txGas = _measure(b);
        assertEq(tokenB.balanceOf(users[0]), user0BBefore + v2Out, "user got the pair's output");
        console2.log("1 trade via Uniswap V2 pair, tx gas", txGas);
        assertLt(txGas, 161_600, "CoW: 161.6k");
    }

    // Uniswap V3: this test contract provides liquidity and simulates swaps, paying by minting.
    function uniswapV3MintCallback(uint256 owed0, uint256 owed1, bytes calldata) external {
        if (owed0 > 0) MintableERC20(v3pool.token0()).mint(msg.sender, owed0);
        if (owed1 > 0) MintableERC20(v3pool.token1()).mint(msg.sender, owed1);
    }

    function uniswapV3SwapCallback(int256 d0, int256 d1, bytes calldata) external {
        // forge-lint: disable-next-line(unsafe-typecast) -- positive delta
        if (d0 > 0) MintableERC20(v3pool.token0()).mint(msg.sender, uint256(d0));
        // forge-lint: disable-next-line(unsafe-typecast) -- positive delta
        if (d1 > 0) MintableERC20(v3pool.token1()).mint(msg.sender, uint256(d1));
    }

    /// @dev Uniswap V3: one interaction calling `pool.swap` directly (exact input, recipient =
    /// settlement); the pool calls back Settlement.uniswapV3SwapCallback to be paid.
    function _v3Swap() internal view returns (bytes memory) {
        return abi.encodeCall(
            IUniswapV3Pool.swap,
            (
                address(settlement),
                aIsV3Token0,
                // forge-lint: disable-next-line(unsafe-typecast) -- test amount fits
                int256(AMOUNT_IN),
                aIsV3Token0 ? UniswapDeployer.MIN_SQRT_RATIO + 1 : UniswapDeployer.MAX_SQRT_RATIO - 1,
                ""
            )
        );
    }

    /// @dev The pool's output for AMOUNT_IN of A, learned by swapping and rolling back.
    function _v3Quote() internal returns (uint256 out) {
        uint256 snap = vm.snapshotState();
        (int256 d0, int256 d1) = v3pool.swap(
            address(this),
            aIsV3Token0,
            // forge-lint: disable-next-line(unsafe-typecast) -- negative output delta, negated
            int256(AMOUNT_IN),
            aIsV3Token0 ? UniswapDeployer.MIN_SQRT_RATIO + 1 : UniswapDeployer.MAX_SQRT_RATIO - 1,
            ""
        );
        out = uint256(-(aIsV3Token0 ? d1 : d0));
        vm.revertToState(snap);
    }

    function test_gas_uniswapV3() public {
        Settlement.Batch memory b = _ammBatch(v3Out, _interaction(address(v3pool), 0, _v3Swap()));
        uint256 txGas = _measure(b);
        assertEq(tokenB.balanceOf(users[0]), user0BBefore + v3Out, "user got the pool's output");
        console2.log("1 trade via Uniswap V3 pool (direct swap + callback), tx gas", txGas);
        assertLt(txGas, 161_600, "below CoW's single-AMM-trade figure");
    }

    /// @dev StableSwapPool through ILiquiditySource: transfer in, then swap (no approval anywhere).
    function _stableInteractions(uint256 out) internal view returns (Settlement.Interaction[] memory its) {
        its = new Settlement.Interaction[](2);
        its[0] = Settlement.Interaction(
            address(tokenA), 0, abi.encodeCall(MintableERC20.transfer, (address(stable), AMOUNT_IN))
        );
        its[1] = Settlement.Interaction(
            address(stable),
            0,
            abi.encodeCall(ILiquiditySource.swap, (address(tokenA), address(tokenB), AMOUNT_IN, out, address(settlement)))
        );
    }

    function test_gas_stableSwap() public {
        Settlement.Batch memory b = _ammBatch(stableOut, _stableInteractions(stableOut));
        uint256 txGas = _measure(b);
        assertEq(tokenB.balanceOf(users[0]), user0BBefore + stableOut, "user got the pool's output");
        console2.log("1 trade via StableSwapPool (ILiquiditySource), tx gas", txGas);
        assertLt(txGas, 161_600);
    }
}
