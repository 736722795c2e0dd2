// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {Settlement} from "../../src/Settlement.sol";
import {Vault} from "../../src/Vault.sol";
import {SwapIntent} from "../../src/libraries/IntentHashing.sol";
import {MintableERC20} from "./Tokens.sol";

/// @notice Shared fixtures: a Settlement with one bonded solver, two tokens (sorted by address),
/// and helpers that build, sign and settle intents the way a solver would.
abstract contract SettlementTestBase is Test {
    uint256 internal constant MIN_BOND = 1 ether;
    uint256 internal constant UNBONDING_DELAY = 1 days;
    uint8 internal constant SELL = 0;
    uint8 internal constant BUY = 1;

    Settlement internal settlement;
    Vault internal vault;
    address internal governance = makeAddr("governance");
    address internal solver = makeAddr("solver");
    MintableERC20 internal tokenA; // always the lower address
    MintableERC20 internal tokenB;

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        settlement = new Settlement(governance, MIN_BOND, UNBONDING_DELAY);
        vault = settlement.vault();
        vm.deal(solver, 100 ether);
        vm.prank(solver);
        settlement.bond{value: MIN_BOND}();
        MintableERC20 x = new MintableERC20("Token X", "X", 18);
        MintableERC20 y = new MintableERC20("Token Y", "Y", 18);
        (tokenA, tokenB) = address(x) < address(y) ? (x, y) : (y, x);
        vm.label(address(tokenA), "tokenA");
        vm.label(address(tokenB), "tokenB");
    }

    // ---------------------------------------------------------------- users and funds

    function _user(string memory name) internal returns (address user, uint256 key) {
        (user, key) = makeAddrAndKey(name);
    }

    /// @dev Mints `amount` to `user` and approves the Vault without limit (the only approval a user gives).
    function _fund(MintableERC20 token, address user, uint256 amount) internal {
        token.mint(user, amount);
        vm.prank(user);
        token.approve(address(vault), type(uint256).max);
    }

    // ---------------------------------------------------------------- intents

    function _intent(
        address owner,
        address sellToken,
        address buyToken,
        uint256 sellAmount,
        uint256 buyAmount,
        uint8 kind,
        bool partiallyFillable,
        uint256 nonce
    ) internal view returns (SwapIntent memory i) {
        i.owner = owner;
        i.sellToken = sellToken;
        i.buyToken = buyToken;
        i.sellAmount = sellAmount;
        i.buyAmount = buyAmount;
        i.validTo = uint32(block.timestamp + 1 hours);
        i.nonce = nonce;
        i.kind = kind;
        i.partiallyFillable = partiallyFillable;
        i.appData = keccak256("app");
    }

    function _sign(uint256 key, SwapIntent memory i) internal view returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, settlement.hashSwapIntent(i));
        return abi.encodePacked(r, s, v);
    }

    /// @dev A Trade for `i` within `tokens` (which must contain both of its tokens).
    function _trade(SwapIntent memory i, address[] memory tokens, bytes memory sig, uint256 executed)
        internal
        pure
        returns (Settlement.Trade memory t)
    {
        t.owner = i.owner;
        t.receiver = i.receiver;
        t.sellAmount = i.sellAmount;
        t.buyAmount = i.buyAmount;
        t.nonce = i.nonce;
        t.appData = i.appData;
        t.executedAmount = executed;
        t.validTo = i.validTo;
        t.sellTokenIndex = _indexOf(tokens, i.sellToken);
        t.buyTokenIndex = _indexOf(tokens, i.buyToken);
        t.flags = i.kind | (i.partiallyFillable ? 2 : 0);
        t.signature = sig;
    }

    function _indexOf(address[] memory tokens, address token) internal pure returns (uint8) {
        for (uint256 k; k < tokens.length; ++k) {
            // forge-lint: disable-next-line(unsafe-typecast) -- flags are 0..7
            if (tokens[k] == token) return uint8(k);
        }
        revert("token not in batch");
    }

    function _pair() internal view returns (address[] memory tokens) {
        tokens = new address[](2);
        tokens[0] = address(tokenA);
        tokens[1] = address(tokenB);
    }

    function _prices(uint256 pa, uint256 pb) internal pure returns (uint256[] memory p) {
        p = new uint256[](2);
        p[0] = pa;
        p[1] = pb;
    }

    function _batch(
        address[] memory tokens,
        uint256[] memory prices,
        Settlement.Trade[] memory trades,
        Settlement.Interaction[] memory interactions
    ) internal pure returns (Settlement.Batch memory b) {
        b.auctionId = 7;
        b.tokens = tokens;
        b.clearingPrices = prices;
        b.trades = trades;
        b.interactions = interactions;
    }

    function _one(Settlement.Trade memory t) internal pure returns (Settlement.Trade[] memory ts) {
        ts = new Settlement.Trade[](1);
        ts[0] = t;
    }

    function _two(Settlement.Trade memory t0, Settlement.Trade memory t1)
        internal
        pure
        returns (Settlement.Trade[] memory ts)
    {
        ts = new Settlement.Trade[](2);
        ts[0] = t0;
        ts[1] = t1;
    }

    function _noInteractions() internal pure returns (Settlement.Interaction[] memory) {
        return new Settlement.Interaction[](0);
    }

    function _interaction(address target, uint256 value, bytes memory data)
        internal
        pure
        returns (Settlement.Interaction[] memory its)
    {
        its = new Settlement.Interaction[](1);
        its[0] = Settlement.Interaction(target, value, data);
    }

    /// @dev An interaction that mints `amount` of `token` into Settlement: stands in for a market
    /// maker or AMM delivering the tokens a trade needs.
    function _mintInto(MintableERC20 token, uint256 amount) internal view returns (Settlement.Interaction[] memory) {
        return _interaction(address(token), 0, abi.encodeCall(MintableERC20.mint, (address(settlement), amount)));
    }

    function _settle(Settlement.Batch memory b) internal {
        vm.prank(solver);
        settlement.settle(b);
    }

    function _ceilDiv(uint256 a, uint256 b) internal pure returns (uint256) {
        return a == 0 ? 0 : (a - 1) / b + 1;
    }
}
