// Writes test/vectors/intents.json: intents with their struct hash, EIP-712 digest and a
// signature, computed by protocol/. Deterministic (fixed keys, RFC 6979 signatures), so running
// it again must reproduce the checked-in file byte for byte; intents.test.ts checks that and
// checks every vector against viem, and the forge test checks them against the contract.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  domainSeparator,
  intentDigest,
  intentDomain,
  intentStructHash,
  optionIntentToJson,
  positionIntentToJson,
  privateKeyToAddress,
  signDigest,
  swapIntentToJson,
  toHex,
  type Intent,
  type OptionIntent,
  type PositionIntent,
  type SwapIntent,
} from '../../protocol/index.ts';

export const VECTORS_PATH = join(dirname(fileURLToPath(import.meta.url)), 'intents.json');

const KEYS = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
] as const;
const MAX256 = (1n << 256n) - 1n;
const domain = intentDomain(31337, '0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0');
const tokenA = '0x5fbdb2315678afecb367f032d93f642f64180aa3';
const tokenB = '0xe7f1725e7734ce288f8367e1bb143e90bb3f0512';

function swaps(owner: `0x${string}`): SwapIntent[] {
  const base: SwapIntent = {
    owner,
    sellToken: tokenA,
    buyToken: tokenB,
    receiver: '0x0000000000000000000000000000000000000000',
    sellAmount: 10n ** 18n,
    buyAmount: 3_000_000_000n,
    validTo: 1_900_000_000,
    nonce: 0n,
    kind: 0,
    partiallyFillable: false,
    appData: `0x${'00'.repeat(32)}`,
  };
  return [
    base,
    { ...base, kind: 1, nonce: 257n, sellToken: tokenB, buyToken: tokenA },
    { ...base, partiallyFillable: true, receiver: '0x000000000000000000000000000000000000dead', appData: `0x${'ab'.repeat(32)}` },
    { ...base, sellAmount: MAX256, buyAmount: 1n, validTo: 0xffffffff, nonce: MAX256, kind: 1, partiallyFillable: true },
  ];
}

function positions(account: `0x${string}`): PositionIntent[] {
  const base: PositionIntent = {
    account,
    market: 1,
    sizeDelta: 2n * 10n ** 18n,
    limitPrice: 3100n * 10n ** 18n,
    reduceOnly: false,
    partiallyFillable: false,
    validTo: 1_900_000_000,
    nonce: 5n,
  };
  return [
    base,
    { ...base, market: 2, sizeDelta: -(5n * 10n ** 17n), limitPrice: 60_000n * 10n ** 18n, reduceOnly: true, nonce: 6n },
    { ...base, market: 3, sizeDelta: 7n * 10n ** 17n, partiallyFillable: true, nonce: 7n },
    { ...base, market: 3, sizeDelta: -(3n * 10n ** 18n), reduceOnly: true, partiallyFillable: true, nonce: 8n },
    { ...base, market: 0xffffffff, sizeDelta: -(1n << 255n), limitPrice: MAX256, validTo: 0xffffffff, nonce: MAX256 },
  ];
}

function options(account: `0x${string}`): OptionIntent[] {
  const base: OptionIntent = {
    account,
    series: 1n,
    size: 10n ** 18n,
    premiumLimit: 120n * 10n ** 18n,
    reduceOnly: false,
    partiallyFillable: false,
    validTo: 1_900_000_000,
    nonce: 9n,
  };
  return [
    base,
    { ...base, series: 2n, size: -(25n * 10n ** 17n), premiumLimit: 80n * 10n ** 18n, partiallyFillable: true, nonce: 10n },
    { ...base, series: 3n, size: -(10n ** 17n), premiumLimit: 0n, reduceOnly: true, nonce: 11n },
    {
      ...base,
      series: (1n << 64n) - 1n,
      size: -(10n ** 36n),
      premiumLimit: MAX256,
      reduceOnly: true,
      partiallyFillable: true,
      validTo: 0xffffffff,
      nonce: MAX256,
    },
    { ...base, series: 1n << 32n, size: 10n ** 36n, premiumLimit: 1n, nonce: 12n },
  ];
}

function intentJson(intent: Intent) {
  switch (intent.type) {
    case 'swap':
      return swapIntentToJson(intent.intent);
    case 'position':
      return positionIntentToJson(intent.intent);
    case 'option':
      return optionIntentToJson(intent.intent);
  }
}

function vector(intent: Intent, key: `0x${string}`) {
  const digest = intentDigest(intent, domain);
  return {
    intent: intentJson(intent),
    structHash: toHex(intentStructHash(intent)),
    digest,
    signature: signDigest(digest, key),
    signer: privateKeyToAddress(key),
  };
}

export function buildVectors() {
  const owners = KEYS.map((k) => privateKeyToAddress(k));
  return {
    domain,
    domainSeparator: toHex(domainSeparator(domain)),
    swap: KEYS.flatMap((key, k) => swaps(owners[k]!).map((intent) => vector({ type: 'swap', intent }, key))),
    position: KEYS.flatMap((key, k) => positions(owners[k]!).map((intent) => vector({ type: 'position', intent }, key))),
    option: KEYS.flatMap((key, k) => options(owners[k]!).map((intent) => vector({ type: 'option', intent }, key))),
  };
}

export const serializeVectors = (): string => `${JSON.stringify(buildVectors(), null, 2)}\n`;

if (process.argv[1] === fileURLToPath(import.meta.url)) writeFileSync(VECTORS_PATH, serializeVectors());
