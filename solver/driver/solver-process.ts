// The solver process: attach to a node's HTTP API, and for each auction: fetch its open intents,
// refresh pool state from the chain, solve, sign the solution with the protocol codec, publish it,
// and submit the bundle on chain if the node network ranked it first — or, ranked lower, once its
// own settle window opens with the auction still unsettled (the intents still open at the node and
// unused on chain, and the bundle of what is left simulating cleanly at the latest block).
//
// Node API used (node/openapi.json): GET /health (chainId, settlement), GET /v1/auction (the
// auction to solve: id, solveDeadline, referencePrices, intents[].signedIntent),
// GET /v1/auctions/{id} (its ranking once final), POST /v1/solutions (the signed solution bytes as
// hex: the node checks and ranks it like a gossiped one and gossips it on /solutions/1/<chainId>).
// An optional gossip publisher is the fallback for a node without that route.
// Position intents are matched per market (positions.ts) and settled in the same batch.
// A batch that reverts in simulation goes through isolate.ts: the intents at fault (named by the
// revert, or found by bisection) are dropped and the rest re-solved, so one bad intent never blocks
// the others.
import type { Address, Chain, Hex, PublicClient, Transport, WalletClient, Account } from 'viem';
import type { Logger } from 'pino';
import { parseSignedIntentJson } from '../../protocol/json.ts';
import { intentDigest } from '../../protocol/hash.ts';
import { intentDomain } from '../../protocol/eip712.ts';
import type { SignedIntent } from '../../protocol/intent.ts';
import type { Auction, AuctionIntent } from '../../protocol/score.ts';
import { signDigest } from '../../protocol/signature.ts';
import { encodeSignedSolution, encodeSolutionBody, solutionDigest, solutionHash, type Solution } from '../../protocol/solution.ts';
import { toHex } from '../../protocol/bytes.ts';
import type { buildBatch } from './bundle.ts';
import { BundleSubmitter, type SubmitOutcome } from './submitter.ts';
import { ChainLiquidity } from '../infra/chain-liquidity.ts';
import { multicallAt } from '../infra/multicall.ts';
import type { PoolSpec } from '../infra/pool-reader.ts';
import type { Strategy } from '../domain/options.ts';
import type { SolveStats } from '../domain/result.ts';
import { solve } from '../domain/solve.ts';
import { isolate, type IsolationResult } from './isolate.ts';
import { matchPositions } from '../domain/positions.ts';
import { zeroAddress } from 'viem';
import { settlementAbi } from '../../contracts/artifacts/Settlement.ts';
import { clearingHouseAbi } from '../../contracts/artifacts/ClearingHouse.ts';

export type SolverOptions = {
  strategy: Strategy;
  privateKey: Hex;
  nodeUrl: string;
  publicClient: PublicClient;
  wallet: WalletClient<Transport, Chain, Account>;
  pools: PoolSpec[];
  log: Logger;
  pollMs?: number;
  /** Gossip publisher for the signed solution bytes (the node takes solutions only over gossip). */
  gossip?: (bytes: Uint8Array) => Promise<void>;
  /** Bond `minBond` at start when the key is not a bonded solver yet. */
  bond?: boolean;
  /** Settle simulations per auction spent finding the intents that make a batch revert (isolate.ts). Default 12. */
  maxSimulations?: number;
};

type AuctionJson = {
  id: number | null;
  chainId?: number;
  solveDeadline?: string;
  referencePrices?: Record<string, string>;
  intents: { id: Hex; filled?: string; signedIntent: unknown }[];
  ranking?: { rank: number; solver: Address; hash: Hex; settleFrom?: string; settleUntil?: string }[] | null;
  /** The on-chain settlement as the node's chain watcher saw it (GET /v1/auctions/{id}). */
  settlement?: { solver: Address; txHash: Hex } | null;
};

export type AuctionOutcome =
  | { auctionId: number; status: 'no_solution' | 'not_published' | 'not_winner' | 'no_ranking' }
  /** Ranked k > 1: someone settled the auction before our window opened, or nothing of ours was left to settle. */
  | { auctionId: number; status: 'settled_by_other' | 'runner_up_skipped'; rank: number; reason: string }
  | { auctionId: number; status: 'submitted'; result: SubmitOutcome; rank?: number };

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  const body = (await res.json()) as T & { error?: { code: string; message: string } };
  if (!res.ok) throw new Error(`${url}: ${res.status} ${body.error?.code ?? ''} ${body.error?.message ?? ''}`);
  return body;
}

