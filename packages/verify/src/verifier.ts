import { type AuthorizationServerMetadata, discover } from './discovery.js';
import { VerifyError } from './errors.js';
import type { FetchLike } from './fetch-json.js';
import { type IntrospectionOptions, introspect } from './introspection.js';
import { JwksCache } from './jwks-cache.js';
import { checkJwt, type JwtChecks, readJwtHeader } from './jwt-verify.js';
import { type ResourceMetadataInfo, type ResourceOptions, resourceMetadata } from './resource-metadata.js';
import { BEARER, type Presentation, SenderCheck } from './sender-check.js';
import {
  type DpopOptions,
  type MtlsOptions,
  type ResolvedSenderConstraints,
  resolveSenderConstraints,
  type TrustProxy,
} from './sender-constraints.js';
import { StatusEvents } from './status/status-events.js';
import { NEEDS_FETCH, OUT_OF_RANGE, StatusLists, type StatusReference, UNAVAILABLE } from './status/status-lists.js';
import { ExpiringCache } from './verified-cache.js';
import { missingScope, normalizeScopes, type VerifiedToken } from './verified-token.js';

export interface VerifierOptions {
  /** The issuer identifier, exactly as in the tokens' `iss` and the metadata's `issuer`. */
  issuer: string;
  /** This resource server's audience value(s); a token must name at least one. */
  audience: string | readonly string[];
  /** The JWKS URL, to skip discovery (which is otherwise used to find `jwks_uri`). */
  jwksUri?: string;
  /** Enables RFC 7662 introspection, for opaque tokens (or every token, with `mode: 'always'`). */
  introspection?: IntrospectionOptions;
  /** Publishes RFC 9728 metadata and names it in `WWW-Authenticate`. */
  resource?: ResourceOptions;
  /** Allowed clock difference with the issuer for `exp` and `nbf`, in seconds. Default 30. */
  clockToleranceSec?: number;
  /** Keys older than this are refetched in the background, in ms. Default 600 000 (10 min). */
  jwksMaxAgeMs?: number;
  /** Minimum time between two JWKS fetches (an unknown `kid` waits for it), in ms. Default 5 000. */
  jwksCooldownMs?: number;
  /** Timeout of each discovery, JWKS or introspection request, in ms. Default 5 000. */
  timeoutMs?: number;
  /** How many verified tokens are remembered until their `exp`. 0 disables the cache. Default 10 000. */
  cacheSize?: number;
  /**
   * Refuses tokens whose delegation chain (`act`, RFC 8693 §4.1) has more
   * than this many actors: 0 accepts no exchanged token, 1 one exchange, …
   * Default: no limit beyond 32.
   */
  maxDelegationDepth?: number;
  /** Tokens longer than this are refused unread, in characters. Default 16 384. */
  maxTokenLength?: number;
  /** The clock, in ms since the epoch. Default `Date.now`. */
  clock?: () => number;
  /** The fetch implementation, for proxies or tests. Default the global `fetch`. */
  fetch?: FetchLike;
  /**
   * DPoP (RFC 9449). DPoP-bound tokens are always checked, with or without
   * this option; `true` (or an object) also advertises DPoP in challenges
   * and resource metadata, `{ required: true }` refuses unbound tokens.
   */
  dpop?: boolean | DpopOptions;
  /**
   * Certificate-bound tokens (RFC 8705). They are always checked; this
   * option advertises them, can require them, and names a proxy's
   * certificate header.
   */
  mtls?: boolean | MtlsOptions;
  /** The origin clients call this service at (`https://api.example.com`), for DPoP `htu` behind a proxy. */
  publicOrigin?: string;
  /** Peers whose `X-Forwarded-Proto`/`-Host` and certificate header are believed. Default none. */
  trustProxy?: TrustProxy;
  /**
   * Token status lists (draft-ietf-oauth-status-list): a JWT whose
   * `status.status_list` marks it revoked is refused. On by default;
   * `false` turns the check off (revoked tokens then pass until they expire).
   */
  status?: boolean | StatusOptions;
}

