// The solver process: attach to a node's HTTP API (infra/node-client.ts), and for each auction:
// refresh pool state from the chain, solve (domain/solve-auction.ts), find a bundle that simulates
// cleanly (isolate.ts: the intents a revert blames are dropped and the rest re-solved, so one bad
// intent never blocks the others), sign it with the protocol codec, publish it, and submit the
// bundle on chain if the node network ranked it first, or, ranked lower, in its own settle
// window if the auction is still unsettled then (runner-up.ts).
import type { Account, Address, Chain, Hex, PublicClient, Transport, WalletClient } from 'viem';
import { zeroAddress } from 'viem';
import type { Logger } from 'pino';
import type { AuctionResponse } from '../../protocol/api.ts';
import type { SignedIntent } from '../../protocol/intent.ts';
import type { Auction, AuctionIntent } from '../../protocol/score.ts';
import type { Solution } from '../../protocol/solution.ts';
import type { SettleBatch } from '../../contracts/client/settlement.ts';
import type { Strategy } from '../domain/options.ts';
import { loadMilp } from '../domain/milp/highs.ts';
import { type PositionState, solveAuction } from '../domain/solve-auction.ts';
import { decodeAuction } from '../infra/auction-decoder.ts';
import { ChainLiquidity } from '../infra/chain-liquidity.ts';
import { NodeClient } from '../infra/node-client.ts';
import type { PoolSpec } from '../infra/pool-reader.ts';
import { readPositionState, vaultLiquidity } from '../infra/perp-state.ts';
import { clearingHouseOf, ensureBond, usedNonces } from '../infra/settlement.ts';
import { isolate, isolationLogFields } from './isolate.ts';
import type { AuctionOutcome } from './outcome.ts';
import { settleAsRunnerUp } from './runner-up.ts';
import { signSolution } from './sign.ts';
import { BundleSubmitter } from './submitter.ts';

type SolverOptions = {
  strategy: Strategy;
  privateKey: Hex;
  nodeUrl: string;
  publicClient: PublicClient;
  wallet: WalletClient<Transport, Chain, Account>;
  pools: PoolSpec[];
  log: Logger;
  pollMs?: number;
  /** Gossip publisher for the signed solution bytes: the fallback for a node without POST /v1/solutions. */
  gossip?: (bytes: Uint8Array) => Promise<void>;
  /** Bond `minBond` at start when the key is not a bonded solver yet. */
  bond?: boolean;
  /** Settle simulations per auction spent finding the intents that make a batch revert (isolate.ts). Default 12. */
  maxSimulations?: number;
  /** The perp liquidity vault to take markets' net remainders against (absent: users match users only). */
  perpVault?: Address;
  /** Added to the vault's spread (1e18 fraction) so its quote survives an oracle round before the batch lands. */
  perpVaultMargin?: bigint;
};

type Published = { batch: SettleBatch; hash: Hex; ids: Hex[]; solution: Solution; signed: Map<Hex, SignedIntent> };

/** Solve budget (ms) of a re-solve during isolation (the first solve has the engine's default). */
const RESOLVE_BUDGET_MS = 200;
export class SolverProcess {
  private readonly o: SolverOptions;
  private readonly node: NodeClient;
  private chain?: ChainLiquidity;
  private submitter?: BundleSubmitter;
  private chainId = 0;
  private settlement: Address = zeroAddress;
  private lastAuction = -1;
  private stopped = false;
  private clearingHouse: Address = zeroAddress;
  private lock: Promise<void> = Promise.resolve();
  /** Solves whose joint solve had no candidate (logged as `joint_failed`), since the process started. */
  jointFailures = 0;
  /** Intent id -> our solutions holding it that are not finished yet. */
  private readonly pending = new Map<Hex, number>();
  /** Our published solutions not yet ranked-and-settled: auction id -> ranking due (ms). */
  private readonly unresolved = new Map<number, number>();

  constructor(o: SolverOptions) {
    this.o = o;
    this.node = new NodeClient(o.nodeUrl);
  }

  get address(): Address {
    return this.o.wallet.account.address;
  }

  async init(): Promise<void> {
    // the engine solves synchronously; its MILP stage needs HiGHS loaded before the first auction
    if (this.o.strategy !== 'baseline') await loadMilp();
    const health = await this.node.health();
    this.chainId = health.chainId;
    this.settlement = health.settlement;
    const rpcChain = await this.o.publicClient.getChainId();
    if (rpcChain !== health.chainId) throw new Error(`RPC is chain ${rpcChain}, the node is on ${health.chainId}`);
    if (this.o.bond) {
      const bonded = await ensureBond(this.o.publicClient, this.o.wallet, this.settlement);
      if (bonded) this.o.log.info({ event: 'solver_bonded', solver: this.address, bond: bonded.bond.toString(), tx: bonded.tx });
    }
    this.clearingHouse = await clearingHouseOf(this.o.publicClient, this.settlement);
    this.chain = await ChainLiquidity.load(this.o.publicClient, this.o.pools);
    this.submitter = new BundleSubmitter({
      publicClient: this.o.publicClient,
      wallet: this.o.wallet,
      settlement: this.settlement,
      log: this.o.log,
    });
    this.o.log.info({
      event: 'solver_attached',
      node: this.o.nodeUrl,
      peerId: health.peerId,
      chainId: this.chainId,
      settlement: this.settlement,
      solver: this.address,
      strategy: this.o.strategy,
      pools: this.o.pools.length,
      block: this.chain.block.toString(),
    });
  }

