// The dashboard: a static page (node/dashboard/*.html|js|css, no build step) served at GET / and
// GET /dashboard, and the small read-only JSON endpoints it polls. Mounted into the HTTP API by
// `dashboardRoutes` (node/api.ts); documented in node/openapi.json.
//
// Where the data comes from:
//   open intents      the pool's live records (memory)
//   auctions          ranking records `a:<id>` the auction clock writes at each solve deadline,
//                     plus `a:settled:<id>` (the chain watcher's Settled events)
//   leaderboard       solver records `s:<address>` plus winning scores summed over recent rankings
//   trades            the Settlement's TradeSettled events (executed amounts; the intent's limits
//                     from the pool) and the ClearingHouse's PositionChanged events
//   accounts          ClearingHouse views accountHealth / accountMarkets / position / markPrice
//                     for every account seen in Deposited / PositionChanged events
// The chain parts need the node's --rpc-url; without it they are reported as unavailable.
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createPublicClient, http, parseAbi, parseEventLogs, zeroAddress, type Address, type Hex, type PublicClient } from 'viem';
import { clearingHouseAbi } from '../../contracts/artifacts/ClearingHouse.ts';
import { settlementAbi } from '../../contracts/artifacts/Settlement.ts';
import { fromHex } from '../../protocol/bytes.ts';
import { decodeSignedIntent } from '../../protocol/codec.ts';
import type { AuctionView } from './server.ts';
import type { SolverRecord } from '../db/solvers.ts';
import type { IntentNode } from '../node.ts';
import type { PoolRecord } from '../pool/record.ts';

type Route = { method: string; pattern: RegExp; name: string; handle: (req: IncomingMessage, res: ServerResponse, m: RegExpMatchArray) => Promise<void> };

const STATIC: Record<string, string> = { 'index.html': 'text/html; charset=utf-8', 'app.js': 'text/javascript; charset=utf-8', 'style.css': 'text/css; charset=utf-8' };
const erc20Abi = parseAbi(['function symbol() view returns (string)', 'function decimals() view returns (uint8)']);
const feedAbi = parseAbi(['function description() view returns (string)']);

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

function limitOf(req: IncomingMessage, def: number, max: number): number {
  const v = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('limit') ?? def);
  return Number.isSafeInteger(v) && v > 0 ? Math.min(v, max) : def;
}

/** Caches an async value for `ms`; concurrent callers share one computation. */
function cached<T>(ms: number, f: () => Promise<T>): () => Promise<T> {
  let at = 0;
  let value: Promise<T> | undefined;
  return () => {
    const now = Date.now();
    if (!value || now - at > ms) {
      at = now;
      value = f().catch((e: unknown) => {
        at = 0;
        throw e;
      });
    }
    return value;
  };
}

export type AuctionSummary = {
  id: number;
  closedAt: string;
  intents: number;
  solutions: { rank: number; solver: Address; score: string; hash: Hex }[];
  winner: Address | null;
  /** The winning score: total user surplus in the numeraire (1e18 = one unit). */
  surplus: string;
  settlement: { solver: Address; txHash: Hex; blockNumber: number } | null;
};

export type AccountMargin = {
  account: Address;
  collateral: string;
  equity: string;
  initialRequirement: string;
  maintenanceRequirement: string;
  notional: string;
  /** equity / maintenance requirement (liquidatable below 1); null without positions. */
  health: number | null;
  /** equity / notional (compare with the markets' maintenance and initial fractions); null without positions. */
  marginRatio: number | null;
  liquidatable: boolean;
  positions: { market: number; name: string; size: string; openNotional: string; mark: string; unrealisedPnl: string }[];
};

type SwapFill = { kind: 'swap'; id: Hex; owner: Address; sellToken: Address; buyToken: Address; executedSellAmount: string; executedBuyAmount: string; txHash: Hex; blockNumber: number };
type PositionFill = { kind: 'position'; account: Address; market: number; name: string; sizeDelta: string; price: string; fee: string; txHash: Hex; blockNumber: number };

