// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice ERC20 whose supply only the deployer (the test) can mint, so the adversarial solver has
/// exactly the tokens the test gives it and cannot mint into victims or the clearing house.
/// A finite allowance is decremented; an infinite one (max) is not.
contract OwnedToken {
    string public name;
    string public symbol;
    uint8 public immutable decimals;
    address public immutable minter;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    constructor(string memory name_, string memory symbol_, uint8 decimals_) {
        name = name_;
        symbol = symbol_;
        decimals = decimals_;
        minter = msg.sender;
    }

    function mint(address to, uint256 amount) external {
        require(msg.sender == minter, "OwnedToken: minter");
        totalSupply += amount;
        balanceOf[to] += amount;
        emit Transfer(address(0), to, amount);
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        _move(msg.sender, to, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) public returns (bool) {
        _spend(from, msg.sender, amount);
        _move(from, to, amount);
        return true;
    }

    function _spend(address from, address spender, uint256 amount) internal {
        if (from == spender) return;
        uint256 allowed = allowance[from][spender];
        if (allowed != type(uint256).max) {
            require(allowed >= amount, "OwnedToken: allowance");
            allowance[from][spender] = allowed - amount;
        }
    }

    function _move(address from, address to, uint256 amount) internal {
        require(balanceOf[from] >= amount, "OwnedToken: balance");
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
        emit Transfer(from, to, amount);
    }
}

/// @notice DAI-style aliases of transferFrom (MakerDAO's `move`, `pull`, `push`): each spends the
/// caller's allowance like transferFrom, under a selector other than 0x23b872dd.
contract DaiLikeToken is OwnedToken {
    constructor() OwnedToken("Dai-like", "DAIL", 18) {}

    /// @notice transferFrom(src, dst, wad).
    function move(address src, address dst, uint256 wad) external {
        transferFrom(src, dst, wad);
    }

    /// @notice transferFrom(usr, msg.sender, wad).
    function pull(address usr, uint256 wad) external {
        transferFrom(usr, msg.sender, wad);
    }

    /// @notice transferFrom(msg.sender, usr, wad).
    function push(address usr, uint256 wad) external {
        transferFrom(msg.sender, usr, wad);
    }
}

/// @notice Minimal ERC-721: `transferFrom` shares ERC20's selector 0x23b872dd (blocked by
/// Settlement), the two `safeTransferFrom`s (0x42842e0e, 0xb88d4fde) do not. No receiver callback.
contract MockNFT {
    address public immutable minter;
    mapping(uint256 => address) public ownerOf;
    mapping(uint256 => address) public getApproved;
    mapping(address => mapping(address => bool)) public isApprovedForAll;
    mapping(address => uint256) public balanceOf;

    constructor() {
        minter = msg.sender;
    }

    function mint(address to, uint256 id) external {
        require(msg.sender == minter && ownerOf[id] == address(0), "MockNFT: mint");
        ownerOf[id] = to;
        balanceOf[to]++;
    }

    function approve(address spender, uint256 id) external {
        address o = ownerOf[id];
        require(msg.sender == o || isApprovedForAll[o][msg.sender], "MockNFT: approve");
        getApproved[id] = spender;
    }

    function setApprovalForAll(address operator, bool approved) external {
        isApprovedForAll[msg.sender][operator] = approved;
    }

    function transferFrom(address from, address to, uint256 id) public {
        require(ownerOf[id] == from && to != address(0), "MockNFT: from");
        require(
            msg.sender == from || getApproved[id] == msg.sender || isApprovedForAll[from][msg.sender],
            "MockNFT: not approved"
        );
        delete getApproved[id];
        ownerOf[id] = to;
        balanceOf[from]--;
        balanceOf[to]++;
    }

    function safeTransferFrom(address from, address to, uint256 id) external {
        transferFrom(from, to, id);
    }

    function safeTransferFrom(address from, address to, uint256 id, bytes calldata) external {
        transferFrom(from, to, id);
    }
}

interface IERC20Min {
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
}

/// @notice Permit2's AllowanceTransfer surface (same signatures and selectors as Uniswap's Permit2):
/// `approve(token, spender, amount, expiration)`, the single `transferFrom(from, to, uint160, token)`
/// (0x36c78516, blocked by Settlement) and the batch `transferFrom((from, to, uint160, token)[])`
/// (0x0d58b1db, not blocked). Users approve this contract on the token, then a spender here.
contract MockPermit2 {
    struct AllowanceTransferDetails {
        address from;
        address to;
        uint160 amount;
        address token;
    }

    struct PackedAllowance {
        uint160 amount;
        uint48 expiration;
        uint48 nonce;
    }

    mapping(address owner => mapping(address token => mapping(address spender => PackedAllowance))) public allowance;

    function approve(address token, address spender, uint160 amount, uint48 expiration) external {
        PackedAllowance storage a = allowance[msg.sender][token][spender];
        a.amount = amount;
        a.expiration = expiration;
    }

    function transferFrom(address from, address to, uint160 amount, address token) external {
        _transfer(from, to, amount, token);
    }

    function transferFrom(AllowanceTransferDetails[] calldata details) external {
        for (uint256 i; i < details.length; ++i) {
            AllowanceTransferDetails calldata d = details[i];
            _transfer(d.from, d.to, d.amount, d.token);
        }
    }

    function _transfer(address from, address to, uint160 amount, address token) private {
        PackedAllowance storage a = allowance[from][token][msg.sender];
        require(block.timestamp <= a.expiration, "Permit2: expired");
        if (a.amount != type(uint160).max) {
            require(a.amount >= amount, "Permit2: allowance");
            a.amount -= amount;
        }
        require(IERC20Min(token).transferFrom(from, to, amount), "Permit2: transfer");
    }
}

/// @notice A contract the attacking solver controls: forwards any call with any value, so an
/// interaction can make Settlement's registry (bond, requestExit, withdrawBond, slash, settle...)
/// see a caller other than Settlement itself. Accepts ETH.
contract AttackerHelper {
    function exec(address target, uint256 value, bytes calldata data) external payable returns (bytes memory) {
        (bool ok, bytes memory ret) = target.call{value: value}(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        return ret;
    }

    receive() external payable {}
}
