// Submission: simulation of settle (eth_call at the latest block) with the custom error decoded,
// the gas estimate, and the transaction sent as the bonded solver with our own nonce; fee
// replacement when a transaction is stuck, and a lost race (another solver filled these intents
// first) detected and dropped cleanly.
import {
  encodeFunctionData,
  parseEventLogs,
  type Account,
  type Address,
  type Chain,
  type Hash,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
  type Transport,
  type WalletClient,
} from 'viem';
import type { Logger } from 'pino';
import { settlementAbi } from '../../contracts/artifacts/Settlement.ts';
import type { SettleBatch } from '../../contracts/client/settlement.ts';
import { decodeRevert, LOST_RACE_ERRORS, type DecodedRevert } from './revert.ts';

const settleCalldata = (batch: SettleBatch): Hex => encodeFunctionData({ abi: settlementAbi, functionName: 'settle', args: [batch] });

export type SimulationResult = { ok: true; gas: bigint } | { ok: false; revert: DecodedRevert; lostRace: boolean };

export type SubmitOutcome =
  | { status: 'settled'; hash: Hash; receipt: TransactionReceipt; gasUsed: bigint; replacements: number }
  | { status: 'lost_race'; reason: string; hash?: Hash }
  | { status: 'reverted'; revert: DecodedRevert; hash?: Hash }
  | { status: 'failed'; reason: string };

type SubmitterOptions = {
  publicClient: PublicClient;
  wallet: WalletClient<Transport, Chain, Account>;
  settlement: Address;
  log: Logger;
  /** A transaction not mined after this long is replaced with higher fees. Default 12 s (one slot). */
  stuckAfterMs?: number;
};

/** Fee increase per replacement, percent (nodes require >= 10). */
const BUMP_PERCENT = 15n;
/** Replacements before giving up. */
const MAX_REPLACEMENTS = 4;
/** Gas limit = estimate * (100 + margin) / 100. */
const GAS_MARGIN_PERCENT = 20n;
/** Receipt polling interval. */
const POLL_MS = 50;
/** Gas limit used when eth_estimateGas fails but the eth_call succeeds. */
const FALLBACK_GAS = 3_000_000n;

/**
 * Submits settle transactions as one bonded solver. Nonces are tracked locally (initialised from
 * the pending count, so a restart picks up where the chain is) and serialised: one bundle in
 * flight at a time.
 */
export class BundleSubmitter {
  private readonly o: Required<SubmitterOptions>;
  private nonce: number | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(o: SubmitterOptions) {
    this.o = { stuckAfterMs: 12_000, ...o };
  }

  get account(): Address {
    return this.o.wallet.account.address;
  }

  /**
   * eth_call of settle at the latest mined block as this solver, then eth_estimateGas at the same
   * block. The block is pinned by number: some nodes (anvil without automine) answer "latest" and
   * especially a missing block tag from the pending state, where our own pending bundle would make
   * the bundle look already filled.
   */
  async simulate(batch: SettleBatch, options: { estimate?: boolean } = {}): Promise<SimulationResult> {
    const { publicClient, settlement } = this.o;
    try {
      const blockNumber = await publicClient.getBlockNumber({ cacheTime: 0 });
      const call = {
        account: this.o.wallet.account,
        address: settlement,
        abi: settlementAbi,
        functionName: 'settle' as const,
        args: [batch] as const,
        blockNumber,
      };
      await publicClient.simulateContract(call);
      if (options.estimate === false) return { ok: true, gas: 0n };
      // anvil answers eth_estimateGas from the pending state whatever the block parameter says: a
      // competitor's pending bundle (or our own) can make it fail although the call at the latest
      // block succeeds. The eth_call is authoritative; fall back to a fixed limit then.
      let gas: bigint;
      try {
        gas = await publicClient.estimateContractGas(call);
      } catch (e) {
        this.o.log.info({ event: 'bundle_estimate_failed', error: decodeRevert(e).errorName, fallbackGas: FALLBACK_GAS.toString() });
        gas = FALLBACK_GAS;
      }
      return { ok: true, gas };
    } catch (e) {
      const revert = decodeRevert(e);
      return { ok: false, revert, lostRace: LOST_RACE_ERRORS.has(revert.errorName) };
    }
  }

  /**
   * Simulates, then sends; serialised with any other submission of this submitter. `gasLimit`: a
   * known upper bound of the settle's gas (protocol/batch-gas.ts) used as the limit instead of
   * eth_estimateGas, which executes the whole batch a second time just before it is sent.
   */
  submit(batch: SettleBatch, o: { gasLimit?: bigint } = {}): Promise<SubmitOutcome> {
    const run = this.queue.then(() => this.submitNow(batch, o.gasLimit));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async fees(): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
    const f = await this.o.publicClient.estimateFeesPerGas();
    return { maxFeePerGas: f.maxFeePerGas!, maxPriorityFeePerGas: f.maxPriorityFeePerGas! };
  }

