// Every code the node answers a message or a request with, and what it means, in one place: for
// each kind of message (intent, cancel, solution) a table gives each code its gossip verdict and
// its HTTP status, so the gossip handlers, the sync stream and the HTTP API cannot disagree.
// The verdicts follow gossipsub: ACCEPT (stored; relayed), IGNORE (dropped without penalty: not
// provably the sender's fault, e.g. a duplicate, an expiry race, a full queue, state another
// node may see differently), REJECT (provably invalid from the message alone: the sender should
// have checked it, and its score pays). Codes are string literal unions, never built at run time.
import type { ErrorCode } from '../protocol/result.ts';
import type { FinalState } from './pool/record.ts';

/** What gossipsub does with a message. */
export type Verdict = 'accept' | 'ignore' | 'reject';

/** A code's meaning: its gossip verdict and the HTTP status the API answers it with. */
export type Rule = { readonly verdict: Verdict; readonly status: number };

const accept = (status: number) => ({ verdict: 'accept', status }) as const;
const ignore = (status: number) => ({ verdict: 'ignore', status }) as const;
const reject = (status: number) => ({ verdict: 'reject', status }) as const;

/** The codes of `table` whose verdict is one of `V`. */
export type CodesWith<T extends Record<string, Rule>, V extends Verdict> = {
  [C in keyof T]: T[C]['verdict'] extends V ? C : never;
}[keyof T] &
  string;

/** The protocol's own refusals (decode, field rules, signatures): provable from the bytes. */
function protocolRejects(status: number): Record<ErrorCode, ReturnType<typeof reject>> {
  return {
    malformed: reject(status),
    unsupported_version: reject(status),
    truncated: reject(status),
    trailing_bytes: reject(status),
    out_of_range: reject(status),
    zero_amount: reject(status),
    same_token: reject(status),
    wrong_domain: reject(status),
    expired: reject(status),
    bad_signature: reject(status),
    high_s: reject(status),
    wrong_signer: reject(status),
    invalid_solution: reject(status),
  };
}

// ---------------------------------------------------------------------------------------------
// Intents: gossip on /intents/1/<chainId>, sync frames, POST /v1/intents.

/** Refusals from the chain checker (node/chain/checker.ts): state read at the latest block. */
export type ChainCheckCode =
  | 'nonce_used'
  | 'bad_eip1271_signature'
  | 'insufficient_balance'
  | 'insufficient_allowance'
  | 'no_clearing_house'
  | 'unknown_market'
  | 'no_margin_account'
  | 'not_reducing'
  | 'insufficient_margin'
  | 'no_option_book'
  | 'unknown_series'
  | 'series_expired';

/** A replay of an intent the pool holds in a final state. */
export type ReplayCode = `replay_${FinalState}`;

export type IntentCode =
  | ErrorCode
  | ChainCheckCode
  | ReplayCode
  | 'accepted'
  | 'duplicate'
  | 'over_quota'
  | 'oversized'
  | 'chain_unavailable'
  | 'busy'
  | 'backlog'
  | 'pool_full'
  | 'internal_error';

export const INTENT_RULES = {
  ...protocolRejects(400),
  // Expiry is a race an honest relay can lose (clock skew, a slow hop).
  expired: ignore(400),
  accepted: accept(201),
  // The API answers a duplicate with the stored intent's state.
  duplicate: ignore(200),
  replay_filled: ignore(409),
  replay_cancelled: ignore(409),
  replay_expired: ignore(409),
  over_quota: ignore(429),
  oversized: reject(400),
  // Without the chain a contract-wallet signature cannot be checked either way.
  chain_unavailable: ignore(503),
  busy: ignore(503),
  // Backpressure (node/pool/backlog.ts): the API refuses an intent that would expire before the
  // network settles the backlog ahead of it, or any at the pool's hard cap; gossip only at the cap.
  // Retry-After says when to come back.
  backlog: ignore(503),
  pool_full: ignore(503),
  internal_error: ignore(500),
  // Chain state may differ between honest nodes by a block: not provable, so no penalty...
  nonce_used: ignore(409),
  insufficient_balance: ignore(400),
  insufficient_allowance: ignore(400),
  no_clearing_house: ignore(400),
  unknown_market: ignore(400),
  no_margin_account: ignore(400),
  not_reducing: ignore(400),
  insufficient_margin: ignore(400),
  // Option intents on a chain whose Settlement has no option book cannot settle here; a series
  // unknown or expired at this node's block may be listed or live at another's.
  no_option_book: ignore(400),
  unknown_series: ignore(400),
  series_expired: ignore(400),
  // ...except a contract wallet refusing the signature, which no block changes.
  bad_eip1271_signature: reject(400),
} as const satisfies Record<IntentCode, Rule>;

/** The intent codes that refuse (ignore or reject) the intent. */
export type IntentRefusalCode = CodesWith<typeof INTENT_RULES, 'ignore' | 'reject'>;