/** How status lists are checked; every field has a default. */
export interface StatusOptions {
  /** Refuse JWTs without a `status.status_list` claim. Default false: they are accepted as before. */
  required?: boolean;
  /**
   * When a list cannot be fetched (or a fetched one is refused), how many
   * seconds past its `ttl` the last good one may still be used. Default 0:
   * fail closed, answering `status_list_unavailable` (503 in middleware).
   */
  maxStalenessSec?: number;
  /**
   * Subscribe to the issuer's `status_list_events_endpoint` (Server-Sent
   * Events), so a revocation is honoured within a second instead of at the
   * list's `ttl`. Default true; the subscription starts with the first
   * token carrying a status, never keeps the process alive, and ends with
   * `verifier.close()`.
   */
  subscribe?: boolean;
  /** The events endpoint, to skip discovery. Needed for a subscription when `jwksUri` is given. */
  eventsEndpoint?: string;
  /** Largest decompressed list accepted, in bytes. Default 4 194 304 (4 MiB, 33 million 1-bit statuses). */
  maxListBytes?: number;
  /** How many lists are kept. Default 256 (Tessera lists are 128 KiB each: 32 MiB at most). */
  cacheSize?: number;
  /** How long a list without `ttl` is used before it is fetched again, in seconds. Default 300. */
  defaultTtlSec?: number;
}

export interface VerifyOptions {
  /** Scopes the token must all carry: `"a b"` or `["a", "b"]`. */
  scope?: string | readonly string[];
  /**
   * How the token was presented: its scheme, DPoP proof, method and URL,
   * client certificate. Default: the Bearer scheme, nothing else, so a
   * bound token is refused.
   */
  presentation?: Presentation;
}

const NO_SCOPES: readonly string[] = Object.freeze([]);

/** Characters of a JWT's end (its signature) that file it in the cache: 22 base64url characters, 132 bits. */
const CACHE_SLOT_LENGTH = 22;

const DEFAULTS = {
  clockToleranceSec: 30,
  jwksMaxAgeMs: 600_000,
  jwksCooldownMs: 5_000,
  timeoutMs: 5_000,
  cacheSize: 10_000,
  maxTokenLength: 16_384,
  introspectionCacheMaxAgeMs: 60_000,
  introspectionNegativeCacheMaxAgeMs: 5_000,
  statusMaxListBytes: 4 * 1024 * 1024,
  statusCacheSize: 256,
  statusDefaultTtlSec: 300,
  /** After a failed list fetch, requests do not wait for another one this long. */
  statusCooldownMs: 1_000,
  eventsMinDelayMs: 500,
  eventsMaxDelayMs: 30_000,
  eventsIdleTimeoutMs: 60_000,
} as const;

/**
 * Checks access tokens for one resource server. JWTs (RFC 9068) are checked
 * locally with keys from the issuer's JWKS; opaque tokens are introspected
 * (RFC 7662). Once the keys are known, a JWT is verified synchronously, and
 * a token seen before is answered from memory until it expires.
 */
export class Verifier {
  readonly issuer: string;
  readonly audiences: readonly string[];
  /** RFC 9728 metadata, when `resource` was configured. */
  readonly resourceMetadata: ResourceMetadataInfo | undefined;
  /** The resolved DPoP, mTLS and proxy settings, for the middleware. */
  readonly senderConstraints: ResolvedSenderConstraints;