/** Decodes the node's auction view into the protocol Auction plus the signed intents by id. */
export function parseAuction(a: AuctionJson, chainId: number, settlement: Address): { auction: Auction; signed: Map<Hex, SignedIntent> } {
  const intents = new Map<Hex, AuctionIntent>();
  const signed = new Map<Hex, SignedIntent>();
  const domain = intentDomain(chainId, settlement);
  for (const e of a.intents) {
    const parsed = parseSignedIntentJson(e.signedIntent);
    if (!parsed.ok) continue;
    const id = e.id.toLowerCase() as Hex;
    // never trust the id blindly: it must be the intent's digest under our domain
    if (intentDigest(parsed.value, domain).toLowerCase() !== id) continue;
    signed.set(id, parsed.value);
    intents.set(id, { id, intent: parsed.value, ...(e.filled ? { filled: BigInt(e.filled) } : {}) });
  }
  const referencePrices = new Map<Address, bigint>(Object.entries(a.referencePrices ?? {}).map(([t, p]) => [t.toLowerCase() as Address, BigInt(p)]));
  return { auction: { id: BigInt(a.id ?? 0), intents, referencePrices }, signed };
}

export function signSolution(solution: Solution, privateKey: Hex, chainId: number, settlement: Address): { bytes: Uint8Array; hash: Hex } {
  const body = encodeSolutionBody(solution);
  const signature = signDigest(solutionDigest(body, chainId, settlement), privateKey);
  const bytes = encodeSignedSolution({ ...solution, signature });
  return { bytes, hash: solutionHash(bytes) };
}

/** Log fields for a failed isolation: why, the last revert, and what it cost. */
function isolationSummary(r: IsolationResult & { ok: false }): Record<string, unknown> {
  return { reason: r.reason, ...(r.revert ? { error: r.revert.errorName, args: r.revert.args.map(String) } : {}), isolated: r.isolated.length, simulations: r.simulations };
}

export class SolverProcess {
  private readonly o: SolverOptions;
  private chain?: ChainLiquidity;
  private submitter?: BundleSubmitter;
  private chainId = 0;
  private settlement: Address = '0x0000000000000000000000000000000000000000';
  private lastAuction = -1;
  private stopped = false;
  private clearingHouse: Address = zeroAddress;
  private lock: Promise<void> = Promise.resolve();
  /** Intent id -> our solutions holding it that are not finished yet. */
  private readonly pending = new Map<Hex, number>();
  /** Our published solutions not yet ranked-and-settled: auction id -> ranking due (ms). */
  private readonly unresolved = new Map<number, number>();

  constructor(o: SolverOptions) {
    this.o = o;
  }

  get address(): Address {
    return this.o.wallet.account.address;
  }

  async init(): Promise<void> {
    const health = await getJson<{ chainId: number; settlement: Address; peerId: string }>(`${this.o.nodeUrl}/health`);
    this.chainId = health.chainId;
    this.settlement = health.settlement;
    const rpcChain = await this.o.publicClient.getChainId();
    if (rpcChain !== health.chainId) throw new Error(`RPC is chain ${rpcChain}, the node is on ${health.chainId}`);
    if (this.o.bond) await this.ensureBond();
    this.clearingHouse = await this.o.publicClient.readContract({ address: this.settlement, abi: settlementAbi, functionName: 'clearingHouse' }).catch(() => zeroAddress);
    this.chain = await ChainLiquidity.load(this.o.publicClient, this.o.pools);
    this.submitter = new BundleSubmitter({ publicClient: this.o.publicClient, wallet: this.o.wallet, settlement: this.settlement, log: this.o.log });
    this.o.log.info({ event: 'solver_attached', node: this.o.nodeUrl, peerId: health.peerId, chainId: this.chainId, settlement: this.settlement, solver: this.address, strategy: this.o.strategy, pools: this.o.pools.length, block: this.chain.block.toString() });
  }

  /** Bonds Settlement.minBond when this key is not an active solver. */
  private async ensureBond(): Promise<void> {
    const pc = this.o.publicClient;
    if (await pc.readContract({ address: this.settlement, abi: settlementAbi, functionName: 'isSolver', args: [this.address] })) return;
    const minBond = await pc.readContract({ address: this.settlement, abi: settlementAbi, functionName: 'minBond' });
    const hash = await this.o.wallet.writeContract({ address: this.settlement, abi: settlementAbi, functionName: 'bond', value: minBond, chain: this.o.wallet.chain, account: this.o.wallet.account });
    const receipt = await pc.waitForTransactionReceipt({ hash });
    if (receipt.status !== 'success') throw new Error(`bond transaction ${hash} reverted`);
    this.o.log.info({ event: 'solver_bonded', solver: this.address, bond: minBond.toString(), tx: hash });
  }

