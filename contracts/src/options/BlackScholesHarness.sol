// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BlackScholes} from "./BlackScholes.sol";

/// @notice Exposes the internal BlackScholes library to off-chain callers: the TypeScript mirror's
/// wei-equality test and the accuracy/gas bench (test/chain/black-scholes.test.ts,
/// test/bench/options.ts) call it through eth_call. Holds no state and no funds.
contract BlackScholesHarness {
    function evaluate(uint256 spot, uint256 strike, uint256 secondsToExpiry, uint256 volatility)
        external
        pure
        returns (BlackScholes.Result memory)
    {
        return BlackScholes.evaluate(spot, strike, secondsToExpiry, volatility);
    }

    function callPrice(uint256 spot, uint256 strike, uint256 secondsToExpiry, uint256 volatility)
        external
        pure
        returns (uint256)
    {
        return BlackScholes.callPrice(spot, strike, secondsToExpiry, volatility);
    }

    function putPrice(uint256 spot, uint256 strike, uint256 secondsToExpiry, uint256 volatility)
        external
        pure
        returns (uint256)
    {
        return BlackScholes.putPrice(spot, strike, secondsToExpiry, volatility);
    }

    function cdf(int256 x) external pure returns (int256) {
        return BlackScholes.cdf(x);
    }

    function ln(int256 x) external pure returns (int256) {
        return BlackScholes.ln(x);
    }

    /// @notice Gas of one evaluation inside the EVM (gasleft() before and after), so the figure
    /// excludes calldata, the call itself and ABI encoding of the result.
    function evaluateGas(uint256 spot, uint256 strike, uint256 secondsToExpiry, uint256 volatility)
        external
        view
        returns (uint256 callGas, uint256 evaluateGasUsed)
    {
        uint256 before = gasleft();
        BlackScholes.callPrice(spot, strike, secondsToExpiry, volatility);
        uint256 middle = gasleft();
        BlackScholes.evaluate(spot, strike, secondsToExpiry, volatility);
        uint256 done = gasleft();
        return (before - middle, middle - done);
    }
}