  readonly #checks: JwtChecks;
  readonly #clock: () => number;
  readonly #fetch: FetchLike;
  readonly #timeoutMs: number;
  readonly #cooldownMs: number;
  readonly #maxTokenLength: number;
  readonly #jwksUri: string | undefined;
  readonly #jwks: JwksCache;
  readonly #verified: ExpiringCache<VerifiedToken>;
  readonly #introspection: Required<Omit<IntrospectionOptions, 'endpoint'>> & { endpoint?: string };
  readonly #introspectAll: boolean;
  readonly #inactive: ExpiringCache<VerifyError>;
  readonly #introspecting = new Map<string, Promise<VerifiedToken | VerifyError>>();
  readonly #sender: SenderCheck;
  /** Neither DPoP nor mTLS is required, so an unbound Bearer token needs no binding check. */
  readonly #bearerAccepted: boolean;
  #metadata: Promise<AuthorizationServerMetadata> | undefined;
  #metadataFailedAt: number | undefined;
  /** Undefined when status lists are turned off. */
  readonly #lists: StatusLists | undefined;
  readonly #statusRequired: boolean;
  readonly #events: StatusEvents | undefined;

  constructor(options: VerifierOptions) {
    const audiences = typeof options.audience === 'string' ? [options.audience] : [...options.audience];
    if (!options.issuer) throw new TypeError('issuer is required');
    if (audiences.length === 0 || audiences.some((a) => !a)) throw new TypeError('audience is required');
    const depth = options.maxDelegationDepth;
    if (depth !== undefined && !(Number.isInteger(depth) && depth >= 0)) {
      throw new TypeError('maxDelegationDepth must be a non-negative integer');
    }
    this.issuer = options.issuer;
    this.audiences = Object.freeze(audiences);
    this.#clock = options.clock ?? Date.now;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
    this.#cooldownMs = options.jwksCooldownMs ?? DEFAULTS.jwksCooldownMs;
    this.#maxTokenLength = options.maxTokenLength ?? DEFAULTS.maxTokenLength;
    this.#checks = Object.freeze({
      issuer: options.issuer,
      audiences: this.audiences,
      clockToleranceSec: options.clockToleranceSec ?? DEFAULTS.clockToleranceSec,
      ...(options.maxDelegationDepth === undefined ? {} : { maxDelegationDepth: options.maxDelegationDepth }),
    });
    this.#jwksUri = options.jwksUri;
    this.#verified = new ExpiringCache(options.cacheSize ?? DEFAULTS.cacheSize);
    this.#jwks = new JwksCache({
      uri: () => this.#resolveJwksUri(),
      fetch: this.#fetch,
      clock: this.#clock,
      maxAgeMs: options.jwksMaxAgeMs ?? DEFAULTS.jwksMaxAgeMs,
      cooldownMs: this.#cooldownMs,
      timeoutMs: this.#timeoutMs,
      // A key withdrawn by the issuer must stop vouching for tokens, or lists, it signed.
      onKeysRemoved: () => {
        this.#verified.clear();
        this.#lists?.clear();
      },
    });
    const status = options.status === false ? undefined : options.status === true ? {} : (options.status ?? {});
    this.#statusRequired = status?.required === true;
    this.#lists = status
      ? new StatusLists({
          issuer: options.issuer,
          fetch: this.#fetch,
          clock: this.#clock,
          jwks: this.#jwks,
          timeoutMs: this.#timeoutMs,
          clockToleranceSec: this.#checks.clockToleranceSec,
          maxListBytes: positive(status.maxListBytes, 'status.maxListBytes') ?? DEFAULTS.statusMaxListBytes,
          cacheSize: positive(status.cacheSize, 'status.cacheSize') ?? DEFAULTS.statusCacheSize,
          maxStalenessMs: (nonNegative(status.maxStalenessSec, 'status.maxStalenessSec') ?? 0) * 1000,
          defaultTtlMs: (positive(status.defaultTtlSec, 'status.defaultTtlSec') ?? DEFAULTS.statusDefaultTtlSec) * 1000,
          cooldownMs: DEFAULTS.statusCooldownMs,
        })
      : undefined;
    const eventsEndpoint = status?.eventsEndpoint;
    if (eventsEndpoint !== undefined && !sameOrigin(eventsEndpoint, options.issuer)) {
      throw new TypeError('status.eventsEndpoint must be on the issuer origin');
    }
    this.#events =
      status && status.subscribe !== false && (eventsEndpoint !== undefined || options.jwksUri === undefined)
        ? new StatusEvents({
            url: () => this.#eventsEndpoint(eventsEndpoint),
            onChange: (uri) => this.#lists?.changed(uri),
            onOpen: () => this.#lists?.changedAll(),
            minDelayMs: DEFAULTS.eventsMinDelayMs,
            maxDelayMs: DEFAULTS.eventsMaxDelayMs,
            idleTimeoutMs: DEFAULTS.eventsIdleTimeoutMs,
            connectTimeoutMs: this.#timeoutMs,
          })
        : undefined;
    const i = options.introspection;
    this.#introspection = {
      clientId: i?.clientId ?? '',
      clientSecret: i?.clientSecret ?? '',
      authMethod: i?.authMethod ?? 'client_secret_basic',
      mode: i?.mode ?? 'opaque',
      cacheMaxAgeMs: i?.cacheMaxAgeMs ?? DEFAULTS.introspectionCacheMaxAgeMs,
      negativeCacheMaxAgeMs: i?.negativeCacheMaxAgeMs ?? DEFAULTS.introspectionNegativeCacheMaxAgeMs,
      ...(i?.endpoint ? { endpoint: i.endpoint } : {}),
    };
    this.#introspectAll = i !== undefined && this.#introspection.mode === 'always';
    this.#inactive = new ExpiringCache(i ? Math.max(1_000, (options.cacheSize ?? DEFAULTS.cacheSize) / 10) : 0);
    if (i && (!i.clientId || !i.clientSecret)) throw new TypeError('introspection needs clientId and clientSecret');
    this.senderConstraints = resolveSenderConstraints(
      options.dpop,
      options.mtls,
      options.publicOrigin,
      options.trustProxy,
      this.#clock,
    );
    this.#sender = new SenderCheck(this.senderConstraints);
    this.#bearerAccepted = !this.senderConstraints.dpopRequired && !this.senderConstraints.mtlsRequired;
    this.resourceMetadata = options.resource
      ? resourceMetadata(options.resource, options.issuer, this.senderConstraints)
      : undefined;
  }

  /** Verifies a token and the scopes it must carry; rejects with a `VerifyError`. */
  verify(token: string, options?: VerifyOptions): Promise<VerifiedToken> {
    const result = this.check(token, normalizeScopes(options?.scope), options?.presentation ?? BEARER);
    if (result instanceof Promise) return result.then((r) => (r instanceof VerifyError ? Promise.reject(r) : r));
    return result instanceof VerifyError ? Promise.reject(result) : Promise.resolve(result);
  }

  /**
   * Verifies without any I/O: answers from the cache or with keys already
   * fetched, throws a `VerifyError`, or returns undefined when the answer
   * needs the network (then call `verify`). With a DPoP presentation the
   * replay store must answer synchronously (the default one does).
   */
  verifySync(token: string, options?: VerifyOptions): VerifiedToken | undefined {
    const required = normalizeScopes(options?.scope);
    const first = this.#attemptToken(token, NO_SCOPES);
    if (first === undefined) return undefined;
    if (first instanceof VerifyError) throw first;
    if (options?.presentation === undefined && first.claims.cnf === undefined && this.#bearerAccepted) {
      const plain = this.#withScopes(first, required);
      if (plain instanceof VerifyError) throw plain;
      return plain;
    }
    const result = this.#finish(first, token, required, options?.presentation ?? BEARER);
    if (result instanceof Promise) {
      // The proof's jti is already spent: it cannot be checked again by verify().
      result.catch(() => {});
      throw new TypeError('verifySync needs a synchronous DPoP replay store; use verify');
    }
    if (result instanceof VerifyError) throw result;
    return result;
  }

  /**
   * Token, then binding, then scopes, for middleware: without promises when
   * no I/O is needed. The binding check (DPoP proof, client certificate)
   * runs on every call, also for a token answered from the cache.
   */
  check(
    token: string,
    required: readonly string[],
    presentation: Presentation,
  ): VerifiedToken | VerifyError | Promise<VerifiedToken | VerifyError> {
    const first = this.#attemptToken(token, NO_SCOPES);
    if (first === undefined) {
      return this.#settleToken(token, NO_SCOPES).then((r) => this.#finish(r, token, required, presentation));
    }
    return this.#finish(first, token, required, presentation);
  }

  #finish(
    result: VerifiedToken | VerifyError,
    token: string,
    required: readonly string[],
    presentation: Presentation,
  ): VerifiedToken | VerifyError | Promise<VerifiedToken | VerifyError> {
    if (result instanceof VerifyError) return result;
    // The common case, a plain bearer token where bearer tokens are accepted, skips the binding call.
    if (presentation.scheme === 'bearer' && result.claims.cnf === undefined && this.#bearerAccepted) {
      return this.#withScopes(result, required);
    }
    const bound = this.#sender.confirm(result, token, presentation, this.#clock());
    if (bound instanceof Promise)
      return bound.then((b) => (b instanceof VerifyError ? b : this.#withScopes(b, required)));
    return bound instanceof VerifyError ? bound : this.#withScopes(bound, required);
  }

  /**
   * The synchronous step behind `verify` for a Bearer token, without
   * exceptions or promises. `undefined` means "needs I/O": follow with
   * `settle`. `required` must come from `normalizeScopes`. A bound token is
   * refused here (it came without its proof); `check` takes a presentation.
   */
  attempt(token: string, required: readonly string[]): VerifiedToken | VerifyError | undefined {
    const result = this.#attemptToken(token, NO_SCOPES);
    return result === undefined
      ? undefined
      : (this.#finish(result, token, required, BEARER) as VerifiedToken | VerifyError);
  }

  /** The I/O step after `attempt` returned undefined: fetch keys or introspect, then decide. */
  async settle(token: string, required: readonly string[]): Promise<VerifiedToken | VerifyError> {
    return this.#finish(await this.#settleToken(token, NO_SCOPES), token, required, BEARER);
  }

  /** The token's own checks and its status (from the caches when they can), without its binding. */
  #attemptToken(
    token: string,
    required: readonly string[],
    afterFetch = false,
  ): VerifiedToken | VerifyError | undefined {
    const result = this.#attemptSigned(token, afterFetch, true);
    if (result === undefined || result instanceof VerifyError) return result;
    return this.#withScopes(result, required);
  }

  /**
   * Signature and claims (from the cache when it can), then, with
   * `checkStatus`, the status: a cached token's too, its list may have
   * changed since it was verified. Undefined: the answer needs I/O.
   */
  #attemptSigned(token: string, afterFetch: boolean, checkStatus: boolean): VerifiedToken | VerifyError | undefined {
    // Before the cache, which never holds a token this long.
    if (token.length === 0 || token.length > this.#maxTokenLength) {
      return new VerifyError('token_malformed', { detail: 'length' });
    }
    const now = this.#clock();
    // A JWS compact token has exactly two dots; opaque tokens (Tessera's included) have none.
    const first = token.indexOf('.');
    const second = first > 0 ? token.indexOf('.', first + 1) : -1;
    const local = second !== -1 && !this.#introspectAll;
    // A token checked here is cached under the end of its signature, which the
    // issuer's key made: hashing that is cheaper than hashing the whole token.
    // Introspected ones keep the whole token, whatever their format.
    const slot = local ? token.slice(-CACHE_SLOT_LENGTH) : token;
    const cached = this.#verified.get(token, now, slot);
    if (cached !== undefined) {
      return checkStatus && cached.status !== undefined ? this.#statusChecked(cached, now) : cached;
    }
    if (!local) {
      if (!this.#introspection.clientId) return new VerifyError('token_malformed', { detail: 'not a JWT' });
      return this.#inactive.get(token, now);
    }
    const header = readJwtHeader(token, first, second);
    if (header instanceof VerifyError) return header;
    if (!this.#jwks.loaded) return afterFetch ? new VerifyError('jwks_unavailable') : undefined;
    const key = this.#jwks.lookup(header.kid);
    if (key === undefined) {
      // An unknown kid may mean a rotation: refetch, at most once per cooldown.
      return !afterFetch && this.#jwks.canRefresh() ? undefined : new VerifyError('kid_unknown');
    }
    this.#jwks.refreshIfStale(now);
    let result = checkJwt(token, first, second, header, key, this.#checks, now);
    if (result instanceof VerifyError) return result;
    if (this.#lists !== undefined) {
      result = this.#withStatus(result, this.#lists);
      if (result instanceof VerifyError) return result;
    }
    this.#verified.set(token, result, (result.claims.exp + this.#checks.clockToleranceSec) * 1000, slot);
    return checkStatus && result.status !== undefined ? this.#statusChecked(result, now) : result;
  }

  /** The token, or why its status refuses it; undefined when its list must be fetched first. */
  #statusChecked(token: VerifiedToken, now: number): VerifiedToken | VerifyError | undefined {
    const state = (this.#lists as StatusLists).state(token.status as StatusReference, now);
    if (state === 0) return token;
    return state === NEEDS_FETCH ? undefined : statusError(state);
  }

  /** The token with its checked status reference, once, when it is first verified. */
  #withStatus(result: VerifiedToken, lists: StatusLists): VerifiedToken | VerifyError {
    const status = lists.reference(result.claims.status);
    if (typeof status === 'string') return new VerifyError('status_invalid', { detail: status });
    if (status === undefined) return this.#statusRequired ? new VerifyError('status_missing') : result;
    this.#events?.start();
    // Spelt out in checkClaims' order, not spread: the same hidden class as every other verified token.
    return Object.freeze({
      clientId: result.clientId,
      subject: result.subject,
      scopes: result.scopes,
      actor: result.actor,
      actorChain: result.actorChain,
      audience: result.audience,
      issuer: result.issuer,
      expiresAt: result.expiresAt,
      format: result.format,
      claims: result.claims,
      status,
    });
  }

  async #settleToken(token: string, required: readonly string[]): Promise<VerifiedToken | VerifyError> {
    if (this.#introspectAll || !looksLikeJwt(token)) {
      const result = await this.#introspect(token);
      return result instanceof VerifyError ? result : this.#withScopes(result, required);
    }
    let result = this.#attemptSigned(token, false, false);
    if (result === undefined) {
      try {
        await this.#jwks.refresh();
      } catch (err) {
        return err instanceof VerifyError ? err : new VerifyError('jwks_unavailable', { cause: err });
      }
      result = this.#attemptSigned(token, true, false) ?? new VerifyError('jwks_unavailable');
    }
    if (result instanceof VerifyError) return result;
    const status = result.status as StatusReference | undefined;
    if (status !== undefined) {
      const lists = this.#lists as StatusLists;
      let state = lists.state(status, this.#clock());
      if (state === NEEDS_FETCH) {
        await lists.load(status);
        state = lists.state(status, this.#clock(), true);
      }
      if (state !== 0) return statusError(state);
    }
    return this.#withScopes(result, required);
  }

  /** The issuer's RFC 8414 metadata, fetched once (and again after a failure, past the cooldown). */
  metadata(): Promise<AuthorizationServerMetadata> {
    const failedAt = this.#metadataFailedAt;
    if (!this.#metadata || (failedAt !== undefined && this.#clock() - failedAt >= this.#cooldownMs)) {
      this.#metadataFailedAt = undefined;
      const pending = discover(this.issuer, this.#fetch, this.#timeoutMs);
      pending.catch(() => {
        if (this.#metadata === pending) this.#metadataFailedAt = this.#clock();
      });
      this.#metadata = pending;
    }
    return this.#metadata;
  }

  /** Ends the status list subscription, if one is open. The verifier keeps working, refetching lists on their ttl. */
  close(): void {
    this.#events?.close();
  }

  /** Whether the status list events stream is open now (for readiness checks and tests). */
  get statusEventsConnected(): boolean {
    return this.#events?.connected === true;
  }

  /** Why the last fetch of a status list failed, if it did (for logs and debugging). */
  statusListFailure(uri: string): string | undefined {
    return this.#lists?.failure(uri);
  }

  async #eventsEndpoint(configured: string | undefined): Promise<string | undefined> {
    if (configured !== undefined) return configured;
    const endpoint = (await this.metadata()).status_list_events_endpoint;
    // Only from the issuer's origin, like the lists themselves.
    return typeof endpoint === 'string' && sameOrigin(endpoint, this.issuer) ? endpoint : undefined;
  }

  /** Forgets every verified and introspected token (keys stay). */
  clearCache(): void {
    this.#verified.clear();
    this.#inactive.clear();
  }

  #withScopes(token: VerifiedToken, required: readonly string[]): VerifiedToken | VerifyError {
    if (required.length === 0 || missingScope(token, required) === undefined) return token;
    return new VerifyError('insufficient_scope', { requiredScopes: required });
  }

  async #resolveJwksUri(): Promise<string> {
    if (this.#jwksUri) return this.#jwksUri;
    const { jwks_uri } = await this.metadata();
    if (!jwks_uri) throw new VerifyError('jwks_unavailable', { detail: 'the issuer metadata has no jwks_uri' });
    return jwks_uri;
  }

  #introspect(token: string): Promise<VerifiedToken | VerifyError> {
    // Concurrent requests with the same token share one call to the issuer.
    let pending = this.#introspecting.get(token);
    if (!pending) {
      pending = this.#introspectOnce(token).finally(() => this.#introspecting.delete(token));
      this.#introspecting.set(token, pending);
    }
    return pending;
  }

  async #introspectOnce(token: string): Promise<VerifiedToken | VerifyError> {
    let endpoint = this.#introspection.endpoint;
    if (!endpoint) {
      try {
        endpoint = (await this.metadata()).introspection_endpoint;
      } catch (err) {
        return err instanceof VerifyError ? err : new VerifyError('discovery_failed', { cause: err });
      }
      if (!endpoint) return new VerifyError('introspection_unavailable', { detail: 'no introspection_endpoint' });
    }
    const result = await introspect(
      token,
      endpoint,
      this.#introspection,
      this.#checks,
      this.#fetch,
      this.#timeoutMs,
      this.#clock,
    );
    const now = this.#clock();
    if (result instanceof VerifyError) {
      if (result.kind === 'invalid_token') {
        this.#inactive.set(token, result, now + this.#introspection.negativeCacheMaxAgeMs);
      }
      return result;
    }
    const until = Math.min(result.expiresAt.getTime(), now + this.#introspection.cacheMaxAgeMs);
    this.#verified.set(token, result, until);
    return result;
  }
}

export function createVerifier(options: VerifierOptions): Verifier {
  return new Verifier(options);
}

function statusError(state: number): VerifyError {
  if (state === UNAVAILABLE) return new VerifyError('status_list_unavailable');
  if (state === OUT_OF_RANGE) return new VerifyError('status_invalid', { detail: 'idx past the end of the list' });
  return new VerifyError('token_revoked', { detail: `status ${state}` });
}

function sameOrigin(url: string, issuer: string): boolean {
  try {
    const { protocol, origin } = new URL(url);
    return (protocol === 'https:' || protocol === 'http:') && origin === new URL(issuer).origin;
  } catch {
    return false;
  }
}

function positive(value: number | undefined, name: string): number | undefined {
  if (value !== undefined && !(Number.isFinite(value) && value > 0)) throw new TypeError(`${name} must be positive`);
  return value;
}

function nonNegative(value: number | undefined, name: string): number | undefined {
  if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
    throw new TypeError(`${name} must be zero or positive`);
  }
  return value;
}

/** A JWS compact token has exactly two dots; opaque tokens (Tessera's included) have none. */
function looksLikeJwt(token: string): boolean {
  const first = token.indexOf('.');
  return first > 0 && token.indexOf('.', first + 1) > first;
}
