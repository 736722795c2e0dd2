// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {Settlement} from "../../src/Settlement.sol";
import {Vault} from "../../src/Vault.sol";
import {ClearingHouse, ClearingHouseBase} from "../../src/perp/ClearingHouse.sol";
import {ICollateralVault} from "../../src/interfaces/ICollateralVault.sol";
import {CollateralVault} from "../../src/perp/CollateralVault.sol";
import {IClearingHouseMargin} from "../../src/interfaces/IClearingHouseMargin.sol";
import {DevnetPriceFeed} from "../../src/perp/DevnetPriceFeed.sol";
import {PositionSettlement} from "../../src/perp/PositionSettlement.sol";
import {Position} from "../../src/perp/PerpMath.sol";
import {StableSwapPool} from "../../src/liquidity/StableSwapPool.sol";
import {PositionIntent} from "../../src/libraries/IntentHashing.sol";
import {UniswapDeployer, IUniswapV2Pair} from "../utils/Uniswap.sol";
import {OwnedToken, DaiLikeToken, MockNFT, MockPermit2, AttackerHelper} from "./AdversaryMocks.sol";

/// @notice Everything the adversarial suite deploys, handed to the handler in one piece.
struct Sys {
    Settlement settlement;
    Vault vault;
    ClearingHouse ch;
    CollateralVault cv;
    OwnedToken usd; // the clearing house's collateral (18 decimals)
    OwnedToken weth; // the CollateralVault's extra collateral
    OwnedToken tokB; // a plain spot token (Uniswap V2 / StableSwap pair with usd)
    DaiLikeToken dai; // transferFrom aliases (move / pull / push)
    MockNFT nft; // ERC-721 safeTransferFrom
    MockPermit2 permit2; // Permit2 batch transferFrom
    IUniswapV2Pair pair;
    StableSwapPool stable;
    DevnetPriceFeed ethFeed;
    DevnetPriceFeed wethFeed;
    AttackerHelper helper;
    address governance;
    address feeder;
    address honest; // honest bonded solver
    address attacker; // the adversarial bonded solver (calls settle)
    uint256 attackerKey;
    address attacker2; // the attacker's second bonded identity (direct calls, registry ops)
    address trader1; // attacker-owned margin accounts; sign the attacker's own position intents
    uint256 key1;
    address trader2;
    uint256 key2;
    address[3] victims; // sign NOTHING during the run; victims[0] holds a position from setUp
    address mistaken; // approved Settlement itself by mistake (tracked separately)
}

