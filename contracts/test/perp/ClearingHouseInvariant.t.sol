// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test, console2} from "forge-std/Test.sol";
import {StdInvariant} from "forge-std/StdInvariant.sol";
import {ClearingHouse, ClearingHouseBase} from "../../src/perp/ClearingHouse.sol";
import {ICollateralVault} from "../../src/interfaces/ICollateralVault.sol";
import {CollateralVault} from "../../src/perp/CollateralVault.sol";
import {IClearingHouseMargin} from "../../src/interfaces/IClearingHouseMargin.sol";
import {DevnetPriceFeed} from "../../src/perp/DevnetPriceFeed.sol";
import {MintableERC20} from "../utils/Tokens.sol";
import {PerpMath, Position} from "../../src/perp/PerpMath.sol";

/// @notice Random trading, price moves (jumps included), time, deposits, withdrawals (of the
/// stablecoin and of WETH, extra collateral with a 10% haircut whose feed follows the ETH market)
/// and liquidations. The handler is the clearing house's "settlement". It records in ghost flags any
/// breach of the per-action rules; the invariants read the flags and the global books.
contract PerpHandler is Test {
    ClearingHouse public ch;

    /// @dev This handler plays the Settlement: it names the clearing house as the callee of its own calls.
    function trustedCallee() external view returns (address) {
        return address(ch);
    }
    MintableERC20 public usd;
    DevnetPriceFeed[2] public feeds;
    address public feeder;
    address public keeper;
    address[] public actors;
    int256[2] public answers;

    bool public touchedBelowInitial;
    bool public withdrawalBelowInitial;
    bool public liquidationFailed;
    bytes public liquidationError;
    uint256 public trades;
    uint256 public liquidations;

    constructor(MintableERC20 usd_, DevnetPriceFeed eth, DevnetPriceFeed btc, address feeder_) {
        usd = usd_;
        feeds[0] = eth;
        feeds[1] = btc;
        answers[0] = 3000e8;
        answers[1] = 60_000e8;
        feeder = feeder_;
    }

    function init(ClearingHouse ch_, address keeper_, address[] memory actors_) external {
        require(address(ch) == address(0), "once");
        ch = ch_;
        keeper = keeper_;
        actors = actors_;
    }

    CollateralVault public vault;
    MintableERC20 public weth;
    DevnetPriceFeed public wethFeed;

    function initCollateral(CollateralVault vault_, MintableERC20 weth_, DevnetPriceFeed wethFeed_) external {
        require(address(vault) == address(0), "once");
        vault = vault_;
        weth = weth_;
        wethFeed = wethFeed_;
    }

    function depositWeth(uint256 seed, uint256 amount) external {
        address a = actors[seed % actors.length];
        amount = bound(amount, 1, 5e18);
        weth.mint(a, amount);
        vm.startPrank(a);
        weth.approve(address(vault), amount);
        try vault.depositCollateral(address(weth), amount) {} catch {} // the cap may refuse it
        vm.stopPrank();
    }

    function withdrawWeth(uint256 seed, uint256 amount) external {
        address a = actors[seed % actors.length];
        amount = bound(amount, 1, 10e18);
        vm.prank(a);
        try vault.withdrawCollateral(address(weth), amount, a) {
            if (!_meetsInitial(a)) withdrawalBelowInitial = true;
        } catch {}
    }

    function actorCount() external view returns (uint256) {
        return actors.length;
    }

    function _meetsInitial(address a) internal view returns (bool) {
        (int256 e, int256 im,) = ch.accountHealth(a);
        return e >= im;
    }

    function trade(uint256 seedA, uint256 seedB, int256 size, uint256 priceBps, uint256 marketSeed) external {
        address a = actors[seedA % actors.length];
        address b = actors[seedB % actors.length];
        if (a == b) return;
        uint256 m = marketSeed % 2;
        // forge-lint: disable-next-line(unsafe-typecast) -- bounded test values
        (uint256 mark,) = ch.markPrice(uint32(m + 1));
        // forge-lint: disable-next-line(unsafe-typecast) -- bounded test values
        int256 unit = int256(1e36 / mark); // ~1 USD of size per unit
        size = bound(size, -95_000, 95_000) * unit + (size % 1000);
        if (size == 0) return;
        uint256 price = mark * bound(priceBps, 9_900, 10_100) / 10_000;
        uint32[] memory ids = new uint32[](1);
        uint256[] memory prices = new uint256[](1);
        // forge-lint: disable-next-line(unsafe-typecast) -- bounded test values
        ids[0] = uint32(m + 1);
        prices[0] = price;
        ClearingHouseBase.Fill[] memory fills = new ClearingHouseBase.Fill[](2);
        fills[0] = ClearingHouseBase.Fill(a, size, 0, false);
        fills[1] = ClearingHouseBase.Fill(b, -size, 0, false);
        try ch.settlePositions(ids, prices, fills) {
            trades++;
            if (!_meetsInitial(a) || !_meetsInitial(b)) touchedBelowInitial = true;
        } catch {}
    }

    function movePrice(uint256 marketSeed, int256 bps) external {
        uint256 m = marketSeed % 2;
        bps = bound(bps, -1500, 1500); // jumps up to 15%
        int256 next = answers[m] * (10_000 + bps) / 10_000;
        if (next < 1e8) next = 1e8;
        answers[m] = next;
        vm.prank(feeder);
        feeds[m].submit(next);
        if (m == 0) {
            vm.prank(feeder);
            wethFeed.submit(next); // WETH collateral follows the ETH market
        }
        _liquidateAll(); // keepers react to every price move
    }

    function passTime(uint256 secs) external {
        vm.warp(block.timestamp + bound(secs, 1, 30 minutes));
        for (uint256 m; m < 2; ++m) {
            vm.prank(feeder);
            feeds[m].submit(answers[m]);
        }
        vm.prank(feeder);
        wethFeed.submit(answers[0]);
    }

    function deposit(uint256 seed, uint256 amount) external {
        address a = actors[seed % actors.length];
        amount = bound(amount, 1, 50_000e18);
        usd.mint(a, amount);
        vm.startPrank(a);
        usd.approve(address(ch), amount);
        ch.deposit(a, amount);
        vm.stopPrank();
    }

    function withdraw(uint256 seed, uint256 amount) external {
        address a = actors[seed % actors.length];
        amount = bound(amount, 1, 100_000e18);
        vm.prank(a);
        try ch.withdraw(amount, a) {
            if (!_meetsInitial(a)) withdrawalBelowInitial = true;
        } catch {}
    }

    /// Every account below maintenance is liquidated by the (well capitalised) keeper; a failure is a breach.
    function liquidateAll() external {
        _liquidateAll();
    }

    uint256 public deleverages;

    /// Bankrupt beyond the insurance fund: auto-deleverage against every other actor, ranked by
    /// uPnL per notional in each market the account holds (the handler ranks on the first market).
    function _tryAdl(address a) internal {
        (int256 e,,) = ch.accountHealth(a);
        int256 fund = ch.insuranceFund();
        if (e >= 0 || -e <= (fund > 0 ? fund : int256(0))) return;
        uint32[] memory ms = ch.accountMarkets(a);
        if (ms.length != 1) return; // ranking across several markets is an off-chain job; skip here
        (uint256 mark,) = ch.markPrice(ms[0]);
        address[] memory cps = new address[](actors.length);
        int256[] memory scores = new int256[](actors.length);
        uint256 n;
        for (uint256 i; i < actors.length; ++i) {
            if (actors[i] == a) continue;
            Position memory q = ch.position(actors[i], ms[0]);
            if (q.size == 0) continue;
            // forge-lint: disable-next-line(unsafe-typecast) -- bounded test values
            int256 m = int256(mark);
            int256 upnl = PerpMath.unrealisedPnl(q, m);
            int256 score = upnl <= 0 ? type(int256).min : PerpMath.mulDivFloor(upnl, 1e18, PerpMath.notional(q.size, m));
            uint256 k = n++;
            while (k > 0 && scores[k - 1] < score) {
                cps[k] = cps[k - 1];
                scores[k] = scores[k - 1];
                --k;
            }
            cps[k] = actors[i];
            scores[k] = score;
        }
        assembly ("memory-safe") {
            mstore(cps, n)
        }
        try ch.autoDeleverage(a, cps) {
            deleverages++;
        } catch {}
    }

    function _liquidateAll() internal {
        for (uint256 i; i < actors.length; ++i) {
            address a = actors[i];
            if (!ch.isLiquidatable(a)) continue;
            _tryAdl(a);
            if (!ch.isLiquidatable(a)) continue;
            vm.prank(keeper);
            try ch.liquidate(a) {
                liquidations++;
            } catch (bytes memory err) {
                liquidationFailed = true;
                liquidationError = err;
            }
        }
    }
}

