// The runner-up policy. A solution that is not a winner (`winner: false` at the node) may settle in
// its own window, after the better-ranked ones' windows. Several winners can settle one auction
// (disjoint intents, pools and markets), so a settlement of the auction does not mean ours is moot:
// it waits for its window, keeps only the trades whose intents are still open at the node and
// unused on chain, stands down when none is left (checked early whenever the auction has a
// settlement), and submits that bundle only if it simulates cleanly at the latest block.
import type { Address, Hex, PublicClient } from 'viem';
import type { Logger } from 'pino';
import type { RankedSolution } from '../../protocol/api.ts';
import type { SignedIntent } from '../../protocol/intent.ts';
import type { Solution } from '../../protocol/solution.ts';
import type { NodeApi } from '../../protocol/client.ts';
import { wholeOptionSeries } from '../domain/option-clearing.ts';
import { withoutOrphanHedges } from '../domain/option-hedge.ts';
import { usedNonces } from '../infra/settlement.ts';
import { isolate, isolationLogFields, type IsolationResult } from './isolate.ts';
import type { AuctionOutcome } from './outcome.ts';
import type { BundleSubmitter } from './submitter.ts';

type RunnerUpContext = {
  node: NodeApi;
  publicClient: PublicClient;
  settlement: Address;
  submitter: BundleSubmitter;
  log: Logger;
  maxSimulations?: number;
  /** Told when our window opens: other auctions' solving waits for this one around the time it may change pool state. */
  holdUntil: (ms: number) => void;
};

/** The intent's state at the node, or 'unknown' when the node does not answer it. */
const stateAt = (node: NodeApi, id: Hex): Promise<string> =>
  node.intent(id).then(
    (st) => st.state,
    () => 'unknown',
  );

export async function settleAsRunnerUp(
  c: RunnerUpContext,
  auctionId: number,
  mine: RankedSolution,
  solution: Solution,
  signed: ReadonlyMap<Hex, SignedIntent>,
): Promise<AuctionOutcome> {
  const rank = mine.rank;
  const from = mine.settleFrom ? Date.parse(mine.settleFrom) : NaN;
  const until = mine.settleUntil ? Date.parse(mine.settleUntil) : NaN;
  if (!Number.isFinite(from) || !Number.isFinite(until))
    return { auctionId, status: 'runner_up_skipped', rank, reason: 'the node gave no settle window' };
  c.holdUntil(from);
  c.log.info({ event: 'runner_up_waiting', auctionId, rank, settleFrom: mine.settleFrom, settleUntil: mine.settleUntil });
  /** Whether any intent of the solution is still open at the node. */
  const anyOpen = async (): Promise<boolean> => {
    const states = await Promise.all(solution.trades.map((t) => stateAt(c.node, t.intentId)));
    return states.some((st) => st === 'open' || st === 'unknown');
  };
  let checkedSettlement: string | undefined;
  for (;;) {
    const s = (await c.node.auctionById(auctionId).catch(() => undefined))?.settlement ?? null;
    // another winner (or a better runner-up) settled: our part may still be open
    if (s && s.txHash !== checkedSettlement) {
      checkedSettlement = s.txHash;
      if (!(await anyOpen())) {
        c.log.info({ event: 'runner_up_stands_down', auctionId, rank, settledBy: s.solver, tx: s.txHash });
        return { auctionId, status: 'settled_by_other', rank, reason: `settled by ${s.solver} in ${s.txHash}` };
      }
    }
    const now = Date.now();
    if (now >= from) break;
    await new Promise((r) => setTimeout(r, Math.min(200, from - now)));
  }
  if (Date.now() >= until) return { auctionId, status: 'runner_up_skipped', rank, reason: 'the settle window passed' };
  // Intents still unfilled: open at the node, and (fill-or-kill, positions) nonce unused on chain.
  const states = await Promise.all(solution.trades.map((t) => stateAt(c.node, t.intentId)));
  let trades = solution.trades.filter((_, k) => states[k] === 'open');
  if (trades.length) {
    const block = await c.publicClient.getBlockNumber({ cacheTime: 0 });
    const used = await usedNonces(
      c.publicClient,
      c.settlement,
      trades.map((t) => signed.get(t.intentId.toLowerCase() as Hex)!),
      block,
    );
    trades = trades.filter((_, k) => !used[k]);
  }
  const dropped = solution.trades.length - trades.length;
  if (!trades.length) {
    c.log.info({ event: 'runner_up_stands_down', auctionId, rank, reason: 'every intent already filled or cancelled' });
    return { auctionId, status: 'runner_up_skipped', rank, reason: 'every intent of the solution is already filled or cancelled' };
  }
  // Never submit something that would revert. The published solution's prices and interactions
  // stay as ranked, so isolation here can only leave trades out (no re-solve): it helps when the
  // bad intent's flows do not carry the rest (e.g. a matched pair), and costs a bounded number of
  // simulations when they do.
  const open = trades;
  const optionOf = (id: Hex) => {
    const s = signed.get(id.toLowerCase() as Hex);
    return s?.type === 'option' ? s.intent : undefined;
  };
  const isPositionTrade = (id: Hex, market: number): boolean => {
    const s = signed.get(id.toLowerCase() as Hex);
    return s?.type === 'position' && s.intent.market === market;
  };
  let found: IsolationResult;
  try {
    found = await isolate({
      auctionId,
      solve: (excluded) =>
        withoutOrphanHedges(
          solution,
          wholeOptionSeries({ ...solution, trades: open.filter((t) => !excluded.has(t.intentId.toLowerCase() as Hex)) }, optionOf),
          isPositionTrade,
        ),
      signed,
      simulate: (b) => c.submitter.simulate(b, { estimate: false }),
      log: c.log,
      ...(c.maxSimulations !== undefined ? { maxSimulations: c.maxSimulations } : {}),
      // a bundle simulated after the window would be refused by the node's record anyway
      deadline: until,
    });
  } catch (e) {
    return { auctionId, status: 'runner_up_skipped', rank, reason: (e as Error).message };
  }
  if (!found.ok) {
    c.log.info({ event: 'runner_up_stands_down', auctionId, rank, dropped, ...isolationLogFields(found) });
    return {
      auctionId,
      status: 'runner_up_skipped',
      rank,
      reason: found.revert ? `simulation reverted: ${found.revert.errorName}` : `no settleable subset: ${found.reason}`,
    };
  }
  c.log.info({
    event: 'runner_up_settling',
    auctionId,
    rank,
    trades: found.solution.trades.length,
    dropped: dropped + found.isolated.length,
  });
  const result = await c.submitter.submit(found.batch);
  return { auctionId, status: 'submitted', result, rank };
}
