// Typed outcomes: decoders and verifiers return these instead of throwing, so hostile input can
// never crash a node, and every rejection says which field was wrong and why.

export type ErrorCode =
  | 'malformed' // not the shape we expect (bad hex, wrong type, missing field)
  | 'unsupported_version' // unknown codec version or intent tag
  | 'truncated' // input ended early
  | 'trailing_bytes' // bytes left over after a complete value
  | 'out_of_range' // a number outside its type's range, or a non-canonical encoding
  | 'zero_amount'
  | 'same_token'
  | 'wrong_domain' // signed for another chain or settlement contract
  | 'expired'
  | 'bad_signature' // not a valid secp256k1 signature (r/s out of range, no point)
  | 'high_s' // malleable signature: s above half the curve order
  | 'wrong_signer' // valid signature, but not by the intent's owner
  | 'invalid_solution'; // a solution that breaks a limit or the batch rules

export type ProtocolError = { code: ErrorCode; field: string; reason: string };

export type Result<T> = { ok: true; value: T } | { ok: false; error: ProtocolError };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });

export const fail = <T = never>(code: ErrorCode, field: string, reason: string): Result<T> => ({
  ok: false,
  error: { code, field, reason },
});

/** One line for logs and API responses: `high_s at signature: s is above n/2`. */
export const describeError = (e: ProtocolError): string => `${e.code} at ${e.field}: ${e.reason}`;
