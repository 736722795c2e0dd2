// The trade page: a wallet user's page (connect an EIP-1193 wallet, deposit margin, quote, sign and
// follow swap and position intents), served at GET /trade by every node, and GET /v1/markets, the
// market parameters its margin preview needs (documented in node/openapi.json).
//
// The page's TypeScript (node/api/trade/app.ts and its modules) imports protocol/ (EIP-712 types,
// margin maths, NodeApi) and viem, so it is bundled for the browser with rolldown: once, at the
// first request for it, kept in memory; nothing is written to disk.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Address } from 'viem';
import type { MarketsResponse, TokenListing } from '../../protocol/api.ts';
import type { ChainActivity } from '../chain/activity.ts';
import type { Logger } from '../log.ts';
import { cached, json, raw, type Route } from './http.ts';

export type TradeDeps = {
  chainId: number;
  settlement: Address;
  /** The chain reads; absent when the node runs without --rpc-url. */
  chain?: ChainActivity;
  /** The tokens the swap form offers: those the node's auctions price (config referencePrices). */
  tokens: readonly string[];
  log: Logger;
};

const STATIC: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

/** How long one GET /v1/markets answer is reused (the page refreshes once a second). */
const MARKETS_CACHE_MS = 1_000;

const firstLine = (e: unknown): string => (e as Error).message.split('\n')[0] ?? 'error';

/** Bundles node/api/trade/app.ts and what it imports into one browser ES module. */
export async function bundleTradeApp(): Promise<string> {
  const { rolldown } = await import('rolldown');
  const input = fileURLToPath(new URL('./trade/app.ts', import.meta.url));
  const bundle = await rolldown({ input, platform: 'browser', logLevel: 'silent' });
  try {
    // one file: viem's lazily imported modules (CCIP read) go inline instead of into chunks
    const { output } = await bundle.generate({ format: 'esm', minify: true, codeSplitting: false });
    return output[0].code;
  } finally {
    await bundle.close();
  }
}

export function tradeRoutes(d: TradeDeps): Route[] {
  const dir = new URL('./trade/', import.meta.url);
  let app: Promise<string> | undefined;
  const appJs = (): Promise<string> => {
    app ??= bundleTradeApp().catch((e: unknown) => {
      app = undefined;
      d.log.error({ event: 'trade_bundle_failed', err: firstLine(e) });
      throw e;
    });
    return app;
  };

  const tokens = async (): Promise<TokenListing[]> => {
    const { chain } = d;
    if (!chain) return [];
    const rows = await Promise.all(
      d.tokens.map(async (a) => {
        const t = await chain.token(a);
        return t ? { address: a.toLowerCase() as Address, ...t } : undefined;
      }),
    );
    return rows.filter((t): t is TokenListing => t !== undefined);
  };

  const markets = async (): Promise<MarketsResponse> => {
    const base = { chainId: d.chainId, settlement: d.settlement };
    const { chain } = d;
    if (!chain) return { available: false, reason: 'the node runs without --rpc-url', ...base, vault: null, tokens: [] };
    try {
      const [list, perp, vault] = await Promise.all([tokens(), chain.markets(), chain.settlementVault()]);
      if (!perp) return { available: false, reason: 'the settlement has no clearing house', ...base, vault, tokens: list };
      const c = await chain.token(perp.collateral);
      if (!c) return { available: false, reason: 'the collateral token has no symbol/decimals', ...base, vault, tokens: list };
      return {
        available: true,
        ...base,
        vault,
        clearingHouse: perp.clearingHouse,
        collateral: { address: perp.collateral, ...c },
        markets: perp.markets,
        tokens: list,
      };
    } catch (e) {
      return { available: false, reason: `RPC: ${firstLine(e)}`, ...base, vault: null, tokens: [] };
    }
  };

  // Every open trade page asks once a second; one answer serves them all for a second.
  const currentMarkets = cached(MARKETS_CACHE_MS, markets);

  const page = async (file: string) => raw(await readFile(new URL(file, dir)), STATIC[file]!, 'no-cache');

  return [
    { method: 'GET', pattern: /^\/trade\/?$/, name: 'trade', handle: () => page('index.html') },
    { method: 'GET', pattern: /^\/trade\/style\.css$/, name: 'trade_asset', handle: () => page('style.css') },
    {
      method: 'GET',
      pattern: /^\/trade\/app\.js$/,
      name: 'trade_app',
      handle: async () => raw(await appJs(), 'text/javascript; charset=utf-8', 'no-cache'),
    },
    { method: 'GET', pattern: /^\/v1\/markets$/, name: 'markets', handle: async () => json<MarketsResponse>(await currentMarkets()) },
  ];
}