/** Chain-side reads for the dashboard (ClearingHouse via the Settlement, token metadata, events). */
class ChainView {
  readonly client: PublicClient;
  private readonly settlement: Address;
  private clearingHouse?: Address;
  private clearingHouseCheckedAt = 0;
  private settlementScannedTo = -1n;
  private houseScannedTo = -1n;
  private scanning?: Promise<void>;
  private readonly accounts = new Set<Address>();
  readonly fills: PositionFill[] = [];
  readonly swaps: SwapFill[] = [];
  private readonly tokens = new Map<string, Promise<{ symbol: string; decimals: number } | null>>();
  private readonly marketNames = new Map<number, Promise<string>>();

  constructor(rpcUrl: string, settlement: Address, timeoutMs: number) {
    this.client = createPublicClient({ transport: http(rpcUrl, { timeout: timeoutMs, retryCount: 0 }) });
    this.settlement = settlement;
  }

  async house(): Promise<Address | undefined> {
    if (this.clearingHouse) return this.clearingHouse;
    if (Date.now() - this.clearingHouseCheckedAt < 5000) return undefined;
    this.clearingHouseCheckedAt = Date.now();
    const a = (await this.client.readContract({ address: this.settlement, abi: settlementAbi, functionName: 'clearingHouse' })) as Address;
    if (a && a !== zeroAddress) this.clearingHouse = a.toLowerCase() as Address;
    return this.clearingHouse;
  }

  token(address: string): Promise<{ symbol: string; decimals: number } | null> {
    const k = address.toLowerCase();
    let p = this.tokens.get(k);
    if (!p) {
      p = Promise.all([
        this.client.readContract({ address: k as Address, abi: erc20Abi, functionName: 'symbol' }),
        this.client.readContract({ address: k as Address, abi: erc20Abi, functionName: 'decimals' }),
      ]).then(
        ([symbol, decimals]) => ({ symbol, decimals: Number(decimals) }),
        () => {
          this.tokens.delete(k);
          return null;
        },
      );
      this.tokens.set(k, p);
    }
    return p;
  }

  /** The market's oracle feed description ("ETH / USD"), else "market <id>". */
  marketName(house: Address, id: number): Promise<string> {
    let p = this.marketNames.get(id);
    if (!p) {
      const fallback = `market ${id}`;
      p = (async () => {
        const config = (await this.client.readContract({ address: house, abi: clearingHouseAbi, functionName: 'marketConfig', args: [id] })) as { feed: Address };
        return (await this.client.readContract({ address: config.feed, abi: feedAbi, functionName: 'description' })) || fallback;
      })().catch(() => {
        this.marketNames.delete(id);
        return fallback;
      });
      this.marketNames.set(id, p);
    }
    return p;
  }

  /** Follows the Settlement's TradeSettled and the ClearingHouse's Deposited / PositionChanged events (one scan at a time). */
  scan(): Promise<void> {
    this.scanning ??= this.scanOnce().finally(() => {
      this.scanning = undefined;
    });
    return this.scanning;
  }

  private async scanOnce(): Promise<void> {
    const head = await this.client.getBlockNumber({ cacheTime: 0 });
    if (head > this.settlementScannedTo) {
      const logs = await this.client.getLogs({ address: this.settlement, fromBlock: this.settlementScannedTo + 1n, toBlock: head });
      for (const ev of parseEventLogs({ abi: settlementAbi, logs, strict: false })) {
        if (ev.eventName !== 'TradeSettled') continue;
        const a = ev.args as { owner: Address; digest: Hex; sellToken: Address; buyToken: Address; executedSellAmount: bigint; executedBuyAmount: bigint };
        this.swaps.push({
          kind: 'swap',
          id: a.digest.toLowerCase() as Hex,
          owner: a.owner.toLowerCase() as Address,
          sellToken: a.sellToken.toLowerCase() as Address,
          buyToken: a.buyToken.toLowerCase() as Address,
          executedSellAmount: a.executedSellAmount.toString(),
          executedBuyAmount: a.executedBuyAmount.toString(),
          txHash: ev.transactionHash!,
          blockNumber: Number(ev.blockNumber),
        });
      }
      if (this.swaps.length > 1000) this.swaps.splice(0, this.swaps.length - 1000);
      this.settlementScannedTo = head;
    }
    const house = await this.house();
    if (house && head > this.houseScannedTo) {
      const logs = await this.client.getLogs({ address: house, fromBlock: this.houseScannedTo + 1n, toBlock: head });
      for (const ev of parseEventLogs({ abi: clearingHouseAbi, logs, strict: false })) {
        if (ev.eventName === 'Deposited') this.accounts.add((ev.args.account as Address).toLowerCase() as Address);
        if (ev.eventName === 'PositionChanged') {
          const a = ev.args as { account: Address; market: number; sizeDelta: bigint; price: bigint; fee: bigint };
          this.accounts.add(a.account.toLowerCase() as Address);
          this.fills.push({ kind: 'position', account: a.account.toLowerCase() as Address, market: Number(a.market), name: await this.marketName(house, Number(a.market)), sizeDelta: a.sizeDelta.toString(), price: a.price.toString(), fee: a.fee.toString(), txHash: ev.transactionHash!, blockNumber: Number(ev.blockNumber) });
        }
      }
      if (this.fills.length > 1000) this.fills.splice(0, this.fills.length - 1000);
      this.houseScannedTo = head;
    }
  }

