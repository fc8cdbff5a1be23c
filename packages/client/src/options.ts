import {
  type CircuitBreakerOptions,
  type CircuitBreakerPolicy,
  defaultCircuitBreakerPolicy,
} from './circuit-breaker.js';
import type { ClientAuthOptions } from './client-auth.js';
import { type Clock, systemClock, systemTimers, type Timers } from './clock.js';
import { type DpopOption, DpopProver } from './dpop.js';
import { TokenClientConfigError } from './errors.js';
import type { TokenClientHooks } from './hooks.js';
import type { FetchLike } from './http-request.js';
import { tlsFetch } from './mtls.js';
import { defaultRetryPolicy, type RetryOptions, type RetryPolicy } from './retry.js';

/** Every option of `createTokenClient`. All durations are in milliseconds. */
export interface TokenClientOptions extends ClientAuthOptions {
  /** The authorization server's issuer identifier; discovery starts from it, assertions are addressed to it. */
  issuer: string;
  /** Skips discovery. */
  tokenEndpoint?: string;
  /** Parameter that carries the audience: `audience` (Tessera, Auth0) or `resource` (RFC 8707). Default `audience`. */
  audienceParameter?: 'audience' | 'resource';
  /** Added to every token request body (never overriding grant_type, scope, audience, credentials or exchange parameters). */
  extraParameters?: Readonly<Record<string, string>>;
  /** Timeout of one HTTP request, body included. Default 10 s. */
  timeout?: number;
  /** Retries on network errors, timeouts, 5xx and 429. Default 3 attempts, 200 ms doubling to 5 s, with jitter. */
  retry?: RetryOptions;
  /** Pause after repeated failures. Default: after 3 failed requests, 5 s doubling to 60 s. */
  circuitBreaker?: CircuitBreakerOptions;
  /** Fraction of a token's lifetime after which it is renewed in the background. Default 0.8. */
  refreshRatio?: number;
  /** A token stops being handed out this long before it expires (clock skew, transit). Default 10 s, at most a quarter of its lifetime. */
  expirySkew?: number;
  /** Lifetime assumed when the server sends no `expires_in`. Default 5 min. */
  defaultTokenLifetime?: number;
  /** Most audience + scope keys kept, and as many exchanged tokens (subject + audience + scope). Default 1000. */
  maxCacheEntries?: number;
  /** How long discovery metadata is reused. Default 1 h. */
  discoveryMaxAge?: number;
  /** Default `globalThis.fetch`. */
  fetch?: FetchLike;
  /** Default `Date.now`. */
  clock?: Clock;
  /** Default unref'd `setTimeout`. */
  timers?: Timers;
  /** Jitter source in [0, 1). Default `Math.random`. */
  random?: () => number;
  hooks?: TokenClientHooks;
  /**
   * DPoP (RFC 9449): `true` makes one ES256 key for this instance; or give a
   * key pair. Token requests and `fetch` calls then carry proofs, and tokens
   * come bound to the key (`token_type: "DPoP"`).
   */
  dpop?: DpopOption | false;
}

export interface ResolvedOptions {
  issuer: string;
  /** Absent only with `federated_jwt`, where the server finds the client. */
  clientId: string | undefined;
  tokenEndpoint: string | undefined;
  audienceParameter: string;
  extraParameters: Readonly<Record<string, string>>;
  timeout: number;
  retry: RetryPolicy;
  circuitBreaker: CircuitBreakerPolicy;
  refreshRatio: number;
  expirySkew: number;
  defaultTokenLifetime: number;
  maxCacheEntries: number;
  discoveryMaxAge: number;
  fetch: FetchLike;
  clock: Clock;
  timers: Timers;
  random: () => number;
  hooks: TokenClientHooks;
  /** Proofs for this instance's key, when DPoP is on. */
  dpop: DpopProver | undefined;
  /** Whether requests present a client certificate (and use `mtls_endpoint_aliases`). */
  mtls: boolean;
}

const reservedParameters = new Set([
  'grant_type',
  'scope',
  'audience',
  'resource',
  'client_id',
  'client_secret',
  'client_assertion',
  'client_assertion_type',
  // Token exchange (RFC 8693 §2.1): set per call by exchangeToken.
  'subject_token',
  'subject_token_type',
  'actor_token',
  'actor_token_type',
  'requested_token_type',
]);

