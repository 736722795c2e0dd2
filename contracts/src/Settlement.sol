// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SolverRegistry} from "./SolverRegistry.sol";
import {Vault} from "./Vault.sol";
import {TokenTransfer} from "./libraries/TokenTransfer.sol";
import {IntentHashing, SwapIntent, PositionIntent} from "./libraries/IntentHashing.sol";
import {SignatureChecker} from "./libraries/SignatureChecker.sol";
import {TradeFlags} from "./libraries/TradeFlags.sol";
import {InteractionGuard} from "./libraries/InteractionGuard.sol";
import {ClearingHouse} from "./perp/ClearingHouse.sol";
import {PositionSettlement} from "./perp/PositionSettlement.sol";
import {OptionBook} from "./options/OptionBook.sol";
import {OptionSettlement} from "./options/OptionSettlement.sol";
import {IUniswapV3SwapCallback, IUniswapV3PoolTokens} from "./interfaces/IUniswapV3SwapCallback.sol";
import {ITrustedCaller} from "./interfaces/ITrustedCaller.sol";

/// @title Settlement
/// @notice Settles batches of signed swap intents at uniform clearing prices. A bonded solver calls
/// `settle` with the batch; for every trade the contract checks the owner's EIP-712 (or EIP-1271)
/// authorisation, expiry, nonce / fill state and the limit price, pulls the sell amount through the
/// Vault, runs the solver's interactions (AMM swaps and the like), pays every receiver, and finally
/// checks that it holds at least as much of every batch token (and of ETH) as before.
///
/// Clearing-price maths (the TypeScript scoring in `protocol/clearing.ts` uses the same formulas):
/// amounts exchange as `amountA * price[A] == amountB * price[B]`. With pS = clearingPrices[sell
/// token] and pB = clearingPrices[buy token], both non-zero:
///   - limit:  `sellAmount * pS >= buyAmount * pB` (exact cross-multiplication, no division);
///   - SELL executing x (sell units): the user pays x and receives `ceil(x * pS / pB)`;
///   - BUY  executing y (buy units):  the user receives y and pays `floor(y * pB / pS)`.
/// Every rounding therefore goes the user's way: a SELL fill of x never buys less than
/// `x * buyAmount / sellAmount`, and a BUY fill of y never sells more than `y * sellAmount / buyAmount`.
/// The contract's buffers absorb the rounding; the end-of-batch balance check makes the solver pay
/// for it if the buffers do not cover it.
///
/// Replay protection: unordered bitmap nonces per owner (word = nonce >> 8, bit = nonce & 0xff).
/// A fill-or-kill intent sets its bit when filled. A partially fillable intent accumulates
/// `filledAmount[digest]` (in sell units for SELL, buy units for BUY) up to its amount; for it, a set
/// bit means cancelled. Because an active user's nonce word is already non-zero, a fill costs a
/// non-zero -> non-zero SSTORE (about 5k gas) rather than a fresh zero -> non-zero slot (about 22k).
///
/// Trust model. A solver chooses which signed intents to include, the clearing prices and the
/// interactions. It cannot: make a user pay more than the signed sell amount or receive less than
/// the signed limit (pro rata); fill an intent twice, past its amount, after validTo or after the
/// owner cancelled it; replay a signature on another chain or deployment; spend an allowance given
/// to the Vault (the Vault pulls only while Settlement names it `trustedCallee`, during its trade
/// step, never while interactions run); apply a position trade nobody signed (the clearing house
/// checks `trustedCallee` the same way); move a bond (the registry refuses every call while a
/// settle runs, and the batch must end with at least the ETH it started with); end a batch with
/// less of a listed token than Settlement held before it. It can: pick any prices within the
/// users' limits (how surplus is shared); borrow Settlement's buffers during a batch; and, because
/// only tokens listed in the batch are balance-checked, move buffer tokens that it does not list,
/// or leave allowances from Settlement to third parties. Those powers touch protocol buffers only, and are what the
/// bond and `slash` answer for (as with CoW's solvers). An approval a user gives to Settlement
/// itself (instead of the Vault) is not protected: interactions run as Settlement, so treat such
/// an approval like tokens sent to Settlement, a buffer any solver can take.
contract Settlement is SolverRegistry, IUniswapV3SwapCallback, ITrustedCaller {
    using TokenTransfer for address;

    // ------------------------------------------------------------------ batch format

    /// @notice One signed swap intent being (partly) filled. The signed SwapIntent is rebuilt from
    /// these fields plus `tokens[sellTokenIndex]`, `tokens[buyTokenIndex]` and the flags, so nothing
    /// derivable is sent twice.
    /// @param owner Intent owner (signer, or EIP-1271 wallet). Pays the sell token.
    /// @param receiver As signed: who gets the buy token; address(0) means the owner.
    /// @param sellAmount As signed.
    /// @param buyAmount As signed.
    /// @param nonce As signed (bitmap nonce, see contract docs).
    /// @param appData As signed; never interpreted here.
    /// @param executedAmount Partially fillable intents only: the amount filled in this batch, in sell
    /// units for SELL and buy units for BUY; must be > 0. Ignored for fill-or-kill (pass 0: zero
    /// calldata bytes are cheaper).
    /// @param validTo As signed: last timestamp (inclusive) at which the intent may be filled.
    /// @param sellTokenIndex Index of the sell token in `Batch.tokens`.
    /// @param buyTokenIndex Index of the buy token in `Batch.tokens`.
    /// @param flags Kind, fill mode and signature scheme: see the bit diagram in `TradeFlags`.
    /// @param signature 65 bytes r‖s‖v for EOAs; opaque bytes handed to `owner.isValidSignature` for EIP-1271.
    struct Trade {
        address owner;
        address receiver;
        uint256 sellAmount;
        uint256 buyAmount;
        uint256 nonce;
        bytes32 appData;
        uint256 executedAmount;
        uint32 validTo;
        uint8 sellTokenIndex;
        uint8 buyTokenIndex;
        uint8 flags;
        bytes signature;
    }

    /// @notice A call the settlement makes on the solver's behalf, after all pulls and before payouts:
    /// `target.call{value: value}(callData)`; a revert bubbles up and reverts the batch. What it may
    /// call and how: `InteractionGuard`. Encodings:
    ///   - Uniswap V2 pair: `(tokenIn, 0, transfer(pair, amountIn))`, then
    ///     `(pair, 0, swap(amount0Out, amount1Out, settlement, ""))`.
    ///   - Uniswap V3 pool, called directly: `(pool, 0, swap(settlement, zeroForOne, amountSpecified,
    ///     sqrtPriceLimitX96, ""))`; the pool's callback is paid by `uniswapV3SwapCallback`.
    ///   - ILiquiditySource: `(tokenIn, 0, transfer(source, amountIn))`, then
    ///     `(source, 0, swap(tokenIn, tokenOut, amountIn, minAmountOut, settlement))`.
    struct Interaction {
        address target;
        uint256 value;
        bytes callData;
    }

    /// @param auctionId The auction this batch won; only logged (in `Settled`).
    /// @param tokens Every token traded, strictly ascending by address (so each has exactly one price).
    /// @param clearingPrices One non-zero price per token, same order as `tokens`.
    /// @param trades Swap intents to fill.
    /// @param interactions Calls to liquidity sources, run in order between pulls and payouts.
    /// @param positions Position leg for the cross-margin clearing house: empty, or
    /// `abi.encode(PositionSettlement.PositionBatch)` (market ids, one uniform clearing price per
    /// market, signed position trades; see `perp/PositionSettlement.sol`). Non-empty reverts
    /// `PositionsNotSupported` while no clearing house is set. An opaque field, so settle's selector
    /// and the spot layout do not depend on the position format.
    /// @param options Option leg: empty, or `abi.encode(OptionSettlement.OptionBatch)` (series ids,
    /// one uniform premium per series, signed option trades; see `options/OptionSettlement.sol`).
    /// Non-empty reverts `OptionsNotSupported` while no option book is set. Applied before the
    /// positions, and checked together with them (`OptionBook.checkMargins` after the positions).
    struct Batch {
        uint256 auctionId;
        address[] tokens;
        uint256[] clearingPrices;
        Trade[] trades;
        Interaction[] interactions;
        bytes positions;
        bytes options;
    }

    // ------------------------------------------------------------------ errors

    error Reentrancy();
    /// @notice The batch carries positions but no clearing house is set.
    error PositionsNotSupported();
    error ClearingHouseAlreadySet();
    /// @notice The batch carries options but no option book is set.
    error OptionsNotSupported();
    error OptionBookAlreadySet();
    error PriceCountMismatch(uint256 tokens, uint256 prices);
    /// @notice tokens[index] is not strictly greater than tokens[index - 1] (unsorted or duplicated).
    error TokensNotSorted(uint256 index);
    error ZeroClearingPrice(uint256 index);
    error InvalidTradeFlags(uint256 trade, uint256 flags);
    error TokenIndexOutOfRange(uint256 trade);
    error IntentExpired(uint256 trade, uint256 validTo);
    /// @notice sellAmount * sellPrice < buyAmount * buyPrice.
    error LimitPriceNotMet(uint256 trade);
    /// @notice The fill-or-kill intent's nonce is already used (filled before, or cancelled).
    error NonceAlreadyUsed(address owner, uint256 nonce);
    /// @notice The partially fillable intent's nonce bit is set: the owner cancelled it.
    error IntentCancelled(address owner, uint256 nonce);
    error ZeroExecutedAmount(uint256 trade);
    error FillExceedsAmount(bytes32 digest, uint256 filled, uint256 executed, uint256 amount);
    error TokenBalanceDecreased(address token, uint256 before, uint256 afterwards);
    error EthBalanceDecreased(uint256 before, uint256 afterwards);
    error UnauthorizedCallback(address caller);
    error NothingOwed();

    // ------------------------------------------------------------------ events

    /// @notice One per filled trade. `digest` identifies the intent (EIP-712 digest).
    event TradeSettled(
        address indexed owner,
        bytes32 digest,
        address sellToken,
        address buyToken,
        uint256 executedSellAmount,
        uint256 executedBuyAmount
    );
    /// @notice One per settle call.
    event Settled(address indexed solver, uint256 indexed auctionId);
    /// @notice The owner connected the cross-margin clearing house.
    event ClearingHouseSet(address clearingHouse);
    /// @notice The owner connected the option book.
    event OptionBookSet(address optionBook);
    /// @notice The owner set bits `mask` of nonce word `wordPos` (cancelling those nonces).
    event NoncesInvalidated(address indexed owner, uint256 wordPos, uint256 mask);

    // ------------------------------------------------------------------ state

    /// @notice The only contract users approve; pulls exclusively for this Settlement.
    Vault public immutable vault;
    bytes32 private immutable _cachedDomainSeparator;
    uint256 private immutable _cachedChainId;

    /// @notice owner => word position => 256 nonce bits.
    mapping(address owner => mapping(uint256 wordPos => uint256 bits)) public nonceBitmap;
    /// @notice Partially fillable intents: digest => cumulative executed amount (kind units).
    mapping(bytes32 digest => uint256 amount) public filledAmount;
    /// @notice The cross-margin clearing house that `Batch.positions` settles into; set once by the
    /// owner (the clearing house is deployed after Settlement, with Settlement as its only caller).
    ClearingHouse public clearingHouse;
    /// @notice The option book that `Batch.options` settles into; set once by the owner.
    OptionBook public optionBook;

    constructor(address owner_, uint256 minBond_, uint256 unbondingDelay_)
        SolverRegistry(owner_, minBond_, unbondingDelay_)
    {
        vault = new Vault();
        _cachedChainId = block.chainid;
        _cachedDomainSeparator = IntentHashing.domainSeparator(block.chainid, address(this));
    }

    /// @notice Accepts ETH, e.g. from unwrapping WETH inside an interaction.
    receive() external payable {}

    // ------------------------------------------------------------------ settle

    /// @notice Settles `batch`. Only an active (bonded, not exiting) solver may call.
    function settle(Batch calldata batch) external {
        if (_settling) revert Reentrancy();
        _settling = true;
        _authorizeSolver(msg.sender);

        address[] calldata tokens = batch.tokens;
        (uint256[] memory balancesBefore, uint256 ctx) = _snapshotBalances(tokens, batch.clearingPrices);
        uint256 ethBefore = address(this).balance;

        uint256[] memory buyAmounts = _executeTrades(batch.trades, ctx);
        _interact(batch.interactions);
        _payOut(batch.trades, ctx, buyAmounts);

        _checkBalances(tokens, balancesBefore);
        if (address(this).balance < ethBefore) revert EthBalanceDecreased(ethBefore, address(this).balance);
        // Position leg (cross-margin clearing house): only when the batch carries one, so a spot
        // batch pays just this length check.
        // Options, then positions, then one margin check over both: the clearing house's check of
        // its touched accounts already counts their options, and the book's check covers the
        // accounts only options touched.
        bool options = batch.options.length != 0;
        if (options) _settleOptions(batch.options);
        if (batch.positions.length != 0) _settlePositions(batch.positions);
        if (options) _checkOptionMargins();
        emit Settled(msg.sender, batch.auctionId);
        _settling = false;
    }

    /// @dev Validates the token list and prices; records this contract's balance of every token.
    /// Also packs the calldata positions of `tokens` and `prices` and their common length into one
    /// word `ctx` (each < 2^64: calldata offsets and lengths the ABI decoder already bounded), so
    /// trades look tokens and prices up by index with one CALLDATALOAD (`_tokenAt`, `_priceAt`)
    /// instead of re-decoding `batch.tokens[i]` (about 350 gas per access, six per trade). Every token
    /// is ABI-validated here, and `_tradeHeader` bounds-checks each index before it is used.
    function _snapshotBalances(address[] calldata tokens, uint256[] calldata prices)
        private
        view
        returns (uint256[] memory balances, uint256 ctx)
    {
        uint256 n = tokens.length;
        if (prices.length != n) revert PriceCountMismatch(n, prices.length);
        balances = new uint256[](n);
        address previous;
        for (uint256 i; i < n;) {
            address token = tokens[i];
            if (token <= previous) revert TokensNotSorted(i);
            if (prices[i] == 0) revert ZeroClearingPrice(i);
            balances[i] = token.balanceOf(address(this));
            previous = token;
            unchecked {
                ++i;
            }
        }
        assembly ("memory-safe") {
            ctx := or(or(tokens.offset, shl(64, prices.offset)), shl(128, n))
        }
    }

    function _tokenAt(uint256 ctx, uint256 index) private pure returns (address token) {
        assembly ("memory-safe") {
            token := calldataload(add(and(ctx, 0xffffffffffffffff), shl(5, index)))
        }
    }

    function _priceAt(uint256 ctx, uint256 index) private pure returns (uint256 price) {
        assembly ("memory-safe") {
            price := calldataload(add(and(shr(64, ctx), 0xffffffffffffffff), shl(5, index)))
        }
    }

    /// @dev Executes every trade (checks, fill accounting, pull, event); returns what each receiver
    /// is owed. The Vault may pull during this step only: Settlement names it `trustedCallee`
    /// meanwhile (and makes only pulls and EIP-1271 staticcalls).
    function _executeTrades(Trade[] calldata trades, uint256 ctx) private returns (uint256[] memory buyAmounts) {
        uint256 n = trades.length;
        buyAmounts = new uint256[](n);
        if (n == 0) return buyAmounts;
        InteractionGuard.setTrustedCallee(address(vault));
        bytes32 separator = _domainSeparator();
        for (uint256 i; i < n;) {
            buyAmounts[i] = _executeTrade(trades[i], i, ctx, separator);
            unchecked {
                ++i;
            }
        }
        InteractionGuard.setTrustedCallee(address(0));
    }

    /// @dev All checks for one trade, fill accounting, the pull, and the event. Returns the buy
    /// amount owed to the receiver.
    function _executeTrade(Trade calldata t, uint256 index, uint256 ctx, bytes32 separator)
        private
        returns (uint256 executedBuy)
    {
        (uint256 flags, uint256 sellIndex, uint256 buyIndex) = _tradeHeader(t, index, ctx >> 128);
        bytes32 digest = _authenticate(t, _tokenAt(ctx, sellIndex), _tokenAt(ctx, buyIndex), flags, separator);
        uint256 executedSell;
        (executedSell, executedBuy) = _fill(t, index, digest, flags, _priceAt(ctx, sellIndex), _priceAt(ctx, buyIndex));
        address sellToken = _tokenAt(ctx, sellIndex);
        if (executedSell != 0) _pull(sellToken, t.owner, executedSell);
        emit TradeSettled(t.owner, digest, sellToken, _tokenAt(ctx, buyIndex), executedSell, executedBuy);
    }

    /// @dev Cheap structural checks first, so a stale or malformed trade fails before ecrecover.
    function _tradeHeader(Trade calldata t, uint256 index, uint256 tokenCount)
        private
        view
        returns (uint256 flags, uint256 sellIndex, uint256 buyIndex)
    {
        flags = t.flags;
        if (!TradeFlags.isValidSwap(flags)) revert InvalidTradeFlags(index, flags);
        uint256 validTo = t.validTo;
        // forge-lint: disable-next-line(block-timestamp) -- expiry is defined against block time; a validator can only shift it by seconds
        if (validTo < block.timestamp) revert IntentExpired(index, validTo);
        sellIndex = t.sellTokenIndex;
        buyIndex = t.buyTokenIndex;
        if (sellIndex >= tokenCount || buyIndex >= tokenCount) revert TokenIndexOutOfRange(index);
    }

    /// @dev Rebuilds the signed SwapIntent's digest and verifies the owner's authorisation of it.
    function _authenticate(Trade calldata t, address sellToken, address buyToken, uint256 flags, bytes32 separator)
        private
        view
        returns (bytes32 digest)
    {
        address user = t.owner;
        digest = _tradeDigest(t, user, sellToken, buyToken, flags, separator);
        if (!TradeFlags.isSwapEip1271(flags)) {
            SignatureChecker.verifyEoa(digest, user, t.signature);
        } else {
            SignatureChecker.verifyEip1271(digest, user, t.signature);
        }
    }

    /// @dev Limit check, nonce / fill accounting, and the executed amounts at clearing prices.
    function _fill(Trade calldata t, uint256 index, bytes32 digest, uint256 flags, uint256 sellPrice, uint256 buyPrice)
        private
        returns (uint256 executedSell, uint256 executedBuy)
    {
        uint256 sellAmount = t.sellAmount;
        uint256 buyAmount = t.buyAmount;
        // Checked multiplications: a product that overflows reverts (Panic 0x11) instead of wrapping.
        if (sellAmount * sellPrice < buyAmount * buyPrice) revert LimitPriceNotMet(index);

        uint256 executed = !TradeFlags.isPartiallyFillable(flags)
            ? _consumeNonce(t.owner, t.nonce, flags, sellAmount, buyAmount)
            : _fillPartially(t, index, digest, flags);

        // Safe: executed <= sellAmount (SELL) or <= buyAmount (BUY), and the limit check above
        // already computed sellAmount * sellPrice and buyAmount * buyPrice without overflow.
        unchecked {
            if (!TradeFlags.isBuy(flags)) {
                executedSell = executed;
                uint256 num = executed * sellPrice;
                executedBuy = num == 0 ? 0 : (num - 1) / buyPrice + 1; // ceil
            } else {
                executedBuy = executed;
                executedSell = (executed * buyPrice) / sellPrice; // floor
            }
        }
    }

    /// @dev Fill-or-kill: consumes the nonce bit and returns the full amount in kind units.
    function _consumeNonce(address user, uint256 nonce, uint256 flags, uint256 sellAmount, uint256 buyAmount)
        private
        returns (uint256 executed)
    {
        mapping(uint256 => uint256) storage words = nonceBitmap[user];
        uint256 wordPos = nonce >> 8;
        uint256 word = words[wordPos];
        // forge-lint: disable-next-line(incorrect-shift) -- 1 << bit is the intended mask for nonce bit (nonce & 0xff)
        uint256 bit = 1 << (nonce & 0xff);
        if (word & bit != 0) revert NonceAlreadyUsed(user, nonce);
        words[wordPos] = word | bit;
        executed = !TradeFlags.isBuy(flags) ? sellAmount : buyAmount;
    }

    /// @dev Partially fillable: the nonce bit must be clear (set = cancelled); accumulates the fill.
    function _fillPartially(Trade calldata t, uint256 index, bytes32 digest, uint256 flags)
        private
        returns (uint256 executed)
    {
        address user = t.owner;
        uint256 nonce = t.nonce;
        // forge-lint: disable-next-line(incorrect-shift) -- 1 << bit is the intended mask for nonce bit (nonce & 0xff)
        if (nonceBitmap[user][nonce >> 8] & (1 << (nonce & 0xff)) != 0) revert IntentCancelled(user, nonce);
        executed = t.executedAmount;
        if (executed == 0) revert ZeroExecutedAmount(index);
        uint256 amount = !TradeFlags.isBuy(flags) ? t.sellAmount : t.buyAmount;
        uint256 filled = filledAmount[digest];
        // filled <= amount always holds (it is only ever written below), so no underflow.
        unchecked {
            if (executed > amount - filled) revert FillExceedsAmount(digest, filled, executed, amount);
            filledAmount[digest] = filled + executed;
        }
    }

    /// @dev EIP-712 digest of the SwapIntent the trade claims to fill, hashed in scratch memory
    /// beyond the free memory pointer (nothing is allocated). `owner` and `validTo` were read (and so
    /// ABI-validated: a dirty word reverts) by the callers; `receiver` is validated when paid, which
    /// reverts the whole batch if it was dirty; the other fields are full 32-byte words.
    function _tradeDigest(
        Trade calldata t,
        address user,
        address sellToken,
        address buyToken,
        uint256 flags,
        bytes32 separator
    ) private pure returns (bytes32 digest) {
        bytes32 typeHash = IntentHashing.SWAP_INTENT_TYPEHASH;
        bool buy = TradeFlags.isBuy(flags); // the signed kind: 0 SELL, 1 BUY
        bool partiallyFillable = TradeFlags.isPartiallyFillable(flags);
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, typeHash)
            mstore(add(m, 0x20), user)
            mstore(add(m, 0x40), sellToken)
            mstore(add(m, 0x60), buyToken)
            mstore(add(m, 0x80), calldataload(add(t, 0x20))) // receiver
            mstore(add(m, 0xa0), calldataload(add(t, 0x40))) // sellAmount
            mstore(add(m, 0xc0), calldataload(add(t, 0x60))) // buyAmount
            mstore(add(m, 0xe0), calldataload(add(t, 0xe0))) // validTo
            mstore(add(m, 0x100), calldataload(add(t, 0x80))) // nonce
            mstore(add(m, 0x120), buy) // kind
            mstore(add(m, 0x140), partiallyFillable)
            mstore(add(m, 0x160), calldataload(add(t, 0xa0))) // appData
            let structHash := keccak256(m, 0x180)
            mstore(m, shl(240, 0x1901))
            mstore(add(m, 0x02), separator)
            mstore(add(m, 0x22), structHash)
            digest := keccak256(m, 0x42)
        }
    }

    /// @dev `vault.pull(token, from, amount)` without Solidity's extcodesize pre-check; bubbles the
    /// vault's revert (e.g. TokenTransfer.TransferFromFailed) unchanged.
    function _pull(address token, address from, uint256 amount) private {
        address v = address(vault);
        bytes4 selector = Vault.pull.selector;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, selector)
            mstore(add(m, 0x04), token)
            mstore(add(m, 0x24), from)
            mstore(add(m, 0x44), amount)
            if iszero(call(gas(), v, 0, m, 0x64, 0, 0)) {
                returndatacopy(m, 0, returndatasize())
                revert(m, returndatasize())
            }
        }
    }

    /// @dev Pays every receiver (the owner when the signed receiver is zero). Each `buyTokenIndex`
    /// was bounds-checked when its trade executed.
    function _payOut(Trade[] calldata trades, uint256 ctx, uint256[] memory buyAmounts) private {
        uint256 n = trades.length;
        for (uint256 i; i < n;) {
            uint256 amount = buyAmounts[i];
            if (amount != 0) {
                Trade calldata t = trades[i];
                address receiver = t.receiver;
                if (receiver == address(0)) receiver = t.owner;
                _tokenAt(ctx, t.buyTokenIndex).safeTransfer(receiver, amount);
            }
            unchecked {
                ++i;
            }
        }
    }

    /// @dev Runs the interactions in order, always with `trustedCallee` zero, so no contract that
    /// trusts Settlement acts on them; `InteractionGuard` checks and makes each call.
    function _interact(Interaction[] calldata interactions) private {
        address vault_ = address(vault);
        uint256 n = interactions.length;
        for (uint256 i; i < n;) {
            Interaction calldata it = interactions[i];
            address target = it.target;
            bytes calldata data = it.callData;
            InteractionGuard.check(i, target, data, vault_);
            InteractionGuard.execute(target, it.value, data);
            unchecked {
                ++i;
            }
        }
    }

    function _checkBalances(address[] calldata tokens, uint256[] memory balancesBefore) private view {
        uint256 n = tokens.length;
        for (uint256 i; i < n;) {
            address token = tokens[i];
            uint256 balance = token.balanceOf(address(this));
            if (balance < balancesBefore[i]) revert TokenBalanceDecreased(token, balancesBefore[i], balance);
            unchecked {
                ++i;
            }
        }
    }

    // ------------------------------------------------------------------ Uniswap V3

    /// @notice Pays a Uniswap V3 pool that an interaction is calling `swap` on directly (no router,
    /// no approval). Only the current interaction's target is paid, only once, and only the token
    /// it reports as owed: its own token0 for a positive amount0Delta, token1 for amount1Delta.
    /// `data` is ignored. A fake "pool" gains nothing it could not take with a plain transfer
    /// interaction, and the end-of-batch balance check still applies.
    function uniswapV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata) external {
        address pool = InteractionGuard.callbackPool();
        if (pool == address(0) || msg.sender != pool) revert UnauthorizedCallback(msg.sender);
        InteractionGuard.clearCallbackPool();
        if (amount0Delta > 0) {
            // forge-lint: disable-next-line(unsafe-typecast) -- amount0Delta > 0 was just checked
            IUniswapV3PoolTokens(pool).token0().safeTransfer(pool, uint256(amount0Delta));
        } else if (amount1Delta > 0) {
            // forge-lint: disable-next-line(unsafe-typecast) -- amount1Delta > 0 was just checked
            IUniswapV3PoolTokens(pool).token1().safeTransfer(pool, uint256(amount1Delta));
        } else {
            revert NothingOwed();
        }
    }

    // ------------------------------------------------------------------ users

    /// @notice Connects the clearing house (owner, once).
    function setClearingHouse(ClearingHouse clearingHouse_) external onlyOwner {
        if (address(clearingHouse) != address(0)) revert ClearingHouseAlreadySet();
        clearingHouse = clearingHouse_;
        emit ClearingHouseSet(address(clearingHouse_));
    }

    /// @dev Verifies the position intents (signatures, expiry, nonces from the same bitmap as swaps,
    /// limits at each market's uniform price) and applies them in one ClearingHouse call, which
    /// enforces netting, reduce-only, oracle guards, open-interest caps and the cross-margin check.
    function _settlePositions(bytes calldata positions) private {
        ClearingHouse ch = clearingHouse;
        if (address(ch) == address(0)) revert PositionsNotSupported();
        // Until the clearing house call returns, Settlement makes only EIP-1271 staticcalls and that call.
        InteractionGuard.setTrustedCallee(address(ch));
        PositionSettlement.settle(positions, nonceBitmap, filledAmount, _domainSeparator(), ch);
        InteractionGuard.setTrustedCallee(address(0));
    }

    /// @notice Connects the option book (owner, once).
    function setOptionBook(OptionBook optionBook_) external onlyOwner {
        if (address(optionBook) != address(0)) revert OptionBookAlreadySet();
        optionBook = optionBook_;
        emit OptionBookSet(address(optionBook_));
    }

    /// @dev Verifies the option intents (as position intents, premium limits at each series'
    /// uniform premium) and applies them in one OptionBook call, which records the touched
    /// accounts for `_checkOptionMargins`.
    function _settleOptions(bytes calldata options) private {
        OptionBook book = optionBook;
        if (address(book) == address(0)) revert OptionsNotSupported();
        InteractionGuard.setTrustedCallee(address(book));
        OptionSettlement.settle(options, nonceBitmap, filledAmount, _domainSeparator(), book);
        InteractionGuard.setTrustedCallee(address(0));
    }

    /// @dev The batch's one margin check for the accounts its options touched (after the positions).
    function _checkOptionMargins() private {
        OptionBook book = optionBook;
        InteractionGuard.setTrustedCallee(address(book));
        book.checkMargins();
        InteractionGuard.setTrustedCallee(address(0));
    }

    /// @notice The contract that Settlement is calling on its own behalf right now (the Vault during
    /// the trade step, the clearing house while the position leg applies), address(0) at any other
    /// time. A contract that grants Settlement a privilege must check
    /// `msg.sender == settlement && Settlement(settlement).trustedCallee() == address(this)`:
    /// a solver's interaction is also a call from Settlement, but it always runs while this is
    /// address(0), so the same calldata sent as an interaction is refused. This is what keeps every
    /// contract that trusts Settlement out of the interactions' reach, without a list of forbidden
    /// targets that a new contract could be missing from.
    function trustedCallee() external view returns (address) {
        return InteractionGuard.trustedCallee();
    }

    /// @notice Sets bits `mask` in the caller's nonce word `wordPos`: cancels fill-or-kill intents
    /// with those nonces and partially fillable ones (whatever part is still unfilled).
    function invalidateNonces(uint256 wordPos, uint256 mask) external {
        nonceBitmap[msg.sender][wordPos] |= mask;
        emit NoncesInvalidated(msg.sender, wordPos, mask);
    }

    /// @notice Whether `owner_`'s nonce bit for `nonce` is set (used or cancelled).
    function isNonceUsed(address owner_, uint256 nonce) external view returns (bool) {
        // forge-lint: disable-next-line(incorrect-shift) -- 1 << bit is the intended mask for nonce bit (nonce & 0xff)
        return nonceBitmap[owner_][nonce >> 8] & (1 << (nonce & 0xff)) != 0;
    }

    // ------------------------------------------------------------------ EIP-712 views

    /// @notice The EIP-712 domain separator for this chain and contract (recomputed after a fork).
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparator();
    }

    /// @notice EIP-712 digest a wallet signs for `intent` on this deployment.
    function hashSwapIntent(SwapIntent calldata intent) external view returns (bytes32) {
        return IntentHashing.digest(_domainSeparator(), IntentHashing.swapStructHash(intent));
    }

    /// @notice EIP-712 digest a wallet signs for `intent` on this deployment.
    function hashPositionIntent(PositionIntent calldata intent) external view returns (bytes32) {
        return IntentHashing.digest(_domainSeparator(), IntentHashing.positionStructHash(intent));
    }

    function _domainSeparator() private view returns (bytes32) {
        return block.chainid == _cachedChainId
            ? _cachedDomainSeparator
            : IntentHashing.domainSeparator(block.chainid, address(this));
    }
}
