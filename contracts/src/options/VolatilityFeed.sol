// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable2Step} from "../governance/Ownable2Step.sol";
import {BlackScholes} from "./BlackScholes.sol";

/// @title VolatilityFeed
/// @notice Implied-volatility surfaces for option pricing, one per perp market id, on a coarse grid
/// because compute and gas limit how often a surface can be updated on chain: at most 8 expiry
/// tenors (seconds to expiry) x 16 log-moneyness nodes (k = ln(K/F), signed WAD), with an
/// annualised implied vol (WAD) at every node. The `feeder` publishes a surface as a whole; it is
/// stamped with the block time.
///
/// Rules (protocol/options/vol-surface.ts mirrors them to the wei):
/// - **Within an expiry**, vol is linear in k between the two nodes around it; outside the nodes
///   it is the edge node's vol (flat extrapolation).
/// - **Across expiries**, the total variance w = vol^2 * t is linear in t between the two tenors
///   around the query, and vol = sqrt(w / t). Interpolating vol itself could make total variance
///   fall between two tenors whose published total variances rise (a calendar arbitrage: a
///   shorter option worth more than a longer one); linear total variance stays between the two
///   tenors' total variances, so a surface free of calendar arbitrage at its tenors is free of it
///   in between too. Before the first tenor the first tenor's vol applies, after the last the
///   last tenor's vol (flat in vol, so total variance still grows with time).
/// - **Rounding**: every step rounds down (floor of the weighted means, floor of the variance,
///   floor square root), so the answer is at most the exact interpolated vol and a few wei at most
///   below it; it always lies within the vols of the nodes around the query.
/// - **Freshness**: `fresh` is false for a market with no surface or one published more than
///   `maxAge` seconds ago. As with the OracleAdapter's loose reads, callers decide what a stale
///   surface costs (e.g. refusing risk-increasing option trades while still allowing exits).
/// - **Bounds** (grid sizes, min/max vol) are checked on publish. Changing them does not touch a
///   surface already published: it stays readable until the next publish or until it goes stale.
///
/// Governance: two-step ownership (`transferOwnership` then `acceptOwnership`), meant to be held by
/// the Timelock, so a new feeder, max age or bounds takes effect only after its delay.
/// @dev Storage is packed by hand so an 8 x 16 publish writes 38 slots: tenors as 8 x uint32 in
/// one word, nodes as 16 x int64 in 4 words, vols as 128 x uint64 in 32 words (row-major by
/// tenor: vol(i, j) is entry i * nodeCount + j).
contract VolatilityFeed is Ownable2Step {
    uint256 internal constant WAD = 1e18;
    /// @notice Hard grid limits (the owner's bounds may only be tighter).
    uint256 public constant MAX_TENORS = 8;
    uint256 public constant MAX_NODES = 16;
    /// @notice Largest vol any bound may allow: 1000% a year (fits the uint64 lanes).
    uint256 public constant MAX_VOL = 10e18;
    /// @notice Longest tenor: 5 years of 365 days (fits the uint32 lanes).
    uint256 public constant MAX_TENOR = 5 * 365 days;
    /// @notice Largest |k| of a node: ln(K/F) = +-5, strikes from F/148 to 148 F (fits int64).
    int256 public constant MAX_ABS_K = 5e18;
    /// @notice Allowed range of `maxAge`.
    uint256 public constant MIN_MAX_AGE = 1 minutes;
    uint256 public constant MAX_MAX_AGE = 1 days;

    /// @notice What the feeder may publish.
    struct Bounds {
        /// @dev Smallest and largest vol of any node (WAD, annualised); 0 < minVol <= maxVol <= MAX_VOL.
        uint64 minVol;
        uint64 maxVol;
        /// @dev Largest number of tenors (1..MAX_TENORS) and of log-moneyness nodes (1..MAX_NODES).
        uint8 maxTenors;
        uint8 maxNodes;
    }

    /// @dev The log-moneyness nodes around a query: k between nodes j0 and j0 + 1 with weights
    /// w0 = k1 - k and w1 = k - k0; one node (w1 == 0) at a node or beyond the edges.
    struct Bracket {
        uint256 j0;
        uint256 w0;
        uint256 w1;
    }

    struct Surface {
        /// @dev Block time of the publish; 0 = never published.
        uint64 publishedAt;
        uint8 tenorCount;
        uint8 nodeCount;
        /// @dev Tenor i in bits [32 i, 32 i + 32).
        uint256 tenors;
        /// @dev Node j (int64, two's complement) in word j / 4, bits [64 (j % 4), 64 (j % 4) + 64).
        uint256[4] nodes;
        /// @dev Vol n = i * nodeCount + j in word n / 4, bits [64 (n % 4), 64 (n % 4) + 64).
        uint256[32] vols;
    }

    error NotFeeder(address caller);
    error ZeroAddress();
    error InvalidMaxAge(uint256 maxAge);
    error InvalidBounds();
    /// @notice A surface needs at least one tenor and one node.
    error EmptyGrid();
    error TooManyTenors(uint256 count, uint256 max);
    error TooManyNodes(uint256 count, uint256 max);
    /// @notice `vols` must hold exactly one vol per (tenor, node).
    error VolCountMismatch(uint256 count, uint256 expected);
    /// @notice Tenor `index` is 0 or above MAX_TENOR.
    error TenorOutOfRange(uint256 index, uint256 tenor);
    /// @notice Tenor `index` is not above the one before it.
    error TenorsNotIncreasing(uint256 index);
    /// @notice Node `index` lies outside [-MAX_ABS_K, MAX_ABS_K].
    error NodeOutOfRange(uint256 index, int256 node);
    /// @notice Node `index` is not above the one before it.
    error NodesNotIncreasing(uint256 index);
    /// @notice Vol `index` (row-major) lies outside [bounds.minVol, bounds.maxVol].
    error VolOutOfBounds(uint256 index, uint256 vol);

    /// @notice A new surface for `market`; its grid is in the publish call's calldata and in `surface(market)`.
    event SurfacePublished(uint256 indexed market, uint256 publishedAt, uint256 tenorCount, uint256 nodeCount);
    event FeederSet(address indexed feeder);
    event MaxAgeSet(uint256 maxAge);
    event BoundsSet(Bounds bounds);

    /// @notice The only address that may publish surfaces.
    address public feeder;
    /// @notice Seconds after its publish for which a surface counts as fresh.
    uint256 public maxAge;
    Bounds internal _bounds;

    mapping(uint256 market => Surface) internal _surfaces;

    constructor(address owner_, address feeder_, uint256 maxAge_, Bounds memory bounds_) Ownable2Step(owner_) {
        if (owner_ == address(0)) revert ZeroAddress();
        _setFeeder(feeder_);
        _setMaxAge(maxAge_);
        _setBounds(bounds_);
    }

    // ------------------------------------------------------------------ governance

    /// @notice Replaces the feeder (not the zero address: let surfaces go stale by not publishing).
    function setFeeder(address feeder_) external onlyOwner {
        _setFeeder(feeder_);
    }

    /// @notice Sets the staleness limit, in [MIN_MAX_AGE, MAX_MAX_AGE] seconds.
    function setMaxAge(uint256 maxAge_) external onlyOwner {
        _setMaxAge(maxAge_);
    }

    /// @notice Sets what later publishes may contain (see `Bounds`).
    function setBounds(Bounds calldata bounds_) external onlyOwner {
        _setBounds(bounds_);
    }

    function bounds() external view returns (Bounds memory) {
        return _bounds;
    }

    function _setFeeder(address feeder_) private {
        if (feeder_ == address(0)) revert ZeroAddress();
        feeder = feeder_;
        emit FeederSet(feeder_);
    }

    function _setMaxAge(uint256 maxAge_) private {
        if (maxAge_ < MIN_MAX_AGE || maxAge_ > MAX_MAX_AGE) revert InvalidMaxAge(maxAge_);
        maxAge = maxAge_;
        emit MaxAgeSet(maxAge_);
    }

    function _setBounds(Bounds memory b) private {
        if (
            b.minVol == 0 || b.minVol > b.maxVol || b.maxVol > MAX_VOL || b.maxTenors == 0 || b.maxTenors > MAX_TENORS
                || b.maxNodes == 0 || b.maxNodes > MAX_NODES
        ) revert InvalidBounds();
        _bounds = b;
        emit BoundsSet(b);
    }

    // ------------------------------------------------------------------ publish

    /// @notice Replaces `market`'s surface (feeder only), stamped with the block time.
    /// @param tenors Seconds to expiry, strictly increasing, each in (0, MAX_TENOR].
    /// @param nodes Log-moneyness ln(K/F) as signed WAD, strictly increasing, each within +-MAX_ABS_K.
    /// @param vols Annualised vols (WAD), row-major: vols[i * nodes.length + j] is at (tenors[i], nodes[j]).
    /// @dev Checks run in this order, and the first failure reverts: EmptyGrid, TooManyTenors,
    /// TooManyNodes, VolCountMismatch, then tenors, nodes and vols in index order
    /// (protocol/options/vol-surface.ts `validateSurface` reports the same first error).
    function publish(uint256 market, uint256[] calldata tenors, int256[] calldata nodes, uint256[] calldata vols)
        external
    {
        if (msg.sender != feeder) revert NotFeeder(msg.sender);
        Bounds memory b = _bounds;
        uint256 nt = tenors.length;
        uint256 nk = nodes.length;
        if (nt == 0 || nk == 0) revert EmptyGrid();
        if (nt > b.maxTenors) revert TooManyTenors(nt, b.maxTenors);
        if (nk > b.maxNodes) revert TooManyNodes(nk, b.maxNodes);
        if (vols.length != nt * nk) revert VolCountMismatch(vols.length, nt * nk);

        Surface storage s = _surfaces[market];
        // One block per axis keeps few locals live at once (the legacy pipeline's stack limit).
        {
            uint256 word;
            uint256 prev;
            for (uint256 i; i < nt; ++i) {
                uint256 t = tenors[i];
                if (t == 0 || t > MAX_TENOR) revert TenorOutOfRange(i, t);
                if (t <= prev) revert TenorsNotIncreasing(i); // prev = 0 < t for i = 0
                prev = t;
                unchecked {
                    word |= t << (32 * i);
                }
            }
            s.tenors = word;
        }
        {
            uint256 word;
            int256 prev;
            for (uint256 j; j < nk; ++j) {
                int256 k = nodes[j];
                if (k > MAX_ABS_K || k < -MAX_ABS_K) revert NodeOutOfRange(j, k);
                if (j != 0 && k <= prev) revert NodesNotIncreasing(j);
                prev = k;
                unchecked {
                    // forge-lint: disable-next-line(unsafe-typecast) -- |k| <= MAX_ABS_K < 2^63
                    word |= uint256(uint64(int64(k))) << (64 * (j & 3));
                    if (j & 3 == 3 || j == nk - 1) {
                        s.nodes[j >> 2] = word;
                        word = 0;
                    }
                }
            }
        }
        {
            uint256 word;
            uint256 n = vols.length;
            (uint256 minVol, uint256 maxVol) = (b.minVol, b.maxVol);
            for (uint256 v; v < n; ++v) {
                uint256 vol = vols[v];
                if (vol < minVol || vol > maxVol) revert VolOutOfBounds(v, vol);
                unchecked {
                    word |= vol << (64 * (v & 3));
                    if (v & 3 == 3 || v == n - 1) {
                        s.vols[v >> 2] = word;
                        word = 0;
                    }
                }
            }
        }

        s.publishedAt = uint64(block.timestamp);
        // forge-lint: disable-next-line(unsafe-typecast) -- nt <= MAX_TENORS, nk <= MAX_NODES
        (s.tenorCount, s.nodeCount) = (uint8(nt), uint8(nk));
        emit SurfacePublished(market, block.timestamp, nt, nk);
    }

    // ------------------------------------------------------------------ queries

    /// @notice `market`'s surface as published (empty arrays and publishedAt 0 if none).
    function surface(uint256 market)
        external
        view
        returns (uint256[] memory tenors, int256[] memory nodes, uint256[] memory vols, uint256 publishedAt)
    {
        Surface storage s = _surfaces[market];
        uint256 nt = s.tenorCount;
        uint256 nk = s.nodeCount;
        tenors = new uint256[](nt);
        nodes = new int256[](nk);
        vols = new uint256[](nt * nk);
        for (uint256 i; i < nt; ++i) {
            tenors[i] = _tenorAt(s, i);
        }
        for (uint256 j; j < nk; ++j) {
            nodes[j] = _nodeAt(s, j);
        }
        for (uint256 v; v < nt * nk; ++v) {
            vols[v] = _volAt(s, v);
        }
        publishedAt = s.publishedAt;
    }

    /// @notice Implied vol (WAD, annualised) of `market` at log-moneyness `k` (= ln(K/F), signed WAD)
    /// and `secondsToExpiry`, interpolated as the contract notice says (rounded down).
    /// @return vol 0 when the market has no surface.
    /// @return fresh Whether a surface exists and is at most `maxAge` seconds old.
    function impliedVol(uint256 market, int256 k, uint256 secondsToExpiry)
        external
        view
        returns (uint256 vol, bool fresh)
    {
        Surface storage s = _surfaces[market];
        // publishedAt, tenorCount and nodeCount share the struct's first slot: one read for the three.
        uint256 head;
        assembly ("memory-safe") {
            head := sload(s.slot)
        }
        uint256 publishedAt = head & type(uint64).max;
        if (publishedAt == 0) return (0, false);
        // forge-lint: disable-next-line(block-timestamp) -- staleness is defined against block time
        fresh = block.timestamp - publishedAt <= maxAge;
        vol = _surfaceVol(s, (head >> 64) & 0xff, (head >> 72) & 0xff, k, secondsToExpiry);
    }

    /// @dev The interpolated vol of a published surface with nt tenors and nk nodes.
    function _surfaceVol(Surface storage s, uint256 nt, uint256 nk, int256 k, uint256 secondsToExpiry)
        private
        view
        returns (uint256)
    {
        // Column bracket: k between nodes j0 and j0 + 1 with weights w0 = k1 - k and w1 = k - k0;
        // w1 == 0 at a node or outside the nodes (flat extrapolation: one node, j0).
        Bracket memory kb = _bracketK(s, nk, k);
        uint256 tenors = s.tenors;
        uint256 i = 0;
        while (i < nt && _lane32(tenors, i) < secondsToExpiry) ++i;
        if (i == 0) return _rowVol(s, kb.j0, kb);
        if (i == nt) return _rowVol(s, (nt - 1) * nk + kb.j0, kb);
        uint256 t1 = _lane32(tenors, i);
        uint256 n1 = i * nk + kb.j0;
        if (t1 == secondsToExpiry) return _rowVol(s, n1, kb);
        return _interpolateTime(_rowVol(s, n1 - nk, kb), _lane32(tenors, i - 1), _rowVol(s, n1, kb), t1, secondsToExpiry);
    }

    /// @dev Vol at time t, t0 < t < t1, from vols v0 at t0 and v1 at t1, linear in total variance:
    /// w(t) = (w0 (t1 - t) + w1 (t - t0)) / (t1 - t0) with w = vol^2 t, and vol^2 = w(t) / t, in
    /// one floor division, then the floor square root.
    function _interpolateTime(uint256 v0, uint256 t0, uint256 v1, uint256 t1, uint256 t)
        private
        pure
        returns (uint256)
    {
        // Equal vols: the numerator is v^2 t (t1 - t0) exactly, so the quotient is v^2 and its floor
        // square root v; skipping the square root changes no result.
        if (v0 == v1) return v0;
        // Unchecked: vols < 2^64 (vol^2 < 3.4e38), tenors and t below 2^32 with t0 < t < t1, so every
        // difference is positive, each product stays below 3.4e38 * 2^64 < 2^192, the sum below
        // 2^193, and the divisor is at least 1.
        unchecked {
            return BlackScholes.sqrt((v0 * v0 * t0 * (t1 - t) + v1 * v1 * t1 * (t - t0)) / (t * (t1 - t0)));
        }
    }

    /// @notice floor(sqrt(x)) (BlackScholes.sqrt, exposed for the tests and off-chain callers).
    function sqrt(uint256 x) public pure returns (uint256) {
        return BlackScholes.sqrt(x);
    }

    /// @dev The nodes around `k` (see `Bracket`).
    function _bracketK(Surface storage s, uint256 nk, int256 k) private view returns (Bracket memory) {
        // Binary search for the first node >= k (storage reads are the cost, so touch few).
        // The search's own reads are kept: node[hi] once hi moved, node[lo - 1] once lo moved.
        uint256 lo = 0;
        uint256 hi = nk;
        int256 kHi;
        int256 kLo;
        bool hiRead;
        bool loRead;
        while (lo < hi) {
            uint256 mid = (lo + hi) >> 1;
            int256 node = _nodeAt(s, mid);
            if (node < k) {
                lo = mid + 1;
                (kLo, loRead) = (node, true);
            } else {
                hi = mid;
                (kHi, hiRead) = (node, true);
            }
        }
        if (lo == 0) return Bracket(0, 1, 0);
        if (lo == nk) return Bracket(nk - 1, 1, 0);
        int256 k1 = hiRead ? kHi : _nodeAt(s, lo);
        if (k1 == k) return Bracket(lo, 1, 0);
        int256 k0 = loRead ? kLo : _nodeAt(s, lo - 1);
        // forge-lint: disable-next-line(unsafe-typecast) -- k0 < k < k1
        return Bracket(lo - 1, uint256(k1 - k), uint256(k - k0));
    }

    /// @dev Vol at entry n of a tenor row (n = row * nodeCount + b.j0): floor((v0 w0 + v1 w1) /
    /// (w0 + w1)) with v1 the entry after n, a weighted mean of non-negative terms, so it lies
    /// between the two node vols whatever the rounding.
    function _rowVol(Surface storage s, uint256 n, Bracket memory b) private view returns (uint256) {
        uint256 v0 = _volAt(s, n);
        if (b.w1 == 0) return v0;
        uint256 v1 = _volAt(s, n + 1);
        // Equal vols: the weighted mean is v0 exactly.
        if (v0 == v1) return v0;
        return (v0 * b.w0 + v1 * b.w1) / (b.w0 + b.w1);
    }

    function _lane32(uint256 word, uint256 i) private pure returns (uint256) {
        return (word >> (32 * i)) & type(uint32).max;
    }

    function _tenorAt(Surface storage s, uint256 i) private view returns (uint256) {
        return (s.tenors >> (32 * i)) & type(uint32).max;
    }

    function _nodeAt(Surface storage s, uint256 j) private view returns (int256) {
        // forge-lint: disable-next-line(unsafe-typecast) -- the lane holds an int64 stored as uint64
        return int64(uint64(s.nodes[j >> 2] >> (64 * (j & 3))));
    }

    function _volAt(Surface storage s, uint256 n) private view returns (uint256) {
        return (s.vols[n >> 2] >> (64 * (n & 3))) & type(uint64).max;
    }
}