contract ClearingHouseInvariantTest is StdInvariant, Test {
    ClearingHouse internal ch;
    MintableERC20 internal usd;
    MintableERC20 internal weth;
    CollateralVault internal vault;
    PerpHandler internal handler;
    address[] internal everyone;

    function setUp() public {
        vm.warp(1_700_000_000);
        usd = new MintableERC20("USD", "USD", 18);
        address feeder = makeAddr("feeder");
        DevnetPriceFeed eth = new DevnetPriceFeed(feeder, 8, "ETH / USD", 3000e8);
        DevnetPriceFeed btc = new DevnetPriceFeed(feeder, 8, "BTC / USD", 60_000e8);
        handler = new PerpHandler(usd, eth, btc, feeder);
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

        weth = new MintableERC20("Wrapped Ether", "WETH", 18);
        DevnetPriceFeed wethFeed = new DevnetPriceFeed(feeder, 8, "WETH / USD", 3000e8);
        vault = new CollateralVault(IClearingHouseMargin(address(ch)));
        ch.setCollateralVault(ICollateralVault(address(vault)));
        vault.setCollateral(address(weth), CollateralVault.CollateralConfig(wethFeed, 1 hours, 0.1e18, 100e18));
        handler.initCollateral(vault, weth, wethFeed);

        address keeper = makeAddr("keeper");
        usd.mint(keeper, 1e30);
        vm.startPrank(keeper);
        usd.approve(address(ch), 1e30);
        ch.deposit(keeper, 1e30);
        vm.stopPrank();
        address[] memory actors = new address[](5);
        for (uint256 i; i < 5; ++i) {
            actors[i] = makeAddr(string.concat("trader", vm.toString(i)));
            usd.mint(actors[i], 10_000e18);
            vm.startPrank(actors[i]);
            usd.approve(address(ch), 10_000e18);
            ch.deposit(actors[i], 10_000e18);
            if (i % 2 == 0) {
                weth.mint(actors[i], 2e18);
                weth.approve(address(vault), 2e18);
                vault.depositCollateral(address(weth), 2e18);
            }
            vm.stopPrank();
            everyone.push(actors[i]);
        }
        everyone.push(keeper);
        handler.init(ch, keeper, actors);
        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](9);
        selectors[0] = PerpHandler.trade.selector;
        selectors[1] = PerpHandler.trade.selector; // trading twice as often
        selectors[2] = PerpHandler.movePrice.selector;
        selectors[3] = PerpHandler.passTime.selector;
        selectors[4] = PerpHandler.deposit.selector;
        selectors[5] = PerpHandler.withdraw.selector;
        selectors[6] = PerpHandler.liquidateAll.selector;
        selectors[7] = PerpHandler.depositWeth.selector;
        selectors[8] = PerpHandler.withdrawWeth.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    /// Money is conserved: every unit the contract holds is someone's collateral, the insurance
    /// fund, or the PnL float (trading, funding, fees and liquidations only move it between them).
    function invariant_conservation() public view {
        int256 sum = ch.insuranceFund() + ch.pnlFloat();
        for (uint256 i; i < everyone.length; ++i) {
            sum += ch.collateral(everyone[i]);
        }
        assertEq(sum, int256(usd.balanceOf(address(ch))));
    }

    /// Per extra collateral token: the vault holds exactly the accounts' balances plus what the
    /// insurance fund bought in liquidations.
    function invariant_collateralConservedPerToken() public view {
        uint256 sum = vault.insuranceCollateral(address(weth));
        for (uint256 i; i < everyone.length; ++i) {
            sum += vault.balanceOf(everyone[i], address(weth));
        }
        assertEq(sum, weth.balanceOf(address(vault)));
    }

    /// Trading is zero-sum except fees, and rounding never favours accounts: the equity the system
    /// books for everybody plus the insurance fund never exceeds what it holds.
    function invariant_neverOwesMoreThanItHolds() public view {
        int256 booked = ch.insuranceFund();
        for (uint256 i; i < everyone.length; ++i) {
            (int256 e,,) = ch.accountHealth(everyone[i]);
            booked += e;
        }
        // What it holds: the stablecoin plus the WETH in the vault at the haircut price.
        (uint256 wethPrice,) = vault.collateralPrice(address(weth));
        int256 held = int256(usd.balanceOf(address(ch)))
            + PerpMath.collateralValue(weth.balanceOf(address(vault)), wethPrice, 18, 0.1e18);
        assertLe(booked, held);
    }

    function invariant_touchedAccountsMeetInitialMargin() public view {
        assertFalse(handler.touchedBelowInitial());
    }

    function invariant_withdrawalsNeverBelowInitialMargin() public view {
        assertFalse(handler.withdrawalBelowInitial());
    }

    function invariant_belowMaintenanceCanAlwaysBeLiquidated() public view {
        assertFalse(handler.liquidationFailed(), string(handler.liquidationError()));
    }

    function test_handlerTrades() public {
        handler.trade(0, 1, 5000, 10_000, 0);
        assertEq(handler.trades(), 1);
    }

    function test_handlerLiquidates() public {
        handler.trade(1, 0, 80_000, 10_000, 0); // ~$80k long ETH on $10k (trader1: stablecoin only)
        handler.movePrice(0, -1000); // -10%
        handler.liquidateAll();
        assertEq(handler.liquidations(), 1);
        assertFalse(handler.liquidationFailed());
    }

    function afterInvariant() external view {
        console2.log("trades", handler.trades(), "liquidations", handler.liquidations());
        console2.log("deleverages", handler.deleverages());
    }

    /// Long and short open interest are equal (every market nets to zero) and match the positions.
    function invariant_openInterestMatchesPositions() public view {
        for (uint32 id = 1; id <= 2; ++id) {
            int256 net;
            uint256 longs;
            for (uint256 i; i < everyone.length; ++i) {
                int256 s = ch.position(everyone[i], id).size;
                net += s;
                // forge-lint: disable-next-line(unsafe-typecast) -- bounded test values
                if (s > 0) longs += uint256(s);
            }
            (,, uint256 oi,) = ch.marketState(id);
            assertEq(net, 0);
            assertEq(oi, longs);
        }
    }
}
