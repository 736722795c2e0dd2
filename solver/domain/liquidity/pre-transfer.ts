// Pre-transfer pools (Uniswap V2 pairs, ILiquiditySource) are paid before they are called: the
// Settlement first sends them the input, then calls their swap, which measures what arrived.
import { type Address, encodeFunctionData, type Hex, parseAbi, prepareEncodeFunctionData } from 'viem';
import type { Interaction } from '../../../protocol/solution.ts';

// prepared once: viem otherwise hashes the signature for its selector on every call, and the
// solver encodes many candidate solutions
const erc20Transfer = prepareEncodeFunctionData({
  abi: parseAbi(['function transfer(address to, uint256 amount) returns (bool)']),
  functionName: 'transfer',
});

/** The two interactions of a pre-transfer swap: pay `pool` `amountIn` of `tokenIn`, then call it. */
export function payThenCall(tokenIn: Address, pool: Address, amountIn: bigint, swapCallData: Hex): Interaction[] {
  return [
    {
      target: tokenIn,
      value: 0n,
      callData: encodeFunctionData({ ...erc20Transfer, args: [pool, amountIn] }),
    },
    { target: pool, value: 0n, callData: swapCallData },
  ];
}
