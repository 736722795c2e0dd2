// The solver process: attach to a node's HTTP API (protocol/client.ts, NodeApi), and for each auction:
// decode only the intents not seen before (infra/auction-decoder.ts), bring the pool view to the
// latest block (kept warm by a background follower, infra/chain-liquidity.ts), solve
// (domain/solve-auction.ts) within the gas bound nodes enforce (gas-bound.ts), re-check at the
// latest block that no intent of the batch was filled meanwhile, find a bundle that simulates
// cleanly (isolate.ts: the intents a revert blames are dropped and the rest re-solved, so one bad
// intent never blocks the others), sign it with the protocol codec, publish it, and submit the
// bundle on chain if the node network made it a winner, or otherwise in its own settle window
// with whatever of it is still open then (runner-up.ts).
//
// Anytime: everything up to publication must be done by the auction's solveDeadline minus
// `publishMarginMs`. The engine's budget is the time left minus what simulation and publication
// are measured to cost; no isolation round starts that cannot finish in time, and when isolation
// cannot finish, a smaller batch (the fast baseline without the blamed intents) is tried instead.
import type { Account, Address, Block, Chain, Hex, PublicClient, Transport, WalletClient } from 'viem';
import { zeroAddress } from 'viem';
import type { Logger } from 'pino';
import type { AuctionResponse } from '../../protocol/api.ts';
import { NodeApi } from '../../protocol/client.ts';
import type { SignedIntent } from '../../protocol/intent.ts';
import type { Auction, AuctionIntent } from '../../protocol/score.ts';
import type { Solution } from '../../protocol/solution.ts';
import type { SettleBatch } from '../../contracts/client/settlement.ts';
import type { Strategy } from '../domain/options.ts';
import { loadMilp } from '../domain/milp/highs.ts';
import type { HedgeSkip } from '../domain/option-hedge.ts';
import { type PositionState, solveAuction } from '../domain/solve-auction.ts';
import { batchGasLimit, DEFAULT_BATCH_GAS_SHARE_BPS, solutionGas } from '../../protocol/batch-gas.ts';
import { lower } from '../domain/address.ts';
import type { LiquidityAdapter } from '../domain/liquidity/adapter.ts';
import { AuctionDecoder } from '../infra/auction-decoder.ts';
import { ChainLiquidity } from '../infra/chain-liquidity.ts';
import { postSolution } from '../infra/node-client.ts';
import type { PoolSpec } from '../infra/pool-reader.ts';
import { type OptionContracts, readOptionContracts, readOptionState } from '../infra/option-state.ts';
import { readPositionState } from '../infra/perp-state.ts';
import { sourceLiquidity } from '../infra/source-liquidity.ts';
import { FillTracker } from '../infra/fill-tracker.ts';
import { balancesOf, clearingHouseOf, ensureBond } from '../infra/settlement.ts';
import { buildBatch } from './bundle.ts';
import { fillAllGas, preselect, solveWithinGas } from './gas-bound.ts';
import { isolate, isolationLogFields, type IsolationResult } from './isolate.ts';
import type { AuctionOutcome } from './outcome.ts';
import { settleAsRunnerUp } from './runner-up.ts';
import { signSolution } from './sign.ts';
import { BundleSubmitter } from './submitter.ts';
import { QuoteGate } from './quote-gate.ts';
import { type EngineQuoteRequest, type QuoteOutcome, solveQuote } from './quote.ts';

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
  /** The options vault (IOptionLiquiditySource) to take series' unmatched remainders against (absent: peers only). */
  optionVault?: Address;
  /** Publication must be done this long before the auction's solveDeadline (ms). Default 250. */
  publishMarginMs?: number;
  /** Share of the block gas limit one batch may use (bps): nodes refuse solutions above it. Default DEFAULT_BATCH_GAS_SHARE_BPS. */
  batchGasShareBps?: number;
  /** run() follows new blocks in the background at this interval (ms) to keep pool state warm; 0: off. Default 100. */
  followBlocksMs?: number;
  /** The engine's improvement budget for a quote (ms). Default 20. */
  quoteBudgetMs?: number;
  /** Milliseconds of engine time per second quotes may take of the solver's event loop (QuoteGate). Default 100. */
  quoteShareMs?: number;
};

type Published = { batch: SettleBatch; hash: Hex; ids: Hex[]; pools: Set<string>; solution: Solution; signed: Map<Hex, SignedIntent> };