  /** The chain's view of the auction's perp markets: marks, bands, the vault, reduce-only accounts' positions. */
  private async positionState(auction: Auction, blockNumber: bigint): Promise<PositionState> {
    if (this.clearingHouse === zeroAddress) return { markets: new Map(), positions: new Map() };
    return readPositionState(this.o.publicClient, this.clearingHouse, this.o.perpVault, auction, blockNumber, this.o.perpVaultMargin);
  }

  /** Publishes the signed solution: the node's HTTP route if it has one, else the gossip publisher. */
  private async publish(bytes: Uint8Array): Promise<boolean> {
    try {
      const res = await this.node.postSolution(bytes);
      if (res.accepted) return true;
      if (res.status !== 404 && res.status !== 405) this.o.log.warn({ event: 'solution_refused', status: res.status, body: res.body });
    } catch (e) {
      this.o.log.warn({ event: 'solution_post_failed', error: (e as Error).message });
    }
    if (this.o.gossip) {
      await this.o.gossip(bytes);
      return true;
    }
    this.o.log.warn({
      event: 'solution_not_published',
      reason: 'the node accepts solutions only over gossip (/solutions topic) and no gossip publisher is configured',
    });
    return false;
  }

  /** Handles one auction end to end; returns what happened. */
  async runAuction(a: AuctionResponse): Promise<AuctionOutcome> {
    const auctionId = a.id;
    // Solving is one at a time (pool state, nonce); waiting for the ranking and settling is not,
    // so the solver takes part in every auction while an earlier bundle is still pending.
    const prep = await this.exclusive(() => this.solveAndPublish(a));
    if ('status' in prep) return prep;
    const { batch, hash, ids, solution, signed } = prep;
    this.unresolved.set(auctionId, Date.parse(a.solveDeadline));
    try {
      return await this.awaitRanking(a, batch, hash, solution, signed);
    } finally {
      this.unresolved.delete(auctionId);
      for (const id of ids) {
        const n = (this.pending.get(id) ?? 1) - 1;
        if (n > 0) this.pending.set(id, n);
        else this.pending.delete(id);
      }
    }
  }

  private async solveAndPublish(a: AuctionResponse): Promise<AuctionOutcome | Published> {
    const auctionId = a.id;
    // Our solution for an earlier auction whose ranking is due now may win and change pool state:
    // solving on the state before that bundle would plan exact pool outputs that revert
    // (UniswapV2: K). Wait (bounded) until those are ranked and, if won, mined.
    const waitUntil = Date.now() + 5000;
    while ([...this.unresolved.values()].some((d) => d <= Date.now() + 100) && Date.now() < waitUntil)
      await new Promise((r) => setTimeout(r, 25));
    const { auction, signed } = decodeAuction(a, this.chainId, this.settlement);
    const intents = auction.intents as Map<Hex, AuctionIntent>;
    // intents in our own solutions still waiting for a ranking or a receipt belong to those
    for (const id of this.pending.keys()) intents.delete(id);
    // pool state and every other read at one block (the client's cached block number can lag
    // behind a bundle mined a moment ago, and exact pool outputs planned on stale reserves revert)
    const block = await this.o.publicClient.getBlock();
    await this.chain!.refresh(block.number);
    // Intents already filled (or cancelled) on chain but still open at the node (its watcher lags a
    // block or two) would make the whole bundle revert: leave out every fill-or-kill intent whose
    // nonce bit is set at this block.
    const fok = [...intents.values()].filter((e) => e.intent.type === 'position' || !e.intent.intent.partiallyFillable);
    if (fok.length) {
      const used = await usedNonces(
        this.o.publicClient,
        this.settlement,
        fok.map((e) => e.intent),
        block.number,
      );
      fok.forEach((e, k) => {
        if (used[k]) intents.delete(e.id);
      });
    }
    // Settle reverts TokenBalanceDecreased on any net outflow of a batch token, so the Settlement's
    // own balances cannot absorb a shortfall: solve with no buffers (what the Settlement holds
    // stays a dust buffer for rounding inside the pools' exact outputs, never spent).
    const gasPrice = await this.o.publicClient.getGasPrice();
    const now = Number(block.timestamp);
    const positionState = await this.positionState(auction, block.number);
    let solved = false;
    // The whole solve, re-run without the intents isolation drops: prices, routing and the
    // position pairs all change when an intent leaves the batch.
    const solveWithout = (excluded: ReadonlySet<Hex>): Solution => {
      const sub: Auction = excluded.size
        ? { ...auction, intents: new Map([...auction.intents].filter(([id]) => !excluded.has(id))) }
        : auction;
      const result = solveAuction(
        sub,
        this.chain!.snapshot(),
        {
          strategy: this.o.strategy,
          settlement: this.settlement,
          solver: this.address,
          now,
          gasPrice,
          // a re-solve without isolated intents starts from a batch already solved once; several
          // may run inside one solve window, so each gets a short budget
          ...(excluded.size ? { budgetMs: RESOLVE_BUDGET_MS } : {}),
        },
        positionState,
      );
      const { stats, positionTrades } = result;
      // the vault's fills go in as own liquidity, authorised by its EIP-1271 check on chain
      const vault = this.o.perpVault;
      const liquidity = vault
        ? result.vaultTrades.map((t) =>
            vaultLiquidity(vault, t, {
              auctionId: BigInt(auctionId),
              index: result.solution.marketPrices.findIndex((m) => m.market === t.market),
              now,
            }),
          )
        : [];
      const solution: Solution = liquidity.length ? { ...result.solution, liquidity } : result.solution;
      if (!solved) this.o.log.info({ event: 'auction_solved', auctionId, ...stats, positionTrades, vaultTrades: liquidity.length });
      if (!solved && stats.jointFailure) {
        // the optimal strategy fell back to the baseline: a solver-quality bug to look at
        this.jointFailures++;
        this.o.log.warn({ event: 'joint_failed', auctionId, ...stats.jointFailure, count: this.jointFailures });
      }
      solved = true;
      return solution;
    };
    const found = await isolate({
      auctionId,
      solve: solveWithout,
      signed,
      // the submitter estimates gas itself when it sends; probes only need the eth_call
      simulate: (b) => this.submitter!.simulate(b, { estimate: false }),
      log: this.o.log,
      ...(this.o.maxSimulations !== undefined ? { maxSimulations: this.o.maxSimulations } : {}),
    });
    if (!found.ok) {
      if (found.reason !== 'nothing_to_settle') this.o.log.warn({ event: 'solution_dropped', auctionId, ...isolationLogFields(found) });
      return { auctionId, status: 'no_solution' };
    }
    const { solution, batch } = found;
    const { bytes, hash } = signSolution(solution, this.o.privateKey, this.chainId, this.settlement);
    if (!(await this.publish(bytes))) return { auctionId, status: 'not_published' };
    this.o.log.info({
      event: 'solution_published',
      auctionId,
      hash,
      trades: solution.trades.length,
      isolated: found.isolated.length,
      simulations: found.simulations,
    });
    const ids = solution.trades.map((t) => t.intentId.toLowerCase() as Hex);
    for (const id of ids) this.pending.set(id, (this.pending.get(id) ?? 0) + 1);
    return { batch, hash, ids, solution, signed };
  }

