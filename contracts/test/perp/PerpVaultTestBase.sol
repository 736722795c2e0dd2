// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PerpTestBase} from "./PerpTestBase.sol";
import {ClearingHouseBase} from "../../src/perp/ClearingHouse.sol";
import {PerpVault} from "../../src/perp/PerpVault.sol";

/// @notice PerpTestBase plus a PerpVault on its clearing house. This test contract plays the
/// Settlement (as in PerpTestBase) and so also exposes the EIP-712 `domainSeparator()` of the
/// "IntentSettlement" domain at its own address, which the vault reads to rebuild digests.
/// ETH: skew scale 10,000 ETH, fee 0.1%, max position 100 ETH; BTC: skew scale 500 BTC, fee 0.1%,
/// max position 5 BTC; max leverage 3x; request delay 1 hour.
abstract contract PerpVaultTestBase is PerpTestBase {
    bytes32 internal constant V2_TYPEHASH = keccak256(
        "PositionIntent(address account,uint32 market,int256 sizeDelta,uint256 limitPrice,bool reduceOnly,bool partiallyFillable,uint32 validTo,uint256 nonce)"
    );
    uint256 internal constant DELAY = 1 hours;

    PerpVault internal vault;
    address internal lp0 = makeAddr("lp0");
    address internal lp1 = makeAddr("lp1");
    address internal lp2 = makeAddr("lp2");

    function setUp() public virtual override {
        super.setUp();
        vault = new PerpVault(address(ch), governance, DELAY, 3e18);
        vm.startPrank(governance);
        vault.setMarketParams(ETH, PerpVault.MarketParams(10_000e18, 0.001e18, 100e18, true));
        vault.setMarketParams(BTC, PerpVault.MarketParams(500e18, 0.001e18, 5e18, true));
        vm.stopPrank();
    }

    /// @dev The Settlement's EIP-712 domain separator (this contract is the settlement).
    function domainSeparator() public view returns (bytes32) {
        return keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("IntentSettlement"),
                keccak256("1"),
                block.chainid,
                address(this)
            )
        );
    }

    function _positionDigest(
        address account,
        uint32 market,
        int256 sizeDelta,
        uint256 limitPrice,
        bool reduceOnly,
        bool partiallyFillable,
        uint32 validTo,
        uint256 nonce
    ) internal view returns (bytes32) {
        bytes32 structHash = keccak256(
            abi.encode(
                V2_TYPEHASH, account, market, sizeDelta, limitPrice, reduceOnly, partiallyFillable, validTo, nonce
            )
        );
        return keccak256(abi.encodePacked(hex"1901", domainSeparator(), structHash));
    }

    /// @dev The digest the Settlement would build for the vault's PositionTrade, and its signature bytes.
    function _vaultAuth(uint32 market, int256 sizeDelta, uint256 limitPrice)
        internal
        view
        returns (bytes32 digest, bytes memory sig)
    {
        uint32 validTo = uint32(block.timestamp + 60);
        uint256 nonce = 7;
        digest = _positionDigest(address(vault), market, sizeDelta, limitPrice, false, false, validTo, nonce);
        sig = abi.encode(market, sizeDelta, limitPrice, validTo, nonce);
    }

    function _accepts(uint32 market, int256 sizeDelta, uint256 limitPrice) internal view returns (bool) {
        (bytes32 digest, bytes memory sig) = _vaultAuth(market, sizeDelta, limitPrice);
        return vault.isValidSignature(digest, sig) == bytes4(0x1626ba7e);
    }

    /// @dev Synchronous bootstrap deposit (only while the vault has no shares).
    function _bootstrap(address lp, uint256 assets) internal returns (uint256 shares) {
        usd.mint(lp, assets);
        vm.startPrank(lp);
        usd.approve(address(vault), type(uint256).max);
        shares = vault.deposit(assets, lp);
        vm.stopPrank();
    }

    function _requestDeposit(address lp, uint256 assets) internal {
        usd.mint(lp, assets);
        vm.startPrank(lp);
        usd.approve(address(vault), type(uint256).max);
        vault.requestDeposit(assets, lp, lp);
        vm.stopPrank();
    }

    function _claimDeposit(address lp) internal returns (uint256 shares) {
        uint256 assets = vault.claimableDepositRequest(0, lp);
        vm.prank(lp);
        shares = vault.deposit(assets, lp, lp);
    }

    function _requestRedeem(address lp, uint256 shares) internal {
        vm.prank(lp);
        vault.requestRedeem(shares, lp, lp);
    }

    function _claimRedeem(address lp) internal returns (uint256 assets) {
        uint256 shares = vault.claimableRedeemRequest(0, lp);
        vm.prank(lp);
        assets = vault.redeem(shares, lp, lp);
    }

    /// @dev `trader` takes `traderSize` in `id` against the vault (the vault takes -traderSize) at
    /// the vault's quote, after checking the vault authorises that fill (as the Settlement would).
    function _tradeVault(uint32 id, address trader, int256 traderSize) internal returns (uint256 price) {
        price = vault.quote(id, -traderSize);
        assertTrue(_accepts(id, -traderSize, price), "vault authorises its quote");
        (uint32[] memory ids, uint256[] memory prices) = _one(id, price);
        ClearingHouseBase.Fill[] memory fills = new ClearingHouseBase.Fill[](2);
        fills[0] = _fill(trader, traderSize, 0, false);
        fills[1] = _fill(address(vault), -traderSize, 0, false);
        ch.settlePositions(ids, prices, fills);
    }

    /// @dev Keeps every feed fresh after a warp.
    function _warp(uint256 secs) internal {
        (, int256 e,,,) = ethFeed.latestRoundData();
        (, int256 b,,,) = btcFeed.latestRoundData();
        vm.warp(block.timestamp + secs);
        _setPrice(ethFeed, e);
        _setPrice(btcFeed, b);
    }

    function _nav() internal view returns (uint256) {
        return vault.totalAssets();
    }
}
