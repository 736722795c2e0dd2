// The CLIs as an operator runs them. Two node processes started with the devnet's own command line
// (devnet/network.ts nodeArgs), B bootstrapping from A's printed address: an intent submitted at A
// shows up at B; a restart keeps the peer id (key file). Then the flag vocabulary the node, the
// solver and the devnet share (cli/program.ts): --help on stdout with exit 0, usage errors on
// stderr with exit 2 naming the flag or config key, and flags > environment > config file > defaults.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../node/cli/program.ts';
import { nodeArgs, solverArgs } from '../../devnet/network.ts';
import { defaultConfig, nodeCli, parseCli } from '../../node/config.ts';
import { NodeApi } from '../../protocol/client.ts';
import { signedIntentToJson } from '../../protocol/json.ts';
import { intentFactory, tempDir, testKey, TEST_CHAIN_ID, TEST_SETTLEMENT, waitFor } from '../helpers/node.ts';
import { NODE_BIN, ROOT, spawnNode, waitExit, type Spawned } from './spawn.ts';

const dirs = [tempDir('cli-a-'), tempDir('cli-b-'), tempDir('cli-files-')];
const files = dirs[2]!.path;
const procs: Spawned[] = [];
afterAll(async () => {
  for (const p of procs) {
    p.child.kill('SIGTERM');
    await waitExit(p.child);
  }
  for (const d of dirs) d.cleanup();
});

// the config file the devnet writes for its nodes (reference prices, collateral token)
const nodeConfig = join(files, 'node-config.json');
writeFileSync(
  nodeConfig,
  JSON.stringify({
    referencePrices: { '0x1111111111111111111111111111111111111111': '1000000000000000000' },
    collateralToken: '0x1111111111111111111111111111111111111111',
  }),
);
const base = (dir: string, bootstrap: string[] = []): string[] =>
  nodeArgs({
    config: nodeConfig,
    chainId: TEST_CHAIN_ID,
    settlement: TEST_SETTLEMENT,
    dataDir: dir,
    auctionIntervalMs: 2000,
    logLevel: 'warn',
    bootstrap,
  });

describe('cli', () => {
  it("two nodes started with the devnet's flags find each other from the printed address; intents flow; the peer id survives a restart", async () => {
    const a = await spawnNode(base(dirs[0]!.path));
    procs.push(a);
    expect(a.peerId).toMatch(/^12D3KooW/);
    expect(a.listen[0]).toContain(`/p2p/${a.peerId}`);
    const b = await spawnNode(base(dirs[1]!.path, [a.listen[0]!]));
    procs.push(b);
    // Wait until they are connected (health shows a peer), then submit at A.
    const [apiA, apiB] = [new NodeApi(a.api), new NodeApi(b.api)];
    await waitFor(async () => (await apiB.health()).peers > 0, 30_000);
    const f = intentFactory(testKey(90));
    const s = f.swap();
    const id = f.digestOf(s);
    expect(await apiA.submitIntent(signedIntentToJson(s))).toEqual({ id, state: 'open' });
    // B has it once gossip delivers it (a 404 until then)
    await waitFor(async () => (await apiB.intent(id).catch(() => undefined))?.state === 'open', 30_000);
    // Restart A: same peer id from the key file, intent still there.
    a.child.kill('SIGTERM');
    await waitExit(a.child);
    procs.shift();
    const a2 = await spawnNode(base(dirs[0]!.path));
    procs.push(a2);
    expect(a2.peerId).toBe(a.peerId);
    expect((await new NodeApi(a2.api).intent(id)).id).toBe(id);
  });
});

