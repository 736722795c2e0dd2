// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {Settlement} from "../../src/Settlement.sol";
import {SolverRegistry} from "../../src/SolverRegistry.sol";
import {Vault} from "../../src/Vault.sol";
import {ClearingHouse, ClearingHouseBase} from "../../src/perp/ClearingHouse.sol";
import {ICollateralVault} from "../../src/interfaces/ICollateralVault.sol";
import {CollateralVault} from "../../src/perp/CollateralVault.sol";
import {DevnetPriceFeed} from "../../src/perp/DevnetPriceFeed.sol";
import {PositionSettlement} from "../../src/perp/PositionSettlement.sol";
import {StableSwapPool} from "../../src/liquidity/StableSwapPool.sol";
import {PositionIntent, SwapIntent} from "../../src/libraries/IntentHashing.sol";
import {IUniswapV2Pair} from "../utils/Uniswap.sol";
import {OwnedToken, DaiLikeToken, MockNFT, MockPermit2, AttackerHelper} from "./AdversaryMocks.sol";
import {Sys} from "./AdversarialBase.sol";

/// @notice The adversarial bonded solver. Every action is something the attacker can do on its
/// own: `settleBatch` (a batch with arbitrary interactions drawn from a catalogue over every deployed
/// contract's real selectors plus raw calldata, optionally its own signed position leg, forged or
/// replayed victim intents), `directCall` (the same catalogue called directly by the attacker's
/// second identity), and `keeperTick` (time passes; the feeder, not the attacker, keeps the feeds
/// fresh within +-1%). Nothing here ever signs for a victim. Calls are low level, so a revert never
/// aborts the run; ghost counters record what was attempted and what landed.
contract SolverAdversaryHandler is Test {
    // ------------------------------------------------------------------ catalogue kinds
    uint256 internal constant K_CH_FORGE_OPEN = 0; // ClearingHouse.settlePositions: open/grow a victim position
    uint256 internal constant K_CH_FORGE_CLOSE = 1; // settlePositions: close victims[0] at any price (reduce fills skip the deviation guard)
    uint256 internal constant K_CH_LIQUIDATE = 2;
    uint256 internal constant K_CH_ADL = 3;
    uint256 internal constant K_CH_DEPOSIT = 4;
    uint256 internal constant K_CH_WITHDRAW = 5;
    uint256 internal constant K_CH_FUND = 6;
    uint256 internal constant K_CH_ADMIN = 7;
    uint256 internal constant K_CV_SEIZE = 8;
    uint256 internal constant K_CV_DEPOSIT = 9;
    uint256 internal constant K_CV_WITHDRAW = 10;
    uint256 internal constant K_CV_ADMIN = 11;
    uint256 internal constant K_VAULT_PULL = 12;
    uint256 internal constant K_SETTLEMENT_SELF = 13;
    uint256 internal constant K_TOKEN = 14;
    uint256 internal constant K_ALIAS = 15; // DAI move/pull/push, ERC-721 safeTransferFrom, Permit2 transferFrom
    uint256 internal constant K_PAIR = 16;
    uint256 internal constant K_STABLE = 17;
    uint256 internal constant K_FEED = 18;
    uint256 internal constant K_HELPER_BOND = 19; // helper.exec(settlement, v, bond()) paid with Settlement's ETH
    uint256 internal constant K_HELPER_REGISTRY = 20; // helper re-enters requestExit / withdrawBond / slash / settle ...
    uint256 internal constant K_HELPER_PRIVILEGED = 21; // helper calls settlePositions / pull / seize (wrong sender)
    uint256 internal constant K_RAW = 22;
    uint256 internal constant K_ETH_OUT = 23;
    uint256 internal constant K_APPROVE = 24;
    uint256 public constant KINDS = 25;

    Sys internal s;
    address[3] internal victims;
    address[] internal attackerSet; // recipients / beneficiaries the attacker controls
    address[] internal targets; // every deployed contract plus the attacker's EOA
    address[] public chAccounts; // every account that can ever hold clearing-house collateral
    address[] public bonders; // every address that can ever hold a bond
    mapping(address => uint256) public expectedBond;
    bytes internal setupPositions;
    uint256 internal nonce = 1;

    // ------------------------------------------------------------------ ghost counters
    uint256 public settleCalls;
    uint256 public settleOk;
    uint256 public directCalls;
    uint256 public directOk;
    uint256 public keeperTicks;
    uint256 public cashOutCalls;
    uint256 public cashOutOk;
    mapping(uint256 kind => uint256) public attempted; // interactions of this kind in a settle
    mapping(uint256 kind => uint256) public landed; // ... in a settle that succeeded
    mapping(uint256 kind => uint256) public directAttempted;
    mapping(uint256 kind => uint256) public directLanded;
    uint256 public ownLegAttempted;
    uint256 public ownLegLanded;
    uint256 public forgedLegAttempted;
    uint256 public forgedLegLanded;
    uint256 public replayAttempted;
    uint256 public replayLanded;
    uint256 public forgedSwapAttempted;
    uint256 public forgedSwapLanded;

    constructor(Sys memory sys, bytes memory setupPositions_) {
        s = sys;
        victims = sys.victims;
        setupPositions = setupPositions_;
        attackerSet = [sys.attacker, sys.attacker2, sys.trader1, sys.trader2, address(sys.helper), address(sys.settlement)];
        targets = [
            address(sys.ch),
            address(sys.cv),
            address(sys.vault),
            address(sys.settlement),
            address(sys.usd),
            address(sys.weth),
            address(sys.tokB),
            address(sys.dai),
            address(sys.nft),
            address(sys.permit2),
            address(sys.pair),
            address(sys.stable),
            address(sys.ethFeed),
            address(sys.wethFeed),
            address(sys.helper),
            sys.attacker
        ];
        chAccounts = [
            sys.victims[0],
            sys.victims[1],
            sys.victims[2],
            sys.mistaken,
            sys.honest,
            sys.attacker,
            sys.attacker2,
            sys.trader1,
            sys.trader2,
            address(sys.helper),
            address(sys.settlement)
        ];
        bonders = [sys.honest, sys.attacker, sys.attacker2, address(sys.helper)];
        for (uint256 i; i < bonders.length; ++i) {
            (expectedBond[bonders[i]],) = sys.settlement.bondOf(bonders[i]);
        }
    }

    receive() external payable {}

    // ------------------------------------------------------------------ actions

    /// @notice The attacker settles a batch: 0 to 3 catalogue entries as interactions, optionally
    /// its own signed position leg (flags bit 0), the three batch tokens listed for the balance
    /// check (bit 1), and rarely (flags >> 2 in 1..3 of 16) a forged victim position trade, a
    /// replay of the victim's setUp position intent, or a forged victim swap intent.
    function settleBatch(uint256 seed0, uint256 seed1, uint256 seed2, uint8 count, uint8 flags) external {
        // 1 interaction half the time (a batch reverts if any of its interactions does, so single
        // entries land most often), 2 or 3 a third of the time, none (legs / intents only) 1/8.
        uint8 c = count % 8;
        count = c < 4 ? 1 : c < 6 ? 2 : c < 7 ? 3 : 0;
        uint256[3] memory seeds = [seed0, seed1, seed2];
        Settlement.Interaction[] memory its = new Settlement.Interaction[](2 * count);
        uint256[] memory kinds = new uint256[](count);
        uint256 n;
        for (uint256 i; i < count; ++i) {
            (Settlement.Interaction[] memory part, uint256 kind) = _craft(seeds[i], true);
            kinds[i] = kind;
            for (uint256 j; j < part.length; ++j) {
                its[n++] = part[j];
            }
        }
        assembly ("memory-safe") {
            mstore(its, n)
        }
        Settlement.Batch memory b;
        b.auctionId = settleCalls;
        b.interactions = its;
        if (flags & 2 != 0) _listTokens(b);
        uint256 forged = (flags >> 2) % 16;
        bool ownLeg = flags & 1 != 0;
        if (ownLeg || forged == 1 || forged == 2) b.positions = _positionLeg(seed0, ownLeg, forged);
        if (forged == 3) _forgeSwap(b, seed1);

        settleCalls++;
        for (uint256 i; i < count; ++i) {
            attempted[kinds[i]]++;
        }
        if (ownLeg) ownLegAttempted++;
        if (forged == 1) forgedLegAttempted++;
        if (forged == 2) replayAttempted++;
        if (forged == 3) forgedSwapAttempted++;

        vm.prank(s.attacker);
        (bool ok,) = address(s.settlement).call(abi.encodeCall(Settlement.settle, (b)));
        if (!ok) return;
        settleOk++;
        for (uint256 i; i < count; ++i) {
            landed[kinds[i]]++;
        }
        if (ownLeg) ownLegLanded++;
        if (forged == 1) forgedLegLanded++;
        if (forged == 2) replayLanded++;
        if (forged == 3) forgedSwapLanded++;
    }

    /// @notice The attacker's second identity calls a catalogue entry directly (ETH it sends is its
    /// own, supplied from outside). Outside a settle nothing can move a bond but its owner, so the
    /// bonds of attacker2 and the helper are re-synced afterwards: whatever changed was legitimate.
    function directCall(uint256 seed) external {
        (Settlement.Interaction[] memory its, uint256 kind) = _craft(seed, false);
        directCalls++;
        directAttempted[kind]++;
        bool allOk = true;
        for (uint256 i; i < its.length; ++i) {
            vm.deal(s.attacker2, s.attacker2.balance + its[i].value); // its own ETH, from outside
            vm.prank(s.attacker2);
            (bool ok,) = its[i].target.call{value: its[i].value}(its[i].callData);
            allOk = allOk && ok;
        }
        if (allOk) {
            directOk++;
            directLanded[kind]++;
        }
        (expectedBond[s.attacker2],) = s.settlement.bondOf(s.attacker2);
        (expectedBond[address(s.helper)],) = s.settlement.bondOf(address(s.helper));
    }

    /// @notice Time passes (up to 30 minutes, or rarely a day so unbonding can complete) and the
    /// feeder republishes both feeds within +-1% of 3,000: victims stay far from liquidation.
    function keeperTick(uint256 dt, uint256 move) external {
        dt = dt % 16 == 0 ? 1 days + 1 : dt % 30 minutes;
        _tick(dt, move);
    }

    /// @notice The attacker cashes out the helper's bond (whatever got there): requestExit if it is
    /// still active, wait out the unbonding delay (the keeper keeps the feeds fresh meanwhile) and
    /// withdrawBond to the helper. Outside any settle, so the bond is synced as legitimate afterwards.
    function helperCashOut(uint256 move) external {
        address h = address(s.helper);
        (uint256 amount, uint256 exitableAt) = s.settlement.bondOf(h);
        cashOutCalls++;
        if (amount == 0) return;
        bool ok = true;
        if (exitableAt == 0) {
            vm.prank(s.attacker);
            (ok,) = h.call(
                abi.encodeCall(AttackerHelper.exec, (address(s.settlement), 0, abi.encodeCall(SolverRegistry.requestExit, ())))
            );
            (, exitableAt) = s.settlement.bondOf(h);
        }
        if (ok && block.timestamp < exitableAt) _tick(exitableAt - block.timestamp, move);
        vm.prank(s.attacker);
        (ok,) = h.call(
            abi.encodeCall(AttackerHelper.exec, (address(s.settlement), 0, abi.encodeCall(SolverRegistry.withdrawBond, ())))
        );
        if (ok) cashOutOk++;
        (expectedBond[h],) = s.settlement.bondOf(h);
    }

    function _tick(uint256 dt, uint256 move) internal {
        vm.warp(block.timestamp + dt);
        int256 answer = 2970e8 + int256(move % 60e8);
        vm.startPrank(s.feeder);
        s.ethFeed.submit(answer);
        s.wethFeed.submit(answer);
        vm.stopPrank();
        keeperTicks++;
    }

    // ------------------------------------------------------------------ views for the invariants

    function chAccountCount() external view returns (uint256) {
        return chAccounts.length;
    }

    function bonderCount() external view returns (uint256) {
        return bonders.length;
    }

    // ------------------------------------------------------------------ batch pieces

    function _listTokens(Settlement.Batch memory b) internal view {
        address[] memory t = new address[](3);
        t[0] = address(s.usd);
        t[1] = address(s.weth);
        t[2] = address(s.tokB);
        // sort ascending
        for (uint256 i; i < 3; ++i) {
            for (uint256 j = i + 1; j < 3; ++j) {
                if (t[j] < t[i]) (t[i], t[j]) = (t[j], t[i]);
            }
        }
        b.tokens = t;
        b.clearingPrices = new uint256[](3);
        b.clearingPrices[0] = 1;
        b.clearingPrices[1] = 1;
        b.clearingPrices[2] = 1;
    }

    /// @dev forged == 2: the victim's setUp leg replayed verbatim. Otherwise: trader1/trader2 trade
    /// with each other at up to +-2% from the mark (the attacker's own, validly signed intents),
    /// plus (forged == 1) a trade for a victim "signed" with the attacker's key against trader2.
    function _positionLeg(uint256 seed, bool ownLeg, uint256 forged) internal returns (bytes memory) {
        if (forged == 2) return setupPositions;
        uint256 mark = _mark();
        uint256 price = mark * (0.98e18 + _w(seed, 10) % 0.04e18) / 1e18;
        int256 d = int256(1e15 + _w(seed, 11) % 5e18);
        if (_w(seed, 12) % 2 == 0) d = -d;
        uint256 k = (ownLeg ? 2 : 0) + (forged == 1 ? 2 : 0);
        PositionSettlement.PositionTrade[] memory pts = new PositionSettlement.PositionTrade[](k);
        uint256 i;
        if (ownLeg) {
            pts[i++] = _signed(s.key1, s.trader1, d, d > 0 ? type(uint256).max : 0);
            pts[i++] = _signed(s.key2, s.trader2, -d, d > 0 ? 0 : type(uint256).max);
        }
        if (forged == 1) {
            address v = victims[_w(seed, 13) % 3];
            pts[i++] = _signed(s.attackerKey, v, d, d > 0 ? type(uint256).max : 0); // wrong key
            pts[i++] = _signed(s.key2, s.trader2, -d, d > 0 ? 0 : type(uint256).max);
        }
        uint32[] memory markets = new uint32[](1);
        uint256[] memory prices = new uint256[](1);
        markets[0] = 1;
        prices[0] = price;
        return abi.encode(PositionSettlement.PositionBatch(markets, prices, pts));
    }

    function _signed(uint256 key, address account, int256 delta, uint256 limit)
        internal
        returns (PositionSettlement.PositionTrade memory t)
    {
        uint256 n = nonce++;
        PositionIntent memory i = PositionIntent(account, 1, delta, limit, false, false, uint32(block.timestamp + 1 hours), n);
        (uint8 v, bytes32 r, bytes32 sig) = vm.sign(key, s.settlement.hashPositionIntent(i));
        t = PositionSettlement.PositionTrade(
            account, delta, limit, n, i.validTo, 0, 0, uint256(delta < 0 ? -delta : delta), abi.encodePacked(r, sig, v)
        );
    }

    /// @dev A swap intent in a victim's name (sell usd for tokB) signed with the attacker's key.
    function _forgeSwap(Settlement.Batch memory b, uint256 seed) internal {
        if (b.tokens.length == 0) _listTokens(b);
        address v = victims[_w(seed, 20) % 3];
        SwapIntent memory i;
        i.owner = v;
        i.sellToken = address(s.usd);
        i.buyToken = address(s.tokB);
        i.sellAmount = 1e18 + _w(seed, 21) % 5_000e18;
        i.buyAmount = 1;
        i.validTo = uint32(block.timestamp + 1 hours);
        i.nonce = nonce++;
        i.appData = bytes32(0);
        (uint8 vv, bytes32 r, bytes32 sig) = vm.sign(s.attackerKey, s.settlement.hashSwapIntent(i));
        Settlement.Trade memory t;
        t.owner = v;
        t.sellAmount = i.sellAmount;
        t.buyAmount = 1;
        t.nonce = i.nonce;
        t.validTo = i.validTo;
        t.sellTokenIndex = _indexOf(b.tokens, address(s.usd));
        t.buyTokenIndex = _indexOf(b.tokens, address(s.tokB));
        t.signature = abi.encodePacked(r, sig, vv);
        b.trades = new Settlement.Trade[](1);
        b.trades[0] = t;
    }

    function _indexOf(address[] memory tokens, address token) internal pure returns (uint8) {
        for (uint256 k; k < tokens.length; ++k) {
            if (tokens[k] == token) return uint8(k);
        }
        return 0;
    }

    // ------------------------------------------------------------------ the catalogue

    /// @dev One catalogue entry (one or two calls) chosen by `seed % KINDS`, its arguments derived
    /// from the seed. `inSettle`: the caller will be Settlement (an interaction); otherwise attacker2.
    function _craft(uint256 seed, bool inSettle) internal view returns (Settlement.Interaction[] memory its, uint256 kind) {
        kind = seed % KINDS;
        address self = inSettle ? address(s.settlement) : s.attacker2;
        its = new Settlement.Interaction[](1);
        if (kind == K_CH_FORGE_OPEN) {
            its[0] = _call(address(s.ch), 0, _forgedOpen(seed));
        } else if (kind == K_CH_FORGE_CLOSE) {
            its[0] = _call(address(s.ch), 0, _forgedClose(seed));
        } else if (kind == K_CH_LIQUIDATE) {
            its[0] = _call(address(s.ch), 0, abi.encodeCall(ClearingHouse.liquidate, (_anyAccount(seed))));
        } else if (kind == K_CH_ADL) {
            address[] memory cps = new address[](2);
            cps[0] = s.trader1;
            cps[1] = s.trader2;
            its[0] = _call(address(s.ch), 0, abi.encodeCall(ClearingHouse.autoDeleverage, (_anyAccount(seed), cps)));
        } else if (kind == K_CH_DEPOSIT) {
            its[0] = _call(address(s.ch), 0, abi.encodeCall(ClearingHouse.deposit, (_mine(seed), 1 + _w(seed, 2) % 5_000e18)));
        } else if (kind == K_CH_WITHDRAW) {
            its[0] = _call(address(s.ch), 0, abi.encodeCall(ClearingHouse.withdraw, (1 + _w(seed, 2) % 5_000e18, _mine(seed))));
        } else if (kind == K_CH_FUND) {
            its[0] = _call(address(s.ch), 0, abi.encodeCall(ClearingHouse.fundInsurance, (1 + _w(seed, 2) % 1_000e18)));
        } else if (kind == K_CH_ADMIN) {
            its[0] = _call(address(s.ch), 0, _chAdmin(seed));
        } else if (kind == K_CV_SEIZE) {
            its[0] = _call(address(s.cv), 0, abi.encodeCall(CollateralVault.seize, (_anyAccount(seed), int256(1 + _w(seed, 2) % 1e24))));
        } else if (kind == K_CV_DEPOSIT) {
            its[0] = _call(
                address(s.cv),
                0,
                abi.encodeCall(CollateralVault.depositCollateral, (address(s.weth), 1 + _w(seed, 2) % 5e18))
            );
        } else if (kind == K_CV_WITHDRAW) {
            its[0] = _call(
                address(s.cv),
                0,
                abi.encodeCall(CollateralVault.withdrawCollateral, (address(s.weth), 1 + _w(seed, 2) % 5e18, _mine(seed)))
            );
        } else if (kind == K_CV_ADMIN) {
            its[0] = _call(address(s.cv), 0, _cvAdmin(seed));
        } else if (kind == K_VAULT_PULL) {
            address from = _w(seed, 1) % 4 == 3 ? s.mistaken : victims[_w(seed, 1) % 4];
            its[0] = _call(address(s.vault), 0, abi.encodeCall(Vault.pull, (_token(seed), from, 1 + _w(seed, 2) % 5_000e18)));
        } else if (kind == K_SETTLEMENT_SELF) {
            (uint256 value, bytes memory data) = _registryCall(seed);
            its[0] = _call(address(s.settlement), value, data);
        } else if (kind == K_TOKEN) {
            its[0] = _call(_token(seed), 0, _tokenCall(seed));
        } else if (kind == K_ALIAS) {
            its[0] = _alias(seed);
        } else if (kind == K_PAIR) {
            its = _pairSwap(seed, self);
        } else if (kind == K_STABLE) {
            its = _stableCall(seed, self);
        } else if (kind == K_FEED) {
            DevnetPriceFeed feed = _w(seed, 1) % 2 == 0 ? s.ethFeed : s.wethFeed;
            bytes memory data = _w(seed, 2) % 2 == 0
                ? abi.encodeCall(DevnetPriceFeed.submit, (int256(1 + _w(seed, 3) % 1e12)))
                : abi.encodeCall(DevnetPriceFeed.setOwner, (s.attacker));
            its[0] = _call(address(feed), 0, data);
        } else if (kind == K_HELPER_BOND) {
            uint256 v = MIN_BOND() + _w(seed, 2) % 15 ether;
            its[0] = _call(
                address(s.helper),
                v,
                abi.encodeCall(AttackerHelper.exec, (address(s.settlement), v, abi.encodeCall(SolverRegistry.bond, ())))
            );
        } else if (kind == K_HELPER_REGISTRY) {
            (, bytes memory data) = _registryCall(seed);
            its[0] = _call(address(s.helper), 0, abi.encodeCall(AttackerHelper.exec, (address(s.settlement), 0, data)));
        } else if (kind == K_HELPER_PRIVILEGED) {
            its[0] = _helperPrivileged(seed);
        } else if (kind == K_RAW) {
            its[0] = _raw(seed);
        } else if (kind == K_ETH_OUT) {
            address to = _w(seed, 1) % 2 == 0 ? s.attacker : address(s.helper);
            its[0] = _call(to, 1 + _w(seed, 2) % 5 ether, "");
        } else {
            // K_APPROVE
            address[7] memory spenders =
                [address(s.ch), address(s.cv), address(s.stable), address(s.pair), address(s.permit2), address(s.helper), s.attacker];
            its[0] = _call(
                _token(seed),
                0,
                abi.encodeCall(OwnedToken.approve, (spenders[_w(seed, 2) % 7], type(uint256).max))
            );
        }
    }

    function MIN_BOND() internal view returns (uint256) {
        return s.settlement.minBond();
    }

    function _call(address target, uint256 value, bytes memory data)
        internal
        pure
        returns (Settlement.Interaction memory)
    {
        return Settlement.Interaction(target, value, data);
    }

    /// @dev settlePositions opening/growing a victim's position against trader1 or trader2 at a
    /// price within the market's 5% deviation guard (the victim's margin check then passes).
    function _forgedOpen(uint256 seed) internal view returns (bytes memory) {
        address v = victims[_w(seed, 1) % 3];
        address cp = _w(seed, 5) % 2 == 0 ? s.trader1 : s.trader2;
        int256 d = int256(1e15 + _w(seed, 2) % 10e18);
        if (_w(seed, 3) % 2 == 0) d = -d;
        uint256 price = _mark() * (0.951e18 + _w(seed, 4) % 0.098e18) / 1e18;
        return _settlePositionsCall(v, cp, d, price, false);
    }

    /// @dev settlePositions closing part of victims[0]'s long against trader1's short at an
    /// arbitrary price: both fills reduce, so the deviation guard does not apply.
    function _forgedClose(uint256 seed) internal view returns (bytes memory) {
        int256 d = int256(1e15 + _w(seed, 2) % 2e18);
        uint256 price = 1 + _w(seed, 4) % (2 * _mark());
        return _settlePositionsCall(victims[0], s.trader1, -d, price, true);
    }

    function _settlePositionsCall(address v, address cp, int256 d, uint256 price, bool reduceOnly)
        internal
        pure
        returns (bytes memory)
    {
        uint32[] memory ids = new uint32[](1);
        uint256[] memory prices = new uint256[](1);
        ids[0] = 1;
        prices[0] = price;
        ClearingHouseBase.Fill[] memory fills = new ClearingHouseBase.Fill[](2);
        fills[0] = ClearingHouseBase.Fill(v, d, 0, reduceOnly);
        fills[1] = ClearingHouseBase.Fill(cp, -d, 0, reduceOnly);
        return abi.encodeCall(ClearingHouse.settlePositions, (ids, prices, fills));
    }

    function _chAdmin(uint256 seed) internal view returns (bytes memory) {
        uint256 op = _w(seed, 1) % 4;
        ClearingHouseBase.MarketConfig memory c = s.ch.marketConfig(1);
        c.maxPriceDeviation = 1e18;
        if (op == 0) return abi.encodeCall(ClearingHouse.setOwner, (s.attacker));
        if (op == 1) return abi.encodeCall(ClearingHouse.configureMarket, (1, c));
        if (op == 2) return abi.encodeCall(ClearingHouse.listMarket, (2, c));
        return abi.encodeCall(ClearingHouse.setCollateralVault, (ICollateralVault(address(s.helper))));
    }

    function _cvAdmin(uint256 seed) internal view returns (bytes memory) {
        if (_w(seed, 1) % 2 == 0) {
            return abi.encodeCall(CollateralVault.withdrawInsuranceCollateral, (address(s.weth), 1, s.attacker));
        }
        CollateralVault.CollateralConfig memory cc;
        cc.feed = s.ethFeed;
        cc.heartbeat = 1 hours;
        cc.haircut = 0;
        cc.depositCap = 1e30;
        return abi.encodeCall(CollateralVault.setCollateral, (address(s.weth), cc));
    }

    /// @dev A registry / Settlement entry point with its value (bond with up to 15 ETH).
    function _registryCall(uint256 seed) internal view returns (uint256 value, bytes memory data) {
        uint256 op = _w(seed, 6) % 8;
        if (op == 0) return (MIN_BOND() + _w(seed, 2) % 15 ether, abi.encodeCall(SolverRegistry.bond, ()));
        if (op == 1) return (0, abi.encodeCall(SolverRegistry.requestExit, ()));
        if (op == 2) return (0, abi.encodeCall(SolverRegistry.withdrawBond, ()));
        if (op == 3) return (0, abi.encodeCall(SolverRegistry.slash, (s.honest, 1 ether, s.attacker)));
        if (op == 4) return (0, abi.encodeCall(SolverRegistry.acceptOwnership, ()));
        if (op == 5) return (0, abi.encodeCall(Settlement.invalidateNonces, (0, 1 << (_w(seed, 2) % 256))));
        if (op == 6) return (0, abi.encodeCall(Settlement.setClearingHouse, (ClearingHouse(address(s.helper)))));
        Settlement.Batch memory empty;
        return (0, abi.encodeCall(Settlement.settle, (empty)));
    }

    function _tokenCall(uint256 seed) internal view returns (bytes memory) {
        uint256 op = _w(seed, 1) % 4;
        uint256 amount = 1 + _w(seed, 2) % 1_000e18;
        if (op == 0) return abi.encodeCall(OwnedToken.transfer, (_recipient(seed), amount));
        if (op == 1) return abi.encodeCall(OwnedToken.approve, (_recipient(seed), type(uint256).max));
        address from = _w(seed, 3) % 2 == 0 ? victims[_w(seed, 4) % 3] : s.mistaken;
        return abi.encodeCall(OwnedToken.transferFrom, (from, s.attacker, amount));
    }

    /// @dev transferFrom aliases aimed at the mistaken approver (and the victims, who approved only the Vault).
    function _alias(uint256 seed) internal view returns (Settlement.Interaction memory) {
        uint256 op = _w(seed, 1) % 8;
        address from = _w(seed, 3) % 4 == 3 ? victims[_w(seed, 4) % 3] : s.mistaken;
        uint256 amount = 1 + _w(seed, 2) % 1_000e18;
        if (op == 0) return _call(address(s.dai), 0, abi.encodeCall(DaiLikeToken.move, (from, s.attacker, amount)));
        if (op == 1) return _call(address(s.dai), 0, abi.encodeCall(DaiLikeToken.pull, (from, amount)));
        if (op == 2) return _call(address(s.dai), 0, abi.encodeCall(DaiLikeToken.push, (s.attacker, amount)));
        uint256 id = 1 + _w(seed, 2) % 2;
        if (op == 3) {
            return _call(address(s.nft), 0, abi.encodeWithSignature("safeTransferFrom(address,address,uint256)", from, s.attacker, id));
        }
        if (op == 4) {
            return _call(
                address(s.nft),
                0,
                abi.encodeWithSignature("safeTransferFrom(address,address,uint256,bytes)", from, s.attacker, id, "")
            );
        }
        if (op == 5) return _call(address(s.nft), 0, abi.encodeCall(MockNFT.transferFrom, (from, s.attacker, id)));
        // forge-lint: disable-next-line(unsafe-typecast) -- amount < 2^160
        uint160 a160 = uint160(amount);
        if (op == 6) {
            MockPermit2.AllowanceTransferDetails[] memory d = new MockPermit2.AllowanceTransferDetails[](1);
            d[0] = MockPermit2.AllowanceTransferDetails(from, s.attacker, a160, address(s.usd));
            return _call(address(s.permit2), 0, abi.encodeWithSignature("transferFrom((address,address,uint160,address)[])", d));
        }
        return _call(
            address(s.permit2),
            0,
            abi.encodeWithSignature("transferFrom(address,address,uint160,address)", from, s.attacker, a160, address(s.usd))
        );
    }

    /// @dev A correct Uniswap V2 swap: transfer in, then swap out the exact constant-product amount.
    function _pairSwap(uint256 seed, address self) internal view returns (Settlement.Interaction[] memory its) {
        bool usdIn = _w(seed, 1) % 2 == 0;
        uint256 amountIn = 1e15 + _w(seed, 2) % 1_000e18;
        (uint112 r0, uint112 r1,) = s.pair.getReserves();
        bool zeroIn = (s.pair.token0() == address(s.usd)) == usdIn;
        (uint256 rIn, uint256 rOut) = zeroIn ? (uint256(r0), uint256(r1)) : (uint256(r1), uint256(r0));
        uint256 out = amountIn * 997 * rOut / (rIn * 1000 + amountIn * 997);
        its = new Settlement.Interaction[](2);
        its[0] = _call(usdIn ? address(s.usd) : address(s.tokB), 0, abi.encodeCall(OwnedToken.transfer, (address(s.pair), amountIn)));
        its[1] = _call(
            address(s.pair), 0, abi.encodeCall(IUniswapV2Pair.swap, (zeroIn ? 0 : out, zeroIn ? out : 0, self, ""))
        );
    }

    function _stableCall(uint256 seed, address self) internal view returns (Settlement.Interaction[] memory its) {
        uint256 op = _w(seed, 3) % 4;
        if (op == 3) {
            its = new Settlement.Interaction[](1);
            its[0] = _call(
                address(s.stable), 0, abi.encodeCall(StableSwapPool.transferFrom, (victims[0], s.attacker, 1))
            );
            return its;
        }
        bool usdIn = _w(seed, 1) % 2 == 0;
        (address tin, address tout) = usdIn ? (address(s.usd), address(s.tokB)) : (address(s.tokB), address(s.usd));
        uint256 amountIn = 1e15 + _w(seed, 2) % 1_000e18;
        its = new Settlement.Interaction[](2);
        its[0] = _call(tin, 0, abi.encodeCall(OwnedToken.transfer, (address(s.stable), amountIn)));
        its[1] = _call(address(s.stable), 0, abi.encodeCall(StableSwapPool.swap, (tin, tout, amountIn, 0, self)));
    }

    /// @dev Privileged calls made from the helper (a sender that is neither Settlement nor the clearing house).
    function _helperPrivileged(uint256 seed) internal view returns (Settlement.Interaction memory) {
        uint256 op = _w(seed, 6) % 4;
        address target;
        bytes memory data;
        if (op == 0) {
            (target, data) = (address(s.ch), _forgedOpen(seed));
        } else if (op == 1) {
            (target, data) = (address(s.vault), abi.encodeCall(Vault.pull, (_token(seed), victims[_w(seed, 1) % 3], 1e18)));
        } else if (op == 2) {
            (target, data) = (address(s.cv), abi.encodeCall(CollateralVault.seize, (victims[_w(seed, 1) % 3], int256(1e24))));
        } else {
            (target, data) = (address(s.dai), abi.encodeCall(DaiLikeToken.move, (s.mistaken, s.attacker, 1e18)));
        }
        return _call(address(s.helper), 0, abi.encodeCall(AttackerHelper.exec, (target, 0, data)));
    }

    /// @dev Raw calldata to any target: half the time a real selector of the system with random
    /// argument words (victims' addresses planted in the first two), else four random bytes.
    function _raw(uint256 seed) internal view returns (Settlement.Interaction memory) {
        address target = targets[_w(seed, 1) % targets.length];
        bytes4[24] memory sel = [
            ClearingHouse.settlePositions.selector,
            ClearingHouse.deposit.selector,
            ClearingHouse.withdraw.selector,
            ClearingHouse.liquidate.selector,
            ClearingHouse.autoDeleverage.selector,
            ClearingHouse.fundInsurance.selector,
            CollateralVault.seize.selector,
            CollateralVault.depositCollateral.selector,
            CollateralVault.withdrawCollateral.selector,
            Vault.pull.selector,
            SolverRegistry.bond.selector,
            SolverRegistry.requestExit.selector,
            SolverRegistry.withdrawBond.selector,
            SolverRegistry.slash.selector,
            Settlement.settle.selector,
            Settlement.uniswapV3SwapCallback.selector,
            OwnedToken.transfer.selector,
            OwnedToken.approve.selector,
            DaiLikeToken.move.selector,
            DaiLikeToken.pull.selector,
            bytes4(0x42842e0e), // ERC-721 safeTransferFrom(address,address,uint256)
            bytes4(0x0d58b1db), // Permit2 transferFrom((address,address,uint160,address)[])
            IUniswapV2Pair.swap.selector,
            StableSwapPool.swap.selector
        ];
        bytes4 selector = _w(seed, 2) % 2 == 0 ? sel[_w(seed, 3) % sel.length] : bytes4(bytes32(_w(seed, 3)));
        address v = _w(seed, 4) % 4 == 3 ? s.mistaken : victims[_w(seed, 4) % 4];
        bytes memory data = abi.encodePacked(
            selector, uint256(uint160(v)), uint256(uint160(s.attacker)), _w(seed, 5) % 1e22, _w(seed, 7), _w(seed, 8)
        );
        return _call(target, 0, data);
    }

    // ------------------------------------------------------------------ pickers

    function _w(uint256 seed, uint256 i) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed, i)));
    }

    function _mark() internal view returns (uint256 p) {
        (p,) = s.ch.markPrice(1);
    }

    function _token(uint256 seed) internal view returns (address) {
        uint256 k = _w(seed, 9) % 3;
        return k == 0 ? address(s.usd) : k == 1 ? address(s.weth) : address(s.tokB);
    }

    /// @dev An attacker-controlled account or Settlement: beneficiaries that never donate to victims.
    function _mine(uint256 seed) internal view returns (address) {
        return attackerSet[_w(seed, 7) % attackerSet.length];
    }

    /// @dev Token recipients: the attacker's accounts or the pools (never a victim, never the
    /// clearing house: a donation there is harmless but would blur the books identity).
    function _recipient(uint256 seed) internal view returns (address) {
        uint256 k = _w(seed, 8) % (attackerSet.length + 2);
        if (k == attackerSet.length) return address(s.pair);
        if (k == attackerSet.length + 1) return address(s.stable);
        return attackerSet[k];
    }

    /// @dev Victims most of the time, else any clearing-house account.
    function _anyAccount(uint256 seed) internal view returns (address) {
        uint256 k = _w(seed, 1) % 6;
        return k < 3 ? victims[k] : chAccounts[_w(seed, 8) % chAccounts.length];
    }
}