  private async submitNow(batch: SettleBatch, gasLimit?: bigint): Promise<SubmitOutcome> {
    const { publicClient, wallet, settlement } = this.o;
    const log = this.o.log;
    const sim = await this.simulate(batch, { estimate: gasLimit === undefined });
    if (!sim.ok) {
      log[sim.lostRace ? 'info' : 'warn']({
        event: sim.lostRace ? 'bundle_lost_race' : 'bundle_simulation_reverted',
        auctionId: batch.auctionId.toString(),
        error: sim.revert.errorName,
        args: sim.revert.args.map(String),
      });
      return sim.lostRace
        ? { status: 'lost_race', reason: `${sim.revert.errorName} in simulation` }
        : { status: 'reverted', revert: sim.revert };
    }
    const gas = gasLimit ?? (sim.gas * (100n + GAS_MARGIN_PERCENT)) / 100n;
    const data = settleCalldata(batch);
    if (this.nonce === undefined) this.nonce = await publicClient.getTransactionCount({ address: this.account, blockTag: 'pending' });
    const nonce = this.nonce;
    let fees = await this.fees();
    const hashes: Hash[] = [];
    let cancelled = false;
    const send = async (to: Address, payload: Hex, gasLimit: bigint): Promise<Hash> => {
      const hash = await wallet.sendTransaction({
        to,
        data: payload,
        gas: gasLimit,
        nonce,
        ...fees,
        chain: wallet.chain,
        account: wallet.account,
      });
      hashes.push(hash);
      return hash;
    };
    try {
      const first = await send(settlement, data, gas);
      log.info({
        event: 'bundle_sent',
        auctionId: batch.auctionId.toString(),
        hash: first,
        nonce,
        gas: gas.toString(),
        trades: batch.trades.length,
      });
    } catch (e) {
      // the nonce may have been taken by a transaction we do not know about: resync next time
      this.nonce = undefined;
      return { status: 'failed', reason: `send failed: ${(e as Error).message.split('\n')[0]}` };
    }
    this.nonce = nonce + 1;
    for (let attempt = 0; ; attempt++) {
      const receipt = await this.waitAny(hashes, this.o.stuckAfterMs);
      if (receipt) {
        if (cancelled || receipt.to?.toLowerCase() !== settlement.toLowerCase()) {
          log.info({ event: 'bundle_dropped', hash: receipt.transactionHash, reason: 'replaced by a cancel after a lost race' });
          return {
            status: 'lost_race',
            reason: 'cancelled a stuck bundle whose intents were filled by another solver',
            hash: receipt.transactionHash,
          };
        }
        if (receipt.status === 'success') {
          const settled = parseEventLogs({ abi: settlementAbi, logs: receipt.logs, eventName: 'Settled' });
          log.info({
            event: 'bundle_settled',
            hash: receipt.transactionHash,
            gasUsed: receipt.gasUsed.toString(),
            replacements: hashes.length - 1,
            settled: settled.length,
          });
          return { status: 'settled', hash: receipt.transactionHash, receipt, gasUsed: receipt.gasUsed, replacements: hashes.length - 1 };
        }
        // mined but reverted: find out why by replaying the call at the parent block state
        const again = await this.simulate(batch, { estimate: false });
        const revert = again.ok ? { errorName: 'Unknown', args: [], message: 'reverted on chain but simulates fine now' } : again.revert;
        const lost = !again.ok && again.lostRace;
        log.warn({ event: lost ? 'bundle_lost_race' : 'bundle_reverted', hash: receipt.transactionHash, error: revert.errorName });
        return lost
          ? { status: 'lost_race', reason: `${revert.errorName} on chain`, hash: receipt.transactionHash }
          : { status: 'reverted', revert, hash: receipt.transactionHash };
      }
      if (attempt >= MAX_REPLACEMENTS) {
        log.warn({ event: 'bundle_stuck', hashes, nonce });
        return { status: 'failed', reason: `not mined after ${hashes.length} attempts` };
      }
      // Stuck. Before paying more, check the bundle is still worth sending.
      const check = await this.simulate(batch, { estimate: false });
      const bump = (x: bigint) => (x * (100n + BUMP_PERCENT)) / 100n + 1n;
      const current = await this.fees();
      fees = {
        maxFeePerGas: [bump(fees.maxFeePerGas), current.maxFeePerGas].reduce((a, b) => (a > b ? a : b)),
        maxPriorityFeePerGas: [bump(fees.maxPriorityFeePerGas), current.maxPriorityFeePerGas].reduce((a, b) => (a > b ? a : b)),
      };
      if (fees.maxPriorityFeePerGas > fees.maxFeePerGas) fees.maxFeePerGas = fees.maxPriorityFeePerGas;
      try {
        if (!check.ok && check.lostRace) {
          // Someone else settled: replace our pending bundle with a 0-value self-transfer (cheap cancel).
          cancelled = true;
          const h = await send(this.account, '0x', 21_000n);
          log.info({ event: 'bundle_cancel_sent', hash: h, nonce, error: check.revert.errorName, args: check.revert.args.map(String) });
        } else {
          const h = await send(settlement, data, gas);
          log.info({
            event: 'bundle_fee_bumped',
            hash: h,
            nonce,
            maxFeePerGas: fees.maxFeePerGas.toString(),
            maxPriorityFeePerGas: fees.maxPriorityFeePerGas.toString(),
          });
        }
      } catch (e) {
        const msg = (e as Error).message;
        // "nonce too low": one of our earlier transactions was mined in the meantime; the loop picks it up.
        log.info({ event: 'bundle_replacement_refused', error: msg.split('\n')[0] });
      }
    }
  }

  /** Waits up to `ms` for any of the hashes to be mined; returns its receipt. */
  private async waitAny(hashes: Hash[], ms: number): Promise<TransactionReceipt | undefined> {
    const deadline = Date.now() + ms;
    for (;;) {
      for (const hash of hashes) {
        const r = await this.o.publicClient.getTransactionReceipt({ hash }).catch(() => undefined);
        if (r) return r;
      }
      if (Date.now() >= deadline) return undefined;
      await new Promise((res) => setTimeout(res, POLL_MS));
    }
  }
}
