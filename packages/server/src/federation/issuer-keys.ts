import { createLocalJWKSet, errors, type JSONWebKeySet, type JWK, type JWTVerifyGetKey } from 'jose';
import { isLoopback } from '../clients/metadata-values.js';
import { FetchFailed, fetchJson } from './fetch-json.js';
import type { TrustedIssuerConfig } from './trusted-issuer.js';

/** How keys are fetched and kept: the rules of a client's jwks_uri (client-auth/remote-jwks.ts). */
export interface KeyFetchOptions {
  /** Bounds one refresh as a whole: discovery, then the JWKS, bodies included. */
  timeoutMs: number;
  /** Least time between two fetches (an unknown kid, or a failed fetch). */
  cooldownMs: number;
  /** Keys older than this are refetched before use (a SPIFFE bundle's refresh hint may shorten it). */
  maxAgeMs: number;
  /** While the issuer does not answer, the last keys it served keep working this long after they were fetched. */
  staleMs: number;
}

export const DEFAULT_KEY_FETCH: KeyFetchOptions = Object.freeze({
  timeoutMs: 5000,
  cooldownMs: 30_000,
  maxAgeMs: 10 * 60_000,
  staleMs: 24 * 3600_000,
});

/** The issuer's keys could not be had (never fetched, or too long unreachable). */
export class KeysUnavailable extends Error {
  override name = 'KeysUnavailable';
}

/** Most keys kept from one document: a key set is a handful, rotation included. */
const MAX_KEYS = 100;

/**
 * One trusted issuer's signing keys: inline, at its jwks_uri, or found
 * through its discovery document (OpenID Connect Discovery, then RFC 8414).
 * As jose's remote key set: one fetch in flight shared by every waiter, a
 * cooldown between fetches, a max age; and beyond it, the last keys served
 * keep working while the issuer is briefly down (up to `staleMs`), and a
 * failed fetch is not retried before the cooldown, so an issuer that is down
 * costs one fast failure per cooldown rather than one timeout per request.
 */
export class IssuerKeys {
  #keys: JWTVerifyGetKey | undefined;
  #fetchedAt = 0;
  #maxAgeMs: number;
  #attemptedAt = Number.NEGATIVE_INFINITY;
  #lastFailure: string | undefined;
  #pending: Promise<void> | undefined;

  constructor(
    private readonly config: TrustedIssuerConfig,
    private readonly now: () => number,
    private readonly options: KeyFetchOptions = DEFAULT_KEY_FETCH,
    /** Hears each failed fetch (at most one per cooldown): the operator's warning. */
    private readonly onFailure: (reason: string, keptKeysAgeMs: number | undefined) => void = () => {},
  ) {
    this.#maxAgeMs = options.maxAgeMs;
    if (config.jwks) this.#keys = createLocalJWKSet(usableKeys(config, config.jwks));
  }

