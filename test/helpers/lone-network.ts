// A lone wallet on the real network, for the end-to-end tests of one trader against the perp
// vault: anvil with the devnet's contracts (`npm start`'s deployment), one node process and one
// optimal solver process, and no price feeder (the tests move prices themselves). Registers the
// suite's beforeAll / afterAll; the network and wallet exist once beforeAll has run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { clearingHouseAbi } from '../../contracts/artifacts/ClearingHouse.ts';
import { startNetwork, type Network } from '../../devnet/network.ts';
import { fundWallets, makeWallets, type Wallet } from '../../devnet/traffic.ts';

export type LoneNetwork = {
  readonly net: Network;
  readonly wallet: Wallet;
  /** The wallet's position size in `market` now. */
  held(market: number): Promise<bigint>;
};

export function useLoneNetwork(prefix: string, auctionIntervalMs: number): LoneNetwork {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  let net: Network | undefined;
  let wallet: Wallet | undefined;
  beforeAll(async () => {
    net = await startNetwork({
      dataDir: dir,
      log: pino({ level: 'silent' }),
      nodes: 1,
      solvers: ['optimal'],
      auctionIntervalMs,
      feederMs: 0,
    });
    [wallet] = makeWallets(`${prefix}-${Date.now()}`, 1) as [Wallet];
    await fundWallets(net.clients, net.deployment, [wallet]);
  }, 180_000);
  afterAll(async () => {
    await net?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const lone: LoneNetwork = {
    get net() {
      if (!net) throw new Error('the network starts in beforeAll');
      return net;
    },
    get wallet() {
      if (!wallet) throw new Error('the wallet is made in beforeAll');
      return wallet;
    },
    held: async (market) =>
      (
        await lone.net.clients.publicClient.readContract({
          address: lone.net.deployment.clearingHouse,
          abi: clearingHouseAbi,
          functionName: 'position',
          args: [lone.wallet.account.address, market],
        })
      ).size,
  };
  return lone;
}
