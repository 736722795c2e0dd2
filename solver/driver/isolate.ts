// Culprit isolation: one participant must not be able to make a whole batch revert. An intent can
// turn bad after it was accepted (the owner revoked the Vault approval or moved the sell tokens
// away, an EIP-1271 wallet's isValidSignature now reverts or burns all gas, a margin account
// withdrew its collateral), and settle is all-or-nothing, so a solver that gives up on a reverting
// batch lets that one intent block every other trade of every auction it sits in.
//
// The loop: build the candidate (re-solved without the intents dropped so far: clearing prices and
// routes change when an intent leaves, so the remaining trades are never just "the old batch minus
// one"), simulate it, and when it reverts find who is at fault:
//  - named: the decoded revert points at intents (a trade index, an owner or account address, a
//    token and the address it was pulled from or paid to, a digest, a market). Those are dropped.
//  - unnamed (out of gas, empty revert data, an error nobody can be read from): bisection over the
//    failing candidate's intents. Probe k re-solves without the first k of them; the smallest k
//    whose probe simulates cleanly makes intent k-1 a culprit (without it, and the ones before it,
//    the batch works; with it, it does not). About log2(n) simulations per culprit.
// then re-solve without the culprits and simulate again, until a candidate simulates cleanly.
//
// Bounds: at most `maxSimulations` simulations (eth_call) and twice as many solves per call, so a
// hostile auction (many bad intents, or a failure no intent causes) costs a bounded number of RPC
// calls. When the budget runs out, the last candidate that did simulate cleanly (a bisection
// probe) is returned, if there was one; else nothing is settled.
import type { Hex } from 'viem';
import type { Logger } from 'pino';
import type { SettleBatch } from '../../contracts/client/settlement.ts';
import type { SignedIntent } from '../../protocol/intent.ts';
import type { Solution } from '../../protocol/solution.ts';
import { lower } from '../domain/address.ts';
import { BundleError, buildBatch } from './bundle.ts';
import { namedCulprits } from './culprits.ts';
import type { DecodedRevert } from './revert.ts';
import type { SimulationResult } from './submitter.ts';

const DEFAULT_MAX_SIMULATIONS = 12;

type Isolated = {
  intentId: Hex;
  /** The revert that named it (`TransferFromFailed`, `InsufficientMargin`, ...), or `bisected:<error>`. */
  reason: string;
};

type IsolationOptions = {
  auctionId: number;
  /**
   * The candidate without the `excluded` intents (lower-case ids), re-solved so prices and routes
   * follow; undefined or no trades when nothing is left to settle.
   */
  solve: (excluded: ReadonlySet<Hex>) => Solution | undefined | Promise<Solution | undefined>;
  /** Signed intents by lower-case id (what buildBatch needs, and what errors are matched against). */
  signed: ReadonlyMap<Hex, SignedIntent>;
  simulate: (batch: SettleBatch) => Promise<SimulationResult>;
  log: Logger;
  /** Simulations allowed in this call, the first one included. Default 12. */
  maxSimulations?: number;
  /**
   * Wall-clock time (ms since the epoch) by which the whole call must be done: a round (re-solve
   * and simulation) that would not finish by then, on what the rounds so far cost, is not started,
   * and the budget counts as exhausted (the last clean candidate, if any, is returned).
   */
  deadline?: number;
};

export type IsolationResult =
  | { ok: true; solution: Solution; batch: SettleBatch; gas: bigint; isolated: Isolated[]; simulations: number; solves: number }
  | {
      ok: false;
      reason: 'nothing_to_settle' | 'budget_exhausted' | 'inconclusive' | 'unbuildable';
      revert?: DecodedRevert;
      isolated: Isolated[];
      simulations: number;
      solves: number;
    };

type Probe =
  | { kind: 'empty' }
  | { kind: 'budget' }
  | { kind: 'unbuildable'; solution: Solution; error: string }
  | { kind: 'simulated'; solution: Solution; batch: SettleBatch; sim: SimulationResult };