  /** For jose's jwtVerify: the key a token's header names, fetching (or refetching) when needed. */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    if (this.config.jwks) return (this.#keys as JWTVerifyGetKey)(header, token);
    const now = this.now();
    // Old keys serve while fresh ones are fetched: a slow issuer delays no request that has keys.
    if (this.#keys === undefined) await this.#refresh(now);
    else if (now - this.#fetchedAt >= this.#maxAgeMs) void this.#refresh(now);
    const keys = this.#usable(this.now());
    try {
      return await keys(header, token);
    } catch (err) {
      // A kid we have not seen: the issuer may have rotated. Refetch once, at most once per cooldown.
      if (!(err instanceof errors.JWKSNoMatchingKey) || this.now() - this.#attemptedAt < this.options.cooldownMs) {
        throw err;
      }
      await this.#refresh(this.now());
      return this.#usable(this.now())(header, token);
    }
  };

  /** The keys in hand, or why there are none. */
  #usable(now: number): JWTVerifyGetKey {
    if (this.#keys !== undefined && now - this.#fetchedAt < this.options.staleMs) return this.#keys;
    throw new KeysUnavailable(this.#lastFailure ?? 'no keys fetched yet');
  }

  /** Fetches unless a fetch is under way (then waits for it) or failed within the cooldown. Never throws. */
  async #refresh(now: number): Promise<void> {
    if (this.#pending) return this.#pending;
    if (this.#lastFailure !== undefined && now - this.#attemptedAt < this.options.cooldownMs) return;
    this.#attemptedAt = now;
    this.#pending = this.#fetch()
      .then(
        ({ jwks, maxAgeMs }) => {
          this.#keys = createLocalJWKSet(jwks);
          this.#fetchedAt = this.now();
          this.#maxAgeMs = maxAgeMs;
          this.#lastFailure = undefined;
        },
        (err: unknown) => {
          this.#lastFailure = err instanceof FetchFailed ? err.message : 'keys could not be read';
          this.onFailure(this.#lastFailure, this.#keys === undefined ? undefined : this.now() - this.#fetchedAt);
        },
      )
      .finally(() => {
        this.#pending = undefined;
      });
    return this.#pending;
  }

  async #fetch(): Promise<{ jwks: JSONWebKeySet; maxAgeMs: number }> {
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    const uri = this.config.jwks_uri ?? (await discoverJwksUri(this.config.issuer, signal));
    const document = await fetchJson(uri, signal);
    if (!Array.isArray(document.keys)) throw new FetchFailed(`${uri}: not a JWKS`);
    const jwks = usableKeys(this.config, document as unknown as JSONWebKeySet);
    return { jwks, maxAgeMs: refreshHint(this.config, document) ?? this.options.maxAgeMs };
  }

  /** What the log may say about the last fetch (admin view, failures). */
  get lastFailure(): string | undefined {
    return this.#lastFailure;
  }
}

/**
 * The keys that may sign tokens. A SPIFFE bundle lists X.509 authorities
 * (`use: "x509-svid"`) beside JWT keys (`use: "jwt-svid"`): only the latter
 * sign JWT-SVIDs, and are given `use: "sig"` so jose takes them.
 */
function usableKeys(config: TrustedIssuerConfig, jwks: JSONWebKeySet): JSONWebKeySet {
  const keys: JWK[] = [];
  for (const key of jwks.keys.slice(0, MAX_KEYS)) {
    if (typeof key !== 'object' || key === null || typeof key.kty !== 'string') continue;
    if (config.kind === 'spiffe') {
      if (key.use === 'jwt-svid') keys.push({ ...key, use: 'sig' });
      else if (key.use === undefined) keys.push(key);
    } else keys.push(key);
  }
  return { keys };
}

/** SPIFFE Trust Domain and Bundle §4.1.2: `spiffe_refresh_hint`, seconds; kept within 30 s and the max age. */
function refreshHint(config: TrustedIssuerConfig, document: Record<string, unknown>): number | undefined {
  const hint = document.spiffe_refresh_hint;
  if (config.kind !== 'spiffe' || typeof hint !== 'number' || !Number.isFinite(hint) || hint <= 0) return undefined;
  return Math.min(Math.max(hint * 1000, 30_000), DEFAULT_KEY_FETCH.maxAgeMs);
}

/**
 * The jwks_uri in the issuer's discovery document: OpenID Connect Discovery
 * (`<issuer>/.well-known/openid-configuration`, what Kubernetes and CI
 * platforms serve), then RFC 8414 (`/.well-known/oauth-authorization-server`
 * inserted before the issuer's path). The document must name the issuer
 * exactly (OIDC Discovery §4.3), and its jwks_uri follows the rules of
 * every URL Tessera fetches.
 */
async function discoverJwksUri(issuer: string, signal: AbortSignal): Promise<string> {
  const base = new URL(issuer);
  const path = base.pathname.replace(/\/$/, '');
  const candidates = [
    `${base.origin}${path}/.well-known/openid-configuration`,
    `${base.origin}/.well-known/oauth-authorization-server${path}`,
  ];
  let failure: FetchFailed | undefined;
  for (const url of candidates) {
    let document: Record<string, unknown>;
    try {
      document = await fetchJson(url, signal);
    } catch (err) {
      failure = err instanceof FetchFailed ? err : new FetchFailed(`${url}: unreadable`);
      if (signal.aborted) break;
      continue;
    }
    if (document.issuer !== issuer) throw new FetchFailed(`${url}: names another issuer`);
    const uri = document.jwks_uri;
    if (typeof uri !== 'string' || !fetchable(uri)) throw new FetchFailed(`${url}: no usable jwks_uri`);
    return uri;
  }
  throw failure ?? new FetchFailed('no discovery document');
}

function fetchable(uri: string): boolean {
  try {
    const u = new URL(uri);
    return u.protocol === 'https:' || (u.protocol === 'http:' && isLoopback(u.hostname));
  } catch {
    return false;
  }
}
