// Spawns `node/cli.ts` as a child process on the project's Node 22 and waits for its ready line.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const ROOT = join(import.meta.dirname, '..', '..');
export const NODE_BIN = join(ROOT, 'node_modules', '.bin', 'node');

export type Spawned = { child: ChildProcess; api: string; peerId: string; listen: string[]; lines: unknown[] };

export function spawnNode(args: string[], timeoutMs = 20_000): Promise<Spawned> {
  const child = spawn(NODE_BIN, [join(ROOT, 'node', 'cli.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: unknown[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node did not become ready: ${stderr}`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`node exited with ${code}: ${stderr}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let rec: { event?: string; api?: string; peerId?: string; listen?: string[] };
      try {
        rec = JSON.parse(line) as typeof rec;
      } catch {
        return;
      }
      lines.push(rec);
      if (rec.event === 'ready') {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve({ child, api: rec.api!, peerId: rec.peerId!, listen: rec.listen!, lines });
      }
    });
  });
}

export function waitExit(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.once('exit', (code) => r(code)));
}