type Run = { code: number | null; stdout: string; stderr: string };
const run = (script: string, args: string[], env: Record<string, string> = {}): Promise<Run> =>
  new Promise((resolve) => {
    const clean = { ...process.env, ...env };
    delete clean.LOG_LEVEL;
    if (!env.SOLVER_KEY) delete clean.SOLVER_KEY;
    execFile(NODE_BIN, [join(ROOT, script), ...args], { cwd: ROOT, env: { ...clean, ...env }, timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
const json = (name: string, value: unknown): string => {
  const file = join(files, name);
  writeFileSync(file, JSON.stringify(value));
  return file;
};

const S = TEST_SETTLEMENT;
const KEY = testKey(7);
const NODE = 'node/cli.ts';
const SOLVER = 'solver/cli.ts';
const DEVNET = 'devnet/start.ts';
const nodeOk = ['--chain-id', '31337', '--settlement', S, '--data-dir', join(files, 'never-started')];
const solverOk = ['--node-url', 'http://127.0.0.1:1', '--rpc-url', 'http://127.0.0.1:1'];

describe('flags', () => {
  it.each([
    [
      NODE,
      [
        '--api-port <port>',
        'default: 9545',
        '--rpc-url <url>',
        '--config <file>',
        '--log-level <level>',
        '--data-dir <dir>',
        'Precedence: flags override',
      ],
    ],
    [
      SOLVER,
      ['--node-url <url>', '--rpc-url <url>', '--key <hex>', 'env SOLVER_KEY', 'default: 500', '--config <file>', '--log-level <level>'],
    ],
    [
      DEVNET,
      ['--rpc-url <url>', 'default: an embedded anvil', '--data-dir <dir>', 'default: .devnet', '--config <file>', '--log-level <level>'],
    ],
  ])('%s --help: every flag with its default, on stdout, exit 0', async (script, expected) => {
    const r = await run(script, ['--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    for (const text of expected) expect(r.stdout).toContain(text);
    expect(r.stdout).toContain('--help');
    expect(r.stdout).toContain('--version');
  });

  it('the node help names every flag its program declares, each with a default or "required"', () => {
    const program = buildProgram(nodeCli);
    const help = program.helpInformation().replace(/\n {3,}/g, ' '); // one line per flag
    for (const o of program.options) expect(help).toContain(o.long!);
    for (const f of nodeCli.fields.filter((x) => x.flag && !x.flag.startsWith('no-'))) {
      const line = help.slice(help.indexOf(`--${f.flag} `)).split('\n')[0]!;
      expect(line, f.flag).toMatch(/default: |required/);
    }
  });

  it('a bad number exits 2 and names the flag, the value and what is expected', async () => {
    const node = await run(NODE, [...nodeOk, '--api-port', '70000']);
    expect(node.code).toBe(2);
    expect(node.stdout).toBe('');
    expect(node.stderr).toContain('error: --api-port: expected an integer from 0 to 65535, got "70000"');
    const solver = await run(SOLVER, [...solverOk, '--max-simulations', '1.5'], { SOLVER_KEY: KEY });
    expect(solver.code).toBe(2);
    expect(solver.stderr).toContain('error: --max-simulations: expected an integer from 1 to 1000, got "1.5"');
    const devnet = await run(DEVNET, ['--rate', 'fast']);
    expect(devnet.code).toBe(2);
    expect(devnet.stderr).toContain('error: --rate: expected a number > 0, got "fast"');
  });

  it('a bad address exits 2 and names the flag', async () => {
    const node = await run(NODE, ['--chain-id', '31337', '--settlement', '0x1234', '--data-dir', files]);
    expect(node.code).toBe(2);
    expect(node.stderr).toMatch(/error: --settlement: expected a 20-byte hex address.*got "0x1234"/);
    const solver = await run(SOLVER, [...solverOk, '--pool', 'uniswapV2:0x1234'], { SOLVER_KEY: KEY });
    expect(solver.code).toBe(2);
    expect(solver.stderr).toContain('error: --pool: expected kind:address');
  });

  it('a bad private key exits 2 without echoing it', async () => {
    const bad = `0x${'f'.repeat(64)}`; // above the curve order
    const r = await run(SOLVER, solverOk, { SOLVER_KEY: bad });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: SOLVER_KEY (--key): expected a secp256k1 private key');
    expect(r.stderr).not.toContain(bad);
  });

  it('a bad config key, type or range exits 2 and names the field', async () => {
    const file = json('bad-node.json', { apiport: 1, maxOpenPerOwner: '64', meshDegree: 0 });
    const r = await run(NODE, [...nodeOk, '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--config ${file}: unknown key "apiport" (did you mean "apiPort"?)`);
    expect(r.stderr).toContain('"maxOpenPerOwner": expected an integer >= 1, got "64"');
    expect(r.stderr).toContain('"meshDegree": expected an integer from 1 to 64, got 0');
    const devnet = await run(DEVNET, ['--config', json('bad-devnet.json', { rates: 3 })]);
    expect(devnet.code).toBe(2);
    expect(devnet.stderr).toContain('unknown key "rates"');
    const pools = await run(SOLVER, [...solverOk, '--pools', json('bad-pools.json', [{ kind: 'uniswapV4', address: S }])], {
      SOLVER_KEY: KEY,
    });
    expect(pools.code).toBe(2);
    expect(pools.stderr).toContain('--pools');
    expect(pools.stderr).toContain('[0].kind: expected one of uniswapV2, uniswapV3, stableSwap, got "uniswapV4"');
  });

  it('an old spelling is refused with the new one suggested; a missing setting is named', async () => {
    const r = await run(SOLVER, ['--node', 'http://127.0.0.1:1', '--rpc', 'http://127.0.0.1:1'], { SOLVER_KEY: KEY });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--node'");
    expect(r.stderr).toContain('Did you mean --node-url?');
    const missing = await run(NODE, ['--settlement', S]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('error: --chain-id is required');
    expect(missing.stderr).toContain('error: --data-dir is required');
  });

  it("the devnet's solver command line passes the solver's checks (it then fails to reach the node: exit 1, not 2)", async () => {
    const r = await run(
      SOLVER,
      solverArgs({
        strategy: 'optimal',
        nodeUrl: 'http://127.0.0.1:1',
        rpcUrl: 'http://127.0.0.1:1',
        pools: json('pools.json', [{ kind: 'uniswapV2', address: S }]),
        logLevel: 'info',
      }),
      { SOLVER_KEY: KEY },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain('error: --');
  });

  it('flags override the environment, which overrides the config file, which overrides the defaults', () => {
    const file = json('node.json', {
      apiPort: 1234,
      meshDegree: 8,
      logLevel: 'debug',
      listen: ['/ip4/127.0.0.1/tcp/1'],
      ipColocationPenalty: true,
    });
    const c = parseCli([...nodeOk, '--config', file, '--api-port', '4321', '--no-ip-colocation'], { LOG_LEVEL: 'error' });
    expect(c.apiPort).toBe(4321); // flag over file
    expect(c.meshDegree).toBe(8); // file over default
    expect(c.logLevel).toBe('error'); // environment over file
    expect(c.ipColocationPenalty).toBe(false); // --no-x over the file's true
    expect(c.listen).toEqual(['/ip4/127.0.0.1/tcp/1']);
    expect(c.maxOpenPerOwner).toBe(defaultConfig.maxOpenPerOwner); // default
    expect(parseCli([...nodeOk, '--config', file, '--log-level', 'warn'], { LOG_LEVEL: 'error' }).logLevel).toBe('warn'); // flag over environment
    const two = parseCli([...nodeOk, '--listen', '/ip4/127.0.0.1/tcp/2', '--listen', '/ip4/127.0.0.1/tcp/3'], {});
    expect(two.listen).toEqual(['/ip4/127.0.0.1/tcp/2', '/ip4/127.0.0.1/tcp/3']); // repeated flags replace the default
  });
});
