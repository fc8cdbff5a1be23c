import type { TokenClientError } from './errors.js';

/**
 * What happened to a token, for logs and metrics. Events name the audience
 * and scope but never carry a token, a secret or an assertion.
 */
export interface TokenEventBase {
  audience: readonly string[];
  scope: string;
  /** `token_exchange` for `exchangeToken` (RFC 8693), else `client_credentials`. */
  grant: TokenGrant;
  /** Milliseconds from the first attempt to the outcome, retries and pauses included. */
  duration: number;
  /** HTTP attempts made (1 when the first one settled it; 0 when none was made). */
  attempts: number;
}

/** Which grant obtained a token. */
export type TokenGrant = 'client_credentials' | 'token_exchange';

/** Why a token was requested. */
export type TokenRequestReason = 'cold' | 'expired' | 'invalidated' | 'refresh-ahead';

export interface TokenFetchedEvent extends TokenEventBase {
  reason: TokenRequestReason;
  /** Lifetime the server gave, in seconds, if it said. */
  expiresIn: number | undefined;
  /** Scope the server granted, if it said. */
  grantedScope: string | undefined;
}

export interface TokenFailedEvent extends TokenEventBase {
  reason: TokenRequestReason;
  /** True if callers are still served the previous, valid token. */
  background: boolean;
  error: TokenClientError | Error;
}

export interface TokenRetryEvent {
  audience: readonly string[];
  scope: string;
  grant: TokenGrant;
  /** The attempt that failed. */
  attempt: number;
  /** Pause before the next one, in ms. */
  delay: number;
  error: TokenClientError;
}

export interface TokenClientHooks {
  /** A caller had no usable token and one was obtained (cold key, expired or invalidated token). */
  onTokenFetched?(event: TokenFetchedEvent): void;
  /** A token was renewed in the background before it expired. */
  onTokenRenewed?(event: TokenFetchedEvent): void;
  /** Obtaining a token failed after its retries (or the circuit is open). */
  onTokenFailed?(event: TokenFailedEvent): void;
  /** An attempt failed and another one follows after `delay`. */
  onRetry?(event: TokenRetryEvent): void;
}

/** A hook that throws must not break token delivery. */
export function emit<E>(hook: ((event: E) => void) | undefined, event: E): void {
  if (!hook) return;
  try {
    hook(event);
  } catch {
    // Deliberately ignored: observability is best effort.
  }
}
