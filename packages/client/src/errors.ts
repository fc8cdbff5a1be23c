/**
 * Every error the client throws, each with a stable `code` to switch on (the
 * messages may change; the codes will not). None of them ever carries a
 * secret, a client assertion or an access token.
 */
export type TokenClientErrorCode =
  | 'ERR_TOKEN_CLIENT_CONFIG'
  | 'ERR_DISCOVERY'
  | 'ERR_TOKEN_ENDPOINT'
  | 'ERR_INVALID_TOKEN_RESPONSE'
  | 'ERR_NETWORK'
  | 'ERR_TIMEOUT'
  | 'ERR_CIRCUIT_OPEN'
  | 'ERR_CLIENT_ASSERTION';

export abstract class TokenClientError extends Error {
  abstract readonly code: TokenClientErrorCode;
  /** Whether trying again later may succeed (network trouble, 5xx, 429). */
  readonly retryable: boolean;
  /** How long the server asked us to wait (`Retry-After`), in milliseconds. */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: { retryable?: boolean; retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** The options given to `createTokenClient` cannot work. Thrown at creation. */
export class TokenClientConfigError extends TokenClientError {
  override readonly name = 'TokenClientConfigError';
  readonly code = 'ERR_TOKEN_CLIENT_CONFIG';
}

/** The authorization server metadata (RFC 8414) could not be fetched or is unusable. */
export class DiscoveryError extends TokenClientError {
  override readonly name = 'DiscoveryError';
  readonly code = 'ERR_DISCOVERY';
  readonly status: number | undefined;

  constructor(
    message: string,
    options: { status?: number; retryable?: boolean; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, options);
    this.status = options.status;
  }
}

/**
 * The token endpoint refused the request (RFC 6749 §5.2) or failed. `error` is
 * the RFC code (`invalid_client`, `invalid_scope`, …) when the server sent one.
 */
export class TokenEndpointError extends TokenClientError {
  override readonly name = 'TokenEndpointError';
  readonly code = 'ERR_TOKEN_ENDPOINT';
  readonly status: number;
  readonly error: string | undefined;
  readonly errorDescription: string | undefined;
  readonly errorUri: string | undefined;

  constructor(init: {
    status: number;
    error?: string | undefined;
    errorDescription?: string | undefined;
    errorUri?: string | undefined;
    retryAfterMs?: number | undefined;
  }) {
    const what = init.error ?? `HTTP ${init.status}`;
    const why = init.errorDescription ? `: ${init.errorDescription}` : '';
    const retryable = init.status >= 500 || init.status === 429;
    super(`token endpoint answered ${init.status} ${what}${why}`, {
      retryable,
      ...(init.retryAfterMs === undefined ? {} : { retryAfterMs: init.retryAfterMs }),
    });
    this.status = init.status;
    this.error = init.error;
    this.errorDescription = init.errorDescription;
    this.errorUri = init.errorUri;
  }
}

/** A 2xx answer that is not a usable RFC 6749 §5.1 token response. */
export class InvalidTokenResponseError extends TokenClientError {
  override readonly name = 'InvalidTokenResponseError';
  readonly code = 'ERR_INVALID_TOKEN_RESPONSE';
}

/** The request never got an HTTP answer (DNS, refused connection, reset…). */
export class NetworkError extends TokenClientError {
  override readonly name = 'NetworkError';
  readonly code = 'ERR_NETWORK';

  constructor(message: string, cause: unknown) {
    super(message, { retryable: true, cause });
  }
}

/** One HTTP request took longer than the configured `timeout`. */
export class TimeoutError extends TokenClientError {
  override readonly name = 'TimeoutError';
  readonly code = 'ERR_TIMEOUT';

  constructor(message: string) {
    super(message, { retryable: true });
  }
}

/**
 * The platform's token (`clientAssertionFile`, `clientAssertion`) could not
 * be had: the file is missing or holds no JWT, the function failed. Retried
 * like a network error, since the platform may be renewing it; `cause` is
 * the underlying error (which the message never quotes).
 */
export class ClientAssertionError extends TokenClientError {
  override readonly name = 'ClientAssertionError';
  readonly code = 'ERR_CLIENT_ASSERTION';

  constructor(message: string, cause?: unknown) {
    super(message, { retryable: true, cause });
  }
}

/**
 * The token endpoint failed repeatedly, so requests are paused until
 * `retryAt` instead of adding load to a server that is down. `cause` is the
 * last real failure.
 */
export class CircuitOpenError extends TokenClientError {
  override readonly name = 'CircuitOpenError';
  readonly code = 'ERR_CIRCUIT_OPEN';
  /** Epoch milliseconds (on the client's clock) when a request is tried again. */
  readonly retryAt: number;

  constructor(retryAt: number, cause: unknown) {
    super('token endpoint is failing; requests are paused until it cools down', { retryable: true, cause });
    this.retryAt = retryAt;
  }
}

/** Failures that say the token endpoint (or the client's credentials) is unusable for every key. */
export function countsTowardCircuit(error: unknown): boolean {
  if (!(error instanceof TokenClientError)) return true;
  if (error instanceof TokenEndpointError) return error.retryable || error.error === 'invalid_client';
  return !(error instanceof TokenClientConfigError);
}
