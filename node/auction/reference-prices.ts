// The reference prices an auction scores surplus in: the configured ones, and 1e18 (1:1) for every
// other token its intents trade and for the clearing house's collateral token.
import type { Address } from 'viem';
import type { Intent } from '../../protocol/intent.ts';
import { PRICE_SCALE } from '../../protocol/score.ts';

export class ReferencePrices {
  private readonly configured = new Map<Address, bigint>();
  private readonly collateral?: Address;

  /** `configured`: numeraire value of 1e18 base units per token, as decimal strings. */
  constructor(configured: Record<string, string> = {}, collateralToken?: Address) {
    for (const [t, p] of Object.entries(configured)) this.configured.set(t.toLowerCase() as Address, BigInt(p));
    if (collateralToken) this.collateral = collateralToken.toLowerCase() as Address;
  }

  /** Prices for scoring or showing `intents`. */
  for(intents: Iterable<Intent>): Map<Address, bigint> {
    const prices = new Map<Address, bigint>(this.configured);
    for (const intent of intents) {
      if (intent.type !== 'swap') continue;
      for (const t of [intent.intent.sellToken, intent.intent.buyToken]) {
        const k = t.toLowerCase() as Address;
        if (!prices.has(k)) prices.set(k, PRICE_SCALE);
      }
    }
    if (this.collateral && !prices.has(this.collateral)) prices.set(this.collateral, PRICE_SCALE);
    return prices;
  }
}
