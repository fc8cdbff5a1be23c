/**
 * Every error Tessera puts on the wire, one class per RFC code. The
 * `description` is what the client sees; `reason` is the real cause and only
 * ever reaches the log (RFC 6749 §5.2 lets us keep `invalid_client` bodies
 * identical for unknown clients and wrong secrets, which stops client-id
 * enumeration).
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'
  | 'invalid_client_metadata'
  | 'invalid_token'
  | 'access_denied'
  | 'not_found'
  | 'conflict'
  | 'method_not_allowed'
  | 'temporarily_unavailable'
  | 'too_many_requests'
  | 'server_error';

export class OAuthError extends Error {
  override name = 'OAuthError';
  constructor(
    readonly code: OAuthErrorCode,
    readonly status: number,
    readonly description: string,
    /** Logged, never sent. */
    readonly reason: string = description,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(`${code}: ${reason}`);
  }
}

export class InvalidRequest extends OAuthError {
  constructor(description: string, status = 400) {
    super('invalid_request', status, description);
  }
}

/** Why client authentication failed, in a few words fit for a metric label. */
export type AuthFailureKind =
  | 'no_credentials'
  | 'multiple_methods'
  | 'malformed'
  | 'unknown_client'
  | 'wrong_method'
  | 'wrong_secret'
  | 'bad_assertion'
  | 'replayed_assertion'
  | 'bad_certificate'
  // A platform token (federated_jwt): which check refused it.
  | 'untrusted_issuer'
  | 'wrong_audience'
  | 'expired_assertion'
  | 'lifetime_too_long'
  | 'bad_signature'
  | 'issuer_keys_unavailable'
  | 'no_matching_client'
  | 'ambiguous_identity';

/** Client authentication failed. The wire body never says why. */
export class InvalidClient extends OAuthError {
  constructor(
    reason: string,
    readonly kind: AuthFailureKind,
    /** The client the credentials named, when there was one: failures are counted per client. */
    readonly clientId?: string,
  ) {
    super('invalid_client', 401, 'client authentication failed', reason, {
      'www-authenticate': 'Basic realm="tessera", charset="UTF-8"',
    });
  }
}

export class UnauthorizedClient extends OAuthError {
  constructor(description: string) {
    super('unauthorized_client', 400, description);
  }
}

export class UnsupportedGrantType extends OAuthError {
  constructor(description: string) {
    super('unsupported_grant_type', 400, description);
  }
}

export class InvalidScope extends OAuthError {
  constructor(description: string) {
    super('invalid_scope', 400, description);
  }
}

export class InvalidTarget extends OAuthError {
  constructor(description: string) {
    super('invalid_target', 400, description);
  }
}

/**
 * RFC 9449 §5: a DPoP proof that is missing (for a client bound to DPoP),
 * malformed, wrongly signed, stale or replayed. The wire says which of
 * those few kinds it was; the precise check that failed goes to the log.
 */
export class InvalidDpopProof extends OAuthError {
  constructor(reason: string, description = 'the DPoP proof is invalid') {
    super('invalid_dpop_proof', 400, description, reason);
  }
}

/**
 * RFC 9449 §8: the server wants a fresh nonce in the proof; the client
 * retries with the one in the `DPoP-Nonce` header.
 */
export class UseDpopNonce extends OAuthError {
  constructor(reason: string, nonce: string) {
    super('use_dpop_nonce', 400, 'a DPoP proof with the nonce in the DPoP-Nonce header is required', reason, {
      'dpop-nonce': nonce,
    });
  }
}

export class InvalidClientMetadata extends OAuthError {
  constructor(description: string) {
    super('invalid_client_metadata', 400, description);
  }
}

/** The admin key was missing or wrong (RFC 6750 §3.1). */
export class AdminUnauthorized extends OAuthError {
  constructor(reason: string, presented: boolean) {
    super('invalid_token', 401, 'a valid admin key is required', reason, {
      'www-authenticate': presented
        ? 'Bearer realm="tessera-admin", error="invalid_token"'
        : 'Bearer realm="tessera-admin"',
    });
  }
}

/** Authenticated, but this request may not do that (a console call without its cross-site guard). */
export class Forbidden extends OAuthError {
  constructor(description: string, reason: string = description) {
    super('access_denied', 403, description, reason);
  }
}

export class NotFound extends OAuthError {
  constructor(description: string) {
    super('not_found', 404, description);
  }
}

export class Conflict extends OAuthError {
  constructor(description: string) {
    super('conflict', 409, description);
  }
}

export class MethodNotAllowed extends OAuthError {
  constructor(allow: string) {
    super('method_not_allowed', 405, `use ${allow}`, `method not allowed`, { allow });
  }
}

/** Over a rate limit: retry after the window ends. */
export class RateLimited extends OAuthError {
  constructor(description: string, retryAfterMs: number) {
    super('too_many_requests', 429, description, description, {
      'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
    });
  }
}

/** A backing service (database, Redis) is down: retry later, nothing changed. */
export class TemporarilyUnavailable extends OAuthError {
  constructor(reason: string, retryAfterSeconds = 1) {
    super('temporarily_unavailable', 503, 'the service is temporarily unavailable', reason, {
      'retry-after': String(retryAfterSeconds),
    });
  }
}
