// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ILiquiditySource} from "../interfaces/ILiquiditySource.sol";
import {TokenTransfer} from "../libraries/TokenTransfer.sol";

/// @title StableSwapPool
/// @notice A two-token Curve-style StableSwap pool behind `ILiquiditySource`: the third, differently
/// shaped liquidity source next to Uniswap V2 (constant product, pre-transfer) and V3 (concentrated,
/// callback). Near the peg it prices almost like constant sum (low slippage for like-valued tokens),
/// far from it like constant product, governed by the amplification `A`.
///
/// Invariant (n = 2, balances x_i normalised to 18 decimals):
///   A·n^n·Σx_i + D = A·D·n^n + D^(n+1) / (n^n·Πx_i)
/// `D` is solved by Newton's method from the balances, and a swap solves for the output balance `y`
/// that keeps `D` constant. A fee (`fee / 1e10` of the output) stays in the pool for LPs.
///
/// Swaps are approve-free (ILiquiditySource's pre-transfer model): transfer `amountIn` to the pool,
/// then call `swap`. Liquidity providers use `addLiquidity` (transferFrom, so they approve the pool)
/// and `removeLiquidity` (proportional); the pool itself is the ERC20 LP token.
///
/// Share inflation: the first deposit locks `MINIMUM_LIQUIDITY` shares for good (Uniswap V2's
/// defence), so nobody can own the whole supply and inflate the share price against a later
/// depositor. Every rounding in `addLiquidity`/`removeLiquidity` is down, in the pool's favour.
contract StableSwapPool is ILiquiditySource {
    using TokenTransfer for address;

    error UnknownToken(address token);
    error SameToken();
    error InsufficientInput(uint256 received, uint256 amountIn);
    error InsufficientOutput(uint256 amountOut, uint256 minAmountOut);
    error InsufficientLiquidity();
    error ZeroAmount();
    error InitialDepositMustBeBalanced();
    error SlippageExceeded(uint256 amount, uint256 minimum);
    error InvalidParameters();
    error ConvergenceFailed();
    error BalanceOverflow();
    error Locked();
    error InsufficientBalance(uint256 balance, uint256 needed);
    error InsufficientAllowance(uint256 allowance, uint256 needed);

    event Swap(
        address indexed sender, address indexed tokenIn, uint256 amountIn, uint256 amountOut, address recipient
    );
    event AddLiquidity(address indexed provider, uint256 amount0, uint256 amount1, uint256 minted, address recipient);
    event RemoveLiquidity(address indexed provider, uint256 amount0, uint256 amount1, uint256 burned, address recipient);
    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    uint256 public constant FEE_DENOMINATOR = 1e10;
    /// @notice LP shares the first deposit mints to address(0), where nobody can ever transfer or
    /// redeem them, so `totalSupply` never falls below this once the pool is live. Without it the
    /// first depositor could burn down to a 1-wei supply, donate (a pre-transfer that `swap` books
    /// as reserve) until one share is worth more than the next deposit, and take that deposit when
    /// its mint rounds down to nothing. With it, value donated per share also accrues to these
    /// locked shares: making a share worth X costs the donor at least MINIMUM_LIQUIDITY·X, while a
    /// later depositor loses at most the one share's worth its mint rounds off. Shares are in D
    /// units (18 decimals), so the lock is 1e-15 of a pegged token: negligible for the first LP.
    uint256 public constant MINIMUM_LIQUIDITY = 1000;
    uint256 private constant N = 2;

    address public immutable token0;
    address public immutable token1;
    /// @notice Amplification coefficient A (Curve's `A`; the math uses Ann = A·n).
    uint256 public immutable A;
    /// @notice Swap fee as a fraction of FEE_DENOMINATOR, taken from the output.
    uint256 public immutable fee;
    uint256 private immutable _rate0; // 10^(18 - decimals0)
    uint256 private immutable _rate1;

    /// @notice Balances the pool accounts for (anything above them is an unaccounted pre-transfer).
    uint128 public reserve0;
    uint128 public reserve1;

    // LP token (ERC20).
    string public constant name = "StableSwap LP";
    string public constant symbol = "SSLP";
    uint8 public constant decimals = 18;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    bool private transient _locked;

    modifier lock() {
        if (_locked) revert Locked();
        _locked = true;
        _;
        _locked = false;
    }

    /// @param decimals0 / decimals1 The tokens' decimals (<= 18); passed in rather than queried so
    /// the pool also works with tokens that lack `decimals()`.
    constructor(address token0_, address token1_, uint8 decimals0, uint8 decimals1, uint256 a, uint256 fee_) {
        if (token0_ == token1_ || token0_ == address(0) || token1_ == address(0)) revert InvalidParameters();
        if (decimals0 > 18 || decimals1 > 18 || a == 0 || a > 1e6 || fee_ >= FEE_DENOMINATOR / 2) {
            revert InvalidParameters();
        }
        token0 = token0_;
        token1 = token1_;
        _rate0 = 10 ** (18 - decimals0);
        _rate1 = 10 ** (18 - decimals1);
        A = a;
        fee = fee_;
    }

    // ------------------------------------------------------------------ ILiquiditySource

    /// @inheritdoc ILiquiditySource
    function quote(address tokenIn, address tokenOut, uint256 amountIn) external view returns (uint256 amountOut) {
        (bool zeroIn, uint256 r0, uint256 r1) = _route(tokenIn, tokenOut);
        (amountOut,) = _getAmountOut(zeroIn, r0, r1, amountIn);
    }

    /// @inheritdoc ILiquiditySource
    function swap(address tokenIn, address tokenOut, uint256 amountIn, uint256 minAmountOut, address recipient)
        external
        lock
        returns (uint256 amountOut)
    {
        if (amountIn == 0) revert ZeroAmount();
        (bool zeroIn, uint256 r0, uint256 r1) = _route(tokenIn, tokenOut);
        uint256 balanceIn = tokenIn.balanceOf(address(this));
        uint256 reserveIn = zeroIn ? r0 : r1;
        if (balanceIn < reserveIn + amountIn) revert InsufficientInput(balanceIn - reserveIn, amountIn);
        (amountOut,) = _getAmountOut(zeroIn, r0, r1, amountIn);
        if (amountOut < minAmountOut) revert InsufficientOutput(amountOut, minAmountOut);
        // The whole balance of tokenIn becomes reserve: any excess over amountIn is a donation to LPs,
        // never a credit for the next caller.
        if (zeroIn) _setReserves(balanceIn, r1 - amountOut);
        else _setReserves(r0 - amountOut, balanceIn);
        tokenOut.safeTransfer(recipient, amountOut);
        emit Swap(msg.sender, tokenIn, amountIn, amountOut, recipient);
    }

    // ------------------------------------------------------------------ liquidity

    /// @notice Deposits `amount0`/`amount1` (pulled with transferFrom: approve the pool first) and
    /// mints LP tokens to `recipient`. An imbalanced deposit pays the swap fee on its imbalance (as
    /// Curve does), so "add one side, remove proportionally" is not a fee-free swap.
    /// The first deposit (both tokens) mints its D minus `MINIMUM_LIQUIDITY`, which is locked, and
    /// reverts with `InsufficientLiquidity` if D does not exceed it. Later deposits mint
    /// `totalSupply·(ΔD - 1)/D` rounded down, and revert with `ZeroAmount` rather than mint nothing.
    function addLiquidity(uint256 amount0, uint256 amount1, uint256 minMinted, address recipient)
        external
        lock
        returns (uint256 minted)
    {
        if (amount0 == 0 && amount1 == 0) revert ZeroAmount();
        uint256 r0 = reserve0;
        uint256 r1 = reserve1;
        uint256 supply = totalSupply;
        if (supply == 0 && (amount0 == 0 || amount1 == 0)) revert InitialDepositMustBeBalanced();
        if (amount0 != 0) token0.safeTransferFrom(msg.sender, address(this), amount0);
        if (amount1 != 0) token1.safeTransferFrom(msg.sender, address(this), amount1);
        uint256 n0 = r0 + amount0;
        uint256 n1 = r1 + amount1;
        uint256 d1 = _getD(n0 * _rate0, n1 * _rate1);
        if (supply == 0) {
            if (d1 <= MINIMUM_LIQUIDITY) revert InsufficientLiquidity();
            minted = d1 - MINIMUM_LIQUIDITY;
        } else {
            uint256 d0 = _getD(r0 * _rate0, r1 * _rate1);
            // Imbalance fee: each side pays fee/2 (n/(4(n-1)) of the swap fee for n = 2) on its
            // distance from the proportional deposit.
            uint256 f = fee * N / (4 * (N - 1));
            uint256 ideal0 = d1 * r0 / d0;
            uint256 ideal1 = d1 * r1 / d0;
            uint256 fee0 = f * (ideal0 > n0 ? ideal0 - n0 : n0 - ideal0) / FEE_DENOMINATOR;
            uint256 fee1 = f * (ideal1 > n1 ? ideal1 - n1 : n1 - ideal1) / FEE_DENOMINATOR;
            uint256 d2 = _getD((n0 - fee0) * _rate0, (n1 - fee1) * _rate1);
            // -1: D is Newton's estimate, good to about a unit either way; round its growth down so
            // a mint never outruns the deposit (as _getAmountOut rounds a swap's output down).
            if (d2 <= d0 + 1) revert ZeroAmount();
            minted = supply * (d2 - d0 - 1) / d0;
            if (minted == 0) revert ZeroAmount();
        }
        if (minted < minMinted) revert SlippageExceeded(minted, minMinted);
        _setReserves(n0, n1);
        if (supply == 0) _mint(address(0), MINIMUM_LIQUIDITY);
        _mint(recipient, minted);
        emit AddLiquidity(msg.sender, amount0, amount1, minted, recipient);
    }

    /// @notice Burns `lpAmount` of the caller's LP tokens for the proportional share of both reserves,
    /// each rounded down.
    function removeLiquidity(uint256 lpAmount, uint256 min0, uint256 min1, address recipient)
        external
        lock
        returns (uint256 amount0, uint256 amount1)
    {
        if (lpAmount == 0) revert ZeroAmount();
        uint256 supply = totalSupply;
        uint256 r0 = reserve0;
        uint256 r1 = reserve1;
        amount0 = r0 * lpAmount / supply;
        amount1 = r1 * lpAmount / supply;
        if (amount0 < min0) revert SlippageExceeded(amount0, min0);
        if (amount1 < min1) revert SlippageExceeded(amount1, min1);
        _burn(msg.sender, lpAmount);
        _setReserves(r0 - amount0, r1 - amount1);
        if (amount0 != 0) token0.safeTransfer(recipient, amount0);
        if (amount1 != 0) token1.safeTransfer(recipient, amount1);
        emit RemoveLiquidity(msg.sender, amount0, amount1, lpAmount, recipient);
    }

    /// @notice The invariant D of the current reserves (18-decimal units); LP value ≈ D / totalSupply.
    function getD() external view returns (uint256) {
        return _getD(uint256(reserve0) * _rate0, uint256(reserve1) * _rate1);
    }

    // ------------------------------------------------------------------ LP token

    function transfer(address to, uint256 amount) external returns (bool) {
        _transfer(msg.sender, to, amount);
        return true;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != type(uint256).max) {
            if (allowed < amount) revert InsufficientAllowance(allowed, amount);
            unchecked {
                allowance[from][msg.sender] = allowed - amount;
            }
        }
        _transfer(from, to, amount);
        return true;
    }

    // ------------------------------------------------------------------ internals

    function _route(address tokenIn, address tokenOut) private view returns (bool zeroIn, uint256 r0, uint256 r1) {
        if (tokenIn == tokenOut) revert SameToken();
        if (tokenIn == token0) {
            if (tokenOut != token1) revert UnknownToken(tokenOut);
            zeroIn = true;
        } else if (tokenIn == token1) {
            if (tokenOut != token0) revert UnknownToken(tokenOut);
        } else {
            revert UnknownToken(tokenIn);
        }
        r0 = reserve0;
        r1 = reserve1;
        if (r0 == 0 || r1 == 0) revert InsufficientLiquidity();
    }

    /// @dev Output (in tokenOut units, fee deducted, rounded down) for `amountIn` at reserves r0/r1.
    function _getAmountOut(bool zeroIn, uint256 r0, uint256 r1, uint256 amountIn)
        private
        view
        returns (uint256 amountOut, uint256 feeAmount)
    {
        (uint256 rateIn, uint256 rateOut) = zeroIn ? (_rate0, _rate1) : (_rate1, _rate0);
        (uint256 xIn, uint256 xOut) = zeroIn ? (r0 * rateIn, r1 * rateOut) : (r1 * rateIn, r0 * rateOut);
        uint256 d = _getD(xIn, xOut);
        uint256 y = _getY(xIn + amountIn * rateIn, d);
        // -1: round the invariant's output down so the pool never pays out a rounding error.
        if (y + 1 >= xOut) return (0, 0);
        uint256 dy = xOut - y - 1;
        feeAmount = dy * fee / FEE_DENOMINATOR;
        amountOut = (dy - feeAmount) / rateOut;
    }

    /// @dev Newton's method for D given normalised balances x0, x1.
    function _getD(uint256 x0, uint256 x1) private view returns (uint256 d) {
        uint256 s = x0 + x1;
        if (s == 0) return 0;
        uint256 ann = A * N;
        d = s;
        for (uint256 k; k < 255; ++k) {
            uint256 dP = d * d / (x0 * N) * d / (x1 * N);
            uint256 prev = d;
            d = (ann * s + dP * N) * d / ((ann - 1) * d + (N + 1) * dP);
            if (d > prev ? d - prev <= 1 : prev - d <= 1) return d;
        }
        revert ConvergenceFailed();
    }

    /// @dev Newton's method for the other balance y given one balance x and the invariant D.
    function _getY(uint256 x, uint256 d) private view returns (uint256 y) {
        uint256 ann = A * N;
        uint256 c = d * d / (x * N) * d / (ann * N);
        uint256 b = x + d / ann;
        y = d;
        for (uint256 k; k < 255; ++k) {
            uint256 prev = y;
            y = (y * y + c) / (2 * y + b - d);
            if (y > prev ? y - prev <= 1 : prev - y <= 1) return y;
        }
        revert ConvergenceFailed();
    }

    function _setReserves(uint256 r0, uint256 r1) private {
        if (r0 > type(uint128).max || r1 > type(uint128).max) revert BalanceOverflow();
        // forge-lint: disable-next-line(unsafe-typecast) -- both reserves were just checked to fit in 128 bits
        reserve0 = uint128(r0);
        // forge-lint: disable-next-line(unsafe-typecast) -- both reserves were just checked to fit in 128 bits
        reserve1 = uint128(r1);
    }

    function _transfer(address from, address to, uint256 amount) private {
        uint256 bal = balanceOf[from];
        if (bal < amount) revert InsufficientBalance(bal, amount);
        unchecked {
            balanceOf[from] = bal - amount;
            balanceOf[to] += amount; // bounded by totalSupply
        }
        emit Transfer(from, to, amount);
    }

    function _mint(address to, uint256 amount) private {
        totalSupply += amount;
        unchecked {
            balanceOf[to] += amount;
        }
        emit Transfer(address(0), to, amount);
    }

    function _burn(address from, uint256 amount) private {
        uint256 bal = balanceOf[from];
        if (bal < amount) revert InsufficientBalance(bal, amount);
        unchecked {
            balanceOf[from] = bal - amount;
            totalSupply -= amount;
        }
        emit Transfer(from, address(0), amount);
    }
}
