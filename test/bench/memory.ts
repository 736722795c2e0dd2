// npm run bench:memory — a node's memory per live intent and per retained auction.
// Each repetition is a fresh child process (clean heap): a full IntentNode (libp2p host, HTTP API,
// level pool) with an auction clock on a simulated clock at 500 ms intervals. Measured after two
// forced GCs: heap used and RSS at 0, 1,000 and 6,000 live intents, then with 10 and 200 auctions
// closed over the 6,000-intent pool (the clock asked to retain 200), and the time one auction close
// takes, then once more after serving the last auction's view (every intent decoded). The intents are structurally valid swap intents put into the pool directly (the auction
// decodes them; signature checks are bench:ingest's subject).
// BENCH_LABEL (default "after") names the code under test; results of other labels already in
// test/bench/results/memory.json are kept, so "before" (the code before a change) and "after" sit side by side.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { keccak256, type Address, type Hex } from 'viem';
import { encodeSignedIntent } from '../../protocol/codec.ts';
import { toHex } from '../../protocol/bytes.ts';
import type { SignedIntent } from '../../protocol/intent.ts';
import { privateKeyToAddress } from '../../protocol/signature.ts';
import { silentLogger } from '../../node/log.ts';
import { IntentNode } from '../../node/node.ts';
import { intentFactory, tempDir, testConfig, testKey } from '../helpers/node.ts';

const REPS = Number(process.env.BENCH_REPS ?? 3);
const INTERVAL_MS = 500;
const LIVE_STEPS = [0, 1000, 6000];
const AUCTION_STEPS = [10, 200];
const OWNERS = 200;
const MiB = 2 ** 20;

type Sample = { phase: string; liveIntents: number; auctionsClosed: number; auctionsRetained: number; heapUsed: number; rss: number };
type ChildResult = { samples: Sample[]; closeMs: number[] };

async function child(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run the child with --expose-gc');
  const measure = (): { heapUsed: number; rss: number } => {
    gc();
    gc();
    const m = process.memoryUsage();
    return { heapUsed: m.heapUsed, rss: m.rss };
  };
  const dir = tempDir('bench-memory-');
  let now = Date.now() + INTERVAL_MS;
  const node = new IntentNode(testConfig(dir.path), {
    log: silentLogger(),
    auction: { intervalMs: INTERVAL_MS, retainAuctions: 200, now: () => now, manual: true },
  });
  const clock = node.auction!;
  await node.start();
  const retained = (): number => (clock as unknown as { auctions: Map<number, unknown> }).auctions.size;
  const samples: Sample[] = [];
  let closed = 0;
  const sample = (phase: string): void =>
    void samples.push({ phase, liveIntents: node.pool.size, auctionsClosed: closed, auctionsRetained: retained(), ...measure() });

  const template = intentFactory(testKey(1)).swap();
  if (template.type !== 'swap') throw new Error('unreachable');
  const swap = template.intent;
  const owners = Array.from({ length: OWNERS }, (_, i) => privateKeyToAddress(testKey(i + 1)).toLowerCase() as Address);
  const validTo = Math.floor(Date.now() / 1000) + 3600;
  const add = async (from: number, to: number): Promise<void> => {
    const adds = [];
    for (let k = from; k < to; k++) {
      const s: SignedIntent = {
        ...template,
        type: 'swap',
        intent: { ...swap, owner: owners[k % OWNERS]!, nonce: BigInt(k), sellAmount: 10n ** 18n + BigInt(k), validTo },
      };
      const bytes = encodeSignedIntent(s);
      adds.push(
        node.pool.add(
          {
            digest: keccak256(bytes),
            owner: owners[k % OWNERS]!,
            type: 'swap',
            validTo,
            bytes: toHex(bytes) as Hex,
            source: 'gossip',
            receivedAt: Date.now(),
            needsChainCheck: false,
          },
          1e9,
        ),
      );
    }
    await Promise.all(adds);
  };
  sample('live 0');
  let live = 0;
  for (const n of LIVE_STEPS.slice(1)) {
    await add(live, n);
    live = n;
    sample(`live ${n}`);
  }
  const closeMs: number[] = [];
  for (const target of AUCTION_STEPS) {
    while (closed < target) {
      now += INTERVAL_MS;
      const t = performance.now();
      await clock.tick();
      closeMs.push(performance.now() - t);
      closed++;
    }
    sample(`auctions ${target}`);
  }
  // GET /v1/auctions/<id> of the last closed auction: every intent of it decoded (into the shared cache, where there is one).
  const view = (await node.auction!.byId(clock.idAt(now) - 1)) as { intents: unknown[] };
  if (view.intents.length !== live) throw new Error(`view lists ${view.intents.length} intents, not ${live}`);
  sample('+ auction view');
  await node.stop();
  dir.cleanup();
  process.stdout.write(`${JSON.stringify({ samples, closeMs } satisfies ChildResult)}\n`);
}

const stats = (xs: number[]): { min: number; median: number; max: number } => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0]!, median: s[Math.floor(s.length / 2)]!, max: s[s.length - 1]! };
};

