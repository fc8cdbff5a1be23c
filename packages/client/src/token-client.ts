import { TargetNormalizer, type TokenTarget } from './cache-key.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { createClientAuthentication } from './client-auth.js';
import { raceAbort } from './clock.js';
import { MetadataCache } from './discovery.js';
import { CircuitOpenError } from './errors.js';
import { fetchWithToken } from './fetch-with-token.js';
import { emit, type TokenFetchedEvent, type TokenGrant, type TokenRequestReason } from './hooks.js';
import { type ResolvedOptions, resolveOptions, type TokenClientOptions } from './options.js';
import { attemptsOf, withRetry } from './retry.js';
import { type CacheEntry, type IssuedToken, TokenCache } from './token-cache.js';
import {
  checkExchangeOptions,
  type ExchangeTokenOptions,
  exchangeKey,
  exchangeParameters,
  type GrantParameters,
  subjectExpiry,
} from './token-exchange.js';
import { requestToken, type TokenRequestContext, type TokenResponse } from './token-request.js';

export interface GetTokenOptions extends TokenTarget {
  /** Stops this caller's wait; a request shared with other callers goes on. */
  signal?: AbortSignal;
}

/** What a request for an entry sends besides client credentials, and how long its answer may live. */
interface GrantRequest {
  grant: GrantParameters;
  /** Epoch ms the token must not be served past (the subject token's `exp`). */
  capMs: number | undefined;
}

/** Where a request goes; discovered, or the `tokenEndpoint` option. */
interface Endpoint {
  tokenEndpoint: string;
  issuer: string;
}

/**
 * Gets, caches and renews client-credentials tokens. One instance per client
 * identity; it is cheap to call on every outgoing request.
 */
export class TokenClient {
  private readonly options: Readonly<ResolvedOptions>;
  private readonly cache: TokenCache;
  /** Exchanged tokens, apart so exchanges never evict the client's own tokens (and vice versa). */
  private readonly exchanges: TokenCache;
  private readonly targets: TargetNormalizer;
  private readonly breaker: CircuitBreaker;
  private readonly metadata: MetadataCache;
  private readonly requestContext: TokenRequestContext;

  constructor(options: TokenClientOptions) {
    this.options = resolveOptions(options);
    const { fetch, timers, clock, timeout, issuer } = this.options;
    this.cache = new TokenCache(this.options.maxCacheEntries);
    this.exchanges = new TokenCache(this.options.maxCacheEntries);
    const { dpop } = this.options;
    this.targets = new TargetNormalizer(this.options.maxCacheEntries * 4, dpop ? `dpop:${dpop.jkt}` : 'bearer');
    this.breaker = new CircuitBreaker(this.options.circuitBreaker, clock);
    this.metadata = new MetadataCache({ issuer, fetch, timers, clock, timeout }, this.options.discoveryMaxAge);
    this.requestContext = {
      fetch,
      timers,
      clock,
      timeout,
      auth: createClientAuthentication(options, clock),
      audienceParameter: this.options.audienceParameter,
      extraParameters: this.options.extraParameters,
      dpop,
    };
  }

  /**
   * A valid access token for `audience` + `scope`. Served from memory while
   * valid; renewed in the background once `refreshRatio` of its lifetime has
   * passed; concurrent callers without a usable token share one request.
   */
  getToken(options: GetTokenOptions = {}): Promise<string> {
    const entry = this.cache.getOrCreate(this.targets.normalize(options));
    const now = this.options.clock.now();
    if (entry.settled !== undefined && now < entry.expiresAt) {
      entry.used = true;
      if (now >= entry.refreshAt && entry.inflight === undefined) this.renewInBackground(entry);
      return entry.settled;
    }
    return raceAbort(
      this.obtain(entry, reasonFor(entry)).then((t) => t.accessToken),
      options.signal,
    );
  }

