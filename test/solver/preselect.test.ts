// preselect: a backlog larger than one batch goes to the engine as the part worth most per gas.
import type { Address, Hex } from 'viem';
import { describe, expect, it } from 'vitest';
import { SETTLE_GAS_MODEL } from '../../protocol/batch-gas.ts';
import type { SwapIntent } from '../../protocol/intent.ts';
import type { Auction, AuctionIntent } from '../../protocol/score.ts';
import { preselect } from '../../solver/driver/gas-bound.ts';

const A = '0x00000000000000000000000000000000000000aa' as Address;
const B = '0x00000000000000000000000000000000000000bb' as Address;
const E18 = 10n ** 18n;
const id = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as Hex;

function swap(n: number, buyAmount: bigint): AuctionIntent {
  const intent: SwapIntent = {
    owner: `0x${(n + 1).toString(16).padStart(40, '0')}` as Address,
    sellToken: A,
    buyToken: B,
    receiver: '0x0000000000000000000000000000000000000000',
    sellAmount: 100n * E18,
    buyAmount,
    validTo: 1,
    nonce: BigInt(n),
    kind: 0,
    partiallyFillable: false,
    appData: `0x${'00'.repeat(32)}`,
  };
  return { id: id(n), intent: { type: 'swap', intent } };
}

function auction(n: number): Auction {
  // intent k asks for 100 - k/10 B for 100 A: the later ones leave more surplus at 1:1
  const entries = Array.from({ length: n }, (_, k) => swap(k, 100n * E18 - (BigInt(k) * E18) / 10n));
  return {
    id: 1n,
    intents: new Map(entries.map((e) => [e.id, e])),
    referencePrices: new Map([
      [A, E18],
      [B, E18],
    ]),
  };
}

describe('preselect', () => {
  it('leaves an auction that fits alone', () => {
    expect(preselect(auction(10), 10_000_000n, new Map())).toBeUndefined();
  });

  it('keeps the intents worth most per gas, within the share of the bound their trades may use', () => {
    const m = SETTLE_GAS_MODEL;
    const limit = m.base + 100n * m.swapTrade; // room for 100 trades, 85 of them before interactions
    const keep = preselect(auction(300), limit, new Map())!;
    expect(keep.size).toBe(Number(((limit * 85n) / 100n - m.base) / m.swapTrade));
    // the most generous limits are kept: ids 299 down
    const kept = [...keep].map((x) => Number(BigInt(x))).sort((a, b) => a - b);
    expect(kept[0]).toBe(300 - keep.size);
    expect(kept.at(-1)).toBe(299);
  });

  it('puts intents the engine got and did not fill behind the others, then the closest to expiry first', () => {
    const m = SETTLE_GAS_MODEL;
    const limit = m.base + 100n * m.swapTrade;
    const a = auction(300);
    const first = preselect(a, limit, new Map())!;
    const misses = new Map([...first].map((x) => [x, 1]));
    const second = preselect(a, limit, new Map(), misses)!;
    expect([...second].filter((x) => first.has(x))).toEqual([]);
    // an intent about to expire goes first among those never missed
    const e = a.intents.get(id(0))!;
    const soon = { ...e, intent: { type: 'swap' as const, intent: { ...(e.intent.intent as SwapIntent), validTo: 0 } } };
    const b = { ...a, intents: new Map([...a.intents, [id(0), soon]]) };
    expect(preselect(b, limit, new Map())!.has(id(0))).toBe(true);
  });
});
