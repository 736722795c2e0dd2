// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TokenTransfer} from "../libraries/TokenTransfer.sol";
import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";
import {IClearingHouseMargin} from "../interfaces/IClearingHouseMargin.sol";
import {OracleAdapter} from "./OracleAdapter.sol";
import {PerpMath} from "./PerpMath.sol";

/// @title CollateralVault
/// @notice The extra (non-stablecoin) collateral of the clearing house's margin accounts, a
/// separate contract only because the clearing house is at the EIP-170 code size limit. It holds
/// the tokens and balances; the clearing house holds the stablecoin, positions and all PnL.
///
/// The clearing house's owner lists each token with a Chainlink-shaped feed (price of one whole
/// token in stablecoin base units after the OracleAdapter's normalisation), a heartbeat, a haircut
/// and a deposit cap. A balance counts in the account's equity at
///   value = floor(amount * floor(price * (1e18 - haircut) / 1e18) / 10^decimals)
/// (protocol/margin.ts `collateralValue`). Loose reads (batch margin checks, views) value a stale
/// or unpriced feed at zero, conservatively; strict reads (withdrawals) revert
/// `OracleStale`. A withdrawal asks the clearing house to check initial margin afterwards. A
/// liquidation of a fully closed account whose stablecoin balance is below what it owes sells its
/// extra collateral to the insurance fund at the haircut price of fresh feeds (`seize`; a token
/// whose feed is stale is not sold and stays with the account): the tokens move to
/// `insuranceCollateral`, the clearing house credits their value to the account and debits it from
/// the insurance fund. Books, per token: `balanceOf(vault) == sum(balances) + insuranceCollateral`.
contract CollateralVault {
    using TokenTransfer for address;

    uint256 internal constant WAD = 1e18;
    /// @notice At most this many tokens can be listed (bounds margin-check gas).
    uint256 public constant MAX_TOKENS = 4;
    /// @notice Prices above this and amounts above MAX_AMOUNT are rejected (keeps products in range).
    uint256 public constant MAX_PRICE = 1e36;
    uint256 public constant MAX_AMOUNT = 1e36;
    /// @notice Haircut bounds (1e18 fractions).
    uint256 public constant MIN_HAIRCUT = 0.01e18;
    uint256 public constant MAX_HAIRCUT = 0.9e18;

    /// @notice An extra collateral token's parameters.
    struct CollateralConfig {
        /// @dev Price of one whole token in the stablecoin (Chainlink-shaped, any decimals).
        AggregatorV3Interface feed;
        /// @dev Seconds after `updatedAt` for which the feed's answer counts as fresh.
        uint32 heartbeat;
        /// @dev Fraction of the oracle value not counted (1e18 fixed point, < 1e18): 0.1e18 = 10%.
        uint64 haircut;
        /// @dev Cap on the total amount all accounts hold, in the token's base units.
        uint256 depositCap;
    }

    struct Collateral {
        CollateralConfig config;
        OracleAdapter.Feed oracle;
        uint8 decimals;
        bool listed;
        /// @dev Sum of all accounts' balances of the token (checked against the cap).
        uint256 totalDeposits;
    }

    error NotOwner(address caller);
    error OnlyClearingHouse(address caller);
    error ZeroAmount();
    error AmountTooLarge(uint256 amount);
    error CollateralNotListed(address token);
    error InvalidCollateralConfig(address token);
    error TooManyCollateralTokens();
    /// @notice A deposit would take the token's total deposits above its cap.
    error DepositCapExceeded(address token, uint256 total, uint256 cap);
    /// @notice A withdrawal larger than the account's balance of the token.
    error InsufficientCollateral(address token, uint256 balance, uint256 amount);

    event CollateralConfigured(address indexed token, CollateralConfig config);
    event CollateralDeposited(address indexed account, address indexed token, address indexed from, uint256 amount);
    event CollateralWithdrawn(address indexed account, address indexed token, address indexed to, uint256 amount);
    /// @notice A liquidation sold `amount` of the account's `token` to the insurance fund for `value` stablecoin.
    event CollateralSeized(address indexed account, address indexed token, uint256 amount, int256 value);

    IClearingHouseMargin public immutable clearingHouse;
    uint8 public immutable stableDecimals;

    mapping(address token => Collateral) internal _collaterals;
    /// @notice Listed tokens.
    address[] public tokens;
    /// @notice Balances in token base units.
    mapping(address account => mapping(address token => uint256)) public balanceOf;
    mapping(address account => address[]) internal _accountTokens;
    /// @notice Tokens the insurance fund bought in liquidations (token base units).
    mapping(address token => uint256) public insuranceCollateral;

    constructor(IClearingHouseMargin clearingHouse_) {
        clearingHouse = clearingHouse_;
        stableDecimals = clearingHouse_.collateralDecimals();
    }

    modifier onlyOwner() {
        if (msg.sender != clearingHouse.owner()) revert NotOwner(msg.sender);
        _;
    }

    // ------------------------------------------------------------------ governance

    /// @notice Lists `token`, or changes a listed token's feed, haircut or cap (a lower cap only
    /// blocks new deposits; a higher haircut applies at once). The clearing house's owner only.
    /// Bounds (they hold whoever proposes the change; governance goes through a timelock): a
    /// heartbeat of 1 minute to 1 day, a haircut of 1% to 90% (no collateral counts at its full
    /// oracle price), a deposit cap of at most MAX_AMOUNT.
    function setCollateral(address token, CollateralConfig calldata config) external onlyOwner {
        if (
            token == address(0) || token == clearingHouse.collateralToken() || address(config.feed) == address(0)
                || config.heartbeat < 1 minutes || config.heartbeat > 1 days || config.haircut < MIN_HAIRCUT
                || config.haircut > MAX_HAIRCUT || config.depositCap > MAX_AMOUNT
        ) revert InvalidCollateralConfig(token);
        Collateral storage c = _collaterals[token];
        if (!c.listed) {
            if (tokens.length >= MAX_TOKENS) revert TooManyCollateralTokens();
            c.listed = true;
            c.decimals = _decimals(token);
            tokens.push(token);
        }
        c.config = config;
        uint8 feedDecimals = config.feed.decimals();
        c.oracle.feed = config.feed;
        c.oracle.heartbeat = config.heartbeat;
        (c.oracle.multiplier, c.oracle.divisor) = stableDecimals >= feedDecimals
            ? (uint96(10 ** (stableDecimals - feedDecimals)), uint96(1))
            : (uint96(1), uint96(10 ** (feedDecimals - stableDecimals)));
        emit CollateralConfigured(token, config);
    }

    /// @notice Sends tokens the insurance fund bought to `to` (the owner sells them; the proceeds
    /// come back through `ClearingHouse.fundInsurance`).
    function withdrawInsuranceCollateral(address token, uint256 amount, address to) external onlyOwner {
        insuranceCollateral[token] -= amount;
        token.safeTransfer(to, amount);
    }

    /// @dev The token's `decimals()`; reverts `InvalidCollateralConfig` if missing or above 36.
    function _decimals(address token) private view returns (uint8) {
        (bool ok, bytes memory data) = token.staticcall(abi.encodeWithSignature("decimals()"));
        if (!ok || data.length < 32) revert InvalidCollateralConfig(token);
        uint256 d = abi.decode(data, (uint256));
        if (d > 36) revert InvalidCollateralConfig(token);
        // forge-lint: disable-next-line(unsafe-typecast) -- d <= 36
        return uint8(d);
    }

    // ------------------------------------------------------------------ accounts

    /// @notice Credits `amount` of listed `token`, pulled from the caller, to the caller's own
    /// account. Only the account itself attaches collateral: a third party could otherwise attach
    /// a token whose feed lags to someone else's account (and, before liquidations learnt to value
    /// stale collateral at zero, block its liquidation).
    function depositCollateral(address token, uint256 amount) external {
        address account = msg.sender;
        if (amount == 0) revert ZeroAmount();
        if (amount > MAX_AMOUNT) revert AmountTooLarge(amount);
        Collateral storage c = _collaterals[token];
        if (!c.listed) revert CollateralNotListed(token);
        uint256 total = c.totalDeposits + amount;
        if (total > c.config.depositCap) revert DepositCapExceeded(token, total, c.config.depositCap);
        c.totalDeposits = total;
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 balance = balanceOf[account][token];
        if (balance == 0) _accountTokens[account].push(token);
        balanceOf[account][token] = balance + amount;
        emit CollateralDeposited(account, token, msg.sender, amount);
    }

    /// @notice Withdraws `amount` of `token` to `to`. Reverts `ClearingHouseBase.InsufficientMargin` if
    /// the account would end below its initial margin (strict oracle reads of its markets and extra
    /// collateral when it holds positions or a negative stablecoin balance).
    function withdrawCollateral(address token, uint256 amount, address to) external {
        if (amount == 0) revert ZeroAmount();
        uint256 balance = balanceOf[msg.sender][token];
        if (amount > balance) revert InsufficientCollateral(token, balance, amount);
        _debit(msg.sender, token, balance, amount);
        _collaterals[token].totalDeposits -= amount;
        clearingHouse.requireWithdrawable(msg.sender);
        token.safeTransfer(to, amount);
        emit CollateralWithdrawn(msg.sender, token, to, amount);
    }

    /// @dev balance -> balance - amount, dropping the token from the account's list at zero.
    function _debit(address account, address token, uint256 balance, uint256 amount) private {
        balanceOf[account][token] = balance - amount;
        if (balance != amount) return;
        address[] storage list = _accountTokens[account];
        uint256 n = list.length;
        for (uint256 i; i < n; ++i) {
            if (list[i] == token) {
                list[i] = list[n - 1];
                list.pop();
                return;
            }
        }
    }

    // ------------------------------------------------------------------ clearing house

    /// @notice The account's extra collateral at haircut prices, in stablecoin base units. Loose
    /// (`strict` false): a stale or unpriced feed values the token at zero. Strict: reverts `OracleStale`.
    function value(address account, bool strict) external view returns (int256 total) {
        address[] storage list = _accountTokens[account];
        uint256 n = list.length;
        for (uint256 i; i < n; ++i) {
            address token = list[i];
            Collateral storage c = _collaterals[token];
            uint256 p = _price(c, strict);
            if (p == 0) continue;
            total += PerpMath.collateralValue(balanceOf[account][token], p, c.decimals, c.config.haircut);
        }
    }

    /// @notice Sells the account's extra collateral to the insurance fund at the fresh haircut
    /// price until it raised `need` (> 0) stablecoin or none is left (clearing house only): per
    /// token, last listed first, the smallest amount worth at least what is still needed
    /// (`collateralForValue`), else all of it. Returns the stablecoin value raised; the clearing
    /// house credits it to the account and debits it from the insurance fund.
    function seize(address account, int256 need) external returns (int256 bought) {
        if (msg.sender != address(clearingHouse)) revert OnlyClearingHouse(msg.sender);
        address[] storage list = _accountTokens[account];
        for (uint256 i = list.length; i > 0 && bought < need; --i) {
            address token = list[i - 1];
            Collateral storage c = _collaterals[token];
            // A stale feed prices the token at zero: it is skipped (it stays with the account),
            // never blocking the liquidation that called this.
            uint256 hp = PerpMath.haircutPrice(_price(c, false), c.config.haircut);
            if (hp == 0) continue;
            uint256 balance = balanceOf[account][token];
            int256 worth = PerpMath.collateralValue(balance, hp, c.decimals, 0);
            uint256 amount = balance;
            int256 rest = need - bought;
            if (worth > rest) {
                // forge-lint: disable-next-line(unsafe-typecast) -- 0 < rest < worth
                amount = PerpMath.collateralForValue(uint256(rest), hp, c.decimals);
                worth = PerpMath.collateralValue(amount, hp, c.decimals, 0);
            }
            _debit(account, token, balance, amount);
            c.totalDeposits -= amount;
            insuranceCollateral[token] += amount;
            bought += worth;
            emit CollateralSeized(account, token, amount, worth);
        }
    }

    /// @dev The feed's price; 0 when not fresh (loose), or reverts `OracleStale` (strict).
    function _price(Collateral storage c, bool strict) private view returns (uint256 p) {
        bool fresh;
        uint256 updatedAt;
        (p, fresh, updatedAt) = OracleAdapter.read(c.oracle);
        if (!fresh || p > MAX_PRICE) {
            if (strict) revert OracleAdapter.OracleStale(address(c.oracle.feed), updatedAt);
            return 0;
        }
    }

    // ------------------------------------------------------------------ views

    /// @notice A token's config, feed normalisation, decimals, listed flag and total deposits.
    function collateralInfo(address token) external view returns (Collateral memory) {
        return _collaterals[token];
    }

    /// @notice The oracle price of one whole `token` in stablecoin base units (loose read) and whether it is fresh.
    function collateralPrice(address token) external view returns (uint256 p, bool fresh) {
        (p, fresh,) = OracleAdapter.read(_collaterals[token].oracle);
    }

    /// @notice The tokens `account` holds a balance of.
    function accountTokens(address account) external view returns (address[] memory) {
        return _accountTokens[account];
    }

    function tokenCount() external view returns (uint256) {
        return tokens.length;
    }
}