  /**
   * Like `getToken`, with the token's type: `DPoP` tokens must be sent with
   * the DPoP scheme and a proof (`proofFor`), `Bearer` ones as they are.
   */
  getIssuedToken(options: GetTokenOptions = {}): Promise<IssuedToken> {
    const entry = this.cache.getOrCreate(this.targets.normalize(options));
    const now = this.options.clock.now();
    if (entry.issued !== undefined && now < entry.expiresAt) {
      entry.used = true;
      if (now >= entry.refreshAt && entry.inflight === undefined) this.renewInBackground(entry);
      return entry.issued;
    }
    return raceAbort(this.obtain(entry, reasonFor(entry)), options.signal);
  }

  /**
   * Trades a token this service received for one to call the next service on
   * the same caller's behalf (RFC 8693 token exchange): `sub` stays the
   * subject's, `act` names this client. Cached per subject token + audience +
   * scope (+ resource), never past the subject token's `exp` when it is a
   * JWT; concurrent identical calls share one request. A refused exchange
   * rejects with a `TokenEndpointError` (`invalid_request` for a subject
   * token that is expired, revoked or foreign; `invalid_scope`;
   * `invalid_target`). With DPoP on, the request carries a proof and the
   * new token is bound to this client's key.
   */
  async exchangeToken(options: ExchangeTokenOptions): Promise<string> {
    return (await this.exchangeIssuedToken(options)).accessToken;
  }

  /** Like `exchangeToken`, with the token's type (`DPoP` or `Bearer`), as `getIssuedToken`. */
  exchangeIssuedToken(options: ExchangeTokenOptions): Promise<IssuedToken> {
    let entry: CacheEntry;
    let prepare: () => GrantRequest;
    try {
      ({ entry, prepare } = this.exchangeEntry(options));
    } catch (error) {
      return Promise.reject(error);
    }
    const now = this.options.clock.now();
    if (entry.issued !== undefined && now < entry.expiresAt) {
      entry.used = true;
      if (now >= entry.refreshAt && entry.inflight === undefined) this.renewInBackground(entry, prepare());
      return entry.issued;
    }
    return raceAbort(this.obtain(entry, reasonFor(entry), prepare()), options.signal);
  }

  /** Drops a cached exchanged token (e.g. the next service called it invalid); with `token`, only if it is still that one. */
  invalidateExchange(options: ExchangeTokenOptions, token?: string): void {
    const { subjectTokenType, resource } = checkExchangeOptions(options);
    const target = exchangeKey(this.targets.normalize(options), options.subjectToken, subjectTokenType, resource);
    const entry = this.exchanges.get(target.key);
    if (!entry || entry.token === undefined || (token !== undefined && entry.token !== token)) return;
    entry.token = undefined;
    entry.settled = undefined;
    entry.issued = undefined;
  }

  /**
   * `fetch` on behalf of the caller whose token is `subjectToken`: with a
   * token exchanged for `target`, presented as `fetch` presents its own
   * (Bearer, or DPoP with a proof), renewed once on a 401 `invalid_token`.
   */
  fetchOnBehalfOf(
    subjectToken: string,
    input: string | URL | Request,
    init?: RequestInit,
    target: TokenTarget & Pick<ExchangeTokenOptions, 'subjectTokenType' | 'resource'> = {},
  ): Promise<Response> {
    const source = {
      getIssuedToken: (o: TokenTarget & { signal?: AbortSignal }) =>
        this.exchangeIssuedToken({ ...target, ...o, subjectToken }),
      invalidate: (t: TokenTarget, token?: string) => this.invalidateExchange({ ...target, ...t, subjectToken }, token),
      proofFor: (method: string, url: string, accessToken: string) => this.proofFor(method, url, accessToken),
      rememberNonce: (url: string, nonce: string | null) => this.rememberNonce(url, nonce),
    };
    return fetchWithToken(source, this.options.fetch, input, init, target);
  }

