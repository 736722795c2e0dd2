// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test, console2} from "forge-std/Test.sol";
import {StdInvariant} from "forge-std/StdInvariant.sol";
import {ClearingHouse, ClearingHouseBase} from "../../src/perp/ClearingHouse.sol";
import {DevnetPriceFeed} from "../../src/perp/DevnetPriceFeed.sol";
import {PerpVault} from "../../src/perp/PerpVault.sol";
import {ClearingHouseLpVault} from "../../src/perp/ClearingHouseLpVault.sol";
import {MintableERC20} from "../utils/Tokens.sol";

/// @notice Random LP requests, claims and cancellations, trades against the vault at its quote (only
/// when it authorises them, as the Settlement would ask), trades among traders, oracle moves, time
/// and liquidations. The handler is the clearing house's settlement and exposes the EIP-712 domain.
contract PerpVaultHandler is Test {
    bytes32 internal constant V2_TYPEHASH = keccak256(
        "PositionIntent(address account,uint32 market,int256 sizeDelta,uint256 limitPrice,bool reduceOnly,bool partiallyFillable,uint32 validTo,uint256 nonce)"
    );

    ClearingHouse public ch;
    PerpVault public vault;
    MintableERC20 public usd;
    DevnetPriceFeed[2] public feeds;
    int256[2] public answers;
    address public feeder;
    address public keeper;
    address[] public traders;
    address[] public lps;

    uint256 public vaultTrades;
    uint256 public claims;
    uint256 public claimAttempts;
    uint256 public requests;
    bool public quotedButRefused;
    /// @dev A claim paid more than the claim-time price (shares for a deposit, assets for a redemption).
    bool public overpaid;
    uint256 internal nonce;

    constructor(MintableERC20 usd_, DevnetPriceFeed eth, DevnetPriceFeed btc, address feeder_) {
        usd = usd_;
        feeds[0] = eth;
        feeds[1] = btc;
        answers[0] = 3000e8;
        answers[1] = 60_000e8;
        feeder = feeder_;
    }

    function init(
        ClearingHouse ch_,
        PerpVault vault_,
        address keeper_,
        address[] memory traders_,
        address[] memory lps_
    ) external {
        require(address(ch) == address(0), "once");
        ch = ch_;
        vault = vault_;
        keeper = keeper_;
        traders = traders_;
        lps = lps_;
    }

    function trustedCallee() external view returns (address) {
        return address(ch);
    }

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

    function lpCount() external view returns (uint256) {
        return lps.length;
    }

    function traderCount() external view returns (uint256) {
        return traders.length;
    }

    // ------------------------------------------------------------------ LPs

    function requestDeposit(uint256 seed, uint256 amount) external {
        address lp = lps[seed % lps.length];
        amount = bound(amount, 1e18, 200_000e18);
        usd.mint(lp, amount);
        vm.startPrank(lp);
        usd.approve(address(vault), amount);
        vault.requestDeposit(amount, lp, lp);
        vm.stopPrank();
        requests++;
    }

    /// Claims the first claimable deposit request from the LP `seed` picks on.
    function claimDeposit(uint256 seed) external {
        address lp;
        uint256 assets;
        for (uint256 i; i < lps.length && assets == 0; ++i) {
            lp = lps[(seed % lps.length + i) % lps.length];
            assets = vault.claimableDepositRequest(0, lp);
        }
        if (assets == 0) return;
        claimAttempts++;
        uint256 fair = vault.convertToShares(assets);
        vm.prank(lp);
        try vault.deposit(assets, lp, lp) returns (uint256 shares) {
            claims++;
            if (shares > fair) overpaid = true;
        } catch {}
    }

    function requestRedeem(uint256 seed, uint256 pct) external {
        address lp;
        for (uint256 i; i < lps.length && vault.balanceOf(lp) == 0; ++i) {
            lp = lps[(seed % lps.length + i) % lps.length];
        }
        uint256 shares = vault.balanceOf(lp) * bound(pct, 1, 100) / 100;
        if (shares == 0) return;
        vm.prank(lp);
        vault.requestRedeem(shares, lp, lp);
        requests++;
    }

    function claimRedeem(uint256 seed) external {
        address lp;
        uint256 shares;
        for (uint256 i; i < lps.length && shares == 0; ++i) {
            lp = lps[(seed % lps.length + i) % lps.length];
            shares = vault.maxRedeem(lp);
        }
        if (shares == 0) return;
        claimAttempts++;
        uint256 fair = vault.convertToAssets(shares);
        vm.prank(lp);
        try vault.redeem(shares, lp, lp) returns (uint256 paid) {
            claims++;
            if (paid > fair) overpaid = true;
        } catch {}
    }

    function cancel(uint256 seed, bool deposit) external {
        address lp = lps[seed % lps.length];
        vm.prank(lp);
        if (deposit) {
            try vault.cancelDepositRequest(lp, lp) {} catch {}
        } else {
            try vault.cancelRedeemRequest(lp, lp) {} catch {}
        }
    }

    // ------------------------------------------------------------------ trading

    /// A trader takes `size` against the vault at the vault's quote, if the vault authorises it.
    function tradeVault(uint256 seed, int256 size, uint256 marketSeed) external {
        address t = traders[seed % traders.length];
        uint32 id = uint32(marketSeed % 2 + 1);
        (uint256 mark,) = ch.markPrice(id);
        int256 unit = int256(1e36 / mark); // ~1 USD of size
        size = bound(size, -150_000, 150_000) * unit;
        if (size == 0) return;
        int256 d = -size;
        uint256 price;
        try vault.quote(id, d) returns (uint256 p) {
            price = p;
        } catch {
            return;
        }
        if (!_authorised(id, d, price)) {
            quotedButRefused = true;
            return;
        }
        _settle(id, price, t, size);
    }

    function _authorised(uint32 id, int256 d, uint256 price) internal returns (bool) {
        uint32 validTo = uint32(block.timestamp + 60);
        uint256 n = ++nonce;
        bytes32 structHash = keccak256(abi.encode(V2_TYPEHASH, address(vault), id, d, price, false, false, validTo, n));
        bytes32 digest = keccak256(abi.encodePacked(hex"1901", domainSeparator(), structHash));
        return vault.isValidSignature(digest, abi.encode(id, d, price, validTo, n)) == bytes4(0x1626ba7e);
    }

    function _settle(uint32 id, uint256 price, address t, int256 size) internal {
        uint32[] memory ids = new uint32[](1);
        uint256[] memory prices = new uint256[](1);
        ids[0] = id;
        prices[0] = price;
        ClearingHouseBase.Fill[] memory fills = new ClearingHouseBase.Fill[](2);
        fills[0] = ClearingHouseBase.Fill(t, size, 0, false);
        fills[1] = ClearingHouseBase.Fill(address(vault), -size, 0, false);
        try ch.settlePositions(ids, prices, fills) {
            vaultTrades++;
        } catch {}
    }

    function tradeTraders(uint256 seedA, uint256 seedB, int256 size, uint256 marketSeed) external {
        address a = traders[seedA % traders.length];
        address b = traders[seedB % traders.length];
        if (a == b) return;
        uint32 id = uint32(marketSeed % 2 + 1);
        (uint256 mark,) = ch.markPrice(id);
        int256 unit = int256(1e36 / mark);
        size = bound(size, -100_000, 100_000) * unit;
        if (size == 0) return;
        uint32[] memory ids = new uint32[](1);
        uint256[] memory prices = new uint256[](1);
        ids[0] = id;
        prices[0] = mark;
        ClearingHouseBase.Fill[] memory fills = new ClearingHouseBase.Fill[](2);
        fills[0] = ClearingHouseBase.Fill(a, size, 0, false);
        fills[1] = ClearingHouseBase.Fill(b, -size, 0, false);
        try ch.settlePositions(ids, prices, fills) {} catch {}
    }

    function movePrice(uint256 marketSeed, int256 bps) external {
        uint256 m = marketSeed % 2;
        bps = bound(bps, -500, 500);
        int256 next = answers[m] * (10_000 + bps) / 10_000;
        if (next < 1e8) next = 1e8;
        answers[m] = next;
        vm.prank(feeder);
        feeds[m].submit(next);
        _liquidateAll();
    }

    function passTime(uint256 secs) external {
        vm.warp(block.timestamp + bound(secs, 1, 2 hours)); // the request delay is 1 hour
        for (uint256 m; m < 2; ++m) {
            vm.prank(feeder);
            feeds[m].submit(answers[m]);
        }
    }

    function _liquidateAll() internal {
        for (uint256 i; i <= traders.length; ++i) {
            address a = i == traders.length ? address(vault) : traders[i];
            if (!ch.isLiquidatable(a)) continue;
            vm.prank(keeper);
            try ch.liquidate(a) {} catch {}
        }
    }
}

