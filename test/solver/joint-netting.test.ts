// Two-sided batches whose limits sit inside the pools' no-trade band: most of the surplus comes
// from netting the two sides at one uniform price near the pools' price. The fixed point alone
// found no candidate on this one (the baseline's 270 was returned); the optimum, 3711.91, is a
// brute force computed separately (a fine grid of uniform prices, an LP of the fills and pool
// trades at each, HiGHS).
import type { Address, Hex } from 'viem';
import { describe, expect, it } from 'vitest';
import { rng } from '../../devnet/rng.ts';
import type { SwapIntent } from '../../protocol/intent.ts';
import { type AuctionIntent, scoreSolution } from '../../protocol/score.ts';
import { UniswapV2Pool } from '../../solver/domain/liquidity/uniswap-v2.ts';
import { solve } from '../../solver/domain/solve.ts';

const addr = (prefix: number, k: number): Address =>
  `0x${prefix.toString(16).padStart(2, '0')}${k.toString(16).padStart(38, '0')}` as Address;
const hex32 = (k: number): Hex => `0x${k.toString(16).padStart(64, '0')}` as Hex;
type Tok = { address: Address; decimals: number; usd: number };
const units = (usd: number, t: Tok): bigint => BigInt(Math.floor((usd / t.usd) * 10 ** t.decimals));

/** 2 tokens, V2 pools agreeing on the price within 0.1%, intents on both sides with limits from −1.2% to +1.8% of it, all partially fillable. */
function nettingBatch(seed: number, pools: number, count: number) {
  const r = rng(seed);
  const logU = (lo: number, hi: number) => Math.exp(Math.log(lo) + r() * (Math.log(hi) - Math.log(lo)));
  const tokens: Tok[] = [
    { address: addr(0x10, 1), decimals: 18, usd: 1 },
    { address: addr(0x10, 2), decimals: 6, usd: logU(0.5, 3000) },
  ];
  const out: UniswapV2Pool[] = [];
  for (let k = 0; k < pools; k++) {
    const [t0, t1] = [tokens[0]!, tokens[1]!];
    const usd = logU(2e5, 2e7);
    const noise = 1 + (r() - 0.5) * 0.002;
    out.push(
      new UniswapV2Pool({
        address: addr(0x20, k + 1),
        token0: t0.address,
        token1: t1.address,
        reserve0: units(usd, { ...t0, usd: t0.usd * noise }),
        reserve1: units(usd, t1),
      }),
    );
  }
  const intents = new Map<Hex, AuctionIntent>();
  for (let k = 0; k < count; k++) {
    const a = Math.floor(r() * 2);
    const [sell, buy] = [tokens[a]!, tokens[1 - a]!];
    const usd = logU(100, 200_000);
    const slip = (r() - 0.4) * 0.03;
    const kind = r() < 0.8 ? 0 : 1;
    const intent: SwapIntent = {
      owner: addr(0x30, 1),
      sellToken: sell.address,
      buyToken: buy.address,
      receiver: '0x0000000000000000000000000000000000000000',
      sellAmount: units(kind === 0 ? usd : usd * (1 + slip), sell),
      buyAmount: units(kind === 0 ? usd * (1 - slip) : usd, buy),
      validTo: 2_000_000_000,
      nonce: BigInt(k),
      kind,
      partiallyFillable: true,
      appData: hex32(0),
    };
    intents.set(hex32(k + 1), { id: hex32(k + 1), intent: { type: 'swap', intent } });
  }
  const referencePrices = new Map<Address, bigint>();
  for (const t of tokens) referencePrices.set(t.address, BigInt(Math.round(t.usd * 1e6)) * 10n ** BigInt(12 + 18 - t.decimals));
  return { pools: out, auction: { id: 1n, intents, referencePrices } };
}

describe('joint solve: two-sided netting near the pools price', () => {
  it('finds a candidate within 0.1% of the brute-force optimum', () => {
    const { pools, auction } = nettingBatch(4, 5, 22);
    const res = solve(auction, pools, {
      strategy: 'optimal',
      settlement: '0x00000000000000000000000000000000000000ee',
      solver: '0x00000000000000000000000000000000000000ff',
      // ended by the stages' evaluation caps, not the clock (as the other solver tests): a loaded
      // CI machine ran the default 1 s budget out before the exact stage ("no time left for the scan")
      budgetMs: 600_000,
    });
    const s = scoreSolution(res.solution, auction);
    expect(s.ok).toBe(true);
    expect(res.stats.jointFailure).toBeUndefined();
    expect(res.stats.source).toBe('joint');
    if (s.ok) expect(Number(s.value.score) / 1e18).toBeGreaterThan(3711.91 * 0.999);
  });
});
