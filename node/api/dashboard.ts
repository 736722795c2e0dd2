// The dashboard: a static page (node/api/dashboard/*.html|js|css, no build step) served at GET /
// and GET /dashboard, and the small read-only JSON endpoints it polls, documented in
// node/openapi.json with the rest of the API.
//
// Where the data comes from:
//   open intents      the pool's live records (memory)
//   auctions          the stored auction records (written at each solve deadline) and their
//                     settlements (the chain watcher's Settled events)
//   leaderboard       the stored solver records plus winning scores summed over recent auctions
//   trades            the Settlement's TradeSettled events (executed amounts; the intent's limits
//                     from the pool) and the clearing house's PositionChanged events
//   accounts          clearing house views for every account seen in its events
//   vault             the configured perp liquidity vault's views (NAV, shares) and its positions
// The chain parts need the node's --rpc-url; without it they are reported as unavailable.
import { readFile } from 'node:fs/promises';
import type { Address } from 'viem';
import type {
  AccountMargin,
  AccountsResponse,
  AuctionsResponse,
  AuctionSummary,
  DashboardSummary,
  LeaderboardResponse,
  LeaderboardRow,
  OpenIntentsResponse,
  Trade,
  TradesResponse,
  VaultResponse,
} from '../../protocol/api.ts';
import type { AuctionClock } from '../auction/clock.ts';
import type { ChainActivity } from '../chain/activity.ts';
import type { AuctionRepository } from '../db/auctions.ts';
import type { SolverRecord, SolverRepository } from '../db/solvers.ts';
import type { NetworkStatus } from '../gossip/status.ts';
import type { Logger } from '../log.ts';
import type { IntentPool } from '../pool/pool.ts';
import { cached, HttpError, json, limitOf, raw, type Route } from './http.ts';
import { isSwapRow, openIntent } from './views.ts';

export type DashboardDeps = {
  chainId: number;
  settlement: Address;
  auctionIntervalMs: number;
  pool: IntentPool;
  auctions: AuctionRepository;
  solvers: SolverRepository;
  auction?: AuctionClock;
  network: Pick<NetworkStatus, 'peerId' | 'peerCount'>;
  /** The chain reads; absent when the node runs without --rpc-url. */
  chain?: ChainActivity;
  /** The perp liquidity vault to show (config `perpVault`). */
  perpVault?: Address;
  log: Logger;
};

const STATIC: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

const firstLine = (e: unknown): string => (e as Error).message.split('\n')[0] ?? 'error';

