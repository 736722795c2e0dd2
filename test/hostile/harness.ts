// Real nodes for the hostile suite: `node/cli.ts` child processes on 127.0.0.1 (test/node/spawn.ts),
// observed only from outside: the HTTP API (/health, /metrics, /v1/...), their JSON log lines
// (pino on stdout: `peer_banned` carries the banned peer and its score) and /proc/<pid> for RSS.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hex } from 'viem';
import type { HealthResponse, PeerInfo } from '../../protocol/api.ts';
import { NodeApi, NodeApiError } from '../../protocol/client.ts';
import type { SignedIntentJson } from '../../protocol/json.ts';
import { spawnNode, waitExit, type Spawned } from '../node/spawn.ts';
import { CHAIN_ID, SETTLEMENT } from './peer.ts';
import { signedSwap, swapJson, type WireIntent } from './wire.ts';

export type RealNode = Spawned & { addr: string; pid: number; stop(): Promise<void> };

const cleanups: (() => Promise<void> | void)[] = [];
export async function cleanup(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c();
}
export const onCleanup = (f: () => Promise<void> | void): void => void cleanups.push(f);

export async function startNode(extra: string[] = []): Promise<RealNode> {
  const dir = mkdtempSync(join(tmpdir(), 'hostile-'));
  const s = await spawnNode(
    [
      '--chain-id',
      String(CHAIN_ID),
      '--settlement',
      SETTLEMENT,
      '--data-dir',
      dir,
      '--listen',
      '/ip4/127.0.0.1/tcp/0',
      '--api-port',
      '0',
      '--log-level',
      'info',
      ...extra,
    ],
    60_000,
  );
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    s.child.kill('SIGTERM');
    const killer = setTimeout(() => s.child.kill('SIGKILL'), 5000);
    await waitExit(s.child);
    clearTimeout(killer);
    rmSync(dir, { recursive: true, force: true });
  };
  onCleanup(stop);
  return { ...s, addr: s.listen[0]!, pid: s.child.pid!, stop };
}

type LogLine = { event?: string; peer?: string; score?: number; reason?: string; [k: string]: unknown };
/** Peers this node logged as banned (event `peer_banned`), with the score it logged. */
export const bans = (n: RealNode): { peer: string; score?: number; reason?: string }[] =>
  (n.lines as LogLine[]).filter((l) => l.event === 'peer_banned').map((l) => ({ peer: l.peer!, score: l.score, reason: l.reason }));

/** How `n` scores `peerId` (GET /v1/peers): gossipsub's total and the node's own application part; undefined when not connected. */
export async function peerScore(n: RealNode, peerId: string): Promise<PeerInfo | undefined> {
  const r = await new NodeApi(n.api).peers();
  return r.peers.find((p) => p.peerId === peerId);
}

export function health(n: RealNode): Promise<HealthResponse> {
  return new NodeApi(n.api).health();
}

/** Sum of a Prometheus metric's samples whose labels include every given label. */
export async function metric(n: RealNode, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await new NodeApi(n.api).metrics();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const ls = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => ls.includes(`${k}="${v}"`))) sum += Number(m[3]);
  }
  return sum;
}

/** Resident set size of the node's process, in MiB. */
export function rssMiB(n: RealNode): number {
  if (n.child.exitCode !== null || n.child.signalCode !== null) return 0;
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${n.pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

/** A refusal as its HTTP status (NodeApiError); an unreachable node still throws. */
const statusOf = (e: unknown): number => {
  if (e instanceof NodeApiError) return e.status;
  throw e;
};

/** The intent's state at the node; undefined when it answers an error (404: it does not hold it). */
export function intentState(n: RealNode, id: Hex): Promise<string | undefined> {
  return new NodeApi(n.api).intent(id).then(
    (st) => st.state,
    (e: unknown) => {
      statusOf(e);
      return undefined;
    },
  );
}

/** POST /v1/intents: 201 stored, 200 a duplicate, or the refusal's status; and how long the answer took. */
export async function submit(n: RealNode, i: WireIntent): Promise<{ status: number; ms: number }> {
  const t = performance.now();
  const status = await new NodeApi(n.api).submitIntent(swapJson(i) as SignedIntentJson).then((r) => (r.duplicate ? 200 : 201), statusOf);
  return { status, ms: performance.now() - t };
}

/** POST /v1/solutions: 202 ranked, 200 a duplicate, or the refusal's status. */
export function postSolution(n: RealNode, solution: Hex): Promise<number> {
  return new NodeApi(n.api).submitSolution(solution).then((r) => ('duplicate' in r ? 200 : 202), statusOf);
}

/** Polls until `cond` holds; the machine is shared, so timeouts are generous and named. */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Deterministic private key `i` (never zero); distinct ranges per test keep owners apart. */
export const key = (i: number): Hex => `0x${(BigInt(i) + 0x5000n).toString(16).padStart(64, '0')}`;

/**
 * Honest wallets: `samples` sequential submissions of fresh intents to `n`, spread over owners so
 * no quota is hit; returns each round trip in ms (201 expected for every one).
 */
let honestNonce = 1_000_000n;
export async function honestLatencies(n: RealNode, keyBase: number, samples: number): Promise<number[]> {
  const out: number[] = [];
  for (let k = 0; k < samples; k++) {
    const { intent } = signedSwap(key(keyBase + (k % 50)), CHAIN_ID, SETTLEMENT, { nonce: honestNonce++ });
    const r = await submit(n, intent);
    if (r.status !== 201) throw new Error(`honest submission refused: HTTP ${r.status}`);
    out.push(r.ms);
  }
  return out;
}

/** Latency bound: 2x the no-attack median, plus 5 ms so a sub-5 ms baseline is not at the mercy of timer jitter. */
export const latencyBound = (baselineMedian: number): number => 2 * baselineMedian + 5;

/** One line of evidence per measurement, printed so a run documents its numbers. */
export const report = (what: string, values: Record<string, unknown>): void => {
  console.log(`[hostile] ${what}: ${JSON.stringify(values)}`);
};