/** Validated once, at creation, and frozen: a bad option fails at start-up, not at the first request. */
export function resolveOptions(options: TokenClientOptions): Readonly<ResolvedOptions> {
  if (typeof options !== 'object' || options === null) throw new TokenClientConfigError('options are required');
  const issuer = requireUrl('issuer', options.issuer);
  // clientId (optional with federated_jwt) is checked with the other credentials, in client-auth.ts.
  const extraParameters = { ...(options.extraParameters ?? {}) };
  for (const name of Object.keys(extraParameters)) {
    if (reservedParameters.has(name)) throw new TokenClientConfigError(`extraParameters cannot set ${name}`);
  }
  const fetchFn = options.tls ? tlsFetch(options.tls, options.fetch) : (options.fetch ?? globalThis.fetch);
  if (typeof fetchFn !== 'function') throw new TokenClientConfigError('no fetch implementation');
  if (
    options.dpop !== undefined &&
    typeof options.dpop !== 'boolean' &&
    (typeof options.dpop !== 'object' || !options.dpop)
  ) {
    throw new TokenClientConfigError('dpop must be true or { privateKey, publicKey? }');
  }
  return Object.freeze({
    issuer,
    clientId: options.clientId,
    tokenEndpoint: options.tokenEndpoint === undefined ? undefined : requireUrl('tokenEndpoint', options.tokenEndpoint),
    audienceParameter: options.audienceParameter ?? 'audience',
    extraParameters: Object.freeze(extraParameters),
    timeout: positive('timeout', options.timeout, 10_000),
    retry: Object.freeze({
      maxAttempts: positive('retry.maxAttempts', options.retry?.maxAttempts, defaultRetryPolicy.maxAttempts),
      baseDelay: positive('retry.baseDelay', options.retry?.baseDelay, defaultRetryPolicy.baseDelay, true),
      maxDelay: positive('retry.maxDelay', options.retry?.maxDelay, defaultRetryPolicy.maxDelay, true),
      maxRetryAfter: positive(
        'retry.maxRetryAfter',
        options.retry?.maxRetryAfter,
        defaultRetryPolicy.maxRetryAfter,
        true,
      ),
    }),
    circuitBreaker: Object.freeze({
      failureThreshold: positive(
        'circuitBreaker.failureThreshold',
        options.circuitBreaker?.failureThreshold,
        defaultCircuitBreakerPolicy.failureThreshold,
      ),
      cooldown: positive(
        'circuitBreaker.cooldown',
        options.circuitBreaker?.cooldown,
        defaultCircuitBreakerPolicy.cooldown,
      ),
      maxCooldown: positive(
        'circuitBreaker.maxCooldown',
        options.circuitBreaker?.maxCooldown,
        defaultCircuitBreakerPolicy.maxCooldown,
      ),
    }),
    refreshRatio: ratio(options.refreshRatio),
    expirySkew: positive('expirySkew', options.expirySkew, 10_000, true),
    defaultTokenLifetime: positive('defaultTokenLifetime', options.defaultTokenLifetime, 300_000),
    maxCacheEntries: positive('maxCacheEntries', options.maxCacheEntries, 1000),
    discoveryMaxAge: positive('discoveryMaxAge', options.discoveryMaxAge, 3_600_000),
    fetch: fetchFn,
    clock: options.clock ?? systemClock,
    timers: options.timers ?? systemTimers,
    random: options.random ?? Math.random,
    hooks: Object.freeze({ ...(options.hooks ?? {}) }),
    dpop: options.dpop ? new DpopProver(options.dpop) : undefined,
    mtls: options.tls !== undefined,
  });
}

function requireUrl(name: string, value: unknown): string {
  if (typeof value !== 'string' || !URL.canParse(value)) throw new TokenClientConfigError(`${name} must be a URL`);
  const { protocol } = new URL(value);
  if (protocol !== 'https:' && protocol !== 'http:') throw new TokenClientConfigError(`${name} must be http(s)`);
  return value;
}

function positive(name: string, value: number | undefined, fallback: number, zeroAllowed = false): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0 || (!zeroAllowed && value === 0)) {
    throw new TokenClientConfigError(`${name} must be a ${zeroAllowed ? 'non-negative' : 'positive'} number`);
  }
  return value;
}

function ratio(value: number | undefined): number {
  if (value === undefined) return 0.8;
  if (!(value > 0 && value <= 1)) throw new TokenClientConfigError('refreshRatio must be in (0, 1]');
  return value;
}
