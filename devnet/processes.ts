// Child processes of the devnet (nodes, solvers): each runs on the project's Node 22, writes its
// pino lines to <logDir>/<name>.log, and is stopped with SIGTERM, then SIGKILL after a grace
// period. Every child still alive when this process exits is SIGKILLed (nothing is left running).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const ROOT = join(import.meta.dirname, '..');
export const NODE_BIN = join(ROOT, 'node_modules', '.bin', 'node');

export type Child = {
  name: string;
  child: ChildProcess;
  pid: number;
  logFile: string;
  /** Resolves with the first JSON line matching `ready`. */
  ready: Promise<Record<string, unknown>>;
  /** Called for every JSON line (after it is written to the log). */
  onLine: Set<(rec: Record<string, unknown>) => void>;
  exited: Promise<number | null>;
  stop(graceMs?: number): Promise<void>;
};

const alive = new Set<ChildProcess>();
let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const c of alive) c.kill('SIGKILL');
  });
}

export function spawnChild(
  name: string,
  script: string,
  args: string[],
  options: { logDir: string; env?: Record<string, string>; ready?: (rec: Record<string, unknown>) => boolean; readyTimeoutMs?: number },
): Child {
  hookExit();
  const logFile = join(options.logDir, `${name}.log`);
  const out: WriteStream = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(NODE_BIN, [join(ROOT, script), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  alive.add(child);
  const exited = new Promise<number | null>((r) =>
    child.once('exit', (code) => {
      alive.delete(child);
      r(code);
    }),
  );
  const onLine = new Set<(rec: Record<string, unknown>) => void>();
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    out.write(d);
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} not ready after ${options.readyTimeoutMs ?? 60_000} ms (see ${logFile})`)),
      options.readyTimeoutMs ?? 60_000,
    );
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it was ready: ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      out.write(`${line}\n`);
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      if (options.ready?.(rec)) {
        clearTimeout(timer);
        resolve(rec);
      }
      for (const f of onLine) f(rec);
    });
  });
  ready.catch(() => undefined);
  const stop = async (graceMs = 8000): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(t);
    }
    await new Promise<void>((r) => out.end(() => r()));
  };
  return { name, child, pid: child.pid!, logFile, ready, onLine, exited, stop };
}

/**
 * `n` distinct TCP ports free on 127.0.0.1 now (each bound to port 0, all held until the last is
 * bound, then released): for children whose addresses other children must know before they start
 * (the solvers' quote ports, given to every node as --quoter).
 */
export async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let k = 0; k < n; k++) {
      const s = createServer();
      servers.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => resolve());
      });
      ports.push((s.address() as AddressInfo).port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}
