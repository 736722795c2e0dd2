// How much of a settled batch netted among its users instead of going through pools: the
// `matched` and `matchedVolumeShare` figures of SolveStats, one computation for every strategy
// that builds a batch.

/**
 * `paid[t]` / `received[t]`: what the filled intents paid into and took out of the settlement, per
 * token index; `value(t)`: the reference value of one base unit of token t (any common scale);
 * `filled`: the filled intents' sold and bought token indices.
 */
export function matchStats(
  paid: readonly bigint[],
  received: readonly bigint[],
  value: (t: number) => number,
  filled: readonly { s: number; t: number }[],
): { matched: number; matchedVolumeShare: number } {
  let matchedValue = 0;
  let totalValue = 0;
  for (let t = 0; t < paid.length; t++) {
    const v = value(t);
    const m = paid[t]! < received[t]! ? paid[t]! : received[t]!;
    matchedValue += Number(m) * v;
    totalValue += Number(paid[t]!) * v;
  }
  // an intent took part in netting if others took out what it sold or paid in what it bought
  const matched = filled.filter((o) => received[o.s]! > 0n || paid[o.t]! > 0n).length;
  return { matched, matchedVolumeShare: totalValue > 0 ? matchedValue / totalValue : 0 };
}
