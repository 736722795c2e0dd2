import type { Address } from 'viem';
import type { LiquidityAdapter } from '../liquidity/adapter.ts';

/** Pools that can matter: drop dead ends (a non-batch token reached by a single pool), repeatedly. */
export function prunePools(pools: LiquidityAdapter[], batchTokens: Set<Address>): LiquidityAdapter[] {
  let live = pools.slice();
  for (;;) {
    const degree = new Map<Address, number>();
    for (const p of live) {
      degree.set(p.token0, (degree.get(p.token0) ?? 0) + 1);
      degree.set(p.token1, (degree.get(p.token1) ?? 0) + 1);
    }
    const next = live.filter(
      (p) => (batchTokens.has(p.token0) || degree.get(p.token0)! > 1) && (batchTokens.has(p.token1) || degree.get(p.token1)! > 1),
    );
    if (next.length === live.length) break;
    live = next;
  }
  // keep only components that hold a batch token
  const parent = new Map<Address, Address>();
  const find = (a: Address): Address => {
    let r = a;
    while (parent.get(r) !== undefined && parent.get(r) !== r) r = parent.get(r)!;
    parent.set(a, r);
    return r;
  };
  for (const p of live) {
    if (!parent.has(p.token0)) parent.set(p.token0, p.token0);
    if (!parent.has(p.token1)) parent.set(p.token1, p.token1);
    parent.set(find(p.token0), find(p.token1));
  }
  const useful = new Set<Address>();
  for (const t of batchTokens) if (parent.has(t)) useful.add(find(t));
  return live.filter((p) => useful.has(find(p.token0)));
}
