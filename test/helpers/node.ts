// Helpers for tests and benches: signed intents from private keys, temp data dirs, node configs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Address, Hex } from 'viem';
import { intentDomain } from '../../protocol/eip712.ts';
import { domainSeparator, intentDigestBytes } from '../../protocol/hash.ts';
import type { OptionIntent, SignedIntent, SwapIntent } from '../../protocol/intent.ts';
import { encodeSignedSolution, encodeSolutionBody, solutionDigest, type Solution } from '../../protocol/solution.ts';
import { privateKeyToAddress, signDigest } from '../../protocol/signature.ts';
import { resolveConfig, type NodeConfig } from '../../node/config.ts';
import { NodeDatabase } from '../../node/db/database.ts';
import { IntentPool } from '../../node/pool/pool.ts';
import { hexId } from '../../node/verify/fast-hash.ts';

export const TEST_CHAIN_ID = 31337;
export const TEST_SETTLEMENT: Address = '0x5e77e5e77e5e77e5e77e5e77e5e77e5e77e5e77e';

/** Deterministic private key number `i` (1-based, never zero). */
export const testKey = (i: number): Hex => `0x${(BigInt(i) + 0x1000n).toString(16).padStart(64, '0')}`;

export type IntentFactory = {
  owner: Address;
  swap(over?: Partial<SwapIntent>): SignedIntent;
  /** Buys 1 contract of series 1 at most 100 (collateral units per contract) unless `over` says otherwise. */
  option(over?: Partial<OptionIntent>): SignedIntent;
  digestOf(s: SignedIntent): Hex;
};

export function intentFactory(key: Hex, chainId = TEST_CHAIN_ID, settlement: Address = TEST_SETTLEMENT): IntentFactory {
  const owner = privateKeyToAddress(key).toLowerCase() as Address;
  const sep = domainSeparator(intentDomain(chainId, settlement));
  let nonce = 0n;
  const digestOf = (s: SignedIntent): Hex => hexId(intentDigestBytes(s, sep));
  return {
    owner,
    digestOf,
    swap(over = {}) {
      const intent: SwapIntent = {
        owner,
        sellToken: '0x1111111111111111111111111111111111111111',
        buyToken: '0x2222222222222222222222222222222222222222',
        receiver: '0x0000000000000000000000000000000000000000',
        sellAmount: 10n ** 18n,
        buyAmount: 2000n * 10n ** 6n,
        validTo: Math.floor(Date.now() / 1000) + 3600,
        nonce: nonce++,
        kind: 0,
        partiallyFillable: false,
        appData: '0x0000000000000000000000000000000000000000000000000000000000000000',
        ...over,
      };
      const unsigned = { type: 'swap' as const, intent };
      const data = signDigest(intentDigestBytes(unsigned, sep), key);
      return { ...unsigned, signature: { scheme: 'eoa', data } };
    },
    option(over = {}) {
      const intent: OptionIntent = {
        account: owner,
        series: 1n,
        size: 10n ** 18n,
        premiumLimit: 100n * 10n ** 18n,
        reduceOnly: false,
        partiallyFillable: false,
        validTo: Math.floor(Date.now() / 1000) + 3600,
        nonce: nonce++,
        ...over,
      };
      const unsigned = { type: 'option' as const, intent };
      const data = signDigest(intentDigestBytes(unsigned, sep), key);
      return { ...unsigned, signature: { scheme: 'eoa', data } };
    },
  };
}

export function tempDir(prefix = 'node-test-', base = tmpdir()): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(base, prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export function testConfig(dataDir: string, over: Partial<NodeConfig> = {}): NodeConfig {
  return resolveConfig({
    chainId: TEST_CHAIN_ID,
    settlement: TEST_SETTLEMENT,
    dataDir,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    apiPort: 0,
    ipColocationPenalty: false,
    logLevel: 'silent',
    ...over,
  });
}

/** An intent pool on its own database at `path`, loaded; `close` closes the database. */
export async function openPool(path: string): Promise<{ db: NodeDatabase; pool: IntentPool; close: () => Promise<void> }> {
  const db = new NodeDatabase(path);
  await db.open();
  const pool = new IntentPool(db.intents);
  await pool.load();
  return { db, pool, close: () => db.close() };
}

/** Polls `cond` every 20 ms until it holds; throws after `ms` (generous: the machine is shared). */
export async function waitFor(cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('timed out');
}

/** A solution signed by `key` for the test chain and settlement, in its wire encoding. */
export function signTestSolution(s: Omit<Solution, 'solver'>, key: Hex): Uint8Array {
  const full: Solution = { ...s, solver: privateKeyToAddress(key).toLowerCase() as Address };
  const signature = signDigest(solutionDigest(encodeSolutionBody(full), TEST_CHAIN_ID, TEST_SETTLEMENT), key);
  return encodeSignedSolution({ ...full, signature });
}
