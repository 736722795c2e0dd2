// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PositionSettlement} from "../../src/perp/PositionSettlement.sol";
import {IntentHashing, OptionIntent, PositionIntent} from "../../src/libraries/IntentHashing.sol";
import {OptionSettlement} from "../../src/options/OptionSettlement.sol";
import {OptionVault} from "../../src/options/OptionVault.sol";
import {UnderlyingParams} from "../../src/options/OptionVaultQuoter.sol";
import {OptionBookBase} from "./OptionBookBase.sol";

/// @dev OptionBookBase (real Settlement, ClearingHouse, OptionBook; ETH at 3,000, vol 80% flat,
/// five 30-day series) plus an OptionVault seeded with 1,000,000 by an LP, quoting ETH: 1 vol point
/// of base spread plus 0.05% of the mark, delta scale 10,000 ETH, vega scale 1,000,000 per vol,
/// max |delta| 100 ETH, max |vega| 100,000, 200 contracts per series, hedge tolerance 1 ETH within
/// 1% of the mark. Alice (10,000 of margin) trades against it.
abstract contract OptionVaultBase is OptionBookBase {
    bytes4 internal constant MAGIC = 0x1626ba7e;
    uint256 internal constant SEED = 1_000_000e18;

    OptionVault internal ovault;
    address internal lp = makeAddr("lp");
    address internal alice;
    uint256 internal aliceKey;
    address internal bob;
    uint256 internal bobKey;

    function setUp() public virtual override {
        super.setUp();
        (alice, aliceKey) = _user("alice");
        (bob, bobKey) = _user("bob");
        _margin(alice, 10_000e18);
        _margin(bob, 100_000e18);
        ovault = new OptionVault(book, governance, 1 hours);
        vm.prank(governance);
        ovault.setUnderlyingParams(ETH, _defaultParams());
        tokenA.mint(lp, SEED);
        vm.startPrank(lp);
        tokenA.approve(address(ovault), SEED);
        ovault.deposit(SEED, lp);
        vm.stopPrank();
        accounts.push(address(ovault));
    }

    function _defaultParams() internal pure returns (UnderlyingParams memory p) {
        p.baseVolSpread = 0.01e18;
        p.minSpread = 0.0005e18;
        p.hedgeBand = 0.01e18;
        p.enabled = true;
        p.deltaScale = 10_000e18;
        p.vegaScale = 1_000_000e18;
        p.maxDelta = 100e18;
        p.maxVega = 100_000e18;
        p.maxContracts = 200e18;
        p.hedgeTolerance = 1e18;
    }

    function _setParams(UnderlyingParams memory p) internal {
        vm.prank(governance);
        ovault.setUnderlyingParams(ETH, p);
    }

    /// @dev The vault's OptionTrade as a solver builds it (IOptionLiquiditySource flow).
    function _vaultOt(uint64 series, uint8 index, int256 size, uint256 limit, uint256 nonce)
        internal
        view
        returns (OptionSettlement.OptionTrade memory t)
    {
        uint32 validTo = uint32(block.timestamp + 1 hours);
        t = OptionSettlement.OptionTrade(
            address(ovault),
            size,
            limit,
            nonce,
            validTo,
            index,
            2,
            uint256(size < 0 ? -size : size),
            abi.encode(series, size, limit, validTo, nonce)
        );
    }

    /// @dev The vault's hedge PositionTrade (PerpVault's signature format) in a one-market batch.
    function _vaultPt(int256 delta, uint256 limit, uint256 nonce)
        internal
        view
        returns (PositionSettlement.PositionTrade memory t)
    {
        uint32 validTo = uint32(block.timestamp + 1 hours);
        t = PositionSettlement.PositionTrade(
            address(ovault),
            delta,
            limit,
            nonce,
            validTo,
            0,
            2,
            uint256(delta < 0 ? -delta : delta),
            abi.encode(ETH, delta, limit, validTo, nonce)
        );
    }

    function _optionDigest(uint64 series, int256 size, uint256 limit, uint32 validTo, uint256 nonce)
        internal
        view
        returns (bytes32)
    {
        return IntentHashing.optionDigest(
            settlement.domainSeparator(),
            OptionIntent(address(ovault), series, size, limit, false, false, validTo, nonce)
        );
    }

    /// @dev Whether the vault signs the option trade (series, size, limit) as the Settlement would ask.
    function _accepts(uint64 series, int256 size, uint256 limit) internal view returns (bool) {
        uint32 validTo = uint32(block.timestamp + 1 hours);
        bytes32 digest = _optionDigest(series, size, limit, validTo, 5);
        return ovault.isValidSignature(digest, abi.encode(series, size, limit, validTo, 5)) == MAGIC;
    }

    /// @dev Whether the vault signs the hedge (ETH perp, delta, limit).
    function _acceptsHedge(int256 delta, uint256 limit) internal view returns (bool) {
        uint32 validTo = uint32(block.timestamp + 1 hours);
        bytes32 digest = settlement.hashPositionIntent(
            PositionIntent(address(ovault), ETH, delta, limit, false, false, validTo, 9)
        );
        return ovault.isValidSignature(digest, abi.encode(ETH, delta, limit, validTo, 9)) == MAGIC;
    }

    /// @dev Alice buys (size > 0) or sells `size` of `series` from / to the ovault at the vault's quote.
    function _aliceTrades(uint64 series, int256 size, uint256 nonce) internal returns (uint256 premium) {
        premium = ovault.quote(series, -size);
        uint256 aliceLimit = size > 0 ? premium : 0;
        _settleAs(
            _optionBatch(
                series,
                premium,
                _ot(aliceKey, alice, series, 0, size, aliceLimit, nonce),
                _vaultOt(series, 0, -size, premium, nonce)
            )
        );
    }
}
