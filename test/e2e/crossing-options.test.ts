// Two wallets' crossing option intents on the real network (anvil with the devnet's contracts and
// its listed series, a node process, an optimal solver process): a buyer and a writer of the same
// call, each submitted to the node's API, fill together on chain at one premium between their
// limits, and the node marks both filled from the Settlement's OptionTradeSettled events.
import { parseEventLogs, parseUnits, type Hex } from 'viem';
import { describe, expect, it } from 'vitest';
import { optionBookAbi } from '../../contracts/artifacts/OptionBook.ts';
import { settlementAbi } from '../../contracts/artifacts/Settlement.ts';
import { signOptionIntent } from '../../contracts/client/options.ts';
import { fundWallets, makeWallets, type Wallet } from '../../devnet/traffic.ts';
import type { IntentStatusResponse, OptionSeriesResponse } from '../../protocol/api.ts';
import { NodeApi } from '../../protocol/client.ts';
import type { OptionIntent, SignedIntent } from '../../protocol/intent.ts';
import { submitOutcome } from '../helpers/api.ts';
import { useLoneNetwork } from '../helpers/lone-network.ts';

const INTERVAL = 2000;
const lone = useLoneNetwork('crossing-options', INTERVAL);

/** Polls the node's view of an intent until it is final (the watcher saw its fill), at most `ms`. */
async function settled(api: NodeApi, id: Hex, ms: number): Promise<IntentStatusResponse> {
  const until = Date.now() + ms;
  for (;;) {
    const s = await api.intent(id);
    if (s.state === 'filled' || s.state === 'expired' || s.state === 'cancelled' || Date.now() > until) return s;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('two wallets trade an option through the network', () => {
  it("a buyer's and a writer's crossing intents fill together at one premium", async () => {
    const { net } = lone;
    const d = net.deployment;
    const api = new NodeApi(net.nodes[0]!.api);
    const [writer] = makeWallets(`crossing-options-writer-${Date.now()}`, 1) as [Wallet];
    await fundWallets(net.clients, d, [writer]);
    const listed = (await (await fetch(`${net.nodes[0]!.api}/v1/options/series`)).json()) as OptionSeriesResponse;
    if (!listed.available) throw new Error(listed.reason);
    const call = listed.series.find((s) => s.isCall && s.market === 1 && s.price !== null && BigInt(s.price) > 0n);
    if (!call) throw new Error('no priced ETH call listed');
    const model = BigInt(call.price!);
    const validTo = Number((await net.clients.publicClient.getBlock()).timestamp) + 120;
    const base = { series: BigInt(call.id), reduceOnly: false, partiallyFillable: false, validTo };
    const size = parseUnits('0.5', 18);
    const sign = async (w: Wallet, o: Omit<OptionIntent, 'account'>): Promise<SignedIntent> => {
      const intent = { ...o, account: w.account.address };
      const data = await signOptionIntent(w.account, d.chainId, d.settlement, intent);
      return { type: 'option', intent, signature: { scheme: 'eoa', data } };
    };
    const buy = await sign(lone.wallet, { ...base, size, premiumLimit: (model * 3n) / 2n, nonce: 1_000n });
    const sell = await sign(writer, { ...base, size: -size, premiumLimit: model / 2n, nonce: 1_001n });
    const ids: Hex[] = [];
    for (const s of [buy, sell]) {
      const r = await submitOutcome(api, s);
      expect(r.status, `refused: ${r.code}`).toBe(201);
      ids.push(r.id!);
    }
    const [b, s] = await Promise.all(ids.map((id) => settled(api, id, 90_000)));
    expect(b!.state).toBe('filled');
    expect(s!.state).toBe('filled');
    expect(b!.settlement?.txHash).toBe(s!.settlement?.txHash);
    const receipt = await net.clients.publicClient.getTransactionReceipt({ hash: b!.settlement!.txHash });
    const fills = parseEventLogs({ abi: settlementAbi, logs: receipt.logs, eventName: 'OptionTradeSettled' });
    expect(fills.map((f) => f.args.size).sort()).toEqual([-size, size]);
    const premium = fills[0]!.args.premium;
    expect(fills[1]!.args.premium).toBe(premium);
    // the midpoint of the two limits
    expect(premium).toBe(((model * 3n) / 2n + model / 2n) / 2n);
    const book = d.optionBook!;
    const held = (who: Wallet) =>
      net.clients.publicClient.readContract({
        address: book,
        abi: optionBookAbi,
        functionName: 'positionOf',
        args: [who.account.address, BigInt(call.id)],
      });
    expect(await held(lone.wallet)).toBe(size);
    expect(await held(writer)).toBe(-size);
    console.log(`option pair settled through the network: premium ${premium} (model ${model}), ${receipt.gasUsed} gas`);
  });
});
