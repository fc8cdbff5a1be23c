import { importJwk, type VerificationKey } from './algorithms.js';
import { VerifyError } from './errors.js';
import { type FetchLike, fetchJson } from './fetch-json.js';

export interface JwksCacheOptions {
  /** Where the keys are; resolved on the first fetch (discovery may be behind it). */
  uri: () => Promise<string>;
  fetch: FetchLike;
  /** Milliseconds since the epoch. */
  clock: () => number;
  /** After this long the keys are refetched in the background; until then they serve. */
  maxAgeMs: number;
  /** Minimum time between two fetches, so unknown `kid`s cannot make us hammer the issuer. */
  cooldownMs: number;
  timeoutMs: number;
  /** Called when a refresh drops keys, so results verified with them can be forgotten. */
  onKeysRemoved?: () => void;
}

/**
 * The issuer's public keys, modelled on jose's remote JWKS: one in-flight
 * fetch shared by every waiter, a cooldown, a max age and a timeout. Lookups
 * are synchronous so a verification with known keys never awaits. When a
 * refresh fails the previous keys keep serving: an issuer outage must not
 * take down every resource server with it.
 */
export class JwksCache {
  readonly #options: JwksCacheOptions;
  #keys: VerificationKey[] | undefined;
  #byKid = new Map<string, VerificationKey>();
  #fetchedAt = Number.NEGATIVE_INFINITY;
  #attemptedAt = Number.NEGATIVE_INFINITY;
  #inFlight: Promise<void> | undefined;

  constructor(options: JwksCacheOptions) {
    this.#options = options;
  }

  get loaded(): boolean {
    return this.#keys !== undefined;
  }

  /** The key for a `kid`; undefined `kid` matches only when the set holds a single key. */
  lookup(kid: string | undefined): VerificationKey | undefined {
    if (kid !== undefined) return this.#byKid.get(kid);
    return this.#keys?.length === 1 ? this.#keys[0] : undefined;
  }

  /** Whether a fetch may start now (or one is already running and can be joined). */
  canRefresh(): boolean {
    return this.#inFlight !== undefined || this.#options.clock() - this.#attemptedAt >= this.#options.cooldownMs;
  }

  /** Starts a background refresh when the keys are older than the max age; `now` from the same clock. */
  refreshIfStale(now = this.#options.clock()): void {
    if (now - this.#fetchedAt >= this.#options.maxAgeMs && this.canRefresh()) {
      this.refresh().catch(() => {});
    }
  }

  /**
   * Fetches the set, joining a fetch already in flight. Rejects with
   * `jwks_unavailable` only when no keys at all are known.
   */
  refresh(): Promise<void> {
    if (this.#inFlight) return this.#inFlight;
    if (!this.canRefresh()) {
      return this.#keys
        ? Promise.resolve()
        : Promise.reject(new VerifyError('jwks_unavailable', { detail: 'cooling down after a failed fetch' }));
    }
    this.#attemptedAt = this.#options.clock();
    this.#inFlight = this.#fetch().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #fetch(): Promise<void> {
    let document: Record<string, unknown>;
    try {
      const uri = await this.#options.uri();
      document = await fetchJson(this.#options.fetch, uri, this.#options.timeoutMs);
    } catch (err) {
      if (this.#keys) return;
      throw err instanceof VerifyError ? err : new VerifyError('jwks_unavailable', { cause: err });
    }
    if (!Array.isArray(document.keys)) {
      if (this.#keys) return;
      throw new VerifyError('jwks_unavailable', { detail: 'the JWKS has no keys array' });
    }
    this.#install(document.keys);
  }

  #install(jwks: unknown[]): void {
    const keys: VerificationKey[] = [];
    const byKid = new Map<string, VerificationKey>();
    const duplicates = new Set<string>();
    for (const jwk of jwks) {
      if (typeof jwk !== 'object' || jwk === null) continue;
      const key = importJwk(jwk as Record<string, unknown>);
      if (!key) continue;
      keys.push(key);
      if (key.kid === undefined) continue;
      if (byKid.has(key.kid)) duplicates.add(key.kid);
      else byKid.set(key.kid, key);
    }
    // A kid published twice is ambiguous: neither copy may be chosen by it.
    for (const kid of duplicates) byKid.delete(kid);
    const removed = [...this.#byKid.keys()].some((kid) => !byKid.has(kid));
    this.#keys = keys;
    this.#byKid = byKid;
    this.#fetchedAt = this.#options.clock();
    if (removed) this.#options.onKeysRemoved?.();
  }
}