  knownAccounts(): Address[] {
    return [...this.accounts];
  }

  async margin(account: Address): Promise<AccountMargin | undefined> {
    const house = await this.house();
    if (!house) return undefined;
    const read = <T>(functionName: string, args: unknown[]): Promise<T> =>
      this.client.readContract({ address: house, abi: clearingHouseAbi, functionName, args } as never) as Promise<T>;
    const [[equity, initial, maintenance], markets, collateral] = await Promise.all([
      read<readonly [bigint, bigint, bigint]>('accountHealth', [account]),
      read<readonly number[]>('accountMarkets', [account]),
      read<bigint>('collateral', [account]),
    ]);
    const positions: AccountMargin['positions'] = [];
    let notional = 0n;
    for (const m of markets) {
      const [p, [mark], name] = await Promise.all([read<{ size: bigint; openNotional: bigint }>('position', [account, m]), read<readonly [bigint, boolean]>('markPrice', [m]), this.marketName(house, Number(m))]);
      if (p.size === 0n) continue;
      const value = (p.size * mark) / 10n ** 18n;
      notional += value < 0n ? -value : value;
      positions.push({ market: Number(m), name, size: p.size.toString(), openNotional: p.openNotional.toString(), mark: mark.toString(), unrealisedPnl: (value - p.openNotional).toString() });
    }
    const ratio = (a: bigint, b: bigint): number | null => (b > 0n ? Number((a * 10_000n) / b) / 10_000 : null);
    return {
      account: account.toLowerCase() as Address,
      collateral: collateral.toString(),
      equity: equity.toString(),
      initialRequirement: initial.toString(),
      maintenanceRequirement: maintenance.toString(),
      notional: notional.toString(),
      health: ratio(equity, maintenance),
      marginRatio: ratio(equity, notional),
      liquidatable: maintenance > 0n && equity < maintenance,
      positions,
    };
  }
}

function intentView(rec: PoolRecord): Record<string, unknown> {
  const d = decodeSignedIntent(fromHex(rec.bytes));
  const base = { id: rec.digest, type: rec.type, owner: rec.owner, state: rec.state, source: rec.source, receivedAt: new Date(rec.receivedAt).toISOString(), validTo: rec.validTo, ...(rec.filled !== undefined ? { filled: rec.filled } : {}) };
  if (!d.ok) return base;
  if (d.value.type === 'swap') {
    const i = d.value.intent;
    return { ...base, sellToken: i.sellToken.toLowerCase(), buyToken: i.buyToken.toLowerCase(), sellAmount: i.sellAmount.toString(), buyAmount: i.buyAmount.toString(), kind: i.kind === 0 ? 'sell' : 'buy', partiallyFillable: i.partiallyFillable };
  }
  const p = d.value.intent;
  return { ...base, market: p.market, sizeDelta: p.sizeDelta.toString(), limitPrice: p.limitPrice.toString(), reduceOnly: p.reduceOnly };
}