  private async exclusive<T>(f: () => Promise<T>): Promise<T> {
    const run = this.lock.then(f);
    this.lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Waits for the ranking (final at the solve deadline) and acts on our place in it. */
  private async awaitRanking(
    a: AuctionResponse,
    batch: SettleBatch,
    hash: Hex,
    solution: Solution,
    signed: Map<Hex, SignedIntent>,
  ): Promise<AuctionOutcome> {
    const auctionId = a.id;
    const deadline = Date.parse(a.solveDeadline);
    for (;;) {
      const status = await this.node.auctionStatus(auctionId).catch(() => undefined);
      if (status?.ranking) {
        const mine = status.ranking.find((r) => r.hash.toLowerCase() === hash.toLowerCase());
        if (!mine) {
          this.o.log.info({ event: 'not_winner', auctionId, winner: status.ranking[0]?.solver ?? null });
          return { auctionId, status: 'not_winner' };
        }
        if (mine.rank === 0) {
          const result = await this.submitter!.submit(batch);
          return { auctionId, status: 'submitted', result };
        }
        const context = {
          node: this.node,
          publicClient: this.o.publicClient,
          settlement: this.settlement,
          submitter: this.submitter!,
          log: this.o.log,
          ...(this.o.maxSimulations !== undefined ? { maxSimulations: this.o.maxSimulations } : {}),
          holdUntil: (ms: number) => this.unresolved.set(auctionId, ms),
        };
        return await settleAsRunnerUp(context, auctionId, mine, solution, signed);
      }
      if (Date.now() > deadline + 30_000) return { auctionId, status: 'no_ranking' };
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Polls the node for auctions until stop(). */
  async run(): Promise<void> {
    if (!this.chain) await this.init();
    while (!this.stopped) {
      try {
        const a = await this.node.auction();
        if (a.id !== null && a.id !== this.lastAuction) {
          this.lastAuction = a.id;
          void this.runAuction(a).then(
            (out) =>
              this.o.log.info({ event: 'auction_done', ...out, ...(out.status === 'submitted' ? { result: out.result.status } : {}) }),
            (e: Error) => this.o.log.error({ event: 'auction_failed', auctionId: a.id, error: e.message }),
          );
        }
      } catch (e) {
        // a bad auction or a flaky RPC never kills the solver
        this.o.log.error({ event: 'auction_failed', error: (e as Error).message });
      }
      await new Promise((r) => setTimeout(r, this.o.pollMs ?? 500));
    }
  }

  stop(): void {
    this.stopped = true;
  }
}