/** Solve budget (ms) of a re-solve (isolation, gas bound, intents filled meanwhile): capped, and never beyond the deadline. */
const RESOLVE_BUDGET_MS = 200;
/** The engine's budget for the first solve at most (solve.ts's default). */
const MAX_BUDGET_MS = 1000;
/**
 * The optimal strategy's budget is never below this: it is anytime (a first joint pass, then
 * better), while the baseline routes each intent alone through pools and, on a large batch,
 * leaves most swaps unfilled (the e2e run: 1 swap of 105 filled), so falling back to it when time
 * is short cost more than overrunning a short budget.
 */
const MIN_OPTIMAL_BUDGET_MS = 60;
/** The first solve's share of the time left (after simulation and publication). */
const FIRST_SHARE = 0.6;
/** Re-checks of the batch's intents at a newer block (each may drop intents and re-solve). */
const MAX_RECHECKS = 2;

/** An exponentially weighted mean of a duration (ms). */
class Ewma {
  value: number;
  constructor(initial: number) {
    this.value = initial;
  }
  add(x: number): void {
    this.value = 0.7 * this.value + 0.3 * x;
  }
}

/** The pipeline's time split of one auction (ms per step, summed over repeats). */
class Split {
  private last = Date.now();
  readonly ms: Record<string, number> = {};
  mark(step: string): void {
    const now = Date.now();
    this.ms[step] = (this.ms[step] ?? 0) + (now - this.last);
    this.last = now;
  }
  add(step: string, ms: number): void {
    this.ms[step] = (this.ms[step] ?? 0) + ms;
  }
  fields(): Record<string, number> {
    return Object.fromEntries(Object.entries(this.ms).map(([k, v]) => [`${k}Ms`, v]));
  }
}
export class SolverProcess {
  private readonly o: SolverOptions;
  private readonly node: NodeApi;
  private chain?: ChainLiquidity;
  private submitter?: BundleSubmitter;
  private chainId = 0;
  private settlement: Address = zeroAddress;
  private lastAuction = -1;
  private stopped = false;
  private clearingHouse: Address = zeroAddress;
  /** Settlement's option book and series registry (undefined: no option book, option intents wait). */
  private optionContracts?: OptionContracts;
  private lock: Promise<void> = Promise.resolve();
  /** Solves whose joint solve had no candidate (logged as `joint_failed`), since the process started. */
  jointFailures = 0;
  /** Intent id -> our solutions holding it that are not finished yet. */
  private readonly pending = new Map<Hex, number>();
  /** Our published solutions not yet ranked-and-settled: auction id -> ranking due (ms), and the pools its bundle trades on. */
  private readonly unresolved = new Map<number, { due: number; pools: Set<string> }>();
  private decoder?: AuctionDecoder;
  private fills?: FillTracker;
  private stopFollowing?: () => void;
  /** What a settle simulation, a publication and the engine's overrun of its budget cost, as measured. */
  private readonly simulateMs = new Ewma(100);
  private readonly publishMs = new Ewma(30);
  private readonly overrunMs = new Ewma(50);
  private readonly quoteGate: QuoteGate;
  /** Chain reads of quotes, per block (solveQuoteNow). */
  private quoteReads: { block: bigint; values: Map<string, Promise<unknown>> } = { block: -1n, values: new Map() };
  /** Intents (lower-case id) given to the engine in a preselected backlog and left unfilled, how many times in a row. */
  private readonly misses = new Map<Hex, number>();
  /** The latest auction's reference prices: quotes weigh gas against surplus with them. */
  private referencePrices?: ReadonlyMap<Address, bigint>;

