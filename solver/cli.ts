// Solver CLI:
//   npm run solver -- --strategy optimal --node http://127.0.0.1:8080 --rpc http://127.0.0.1:8545 \
//     --pools pools.json [--key 0x… | SOLVER_KEY=0x…] [--poll-ms 500] [--bond] [--max-simulations 12]
// --bond: bond Settlement.minBond from the key first when it is not a bonded solver yet.
// --max-simulations: settle simulations per auction spent isolating intents that make it revert.
// pools.json: [{ "kind": "uniswapV2" | "uniswapV3" | "stableSwap", "address": "0x…" }, …]
// (or repeat --pool kind:0xaddress). The key must be a bonded solver of the node's Settlement.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { createPublicClient, createWalletClient, defineChain, http, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { PoolKind, PoolSpec } from './infra/pool-reader.ts';
import { SolverProcess } from './driver/solver-process.ts';
import type { Strategy } from './domain/options.ts';

const USAGE = `usage: solver --strategy baseline|optimal --node <node API URL> --rpc <RPC URL> (--pools <file.json> | --pool kind:0xaddr ...) [--key 0x... | env SOLVER_KEY] [--poll-ms N] [--bond] [--max-simulations N]`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      strategy: { type: 'string', default: 'optimal' },
      key: { type: 'string' },
      node: { type: 'string' },
      rpc: { type: 'string' },
      pools: { type: 'string' },
      pool: { type: 'string', multiple: true },
      'poll-ms': { type: 'string', default: '500' },
      bond: { type: 'boolean', default: false },
      'max-simulations': { type: 'string', default: '12' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const strategy = values.strategy as Strategy;
  const key = (values.key ?? process.env.SOLVER_KEY) as Hex | undefined;
  const maxSimulations = Number(values['max-simulations']);
  if ((strategy !== 'baseline' && strategy !== 'optimal') || !key || !values.node || !values.rpc || !Number.isInteger(maxSimulations) || maxSimulations < 1) throw new Error(USAGE);
  const pools: PoolSpec[] = [];
  if (values.pools) pools.push(...(JSON.parse(readFileSync(values.pools, 'utf8')) as PoolSpec[]));
  for (const p of values.pool ?? []) {
    const [kind, address] = p.split(':') as [PoolKind, Address];
    pools.push({ kind, address });
  }
  for (const p of pools) if (!['uniswapV2', 'uniswapV3', 'stableSwap'].includes(p.kind) || !/^0x[0-9a-fA-F]{40}$/.test(p.address)) throw new Error(`bad pool ${JSON.stringify(p)}`);

  const log = pino({ name: 'solver', level: process.env.LOG_LEVEL ?? 'info' });
  const transport = http(values.rpc, { retryCount: 2 });
  const probe = createPublicClient({ transport });
  const chainId = await probe.getChainId();
  const chain = defineChain({ id: chainId, name: `chain-${chainId}`, nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [values.rpc] } } });
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 250 });
  const wallet = createWalletClient({ chain, transport, account: privateKeyToAccount(key) });
  const solver = new SolverProcess({ strategy, privateKey: key, nodeUrl: values.node.replace(/\/$/, ''), publicClient, wallet, pools, log, pollMs: Number(values['poll-ms']), bond: values.bond, maxSimulations });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => solver.stop());
  await solver.run();
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(1);
});