/// @notice Deploys the whole system (Settlement + Vault, ClearingHouse with an ETH market on a
/// devnet feed, CollateralVault with WETH, a real Uniswap V2 pair and a StableSwapPool), an honest
/// and an adversarial bonded solver, the attacker's helper contract and margin accounts, and the
/// victims; records every victim's state for the invariants.
abstract contract AdversarialBase is Test {
    uint256 internal constant MIN_BOND = 1 ether;
    uint256 internal constant UNBONDING_DELAY = 1 days;
    uint256 internal constant HONEST_BOND = 10 ether;
    uint256 internal constant ATTACKER_BOND = 3 ether;
    uint256 internal constant ATTACKER2_BOND = 2 ether;
    uint32 internal constant MARKET = 1;
    int256 internal constant ETH_ANSWER = 3000e8; // feed has 8 decimals
    /// @dev The feeder (a keeper, not the attacker) moves both feeds within +-1% of the start.
    int256 internal constant MAX_ANSWER = 3030e8;
    uint64 internal constant MAX_FUNDING_RATE = 0.01e18;
    uint32 internal constant FUNDING_PERIOD = 8 hours;

    uint256 internal constant VICTIM_WALLET = 10_000e18;
    uint256 internal constant VICTIM_WETH = 10e18;
    uint256 internal constant VICTIM_MARGIN = 200_000e18;
    uint256 internal constant VICTIM_EXTRA = 5e18;
    int256 internal constant VICTIM0_POSITION = 2e18;

    Sys internal s;
    uint256 internal startTime;
    uint256 internal victim0Key;
    uint256 internal trader1Nonce0Used; // nonce trader1 used in setUp
    bytes internal setupPositions; // the legitimately signed position leg of setUp (replayable bytes)

    struct VictimSnapshot {
        uint256 usd;
        uint256 weth;
        uint256 tokB;
        uint256 allowUsd;
        uint256 allowWeth;
        uint256 allowTokB;
        int256 collateral;
        uint256 extra;
        int256 size;
        int256 openNotional;
    }

    mapping(address => VictimSnapshot) internal snap;

    struct MistakenSnapshot {
        uint256 dai;
        uint256 daiAllowance;
        uint256 usd;
        uint256 usdAllowance;
        uint160 permit2Allowance;
        address nft1;
        address nft2;
    }

    MistakenSnapshot internal mistakenSnap;

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        startTime = block.timestamp;
        s.governance = makeAddr("governance");
        s.feeder = makeAddr("feeder");
        s.honest = makeAddr("honestSolver");
        (s.attacker, s.attackerKey) = makeAddrAndKey("attackerSolver");
        s.attacker2 = makeAddr("attackerSolver2");
        (s.trader1, s.key1) = makeAddrAndKey("attackerTrader1");
        (s.trader2, s.key2) = makeAddrAndKey("attackerTrader2");
        (s.victims[0], victim0Key) = makeAddrAndKey("victimWithPosition");
        s.victims[1] = makeAddr("victim1");
        s.victims[2] = makeAddr("victim2");
        s.mistaken = makeAddr("mistakenApprover");

        _deployCore();
        _deployLiquidity();
        _fundAttacker();
        _fundVictims();
        _openVictimPosition();
        _fundMistaken();
        _snapshot();
        _label();
    }

    function _label() private {
        vm.label(address(s.settlement), "Settlement");
        vm.label(address(s.vault), "Vault");
        vm.label(address(s.ch), "ClearingHouse");
        vm.label(address(s.cv), "CollateralVault");
        vm.label(address(s.usd), "usd");
        vm.label(address(s.weth), "weth");
        vm.label(address(s.tokB), "tokB");
        vm.label(address(s.dai), "daiLike");
        vm.label(address(s.nft), "nft");
        vm.label(address(s.permit2), "permit2");
        vm.label(address(s.pair), "uniV2Pair");
        vm.label(address(s.stable), "stableSwap");
        vm.label(address(s.ethFeed), "ethFeed");
        vm.label(address(s.wethFeed), "wethFeed");
        vm.label(address(s.helper), "attackerHelper");
    }

    // ------------------------------------------------------------------ deployment

    function _deployCore() private {
        s.settlement = new Settlement(s.governance, MIN_BOND, UNBONDING_DELAY);
        s.vault = s.settlement.vault();
        s.usd = new OwnedToken("USD", "USD", 18);
        s.weth = new OwnedToken("Wrapped Ether", "WETH", 18);
        s.tokB = new OwnedToken("Token B", "TKB", 18);
        s.dai = new DaiLikeToken();
        s.nft = new MockNFT();
        s.permit2 = new MockPermit2();
        s.helper = new AttackerHelper();
        s.ch = new ClearingHouse(s.governance, address(s.settlement), address(s.usd), 18, 0.01e18, 0.5e18);
        s.ethFeed = new DevnetPriceFeed(s.feeder, 8, "ETH / USD", ETH_ANSWER);
        s.wethFeed = new DevnetPriceFeed(s.feeder, 8, "WETH / USD", ETH_ANSWER);
        s.cv = new CollateralVault(IClearingHouseMargin(address(s.ch)));
        ClearingHouseBase.MarketConfig memory c;
        c.feed = s.ethFeed;
        c.heartbeat = 1 hours;
        c.fundingPeriod = FUNDING_PERIOD;
        c.initialMarginFraction = 0.1e18;
        c.maintenanceMarginFraction = 0.05e18;
        c.feeFraction = 0.001e18;
        c.maxPriceDeviation = 0.05e18;
        c.maxFundingRate = MAX_FUNDING_RATE;
        c.maxOpenInterest = 1_000_000e18;
        CollateralVault.CollateralConfig memory cc;
        cc.feed = s.wethFeed;
        cc.heartbeat = 1 hours;
        cc.haircut = 0.1e18;
        cc.depositCap = 1_000_000e18;
        vm.startPrank(s.governance);
        s.ch.listMarket(MARKET, c);
        s.ch.setCollateralVault(ICollateralVault(address(s.cv)));
        s.cv.setCollateral(address(s.weth), cc);
        s.settlement.setClearingHouse(s.ch);
        vm.stopPrank();

        vm.deal(s.honest, 100 ether);
        vm.prank(s.honest);
        s.settlement.bond{value: HONEST_BOND}();
        vm.deal(s.attacker, 100 ether);
        vm.prank(s.attacker);
        s.settlement.bond{value: ATTACKER_BOND}();
        vm.deal(s.attacker2, 100 ether);
        vm.prank(s.attacker2);
        s.settlement.bond{value: ATTACKER2_BOND}();
        // Settlement's own spot buffers (protocol money the trust model lets a solver borrow).
        s.usd.mint(address(s.settlement), 10_000e18);
        s.weth.mint(address(s.settlement), 10e18);
        s.tokB.mint(address(s.settlement), 10_000e18);
    }

    function _deployLiquidity() private {
        s.pair = IUniswapV2Pair(UniswapDeployer.v2Factory().createPair(address(s.usd), address(s.tokB)));
        s.usd.mint(address(s.pair), 1_000_000e18);
        s.tokB.mint(address(s.pair), 1_000_000e18);
        s.pair.mint(address(this));
        s.stable = new StableSwapPool(address(s.usd), address(s.tokB), 18, 18, 200, 4e6);
        s.usd.mint(address(this), 1_000_000e18);
        s.tokB.mint(address(this), 1_000_000e18);
        s.usd.approve(address(s.stable), type(uint256).max);
        s.tokB.approve(address(s.stable), type(uint256).max);
        s.stable.addLiquidity(1_000_000e18, 1_000_000e18, 0, address(this));
    }

    function _fundAttacker() private {
        address[5] memory mine = [s.attacker, s.attacker2, s.trader1, s.trader2, address(s.helper)];
        for (uint256 i; i < mine.length; ++i) {
            s.usd.mint(mine[i], 100_000e18);
            s.weth.mint(mine[i], 20e18);
            s.tokB.mint(mine[i], 100_000e18);
            s.dai.mint(mine[i], 1_000e18);
        }
        _margin(s.trader1, 50_000e18);
        _margin(s.trader2, 50_000e18);
        _margin(s.attacker, 50_000e18);
        _margin(s.attacker2, 50_000e18);
    }

    function _margin(address who, uint256 amount) internal {
        s.usd.mint(who, amount);
        vm.startPrank(who);
        s.usd.approve(address(s.ch), amount);
        s.ch.deposit(who, amount);
        vm.stopPrank();
    }

    function _fundVictims() private {
        for (uint256 i; i < 3; ++i) {
            address v = s.victims[i];
            s.usd.mint(v, VICTIM_WALLET);
            s.weth.mint(v, VICTIM_WETH);
            s.tokB.mint(v, VICTIM_WALLET);
            vm.startPrank(v);
            s.usd.approve(address(s.vault), type(uint256).max);
            s.weth.approve(address(s.vault), type(uint256).max);
            s.tokB.approve(address(s.vault), type(uint256).max);
            vm.stopPrank();
            _margin(v, VICTIM_MARGIN);
            s.weth.mint(v, VICTIM_EXTRA);
            vm.startPrank(v);
            s.weth.approve(address(s.cv), VICTIM_EXTRA);
            s.cv.depositCollateral(address(s.weth), VICTIM_EXTRA);
            vm.stopPrank();
        }
    }

    /// @dev victims[0] goes long 2 ETH against trader1 through a legitimately signed batch that the
    /// honest solver settles. This is the only signature a victim ever gives.
    function _openVictimPosition() private {
        PositionSettlement.PositionTrade[] memory pts = new PositionSettlement.PositionTrade[](2);
        pts[0] = _signedPositionTrade(victim0Key, s.victims[0], VICTIM0_POSITION, 3010e18, 0);
        pts[1] = _signedPositionTrade(s.key1, s.trader1, -VICTIM0_POSITION, 2990e18, 0);
        uint32[] memory markets = new uint32[](1);
        uint256[] memory prices = new uint256[](1);
        markets[0] = MARKET;
        prices[0] = 3000e18;
        setupPositions = abi.encode(PositionSettlement.PositionBatch(markets, prices, pts));
        Settlement.Batch memory b;
        b.positions = setupPositions;
        vm.prank(s.honest);
        s.settlement.settle(b);
        require(s.ch.position(s.victims[0], MARKET).size == VICTIM0_POSITION, "setup position");
    }

    function _signedPositionTrade(uint256 key, address account, int256 delta, uint256 limit, uint256 nonce)
        internal
        view
        returns (PositionSettlement.PositionTrade memory t)
    {
        PositionIntent memory i =
            PositionIntent(account, MARKET, delta, limit, false, false, uint32(block.timestamp + 30 days), nonce);
        (uint8 v, bytes32 r, bytes32 sig) = vm.sign(key, s.settlement.hashPositionIntent(i));
        t = PositionSettlement.PositionTrade(
            account, delta, limit, nonce, i.validTo, 0, 0, uint256(delta < 0 ? -delta : delta), abi.encodePacked(r, sig, v)
        );
    }

    /// @dev The mistaken victim approved Settlement (not the Vault) on a DAI-style token, on the
    /// plain ERC20 `usd`, for all its NFTs, and as a Permit2 spender of `usd`.
    function _fundMistaken() private {
        address m = s.mistaken;
        s.dai.mint(m, 1_000e18);
        s.usd.mint(m, 5_000e18);
        s.nft.mint(m, 1);
        s.nft.mint(m, 2);
        vm.startPrank(m);
        s.dai.approve(address(s.settlement), 1_000e18);
        s.usd.approve(address(s.settlement), 1_000e18);
        s.nft.setApprovalForAll(address(s.settlement), true);
        s.usd.approve(address(s.permit2), type(uint256).max);
        s.permit2.approve(address(s.usd), address(s.settlement), 1_000e18, type(uint48).max);
        vm.stopPrank();
    }

    function _snapshot() private {
        for (uint256 i; i < 3; ++i) {
            snap[s.victims[i]] = _victimState(s.victims[i]);
        }
        mistakenSnap = _mistakenState();
    }

    function _victimState(address v) internal view returns (VictimSnapshot memory x) {
        x.usd = s.usd.balanceOf(v);
        x.weth = s.weth.balanceOf(v);
        x.tokB = s.tokB.balanceOf(v);
        x.allowUsd = s.usd.allowance(v, address(s.vault));
        x.allowWeth = s.weth.allowance(v, address(s.vault));
        x.allowTokB = s.tokB.allowance(v, address(s.vault));
        x.collateral = s.ch.collateral(v);
        x.extra = s.cv.balanceOf(v, address(s.weth));
        Position memory p = s.ch.position(v, MARKET);
        x.size = p.size;
        x.openNotional = p.openNotional;
    }

    function _mistakenState() internal view returns (MistakenSnapshot memory x) {
        address m = s.mistaken;
        x.dai = s.dai.balanceOf(m);
        x.daiAllowance = s.dai.allowance(m, address(s.settlement));
        x.usd = s.usd.balanceOf(m);
        x.usdAllowance = s.usd.allowance(m, address(s.settlement));
        (x.permit2Allowance,,) = s.permit2.allowance(m, address(s.usd), address(s.settlement));
        x.nft1 = s.nft.ownerOf(1);
        x.nft2 = s.nft.ownerOf(2);
    }

    /// @dev The most funding victims[0]'s collateral can legitimately move by since setUp:
    /// |rate| <= mark * maxFundingRate / 1e18 / fundingPeriod (collateral per 1e18 size per second)
    /// with mark <= MAX_ANSWER (1e10 scales 8-decimal feed answers to 18-decimal collateral), so over
    /// `elapsed` seconds a position of |size| pays at most ceil(|size| * cap * elapsed / 1e18), plus
    /// one wei of rounding per settlement of its funding. In this suite nothing legitimate touches
    /// the position, so the collateral stays exact unless an attack lands; the bound is the most
    /// the invariant tolerates. At 2 ETH and ~1 day it is about 2 * 1.05e15 * 86400 / 1e18 = 182 USD.
    function _victim0FundingBound() internal view returns (int256) {
        uint256 capPerSecond = uint256(MAX_ANSWER) * 1e10 * MAX_FUNDING_RATE / 1e18 / FUNDING_PERIOD + 1;
        uint256 elapsed = block.timestamp - startTime;
        // forge-lint: disable-next-line(unsafe-typecast) -- VICTIM0_POSITION > 0
        uint256 size = uint256(VICTIM0_POSITION);
        return int256((size * capPerSecond * elapsed + 1e18 - 1) / 1e18 + 1);
    }
}
