// solver/driver/isolate.ts against a fake chain: intents are plain swaps, `solve` fills every intent not
// excluded, and `simulate` reverts the way Settlement would for the owners marked bad: a revoked
// approval names the owner (TransferFromFailed), a gas-burning wallet names nobody (Unknown). The
// real-chain acceptance test is test/chain/isolate.test.ts.
import { describe, expect, it } from 'vitest';
import { getAddress, keccak256, toHex, zeroAddress, type Address, type Hex } from 'viem';
import pino from 'pino';
import type { SettleBatch } from '../../contracts/client/settlement.ts';
import type { SignedIntent, SwapIntent } from '../../protocol/intent.ts';
import type { Solution } from '../../protocol/solution.ts';
import type { SimulationResult } from '../../solver/driver/submitter.ts';
import { namedCulprits } from '../../solver/driver/culprits.ts';
import { isolate } from '../../solver/driver/isolate.ts';

const SELL = getAddress('0x1000000000000000000000000000000000000001');
const BUY = getAddress('0x2000000000000000000000000000000000000002');
const SETTLEMENT = getAddress('0x3000000000000000000000000000000000000003');
const addr = (k: number): Address => getAddress(toHex(0x4000 + k, { size: 20 }));

type Kind = 'good' | 'revoked' | 'burner';

function fixture(kinds: Kind[], options: { maxSimulations?: number; environment?: boolean } = {}) {
  const signed = new Map<Hex, SignedIntent>();
  const kindOf = new Map<string, Kind>();
  const ids: Hex[] = [];
  kinds.forEach((kind, k) => {
    const intent: SwapIntent = {
      owner: addr(k),
      sellToken: SELL,
      buyToken: BUY,
      receiver: zeroAddress,
      sellAmount: 100n + BigInt(k),
      buyAmount: 90n,
      validTo: 2_000_000_000,
      nonce: BigInt(k),
      kind: 0,
      partiallyFillable: false,
      appData: keccak256(toHex('isolate')),
    };
    const id = keccak256(toHex(`intent-${k}`));
    signed.set(id, { type: 'swap', intent, signature: { scheme: 'eoa', data: `0x${'11'.repeat(65)}` } });
    kindOf.set(addr(k).toLowerCase(), kind);
    ids.push(id);
  });
  const solve = (excluded: ReadonlySet<Hex>): Solution => ({
    auctionId: 1n,
    solver: addr(999),
    prices: [
      { token: SELL, price: 1n },
      { token: BUY, price: 1n },
    ],
    marketPrices: [],
    trades: ids
      .filter((id) => !excluded.has(id))
      .map((id) => ({ intentId: id, executed: (signed.get(id)!.intent as SwapIntent).sellAmount })),
    interactions: [],
  });
  const calls: number[] = [];
  const simulate = async (batch: SettleBatch): Promise<SimulationResult> => {
    calls.push(batch.trades.length);
    // trades execute in order: the first bad one reverts the batch
    for (const t of batch.trades) {
      const kind = kindOf.get(t.owner.toLowerCase());
      if (kind === 'revoked')
        return {
          ok: false,
          lostRace: false,
          revert: { errorName: 'TransferFromFailed', args: [SELL, t.owner, SETTLEMENT, t.sellAmount], message: '' },
        };
      if (kind === 'burner') return { ok: false, lostRace: false, revert: { errorName: 'Unknown', args: [], message: 'out of gas' } };
    }
    if (options.environment)
      return { ok: false, lostRace: false, revert: { errorName: 'Unknown', args: [], message: 'execution reverted' } };
    return { ok: true, gas: 100_000n };
  };
  const lines: { event?: string; intentId?: Hex; reason?: string }[] = [];
  const log = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as (typeof lines)[number]) });
  const run = () =>
    isolate({
      auctionId: 7,
      solve,
      signed,
      simulate,
      log,
      ...(options.maxSimulations !== undefined ? { maxSimulations: options.maxSimulations } : {}),
    });
  const idsOf = (kind: Kind): Hex[] => ids.filter((_, k) => kinds[k] === kind);
  return { run, calls, lines, ids, idsOf, signed, solve };
}

