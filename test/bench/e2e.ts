// bench:e2e — sustained load through the full path: HTTP submit at a node, gossip to the other
// nodes, auction, two competing solver processes, settlement on anvil, the node's chain watcher.
// The network is the one `npm start` runs (devnet/network.ts). For each offered rate the
// traffic generator submits mixed intents (swaps and lone positions) round-robin over the three
// nodes for a fixed time; then we wait until every intent is filled or expired. Each rate runs
// `--runs` times (default 3) on the same network; every run's row is kept and each figure is
// reported as min/median/max. Per run: intents settled per second, p50/p99 time from submission
// (HTTP 201) to the settlement event seen on chain, lost intents (accepted but neither filled
// nor expired at its node, or unknown to a node), intents refused at submission (backpressure),
// and the batches: trades and gas per settle transaction, winners per auction.
//
// The bound: 0 expired, 0 lost, nothing refused and p99 within two auction intervals. The
// capacity is the highest offered rate whose runs all meet it; then (unless --no-overload) the
// network runs at twice the capacity: it should settle at >= 90% of the capacity, lose nothing,
// and refuse at submission what it cannot settle rather than let it expire.
//
//   npm run bench:e2e -- [--rates 50,100,150,200] [--runs 3] [--seconds 20] [--interval-ms 2000] [--wallets 120]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { startNetwork } from '../../devnet/network.ts';
import type { Fill, Tracked } from '../../devnet/tracker.ts';
import { fundWallets, makeMix, makeWallets, positionReader, readPrices, submit, type Made, type Prices } from '../../devnet/traffic.ts';
import { clearingHouseAbi } from '../../contracts/artifacts/ClearingHouse.ts';
import { perpVaultAbi } from '../../contracts/artifacts/PerpVault.ts';
import type { QuoteRequest, SolverQuote } from '../../protocol/api.ts';
import { NodeApi, NodeApiError } from '../../protocol/client.ts';
import { vaultQuote, type VaultMarketParams } from '../../protocol/perp-vault.ts';
import { rng } from '../../devnet/rng.ts';

const { values } = parseArgs({
  allowNegative: true,
  options: {
    rates: { type: 'string', default: '50,100,150,200' },
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '20' },
    'interval-ms': { type: 'string', default: '2000' },
    wallets: { type: 'string', default: '120' },
    overload: { type: 'boolean', default: true },
    lifetime: { type: 'string', default: '60' },
    'keep-logs': { type: 'boolean', default: false },
    // A share of the intents (none by default: quoting costs the solvers capacity, and the README
    // table is without) is quoted (POST /v1/quote at the node it goes to) just before it is
    // submitted; the fills are compared with the quotes.
    'quote-share': { type: 'string', default: '0' },
    // Where the JSON goes, under test/bench/results/.
    out: { type: 'string', default: 'e2e.json' },
  },
});
const rates = values.rates.split(',').map(Number);
const runs = Number(values.runs);
const seconds = Number(values.seconds);
const interval = Number(values['interval-ms']);
const lifetime = Number(values.lifetime);
const quoteShare = Number(values['quote-share']);

const pct = (xs: number[], p: number): number | null => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

type Batch = { auctionId: bigint; solver: string; trades: number; gas: number };
type Spread = { min: number | null; median: number | null; max: number | null };
type Row = {
  offeredPerSec: number;
  run: number;
  filled: number;
  expired: number;
  lost: number;
  refused: Record<string, number>;
  settledPerSec: number;
  latencyMs: { p50: number | null; p99: number | null };
  batches: number;
  batchTrades: number[];
  batchGas: number[];
  winnersPerAuction: number[];
  quotes: QuoteStats;
  meetsBound: boolean;
};
type RateSummary = {
  offeredPerSec: number;
  phase: 'sweep' | 'overload';
  runsMeetingBound: number;
  filled: Spread;
  expired: Spread;
  lost: Spread;
  refused: Spread;
  settledPerSec: Spread;
  p50Ms: Spread;
  p99Ms: Spread;
  batchTrades: Spread;
  batchGas: Spread;
  winnersPerAuction: Spread;
  runs: Row[];
};

/**
 * Quoted against executed, for the quoted intents that filled: the execution's deviation from the
 * quote in basis points, positive when the trader got more than quoted (a sell's buy amount per
 * sold unit; a position's price, lower for a long and higher for a short).
 */
