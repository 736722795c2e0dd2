// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PortfolioMargin} from "./PortfolioMargin.sol";

/// @notice Exposes the internal PortfolioMargin library to off-chain callers: the TypeScript
/// mirror's wei-equality test and the bench (test/chain/portfolio-margin.test.ts,
/// test/bench/options.ts) call it through eth_call. Holds no state and no funds.
contract PortfolioMarginHarness {
    function margin(
        uint256 spot,
        int256 perpSize,
        PortfolioMargin.OptionLeg[] memory legs,
        PortfolioMargin.Params memory params
    ) external pure returns (PortfolioMargin.Result memory) {
        return PortfolioMargin.margin(spot, perpSize, legs, params);
    }

    function scenarioLoss(
        uint256 spot,
        int256 perpSize,
        PortfolioMargin.OptionLeg[] memory legs,
        PortfolioMargin.Params memory params,
        uint256 scenario
    ) external pure returns (int256) {
        return PortfolioMargin.scenarioLoss(spot, perpSize, legs, params, scenario);
    }

    /// @notice Gas of one margin check inside the EVM (gasleft() before and after), so the figure
    /// excludes calldata, the call itself and ABI decoding of the legs.
    function marginGas(
        uint256 spot,
        int256 perpSize,
        PortfolioMargin.OptionLeg[] memory legs,
        PortfolioMargin.Params memory params
    ) external view returns (uint256 gasUsed, PortfolioMargin.Result memory r) {
        uint256 before = gasleft();
        r = PortfolioMargin.margin(spot, perpSize, legs, params);
        gasUsed = before - gasleft();
    }
}