describe('isolate', () => {
  it('a revert that names the owner drops that intent only: one extra simulation', async () => {
    const f = fixture(['good', 'good', 'revoked', 'good', 'good']);
    const r = await f.run();
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.isolated).toEqual([{ intentId: f.idsOf('revoked')[0], reason: 'TransferFromFailed' }]);
    expect(r.solution.trades.map((t) => t.intentId)).toEqual(f.idsOf('good'));
    expect(r.simulations).toBe(2);
    expect(f.lines.filter((l) => l.event === 'intent_isolated')).toMatchObject([
      { intentId: f.idsOf('revoked')[0], reason: 'TransferFromFailed', auctionId: 7 },
    ]);
  });

  it('a revert that names nobody is bisected: the culprit found in about log2(n) simulations', async () => {
    const kinds: Kind[] = Array.from({ length: 16 }, (_, k) => (k === 11 ? 'burner' : 'good'));
    const f = fixture(kinds);
    const r = await f.run();
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.isolated).toEqual([{ intentId: f.idsOf('burner')[0], reason: 'bisected:Unknown' }]);
    expect(r.solution.trades.map((t) => t.intentId)).toEqual(f.idsOf('good'));
    // first try, log2(16) probes, the re-solved batch
    expect(r.simulations).toBe(1 + 4 + 1);
  });

  it('several culprits, named and unnamed, are all dropped; the good intents settle', async () => {
    const f = fixture(['good', 'burner', 'good', 'revoked', 'good', 'good', 'burner', 'good']);
    const r = await f.run();
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.isolated.map((i) => i.intentId).sort()).toEqual([...f.idsOf('burner'), ...f.idsOf('revoked')].sort());
    expect(r.solution.trades.map((t) => t.intentId)).toEqual(f.idsOf('good'));
    expect(r.simulations).toBeLessThanOrEqual(12);
  });

  it('a hostile auction costs at most maxSimulations; what it returns (if anything) holds no bad intent', async () => {
    const kinds: Kind[] = Array.from({ length: 24 }, (_, k) => (k % 3 === 0 ? 'good' : 'burner'));
    for (const max of [1, 4, 12]) {
      const f = fixture(kinds, { maxSimulations: max });
      const r = await f.run();
      expect(f.calls.length).toBeLessThanOrEqual(max);
      expect(r.simulations).toBe(f.calls.length);
      if (r.ok) for (const t of r.solution.trades) expect(f.idsOf('good')).toContain(t.intentId);
      else expect(r.reason).toBe('budget_exhausted');
    }
  });

  it('budget exhausted after a clean probe: the probe that simulated cleanly is returned', async () => {
    // 8 burners then 8 good: the first probe (without the first half) passes, then the budget ends
    const kinds: Kind[] = Array.from({ length: 16 }, (_, k) => (k < 8 ? 'burner' : 'good'));
    const f = fixture(kinds, { maxSimulations: 2 });
    const r = await f.run();
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.solution.trades.map((t) => t.intentId)).toEqual(f.idsOf('good'));
    expect(f.lines.some((l) => l.event === 'isolation_fallback')).toBe(true);
  });

  it('a failure no intent causes: bounded, and nothing is returned', async () => {
    const f = fixture(['good', 'good', 'good', 'good'], { environment: true });
    const r = await f.run();
    expect(r.ok).toBe(false);
    expect(f.calls.length).toBeLessThanOrEqual(12);
  });

  it('namedCulprits: index, owner/nonce, digest, and account errors point at the right intents', () => {
    const f = fixture(['good', 'good', 'good']);
    const solution = f.solve(new Set());
    const owner1 = (f.signed.get(f.ids[1]!)!.intent as SwapIntent).owner;
    expect(namedCulprits({ errorName: 'IntentExpired', args: [2n, 0n], message: '' }, solution, f.signed)).toEqual([f.ids[2]]);
    expect(namedCulprits({ errorName: 'NonceAlreadyUsed', args: [owner1, 1n], message: '' }, solution, f.signed)).toEqual([f.ids[1]]);
    expect(namedCulprits({ errorName: 'NonceAlreadyUsed', args: [owner1, 5n], message: '' }, solution, f.signed)).toEqual([]);
    expect(namedCulprits({ errorName: 'FillExceedsAmount', args: [f.ids[0], 0n, 1n, 1n], message: '' }, solution, f.signed)).toEqual([
      f.ids[0],
    ]);
    expect(namedCulprits({ errorName: 'InvalidEip1271Signature', args: [owner1], message: '' }, solution, f.signed)).toEqual([f.ids[1]]);
    expect(namedCulprits({ errorName: 'TransferFailed', args: [BUY, owner1, 99n], message: '' }, solution, f.signed)).toEqual([f.ids[1]]);
    expect(namedCulprits({ errorName: 'TokenBalanceDecreased', args: [SELL, 1n, 0n], message: '' }, solution, f.signed)).toEqual([]);
  });
});