function parent(): void {
  const runs: ChildResult[] = [];
  for (let r = 0; r < REPS; r++) {
    const p = spawnSync(process.execPath, ['--expose-gc', '--max-old-space-size=8192', fileURLToPath(import.meta.url), 'child'], {
      encoding: 'utf8',
      maxBuffer: 64 * MiB,
    });
    if (p.status !== 0) throw new Error(`child failed (${p.status}): ${p.stderr}`);
    runs.push(JSON.parse(p.stdout.trim().split('\n').pop()!) as ChildResult);
    process.stderr.write(`  repetition ${r + 1}/${REPS} done\n`);
  }
  const phases = runs[0]!.samples.map((s) => s.phase);
  const rows = phases.map((phase, i) => {
    const ss = runs.map((run) => run.samples[i]!);
    return {
      phase,
      liveIntents: ss[0]!.liveIntents,
      auctionsClosed: ss[0]!.auctionsClosed,
      auctionsRetained: ss[0]!.auctionsRetained,
      heapUsedMiB: stats(ss.map((s) => s.heapUsed / MiB)),
      rssMiB: stats(ss.map((s) => s.rss / MiB)),
    };
  });
  const at = (phase: string, k: 'heapUsed' | 'rss'): number[] => runs.map((run) => run.samples.find((s) => s.phase === phase)![k]);
  const perIntent = (k: 'heapUsed' | 'rss'): ReturnType<typeof stats> =>
    stats(at('live 6000', k).map((v, j) => (v - at('live 0', k)[j]!) / 6000));
  const perAuction = (k: 'heapUsed' | 'rss', phase: string): ReturnType<typeof stats> => {
    const retainedAt = rows.find((r) => r.phase === phase)!.auctionsRetained;
    return stats(at(phase, k).map((v, j) => (v - at('live 6000', k)[j]!) / Math.max(1, retainedAt) / MiB));
  };
  const label = process.env.BENCH_LABEL ?? 'after';
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    repetitions: REPS,
    auctionIntervalMs: INTERVAL_MS,
    method:
      'fresh child process per repetition; full IntentNode (libp2p, API, level pool) + AuctionClock on a simulated clock; heap/RSS after two forced GCs; min/median/max over repetitions',
    phases: rows,
    bytesPerLiveIntent: { heapUsed: perIntent('heapUsed'), rss: perIntent('rss') },
    mibPerRetainedAuctionAt6k: {
      heapUsed: { '10': perAuction('heapUsed', 'auctions 10'), '200': perAuction('heapUsed', 'auctions 200') },
      rss: { '10': perAuction('rss', 'auctions 10'), '200': perAuction('rss', 'auctions 200') },
    },
    closeMsAt6k: stats(runs.flatMap((r) => r.closeMs)),
  };
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'memory.json');
  mkdirSync(dirname(out), { recursive: true });
  const all = (existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) : {}) as Record<string, typeof result>;
  all[label] = result;
  writeFileSync(out, `${JSON.stringify(all, null, 2)}\n`);

  const f = (s: { min: number; median: number; max: number }, d = 0): string =>
    `${s.median.toFixed(d)} (${s.min.toFixed(d)}–${s.max.toFixed(d)})`;
  const lines = [`memory [${label}]: ${REPS} repetitions, ${cpus().length} cores, ${process.version}; median (min–max)`];
  for (const r of rows)
    lines.push(
      `  ${r.phase.padEnd(16)} retained ${String(r.auctionsRetained).padStart(3)}   heap ${f(r.heapUsedMiB)} MiB   rss ${f(r.rssMiB)} MiB`,
    );
  lines.push(`  per live intent   heap ${f(result.bytesPerLiveIntent.heapUsed)} B   rss ${f(result.bytesPerLiveIntent.rss)} B`);
  lines.push(
    `  per retained auction (6k live)   10: heap ${f(result.mibPerRetainedAuctionAt6k.heapUsed['10'], 2)} MiB   200: heap ${f(result.mibPerRetainedAuctionAt6k.heapUsed['200'], 2)} MiB`,
  );
  lines.push(`  auction close (6k live)   ${f(result.closeMsAt6k, 1)} ms`);
  for (const other of Object.keys(all).filter((k) => k !== label)) {
    const o = all[other]!;
    const rss = (x: typeof result, phase: string): string => f(x.phases.find((p) => p.phase === phase)!.rssMiB);
    lines.push(
      `  vs [${other}]: rss after 200 auctions ${rss(o, 'auctions 200')} -> ${rss(result, 'auctions 200')} MiB; after the view ${rss(o, '+ auction view')} -> ${rss(result, '+ auction view')} MiB; close ${f(o.closeMsAt6k, 1)} -> ${f(result.closeMsAt6k, 1)} ms`,
    );
  }
  lines.push(`  wrote ${out}`, '');
  process.stdout.write(lines.join('\n'));
}

if (process.argv[2] === 'child') await child();
else parent();
