// Pool records as the API shows them (protocol/api.ts): an intent's full status, and the flat row
// the dashboard lists.
import type { Address } from 'viem';
import type { IntentStatusResponse, OpenIntent, SwapOpenIntent } from '../../protocol/api.ts';
import { fromHex } from '../../protocol/bytes.ts';
import { decodeSignedIntent } from '../../protocol/codec.ts';
import { signedIntentToJson } from '../../protocol/json.ts';
import type { PoolRecord } from '../pool/record.ts';

/** GET /v1/intents/{id}: the signed intent as JSON plus its state and settlement. */
export function intentStatus(rec: PoolRecord): IntentStatusResponse {
  const decoded = decodeSignedIntent(fromHex(rec.bytes));
  return {
    id: rec.digest,
    state: rec.state,
    owner: rec.owner,
    validTo: rec.validTo,
    receivedAt: new Date(rec.receivedAt).toISOString(),
    updatedAt: new Date(rec.updatedAt).toISOString(),
    source: rec.source,
    ...(rec.filled !== undefined ? { filled: rec.filled } : {}),
    settlement: rec.txHash ? { txHash: rec.txHash, blockNumber: rec.blockNumber, blockHash: rec.blockHash } : null,
    signedIntent: decoded.ok ? signedIntentToJson(decoded.value) : null,
  };
}

/** A dashboard row: the intent's limits flattened next to its state. */
export function openIntent(rec: PoolRecord): OpenIntent {
  const d = decodeSignedIntent(fromHex(rec.bytes));
  const base = {
    id: rec.digest,
    type: rec.type,
    owner: rec.owner,
    state: rec.state,
    source: rec.source,
    receivedAt: new Date(rec.receivedAt).toISOString(),
    validTo: rec.validTo,
    ...(rec.filled !== undefined ? { filled: rec.filled } : {}),
  };
  if (!d.ok) return base;
  // An option row carries no flattened limits (the dashboard lists swaps and positions); GET
  // /v1/intents/{id} has the signed intent.
  if (d.value.type === 'option') return base;
  if (d.value.type === 'swap') {
    const i = d.value.intent;
    return {
      ...base,
      sellToken: i.sellToken.toLowerCase() as Address,
      buyToken: i.buyToken.toLowerCase() as Address,
      sellAmount: i.sellAmount.toString(),
      buyAmount: i.buyAmount.toString(),
      kind: i.kind === 0 ? 'sell' : 'buy',
      partiallyFillable: i.partiallyFillable,
    };
  }
  const p = d.value.intent;
  return {
    ...base,
    market: p.market,
    sizeDelta: p.sizeDelta.toString(),
    limitPrice: p.limitPrice.toString(),
    reduceOnly: p.reduceOnly,
    partiallyFillable: p.partiallyFillable,
  };
}

/** Whether a dashboard row carries a swap's limits. */
export const isSwapRow = (row: OpenIntent): row is SwapOpenIntent => 'sellToken' in row;
