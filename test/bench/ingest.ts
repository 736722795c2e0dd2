// npm run bench:ingest — validated intents per second through one node's full pipeline:
// decode (strict codec) -> duplicate check -> field rules + EIP-712 digest + signature recovery
// -> per-owner quota -> durable write (level, fsync'd group commit), driven through the node's
// fair validation queue from several sources, beside native libsecp256k1's raw recovery rate
// measured in the same run. Prints a summary and writes test/bench/results/ingest.json.
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import type { Address, Hex } from 'viem';
import { encodeSignedIntent } from '../../protocol/codec.ts';
import { intentDomain } from '../../protocol/eip712.ts';
import { domainSeparator, intentDigestBytes } from '../../protocol/hash.ts';
import type { SignedIntent, SwapIntent } from '../../protocol/intent.ts';
import { nativeRecoverer } from '../../protocol/recover-native.ts';
import { nobleRecoverer, parseEoaSignature, privateKeyToAddress, type Recoverer } from '../../protocol/signature.ts';
import { toHex } from '../../protocol/bytes.ts';
import { silentLogger } from '../../node/log.ts';
import { FairQueue } from '../../node/pool/fair-queue.ts';
import { openPool, tempDir, testKey, TEST_CHAIN_ID, TEST_SETTLEMENT } from '../helpers/node.ts';
import { IntentValidator } from '../../node/pool/validator.ts';
import { WorkerVerifier } from '../../node/verify/workers.ts';
import { fastRecoverer } from '../../node/verify/fast-hash.ts';

const N = Number(process.env.BENCH_INTENTS ?? 20_000);
const OWNERS = 200;
const native = createRequire(import.meta.url)('secp256k1') as {
  ecdsaSign(msg: Uint8Array, key: Uint8Array): { signature: Uint8Array; recid: number };
};
const sep = domainSeparator(intentDomain(TEST_CHAIN_ID, TEST_SETTLEMENT));

function makeIntents(n: number): { bytes: Uint8Array[]; digests: Uint8Array[]; sigs: Uint8Array[] } {
  const keys = Array.from({ length: OWNERS }, (_, i) => testKey(i + 1));
  const owners = keys.map((k) => privateKeyToAddress(k).toLowerCase() as Address);
  const bytes: Uint8Array[] = [];
  const digests: Uint8Array[] = [];
  const sigs: Uint8Array[] = [];
  const validTo = Math.floor(Date.now() / 1000) + 3600;
  for (let k = 0; k < n; k++) {
    const o = k % OWNERS;
    const intent: SwapIntent = {
      owner: owners[o]!,
      sellToken: '0x1111111111111111111111111111111111111111',
      buyToken: '0x2222222222222222222222222222222222222222',
      receiver: '0x0000000000000000000000000000000000000000',
      sellAmount: 10n ** 18n + BigInt(k),
      buyAmount: 2_000_000_000n,
      validTo,
      nonce: BigInt(k),
      kind: 0,
      partiallyFillable: false,
      appData: `0x${'00'.repeat(32)}`,
    };
    const digest = intentDigestBytes({ type: 'swap', intent }, sep);
    const { signature, recid } = native.ecdsaSign(digest, Buffer.from(keys[o]!.slice(2), 'hex'));
    const sig = new Uint8Array(65);
    sig.set(signature, 0);
    sig[64] = 27 + recid;
    const signed: SignedIntent = { type: 'swap', intent, signature: { scheme: 'eoa', data: toHex(sig) as Hex } };
    bytes.push(encodeSignedIntent(signed));
    digests.push(digest);
    sigs.push(sig);
  }
  return { bytes, digests, sigs };
}

function rawRecoveryRate(rec: Recoverer, digests: Uint8Array[], sigs: Uint8Array[], n: number): number {
  const parsed = sigs.slice(0, n).map((s) => {
    const p = parseEoaSignature(s);
    if (!p.ok) throw new Error(p.error.reason);
    return p.value;
  });
  let best = 0;
  for (let r = 0; r < 3; r++) {
    const t = performance.now();
    for (let k = 0; k < parsed.length; k++) if (!rec(digests[k]!, parsed[k]!)) throw new Error('recovery failed');
    best = Math.max(best, parsed.length / ((performance.now() - t) / 1000));
  }
  return best;
}

