// The baseline's price vector: each fill links its two tokens at its rate, and a later intent
// between tokens already linked (directly or through other fills) must clear at the implied rate.
import type { Address } from 'viem';
import { reduce } from '../math/ratio.ts';

/** Token prices as exact rationals relative to a component root (union-find over traded pairs). */
export class PriceGraph {
  private pot = new Map<Address, [bigint, bigint]>();
  private comp = new Map<Address, number>();
  private next = 0;

  ratio(a: Address, b: Address): [bigint, bigint] | undefined {
    const ca = this.comp.get(a);
    if (ca === undefined || ca !== this.comp.get(b)) return undefined;
    const [na, da] = this.pot.get(a)!;
    const [nb, db] = this.pot.get(b)!;
    return reduce(na * db, da * nb);
  }

  link(a: Address, b: Address, pa: bigint, pb: bigint): void {
    const ca = this.comp.get(a);
    const cb = this.comp.get(b);
    if (ca === undefined && cb === undefined) {
      const c = this.next++;
      this.pot.set(a, [1n, 1n]);
      this.pot.set(b, reduce(pb, pa));
      this.comp.set(a, c);
      this.comp.set(b, c);
    } else if (cb === undefined) {
      const [n, d] = this.pot.get(a)!;
      this.pot.set(b, reduce(n * pb, d * pa));
      this.comp.set(b, ca!);
    } else if (ca === undefined) {
      const [n, d] = this.pot.get(b)!;
      this.pot.set(a, reduce(n * pa, d * pb));
      this.comp.set(a, cb);
    } else if (ca !== cb) {
      // scale b's component by f = pot[a]·pb / (pa·pot[b])
      const [na, da] = this.pot.get(a)!;
      const [nb, db] = this.pot.get(b)!;
      const fn = na * pb * db;
      const fd = da * pa * nb;
      for (const [t, c] of this.comp) {
        if (c !== cb) continue;
        const [n, d] = this.pot.get(t)!;
        this.pot.set(t, reduce(n * fn, d * fd));
        this.comp.set(t, ca);
      }
    }
  }

  /** Integer prices: each component scaled so its cheapest token is priced about 1e24. */
  integerPrices(): Map<Address, bigint> {
    const out = new Map<Address, bigint>();
    const comps = new Map<number, Address[]>();
    for (const [t, c] of this.comp) comps.set(c, [...(comps.get(c) ?? []), t]);
    for (const tokens of comps.values()) {
      let min: [bigint, bigint] | undefined;
      for (const t of tokens) {
        const p = this.pot.get(t)!;
        if (!min || p[0] * min[1] < min[0] * p[1]) min = p;
      }
      const scaleN = 10n ** 24n * min![1];
      const scaleD = min![0];
      for (const t of tokens) {
        const [n, d] = this.pot.get(t)!;
        out.set(t, (scaleN * n) / (scaleD * d));
      }
    }
    return out;
  }
}
