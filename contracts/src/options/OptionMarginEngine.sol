// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PortfolioMargin} from "./PortfolioMargin.sol";

/// @title OptionMarginEngine
/// @notice `PortfolioMargin` and the legs' model value behind one external pure call, deployed by
/// the `OptionBook` constructor. A separate contract only for the EIP-170 size limit: Black-Scholes
/// and the scenario grid do not fit in the book beside its trading code. Stateless and pure, so
/// anyone may call it; it decides nothing by itself.
contract OptionMarginEngine {
    int256 private constant WAD = 1e18;

    /// @notice One underlying's options: their value at `spot` (long legs floor(size * price), at
    /// nothing when the mark is not `fresh`; short legs -ceil(|size| * price); outside
    /// Black-Scholes' domain a long at a lower and a short at an upper bound, `PortfolioMargin.value`)
    /// and the portfolio requirement and maintenance of the perp and the legs together.
    function evaluate(
        uint256 spot,
        bool fresh,
        int256 perpSize,
        PortfolioMargin.OptionLeg[] memory legs,
        PortfolioMargin.Params memory p
    ) external pure returns (int256 value, uint256 requirement, uint256 maintenance) {
        // The legs' prices now come out of the grid's own evaluation (`marginAndUnits`): one
        // Black-Scholes per leg fewer than pricing them apart, same numbers to the wei.
        (PortfolioMargin.Result memory r, uint256[] memory units) = PortfolioMargin.marginAndUnits(spot, perpSize, legs, p);
        for (uint256 i; i < legs.length; ++i) {
            int256 size = legs[i].size;
            // forge-lint: disable-next-line(unsafe-typecast) -- a price < 2e36
            int256 unit = int256(units[i]);
            if (size > 0) {
                if (fresh) value += size * unit / WAD;
            } else if (size < 0) {
                int256 owed = -size * unit;
                value -= owed == 0 ? int256(0) : (owed - 1) / WAD + 1;
            }
        }
        return (value, r.requirement, r.maintenance);
    }

    /// @notice One leg's model price per 1e18 contracts at `spot`, as `evaluate` values it (a short
    /// at the upper bound, a long at the lower one): what a liquidation transfers it at.
    function unitValue(uint256 spot, PortfolioMargin.OptionLeg memory leg) external pure returns (uint256) {
        return PortfolioMargin.value(spot, leg, leg.volatility, leg.size < 0);
    }
}