/** The dashboard's routes. */
export function dashboardRoutes(d: DashboardDeps): Route[] {
  const dir = new URL('./dashboard/', import.meta.url);
  const { chain } = d;

  const openIntents = (limit: number): OpenIntentsResponse => {
    const live = d.pool.liveRecords().sort((a, b) => b.receivedAt - a.receivedAt);
    return { total: live.length, intents: live.slice(0, limit).map(openIntent) };
  };

  const settlementOf = async (id: number): Promise<AuctionSummary['settlement']> => {
    const s = await d.auctions.settlement(id);
    return s ? { solver: s.solver, txHash: s.txHash, blockNumber: s.blockNumber } : null;
  };

  /** Each recent auction's winning solutions (the leaderboard credits each winner its own score). */
  const wonBy = new Map<number, { solver: Address; score: bigint }[]>();

  /** The latest ranked auctions that had intents or solutions (idle auctions are skipped), newest first. */
  const recentAuctions = cached(500, async (): Promise<AuctionSummary[]> => {
    const out: AuctionSummary[] = [];
    let scanned = 0;
    for await (const r of d.auctions.newestFirst()) {
      if (++scanned > 2000 || out.length >= 200) break;
      if (r.intents.length === 0 && r.ranking.length === 0) continue;
      // Several solutions can win one auction (disjoint intents, settled together): the summary's
      // winner is the best-ranked of them and its surplus their sum; which ones won is in the
      // ranking (GET /v1/auctions/{id}), where the page reads it.
      // (records stored before RankedSolution.winner existed: rank 0 won)
      const winners = r.ranking.filter((s) => (s as { winner?: boolean }).winner ?? s.rank === 0);
      out.push({
        id: r.id,
        closedAt: new Date(r.closedAt).toISOString(),
        intents: r.intents.length,
        solutions: r.ranking.map((s) => ({ rank: s.rank, solver: s.solver, score: s.score, hash: s.hash })),
        winner: winners[0]?.solver ?? null,
        surplus: winners.reduce((t, s) => t + BigInt(s.score), 0n).toString(),
        settlement: await settlementOf(r.id),
      });
      wonBy.set(
        r.id,
        winners.map((s) => ({ solver: s.solver, score: BigInt(s.score) })),
      );
    }
    // by id, never cleared while in use: a leaderboard reading during a recomputation sees whole entries
    const keep = new Set(out.map((a) => a.id));
    for (const id of wonBy.keys()) if (!keep.has(id)) wonBy.delete(id);
    return out;
  });

  const leaderboard = cached(1000, async (): Promise<LeaderboardRow[]> => {
    const rows = new Map<string, SolverRecord & { surplus: bigint; settled: number }>();
    for await (const r of d.solvers.all()) rows.set(r.solver, { ...r, surplus: 0n, settled: 0 });
    for (const a of await recentAuctions()) {
      for (const won of wonBy.get(a.id) ?? []) {
        const w = rows.get(won.solver);
        if (w) w.surplus += won.score;
      }
      const s = a.settlement && rows.get(a.settlement.solver);
      if (s) s.settled++;
    }
    return [...rows.values()]
      .sort((a, b) => b.wins - a.wins || (b.surplus > a.surplus ? 1 : b.surplus < a.surplus ? -1 : 0) || b.valid - a.valid)
      .map((r, i) => ({
        rank: i + 1,
        solver: r.solver,
        wins: r.wins,
        submitted: r.submitted,
        valid: r.valid,
        invalid: r.invalid,
        winRate: r.valid > 0 ? r.wins / r.valid : 0,
        surplus: r.surplus.toString(),
        settled: r.settled,
        ...(r.lastInvalid ? { lastInvalid: r.lastInvalid } : {}),
      }));
  });

  /** Settled trades, newest block first: swaps (with the intent's limits when the pool has it) and position fills. */
  const trades = async (limit: number): Promise<{ trades: Trade[]; total: number }> => {
    if (!chain) return { trades: [], total: 0 };
    await chain.scan().catch((e: unknown) => d.log.debug({ event: 'dashboard_scan_failed', err: firstLine(e) }));
    const all: Trade[] = [...chain.swaps, ...chain.positionFills, ...chain.optionFills].sort((a, b) => b.blockNumber - a.blockNumber);
    const page = await Promise.all(
      all.slice(0, limit).map(async (t): Promise<Trade> => {
        if (t.kind !== 'swap') return t;
        const rec = await d.pool.get(t.id);
        const v = rec ? openIntent(rec) : undefined;
        return v && isSwapRow(v) ? { ...t, state: v.state, sellAmount: v.sellAmount, buyAmount: v.buyAmount, kindOfSwap: v.kind } : t;
      }),
    );
    return { trades: page, total: all.length };
  };

  const accounts = cached(1500, async (): Promise<AccountsResponse> => {
    if (!chain) return { available: false, reason: 'the node runs without --rpc-url', accounts: [] };
    try {
      await chain.scan();
      const house = await chain.house();
      if (!house) return { available: false, reason: 'the settlement has no clearing house', accounts: [] };
      const list = chain.knownAccounts().slice(0, 50);
      const rows = (await Promise.all(list.map((a) => chain.margin(a)))).filter((r): r is AccountMargin => r !== undefined);
      rows.sort((a, b) => (a.health ?? Infinity) - (b.health ?? Infinity));
      return { available: true, clearingHouse: house, accounts: rows };
    } catch (e) {
      return { available: false, reason: `RPC: ${firstLine(e)}`, accounts: [] };
    }
  });

  const vault = cached(1500, async (): Promise<VaultResponse> => {
    if (!d.perpVault) return { available: false, reason: 'no perp vault configured (config perpVault)' };
    if (!chain) return { available: false, reason: 'the node runs without --rpc-url' };
    try {
      return (await chain.vault(d.perpVault)) ?? { available: false, reason: 'the settlement has no clearing house' };
    } catch (e) {
      return { available: false, reason: `RPC: ${firstLine(e)}` };
    }
  });

  const tokens = async (addresses: Iterable<string>): Promise<DashboardSummary['tokens']> => {
    const out: DashboardSummary['tokens'] = {};
    if (!chain) return out;
    await Promise.all(
      [...new Set(addresses)].map(async (a) => {
        const t = await chain.token(a);
        if (t) out[a] = t;
      }),
    );
    return out;
  };

  const summary = cached(400, async (): Promise<DashboardSummary> => {
    const open = openIntents(50);
    const [recent, board, tradeList, margin, vaultView] = await Promise.all([
      recentAuctions(),
      leaderboard(),
      trades(30),
      accounts(),
      vault(),
    ]);
    const current = await d.auction?.current();
    const addrs: string[] = [];
    const marketIds = new Set<number>();
    for (const i of [...open.intents, ...tradeList.trades]) {
      if ('sellToken' in i) addrs.push(i.sellToken, i.buyToken);
      if ('market' in i && i.market !== undefined) marketIds.add(i.market);
    }
    const house = margin.available ? margin.clearingHouse : undefined;
    const markets: DashboardSummary['markets'] = {};
    if (chain && house) for (const id of marketIds) markets[id] = await chain.marketName(house, id);
    return {
      node: {
        peerId: d.network.peerId(),
        peers: d.network.peerCount(),
        chainId: d.chainId,
        settlement: d.settlement,
        rpc: chain !== undefined,
        auctionIntervalMs: d.auctionIntervalMs,
        poolLive: d.pool.size,
        now: new Date().toISOString(),
      },
      current: current
        ? {
            id: current.id,
            solveDeadline: current.id === null ? null : current.solveDeadline,
            nextCloseAt: current.id === null ? current.nextCloseAt : null,
            intents: current.intents.length,
            solutions: current.id === null ? 0 : current.solutions,
          }
        : null,
      openIntents: open,
      auctions: recent.slice(0, 30),
      leaderboard: board,
      trades: tradeList.trades,
      tradesTotal: tradeList.total,
      margin,
      vault: vaultView,
      tokens: await tokens(addrs),
      markets,
    };
  });

  const page = async (file: string) => raw(await readFile(new URL(file, dir)), STATIC[file]!, 'no-cache');

  return [
    { method: 'GET', pattern: /^\/(dashboard\/?)?$/, name: 'dashboard', handle: () => page('index.html') },
    { method: 'GET', pattern: /^\/dashboard\/(app\.js|style\.css)$/, name: 'dashboard_asset', handle: (_req, m) => page(m[1]!) },
    // the look the dashboard and the trade page share
    {
      method: 'GET',
      pattern: /^\/theme\.css$/,
      name: 'theme',
      handle: async () => raw(await readFile(new URL('../theme.css', dir)), STATIC['style.css']!, 'no-cache'),
    },
    {
      method: 'GET',
      pattern: /^\/v1\/dashboard\/summary$/,
      name: 'dashboard_summary',
      handle: async () => json<DashboardSummary>(await summary()),
    },
    {
      method: 'GET',
      pattern: /^\/v1\/intents$/,
      name: 'open_intents',
      handle: async (req) => json<OpenIntentsResponse>(openIntents(limitOf(req, 100, 1000))),
    },
    {
      method: 'GET',
      pattern: /^\/v1\/auctions$/,
      name: 'auctions',
      handle: async (req) => json<AuctionsResponse>({ auctions: (await recentAuctions()).slice(0, limitOf(req, 20, 200)) }),
    },
    {
      method: 'GET',
      pattern: /^\/v1\/trades$/,
      name: 'trades',
      handle: async (req) => json<TradesResponse>({ trades: (await trades(limitOf(req, 50, 500))).trades }),
    },
    {
      method: 'GET',
      pattern: /^\/v1\/leaderboard$/,
      name: 'leaderboard',
      handle: async () => json<LeaderboardResponse>({ solvers: await leaderboard() }),
    },
    { method: 'GET', pattern: /^\/v1\/accounts$/, name: 'accounts', handle: async () => json<AccountsResponse>(await accounts()) },
    { method: 'GET', pattern: /^\/v1\/vault$/, name: 'vault', handle: async () => json<VaultResponse>(await vault()) },
    {
      method: 'GET',
      pattern: /^\/v1\/accounts\/(0x[0-9a-fA-F]{40})\/margin$/,
      name: 'account_margin',
      async handle(_req, m) {
        if (!chain) throw HttpError.request('chain_unavailable', 'this node runs without --rpc-url');
        let r: AccountMargin | undefined;
        try {
          r = await chain.margin(m[1]!.toLowerCase() as Address);
        } catch (e) {
          throw HttpError.request('chain_unavailable', firstLine(e));
        }
        if (!r) throw HttpError.request('no_clearing_house', 'the settlement has no clearing house');
        return json<AccountMargin>(r);
      },
    },
  ];
}
