// On-chain checks of an intent before it enters the pool, behind an interface so validation runs
// without an RPC endpoint too. ViemChainChecker: balance and allowance to the vault, nonce bit,
// EIP-1271 isValidSignature, and for position intents the clearing house's view of the account (a
// listed market, a margin account, a reduce-only intent that reduces, plausible margin), cached
// per block; for option intents the option book's view (Settlement wired to an option book, the
// series listed in its OptionSeries registry and not expired, a reduce-only intent facing a holding,
// a margin account). When the endpoint fails or times out the checker says `unavailable` (validation
// degrades to off-chain checks), logs the transition once, sets node_chain_check_degraded, and
// recovers on the next successful call. Also answers the auctions' bond check (isSolver).
import { erc20Abi, type Address, type Hex, type PublicClient } from 'viem';
import { clearingHouseAbi } from '../../contracts/artifacts/ClearingHouse.ts';
import { optionBookAbi } from '../../contracts/artifacts/OptionBook.ts';
import { optionSeriesAbi } from '../../contracts/artifacts/OptionSeries.ts';
import { settlementAbi } from '../../contracts/artifacts/Settlement.ts';
import { mulDivCeil, notional, WAD } from '../../protocol/margin.ts';
import type { SignedIntent } from '../../protocol/intent.ts';
import type { ChainCheckCode } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { NodeMetrics } from '../metrics.ts';

export type ChainCheck =
  | { status: 'ok' }
  /** Refused; whether that costs the sender is the code's verdict (node/errors.ts). */
  | { status: 'invalid'; code: ChainCheckCode; reason: string }
  /** The RPC endpoint failed or timed out: validation degrades to off-chain checks. */
  | { status: 'unavailable'; reason: string };

export interface ChainChecker {
  /** `needsSignatureCheck`: the signature is EIP-1271 and only the owner contract can accept it. */
  check(signed: SignedIntent, digest: Hex, needsSignatureCheck: boolean): Promise<ChainCheck>;
}

const eip1271Abi = [
  {
    type: 'function',
    name: 'isValidSignature',
    stateMutability: 'view',
    inputs: [
      { name: 'hash', type: 'bytes32' },
      { name: 'signature', type: 'bytes' },
    ],
    outputs: [{ name: '', type: 'bytes4' }],
  },
] as const;
const EIP1271_MAGIC = '0x1626ba7e';

export type ViemCheckerDeps = {
  client: PublicClient;
  settlement: Address;
  log: Logger;
  metrics?: NodeMetrics;
};

export class ViemChainChecker implements ChainChecker {
  private readonly client: PublicClient;
  private readonly o: ViemCheckerDeps;
  private vault?: Address;
  private clearingHouse?: Address;
  /** Settlement's option book and its series registry, once known (setOptionBook is once-only). */
  private options?: { book: Address; registry: Address };
  private block?: { number: bigint; at: number };
  private readonly cache = new Map<string, Promise<unknown>>();
  private degraded = false;

  constructor(o: ViemCheckerDeps) {
    this.o = o;
    this.client = o.client;
  }

  get isDegraded(): boolean {
    return this.degraded;
  }

  /** The latest block number, asked at most every 500 ms; the per-block cache is keyed by it. */
  private async blockNumber(): Promise<bigint> {
    if (this.block && Date.now() - this.block.at < 500) return this.block.number;
    const n = await this.client.getBlockNumber({ cacheTime: 0 });
    if (this.block?.number !== n) this.cache.clear();
    this.block = { number: n, at: Date.now() };
    return n;
  }

  private cached<T>(key: string, f: () => Promise<T>): Promise<T> {
    let p = this.cache.get(key) as Promise<T> | undefined;
    if (!p) {
      p = f();
      this.cache.set(key, p);
      p.catch(() => this.cache.delete(key));
    }
    return p;
  }