type QuoteStats = {
  asked: number;
  answered: number;
  failed: Record<string, number>;
  quoteMs: Spread;
  filled: number;
  deviationBps: { p10: number | null; median: number | null; p90: number | null; min: number | null; max: number | null };
  within10Bps: number;
  within100Bps: number;
  worseThanQuote: number;
};
type QuoteSample = { id: string; kind: 'swap' | 'position'; quotedBuy?: bigint; quotedSell?: bigint; quotedPrice?: bigint; long?: boolean };

function quoteStats(
  asked: number,
  samples: QuoteSample[],
  failed: Record<string, number>,
  ms: number[],
  fillsOf: (id: string) => Fill[],
): QuoteStats {
  const dev: number[] = [];
  for (const q of samples) {
    const fills = fillsOf(q.id);
    if (!fills.length) continue;
    if (q.kind === 'swap') {
      let sold = 0n;
      let bought = 0n;
      for (const f of fills) {
        if (f.kind !== 'swap') continue;
        sold += f.executedSell;
        bought += f.executedBuy;
      }
      // executed buy per sold unit over quoted buy per sold unit, minus one
      if (sold > 0n) dev.push(Number(((bought * q.quotedSell! - q.quotedBuy! * sold) * 1_000_000n) / (q.quotedBuy! * sold)) / 100);
    } else {
      let size = 0n;
      let notional = 0n;
      for (const f of fills) {
        if (f.kind !== 'position') continue;
        const abs = f.sizeDelta < 0n ? -f.sizeDelta : f.sizeDelta;
        size += abs;
        notional += abs * f.price;
      }
      if (size === 0n) continue;
      const avg = notional / size;
      const better = q.long ? q.quotedPrice! - avg : avg - q.quotedPrice!;
      dev.push(Number((better * 1_000_000n) / q.quotedPrice!) / 100);
    }
  }
  const s = [...dev].sort((a, b) => a - b);
  return {
    asked,
    answered: samples.length,
    failed,
    quoteMs: ratios(ms),
    filled: dev.length,
    deviationBps: { p10: pct(dev, 10), median: pct(dev, 50), p90: pct(dev, 90), min: s[0] ?? null, max: s.at(-1) ?? null },
    within10Bps: dev.filter((x) => Math.abs(x) <= 10).length,
    within100Bps: dev.filter((x) => Math.abs(x) <= 100).length,
    worseThanQuote: dev.filter((x) => x < 0).length,
  };
}