  /**
   * A DPoP proof for a request to a resource (RFC 9449 §7): `htm`, `htu`,
   * `ath` of the token, and the last nonce that origin sent. Undefined when
   * DPoP is off.
   */
  proofFor(method: string, url: string, accessToken: string): string | undefined {
    return this.options.dpop?.proof(method, url, this.options.clock.now(), accessToken);
  }

  /** Keeps a `DPoP-Nonce` a resource sent; true when it is new, so a retry with it may succeed. */
  rememberNonce(url: string, nonce: string | null): boolean {
    return this.options.dpop?.rememberNonce(url, nonce) ?? false;
  }

  /** The RFC 7638 thumbprint of this client's DPoP key (the `cnf.jkt` of its tokens), or undefined. */
  get dpopThumbprint(): string | undefined {
    return this.options.dpop?.jkt;
  }

  /**
   * Drops the cached token for `target` (e.g. a resource server called it
   * invalid), so the next `getToken` fetches a new one. With `token`, only
   * drops it if it is still the cached one: a token renewed meanwhile stays.
   */
  invalidate(target: TokenTarget = {}, token?: string): void {
    const entry = this.cache.get(this.targets.normalize(target).key);
    if (!entry || entry.token === undefined || (token !== undefined && entry.token !== token)) return;
    entry.token = undefined;
    entry.settled = undefined;
    entry.issued = undefined;
  }

  /**
   * `fetch` with a Bearer token for `target`; on a 401 `invalid_token` it
   * renews the token and retries once (replayable bodies only).
   */
  fetch(input: string | URL | Request, init?: RequestInit, target: TokenTarget = {}): Promise<Response> {
    return fetchWithToken(this, this.options.fetch, input, init, target);
  }

  /** Forgets every cached token, exchanged ones included. */
  clear(): void {
    this.cache.clear();
    this.exchanges.clear();
  }

  /** Number of audience + scope keys cached. */
  get cacheSize(): number {
    return this.cache.size;
  }

  /** Number of exchanged tokens cached (subject + audience + scope keys). */
  get exchangeCacheSize(): number {
    return this.exchanges.size;
  }

  private exchangeEntry(options: ExchangeTokenOptions): { entry: CacheEntry; prepare: () => GrantRequest } {
    const { subjectTokenType, resource } = checkExchangeOptions(options);
    const { subjectToken } = options;
    const entry = this.exchanges.getOrCreate(
      exchangeKey(this.targets.normalize(options), subjectToken, subjectTokenType, resource),
    );
    // Built only when a request is made: a cache hit neither copies nor parses the subject token.
    const prepare = () => ({
      grant: exchangeParameters(subjectToken, subjectTokenType, resource),
      capMs: subjectExpiry(subjectToken),
    });
    return { entry, prepare };
  }

  private renewInBackground(entry: CacheEntry, request?: GrantRequest): void {
    this.obtain(entry, 'refresh-ahead', request).catch(() => {
      // Reported through onTokenFailed; callers keep the valid token meanwhile.
    });
  }

  /** Single-flight: one request per key at a time, whoever asks. */
  private obtain(entry: CacheEntry, reason: TokenRequestReason, request?: GrantRequest): Promise<IssuedToken> {
    if (entry.inflight) return entry.inflight;
    const promise = this.fetchInto(entry, reason, request);
    entry.inflight = promise;
    const done = () => {
      if (entry.inflight === promise) entry.inflight = undefined;
    };
    promise.then(done, done);
    return promise;
  }

