/// <reference lib="dom" />
// Small display helpers for the trade page: amounts, hashes, DOM building.
import { formatUnits, type Hex, maxUint256, parseUnits } from 'viem';

/** Base units to a readable decimal, at most `digits` decimals (trailing zeros dropped). */
export function amount(v: bigint | string, decimals: number, digits = 6): string {
  const s = formatUnits(BigInt(v), decimals);
  const [int, frac = ''] = s.split('.');
  const f = frac.slice(0, digits).replace(/0+$/, '');
  return f ? `${int}.${f}` : (int ?? '0');
}

/** An allowance, with "unlimited" for approve(max)-sized ones. */
export const allowance = (v: bigint, decimals: number): string => (v >= maxUint256 / 2n ? 'unlimited' : amount(v, decimals));

/** A decimal the user typed, in base units; throws a readable error. */
export function parseAmount(text: string, decimals: number, what: string): bigint {
  const t = text.trim();
  if (!/^\d+(\.\d+)?$/.test(t)) throw new Error(`${what}: enter a number like 12.5`);
  return parseUnits(t, decimals);
}

export const short = (h: string): string => `${h.slice(0, 8)}…${h.slice(-6)}`;

export const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} missing`);
  return e as T;
};

/** An element with text and attributes. */
export function el(tag: string, text = '', attrs: Record<string, string> = {}): HTMLElement {
  const e = document.createElement(tag);
  e.textContent = text;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

/** A table row of cells (strings or elements); the cells at `num` are right-aligned numbers. */
export function row(cells: (string | HTMLElement)[], attrs: Record<string, string> = {}, num: readonly number[] = []): HTMLTableRowElement {
  const tr = el('tr', '', attrs) as HTMLTableRowElement;
  for (const [i, c] of cells.entries()) {
    const td = document.createElement('td');
    if (num.includes(i)) td.className = 'num';
    if (typeof c === 'string') td.textContent = c;
    else td.append(c);
    tr.append(td);
  }
  return tr;
}

/** Unix seconds the input `id`'s whole minutes (1 to 30 days) from now. */
export function expiry(id: string): number {
  const minutes = Number($<HTMLInputElement>(id).value);
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 60 * 24 * 30) throw new Error('expiry: whole minutes, 1 to 43200');
  return Math.floor(Date.now() / 1000) + minutes * 60;
}

/** Nonces are unordered bits on chain: a random 64-bit one never collides in practice. */
export function randomNonce(): bigint {
  const b = crypto.getRandomValues(new Uint32Array(2));
  return (BigInt(b[0]!) << 32n) | BigInt(b[1]!);
}

export const txCell = (hash: Hex): HTMLElement => el('span', short(hash), { class: 'tx', title: hash });