export const REPLAY_CODE: Readonly<Record<FinalState, ReplayCode>> = {
  filled: 'replay_filled',
  cancelled: 'replay_cancelled',
  expired: 'replay_expired',
};

/**
 * Ignores that come from this node's own state (its failure, its full pool), not from anything the
 * sending peer did: they never count against its ignore budget.
 */
export const OUR_OWN_STATE: ReadonlySet<string> = new Set<IntentCode>(['internal_error', 'pool_full', 'backlog', 'busy']);

/** Refusals that only say "this node already holds the intent": free for a sync responder, which cannot know what we hold. */
export const ALREADY_HELD: ReadonlySet<IntentCode> = new Set<IntentCode>([
  'duplicate',
  'replay_filled',
  'replay_cancelled',
  'replay_expired',
]);

// ---------------------------------------------------------------------------------------------
// Cancels: gossip on /cancels/1/<chainId>, sync cancel frames, POST /v1/intents/{id}/cancel.

/** A cancel of an intent already in a final state. */
export type AlreadyCode = `already_${FinalState}`;

export type CancelCode = ErrorCode | AlreadyCode | 'cancelled' | 'unknown_intent';

export const CANCEL_RULES = {
  ...protocolRejects(400),
  // Signed, but not by the intent's owner.
  wrong_signer: reject(403),
  cancelled: accept(200),
  // Without the intent nobody can tell who owns it: neither stored nor relayed, no penalty.
  unknown_intent: ignore(404),
  already_filled: ignore(409),
  already_cancelled: ignore(409),
  already_expired: ignore(409),
} as const satisfies Record<CancelCode, Rule>;

export type CancelRefusalCode = CodesWith<typeof CANCEL_RULES, 'ignore' | 'reject'>;

export const ALREADY_CODE: Readonly<Record<FinalState, AlreadyCode>> = {
  filled: 'already_filled',
  cancelled: 'already_cancelled',
  expired: 'already_expired',
};

// ---------------------------------------------------------------------------------------------
// Solutions: gossip on /solutions/1/<chainId>, POST /v1/solutions.

export type SolutionCode =
  | ErrorCode
  | 'ranked'
  | 'duplicate'
  | 'unknown_auction'
  | 'too_late'
  | 'solver_quota'
  | 'unknown_intent'
  | 'fill_view'
  | 'unknown_solver';

export const SOLUTION_RULES = {
  // A broken rule is provable and marks the solver's record.
  ...protocolRejects(422),
  ranked: accept(202),
  duplicate: ignore(200),
  // The auction does not take this solution now (or at this node yet): nobody's fault.
  unknown_auction: ignore(409),
  too_late: ignore(409),
  solver_quota: ignore(409),
  unknown_intent: ignore(409),
  fill_view: ignore(409),
  unknown_solver: ignore(403),
} as const satisfies Record<SolutionCode, Rule>;

export type SolutionRefusalCode = CodesWith<typeof SOLUTION_RULES, 'ignore' | 'reject'>;

// ---------------------------------------------------------------------------------------------
// Gossip messages that never reach a message handler.

export type GossipCode = IntentCode | CancelCode | SolutionCode | 'no_handler';

// ---------------------------------------------------------------------------------------------
// HTTP requests refused before any message is looked at.

export type RequestCode =
  | 'malformed'
  | 'malformed_json'
  | 'bad_query'
  | 'unsupported_media_type'
  | 'body_too_large'
  | 'not_found'
  | 'method_not_allowed'
  | 'auctions_disabled'
  | 'chain_unavailable'
  | 'no_clearing_house'
  | 'internal';

export const REQUEST_STATUS: Readonly<Record<RequestCode, number>> = {
  malformed: 400,
  malformed_json: 400,
  bad_query: 400,
  unsupported_media_type: 415,
  body_too_large: 413,
  not_found: 404,
  method_not_allowed: 405,
  auctions_disabled: 503,
  chain_unavailable: 503,
  no_clearing_house: 404,
  internal: 500,
};

// ---------------------------------------------------------------------------------------------
// POST /v1/quote (node/api/quotes.ts): the node asks its quoters (solvers' quote endpoints).

export type QuoteCode =
  // the request is not a valid QuoteRequest (the message names the field)
  | 'bad_quote_request'
  // the node has no --quoter
  | 'quotes_disabled'
  // no quoter answered with a valid quote within the deadline (the message lists why)
  | 'no_quote'
  // this client asked for more quotes than its share (Retry-After says when to ask again)
  | 'rate_limited';

export const QUOTE_STATUS: Readonly<Record<QuoteCode, number>> = {
  bad_quote_request: 400,
  quotes_disabled: 503,
  no_quote: 422,
  rate_limited: 429,
};

/** A code with its verdict looked up in `table`. */
export function judge<T extends Record<string, Rule>, C extends keyof T & string>(
  table: T,
  code: C,
): { verdict: T[C]['verdict']; code: C } {
  return { verdict: table[code]!.verdict, code };
}