async function pipelineRate(
  bytes: Uint8Array[],
  mode: 'native' | 'noble' | 'workers',
): Promise<{ perSecond: number; batches: number; accepted: number; seconds: number }> {
  const dir = tempDir('bench-ingest-');
  const { db, pool, close } = await openPool(join(dir.path, 'pool'));
  const workers = mode === 'workers' ? new WorkerVerifier(Math.max(1, cpus().length)) : undefined;
  const validator = new IntentValidator({
    chainId: TEST_CHAIN_ID,
    settlement: TEST_SETTLEMENT,
    pool,
    maxOpenPerOwner: 1_000_000,
    maxLifetimeSec: 30 * 86400,
    maxMessageBytes: 4096,
    recoverer: mode === 'noble' ? nobleRecoverer : fastRecoverer()!,
    log: silentLogger(),
    ...(workers ? { workers } : {}),
  });
  const queue = new FairQueue({ maxPerSource: 1 << 20, maxTotal: 1 << 22, concurrency: 256 });
  let accepted = 0;
  let done = 0;
  const t = performance.now();
  await new Promise<void>((resolve) => {
    bytes.forEach((b, k) => {
      queue.push(`peer${k % 8}`, async () => {
        const out = await validator.ingestBytes(b, 'gossip');
        if (out.verdict === 'accept') accepted++;
        else throw new Error(`${out.code}`);
        if (++done === bytes.length) resolve();
      });
    });
  });
  const seconds = (performance.now() - t) / 1000;
  const batches = db.commitStats.batches;
  await workers?.close();
  await close();
  dir.cleanup();
  return { perSecond: bytes.length / seconds, batches, accepted, seconds };
}

const genStart = performance.now();
const { bytes, digests, sigs } = makeIntents(N);
const genSeconds = (performance.now() - genStart) / 1000;
if (process.env.BENCH_ONLY) {
  const run = await pipelineRate(bytes, process.env.BENCH_ONLY === 'workers' ? 'workers' : 'native');
  process.stdout.write(`pipeline ${Math.round(run.perSecond)}/s\n`);
  process.exit(0);
}
// This machine is shared: measure raw recovery and each pipeline mode in interleaved rounds and
// keep the best of each (the round least disturbed by other load), so the ratio compares like with like.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
let rawNative = 0;
let nativeRun = { perSecond: 0, batches: 0, accepted: 0, seconds: 0 };
let workersRun = { ...nativeRun };
const rounds: { rawNative: number; nativeMainThread: number; nativeWorkers: number; loadAverage1m: number }[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const raw = rawRecoveryRate(nativeRecoverer()!, digests, sigs, Math.min(N, 5000));
  const nat = await pipelineRate(bytes, 'native');
  const wrk = await pipelineRate(bytes, 'workers');
  rounds.push({ rawNative: raw, nativeMainThread: nat.perSecond, nativeWorkers: wrk.perSecond, loadAverage1m: loadavg()[0]! });
  rawNative = Math.max(rawNative, raw);
  if (nat.perSecond > nativeRun.perSecond) nativeRun = nat;
  if (wrk.perSecond > workersRun.perSecond) workersRun = wrk;
}
const rawNoble = rawRecoveryRate(nobleRecoverer, digests, sigs, 300);
const nobleRun = await pipelineRate(bytes.slice(0, 1000), 'noble');
const best = Math.max(nativeRun.perSecond, workersRun.perSecond);
const result = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  intents: N,
  owners: OWNERS,
  generationSeconds: genSeconds,
  rawRecoveryPerSecond: { native: rawNative, noble: rawNoble },
  pipelinePerSecond: { nativeMainThread: nativeRun.perSecond, nativeWorkers: workersRun.perSecond, nobleMainThread: nobleRun.perSecond },
  fsyncBatches: { nativeMainThread: nativeRun.batches, nativeWorkers: workersRun.batches },
  bestOverRawNative: best / rawNative,
  rounds,
  method:
    'best of interleaved rounds (raw native recovery, pipeline on the main thread, pipeline with verify workers); each pipeline round ingests all intents into a fresh pool through the fair queue from 8 sources',
  goal: 'pipeline >= 0.5x raw native recovery',
  goalMet: best / rawNative >= 0.5,
};
const out = join(dirname(new URL(import.meta.url).pathname), 'results', 'ingest.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
const f = (x: number): string => Math.round(x).toLocaleString('en-US');
process.stdout.write(
  [
    `ingest: ${N} signed swap intents from ${OWNERS} owners, ${cpus().length} cores, ${process.version}`,
    `  raw recovery        native ${f(rawNative)}/s   noble ${f(rawNoble)}/s`,
    `  full pipeline       native, main thread ${f(nativeRun.perSecond)}/s (${nativeRun.batches} fsync batches)`,
    `                      native, ${cpus().length} verify workers ${f(workersRun.perSecond)}/s (${workersRun.batches} fsync batches)`,
    `                      noble, main thread ${f(nobleRun.perSecond)}/s`,
    `  best / raw native   ${(best / rawNative).toFixed(2)}x (goal 0.5x: ${result.goalMet ? 'met' : 'NOT met'})`,
    `  wrote ${out}`,
    '',
  ].join('\n'),
);