  constructor(o: SolverOptions) {
    this.o = o;
    this.node = new NodeApi(o.nodeUrl);
    this.quoteGate = new QuoteGate(o.quoteShareMs ?? 100);
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
    const options = await readOptionContracts(this.o.publicClient, this.settlement);
    if (options) this.optionContracts = options;
    this.decoder = new AuctionDecoder(this.chainId, this.settlement);
    this.fills = new FillTracker(this.o.publicClient, this.settlement);
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
  private async positionState(auction: Auction, blockNumber: bigint, extraMarkets: readonly number[] = []): Promise<PositionState> {
    if (this.clearingHouse === zeroAddress) return { markets: new Map(), positions: new Map() };
    return readPositionState(
      this.o.publicClient,
      this.clearingHouse,
      this.o.perpVault,
      auction,
      blockNumber,
      this.o.perpVaultMargin,
      extraMarkets,
    );
  }

  /**
   * A quote (quote.ts): the request solved as a lone intent on the warm pool view (the latest
   * block the follower or an auction brought it to), a position at the vault's price at that
   * block. Not serialised with auctions: it reads a snapshot and never touches the solver's state.
   * `undefined` before init().
   */
  async quote(req: EngineQuoteRequest): Promise<QuoteOutcome | undefined> {
    const chain = this.chain;
    if (!chain) return undefined;
    if (!this.quoteGate.admits()) return { ok: false, code: 'busy', message: 'this solver is at its quote share; ask another' };
    return this.solveQuoteNow(req, chain);
  }

  private async solveQuoteNow(req: EngineQuoteRequest, chain: ChainLiquidity): Promise<QuoteOutcome> {
    const block = chain.block;
    const needsGas = req.type === 'swap' && this.referencePrices !== undefined;
    // Chain reads once per block, shared by the quotes of that block: quotes must not add RPC load
    // on the node the auctions settle through (a quote is a lone non-reduce-only intent, so its
    // position state is the market's alone).
    if (this.quoteReads.block !== block) this.quoteReads = { block, values: new Map() };
    const once = <T>(key: string, read: () => Promise<T>): Promise<T> => {
      const hit = this.quoteReads.values.get(key) as Promise<T> | undefined;
      if (hit) return hit;
      const p = read();
      this.quoteReads.values.set(key, p);
      p.catch(() => this.quoteReads.values.delete(key));
      return p;
    };
    const gasPrice = needsGas ? await once('gasPrice', () => this.o.publicClient.getGasPrice()) : 0n;
    const market = req.type === 'position' ? req.market : -1;
    return solveQuote(
      {
        strategy: this.o.strategy,
        settlement: this.settlement,
        solver: this.address,
        pools: chain.snapshot(),
        now: Math.floor(Date.now() / 1000),
        gasPrice,
        ...(this.referencePrices ? { referencePrices: this.referencePrices } : {}),
        ...(this.clearingHouse !== zeroAddress
          ? { positionState: (a: Auction) => once(`market:${market}`, () => this.positionState(a, block)) }
          : {}),
        budgetMs: this.o.quoteBudgetMs ?? 20,
        engine: (solve) => this.quoteGate.time(solve),
      },
      req,
    );
  }

  /** Publishes the signed solution: the node's HTTP route if it has one, else the gossip publisher. */
  private async publish(bytes: Uint8Array): Promise<boolean> {
    try {
      const res = await postSolution(this.node, bytes);
      if (res.accepted) return true;
      if (res.status !== 404 && res.status !== 405)
        this.o.log.warn({ event: 'solution_refused', status: res.status, code: res.code, body: res.message });
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

  /** Handles one auction end to end; returns what happened. `fetchMs`: what getting the auction from the node took (logged). */
  async runAuction(a: AuctionResponse, fetchMs?: number): Promise<AuctionOutcome> {
    const auctionId = a.id;
    // Solving is one at a time (pool state, nonce); waiting for the ranking and settling is not,
    // so the solver takes part in every auction while an earlier bundle is still pending.
    const prep = await this.exclusive(() => this.solveAndPublish(a, fetchMs));
    if ('status' in prep) return prep;
    const { batch, hash, ids, pools, solution, signed } = prep;
    this.unresolved.set(auctionId, { due: Date.parse(a.solveDeadline), pools });
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

  /** Time kept after a solve for the simulation and the publication (ms). */
  private tailMs(): number {
    return this.simulateMs.value + this.publishMs.value + 20;
  }

  private async solveAndPublish(a: AuctionResponse, fetchMs?: number): Promise<AuctionOutcome | Published> {
    const auctionId = a.id;
    const split = new Split();
    if (fetchMs !== undefined) split.add('fetch', fetchMs);
    const deadline = Date.parse(a.solveDeadline) - (this.o.publishMarginMs ?? 250);
    const left = (): number => deadline - Date.now();
    // Our solution for an earlier auction whose ranking is due now may win and change pool state:
    // solving on the state before that bundle would plan exact pool outputs that revert
    // (UniswapV2: K). Wait until those are ranked and, if won, mined, but only while this
    // auction's pipeline still fits; then solve without the pools those bundles trade on.
    // At most half the time there is: the solve needs the rest (with the lead's shorter solve
    // windows the earlier ranking is due well before this auction closes, and this rarely waits).
    const minPipelineMs = 100 + this.tailMs();
    const waitUntil = Date.now() + Math.max(0, (left() - minPipelineMs) / 2);
    const due = () => [...this.unresolved.values()].filter((u) => u.due <= Date.now() + 100);
    while (due().length && Date.now() < waitUntil) await new Promise((r) => setTimeout(r, 25));
    const blockedPools = new Set<string>(due().flatMap((u) => [...u.pools]));
    split.mark('wait');
    if (left() < this.tailMs()) {
      this.o.log.warn({ event: 'solution_skipped', auctionId, reason: 'no_time', leftMs: left(), ...split.fields() });
      return { auctionId, status: 'no_solution' };
    }
    const { decoded, stats: decodeStats } = this.decoder!.decode(a);
    const { auction, signed } = decoded;
    this.referencePrices = auction.referencePrices;
    const intents = auction.intents as Map<Hex, AuctionIntent>;
    // intents in our own solutions still waiting for a ranking or a receipt belong to those
    for (const id of this.pending.keys()) intents.delete(id);
    split.mark('decode');
    // pool state and every other read at one block (the client's cached block number can lag
    // behind a bundle mined a moment ago, and exact pool outputs planned on stale reserves revert);
    // the background follower usually has the pools there already
    const block: Block = await this.o.publicClient.getBlock();
    await this.chain!.refresh(block.number!);
    const at = this.chain!.block;
    split.mark('pool');
    // Intents already filled (or cancelled) on chain but still open at the node (its watcher lags a
    // block or two) would make the whole bundle revert: leave out every intent whose nonce bit is
    // set at this block, and take partial fills' amounts from the chain.
    const entries = [...intents.values()];
    const [{ states, stats: fillStats }, gasPrice, auctionPositions, optionState] = await Promise.all([
      this.fills!.states(entries, at),
      // Settle reverts TokenBalanceDecreased on any net outflow of a batch token, so the
      // Settlement's own balances cannot absorb a shortfall: solve with no buffers.
      this.o.publicClient.getGasPrice(),
      this.positionState(auction, at),
      readOptionState(this.o.publicClient, this.optionContracts, this.o.optionVault, auction, at, Number(block.timestamp)),
    ]);
    const applyStates = (list: readonly AuctionIntent[], st: readonly { used: boolean; filled?: bigint }[]): Hex[] => {
      const gone: Hex[] = [];
      list.forEach((e, k) => {
        const s = st[k]!;
        if (s.used) {
          intents.delete(e.id);
          gone.push(e.id);
        } else if (s.filled !== undefined && s.filled !== (e.filled ?? 0n)) {
          intents.set(e.id, { ...e, filled: s.filled });
          gone.push(e.id);
        }
      });
      return gone;
    };
    // the options vault's hedges need their underlyings' perp markets, read at the same block
    const hedgeMarkets = [...(optionState.vaultHedge?.keys() ?? [])].filter((m) => !auctionPositions.markets.has(m));
    const positionState = hedgeMarkets.length
      ? await this.positionState({ ...auction, intents: new Map() }, at, hedgeMarkets).then(
          (extra) => ({ ...auctionPositions, markets: new Map([...auctionPositions.markets, ...extra.markets]) }),
          // a failed read costs the hedge only (no market state: it is left out)
          () => auctionPositions,
        )
      : auctionPositions;
    applyStates(entries, states);
    const unfunded = await this.dropUnfunded(intents, at);
    split.mark('reads');
    const now = Number(block.timestamp);
    const gasLimit = batchGasLimit(block.gasLimit, this.o.batchGasShareBps ?? DEFAULT_BATCH_GAS_SHARE_BPS);
    // a backlog larger than one batch: the engine gets the part worth most per gas, the rest waits
    const marks = new Map([...positionState.markets].map(([id, mk]) => [id, mk.mark]));
    for (const id of [...this.misses.keys()]) if (!intents.has(id)) this.misses.delete(id);
    const keep = preselect({ ...auction, intents }, gasLimit, marks, this.misses);
    const deferred = keep ? intents.size - keep.size : 0;
    if (keep) for (const id of [...intents.keys()]) if (!keep.has(lower(id) as Hex)) intents.delete(id);
    let firstStats: Record<string, unknown> | undefined;
    // Set once a candidate with the options vault's hedges fails to simulate: the rest of this
    // auction is solved without them, so a hedge never costs a user's fill (see the isolate call).
    let hedgesOff = false;
    const { vaultHedge: _hedgeViews, ...unhedged } = optionState;

    /** The whole solve of `sub` on the freshest pool view, within `budgetMs` (the baseline only when asked: isolation's fallback). */
    const solveOnce = (sub: Auction, budgetMs: number, baseline = false): { solution: Solution; block: bigint } => {
      const strategy: Strategy = baseline ? 'baseline' : this.o.strategy;
      if (strategy === 'optimal') budgetMs = Math.max(budgetMs, MIN_OPTIMAL_BUDGET_MS);
      const snapshotBlock = this.chain!.block;
      let pools: LiquidityAdapter[] = this.chain!.snapshot();
      if (blockedPools.size) pools = pools.filter((p) => !blockedPools.has(lower(p.address)));
      const t0 = Date.now();
      const result = solveAuction(
        sub,
        pools,
        { strategy, settlement: this.settlement, solver: this.address, now, gasPrice, budgetMs: Math.max(budgetMs, 1) },
        positionState,
        hedgesOff ? unhedged : optionState,
      );
      const ms = Date.now() - t0;
      if (strategy === 'optimal') this.overrunMs.add(Math.max(0, ms - budgetMs));
      const { stats, positionTrades } = result;
      // the vaults' fills go in as own liquidity, authorised by their EIP-1271 checks on chain
      const { liquidity, optionLiquidity } = sourceLiquidity(result, {
        ...(this.o.perpVault ? { perpVault: this.o.perpVault } : {}),
        ...(this.o.optionVault ? { optionVault: this.o.optionVault } : {}),
        auctionId: BigInt(auctionId),
        now,
      });
      const solution: Solution = {
        ...result.solution,
        ...(liquidity.length ? { liquidity } : {}),
        ...(optionLiquidity.length ? { optionLiquidity } : {}),
      };
      if (!firstStats && result.hedgeSkips.length)
        this.o.log.debug({ event: 'hedge_skipped', auctionId, skips: jsonSkips(result.hedgeSkips) });
      if (!firstStats) {
        // engineMs: the swap engine (stats.ms); positionsMs: the rest of the solve (position clearing, the vault)
        firstStats = {
          ...stats,
          positionTrades,
          vaultTrades: liquidity.length,
          optionVaultTrades: optionLiquidity.length,
          optionVaultHedges: result.optionVaultHedges.length,
          strategy,
          budgetMs: Math.round(budgetMs),
          positionsMs: Math.round(ms - stats.ms),
        };
        if (stats.jointFailure) {
          // the optimal strategy fell back to the baseline: a solver-quality bug to look at
          this.jointFailures++;
          this.o.log.warn({ event: 'joint_failed', auctionId, ...stats.jointFailure, count: this.jointFailures });
        }
      }
      return { solution, block: snapshotBlock };
    };
    const restrict = (excluded: ReadonlySet<Hex>, keep?: ReadonlySet<Hex>): Auction =>
      excluded.size || keep
        ? { ...auction, intents: new Map([...intents].filter(([id]) => !excluded.has(id) && (!keep || keep.has(id)))) }
        : { ...auction, intents };
    /** Budget for a solve now: what is left before the deadline, less the simulation and publication, less `extraMs`, capped. */
    const budget = (cap: number, share = 1): number => Math.min(cap, (left() - this.tailMs() - this.overrunMs.value) * share);
    const rechecked = new Set<Hex>();
    let checkedAt = at;
    let solves = 0;
    let rechecks = 0;
    let restricted = 0;

    // A candidate without the `excluded` intents: solved within the gas bound, then re-checked at
    // the latest block (intents filled by someone else meanwhile dropped, pools our plan uses that
    // changed since the snapshot), re-solved only when something changed.
    const candidate = async (excluded: ReadonlySet<Hex>, strategyCap = this.o.strategy): Promise<Solution> => {
      const first = solves === 0;
      const t0 = Date.now();
      // the first solve keeps room for one short re-solve (gas bound, recheck); the others are short
      const cap = strategyCap === 'baseline' ? 0 : first ? MAX_BUDGET_MS : RESOLVE_BUDGET_MS;
      // The first solve takes FIRST_SHARE of the time left: the rest is for what may follow (an
      // isolation round, a re-check's re-solve, the engine overrunning its budget, which it does
      // under load). When filling everything would exceed the gas bound, it takes half of that:
      // the solve of the best trades follows for sure.
      const overBound = first && fillAllGas(restrict(excluded)) > gasLimit;
      const firstShare = overBound ? FIRST_SHARE / 2 : FIRST_SHARE;
      let snapshotBlock = at;
      const bounded = await solveWithinGas(restrict(excluded), gasLimit, (keep, round) => {
        solves++;
        const r = solveOnce(
          restrict(excluded, keep),
          budget(round === 0 ? cap : RESOLVE_BUDGET_MS, round === 0 && first ? firstShare : 1),
          strategyCap === 'baseline',
        );
        snapshotBlock = r.block;
        return r.solution;
      });
      if (bounded.rounds) restricted = bounded.restricted;
      let solution = bounded.solution;
      split.add('solve', Date.now() - t0);
      if (first)
        this.o.log.info({
          event: 'auction_solved',
          auctionId,
          ...firstStats,
          gas: bounded.gas.toString(),
          gasLimit: gasLimit.toString(),
          gasRounds: bounded.rounds,
          ...decodeStats,
          fillsRead: fillStats.read,
          unfunded,
          deferred,
          ...split.fields(),
        });
      for (let k = 0; k < MAX_RECHECKS && solution.trades.length; k++) {
        const t1 = Date.now();
        const latest = await this.o.publicClient.getBlockNumber({ cacheTime: 0 });
        if (latest <= checkedAt && this.chain!.block <= snapshotBlock) {
          split.add('recheck', Date.now() - t1);
          break;
        }
        const inBatch = solution.trades.map((t) => intents.get(lower(t.intentId) as Hex)).filter((e): e is AuctionIntent => !!e);
        const [{ states: st }] = await Promise.all([this.fills!.states(inBatch, latest), this.chain!.refresh(latest)]);
        checkedAt = latest;
        const gone = applyStates(inBatch, st);
        for (const id of gone) rechecked.add(id);
        const poolsMoved = this.chain!.changedSince(
          solution.interactions.map((x) => x.target),
          snapshotBlock,
        );
        split.add('recheck', Date.now() - t1);
        if (!gone.length && !poolsMoved) break;
        rechecks++;
        if (left() - this.tailMs() < 10) break;
        const t2 = Date.now();
        const again = await solveWithinGas(restrict(excluded), gasLimit, (keep) => {
          solves++;
          const r = solveOnce(restrict(excluded, keep), budget(RESOLVE_BUDGET_MS), strategyCap === 'baseline');
          snapshotBlock = r.block;
          return r.solution;
        });
        solution = again.solution;
        split.add('solve', Date.now() - t2);
      }
      return solution;
    };
    const simulate = async (b: SettleBatch) => {
      const t0 = Date.now();
      // the submitter estimates gas itself when it sends; probes only need the eth_call
      const r = await this.submitter!.simulate(b, { estimate: false });
      const ms = Date.now() - t0;
      this.simulateMs.add(ms);
      split.add('simulate', ms);
      return r;
    };
    /**
     * A candidate; one with the options vault's hedges is simulated first, and when it reverts the
     * auction is solved again without hedges (isolation would otherwise blame a user's intent for
     * a hedge the vault refuses at the batch's state).
     */
    const hedgedCandidate = async (excluded: ReadonlySet<Hex>): Promise<Solution> => {
      const solution = await candidate(excluded);
      if (hedgesOff || !hasHedge(solution, this.o.optionVault)) return solution;
      let reason: string;
      try {
        const sim = await simulate(buildBatch(solution, signed));
        // a lost race (intents filled meanwhile) is isolation's to handle, not the hedge's fault
        if (sim.ok || sim.lostRace) return solution;
        reason = `${sim.revert.errorName}: ${sim.revert.message}`;
      } catch (err) {
        reason = err instanceof Error ? err.message : String(err);
      }
      hedgesOff = true;
      this.o.log.debug({ event: 'hedge_dropped', auctionId, reason });
      return candidate(excluded);
    };
    let found: IsolationResult = await isolate({
      auctionId,
      solve: (excluded) => hedgedCandidate(excluded),
      signed,
      simulate,
      log: this.o.log,
      deadline: deadline - this.publishMs.value,
      ...(this.o.maxSimulations !== undefined ? { maxSimulations: this.o.maxSimulations } : {}),
    });
    let fallback = false;
    if (!found.ok && (found.reason === 'budget_exhausted' || found.reason === 'inconclusive') && left() > this.tailMs() + 30) {
      // isolation could not finish: a smaller batch rather than none, the fast baseline without
      // the intents isolated so far and the ones the last failing candidate blamed
      fallback = true;
      const without = new Set<Hex>(found.isolated.map((i) => i.intentId));
      const solution = await candidate(without, 'baseline');
      if (solution.trades.length) {
        try {
          const batch = buildBatch(solution, signed);
          const sim = await simulate(batch);
          if (sim.ok)
            found = {
              ok: true,
              solution,
              batch,
              gas: 0n,
              isolated: found.isolated,
              simulations: found.simulations + 1,
              solves: found.solves + 1,
            };
        } catch {
          // unbuildable: nothing to settle
        }
      }
    }
    if (keep) {
      // a preselected backlog: what the engine got and did not fill goes behind the others next time
      const filled = new Set(found.ok ? found.solution.trades.map((t) => lower(t.intentId) as Hex) : []);
      for (const id of keep) {
        if (filled.has(id)) this.misses.delete(id);
        else this.misses.set(id, (this.misses.get(id) ?? 0) + 1);
      }
    }
    if (!found.ok) {
      if (found.reason !== 'nothing_to_settle')
        this.o.log.warn({ event: 'solution_dropped', auctionId, ...isolationLogFields(found), fallback, ...split.fields() });
      return { auctionId, status: 'no_solution' };
    }
    const { solution, batch } = found;
    const tp = Date.now();
    const { bytes, hash } = signSolution(solution, this.o.privateKey, this.chainId, this.settlement);
    const published = await this.publish(bytes);
    this.publishMs.add(Date.now() - tp);
    split.add('publish', Date.now() - tp);
    if (!published) return { auctionId, status: 'not_published' };
    this.o.log.info({
      event: 'solution_published',
      auctionId,
      hash,
      trades: solution.trades.length,
      isolated: found.isolated.length,
      simulations: found.simulations,
      solves,
      rechecks,
      rechecked: rechecked.size,
      gasRestricted: restricted,
      fallback,
      block: at.toString(),
      leftMs: Date.parse(a.solveDeadline) - Date.now(),
      ...split.fields(),
    });
    const ids = solution.trades.map((t) => t.intentId.toLowerCase() as Hex);
    for (const id of ids) this.pending.set(id, (this.pending.get(id) ?? 0) + 1);
    const pools = new Set(solution.interactions.map((x) => lower(x.target) as string));
    return { batch, hash, ids, pools, solution, signed };
  }

  /**
   * Leaves out the swap intents their owner cannot pay for together: per owner and sell token, in
   * the auction's order, an intent stays while the sell amounts kept so far (what is left of them)
   * fit the owner's balance at `block`. One owner's intents spending more than it holds would make
   * the whole batch revert in the token's transfer (an error that names nobody: bisection, many
   * simulations). Returns how many were left out.
   */
  private async dropUnfunded(intents: Map<Hex, AuctionIntent>, block: bigint): Promise<number> {
    const groups = new Map<string, { token: Address; owner: Address; items: { id: Hex; max: bigint }[] }>();
    for (const e of intents.values()) {
      if (e.intent.type !== 'swap') continue;
      const i = e.intent.intent;
      const key = `${lower(i.owner)}:${lower(i.sellToken)}`;
      let g = groups.get(key);
      if (!g) {
        g = { token: i.sellToken, owner: i.owner, items: [] };
        groups.set(key, g);
      }
      const max = i.partiallyFillable && i.kind === 0 ? i.sellAmount - (e.filled ?? 0n) : i.sellAmount;
      g.items.push({ id: e.id, max });
    }
    const list = [...groups.values()];
    const balances = await balancesOf(this.o.publicClient, list, block);
    let dropped = 0;
    list.forEach((g, k) => {
      let left = balances[k]!;
      for (const it of g.items) {
        if (it.max <= left) left -= it.max;
        else {
          intents.delete(it.id);
          dropped++;
        }
      }
    });
    return dropped;
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
      const status = await this.node.auctionById(auctionId).catch(() => undefined);
      if (status?.ranking) {
        const mine = status.ranking.find((r) => r.hash.toLowerCase() === hash.toLowerCase());
        if (!mine) {
          this.o.log.info({ event: 'not_winner', auctionId, winner: status.ranking[0]?.solver ?? null });
          return { auctionId, status: 'not_winner' };
        }
        // several solutions can win one auction (disjoint intents, pools, markets): every winner
        // settles in the first window (a node without the field ranks one winner, rank 0)
        if ((mine as { winner?: boolean }).winner ?? mine.rank === 0) {
          // the protocol's gas bound of this solution is an upper bound of what its settle uses
          // (test/chain/batch-gas.test.ts): no eth_estimateGas round trip between ranking and sending
          const ofType = (type: 'position' | 'option') => new Set([...signed].filter(([, i]) => i.type === type).map(([id]) => lower(id)));
          const result = await this.submitter!.submit(batch, { gasLimit: solutionGas(solution, ofType('position'), ofType('option')) });
          return { auctionId, status: 'submitted', result };
        }
        const context = {
          node: this.node,
          publicClient: this.o.publicClient,
          settlement: this.settlement,
          submitter: this.submitter!,
          log: this.o.log,
          ...(this.o.maxSimulations !== undefined ? { maxSimulations: this.o.maxSimulations } : {}),
          holdUntil: (ms: number) => this.unresolved.set(auctionId, { due: ms, pools: this.unresolved.get(auctionId)?.pools ?? new Set() }),
        };
        return await settleAsRunnerUp(context, auctionId, mine, solution, signed);
      }
      if (Date.now() > deadline + 30_000) return { auctionId, status: 'no_ranking' };
      // the ranking is due at the deadline; a winner's bundle should land well before the next close
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Polls the node for auctions until stop(). */
  async run(): Promise<void> {
    if (!this.chain) await this.init();
    const followMs = this.o.followBlocksMs ?? 100;
    if (followMs > 0 && !this.stopFollowing)
      this.stopFollowing = this.chain!.follow(followMs, (e) => this.o.log.warn({ event: 'pool_follow_failed', error: e.message }));
    while (!this.stopped) {
      let next: number | undefined;
      try {
        const t0 = Date.now();
        const a = await this.node.auction();
        const fetchMs = Date.now() - t0;
        next = a.id === null ? Date.parse(a.nextCloseAt) : Date.parse(a.solveDeadline);
        if (a.id !== null && a.id !== this.lastAuction) {
          this.lastAuction = a.id;
          void this.runAuction(a, fetchMs).then(
            (out) =>
              this.o.log.info({ event: 'auction_done', ...out, ...(out.status === 'submitted' ? { result: out.result.status } : {}) }),
            (e: Error) => this.o.log.error({ event: 'auction_failed', auctionId: a.id, error: e.message }),
          );
        }
      } catch (e) {
        // a bad auction or a flaky RPC never kills the solver
        this.o.log.error({ event: 'auction_failed', error: (e as Error).message });
      }
      await new Promise((r) => setTimeout(r, this.nextPollMs(next)));
    }
  }

  /**
   * How long to sleep before the next poll: the polling interval, but no later than just after the
   * next moment the node's answer can change (the next close, or the current auction's deadline,
   * which is the next close when the solve window is the whole interval): an auction found 200 ms
   * late loses 200 ms of its solve window.
   */
  private nextPollMs(nextChange: number | undefined): number {
    const poll = this.o.pollMs ?? 500;
    if (nextChange === undefined || !Number.isFinite(nextChange)) return poll;
    const d = nextChange - Date.now();
    // just past the expected change and the node has not moved yet: look again soon
    if (d <= 0) return d > -500 ? Math.min(poll, 20) : poll;
    return Math.max(5, Math.min(poll, d + 5));
  }

  stop(): void {
    this.stopped = true;
    this.stopFollowing?.();
    this.stopFollowing = undefined;
  }
}

/** Whether the solution carries a perp fill of the options vault (its hedge). */
function hasHedge(solution: Solution, optionVault: Address | undefined): boolean {
  return !!optionVault && (solution.liquidity ?? []).some((l) => lower(l.intent.account) === lower(optionVault));
}

/** Hedge skips as log fields (bigints as strings). */
function jsonSkips(skips: readonly HedgeSkip[]): { market: number; reason: string; netDelta?: string }[] {
  return skips.map((k) => ({
    market: k.market,
    reason: k.reason,
    ...(k.netDelta === undefined ? {} : { netDelta: k.netDelta.toString() }),
  }));
}
