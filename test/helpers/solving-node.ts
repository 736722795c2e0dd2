// A node on a running devnet as node/cli.ts builds it (libp2p host, pool, HTTP API, auction clock,
// chain watcher), with fast auctions and two competing, bonded solver processes (optimal on anvil
// account 1, baseline on account 2) that solve its auctions and settle when they win. The
// dashboard and trade page tests run their browsers against it. Account 2 must be bonded first
// (bondSolver); account 1 is the devnet's bonded solver. Each solver also serves quotes (its
// --quote-port server) and the node asks both (--quoter), so POST /v1/quote answers as on the devnet.
// With `optionVault`, the quote servers answer option quotes against that vault too
// (solver/driver/quote-option.ts); the solvers' auctions still clear options between peers only.
import type { Address, Hex } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { toHex } from 'viem';
import pino from 'pino';
import { ANVIL_MNEMONIC } from '../../contracts/deploy/clients.ts';
import type { RunningDevnet } from '../../contracts/deploy/devnet.ts';
import { devnetPoolSpecs } from '../../contracts/deploy/solver-fixtures.ts';
import type { AuctionClock } from '../../node/auction/clock.ts';
import { createLogger } from '../../node/log.ts';
import { IntentNode } from '../../node/node.ts';
import { OptionQuoter } from '../../solver/driver/quote-option.ts';
import { startQuoteServer } from '../../solver/driver/quote-server.ts';
import { readOptionContracts } from '../../solver/infra/option-state.ts';
import { SolverProcess } from '../../solver/driver/solver-process.ts';
import { tempDir, testConfig } from './node.ts';

const hdKey = (i: number): Hex => toHex(mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: i }).getHdKey().privateKey!);

/** The devnet tokens' reference prices (1e18 per whole unit of value, scaled by decimals: DAI 18, USDC 6, WBTC 8 at 1,000x). */
export function devnetReferencePrices(t: { dai: string; usdc: string; wbtc: string }): Record<string, string> {
  return {
    [t.dai.toLowerCase()]: (10n ** 18n).toString(),
    [t.usdc.toLowerCase()]: (10n ** 30n).toString(),
    [t.wbtc.toLowerCase()]: (10n ** 33n).toString(),
  };
}

export type SolvingNode = { node: IntentNode; clock: AuctionClock; api: string; stop: () => Promise<void> };

export async function startSolvingNode(
  running: RunningDevnet,
  opts: { intervalMs: number; prefix: string; volatilityFeed?: Address; optionSeries?: Address; optionVault?: Address },
): Promise<SolvingNode> {
  const { clients, devnet } = running;
  const t = devnet.tokens;
  const dir = tempDir(opts.prefix);
  // The quote servers listen first (the node's config names them); they reach their solver once it exists.
  const solvers: SolverProcess[] = [];
  const settlement = devnet.settlement.settlement;
  const optionContracts = opts.optionVault ? await readOptionContracts(clients.publicClient, settlement) : undefined;
  const quoteServers = await Promise.all(
    [1, 2].map((i, k) => {
      const options = opts.optionVault
        ? new OptionQuoter({
            publicClient: clients.publicClient,
            contracts: optionContracts,
            vault: opts.optionVault,
            settlement,
            solver: clients.accounts[i]!.address,
          })
        : undefined;
      return startQuoteServer(
        { quote: async (req) => solvers[k]?.quote(req), ...(options ? { quoteOption: (req) => options.quote(req) } : {}) },
        { port: 0 },
      );
    }),
  );
  const config = testConfig(dir.path, {
    quoters: quoteServers.map((q) => q.url),
    // both solvers share this test process's event loop with the node on a loaded machine
    quoteTimeoutMs: 3000,
    chainId: devnet.chainId,
    settlement: devnet.settlement.settlement,
    rpcUrl: running.anvil.rpcUrl,
    auctionIntervalMs: opts.intervalMs,
    ...(opts.volatilityFeed ? { volatilityFeed: opts.volatilityFeed } : {}),
    ...(opts.optionSeries ? { optionSeries: opts.optionSeries } : {}),
  });
  // The node's auction clock checks bonds with Settlement.isSolver (it has a chain client).
  const node = new IntentNode(config, {
    log: createLogger({ level: 'silent', name: 'node' }),
    auction: {
      intervalMs: opts.intervalMs,
      // solvers get 3 s (a loaded 2-core machine solves and simulates slower than one interval)
      solveWindowMs: 3000,
      referencePrices: devnetReferencePrices(t),
      collateralToken: t.dai,
    },
    watcher: { pollMs: 250 },
  });
  const clock = node.auction!;
  const watcher = node.watcher!;
  await node.start();
  const api = node.apiUrl;

  // Solutions reach the node's ranking through the gossip hook (or POST /v1/solutions where the node has it).
  const log = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
  solvers.push(
    ...(
      [
        ['optimal', 1],
        ['baseline', 2],
      ] as const
    ).map(
      ([strategy, i]) =>
        new SolverProcess({
          strategy,
          privateKey: hdKey(i),
          nodeUrl: api,
          publicClient: clients.publicClient,
          wallet: clients.walletFor(clients.accounts[i]!),
          pools: devnetPoolSpecs(devnet),
          log,
          pollMs: 200,
          gossip: async (bytes) => void (await clock.ingestSolution(bytes)),
        }),
    ),
  );
  const runs = solvers.map((s) => s.run());
  return {
    node,
    clock,
    api,
    async stop() {
      for (const s of solvers) s.stop();
      // let the solver loops finish their current auction before the chain goes away
      await Promise.race([Promise.allSettled(runs), new Promise((r) => setTimeout(r, 10_000))]);
      clock.stop();
      watcher.stop();
      for (const q of quoteServers) await q.close();
      await node.stop();
      dir.cleanup();
    },
  };
}
