// Two wallets' crossing option intents on the real network (anvil with the devnet's contracts and
// its listed series, a node process, an optimal solver process): a buyer and a writer of the same
// call, each submitted to the node's API, fill together on chain at one premium between their
// limits, and the node marks both filled from the Settlement's OptionTradeSettled events. Then a
// lone wallet's option intent, with nobody on the other side, fills against the options vault
// through a second solver started with --option-vault (the devnet's solvers are not given it).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEventLogs, parseUnits, type Address, type Hex } from 'viem';
import { describe, expect, it } from 'vitest';
import { optionBookAbi } from '../../contracts/artifacts/OptionBook.ts';
import { settlementAbi } from '../../contracts/artifacts/Settlement.ts';
import { signOptionIntent } from '../../contracts/client/options.ts';
import { ioptionLiquiditySourceAbi } from '../../contracts/artifacts/IOptionLiquiditySource.ts';
import { solverArgs } from '../../devnet/network.ts';
import { spawnChild } from '../../devnet/processes.ts';
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

  it("a lone wallet's option purchase fills against the options vault at the vault's quote", async () => {
    const { net } = lone;
    const d = net.deployment;
    const vault = d.optionVault;
    if (!vault) throw new Error('the devnet deployment has no options vault');
    const api = new NodeApi(net.nodes[0]!.api);
    // a second solver (anvil account 2, bonding itself) that takes the vault's quotes
    const account = net.clients.accounts[2]!;
    const key = (account as unknown as { getHdKey(): { privateKey: Uint8Array } }).getHdKey().privateKey;
    const pools = join(net.logDir, 'vault-solver-pools.json');
    writeFileSync(pools, JSON.stringify(d.pools));
    const args = solverArgs({
      strategy: 'optimal',
      nodeUrl: net.nodes[0]!.api,
      rpcUrl: net.rpcUrl,
      pools,
      logLevel: 'info',
      optionVault: vault,
    });
    const solver = spawnChild('solver-option-vault', 'solver/cli.ts', args, {
      logDir: net.logDir,
      env: { SOLVER_KEY: `0x${Buffer.from(key).toString('hex')}` },
      ready: (r) => r.event === 'solver_attached',
    });
    try {
      await solver.ready;
      const listed = (await (await fetch(`${net.nodes[0]!.api}/v1/options/series`)).json()) as OptionSeriesResponse;
      if (!listed.available) throw new Error(listed.reason);
      const call = listed.series.find((s) => s.isCall && s.market === 1 && s.price !== null && BigInt(s.price) > 0n)!;
      const size = parseUnits('0.2', 18);
      const ask = await net.clients.publicClient.readContract({
        address: vault,
        abi: ioptionLiquiditySourceAbi,
        functionName: 'quote',
        args: [BigInt(call.id), -size],
      });
      const validTo = Number((await net.clients.publicClient.getBlock()).timestamp) + 120;
      const intent: OptionIntent = {
        account: lone.wallet.account.address,
        series: BigInt(call.id),
        size,
        premiumLimit: (ask * 102n) / 100n,
        reduceOnly: false,
        partiallyFillable: false,
        validTo,
        nonce: 2_000n,
      };
      const data = await signOptionIntent(lone.wallet.account, d.chainId, d.settlement, intent);
      const r = await submitOutcome(api, { type: 'option', intent, signature: { scheme: 'eoa', data } });
      expect(r.status, `refused: ${r.code}`).toBe(201);
      const status = await settled(api, r.id!, 90_000);
      expect(status.state).toBe('filled');
      const receipt = await net.clients.publicClient.getTransactionReceipt({ hash: status.settlement!.txHash });
      const fills = parseEventLogs({ abi: settlementAbi, logs: receipt.logs, eventName: 'OptionTradeSettled' });
      const byAccount = new Map(fills.map((f) => [f.args.account.toLowerCase() as Address, f.args]));
      expect(byAccount.get(vault.toLowerCase() as Address)?.size).toBe(-size);
      const premium = byAccount.get(lone.wallet.account.address.toLowerCase() as Address)!.premium;
      // at or above the vault's ask (its quote plus the solver's 0.5% margin), within the limit
      expect(premium).toBeGreaterThanOrEqual(ask);
      expect(premium).toBeLessThanOrEqual(intent.premiumLimit);
      console.log(`lone option purchase against the vault: ask ${ask}, premium ${premium}, ${receipt.gasUsed} gas`);
    } finally {
      await solver.stop();
    }
  });
});