/** The dashboard's routes, in the API's route shape. */
export function dashboardRoutes(node: IntentNode, auctions?: AuctionView): Route[] {
  const dir = new URL('./dashboard/', import.meta.url);
  const chain = node.config.rpcUrl ? new ChainView(node.config.rpcUrl, node.config.settlement, node.config.rpcTimeoutMs) : undefined;

  const openIntents = (limit: number): { total: number; intents: Record<string, unknown>[] } => {
    const live = node.pool.liveRecords().sort((a, b) => b.receivedAt - a.receivedAt);
    return { total: live.length, intents: live.slice(0, limit).map(intentView) };
  };

  const settledOf = async (id: number): Promise<AuctionSummary['settlement']> => {
    const s = await node.db.auctions.settlement(id);
    if (!s) return null;
    return { solver: s.solver, txHash: s.txHash, blockNumber: s.blockNumber };
  };

  /** The latest ranked auctions that had intents or solutions (idle auctions are skipped), newest first. */
  const recentAuctions = cached(500, async (): Promise<AuctionSummary[]> => {
    const out: AuctionSummary[] = [];
    let scanned = 0;
    for await (const r of node.db.auctions.newestFirst()) {
      if (++scanned > 2000 || out.length >= 200) break;
      if (r.intents.length === 0 && r.ranking.length === 0) continue;
      out.push({
        id: r.id,
        closedAt: new Date(r.closedAt).toISOString(),
        intents: r.intents.length,
        solutions: r.ranking.map((s) => ({ rank: s.rank, solver: s.solver, score: s.score, hash: s.hash })),
        winner: r.ranking[0]?.solver ?? null,
        surplus: r.ranking[0]?.score ?? '0',
        settlement: await settledOf(r.id),
      });
    }
    return out;
  });

  const leaderboard = cached(1000, async () => {
    const rows = new Map<string, SolverRecord & { surplus: bigint; settled: number }>();
    for await (const r of node.db.solvers.all()) {
      rows.set(r.solver, { ...r, surplus: 0n, settled: 0 });
    }
    for (const a of await recentAuctions()) {
      const w = a.winner && rows.get(a.winner);
      if (w) w.surplus += BigInt(a.surplus);
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

  /** Settled trades, newest block first: swaps (TradeSettled, executed amounts, with the intent's limits when the pool has it) and position fills. */
  const trades = async (limit: number) => {
    if (!chain) return Object.assign([] as Record<string, unknown>[], { total: 0 });
    await chain.scan().catch((e: unknown) => node.log.debug({ event: 'dashboard_scan_failed', err: (e as Error).message }));
    const all: (SwapFill | PositionFill)[] = [...chain.swaps, ...chain.fills].sort((a, b) => b.blockNumber - a.blockNumber);
    const page = await Promise.all(
      all.slice(0, limit).map(async (t) => {
        if (t.kind !== 'swap') return t;
        const rec = await node.pool.get(t.id);
        const v = rec ? intentView(rec) : undefined;
        return { ...t, ...(v ? { state: v.state, sellAmount: v.sellAmount, buyAmount: v.buyAmount, kindOfSwap: v.kind } : {}) };
      }),
    );
    return Object.assign(page as Record<string, unknown>[], { total: all.length });
  };

  const accounts = cached(1500, async () => {
    if (!chain) return { available: false, reason: 'the node runs without --rpc-url', accounts: [] as AccountMargin[] };
    try {
      await chain.scan();
      const house = await chain.house();
      if (!house) return { available: false, reason: 'the settlement has no clearing house', accounts: [] as AccountMargin[] };
      const list = chain.knownAccounts().slice(0, 50);
      const rows = (await Promise.all(list.map((a) => chain.margin(a)))).filter((r): r is AccountMargin => r !== undefined);
      rows.sort((a, b) => (a.health ?? Infinity) - (b.health ?? Infinity));
      return { available: true, clearingHouse: house, accounts: rows };
    } catch (e) {
      return { available: false, reason: `RPC: ${(e as Error).message.split('\n')[0]}`, accounts: [] as AccountMargin[] };
    }
  });

  const tokens = async (addresses: Iterable<string>) => {
    const out: Record<string, { symbol: string; decimals: number }> = {};
    if (!chain) return out;
    await Promise.all(
      [...new Set(addresses)].map(async (a) => {
        const t = await chain.token(a);
        if (t) out[a] = t;
      }),
    );
    return out;
  };

  const summary = cached(400, async () => {
    const open = openIntents(50);
    const [recent, board, tradeList, margin] = await Promise.all([recentAuctions(), leaderboard(), trades(30), accounts()]);
    const current = (await auctions?.current()) as { id: number | null; solveDeadline?: string; nextCloseAt?: string; intents?: unknown[]; solutions?: number } | undefined;
    const addrs: string[] = [];
    const marketIds = new Set<number>();
    for (const i of [...open.intents, ...tradeList] as { sellToken?: string; buyToken?: string; market?: number }[]) {
      if (i.sellToken && i.buyToken) addrs.push(i.sellToken, i.buyToken);
      if (i.market !== undefined) marketIds.add(i.market);
    }
    const house = margin.available ? (margin as { clearingHouse: Address }).clearingHouse : undefined;
    const markets: Record<number, string> = {};
    if (chain && house) for (const id of marketIds) markets[id] = await chain.marketName(house, id);
    return {
      node: {
        peerId: node.peerId,
        peers: node.host.libp2p.getPeers().length,
        chainId: node.config.chainId,
        settlement: node.config.settlement,
        rpc: Boolean(node.config.rpcUrl),
        auctionIntervalMs: node.config.auctionIntervalMs,
        poolLive: node.pool.size,
        now: new Date().toISOString(),
      },
      current: current ? { id: current.id, solveDeadline: current.solveDeadline ?? null, nextCloseAt: current.nextCloseAt ?? null, intents: current.intents?.length ?? 0, solutions: current.solutions ?? 0 } : null,
      openIntents: open,
      auctions: recent.slice(0, 30),
      leaderboard: board,
      trades: tradeList,
      tradesTotal: tradeList.total,
      margin,
      tokens: await tokens(addrs),
      markets,
    };
  });

  const page = async (res: ServerResponse, file: string): Promise<void> => {
    const body = await readFile(new URL(file, dir));
    res.writeHead(200, { 'content-type': STATIC[file]!, 'content-length': body.length, 'cache-control': 'no-cache' });
    res.end(body);
  };

  return [
    { method: 'GET', pattern: /^\/(dashboard\/?)?$/, name: 'dashboard', handle: (_req, res) => page(res, 'index.html') },
    { method: 'GET', pattern: /^\/dashboard\/(app\.js|style\.css)$/, name: 'dashboard_asset', handle: (_req, res, m) => page(res, m[1]!) },
    { method: 'GET', pattern: /^\/v1\/dashboard\/summary$/, name: 'dashboard_summary', handle: async (_req, res) => sendJson(res, 200, await summary()) },
    { method: 'GET', pattern: /^\/v1\/intents$/, name: 'open_intents', handle: async (req, res) => sendJson(res, 200, openIntents(limitOf(req, 100, 1000))) },
    { method: 'GET', pattern: /^\/v1\/auctions$/, name: 'auctions', handle: async (req, res) => sendJson(res, 200, { auctions: (await recentAuctions()).slice(0, limitOf(req, 20, 200)) }) },
    { method: 'GET', pattern: /^\/v1\/trades$/, name: 'trades', handle: async (req, res) => sendJson(res, 200, { trades: await trades(limitOf(req, 50, 500)) }) },
    { method: 'GET', pattern: /^\/v1\/leaderboard$/, name: 'leaderboard', handle: async (_req, res) => sendJson(res, 200, { solvers: await leaderboard() }) },
    { method: 'GET', pattern: /^\/v1\/accounts$/, name: 'accounts', handle: async (_req, res) => sendJson(res, 200, await accounts()) },
    {
      method: 'GET',
      pattern: /^\/v1\/accounts\/(0x[0-9a-fA-F]{40})\/margin$/,
      name: 'account_margin',
      async handle(_req, res, m) {
        if (!chain) return sendJson(res, 503, { error: { code: 'chain_unavailable', message: 'this node runs without --rpc-url' } });
        try {
          const r = await chain.margin(m[1]!.toLowerCase() as Address);
          if (!r) return sendJson(res, 404, { error: { code: 'no_clearing_house', message: 'the settlement has no clearing house' } });
          sendJson(res, 200, r);
        } catch (e) {
          sendJson(res, 503, { error: { code: 'chain_unavailable', message: (e as Error).message.split('\n')[0] } });
        }
      },
    },
  ];
}
