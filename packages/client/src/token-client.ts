import { TargetNormalizer, type TokenTarget } from './cache-key.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { createClientAuthentication } from './client-auth.js';
import { raceAbort } from './clock.js';
import { MetadataCache } from './discovery.js';
import { CircuitOpenError } from './errors.js';
import { fetchWithToken } from './fetch-with-token.js';
import { emit, type TokenFetchedEvent, type TokenRequestReason } from './hooks.js';
import { type ResolvedOptions, resolveOptions, type TokenClientOptions } from './options.js';
import { attemptsOf, withRetry } from './retry.js';
import { type CacheEntry, type IssuedToken, TokenCache } from './token-cache.js';
import { requestToken, type TokenRequestContext, type TokenResponse } from './token-request.js';

export interface GetTokenOptions extends TokenTarget {
  /** Stops this caller's wait; a request shared with other callers goes on. */
  signal?: AbortSignal;
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
  private readonly targets: TargetNormalizer;
  private readonly breaker: CircuitBreaker;
  private readonly metadata: MetadataCache;
  private readonly requestContext: TokenRequestContext;

  constructor(options: TokenClientOptions) {
    this.options = resolveOptions(options);
    const { fetch, timers, clock, timeout, issuer } = this.options;
    this.cache = new TokenCache(this.options.maxCacheEntries);
    const { dpop } = this.options;
    this.targets = new TargetNormalizer(this.options.maxCacheEntries * 4, dpop ? `dpop:${dpop.jkt}` : 'bearer');
    this.breaker = new CircuitBreaker(this.options.circuitBreaker, clock);
    this.metadata = new MetadataCache({ issuer, fetch, timers, clock, timeout }, this.options.discoveryMaxAge);
    this.requestContext = {
      fetch,
      timers,
      clock,
      timeout,
      auth: createClientAuthentication(options),
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

  /** Forgets every cached token. */
  clear(): void {
    this.cache.clear();
  }

  /** Number of audience + scope keys cached. */
  get cacheSize(): number {
    return this.cache.size;
  }

  private renewInBackground(entry: CacheEntry): void {
    this.obtain(entry, 'refresh-ahead').catch(() => {
      // Reported through onTokenFailed; callers keep the valid token meanwhile.
    });
  }

  /** Single-flight: one request per key at a time, whoever asks. */
  private obtain(entry: CacheEntry, reason: TokenRequestReason): Promise<IssuedToken> {
    if (entry.inflight) return entry.inflight;
    const promise = this.fetchInto(entry, reason);
    entry.inflight = promise;
    const done = () => {
      if (entry.inflight === promise) entry.inflight = undefined;
    };
    promise.then(done, done);
    return promise;
  }

  private async fetchInto(entry: CacheEntry, reason: TokenRequestReason): Promise<IssuedToken> {
    const { clock, hooks } = this.options;
    const started = clock.now();
    const base = { audience: entry.audience, scope: entry.scope };
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
          () => this.requestOnce(entry),
        ),
      );
      this.store(entry, response, started);
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
      else if (entry.token === undefined) this.cache.delete(entry);
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

  private async requestOnce(entry: CacheEntry): Promise<TokenResponse> {
    const endpoint = await this.endpoint();
    return requestToken(this.requestContext, {
      ...endpoint,
      audience: entry.audience,
      scope: entry.scope,
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

  private store(entry: CacheEntry, response: TokenResponse, requestedAt: number): void {
    // Lifetimes count from when we asked, not when the answer came: never later than the server's clock.
    const lifetime = response.expiresIn === undefined ? this.options.defaultTokenLifetime : response.expiresIn * 1000;
    const expiresAt = requestedAt + lifetime - Math.min(this.options.expirySkew, lifetime / 4);
    entry.token = response.accessToken;
    entry.settled = Promise.resolve(response.accessToken);
    entry.issued = Promise.resolve({ accessToken: response.accessToken, tokenType: response.tokenType });
    entry.expiresAt = expiresAt;
    entry.refreshAt = Math.min(requestedAt + lifetime * this.options.refreshRatio, expiresAt);
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
