// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title A USDC-like ERC-20 for local chains and tests (not Circle's USDC)
/// @notice 6 decimals like USDC, so one unit is one minor unit of the hub's USDC. Only its deployer mints. Every
/// transfer either moves the whole amount and emits Transfer, or reverts: a hot wallet without enough tokens gets a
/// mined transaction with status 0 and no log, as on a real chain.
contract RailyardUsdc {
    string public constant name = "Railyard Test USD Coin";
    string public constant symbol = "USDC";
    uint8 public constant decimals = 6;

    address public immutable minter;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    constructor() {
        minter = msg.sender;
    }

    function transfer(address to, uint256 value) external returns (bool) {
        _move(msg.sender, to, value);
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != type(uint256).max) {
            require(allowed >= value, "ERC20: insufficient allowance");
            allowance[from][msg.sender] = allowed - value;
        }
        _move(from, to, value);
        return true;
    }

    function mint(address to, uint256 value) external {
        require(msg.sender == minter, "RailyardUsdc: only the deployer mints");
        require(to != address(0), "ERC20: mint to the zero address");
        totalSupply += value;
        // cannot overflow: no balance exceeds totalSupply, which was checked above
        unchecked {
            balanceOf[to] += value;
        }
        emit Transfer(address(0), to, value);
    }

    function _move(address from, address to, uint256 value) private {
        require(to != address(0), "ERC20: transfer to the zero address");
        uint256 held = balanceOf[from];
        require(held >= value, "ERC20: transfer amount exceeds balance");
        unchecked {
            balanceOf[from] = held - value;
            balanceOf[to] += value;
        }
        emit Transfer(from, to, value);
    }
}
