// Runs a real anvil as a child process for tests, benchmarks and the devnet. We start the
// platform binary directly (not the `npx anvil` Node wrapper) so that the one PID we hold is the
// process that owns the port, and `stop()` really ends it.
import { spawn, type ChildProcess } from 'node:child_process';
import pino from 'pino';
import { anvilBinary } from '../scripts/binaries.ts';

const log = pino({ name: 'anvil', level: process.env.LOG_LEVEL ?? 'warn' });

export type AnvilOptions = {
  /** Chain id the node reports (and so the chain id in every EIP-712 domain). Default 31337. */
  chainId?: number;
  /** Seconds between blocks; omitted means automine (one block per transaction). */
  blockTime?: number;
  /** Number of funded dev accounts. Default 10. */
  accounts?: number;
  /** Ether per dev account. Default 10,000. */
  balance?: number;
  /** BIP39 mnemonic for the dev accounts; anvil's well-known test mnemonic by default. */
  mnemonic?: string;
  /** EVM hardfork; anvil's default unless set. */
  hardfork?: string;
  /** Extra raw flags, for anything this wrapper does not name. */
  extraArgs?: readonly string[];
  /** How long to wait for the RPC to answer before giving up. Default 15 s. */
  startTimeoutMs?: number;
};

export type Anvil = {
  rpcUrl: string;
  chainId: number;
  /** The anvil process id, so callers can tell the process is gone after `stop()`. */
  pid: number;
  /** Kills anvil and resolves once the process has exited. Safe to call twice. */
  stop: () => Promise<void>;
};

// Every anvil this process started and has not yet stopped: killed synchronously on exit so a
// crashed test run never leaves an orphan holding a port.
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const child of running) child.kill('SIGKILL');
      // Re-raise the default behaviour now that our children are gone.
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function rpcAnswers(rpcUrl: string): Promise<number | undefined> {
  try {
    const res = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
    });
    const body = (await res.json()) as { result?: string };
    return body.result === undefined ? undefined : Number(BigInt(body.result));
  } catch {
    return undefined;
  }
}

/**
 * Starts anvil on a free loopback port (anvil binds port 0 itself and prints the port it got, so
 * there is no window in which another process can take a port we picked) and resolves once the
 * RPC answers `eth_chainId`.
 */
export async function startAnvil(options: AnvilOptions = {}): Promise<Anvil> {
  const chainId = options.chainId ?? 31337;
  const args = ['--host', '127.0.0.1', '--port', '0', '--chain-id', String(chainId)];
  if (options.blockTime !== undefined) args.push('--block-time', String(options.blockTime));
  if (options.accounts !== undefined) args.push('--accounts', String(options.accounts));
  if (options.balance !== undefined) args.push('--balance', String(options.balance));
  if (options.mnemonic !== undefined) args.push('--mnemonic', options.mnemonic);
  if (options.hardfork !== undefined) args.push('--hardfork', options.hardfork);
  if (options.extraArgs) args.push(...options.extraArgs);

  installExitHook();
  const child = spawn(anvilBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  const pid = child.pid;
  if (pid === undefined) throw new Error('anvil failed to spawn');

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await waitForExit(child);
    running.delete(child);
  };

  const timeoutMs = options.startTimeoutMs ?? 15_000;
  let output = '';
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`anvil did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        const match = /Listening on 127\.0\.0\.1:(\d+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`anvil exited early (code ${code}, signal ${signal}):\n${output}`));
      });
    });
    // Once listening we no longer need its banner; keep draining so the pipe never fills.
    child.stdout!.removeAllListeners('data');
    child.stdout!.resume();
    child.stderr!.resume();

    const rpcUrl = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const answered = await rpcAnswers(rpcUrl);
      if (answered !== undefined) {
        if (answered !== chainId) throw new Error(`anvil reports chain id ${answered}, expected ${chainId}`);
        break;
      }
      if (Date.now() > deadline) throw new Error(`anvil RPC at ${rpcUrl} did not answer within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
    log.info({ rpcUrl, chainId, pid }, 'anvil started');
    return { rpcUrl, chainId, pid, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
