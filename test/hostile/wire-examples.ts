// The worked examples of protocol/WIRE.md, from real signatures by fixed keys (RFC 6979 signing is
// deterministic, so the bytes are stable). `node test/hostile/wire-examples.ts` prints them as the
// markdown blocks WIRE.md embeds; wire.test.ts checks WIRE.md still holds exactly these bytes.
import type { Address, Hex } from 'viem';
import {
  addressOf,
  cancelDigest,
  cancelFramePayload,
  encodeCancel,
  encodeIntent,
  frame,
  hex,
  intentId,
  sign,
  signSolution,
  type Position,
  type Swap,
  type WireIntent,
} from './wire.ts';

export const EXAMPLE_CHAIN_ID = 31337;
export const EXAMPLE_SETTLEMENT: Address = '0x5fbdb2315678afecb367f032d93f642f64180aa3';
/** anvil's second default account: the owner of every example intent. */
export const EXAMPLE_OWNER_KEY: Hex = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
/** anvil's third default account: the example solver. */
export const EXAMPLE_SOLVER_KEY: Hex = '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a';

export type Examples = Record<'swapIntent' | 'positionIntent' | 'cancel' | 'solution' | 'syncIntentFrame' | 'syncCancelFrame', Hex>;

export function examples(): Examples {
  const owner = addressOf(EXAMPLE_OWNER_KEY);
  const swap: Swap = {
    owner,
    sellToken: '0x1111111111111111111111111111111111111111',
    buyToken: '0x2222222222222222222222222222222222222222',
    receiver: '0x0000000000000000000000000000000000000000',
    sellAmount: 10n ** 18n,
    buyAmount: 2_000_000_000n,
    validTo: 1795300000,
    nonce: 7n,
    kind: 0,
    partiallyFillable: true,
    appData: '0x00000000000000000000000000000000000000000000000000000000000000ab',
  };
  const swapId = intentId({ tag: 1, swap }, EXAMPLE_CHAIN_ID, EXAMPLE_SETTLEMENT);
  const swapIntent: WireIntent = { tag: 1, swap, sig: { scheme: 0, data: sign(swapId, EXAMPLE_OWNER_KEY) } };
  const position: Position = {
    account: owner,
    market: 1,
    sizeDelta: -2n * 10n ** 18n,
    limitPrice: 3000n * 10n ** 18n,
    reduceOnly: false,
    partiallyFillable: true,
    validTo: 1795300000,
    nonce: 8n,
  };
  const positionId = intentId({ tag: 2, position }, EXAMPLE_CHAIN_ID, EXAMPLE_SETTLEMENT);
  const positionIntent: WireIntent = { tag: 2, position, sig: { scheme: 0, data: sign(positionId, EXAMPLE_OWNER_KEY) } };
  const cancelSig = sign(cancelDigest(swapId, EXAMPLE_CHAIN_ID, EXAMPLE_SETTLEMENT), EXAMPLE_OWNER_KEY);
  const solution = signSolution(
    {
      auctionId: 1197486001n,
      prices: [
        { token: '0x1111111111111111111111111111111111111111', price: 2_100_000_000n },
        { token: '0x2222222222222222222222222222222222222222', price: 10n ** 18n },
      ],
      marketPrices: [{ market: 1, price: 3100n * 10n ** 18n }],
      trades: [{ intentId: swapId, executed: 10n ** 18n }],
      liquidity: [{ intent: positionIntent, executed: 10n ** 18n }],
      interactions: [{ target: '0x3333333333333333333333333333333333333333', value: 0n, callData: '0xdeadbeef' }],
    },
    EXAMPLE_SOLVER_KEY,
    EXAMPLE_CHAIN_ID,
    EXAMPLE_SETTLEMENT,
  );
  const swapBytes = encodeIntent(swapIntent);
  return {
    swapIntent: hex(swapBytes),
    positionIntent: hex(encodeIntent(positionIntent)),
    cancel: hex(encodeCancel(swapId, cancelSig)),
    solution: hex(solution),
    syncIntentFrame: hex(frame(swapBytes)),
    syncCancelFrame: hex(frame(cancelFramePayload(swapId, cancelSig, swapBytes))),
  };
}

/** `hex <name>` fenced blocks, 64 hex digits (32 bytes) a line. */
export function markdown(e: Examples = examples()): string {
  return Object.entries(e)
    .map(
      ([name, h]) =>
        `\`\`\`hex ${name}\n${h
          .slice(2)
          .match(/.{1,64}/g)!
          .join('\n')}\n\`\`\``,
    )
    .join('\n\n');
}

/** The examples as WIRE.md holds them, by block name. */
export function parseMarkdown(md: string): Partial<Examples> {
  const out: Partial<Examples> = {};
  for (const m of md.matchAll(/```hex (\w+)\n([0-9a-f\n]+)```/g)) out[m[1] as keyof Examples] = `0x${m[2]!.replace(/\n/g, '')}`;
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(`${markdown()}\n`);
