// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Vm} from "forge-std/Vm.sol";

interface IUniswapV2Factory {
    function createPair(address tokenA, address tokenB) external returns (address pair);
}

interface IUniswapV2Pair {
    function mint(address to) external returns (uint256 liquidity);
    function swap(uint256 amount0Out, uint256 amount1Out, address to, bytes calldata data) external;
    function getReserves() external view returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast);
    function token0() external view returns (address);
}

interface IUniswapV3Factory {
    function createPool(address tokenA, address tokenB, uint24 fee) external returns (address pool);
}

interface IUniswapV3Pool {
    function initialize(uint160 sqrtPriceX96) external;
    function mint(address recipient, int24 tickLower, int24 tickUpper, uint128 amount, bytes calldata data)
        external
        returns (uint256 amount0, uint256 amount1);
    function swap(
        address recipient,
        bool zeroForOne,
        int256 amountSpecified,
        uint160 sqrtPriceLimitX96,
        bytes calldata data
    ) external returns (int256 amount0, int256 amount1);
    function token0() external view returns (address);
    function token1() external view returns (address);
}

/// @notice Deploys the real Uniswap contracts from the npm packages' build artifacts (the same
/// bytecode the devnet uses), so gas figures are comparable with CoW's measurements.
library UniswapDeployer {
    Vm private constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    uint160 internal constant MIN_SQRT_RATIO = 4295128739;
    uint160 internal constant MAX_SQRT_RATIO = 1461446703485210103287273052203988822378723970342;

    function deploy(string memory artifact, bytes memory args) internal returns (address addr) {
        string memory json = vm.readFile(string.concat(vm.projectRoot(), "/../node_modules/@uniswap/", artifact));
        string memory hexCode = vm.parseJsonString(json, ".bytecode");
        if (bytes(hexCode).length < 2 || bytes(hexCode)[1] != "x") hexCode = string.concat("0x", hexCode);
        bytes memory code = bytes.concat(vm.parseBytes(hexCode), args);
        assembly {
            addr := create(0, add(code, 0x20), mload(code))
        }
        require(addr != address(0), "deploy failed");
    }

    function v2Factory() internal returns (IUniswapV2Factory) {
        return IUniswapV2Factory(deploy("v2-core/build/UniswapV2Factory.json", abi.encode(address(0))));
    }

    function v3Factory() internal returns (IUniswapV3Factory) {
        return IUniswapV3Factory(
            deploy("v3-core/artifacts/contracts/UniswapV3Factory.sol/UniswapV3Factory.json", "")
        );
    }
}
