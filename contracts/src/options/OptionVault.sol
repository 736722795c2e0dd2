// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IOptionLiquiditySource} from "../interfaces/IOptionLiquiditySource.sol";
import {ClearingHouseLpVault, IPerpVaultSettlement} from "../perp/ClearingHouseLpVault.sol";
import {OptionBook} from "./OptionBook.sol";
import {OptionSeries} from "./OptionSeries.sol";
import {OptionVaultQuoter, UnderlyingParams} from "./OptionVaultQuoter.sol";
import {VolatilityFeed} from "./VolatilityFeed.sol";

/// @title OptionVault
/// @notice An options liquidity vault, the worked example of `IOptionLiquiditySource`: LPs pool the
/// clearing house's stablecoin for shares (`ClearingHouseLpVault`, the code `PerpVault` runs too:
/// asynchronous requests claimed at the worse of the request-time and claim-time prices), and the
/// pool writes and buys options as one ordinary margin account of the clearing house. Its options
/// live in the `OptionBook`, its premium cash and margin in the clearing house, and after every
/// batch it is in the portfolio margin (options and perps on each underlying stressed together)
/// must accept it, or the batch reverts. NAV = max(0, equity) from `accountHealth`, which counts
/// the options at their model value.
///
/// Quote (`quote(series, d)`, d signed from the vault's side; the rounding is normative and
/// `protocol/options/option-vault.ts` mirrors it to the wei). With the oracle mark m, the surface's
/// vol at the series' strike and expiry (clamped into Black-Scholes' range, as the book values
/// legs), Black-Scholes price P, delta δ (call N(d1), put N(d1) - 1) and vega ν of one contract;
/// the vault's net delta D0 on the underlying (its perp position plus size x δ of each of its live
/// series there, each term truncated) and net vega V0 (size x ν, truncated), and after the trade
/// D1 = D0 + trunc(d δ), V1 = V0 + trunc(d ν):
///   base  = ν baseVolSpread + m minSpread                                   (per contract, >= 0)
///   skew  = -(D0 + D1) δ m / (2 deltaScale 1e18) - (V0 + V1) ν / (2 vegaScale)
///   ask (d < 0) = max(0, P + base + skew), each term rounded up (toward +inf)
///   bid (d > 0) = max(0, P - base + skew), each term rounded down (toward -inf)
/// The skew terms are PerpVault's skew premium applied to the trade's delta-equivalent perp
/// (average net delta over the trade, against `deltaScale`) and to its vega (the vault's implied
/// vol moves by -(average net vega) / vegaScale): a trade that grows the vault's |delta| or |vega|
/// pays more the larger they already are, a trade against its exposure gets a better price. The
/// favourable skew is bounded only by the limits over the scales (at most maxDelta x m / deltaScale
/// + maxVega / vegaScale x ν per contract): governance keeps the scales large against the limits.
///
/// Limits, for trades that grow the exposure they name (a trade that does not is always quoted, so
/// traders can close against a vault whose limits were lowered): |D1| <= maxDelta when |D1| > |D0|;
/// |V1| <= maxVega when |V1| > |V0|; |position after| <= maxContracts when it grows; a new series
/// needs a free slot of the book's MAX_ACCOUNT_OPTIONS (4). Refused outright: unknown, expired or
/// out-of-model series (moneyness beyond 4x or under 60 s left), underlying not enabled here, stale
/// mark or surface, a circuit-breaker halt (all trades: prices are suspect while it lasts).
///
/// Authorisation (EIP-1271): the option kind rebuilds the OptionIntent digest (account = this
/// vault, not reduce-only, fill-or-kill) and needs premiumLimit on the vault's side of `quote`.
/// Within `settle` every option intent is verified before any option fill, so each of the vault's
/// option trades in one batch is checked against the pre-batch book (like PerpVault's markets: their
/// combined exposure can pass a limit by the other trades' share; the margin check after the batch
/// is the hard bound), and the book allows one fill per account and series per batch, so one quote
/// covers one fill.
///
/// Delta hedge: a PositionIntent v2 digest (PerpVault's signature format; told apart from an option
/// one by which digest matches) is accepted when it is a hedge: the fill d on the underlying's perp
/// moves the net delta D toward zero and past it by at most `hedgeTolerance` (D > tol: -D - tol <= d
/// < 0; D < -tol: 0 < d <= -D + tol; nothing while |D| <= tol), at a limit within `hedgeBand` of the
/// mark (buy: limit <= floor(m (1 + band)), sell: limit >= ceil(m (1 - band))). Settlement verifies
/// position intents after it has applied the batch's option fills and before the perp fills, so D
/// counts the options the vault trades in the same batch (a call sold and its hedge settle
/// together) and the perp position before the batch (one perp fill per account and market per
/// batch). The dead band stops a solver from flipping the vault's delta back and forth at the edge
/// of the band: every hedge strictly shrinks |D| beyond the tolerance, so between two changes of the
/// option book or the mark the hedges sum to at most |D| + tol.
///
/// Governance (owner meant to be the Timelock, two-step): `setUnderlyingParams` (bounded below) and
/// the base's `setRequestDelay`.
contract OptionVault is ClearingHouseLpVault, IOptionLiquiditySource {
    // ------------------------------------------------------------------ constants

    /// @notice EIP-712 type hashes of OptionIntent and PositionIntent v2, kept here so the vault
    /// does not depend on the hashing library's version.
    bytes32 public constant OPTION_INTENT_TYPEHASH = keccak256(
        "OptionIntent(address account,uint64 series,int256 size,uint256 premiumLimit,bool reduceOnly,bool partiallyFillable,uint32 validTo,uint256 nonce)"
    );
    bytes32 public constant POSITION_INTENT_V2_TYPEHASH = keccak256(
        "PositionIntent(address account,uint32 market,int256 sizeDelta,uint256 limitPrice,bool reduceOnly,bool partiallyFillable,uint32 validTo,uint256 nonce)"
    );
    /// @notice Bounds on the governed parameters.
    uint256 public constant MAX_BASE_VOL_SPREAD = 0.5e18;
    uint256 public constant MAX_MIN_SPREAD = 0.01e18;
    uint256 public constant MAX_HEDGE_BAND = 0.05e18;
    uint256 public constant MIN_SCALE = 1e18;
    uint256 public constant MAX_SCALE = 1e36;
    uint256 public constant MAX_LIMIT = 1e36;
    uint256 internal constant MAX_MARK = 1e36;

    // ------------------------------------------------------------------ immutables and state

    OptionBook public immutable book;
    OptionSeries public immutable registry;
    VolatilityFeed public immutable volatilityFeed;
    /// @notice Prices quotes and hedges from this vault's book (deployed here; EIP-170).
    OptionVaultQuoter public immutable quoter;

    mapping(uint32 market => UnderlyingParams) internal _params;

    // ------------------------------------------------------------------ errors and events

    error UnknownMarket(uint32 market);

    event UnderlyingParamsSet(uint32 indexed market, UnderlyingParams params);

    constructor(OptionBook book_, address owner_, uint256 requestDelay_)
        ClearingHouseLpVault(address(book_.clearingHouse()), owner_, requestDelay_)
    {
        book = book_;
        registry = book_.registry();
        volatilityFeed = book_.volatilityFeed();
        quoter = new OptionVaultQuoter(book_);
    }

    // ------------------------------------------------------------------ ERC-20 metadata

    function name() public pure override returns (string memory) {
        return "Option Liquidity Vault";
    }

    function symbol() public pure override returns (string memory) {
        return "OLV";
    }

    // ------------------------------------------------------------------ governance

    /// @notice Sets `market`'s parameters (owner). Bounds: listed market; baseVolSpread <= 50 vol
    /// points, minSpread <= 1%, hedgeBand <= 5%; enabled needs both scales in [1e18, 1e36]; every
    /// limit and the tolerance <= 1e36.
    function setUnderlyingParams(uint32 market, UnderlyingParams calldata p) external onlyOwner {
        (,,, bool listed) = clearingHouse.marketState(market);
        if (!listed) revert UnknownMarket(market);
        if (
            p.baseVolSpread > MAX_BASE_VOL_SPREAD || p.minSpread > MAX_MIN_SPREAD || p.hedgeBand > MAX_HEDGE_BAND
                || p.maxDelta > MAX_LIMIT || p.maxVega > MAX_LIMIT || p.maxContracts > MAX_LIMIT
                || p.hedgeTolerance > MAX_LIMIT
        ) revert InvalidParams();
        if (
            p.enabled
                && (p.deltaScale < MIN_SCALE || p.deltaScale > MAX_SCALE || p.vegaScale < MIN_SCALE
                    || p.vegaScale > MAX_SCALE)
        ) revert InvalidParams();
        _params[market] = p;
        emit UnderlyingParamsSet(market, p);
    }

    function underlyingParams(uint32 market) external view returns (UnderlyingParams memory) {
        return _params[market];
    }

    // ------------------------------------------------------------------ quote

    /// @inheritdoc IOptionLiquiditySource
    /// @dev Computed by the quoter (EIP-170), whose errors bubble up unchanged.
    function quote(uint64 series, int256 sizeDelta) public view returns (uint256 premium) {
        return quoter.quote(series, sizeDelta);
    }

    /// @notice The vault's net delta (contracts of the underlying, wad) and net vega (collateral
    /// units per 1.0 of vol) on `market`: its perp position plus its live options at the mark
    /// (loose: the last mark and surface even when stale; `quote` and the hedge rule insist on fresh
    /// ones). Each option term is size x greek / 1e18, truncated; legs outside Black-Scholes' domain
    /// count their intrinsic delta (0 or ±1 per contract) and no vega; expired legs count nothing.
    function exposure(uint32 market) external view returns (int256 netDelta, int256 netVega) {
        return quoter.exposure(market);
    }

    /// @notice The worst limit price at which the vault takes the perp fill `sizeDelta` on `market`
    /// as a hedge now (buy: the highest it pays, sell: the lowest it accepts). Reverts `NotAHedge`
    /// unless it is one (contract notice), and as `quote` on a disabled underlying, stale mark or
    /// surface, or halt.
    function hedgeQuote(uint32 market, int256 sizeDelta) public view returns (uint256 limit) {
        return quoter.hedgeQuote(market, sizeDelta);
    }

    // ------------------------------------------------------------------ EIP-1271

    /// @inheritdoc IOptionLiquiditySource
    /// @dev Five words either way: (series, size, premiumLimit, validTo, nonce) for an option
    /// intent, (market, sizeDelta, limitPrice, validTo, nonce) for a hedge. Whichever digest matches
    /// decides the kind; expiry and nonce are the Settlement's to check, as for any intent.
    function isValidSignature(bytes32 digest, bytes calldata signature) external view returns (bytes4) {
        if (signature.length != 160) return EIP1271_INVALID;
        (uint256 id, int256 size, uint256 limit, uint256 validTo, uint256 nonce) =
            abi.decode(signature, (uint256, int256, uint256, uint256, uint256));
        if (validTo > type(uint32).max || id > type(uint64).max) return EIP1271_INVALID;
        bytes32 separator = IPerpVaultSettlement(settlement).domainSeparator();
        bytes32 optionHash = keccak256(
            abi.encode(OPTION_INTENT_TYPEHASH, address(this), id, size, limit, false, false, validTo, nonce)
        );
        if (_digest(separator, optionHash) == digest) {
            // forge-lint: disable-next-line(unsafe-typecast) -- id <= uint64 max, checked above
            try quoter.quote(uint64(id), size) returns (uint256 bound) {
                return (size < 0 ? limit >= bound : limit <= bound) ? EIP1271_MAGIC : EIP1271_INVALID;
            } catch {
                return EIP1271_INVALID;
            }
        }
        if (id > type(uint32).max) return EIP1271_INVALID;
        bytes32 positionHash = keccak256(
            abi.encode(POSITION_INTENT_V2_TYPEHASH, address(this), id, size, limit, false, false, validTo, nonce)
        );
        if (_digest(separator, positionHash) != digest) return EIP1271_INVALID;
        // forge-lint: disable-next-line(unsafe-typecast) -- id <= uint32 max, checked above
        try quoter.hedgeQuote(uint32(id), size) returns (uint256 bound) {
            return (size < 0 ? limit >= bound : limit <= bound) ? EIP1271_MAGIC : EIP1271_INVALID;
        } catch {
            return EIP1271_INVALID;
        }
    }

    function _digest(bytes32 separator, bytes32 structHash) private pure returns (bytes32) {
        return keccak256(abi.encodePacked(hex"1901", separator, structHash));
    }

    // ------------------------------------------------------------------ LP hooks

    /// @dev A perp position or an option position.
    function _hasExposure() internal view override returns (bool) {
        return clearingHouse.accountMarkets(address(this)).length != 0 || book.seriesOf(address(this)).length != 0;
    }

    /// @dev The first market whose stale mark (perp positions, options) or stale surface (options)
    /// would leave a move out of NAV, else type(uint32).max.
    function _staleMarket() internal view override returns (uint32) {
        uint32[] memory ids = clearingHouse.accountMarkets(address(this));
        for (uint256 i; i < ids.length; ++i) {
            (uint256 m, bool fresh) = clearingHouse.markPrice(ids[i]);
            if ((!fresh || m > MAX_MARK) && clearingHouse.position(address(this), ids[i]).size != 0) return ids[i];
        }
        uint64[] memory held = book.seriesOf(address(this));
        for (uint256 i; i < held.length; ++i) {
            OptionSeries.Series memory s = registry.series(held[i]);
            // forge-lint: disable-next-line(block-timestamp) -- expiry is defined against block time
            if (s.expiry <= block.timestamp) continue;
            (uint256 m, bool fresh) = clearingHouse.markPrice(s.market);
            if (!fresh || m == 0 || m > MAX_MARK) return s.market;
            (, bool volFresh) = volatilityFeed.impliedVol(s.market, 0, uint256(s.expiry) - block.timestamp);
            if (!volFresh) return s.market;
        }
        return type(uint32).max;
    }

    /// @notice Equity minus the initial requirement (portfolio margin over the vault's options and
    /// perps), zero when negative: a leaving LP never takes the vault below initial margin.
    function freeAssets() public view override returns (uint256) {
        (int256 equity, int256 initial,) = clearingHouse.accountHealth(address(this));
        if (equity <= 0 || equity <= initial) return 0;
        // forge-lint: disable-next-line(unsafe-typecast) -- equity > max(initial, 0)
        return uint256(equity - (initial > 0 ? initial : int256(0)));
    }
}
