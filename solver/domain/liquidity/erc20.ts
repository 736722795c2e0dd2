import { parseAbi } from 'viem';

/** The token transfer that pays a pool its input before the swap call (pre-transfer pools). */
export const erc20TransferAbi = parseAbi(['function transfer(address to, uint256 amount) returns (bool)']);
