// Seeded random batches on the devnet's pool shapes (Uniswap V2 pairs, V3 pools with full-range
// liquidity as the devnet deploys them plus concentrated positions), for tests and bench:solver.
import type { Address, Hex } from 'viem';
import type { SwapIntent } from '../../protocol/intent.ts';
import type { Auction, AuctionIntent } from '../../protocol/score.ts';
import { getTickAtSqrtRatio, MAX_TICK } from '../../solver/domain/math/v3.ts';
import type { LiquidityAdapter } from '../../solver/domain/liquidity/adapter.ts';
import { UniswapV2Pool } from '../../solver/domain/liquidity/uniswap-v2.ts';
import { UniswapV3Pool } from '../../solver/domain/liquidity/uniswap-v3.ts';

import { rng } from '../../devnet/rng.ts';

export { rng };

const addr = (prefix: number, k: number): Address =>
  `0x${prefix.toString(16).padStart(2, '0')}${k.toString(16).padStart(38, '0')}` as Address;
const hex32 = (k: number): Hex => `0x${k.toString(16).padStart(64, '0')}` as Hex;

export type Token = { address: Address; decimals: number; usd: number };
export type Instance = {
  tokens: Token[];
  pools: LiquidityAdapter[];
  auction: Auction;
  intents: { id: Hex; intent: SwapIntent }[];
};

export type InstanceSpec = {
  seed: number;
  tokens: number;
  pools: number;
  intents: number;
  oppositeShare?: number;
  singlePair?: boolean;
  /** The convex variant: the same instance (same draws) with every intent partially fillable. */
  allPartial?: boolean;
};

const toUnits = (usd: number, t: Token): bigint => BigInt(Math.floor((usd / t.usd) * 10 ** t.decimals));

function v3FullRange(
  address: Address,
  t0: Token,
  t1: Token,
  usdEach: number,
  fee: number,
  extra?: { width: number; mult: number },
): UniswapV3Pool {
  const spacing = fee === 500 ? 10 : fee === 3000 ? 60 : 200;
  const x0 = Number(toUnits(usdEach, t0));
  const x1 = Number(toUnits(usdEach, t1));
  const price = x1 / x0;
  const sqrtPriceX96 = BigInt(Math.floor(Math.sqrt(price) * 2 ** 96));
  const tick = getTickAtSqrtRatio(sqrtPriceX96);
  const L = BigInt(Math.floor(Math.sqrt(x0 * x1)));
  const top = Math.floor(MAX_TICK / spacing) * spacing;
  const ticks = [
    { index: -top, liquidityNet: L, liquidityGross: L },
    { index: top, liquidityNet: -L, liquidityGross: L },
  ];
  let liquidity = L;
  if (extra) {
    const lo = Math.floor(tick / spacing) * spacing - extra.width * spacing;
    const hi = Math.floor(tick / spacing) * spacing + (extra.width + 1) * spacing;
    const L2 = BigInt(Math.floor(Number(L) * extra.mult));
    ticks.push({ index: lo, liquidityNet: L2, liquidityGross: L2 }, { index: hi, liquidityNet: -L2, liquidityGross: L2 });
    liquidity += L2;
  }
  return new UniswapV3Pool({
    address,
    token0: t0.address,
    token1: t1.address,
    fee,
    tickSpacing: spacing,
    sqrtPriceX96,
    tick,
    liquidity,
    ticks,
  });
}