  /** Oracle marks of the markets the auction's position intents trade (empty without a clearing house). */
  private async marks(auction: Auction, blockNumber: bigint): Promise<Map<number, bigint>> {
    const out = new Map<number, bigint>();
    if (this.clearingHouse === zeroAddress) return out;
    const markets = new Set<number>();
    for (const { intent } of auction.intents.values()) if (intent.type === 'position') markets.add(intent.intent.market);
    for (const m of markets) {
      const [price, fresh] = await this.o.publicClient.readContract({ address: this.clearingHouse, abi: clearingHouseAbi, functionName: 'markPrice', args: [m], blockNumber });
      if (fresh && price > 0n) out.set(m, price);
    }
    return out;
  }

  /** Publishes the signed solution: the node's HTTP route if it has one, else the gossip publisher. */
  private async publish(bytes: Uint8Array): Promise<boolean> {
    try {
      const res = await fetch(`${this.o.nodeUrl}/v1/solutions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ solution: toHex(bytes) }) });
      if (res.ok) return true;
      if (res.status !== 404 && res.status !== 405) this.o.log.warn({ event: 'solution_refused', status: res.status, body: await res.text() });
    } catch (e) {
      this.o.log.warn({ event: 'solution_post_failed', error: (e as Error).message });
    }
    if (this.o.gossip) {
      await this.o.gossip(bytes);
      return true;
    }
    this.o.log.warn({ event: 'solution_not_published', reason: 'the node accepts solutions only over gossip (/solutions topic) and no gossip publisher is configured' });
    return false;
  }

  /** Handles one auction end to end; returns what happened. */
  async runAuction(a: AuctionJson): Promise<AuctionOutcome> {
    const auctionId = a.id!;
    // Solving is one at a time (pool state, nonce); waiting for the ranking and settling is not,
    // so the solver takes part in every auction while an earlier bundle is still pending.
    const prep = await this.exclusive(async (): Promise<AuctionOutcome | { batch: ReturnType<typeof buildBatch>; hash: Hex; ids: Hex[]; solution: Solution; signed: Map<Hex, SignedIntent> }> => {
      // Our solution for an earlier auction whose ranking is due now may win and change pool state:
      // solving on the state before that bundle would plan exact pool outputs that revert
      // (UniswapV2: K). Wait (bounded) until those are ranked and, if won, mined.
      const waitUntil = Date.now() + 5000;
      while ([...this.unresolved.values()].some((d) => d <= Date.now() + 100) && Date.now() < waitUntil) await new Promise((r) => setTimeout(r, 25));
      const { auction, signed } = parseAuction(a, this.chainId, this.settlement);
      // intents in our own solutions still waiting for a ranking or a receipt belong to those
      for (const id of this.pending.keys()) (auction.intents as Map<Hex, AuctionIntent>).delete(id);
      // pool state and every other read at one block (the client's cached block number can lag
      // behind a bundle mined a moment ago, and exact pool outputs planned on stale reserves revert)
      const block = await this.o.publicClient.getBlock();
      await this.chain!.refresh(block.number);
      // Intents already filled (or cancelled) on chain but still open at the node (its watcher lags a
      // block or two) would make the whole bundle revert: leave out every fill-or-kill intent whose
      // nonce bit is set at this block.
      const fok = [...auction.intents.values()].filter((e) => e.intent.type === 'position' || !e.intent.intent.partiallyFillable);
      if (fok.length) {
        const used = (await multicallAt(
          this.o.publicClient,
          fok.map((e) => ({ address: this.settlement, abi: settlementAbi, functionName: 'isNonceUsed', args: [e.intent.type === 'swap' ? e.intent.intent.owner : e.intent.intent.account, e.intent.intent.nonce] })),
          block.number,
        )) as boolean[];
        fok.forEach((e, k) => used[k] && (auction.intents as Map<Hex, AuctionIntent>).delete(e.id));
      }
      // Settle reverts TokenBalanceDecreased on any net outflow of a batch token, so the Settlement's
      // own balances cannot absorb a shortfall: solve with no buffers (what the Settlement holds
      // stays a dust buffer for rounding inside the pools' exact outputs, never spent).
      const gasPrice = await this.o.publicClient.getGasPrice();
      const now = Number(block.timestamp);
      const marks = await this.marks(auction, block.number);
      let solved = false;
      // The whole solve, re-run without the intents isolation drops: prices, routing and the
      // position pairs all change when an intent leaves the batch.
      const solveWithout = (excluded: ReadonlySet<Hex>): Solution => {
        const sub: Auction = excluded.size ? { ...auction, intents: new Map([...auction.intents].filter(([id]) => !excluded.has(id))) } : auction;
        const { solution: spot, stats }: { solution: Solution; stats: SolveStats } = solve(sub, this.chain!.snapshot(), { strategy: this.o.strategy, settlement: this.settlement, solver: this.address, now, gasPrice });
        // Position intents: opposite pairs per market at the oracle mark, in the same batch as the swaps.
        const pos = matchPositions(sub, marks, now);
        if (!solved) this.o.log.info({ event: 'auction_solved', auctionId, ...stats, positionTrades: pos.trades.length });
        solved = true;
        return { ...spot, marketPrices: pos.marketPrices, trades: [...spot.trades, ...pos.trades] };
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
        if (found.reason !== 'nothing_to_settle') this.o.log.warn({ event: 'solution_dropped', auctionId, ...isolationSummary(found) });
        return { auctionId, status: 'no_solution' };
      }
      const { solution, batch } = found;
      const { bytes, hash } = signSolution(solution, this.o.privateKey, this.chainId, this.settlement);
      if (!(await this.publish(bytes))) return { auctionId, status: 'not_published' };
      this.o.log.info({ event: 'solution_published', auctionId, hash, trades: solution.trades.length, isolated: found.isolated.length, simulations: found.simulations });
      const ids = solution.trades.map((t) => t.intentId.toLowerCase() as Hex);
      for (const id of ids) this.pending.set(id, (this.pending.get(id) ?? 0) + 1);
      return { batch, hash, ids, solution, signed };
    });
    if ('status' in prep) return prep;
    const { batch, hash, ids, solution, signed } = prep;
    this.unresolved.set(auctionId, a.solveDeadline ? Date.parse(a.solveDeadline) : Date.now());
    try {
      return await this.awaitRanking(a, auctionId, batch, hash, solution, signed);
    } finally {
      this.unresolved.delete(auctionId);
      for (const id of ids) {
        const n = (this.pending.get(id) ?? 1) - 1;
        if (n > 0) this.pending.set(id, n);
        else this.pending.delete(id);
      }
    }
  }

  private async exclusive<T>(f: () => Promise<T>): Promise<T> {
    const run = this.lock.then(f);
    this.lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async awaitRanking(a: AuctionJson, auctionId: number, batch: ReturnType<typeof buildBatch>, hash: Hex, solution: Solution, signed: Map<Hex, SignedIntent>): Promise<AuctionOutcome> {
    // wait for the ranking (final at the solve deadline)
    const deadline = a.solveDeadline ? Date.parse(a.solveDeadline) : Date.now();
    for (;;) {
      const view = await getJson<AuctionJson>(`${this.o.nodeUrl}/v1/auctions/${auctionId}`).catch(() => undefined);
      if (view?.ranking) {
        const mine = view.ranking.find((r) => r.hash.toLowerCase() === hash.toLowerCase());
        if (!mine) {
          this.o.log.info({ event: 'not_winner', auctionId, winner: view.ranking[0]?.solver ?? null });
          return { auctionId, status: 'not_winner' };
        }
        if (mine.rank === 0) {
          const result = await this.submitter!.submit(batch);
          return { auctionId, status: 'submitted', result };
        }
        return await this.settleAsRunnerUp(auctionId, mine, solution, signed);
      }
      if (Date.now() > deadline + 30_000) return { auctionId, status: 'no_ranking' };
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /**
   * Ranked k > 1 (rank index k-1 at the node): the solution may settle in its own window, after
   * every better-ranked one's window passed unsettled. Waits for the window (giving up as soon as the
   * node's watcher sees the auction settled), then keeps only trades whose intents are still open at
   * the node and unused on chain, simulates that bundle at the latest block, and submits it only if
   * the simulation succeeds.
   */
  private async settleAsRunnerUp(auctionId: number, mine: NonNullable<AuctionJson['ranking']>[number], solution: Solution, signed: Map<Hex, SignedIntent>): Promise<AuctionOutcome> {
    const rank = mine.rank;
    const from = mine.settleFrom ? Date.parse(mine.settleFrom) : NaN;
    const until = mine.settleUntil ? Date.parse(mine.settleUntil) : NaN;
    if (!Number.isFinite(from) || !Number.isFinite(until)) return { auctionId, status: 'runner_up_skipped', rank, reason: 'the node gave no settle window' };
    // other auctions' solving waits for this one around the time it may change pool state
    this.unresolved.set(auctionId, from);
    this.o.log.info({ event: 'runner_up_waiting', auctionId, rank, settleFrom: mine.settleFrom, settleUntil: mine.settleUntil });
    const settledBy = async (): Promise<AuctionJson['settlement']> => (await getJson<AuctionJson>(`${this.o.nodeUrl}/v1/auctions/${auctionId}`).catch(() => undefined))?.settlement ?? null;
    for (;;) {
      const s = await settledBy();
      if (s) {
        this.o.log.info({ event: 'runner_up_stands_down', auctionId, rank, settledBy: s.solver, tx: s.txHash });
        return { auctionId, status: 'settled_by_other', rank, reason: `settled by ${s.solver} in ${s.txHash}` };
      }
      const now = Date.now();
      if (now >= from) break;
      await new Promise((r) => setTimeout(r, Math.min(200, from - now)));
    }
    if (Date.now() >= until) return { auctionId, status: 'runner_up_skipped', rank, reason: 'the settle window passed' };
    // Intents still unfilled: open at the node, and (fill-or-kill, positions) nonce unused on chain.
    const states = await Promise.all(
      solution.trades.map((t) =>
        getJson<{ state: string }>(`${this.o.nodeUrl}/v1/intents/${t.intentId}`)
          .then((r) => r.state)
          .catch(() => 'unknown'),
      ),
    );
    let trades = solution.trades.filter((_, k) => states[k] === 'open');
    if (trades.length) {
      const block = await this.o.publicClient.getBlockNumber({ cacheTime: 0 });
      const used = (await multicallAt(
        this.o.publicClient,
        trades.map((t) => {
          const s = signed.get(t.intentId.toLowerCase() as Hex)!;
          return { address: this.settlement, abi: settlementAbi, functionName: 'isNonceUsed', args: [s.type === 'swap' ? s.intent.owner : s.intent.account, s.intent.nonce] };
        }),
        block,
      )) as boolean[];
      trades = trades.filter((_, k) => !used[k]);
    }
    const dropped = solution.trades.length - trades.length;
    if (!trades.length) {
      this.o.log.info({ event: 'runner_up_stands_down', auctionId, rank, reason: 'every intent already filled or cancelled' });
      return { auctionId, status: 'runner_up_skipped', rank, reason: 'every intent of the solution is already filled or cancelled' };
    }
    // Never submit something that would revert. The published solution's prices and interactions
    // stay as ranked, so isolation here can only leave trades out (no re-solve): it helps when the
    // bad intent's flows do not carry the rest (e.g. a matched pair), and costs a bounded number of
    // simulations when they do.
    const open = trades;
    let found: IsolationResult;
    try {
      found = await isolate({
        auctionId,
        solve: (excluded) => ({ ...solution, trades: open.filter((t) => !excluded.has(t.intentId.toLowerCase() as Hex)) }),
        signed,
        simulate: (b) => this.submitter!.simulate(b, { estimate: false }),
        log: this.o.log,
        ...(this.o.maxSimulations !== undefined ? { maxSimulations: this.o.maxSimulations } : {}),
      });
    } catch (e) {
      return { auctionId, status: 'runner_up_skipped', rank, reason: (e as Error).message };
    }
    if (!found.ok) {
      this.o.log.info({ event: 'runner_up_stands_down', auctionId, rank, dropped, ...isolationSummary(found) });
      return { auctionId, status: 'runner_up_skipped', rank, reason: found.revert ? `simulation reverted: ${found.revert.errorName}` : `no settleable subset: ${found.reason}` };
    }
    const batch = found.batch;
    this.o.log.info({ event: 'runner_up_settling', auctionId, rank, trades: found.solution.trades.length, dropped: dropped + found.isolated.length });
    const result = await this.submitter!.submit(batch);
    return { auctionId, status: 'submitted', result, rank };
  }

  /** Polls the node for auctions until stop(). */
  async run(): Promise<void> {
    if (!this.chain) await this.init();
    while (!this.stopped) {
      try {
        const a = await getJson<AuctionJson>(`${this.o.nodeUrl}/v1/auction`);
        if (a.id !== null && a.id !== this.lastAuction) {
          this.lastAuction = a.id;
          void this.runAuction(a).then(
            (out) => this.o.log.info({ event: 'auction_done', ...out, ...(out.status === 'submitted' ? { result: out.result.status } : {}) }),
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
