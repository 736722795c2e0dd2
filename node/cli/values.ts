// The kinds of value a command-line flag or a config-file field can hold, each declared once: the
// zod schema a JSON value must pass, how a flag's string becomes that JSON value, and the
// "expected ..." text every error about it ends with. The node, the solver and the devnet use these
// (cli/program.ts), so `--rpc-url` or `--api-port` means and checks the same thing everywhere.
import { multiaddr } from '@multiformats/multiaddr';
import { isAddress, type Address, type Hex } from 'viem';
import { z } from 'zod';

export type Kind<T> = {
  /** The JSON value in a config file (and a flag's value after `fromString`). */
  schema: z.ZodType<T>;
  /** A flag's (or environment variable's) string as the JSON value it stands for; invalid text passes through and fails `schema`. */
  fromString: (s: string) => unknown;
  /** What a valid value looks like, for help and errors. */
  expected: string;
  /** The flag's placeholder in --help, e.g. `n` in `--api-port <n>`. */
  placeholder: string;
  /** Never echo the value in an error (private keys). */
  secret?: boolean;
  /** The allowed words, for --help. */
  choices?: readonly string[];
};

const fail = (expected: string): { error: string } => ({ error: `expected ${expected}` });
const same = (s: string): unknown => s;

/** A safe integer in [min, max]; flags take plain decimal digits only (no 1e3, no 0x10, no empty string). */
export function int(min: number, max = Number.MAX_SAFE_INTEGER, placeholder = 'n'): Kind<number> {
  const expected = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
  return {
    schema: z.number(fail(expected)).refine((n) => Number.isSafeInteger(n) && n >= min && n <= max, fail(expected)),
    fromString: (s) => (/^[+-]?\d+$/.test(s) ? Number(s) : s),
    expected,
    placeholder,
  };
}

/** A finite decimal number greater than `above` (e.g. a rate that may be 0.5). */
export function positive(above = 0, placeholder = 'x'): Kind<number> {
  const expected = `a number > ${above}`;
  return {
    schema: z.number(fail(expected)).refine((n) => Number.isFinite(n) && n > above, fail(expected)),
    fromString: (s) => (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(s) ? Number(s) : s),
    expected,
    placeholder,
  };
}

export const bool: Kind<boolean> = {
  schema: z.boolean(fail('true or false')),
  fromString: (s) => (s === 'true' ? true : s === 'false' ? false : s),
  expected: 'true or false',
  placeholder: 'bool',
};

/** A non-empty string: a file or directory path, a host name. */
export function text(expected = 'a non-empty string', placeholder = 'value'): Kind<string> {
  return { schema: z.string(fail(expected)).min(1, fail(expected)), fromString: same, expected, placeholder };
}

export const path = (placeholder = 'path'): Kind<string> => text('a non-empty path', placeholder);

/** A 20-byte hex address; mixed case must carry a valid EIP-55 checksum (a typo in one is caught). */
export const address: Kind<Address> = {
  schema: z.custom<Address>(
    (v) => typeof v === 'string' && isAddress(v, { strict: true }),
    fail('a 20-byte hex address: 0x + 40 hex digits (mixed case only with a valid EIP-55 checksum)'),
  ),
  fromString: same,
  expected: 'a 20-byte hex address: 0x + 40 hex digits (mixed case only with a valid EIP-55 checksum)',
  placeholder: 'address',
};

/** secp256k1 group order: a private key is in [1, N). */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

export const privateKey: Kind<Hex> = {
  schema: z.custom<Hex>(
    (v) => typeof v === 'string' && /^0x[0-9a-fA-F]{64}$/.test(v) && BigInt(v) > 0n && BigInt(v) < SECP256K1_N,
    fail('a secp256k1 private key: 0x + 64 hex digits, not zero'),
  ),
  fromString: same,
  expected: 'a secp256k1 private key: 0x + 64 hex digits, not zero',
  placeholder: 'hex',
  secret: true,
};

/** An http:// or https:// URL (viem's HTTP transport; the node's API). */
export const httpUrl: Kind<string> = {
  schema: z.custom<string>((v) => {
    if (typeof v !== 'string') return false;
    try {
      const u = new URL(v);
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
    } catch {
      return false;
    }
  }, fail('an http(s) URL such as http://127.0.0.1:8545')),
  fromString: same,
  expected: 'an http(s) URL such as http://127.0.0.1:8545',
  placeholder: 'url',
};

function isMultiaddr(v: unknown, peer: boolean): boolean {
  if (typeof v !== 'string') return false;
  try {
    const m = multiaddr(v);
    return !peer || m.getComponents().some((c) => c.name === 'p2p');
  } catch {
    return false;
  }
}

/** A libp2p multiaddr such as /ip4/0.0.0.0/tcp/9000. */
export const listenAddr: Kind<string> = {
  schema: z.custom<string>((v) => isMultiaddr(v, false), fail('a multiaddr such as /ip4/0.0.0.0/tcp/9000')),
  fromString: same,
  expected: 'a multiaddr such as /ip4/0.0.0.0/tcp/9000',
  placeholder: 'multiaddr',
};

/** A peer's full multiaddr, ending in /p2p/<peer id>. */
export const peerAddr: Kind<string> = {
  schema: z.custom<string>(
    (v) => isMultiaddr(v, true),
    fail('a multiaddr with the peer id, such as /ip4/127.0.0.1/tcp/9000/p2p/12D3KooW…'),
  ),
  fromString: same,
  expected: 'a multiaddr with the peer id, such as /ip4/127.0.0.1/tcp/9000/p2p/12D3KooW…',
  placeholder: 'multiaddr',
};

/** One of a fixed set of words. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T, placeholder = 'name'): Kind<T[number]> {
  const expected = `one of ${values.join(', ')}`;
  return {
    schema: z.enum(values, fail(expected)) as unknown as z.ZodType<T[number]>,
    fromString: same,
    expected,
    placeholder,
    choices: values,
  };
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const logLevel: Kind<LogLevel> = oneOf(LOG_LEVELS, 'level');

/** A value only a config file can hold (an object or a list of them): no flag form. */
export function fileOnly<T>(schema: z.ZodType<T>, expected: string): Kind<T> {
  return { schema, fromString: same, expected, placeholder: 'json' };
}
