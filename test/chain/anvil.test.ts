// The anvil helper owns its process: stop() ends it, and a process that exits without calling
// stop() takes its anvil with it (no orphan holding a port).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startAnvil } from '../../contracts/deploy/anvil.ts';
import { createPublicClient, http } from 'viem';
import { confirm, devnetClients, type DevnetPublicClient } from '../../contracts/deploy/clients.ts';

/**
 * Whether `pid` is a running process. A killed process whose parent already exited stays a zombie
 * until PID 1 reaps it (some container inits never do), and kill(pid, 0) still succeeds on a
 * zombie, so on Linux read its state from /proc.
 */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return process.platform !== 'linux';
  }
}

async function chainIdOf(rpcUrl: string): Promise<string | undefined> {
  try {
    const res = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
    });
    return ((await res.json()) as { result: string }).result;
  } catch {
    return undefined;
  }
}

describe('startAnvil', () => {
  it('answers on a loopback port with the requested chain id, and stop() ends the process', async () => {
    const anvil = await startAnvil({ chainId: 4242, accounts: 2 });
    expect(anvil.rpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await chainIdOf(anvil.rpcUrl)).toBe('0x1092');
    expect(alive(anvil.pid)).toBe(true);
    await anvil.stop();
    expect(alive(anvil.pid)).toBe(false);
    expect(await chainIdOf(anvil.rpcUrl)).toBeUndefined();
    await anvil.stop(); // idempotent
  });

  it('two anvils get different ports', async () => {
    const [a, b] = await Promise.all([startAnvil(), startAnvil()]);
    try {
      expect(a.rpcUrl).not.toBe(b.rpcUrl);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('kills its anvil when the owning process exits without stop()', async () => {
    // A child Node process starts anvil, prints its pid and exits at once.
    const script = `import { startAnvil } from ${JSON.stringify(new URL('../../contracts/deploy/anvil.ts', import.meta.url).href)};
const a = await startAnvil(); console.log(a.pid); process.exit(0);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    const pid = Number(out.trim());
    expect(pid).toBeGreaterThan(0);
    // SIGKILL is sent synchronously in the exit hook; give the kernel a moment to deliver it.
    for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(pid)).toBe(false);
  });
});

describe('devnetClients', () => {
  it('adds 50% and 50,000 of headroom to gas estimates (mined-a-second-later work), and the transaction still runs', async () => {
    const anvil = await startAnvil();
    try {
      const clients = devnetClients(anvil.rpcUrl, anvil.chainId);
      const request = { account: clients.accounts[0]!.address, to: clients.accounts[1]!.address, value: 1n } as const;
      const raw = await createPublicClient({ transport: http(anvil.rpcUrl) }).estimateGas(request);
      expect(raw).toBe(21_000n);
      expect(await clients.publicClient.estimateGas(request)).toBe((raw * 3n) / 2n + 50_000n);
      const receipt = await confirm(clients.publicClient, clients.deployer.sendTransaction({ to: request.to, value: 1n }));
      expect(receipt.gasUsed).toBe(21_000n);
      // and what a devnet wallet sends carries the padded limit (viem fills it with
      // eth_fillTransaction, not eth_estimateGas, when the node has it)
      const sent = await clients.publicClient.getTransaction({ hash: receipt.transactionHash });
      expect(sent.gas).toBe((raw * 3n) / 2n + 50_000n);
    } finally {
      await anvil.stop();
    }
  });

  it('confirm finds a receipt whose block was mined while a block lookup was in flight, with no block after it', async () => {
    // The interleaving that hung viem's waitForTransactionReceipt in a CI run: the transaction is
    // pending when the wait starts, its block is mined while the waiter is fetching a block (viem
    // does so to check for a replacement and ignores the block-number change meanwhile), and no
    // other block follows. Mining is manual here; block lookups take a second.
    const anvil = await startAnvil({ extraArgs: ['--no-mining'] });
    try {
      const clients = devnetClients(anvil.rpcUrl, anvil.chainId);
      const rpc = (method: string) =>
        fetch(anvil.rpcUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: [] }),
        });
      const slowBlocks: typeof fetch = async (input, init) => {
        if (typeof init?.body === 'string' && init.body.includes('"eth_getBlockByNumber"'))
          await new Promise((resolve) => setTimeout(resolve, 1_000));
        return fetch(input, init);
      };
      const publicClient = createPublicClient({
        chain: clients.chain,
        transport: http(anvil.rpcUrl, { retryCount: 0, fetchFn: slowBlocks }),
        pollingInterval: 10,
      }) as DevnetPublicClient;
      const hash = await clients.deployer.sendTransaction({ to: clients.accounts[1]!.address, value: 1n, gas: 21_000n });
      const before = await publicClient.getBlockNumber({ cacheTime: 0 });
      setTimeout(() => void rpc('evm_mine'), 300);
      const receipt = await confirm(publicClient, hash);
      expect(receipt.transactionHash).toBe(hash);
      expect(receipt.blockNumber).toBe(before + 1n);
      expect(await publicClient.getBlockNumber({ cacheTime: 0 })).toBe(before + 1n); // nothing else was mined
    } finally {
      await anvil.stop();
    }
  });
});