export function makeInstance(spec: InstanceSpec): Instance {
  const r = rng(spec.seed);
  const logU = (lo: number, hi: number) => Math.exp(Math.log(lo) + r() * (Math.log(hi) - Math.log(lo)));
  const tokens: Token[] = [];
  for (let k = 0; k < spec.tokens; k++) {
    const decimals = [18, 18, 6, 8][Math.floor(r() * 4)]!;
    tokens.push({ address: addr(0x10, k + 1), decimals, usd: k === 0 ? 1 : logU(0.05, 50_000) });
  }
  tokens.sort((a, b) => (a.address < b.address ? -1 : 1));
  const pools: LiquidityAdapter[] = [];
  const pairCount = new Map<string, number>();
  for (let k = 0; k < spec.pools; k++) {
    let i: number;
    let j: number;
    if (spec.singlePair) {
      [i, j] = [0, 1];
    } else if (k < spec.tokens - 1) {
      // a spanning tree first so every token is reachable, then random pairs biased to hubs
      i = Math.floor(r() * (k + 1));
      j = k + 1;
    } else {
      const hub = Math.min(spec.tokens, 3);
      i = r() < 0.5 ? Math.floor(r() * hub) : Math.floor(r() * spec.tokens);
      j = Math.floor(r() * spec.tokens);
      if (i === j) j = (j + 1) % spec.tokens;
    }
    const [t0, t1] = tokens[i]!.address < tokens[j]!.address ? [tokens[i]!, tokens[j]!] : [tokens[j]!, tokens[i]!];
    pairCount.set(`${t0.address}${t1.address}`, (pairCount.get(`${t0.address}${t1.address}`) ?? 0) + 1);
    const usd = logU(2e4, 2e7);
    // pools agree on the price to within 0.05% (arbitraged inside their fee bands)
    const noise = 1 + (r() - 0.5) * 0.001;
    const a = { ...t0, usd: t0.usd * noise };
    const address = addr(0x20, k + 1);
    if (r() < 0.5) {
      pools.push(
        new UniswapV2Pool({ address, token0: t0.address, token1: t1.address, reserve0: toUnits(usd, a), reserve1: toUnits(usd, t1) }),
      );
    } else {
      const fee = [500, 3000, 10000][Math.floor(r() * 3)]!;
      pools.push(v3FullRange(address, a, t1, usd, fee, r() < 0.5 ? { width: 5 + Math.floor(r() * 50), mult: logU(1, 20) } : undefined));
    }
  }
  // intents
  const intents: { id: Hex; intent: SwapIntent }[] = [];
  const owner = addr(0x30, 1);
  for (let k = 0; k < spec.intents; k++) {
    let sell: Token;
    let buy: Token;
    const prev = intents.length ? intents[Math.floor(r() * intents.length)]!.intent : undefined;
    if (prev && r() < (spec.oppositeShare ?? 0.3)) {
      sell = tokens.find((t) => t.address === prev.buyToken)!;
      buy = tokens.find((t) => t.address === prev.sellToken)!;
    } else if (spec.singlePair) {
      [sell, buy] = r() < 0.8 ? [tokens[0]!, tokens[1]!] : [tokens[1]!, tokens[0]!];
    } else {
      sell = tokens[Math.floor(r() * tokens.length)]!;
      do buy = tokens[Math.floor(r() * tokens.length)]!;
      while (buy === sell);
    }
    const usd = logU(100, 200_000);
    const slippage = logU(0.003, 0.05);
    const kind = r() < 0.8 ? 0 : 1;
    const sellAmount = toUnits(kind === 0 ? usd : usd * (1 + slippage), sell);
    const buyAmount = toUnits(kind === 0 ? usd * (1 - slippage) : usd, buy);
    if (sellAmount <= 0n || buyAmount <= 0n) continue;
    intents.push({
      id: hex32(k + 1),
      intent: {
        owner,
        sellToken: sell.address,
        buyToken: buy.address,
        receiver: '0x0000000000000000000000000000000000000000',
        sellAmount,
        buyAmount,
        validTo: 2_000_000_000,
        nonce: BigInt(k),
        kind,
        partiallyFillable: r() < 0.3 || spec.allPartial === true,
        appData: hex32(0),
      },
    });
  }
  const map = new Map<Hex, AuctionIntent>();
  for (const i of intents) map.set(i.id, { id: i.id, intent: { type: 'swap', intent: i.intent } });
  const referencePrices = new Map<Address, bigint>();
  for (const t of tokens) referencePrices.set(t.address, BigInt(Math.round(t.usd * 1e6)) * 10n ** BigInt(12 + 18 - t.decimals));
  return { tokens, pools, intents, auction: { id: 1n, intents: map, referencePrices } };
}