/** Finds a settleable candidate, dropping the intents that make it revert; see the file comment. */
export async function isolate(o: IsolationOptions): Promise<IsolationResult> {
  const maxSimulations = o.maxSimulations ?? DEFAULT_MAX_SIMULATIONS;
  // a probe whose solve leaves nothing costs a solve but no simulation
  const maxSolves = 2 * maxSimulations;
  const auctionId = o.auctionId;
  const excluded = new Set<Hex>();
  const isolated: Isolated[] = [];
  let simulations = 0;
  let solves = 0;
  /** The last candidate that simulated cleanly on the way (a bisection probe): the fallback when the budget runs out. */
  let fallback: { solution: Solution; batch: SettleBatch; gas: bigint } | undefined;

  /** What a round after the first costs (re-solve + simulation), as last measured. */
  let lastResolveMs = 50;
  let lastSimulateMs = 50;
  const probe = async (without: ReadonlySet<Hex>): Promise<Probe> => {
    if (solves >= maxSolves) return { kind: 'budget' };
    if (solves > 0 && o.deadline !== undefined && Date.now() + lastResolveMs + lastSimulateMs > o.deadline) return { kind: 'budget' };
    solves++;
    const t0 = Date.now();
    const solution = await o.solve(without);
    if (solves > 1) lastResolveMs = Date.now() - t0;
    if (!solution?.trades.length) return { kind: 'empty' };
    let batch: SettleBatch;
    try {
      batch = buildBatch(solution, o.signed);
    } catch (e) {
      if (e instanceof BundleError) return { kind: 'unbuildable', solution, error: e.message };
      throw e;
    }
    if (simulations >= maxSimulations) return { kind: 'budget' };
    if (simulations > 0 && o.deadline !== undefined && Date.now() + lastSimulateMs > o.deadline) return { kind: 'budget' };
    simulations++;
    const t1 = Date.now();
    const sim = await o.simulate(batch);
    lastSimulateMs = Date.now() - t1;
    if (sim.ok) fallback = { solution, batch, gas: sim.gas };
    return { kind: 'simulated', solution, batch, sim };
  };

  const drop = (ids: readonly Hex[], reason: string, revert: DecodedRevert | undefined): void => {
    for (const intentId of ids) {
      if (excluded.has(intentId)) continue;
      excluded.add(intentId);
      isolated.push({ intentId, reason });
      o.log.warn({
        event: 'intent_isolated',
        auctionId,
        intentId,
        reason,
        ...(revert ? { error: revert.errorName, args: revert.args.map(String) } : {}),
      });
    }
  };

  /**
   * One culprit among `candidates` (the failing candidate's intents, in its order) for a revert
   * that named nobody. lo: a count known to fail; hi: a count known (or, for n, assumed) to pass.
   */
  const bisect = async (candidates: Hex[]): Promise<{ ids: Hex[]; reason: string; revert?: DecodedRevert } | 'budget' | 'inconclusive'> => {
    const without = (k: number): Set<Hex> => new Set([...excluded, ...candidates.slice(0, k)]);
    const passes = async (k: number): Promise<boolean | 'budget' | { named: Hex[]; revert: DecodedRevert }> => {
      const p = await probe(without(k));
      if (p.kind === 'budget') return 'budget';
      if (p.kind === 'empty') return true;
      if (p.kind === 'unbuildable') return false;
      if (p.sim.ok) return true;
      // a probe's revert may name someone even when the first one did not
      const named = namedCulprits(p.sim.revert, p.solution, o.signed).filter((id) => !excluded.has(id));
      return named.length ? { named, revert: p.sim.revert } : false;
    };
    let lo = 0;
    let hi = candidates.length;
    let hiSeen = false;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      const r = await passes(mid);
      if (r === 'budget') return 'budget';
      if (typeof r === 'object') return { ids: r.named, reason: r.revert.errorName, revert: r.revert };
      if (r) {
        hi = mid;
        hiSeen = true;
      } else lo = mid;
    }
    if (!hiSeen) {
      // every probe failed: check that leaving out all of them passes, else the failure is not
      // (only) these intents' doing and blaming the last one would drop an innocent intent
      const r = await passes(candidates.length);
      if (r === 'budget') return 'budget';
      if (typeof r === 'object') return { ids: r.named, reason: r.revert.errorName, revert: r.revert };
      if (!r) return 'inconclusive';
    }
    return { ids: [candidates[hi - 1]!], reason: 'bisected' };
  };

  const giveUp = (reason: 'budget_exhausted' | 'inconclusive', revert: DecodedRevert | undefined): IsolationResult => {
    if (fallback) {
      o.log.warn({ event: 'isolation_fallback', auctionId, reason, simulations, solves, trades: fallback.solution.trades.length });
      return { ok: true, ...fallback, isolated, simulations, solves };
    }
    o.log.warn({
      event: 'isolation_gave_up',
      auctionId,
      reason,
      simulations,
      solves,
      ...(revert ? { error: revert.errorName, args: revert.args.map(String) } : {}),
    });
    return { ok: false, reason, ...(revert ? { revert } : {}), isolated, simulations, solves };
  };

  for (;;) {
    const p = await probe(excluded);
    if (p.kind === 'budget') return giveUp('budget_exhausted', undefined);
    if (p.kind === 'empty') return { ok: false, reason: 'nothing_to_settle', isolated, simulations, solves };
    if (p.kind === 'unbuildable') {
      o.log.warn({ event: 'solution_unbuildable', auctionId, error: p.error });
      return { ok: false, reason: 'unbuildable', isolated, simulations, solves };
    }
    if (p.sim.ok) return { ok: true, solution: p.solution, batch: p.batch, gas: p.sim.gas, isolated, simulations, solves };
    const revert = p.sim.revert;
    const named = namedCulprits(revert, p.solution, o.signed).filter((id) => !excluded.has(id));
    if (named.length) {
      drop(named, revert.errorName, revert);
      continue;
    }
    const ids = p.solution.trades.map((t) => lower(t.intentId) as Hex).filter((id) => !excluded.has(id));
    const found = await bisect(ids);
    if (found === 'budget') return giveUp('budget_exhausted', revert);
    if (found === 'inconclusive') return giveUp('inconclusive', revert);
    drop(found.ids, found.reason === 'bisected' ? `bisected:${revert.errorName}` : found.reason, found.revert ?? revert);
  }
}

/** Log fields for a failed isolation: why, the last revert, and what it cost. */
export function isolationLogFields(r: IsolationResult & { ok: false }): Record<string, unknown> {
  return {
    reason: r.reason,
    ...(r.revert ? { error: r.revert.errorName, args: r.revert.args.map(String) } : {}),
    isolated: r.isolated.length,
    simulations: r.simulations,
  };
}
