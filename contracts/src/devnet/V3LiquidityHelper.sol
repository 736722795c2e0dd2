// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

interface IDevnetV3PoolMint {
    function token0() external view returns (address);
    function token1() external view returns (address);
    function mint(address recipient, int24 tickLower, int24 tickUpper, uint128 amount, bytes calldata data)
        external
        returns (uint256 amount0, uint256 amount1);
}

interface IDevnetERC20 {
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
}

/// @title V3LiquidityHelper
/// @notice Devnet-only: adds liquidity to a real Uniswap V3 pool. A pool's `mint` calls back its
/// caller (`uniswapV3MintCallback`) for the tokens owed, so an EOA cannot mint directly; this
/// helper is the smallest such caller (the NonfungiblePositionManager would also work but brings
/// NFTs and a much larger deployment we do not need). The payer must approve this helper.
contract V3LiquidityHelper {
    error NotPool();

    // Set only for the duration of one mint so the callback can check who is calling it.
    address private expectedPool;

    function mint(address pool, int24 tickLower, int24 tickUpper, uint128 amount)
        external
        returns (uint256 amount0, uint256 amount1)
    {
        expectedPool = pool;
        (amount0, amount1) = IDevnetV3PoolMint(pool).mint(msg.sender, tickLower, tickUpper, amount, abi.encode(msg.sender));
        expectedPool = address(0);
    }

    function uniswapV3MintCallback(uint256 amount0Owed, uint256 amount1Owed, bytes calldata data) external {
        // Only the pool we are minting on may pull funds, or anyone could drain a payer's approval.
        if (msg.sender != expectedPool) revert NotPool();
        address payer = abi.decode(data, (address));
        IDevnetV3PoolMint pool = IDevnetV3PoolMint(msg.sender);
        if (amount0Owed > 0) require(IDevnetERC20(pool.token0()).transferFrom(payer, msg.sender, amount0Owed), "transfer0");
        if (amount1Owed > 0) require(IDevnetERC20(pool.token1()).transferFrom(payer, msg.sender, amount1Owed), "transfer1");
    }
}