  private setDegraded(on: boolean, reason?: string): void {
    if (on === this.degraded) return;
    this.degraded = on;
    this.o.metrics?.chainCheckDegraded.set(on ? 1 : 0);
    if (on) this.o.log.warn({ event: 'chain_check_degraded', reason }, 'RPC endpoint failing: validating with off-chain checks only');
    else this.o.log.info({ event: 'chain_check_recovered' }, 'RPC endpoint answering again: on-chain checks resumed');
  }

  async check(signed: SignedIntent, digest: Hex, needsSignatureCheck: boolean): Promise<ChainCheck> {
    try {
      const block = await this.blockNumber();
      const owner = (signed.type === 'swap' ? signed.intent.owner : signed.intent.account).toLowerCase() as Address;
      const nonce = signed.intent.nonce;
      const settlement = this.o.settlement;
      this.vault ??= await this.client.readContract({ address: settlement, abi: settlementAbi, functionName: 'vault' });
      const vault = this.vault;
      const used = await this.cached(`${block}:nonce:${owner}:${nonce}`, () =>
        this.client.readContract({
          address: settlement,
          abi: settlementAbi,
          functionName: 'isNonceUsed',
          args: [owner, nonce],
          blockNumber: block,
        }),
      );
      if (used)
        return this.done({
          status: 'invalid',
          code: 'nonce_used',
          reason: `nonce ${nonce} of ${owner} is already used or cancelled on chain`,
        });
      if (needsSignatureCheck) {
        const magic = await this.client
          .readContract({
            address: owner,
            abi: eip1271Abi,
            functionName: 'isValidSignature',
            args: [digest, signed.signature.data],
            blockNumber: block,
          })
          .catch((err: Error) =>
            /timed? ?out|fetch failed|ECONNREFUSED|HTTP request failed/i.test(err.message) ? Promise.reject(err) : '0x',
          );
        if (magic !== EIP1271_MAGIC)
          return this.done({
            status: 'invalid',
            code: 'bad_eip1271_signature',
            reason: `${owner}.isValidSignature did not accept the signature`,
          });
      }
      if (signed.type === 'swap') {
        const i = signed.intent;
        const token = i.sellToken.toLowerCase() as Address;
        const [balance, allowance] = await Promise.all([
          this.cached(`${block}:bal:${token}:${owner}`, () =>
            this.client.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [owner], blockNumber: block }),
          ),
          this.cached(`${block}:alw:${token}:${owner}`, () =>
            this.client.readContract({
              address: token,
              abi: erc20Abi,
              functionName: 'allowance',
              args: [owner, vault],
              blockNumber: block,
            }),
          ),
        ]);
        // Partially fillable intents need only some balance; fill-or-kill ones the whole limit amount.
        const need = i.partiallyFillable ? 1n : i.sellAmount;
        if (balance < need)
          return this.done({
            status: 'invalid',
            code: 'insufficient_balance',
            reason: `${owner} holds ${balance} of ${token}, needs ${need}`,
          });
        if (allowance < need)
          return this.done({
            status: 'invalid',
            code: 'insufficient_allowance',
            reason: `${owner} allows the vault ${allowance} of ${token}, needs ${need}`,
          });
      } else if (signed.type === 'option') {
        const verdict = await this.checkOption(signed.intent, owner, block);
        if (verdict) return this.done(verdict);
      } else {
        const verdict = await this.checkPosition(signed.intent, owner, block);
        if (verdict) return this.done(verdict);
      }
      return this.done({ status: 'ok' });
    } catch (err) {
      const reason = (err as Error).message.split('\n')[0] ?? 'RPC error';
      this.setDegraded(true, reason);
      return { status: 'unavailable', reason };
    }
  }

  /**
   * A position intent is plausible when its market is listed, the account has a margin account
   * (collateral or positions), a reduce-only intent really reduces, and, for anything that adds
   * exposure, the account's equity covers its current initial requirement plus the new size's
   * (at the oracle mark, plus the taker fee). The batch's own margin check on chain stays the rule:
   * this only keeps intents that cannot settle out of the pool and auctions. Not penalised: the
   * account's state may differ between honest nodes by a block.
   */
  private async checkPosition(
    p: Extract<SignedIntent, { type: 'position' }>['intent'],
    account: Address,
    block: bigint,
  ): Promise<ChainCheck | undefined> {
    const invalid = (code: ChainCheckCode, reason: string): ChainCheck => ({ status: 'invalid', code, reason });
    const ch = await this.house();
    if (/^0x0{40}$/i.test(ch)) return invalid('no_clearing_house', 'this settlement has no clearing house: position intents cannot settle');
    const read = <T>(key: string, f: () => Promise<T>): Promise<T> => this.cached(`${block}:${key}`, f);
    // Listed first: an unlisted market has no oracle, and reading its mark would revert.
    const [, , , listed] = await read(`mstate:${p.market}`, () =>
      this.client.readContract({ address: ch, abi: clearingHouseAbi, functionName: 'marketState', args: [p.market], blockNumber: block }),
    );
    if (!listed) return invalid('unknown_market', `market ${p.market} is not listed`);
    const [config, [mark], { equity, initial, collateral }, current] = await Promise.all([
      read(`mconf:${p.market}`, () =>
        this.client.readContract({
          address: ch,
          abi: clearingHouseAbi,
          functionName: 'marketConfig',
          args: [p.market],
          blockNumber: block,
        }),
      ),
      read(`mark:${p.market}`, () =>
        this.client.readContract({ address: ch, abi: clearingHouseAbi, functionName: 'markPrice', args: [p.market], blockNumber: block }),
      ),
      this.marginAccount(ch, account, block),
      read(`pos:${account}:${p.market}`, () =>
        this.client.readContract({
          address: ch,
          abi: clearingHouseAbi,
          functionName: 'position',
          args: [account, p.market],
          blockNumber: block,
        }),
      ),
    ]);
    if (collateral === 0n && current.size === 0n && equity <= 0n)
      return invalid('no_margin_account', `${account} has no collateral in the clearing house`);
    const opposite = current.size !== 0n && current.size > 0n !== p.sizeDelta > 0n;
    const reduces = opposite && (p.sizeDelta < 0n ? -p.sizeDelta : p.sizeDelta) <= (current.size < 0n ? -current.size : current.size);
    // A reduce-only intent larger than the position is fine: the clearing house clamps its fill to
    // the position ("sell 1 reduce-only" closes a 0.7 long). It must face a position, though.
    if (p.reduceOnly && !opposite)
      return invalid('not_reducing', `reduce-only intent would not reduce ${account}'s position of ${current.size} in market ${p.market}`);
    if (reduces || p.reduceOnly) return undefined;
    // Requirements are taken at the mark (as the clearing house does after the batch).
    const added = mulDivCeil(notional(p.sizeDelta, mark), BigInt(config.initialMarginFraction), WAD);
    const fee = mulDivCeil(notional(p.sizeDelta, mark), BigInt(config.feeFraction), WAD);
    if (equity - fee < initial + added) {
      return invalid(
        'insufficient_margin',
        `${account} has equity ${equity}; initial margin after this intent would be ${initial + added} (+ fee ${fee})`,
      );
    }
    return undefined;
  }

  /**
   * An option intent is plausible when Settlement has an option book, its series is listed and not
   * expired at the latest block (the book refuses fills of expired series), a reduce-only intent
   * faces a holding of the series on the other side (the book clamps the fill to it, as for
   * positions), and the account has a margin account in the clearing house (premiums and margin
   * are paid from it). The batch's margin check stays the rule.
   */
  private async checkOption(
    o: Extract<SignedIntent, { type: 'option' }>['intent'],
    account: Address,
    block: bigint,
  ): Promise<ChainCheck | undefined> {
    const invalid = (code: ChainCheckCode, reason: string): ChainCheck => ({ status: 'invalid', code, reason });
    if (!this.options) {
      const book = await this.client.readContract({ address: this.o.settlement, abi: settlementAbi, functionName: 'optionBook' });
      if (/^0x0{40}$/i.test(book)) {
        return invalid('no_option_book', 'this settlement has no option book: option intents cannot settle on this chain');
      }
      const registry = await this.client.readContract({ address: book, abi: optionBookAbi, functionName: 'registry' });
      this.options = { book, registry };
    }
    const { book, registry } = this.options;
    const read = <T>(key: string, f: () => Promise<T>): Promise<T> => this.cached(`${block}:${key}`, f);
    const [series, timestamp] = await Promise.all([
      read(`series:${o.series}`, () =>
        this.client.readContract({ address: registry, abi: optionSeriesAbi, functionName: 'series', args: [o.series], blockNumber: block }),
      ),
      read('timestamp', async () => (await this.client.getBlock({ blockNumber: block })).timestamp),
    ]);
    if (series.expiry === 0n) return invalid('unknown_series', `option series ${o.series} is not listed`);
    if (series.expiry <= timestamp) {
      return invalid('series_expired', `option series ${o.series} expired at ${series.expiry} (block time ${timestamp})`);
    }
    if (o.reduceOnly) {
      const held = await read(`opt:${account}:${o.series}`, () =>
        this.client.readContract({
          address: book,
          abi: optionBookAbi,
          functionName: 'positionOf',
          args: [account, o.series],
          blockNumber: block,
        }),
      );
      if (held === 0n || held > 0n === o.size > 0n) {
        return invalid('not_reducing', `reduce-only intent would not reduce ${account}'s holding of ${held} in series ${o.series}`);
      }
      return undefined;
    }
    const { collateral, equity } = await this.marginAccount(await this.house(), account, block);
    if (collateral === 0n && equity <= 0n) return invalid('no_margin_account', `${account} has no collateral in the clearing house`);
    return undefined;
  }

  /** The Settlement's clearing house (the zero address when it has none), read once. */
  private async house(): Promise<Address> {
    this.clearingHouse ??= await this.client.readContract({
      address: this.o.settlement,
      abi: settlementAbi,
      functionName: 'clearingHouse',
    });
    return this.clearingHouse;
  }

  /** An account's stablecoin and health in the clearing house at `block` (both checks share the reads). */
  private async marginAccount(
    ch: Address,
    account: Address,
    block: bigint,
  ): Promise<{ collateral: bigint; equity: bigint; initial: bigint }> {
    const at = { address: ch, abi: clearingHouseAbi, blockNumber: block } as const;
    const [[equity, initial], collateral] = await Promise.all([
      this.cached(`${block}:health:${account}`, () => this.client.readContract({ ...at, functionName: 'accountHealth', args: [account] })),
      this.cached(`${block}:coll:${account}`, () => this.client.readContract({ ...at, functionName: 'collateral', args: [account] })),
    ]);
    return { collateral, equity, initial };
  }

  /** Whether `solver` is bonded (Settlement.isSolver) at the latest block; undefined when the RPC fails. */
  async isSolver(solver: Address): Promise<boolean | undefined> {
    try {
      const block = await this.blockNumber();
      const ok = await this.cached(`${block}:solver:${solver.toLowerCase()}`, () =>
        this.client.readContract({
          address: this.o.settlement,
          abi: settlementAbi,
          functionName: 'isSolver',
          args: [solver],
          blockNumber: block,
        }),
      );
      this.setDegraded(false);
      return ok;
    } catch (err) {
      this.setDegraded(true, (err as Error).message.split('\n')[0]);
      return undefined;
    }
  }

  private done(c: ChainCheck): ChainCheck {
    this.setDegraded(false);
    return c;
  }
}
