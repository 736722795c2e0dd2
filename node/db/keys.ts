// Every namespace of the node's level database, declared once. Keys and values are utf8; a key is
// its namespace's prefix followed by the namespace's id. Each namespace belongs to exactly one
// repository in this folder, and nothing outside node/db builds keys or scans ranges.
//
//   i:<digest>                        intent record (JSON PoolRecord)              intents.ts
//   o:<owner>:<digest>                '' : owner index, every state                  intents.ts
//   x:<validTo, 10 digits>:<digest>   '' : expiry index, live intents only           intents.ts
//   c:<digest>                        the owner's signed cancel (65-byte hex)        cancels.ts
//   a:<auction id, 15 digits>         auction record: intent ids and ranking (JSON)  auctions.ts
//   a:settled:<id, 15 digits>:<solver> one winner's on-chain settlement (JSON)      auctions.ts
//   s:<solver address>                solver record (JSON)                           solvers.ts
//   w:cursor                          the chain watcher's last applied block (JSON)  chain-blocks.ts
//   w:b:<block number, 12 digits>     undo record of an applied block (JSON)         chain-blocks.ts
//
// Digests and addresses are lower-case 0x-hex. Numbers are zero-padded so that the byte order of
// keys is their numeric order: expiry scans stop at "now", auction scans run newest first.
import type { Address, Hex } from 'viem';

/** The prefix of each namespace. `a:settled:` shares `a:` with auction records; see `ranges.auctions`. */
export const Namespace = {
  intent: 'i:',
  intentByOwner: 'o:',
  intentByExpiry: 'x:',
  cancel: 'c:',
  auction: 'a:',
  auctionSettlement: 'a:settled:',
  solver: 's:',
  chainCursor: 'w:cursor',
  chainBlock: 'w:b:',
} as const;

/** A key range for level iterators. */
export type KeyRange = { gte: string; lt: string };

const pad = (n: number, width: number): string => n.toString().padStart(width, '0');

/** Every key that starts with `prefix`: the next character after the last one bounds it. */
function prefixRange(prefix: string): KeyRange {
  const last = prefix.charCodeAt(prefix.length - 1);
  return { gte: prefix, lt: `${prefix.slice(0, -1)}${String.fromCharCode(last + 1)}` };
}

export const keys = {
  intent: (digest: Hex): string => `${Namespace.intent}${digest}`,
  intentByOwner: (owner: Address, digest: Hex): string => `${Namespace.intentByOwner}${owner}:${digest}`,
  intentByExpiry: (validTo: number, digest: Hex): string => `${Namespace.intentByExpiry}${pad(validTo, 10)}:${digest}`,
  cancel: (digest: Hex): string => `${Namespace.cancel}${digest}`,
  auction: (id: number): string => `${Namespace.auction}${pad(id, 15)}`,
  auctionSettlement: (id: number, solver: Address): string => `${Namespace.auctionSettlement}${pad(id, 15)}:${solver}`,
  solver: (solver: Address): string => `${Namespace.solver}${solver}`,
  chainCursor: (): string => Namespace.chainCursor,
  chainBlock: (n: number): string => `${Namespace.chainBlock}${pad(n, 12)}`,
};

export const ranges = {
  intents: (): KeyRange => prefixRange(Namespace.intent),
  intentsOf: (owner: Address): KeyRange => prefixRange(`${Namespace.intentByOwner}${owner}:`),
  /** Expiry index entries of intents whose validTo is before `nowSec`. */
  expiringBefore: (nowSec: number): KeyRange => ({ gte: Namespace.intentByExpiry, lt: `${Namespace.intentByExpiry}${pad(nowSec, 10)}` }),
  cancels: (): KeyRange => prefixRange(Namespace.cancel),
  /** Auction records only: their ids are digits, which sort before ':', so `a:settled:` stays out. */
  auctions: (): KeyRange => ({ gte: `${Namespace.auction}0`, lt: `${Namespace.auction}:` }),
  solvers: (): KeyRange => prefixRange(Namespace.solver),
  /** Every settlement of one auction (one per settling solver). */
  auctionSettlements: (id: number): KeyRange => prefixRange(`${Namespace.auctionSettlement}${pad(id, 15)}:`),
};

/** The id part of a key, for namespaces whose id is the key's tail. */
export const idOf = {
  intent: (key: string): Hex => key.slice(Namespace.intent.length) as Hex,
  /** The digest at the end of an owner or expiry index key. */
  indexedDigest: (key: string): Hex => key.slice(key.lastIndexOf(':') + 1) as Hex,
  cancel: (key: string): Hex => key.slice(Namespace.cancel.length) as Hex,
};
