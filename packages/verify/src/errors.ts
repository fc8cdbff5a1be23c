/**
 * Every way a verification can fail, with the fixed description that may be
 * shown to the caller. The `kind` decides the HTTP answer: the token is bad
 * (401), its DPoP proof is bad or lacks the nonce (401, RFC 9449 §7.1), the
 * token lacks a scope (403), or the verifier cannot decide right now (503,
 * the caller's token may well be fine).
 */
const CODES = {
  token_malformed: { kind: 'invalid_token', description: 'The access token is malformed' },
  token_expired: { kind: 'invalid_token', description: 'The access token expired' },
  token_not_yet_valid: { kind: 'invalid_token', description: 'The access token is not valid yet' },
  token_inactive: { kind: 'invalid_token', description: 'The access token is not active' },
  signature_invalid: { kind: 'invalid_token', description: 'The access token signature is invalid' },
  alg_not_allowed: { kind: 'invalid_token', description: 'The access token signing algorithm is not allowed' },
  kid_unknown: { kind: 'invalid_token', description: 'The access token was signed with an unknown key' },
  issuer_mismatch: { kind: 'invalid_token', description: 'The access token was issued by another issuer' },
  audience_mismatch: { kind: 'invalid_token', description: 'The access token is not meant for this resource' },
  typ_invalid: { kind: 'invalid_token', description: 'The token is not an access token' },
  claim_invalid: { kind: 'invalid_token', description: 'The access token lacks a required claim' },
  // Delegation (RFC 8693 §4.1): who acts for the subject.
  act_invalid: { kind: 'invalid_token', description: 'The access token has a malformed act claim' },
  delegation_too_deep: { kind: 'invalid_token', description: 'The delegation chain of the access token is too long' },
  // Status lists (draft-ietf-oauth-status-list).
  token_revoked: { kind: 'invalid_token', description: 'The access token has been revoked' },
  status_invalid: { kind: 'invalid_token', description: 'The access token has an invalid status claim' },
  status_missing: { kind: 'invalid_token', description: 'The access token carries no status' },
  insufficient_scope: { kind: 'insufficient_scope', description: 'The access token lacks a required scope' },
  jwks_unavailable: { kind: 'unavailable', description: 'The signing keys cannot be fetched' },
  discovery_failed: { kind: 'unavailable', description: 'The authorization server metadata cannot be fetched' },
  introspection_unavailable: { kind: 'unavailable', description: 'The token introspection endpoint failed' },
  dpop_replay_unavailable: { kind: 'unavailable', description: 'The DPoP replay store failed' },
  status_list_unavailable: { kind: 'unavailable', description: 'The token status list cannot be fetched' },
  // Sender-constrained tokens: DPoP (RFC 9449 §7.1) and certificates (RFC 8705 §3).
  dpop_proof_missing: { kind: 'invalid_dpop_proof', description: 'A DPoP proof is required' },
  dpop_proof_invalid: { kind: 'invalid_dpop_proof', description: 'The DPoP proof is invalid' },
  dpop_alg_not_allowed: {
    kind: 'invalid_dpop_proof',
    description: 'The DPoP proof signing algorithm is not allowed',
  },
  dpop_proof_mismatch: { kind: 'invalid_dpop_proof', description: 'The DPoP proof is not for this request' },
  dpop_proof_expired: { kind: 'invalid_dpop_proof', description: 'The DPoP proof is too old or from the future' },
  dpop_proof_replayed: { kind: 'invalid_dpop_proof', description: 'The DPoP proof was already used' },
  dpop_nonce_required: { kind: 'use_dpop_nonce', description: 'Resource server requires nonce in DPoP proof' },
  dpop_key_mismatch: { kind: 'invalid_token', description: 'The access token is not bound to the DPoP proof key' },
  dpop_bound_token: {
    kind: 'invalid_token',
    description: 'The access token is bound to a key and must be sent with the DPoP scheme and a proof',
  },
  dpop_not_bound: { kind: 'invalid_token', description: 'The access token is not bound to a DPoP key' },
  dpop_required: { kind: 'invalid_token', description: 'This resource requires a DPoP-bound access token' },
  certificate_missing: {
    kind: 'invalid_token',
    description: 'The access token is bound to a client certificate that was not presented',
  },
  certificate_mismatch: {
    kind: 'invalid_token',
    description: 'The client certificate does not match the access token',
  },
  certificate_required: {
    kind: 'invalid_token',
    description: 'This resource requires a certificate-bound access token',
  },
} as const satisfies Record<string, { kind: VerifyErrorKind; description: string }>;

export type VerifyErrorKind =
  | 'invalid_token'
  | 'insufficient_scope'
  | 'unavailable'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce';
export type VerifyErrorCode = keyof typeof CODES;

export interface VerifyErrorOptions {
  /** For logs and debugging only; never contains the token. */
  detail?: string;
  cause?: unknown;
  /** For `insufficient_scope`: the scopes the resource needs. */
  requiredScopes?: readonly string[];
  /** For `dpop_nonce_required`: the nonce to send in `DPoP-Nonce`. */
  dpopNonce?: string;
}

export class VerifyError extends Error {
  override readonly name = 'VerifyError';
  readonly code: VerifyErrorCode;
  readonly kind: VerifyErrorKind;
  /** A fixed, caller-safe sentence (no token content, no internal detail). */
  readonly description: string;
  readonly requiredScopes: readonly string[] | undefined;
  /** For `use_dpop_nonce`: the nonce the client must put in its next proof (sent as `DPoP-Nonce`). */
  readonly dpopNonce: string | undefined;

  constructor(code: VerifyErrorCode, options: VerifyErrorOptions = {}) {
    const { kind, description } = CODES[code];
    super(options.detail ? `${description}: ${options.detail}` : description, { cause: options.cause });
    this.code = code;
    this.kind = kind;
    this.description = description;
    this.requiredScopes = options.requiredScopes;
    this.dpopNonce = options.dpopNonce;
  }
}

export function isVerifyError(value: unknown): value is VerifyError {
  return value instanceof VerifyError;
}

/** All codes, for documentation and exhaustive tests. */
export const VERIFY_ERROR_CODES = Object.keys(CODES) as VerifyErrorCode[];
