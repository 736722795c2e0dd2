// npm run bench:verify — signature recovery per second with @noble/curves and with native
// libsecp256k1 (the `secp256k1` package), measured in the same run, and the throughput of the
// full path a node runs on every gossiped intent: decode + field checks + digest + recovery.
// Prints a summary and writes test/bench/results/verify.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  decodeSignedIntent,
  domainSeparator,
  encodeSignedIntent,
  fromHex,
  intentDigestBytes,
  intentDomain,
  nobleRecoverer,
  parseEoaSignature,
  privateKeyToAddress,
  signDigest,
  verifySignedIntent,
  type Recoverer,
  type SignedIntent,
} from '../../protocol/index.ts';
import { nativeRecoverer } from '../../protocol/recover-native.ts';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 2000);
const ROUNDS = 3;
const separator = domainSeparator(intentDomain(31337, '0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0'));

function makeIntents(n: number): SignedIntent[] {
  const out: SignedIntent[] = [];
  for (let k = 0; k < n; k++) {
    const key = `0x${(BigInt(k) + 1n).toString(16).padStart(64, '0')}` as const;
    const intent = {
      owner: privateKeyToAddress(key),
      sellToken: '0x5fbdb2315678afecb367f032d93f642f64180aa3',
      buyToken: '0xe7f1725e7734ce288f8367e1bb143e90bb3f0512',
      receiver: '0x0000000000000000000000000000000000000000',
      sellAmount: 10n ** 18n + BigInt(k),
      buyAmount: 3_000_000_000n,
      validTo: 2_000_000_000,
      nonce: BigInt(k),
      kind: 0,
      partiallyFillable: false,
      appData: `0x${'00'.repeat(32)}`,
    } as const;
    const digest = intentDigestBytes({ type: 'swap', intent }, separator);
    out.push({ type: 'swap', intent, signature: { scheme: 'eoa', data: signDigest(digest, key) } });
  }
  return out;
}

/** Best of ROUNDS runs (least disturbed by the machine's other load), in operations per second. */
function rate(n: number, run: () => void): number {
  let best = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    run();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    best = Math.max(best, n / seconds);
  }
  return best;
}

function recoveryRate(recoverer: Recoverer, digests: Uint8Array[], sigs: Uint8Array[]): number {
  const parsed = sigs.map((s) => {
    const p = parseEoaSignature(s);
    if (!p.ok) throw new Error(p.error.reason);
    return p.value;
  });
  return rate(digests.length, () => {
    for (let k = 0; k < digests.length; k++) if (!recoverer(digests[k]!, parsed[k]!)) throw new Error('recovery failed');
  });
}

function fullPathRate(wire: Uint8Array[], recoverer: Recoverer): number {
  return rate(wire.length, () => {
    for (const bytes of wire) {
      const decoded = decodeSignedIntent(bytes);
      if (!decoded.ok) throw new Error(decoded.error.reason);
      const verified = verifySignedIntent(decoded.value, { now: 1_800_000_000, domainSeparator: separator, recoverer });
      if (!verified.ok) throw new Error(verified.error.reason);
    }
  });
}

const native = nativeRecoverer();
if (!native) throw new Error('native libsecp256k1 binding (secp256k1 package) is not available');
const intents = makeIntents(SAMPLES);
const digests = intents.map((i) => intentDigestBytes(i, separator));
const sigs = intents.map((i) => fromHex(i.signature.data));
const wire = intents.map(encodeSignedIntent);

const results = {
  samples: SAMPLES,
  rounds: ROUNDS,
  node: process.version,
  recoveriesPerSecond: { noble: recoveryRate(nobleRecoverer, digests, sigs), native: recoveryRate(native, digests, sigs) },
  decodeVerifyPerSecond: { noble: fullPathRate(wire, nobleRecoverer), native: fullPathRate(wire, native) },
  decodeOnlyPerSecond: rate(wire.length, () => {
    for (const w of wire) decodeSignedIntent(w);
  }),
};
const ratio = results.recoveriesPerSecond.native / results.recoveriesPerSecond.noble;
const summary = {
  ...results,
  nativeOverNoble: ratio,
  fullPathOverRawNative: results.decodeVerifyPerSecond.native / results.recoveriesPerSecond.native,
};

const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'verify.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(summary, null, 2)}\n`);

const f = (n: number) => Math.round(n).toLocaleString('en-US').padStart(9);
process.stdout.write(
  [
    `bench:verify — ${SAMPLES} distinct signed swap intents, best of ${ROUNDS} rounds, one core, ${process.version}`,
    `  signature recovery      noble ${f(results.recoveriesPerSecond.noble)}/s   native ${f(results.recoveriesPerSecond.native)}/s   (native ${ratio.toFixed(1)}x)`,
    `  decode+check+verify     noble ${f(results.decodeVerifyPerSecond.noble)}/s   native ${f(results.decodeVerifyPerSecond.native)}/s   (${(summary.fullPathOverRawNative * 100).toFixed(0)}% of raw native recovery)`,
    `  decode only                   ${f(results.decodeOnlyPerSecond)}/s`,
    `  wrote ${out}`,
    '',
  ].join('\n'),
);