  private async fetchInto(
    entry: CacheEntry,
    reason: TokenRequestReason,
    request: GrantRequest | undefined,
  ): Promise<IssuedToken> {
    const { clock, hooks } = this.options;
    const started = clock.now();
    const grant: TokenGrant = request ? 'token_exchange' : 'client_credentials';
    const base = { audience: entry.audience, scope: entry.scope, grant };
    try {
      const { value: response, attempts } = await this.breaker.run(() =>
        withRetry(
          {
            policy: this.options.retry,
            timers: this.options.timers,
            clock,
            random: this.options.random,
            onRetry: (event) => emit(hooks.onRetry, { ...base, ...event }),
          },
          () => this.requestOnce(entry, request?.grant),
        ),
      );
      this.store(entry, response, started, request?.capMs);
      const event: TokenFetchedEvent = {
        ...base,
        reason,
        duration: clock.now() - started,
        attempts,
        expiresIn: response.expiresIn,
        grantedScope: response.scope,
      };
      emit(reason === 'refresh-ahead' ? hooks.onTokenRenewed : hooks.onTokenFetched, event);
      return { accessToken: response.accessToken, tokenType: response.tokenType };
    } catch (error) {
      const background = reason === 'refresh-ahead' && entry.token !== undefined && clock.now() < entry.expiresAt;
      if (background) this.postponeRenewal(entry);
      else if (entry.token === undefined) (request ? this.exchanges : this.cache).delete(entry);
      emit(hooks.onTokenFailed, {
        ...base,
        reason,
        background,
        duration: clock.now() - started,
        attempts: error instanceof CircuitOpenError ? 0 : attemptsOf(error),
        error: error instanceof Error ? error : new Error(String(error)),
      });
      throw error;
    }
  }

  private async requestOnce(entry: CacheEntry, grant: GrantParameters | undefined): Promise<TokenResponse> {
    const endpoint = await this.endpoint();
    return requestToken(this.requestContext, {
      ...endpoint,
      audience: entry.audience,
      scope: entry.scope,
      grant,
    });
  }

  private async endpoint(): Promise<Endpoint> {
    const { tokenEndpoint, issuer } = this.options;
    if (tokenEndpoint) return { tokenEndpoint, issuer };
    const metadata = await this.metadata.get();
    // RFC 8705 §5: a client presenting a certificate uses the server's mTLS endpoint, when it has one.
    const alias = this.options.mtls ? metadata.mtls_endpoint_aliases?.token_endpoint : undefined;
    return { tokenEndpoint: alias ?? metadata.token_endpoint, issuer: metadata.issuer };
  }

  private store(entry: CacheEntry, response: TokenResponse, requestedAt: number, capMs: number | undefined): void {
    // Lifetimes count from when we asked, not when the answer came: never later than the server's clock.
    const given = response.expiresIn === undefined ? this.options.defaultTokenLifetime : response.expiresIn * 1000;
    // An exchanged token dies with its subject token, whatever expires_in says.
    const capped = capMs !== undefined && capMs - requestedAt < given;
    const lifetime = capped ? Math.max(0, capMs - requestedAt) : given;
    const expiresAt = requestedAt + lifetime - Math.min(this.options.expirySkew, lifetime / 4);
    entry.token = response.accessToken;
    entry.settled = Promise.resolve(response.accessToken);
    entry.issued = Promise.resolve({ accessToken: response.accessToken, tokenType: response.tokenType });
    entry.expiresAt = expiresAt;
    // A renewal cannot outlive the subject token either, so a capped token is not renewed ahead.
    entry.refreshAt = capped ? expiresAt : Math.min(requestedAt + lifetime * this.options.refreshRatio, expiresAt);
    entry.refreshFailures = 0;
  }

  /** A failed renewal is retried later, not by the very next caller: the old token is still good. */
  private postponeRenewal(entry: CacheEntry): void {
    entry.refreshFailures++;
    const pause = Math.min(1_000 * 2 ** (entry.refreshFailures - 1), this.options.circuitBreaker.maxCooldown);
    entry.refreshAt = Math.min(this.options.clock.now() + pause, entry.expiresAt);
  }
}

function reasonFor(entry: CacheEntry): TokenRequestReason {
  return entry.token === undefined ? (entry.expiresAt === 0 ? 'cold' : 'invalidated') : 'expired';
}

export function createTokenClient(options: TokenClientOptions): TokenClient {
  return new TokenClient(options);
}