/** min / median / max (the median of an even count is the lower middle: a figure some run had). */
function ratios(xs: number[]): Spread {
  if (!xs.length) return { min: null, median: null, max: null };
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0]!, median: s[Math.floor((s.length - 1) / 2)]!, max: s[s.length - 1]! };
}
const spread = (xs: number[]): string => fmt(ratios(xs));
function fmt(x: Spread, digits = 0): string {
  const f = (v: number | null) => (v === null ? '-' : v.toFixed(digits));
  return x.min === x.max ? f(x.min) : `${f(x.median)} [${f(x.min)}-${f(x.max)}]`;
}
function summarize(rate: number, phase: 'sweep' | 'overload', rows: Row[]): RateSummary {
  const each = (f: (r: Row) => number | null): Spread => ratios(rows.map(f).filter((v): v is number => v !== null));
  return {
    offeredPerSec: rate,
    phase,
    runsMeetingBound: rows.filter((r) => r.meetsBound).length,
    filled: each((r) => r.filled),
    expired: each((r) => r.expired),
    lost: each((r) => r.lost),
    refused: each((r) => Object.values(r.refused).reduce((a, b) => a + b, 0)),
    settledPerSec: each((r) => r.settledPerSec),
    p50Ms: each((r) => r.latencyMs.p50),
    p99Ms: each((r) => r.latencyMs.p99),
    // per batch and per auction over every run together
    batchTrades: ratios(rows.flatMap((r) => r.batchTrades)),
    batchGas: ratios(rows.flatMap((r) => r.batchGas)),
    winnersPerAuction: ratios(rows.flatMap((r) => r.winnersPerAuction)),
    runs: rows,
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-e2e-'));
  const say = (s: string): void => void process.stdout.write(`${s}\n`);
  const net = await startNetwork({
    dataDir: dir,
    log: pino({ level: 'silent' }),
    auctionIntervalMs: interval,
    feederMs: 3000,
    feederStep: 0.001,
    nodeLogLevel: values['keep-logs'] ? 'info' : 'warn',
    onStep: (m) => say(`  ${m}`),
  });
  const summaries: RateSummary[] = [];
  let capacity: number | null = null;
  let overload: Record<string, unknown> | null = null;
  try {
    const d = net.deployment;
    const wallets = makeWallets(`bench-e2e-${Date.now()}`, Number(values.wallets));
    say(`funding ${wallets.length} wallets…`);
    await fundWallets(net.clients, d, wallets);
    const random = rng(42);
    // Its own stream, so quoting does not change the traffic the seed gives.
    const quoteRandom = rng(7);
    const positionOf = positionReader(net.clients, d);
    // The vault's state per market, read once a second: whether a lone position intent's limit is
    // within the vault's quote when it is submitted (those must fill).
    const vaultState = async (): Promise<Map<number, { size: bigint; params: VaultMarketParams }>> => {
      const out = new Map<number, { size: bigint; params: VaultMarketParams }>();
      if (!d.perpVault) return out;
      for (const m of d.markets) {
        const [p, params] = await Promise.all([
          net.clients.publicClient.readContract({
            address: d.clearingHouse,
            abi: clearingHouseAbi,
            functionName: 'position',
            args: [d.perpVault, m.id],
          }),
          net.clients.publicClient.readContract({ address: d.perpVault, abi: perpVaultAbi, functionName: 'marketParams', args: [m.id] }),
        ]);
        out.set(m.id, { size: p.size, params: { skewScale: params[0], feeFraction: params[1], maxPosition: params[2] } });
      }
      return out;
    };
    // Each settle transaction since `from` in the tracker: its auction, trades and gas.
    const batchesSince = async (from: number): Promise<Batch[]> => {
      const byTx = new Map<string, number>();
      for (const list of net.tracker.fills.values()) for (const f of list) byTx.set(f.tx, (byTx.get(f.tx) ?? 0) + 1);
      return Promise.all(
        net.tracker.settled.slice(from).map(async (b) => {
          const receipt = await net.clients.publicClient.getTransactionReceipt({ hash: b.tx });
          return { auctionId: b.auctionId, solver: b.solver, trades: byTx.get(b.tx) ?? 0, gas: Number(receipt.gasUsed) };
        }),
      );
    };
    // Winners per auction that settled anything, as node1 ranked it.
    const winnersPerAuction = async (batches: Batch[]): Promise<number[]> => {
      const ids = [...new Set(batches.map((b) => b.auctionId))];
      return Promise.all(
        ids.map(async (id) => {
          const v = await new NodeApi(net.nodes[0]!.api).auctionById(Number(id)).catch((e: unknown) => {
            if (e instanceof NodeApiError) return undefined;
            throw e;
          });
          return (v?.ranking ?? []).filter((r) => r.winner).length;
        }),
      );
    };
    // A wallet's latest position intent per market: no second one while it is open (traffic.ts `busy`).
    const openPositions = new Map<string, Made>();
    const busy = (account: string, market: number): boolean => {
      const m = openPositions.get(`${account.toLowerCase()}:${market}`);
      if (!m || m.signed.intent.validTo * 1000 <= Date.now()) return false;
      const t = net.tracker.tracked.get(m.id);
      return !t || (t.accepted && !net.tracker.isFilled(t));
    };
    // The quote request for a made intent (its own amounts), and how to keep the answer.
    const quoteFor = (m: Made): { req: QuoteRequest; sample: (q: SolverQuote) => QuoteSample } | undefined => {
      const s = m.signed;
      if (s.type === 'swap') {
        if (s.intent.kind !== 0) return undefined;
        const i = s.intent;
        return {
          req: { type: 'swap', sellToken: i.sellToken, buyToken: i.buyToken, kind: 'sell', amount: i.sellAmount.toString() },
          sample: (q) =>
            q.type === 'swap'
              ? { id: m.id, kind: 'swap', quotedSell: BigInt(q.sellAmount), quotedBuy: BigInt(q.buyAmount) }
              : { id: m.id, kind: 'swap' },
        };
      }
      if (s.type === 'option' || s.intent.reduceOnly) return undefined;
      const p = s.intent;
      return {
        req: { type: 'position', market: p.market, sizeDelta: p.sizeDelta.toString() },
        sample: (q) => ({
          id: m.id,
          kind: 'position',
          long: p.sizeDelta > 0n,
          ...(q.type === 'position' ? { quotedPrice: BigInt(q.price) } : {}),
        }),
      };
    };
    let k = 0;
    const runOnce = async (rate: number, run: number): Promise<Row> => {
      const batchStart = net.tracker.settled.length;
      const phase: Tracked[] = [];
      const refused: Record<string, number> = {};
      const t0 = Date.now();
      let prices: Prices = await readPrices(net.clients, d);
      let vault = await vaultState();
      const withinQuote = new Set<string>();
      const quoted: QuoteSample[] = [];
      const quoteFailed: Record<string, number> = {};
      const quoteMs: number[] = [];
      let quoteAsked = 0;
      const inflight: Promise<void>[] = [];
      // submit in 200 ms slices at the offered rate (positions from lone wallets, random sizes)
      for (let slice = 0; slice < seconds * 5; slice++) {
        const due = t0 + slice * 200;
        if (Date.now() < due) await new Promise((r) => setTimeout(r, due - Date.now()));
        if (slice % 5 === 0) [prices, vault] = await Promise.all([readPrices(net.clients, d), vaultState()]);
        const n = Math.floor(((slice + 1) * rate) / 5) - Math.floor((slice * rate) / 5);
        if (!n) continue;
        const validTo = Math.floor(Date.now() / 1000) + lifetime;
        const made: Made[] = await makeMix(d, wallets, prices, { n, positionShare: 0.3, validTo, random, positionOf, busy });
        for (const m of made) {
          if (m.signed.type === 'position') openPositions.set(`${m.signed.intent.account.toLowerCase()}:${m.signed.intent.market}`, m);
          if (m.signed.type === 'position' && !m.signed.intent.reduceOnly) {
            const p = m.signed.intent;
            const v = vault.get(p.market);
            const q = v && vaultQuote(v.params, prices.marks.get(p.market)!, v.size, -p.sizeDelta);
            if (q !== undefined && (p.sizeDelta > 0n ? q <= p.limitPrice : q >= p.limitPrice)) withinQuote.add(m.id);
          }
          const node = k++ % net.nodes.length;
          const quote = quoteRandom() < quoteShare ? quoteFor(m) : undefined;
          inflight.push(
            (async () => {
              if (quote) {
                quoteAsked++;
                const q0 = Date.now();
                const api = new NodeApi(net.nodes[node]!.api);
                await api.quote(quote.req).then(
                  (r) => {
                    quoteMs.push(Date.now() - q0);
                    quoted.push(quote.sample(r.quote));
                  },
                  (e: unknown) => {
                    const code = e instanceof NodeApiError ? e.code : 'unreachable';
                    quoteFailed[code] = (quoteFailed[code] ?? 0) + 1;
                  },
                );
              }
              const at = Date.now();
              const r = await submit(net.nodes[node]!.api, m);
              const ok = r.status === 201;
              net.tracker.track(m, node, at, ok, r.code);
              if (ok) phase.push(net.tracker.tracked.get(m.id)!);
              else refused[r.code ?? String(r.status)] = (refused[r.code ?? String(r.status)] ?? 0) + 1;
            })(),
          );
        }
      }
      await Promise.all(inflight);
      const offeredFor = (Date.now() - t0) / 1000;
      say(`rate ${rate}/s: ${phase.length} accepted in ${offeredFor.toFixed(1)} s; waiting for fills or expiry…`);
      // drain: every accepted intent filled or expired at its node
      const final = new Set(['filled', 'expired']);
      const deadline = Date.now() + (lifetime + 60) * 1000;
      let lost: string[] = [];
      for (;;) {
        await net.tracker.poll();
        const open = phase.filter((t) => !net.tracker.isFilled(t) && t.made.signed.intent.validTo * 1000 > Date.now());
        if (!open.length) {
          // confirm at the nodes (every node must know every intent and call it final)
          lost = [];
          for (const t of phase) {
            for (const n of net.nodes) {
              const st = await new NodeApi(n.api).intent(t.made.id).then(
                (s): string => s.state,
                (e: unknown) => {
                  if (e instanceof NodeApiError) return 'missing';
                  throw e;
                },
              );
              if (!final.has(st)) lost.push(`${t.made.id}@node${n.index + 1}:${st}`);
            }
          }
          if (!lost.length || Date.now() > deadline) break;
        } else if (Date.now() > deadline) {
          lost = open.map((t) => t.made.id);
          break;
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
      const filled = phase.filter((t) => net.tracker.isFilled(t));
      const lat = filled.map((t) => net.tracker.settledAt(t)! - t.submittedAt);
      const positions = phase.filter((t) => t.made.kind === 'position');
      const inQuote = positions.filter((t) => withinQuote.has(t.made.id));
      const positionLat = filled.filter((t) => t.made.kind === 'position').map((t) => net.tracker.settledAt(t)! - t.submittedAt);
      const lastFill = Math.max(...filled.map((t) => net.tracker.settledAt(t)!));
      const batches = await batchesSince(batchStart);
      const refusedTotal = Object.values(refused).reduce((a, b) => a + b, 0);
      const row = {
        offeredPerSec: rate,
        run,
        seconds,
        submitted: phase.length + refusedTotal,
        accepted: phase.length,
        refused,
        filled: filled.length,
        filledSwaps: filled.filter((t) => t.made.kind === 'swap').length,
        filledPositions: filled.filter((t) => t.made.kind === 'position').length,
        expired: phase.length - filled.length,
        lost: new Set(lost.map((x) => x.split('@')[0])).size,
        lostSample: lost.slice(0, 5),
        settledPerSec: filled.length ? Number((filled.length / ((lastFill - t0) / 1000)).toFixed(2)) : 0,
        latencyMs: { p50: pct(lat, 50), p99: pct(lat, 99), max: lat.length ? Math.max(...lat) : null },
        latencyByKindMs: Object.fromEntries(
          (['swap', 'position'] as const).map((kind) => {
            const xs = filled.filter((t) => t.made.kind === kind).map((t) => net.tracker.settledAt(t)! - t.submittedAt);
            return [kind, { p50: pct(xs, 50), p99: pct(xs, 99) }];
          }),
        ),
        p99WithinTwoIntervals: (pct(lat, 99) ?? Infinity) <= 2 * interval,
        positions: {
          accepted: positions.length,
          filled: positions.filter((t) => net.tracker.isFilled(t)).length,
          reduceOnly: positions.filter((t) => t.made.signed.type === 'position' && t.made.signed.intent.reduceOnly).length,
          withinVaultQuote: inQuote.length,
          withinVaultQuoteFilled: inQuote.filter((t) => net.tracker.isFilled(t)).length,
          latencyMs: { p50: pct(positionLat, 50), p99: pct(positionLat, 99) },
          p99WithinTwoIntervals: (pct(positionLat, 99) ?? Infinity) <= 2 * interval,
        },
        batches: batches.length,
        batchTrades: batches.map((b) => b.trades),
        batchGas: batches.map((b) => b.gas),
        winnersPerAuction: await winnersPerAuction(batches),
        quotes: quoteStats(quoteAsked, quoted, quoteFailed, quoteMs, (id) => net.tracker.tracked.get(id as Made['id'])?.fills ?? []),
        meetsBound: false,
        loadavg: loadavg().map((x) => Number(x.toFixed(2))),
      };
      row.meetsBound = row.expired === 0 && row.lost === 0 && refusedTotal === 0 && row.p99WithinTwoIntervals;
      say(
        `rate ${rate}/s run ${run}: accepted ${row.accepted}, refused ${refusedTotal}, filled ${row.filled} (${row.filledSwaps} swaps, ${row.filledPositions} positions), expired ${row.expired}, lost ${row.lost}; ` +
          `${row.settledPerSec} settled/s; submission->settlement p50 ${row.latencyMs.p50} ms, p99 ${row.latencyMs.p99} ms (2 intervals = ${2 * interval} ms); ${row.batches} batches`,
      );
      say(
        `  positions: ${row.positions.filled} of ${row.positions.accepted} filled (${row.positions.reduceOnly} reduce-only); ` +
          `within the vault's quote at submission ${row.positions.withinVaultQuoteFilled} of ${row.positions.withinVaultQuote} filled; ` +
          `p50 ${row.positions.latencyMs.p50} ms, p99 ${row.positions.latencyMs.p99} ms`,
      );
      say(
        `  batches: ${row.batches} (trades per batch ${spread(row.batchTrades)}, gas per batch ${spread(row.batchGas)}); ` +
          `winners per auction ${spread(row.winnersPerAuction)}; meets the bound: ${row.meetsBound}`,
      );
      const qd = row.quotes.deviationBps;
      say(
        `  quotes: ${row.quotes.answered} of ${row.quotes.asked} answered (${fmt(row.quotes.quoteMs)} ms), ${row.quotes.filled} filled; executed vs quoted p10 ${qd.p10} / median ${qd.median} / p90 ${qd.p90} bps ` +
          `(min ${qd.min}, max ${qd.max}); within 10 bps ${row.quotes.within10Bps}, within 1% ${row.quotes.within100Bps}, worse than quoted ${row.quotes.worseThanQuote}`,
      );
      return row;
    };
    const runRate = async (rate: number, phase: 'sweep' | 'overload'): Promise<RateSummary> => {
      const rows: Row[] = [];
      for (let run = 1; run <= runs; run++) rows.push(await runOnce(rate, run));
      const summary = summarize(rate, phase, rows);
      summaries.push(summary);
      say(
        `rate ${rate}/s over ${runs} runs: settled/s ${fmt(summary.settledPerSec)}, p99 ${fmt(summary.p99Ms)} ms, expired ${fmt(summary.expired)}, ` +
          `refused ${fmt(summary.refused)}, lost ${fmt(summary.lost)}; ${summary.runsMeetingBound} of ${runs} runs meet the bound`,
      );
      return summary;
    };
    for (const rate of rates) await runRate(rate, 'sweep');
    const ok = summaries.filter((r) => r.runsMeetingBound === runs).map((r) => r.offeredPerSec);
    capacity = ok.length ? Math.max(...ok) : null;
    say(`capacity: ${capacity === null ? 'no rate met the bound in every run' : `${capacity} intents/s`}`);
    if (values.overload && capacity !== null) {
      const o = await runRate(2 * capacity, 'overload');
      const overCapacity = ratios(o.runs.map((r) => r.settledPerSec / capacity!));
      overload = {
        offeredPerSec: 2 * capacity,
        settledPerSecOverCapacity: overCapacity,
        lost: o.lost,
        expired: o.expired,
        refused: o.refused,
        goal: 'settled/s >= 90% of the capacity, 0 lost, 0 expired (what cannot settle is refused at submission)',
      };
      say(`overload at ${2 * capacity}/s: settled/s over capacity ${fmt(overCapacity, 2)}, refused ${fmt(o.refused)}`);
    }
  } finally {
    await net.stop();
    if (values['keep-logs']) say(`logs kept in ${join(dir, 'logs')}`);
    else rmSync(dir, { recursive: true, force: true });
  }
  const out = {
    bench: 'e2e',
    date: new Date().toISOString(),
    machine: { cores: cpus().length, loadavg: loadavg() },
    setup: {
      nodes: 3,
      solvers: ['baseline', 'optimal'],
      auctionIntervalMs: interval,
      wallets: Number(values.wallets),
      lifetimeSec: lifetime,
      mix: 'swaps DAI/USDC and WBTC/USDC (15% partially fillable) + 30% position intents from lone wallets on ETH/BTC/SOL perps (random side and size, 25% partially fillable, 20% reduce-only closes of held positions), the perp vault taking net remainders',
      chain: 'anvil automine',
    },
    bound: 'per run: 0 expired, 0 lost, 0 refused, p99 submission->settlement within two auction intervals',
    goal: 'at 50/s 3 of 3 runs meet the bound; capacity (highest rate meeting it in every run) >= 100/s; at twice the capacity settled/s >= 90% of it, 0 lost, 0 expired',
    capacityPerSec: capacity,
    overload,
    rates: summaries,
  };
  mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
  writeFileSync(join(import.meta.dirname, 'results', values.out), `${JSON.stringify(out, null, 2)}\n`);
  say(`wrote test/bench/results/${values.out}`);
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    process.stderr.write(`bench:e2e failed: ${e.stack ?? e.message}\n`);
    process.exit(1);
  },
);