contract PerpVaultInvariantTest is StdInvariant, Test {
    ClearingHouse internal ch;
    PerpVault internal vault;
    MintableERC20 internal usd;
    PerpVaultHandler internal handler;
    address[] internal accounts; // every clearing-house account
    address[] internal lps;

    function setUp() public {
        vm.warp(1_700_000_000);
        usd = new MintableERC20("USD", "USD", 18);
        address feeder = makeAddr("feeder");
        DevnetPriceFeed eth = new DevnetPriceFeed(feeder, 8, "ETH / USD", 3000e8);
        DevnetPriceFeed btc = new DevnetPriceFeed(feeder, 8, "BTC / USD", 60_000e8);
        handler = new PerpVaultHandler(usd, eth, btc, feeder);
        ch = new ClearingHouse(address(this), address(handler), address(usd), 18, 0.01e18, 0.5e18);
        ClearingHouseBase.MarketConfig memory c;
        c.heartbeat = 1 hours;
        c.fundingPeriod = 8 hours;
        c.initialMarginFraction = 0.1e18;
        c.maintenanceMarginFraction = 0.05e18;
        c.feeFraction = 0.001e18;
        c.maxPriceDeviation = 0.05e18;
        c.maxFundingRate = 0.01e18;
        c.maxOpenInterest = 1e30;
        c.feed = eth;
        ch.listMarket(1, c);
        c.feed = btc;
        ch.listMarket(2, c);

        vault = new PerpVault(address(ch), address(this), 1 hours, 3e18);
        vault.setMarketParams(1, PerpVault.MarketParams(5_000e18, 0.001e18, 200e18, true));
        vault.setMarketParams(2, PerpVault.MarketParams(250e18, 0.001e18, 10e18, true));

        address keeper = makeAddr("keeper");
        usd.mint(keeper, 1e30);
        vm.startPrank(keeper);
        usd.approve(address(ch), 1e30);
        ch.deposit(keeper, 1e30);
        vm.stopPrank();

        address[] memory traders = new address[](3);
        for (uint256 i; i < 3; ++i) {
            traders[i] = makeAddr(string.concat("trader", vm.toString(i)));
            usd.mint(traders[i], 100_000e18);
            vm.startPrank(traders[i]);
            usd.approve(address(ch), 100_000e18);
            ch.deposit(traders[i], 100_000e18);
            vm.stopPrank();
            accounts.push(traders[i]);
        }
        accounts.push(keeper);
        accounts.push(address(vault));

        for (uint256 i; i < 3; ++i) {
            lps.push(makeAddr(string.concat("lp", vm.toString(i))));
        }
        // lp0 seeds the vault synchronously (bootstrap).
        usd.mint(lps[0], 200_000e18);
        vm.startPrank(lps[0]);
        usd.approve(address(vault), 200_000e18);
        vault.deposit(200_000e18, lps[0]);
        vm.stopPrank();

        handler.init(ch, vault, keeper, traders, lps);
        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](11);
        selectors[0] = PerpVaultHandler.requestDeposit.selector;
        selectors[1] = PerpVaultHandler.claimDeposit.selector;
        selectors[2] = PerpVaultHandler.requestRedeem.selector;
        selectors[3] = PerpVaultHandler.claimRedeem.selector;
        selectors[4] = PerpVaultHandler.cancel.selector;
        selectors[5] = PerpVaultHandler.tradeVault.selector;
        selectors[6] = PerpVaultHandler.tradeVault.selector;
        selectors[7] = PerpVaultHandler.tradeTraders.selector;
        selectors[8] = PerpVaultHandler.movePrice.selector;
        selectors[9] = PerpVaultHandler.passTime.selector;
        selectors[10] = PerpVaultHandler.passTime.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    /// NAV is the vault's clearing-house equity, floored at zero.
    function invariant_totalAssetsIsFlooredEquity() public view {
        (int256 equity,,) = ch.accountHealth(address(vault));
        assertEq(vault.totalAssets(), equity > 0 ? uint256(equity) : 0);
    }

    /// Everything pending redemptions could pay (claimable or not) is within NAV.
    function invariant_redeemPayoutsWithinNav() public view {
        uint256 sum;
        for (uint256 i; i < lps.length; ++i) {
            ClearingHouseLpVault.RedeemRequestState memory r = vault.redeemRequest(lps[i]);
            if (r.shares == 0) continue;
            uint256 atRequest = r.assets;
            uint256 now_ = vault.convertToAssets(r.shares);
            sum += atRequest < now_ ? atRequest : now_;
        }
        assertLe(sum, vault.totalAssets());
    }

    /// The clearing house's books: token balance == sum(collateral) + insurance fund + PnL float.
    function invariant_clearingHouseBooks() public view {
        int256 sum = ch.insuranceFund() + ch.pnlFloat();
        for (uint256 i; i < accounts.length; ++i) {
            sum += ch.collateral(accounts[i]);
        }
        assertEq(sum, int256(usd.balanceOf(address(ch))));
    }

    /// Escrows: the vault holds exactly the pending deposits' assets and the pending redemptions'
    /// shares, and the share supply is the LPs' balances plus those escrowed shares.
    function invariant_escrowsMatchRequests() public view {
        uint256 assets;
        uint256 shares;
        uint256 held;
        for (uint256 i; i < lps.length; ++i) {
            assets += vault.depositRequest(lps[i]).assets;
            shares += vault.redeemRequest(lps[i]).shares;
            held += vault.balanceOf(lps[i]);
        }
        assertEq(usd.balanceOf(address(vault)), assets);
        assertEq(vault.totalPendingDepositAssets(), assets);
        assertEq(vault.balanceOf(address(vault)), shares);
        assertEq(vault.totalPendingRedeemShares(), shares);
        assertEq(vault.totalSupply(), held + shares);
    }

    /// The vault authorised every fill it quoted (quote and isValidSignature agree).
    function invariant_quoteAndSignatureAgree() public view {
        assertFalse(handler.quotedButRefused());
    }

    /// No claim ever beats the claim-time share price (nor, by the min rule, the request-time one).
    function invariant_claimsNeverBeatTheSharePrice() public view {
        assertFalse(handler.overpaid());
    }

    /// Every market nets to zero across all accounts, the vault included.
    function invariant_marketsNet() public view {
        for (uint32 id = 1; id <= 2; ++id) {
            int256 net;
            for (uint256 i; i < accounts.length; ++i) {
                net += ch.position(accounts[i], id).size;
            }
            assertEq(net, 0);
        }
    }

    function test_handlerTradesAndClaims() public {
        handler.tradeVault(0, 20_000, 0); // ~$20k of ETH long against the vault
        assertEq(handler.vaultTrades(), 1);
        assertLt(ch.position(address(vault), 1).size, 0);
        handler.requestDeposit(1, 10_000e18);
        handler.requestRedeem(0, 50);
        handler.passTime(2 hours);
        handler.claimDeposit(1);
        handler.claimRedeem(0);
        assertEq(handler.claims(), 2);
        assertFalse(handler.quotedButRefused());
    }

    function afterInvariant() external view {
        console2.log("vault trades", handler.vaultTrades(), "claims", handler.claims());
        console2.log("requests", handler.requests(), "claim attempts", handler.claimAttempts());
    }
}
