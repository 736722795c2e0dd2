// `npm start` as a user runs it: the orchestrator prints the addresses, the nodes' API URLs and
// peer ids, and a live summary; SIGINT (Ctrl-C) stops every process it started (anvil, three nodes,
// two solvers) and nothing is left running. Settings come from a --config file and flags (flags win).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NODE_BIN, ROOT } from '../../devnet/processes.ts';

const dir = mkdtempSync(join(tmpdir(), 'start-'));
const configDir = mkdtempSync(join(tmpdir(), 'start-config-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(configDir, { recursive: true, force: true });
});

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('npm start', () => {
  it('prints the network, shows a live summary, and Ctrl-C leaves nothing running', async () => {
    const config = join(configDir, 'devnet.json');
    writeFileSync(config, JSON.stringify({ wallets: 8, rate: 3, auctionIntervalMs: 1500 }));
    const child = spawn(NODE_BIN, [join(ROOT, 'devnet/start.ts'), '--config', config, '--data-dir', dir, '--wallets', '4'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const deadline = Date.now() + 150_000;
    while (!/\[\s*\d+s\] auctions/.test(out) && Date.now() < deadline && child.exitCode === null)
      await new Promise((r) => setTimeout(r, 250));
    expect(out).toMatch(/Settlement 0x[0-9a-fA-F]{40}/);
    expect(out).toMatch(/ClearingHouse 0x[0-9a-fA-F]{40}/);
    for (const k of [1, 2, 3]) expect(out).toMatch(new RegExp(`node${k}  http://127\\.0\\.0\\.1:\\d+  peer 12D3KooW`));
    expect(out).toMatch(/solver baseline/);
    expect(out).toMatch(/solver optimal/);
    expect(out).toContain('funding 4 wallets'); // the flag over the file's 8
    expect(out).toContain('traffic: 3 intents/s'); // the file over the default 2
    expect(out).toMatch(/\[\s*\d+s\] auctions \d+, batches settled \d+ \| intents \d+/);
    // every process the orchestrator started, from its pino log
    const events = readFileSync(join(dir, 'logs', 'devnet.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event?: string; pid?: number });
    const pids = events.filter((e) => e.event === 'anvil_started' || e.event === 'node_up' || e.event === 'solver_up').map((e) => e.pid!);
    expect(pids).toHaveLength(6);
    for (const pid of pids) expect(alive(pid)).toBe(true);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toMatch(/stopped\./);
    for (const pid of pids) expect(alive(pid), `pid ${pid} still running`).toBe(false);
  }, 200_000);
});
