import type { NormalizedTarget } from './cache-key.js';

/** A token and how it is presented: `DPoP` (with a proof of this client's key) or `Bearer`. */
export interface IssuedToken {
  readonly accessToken: string;
  readonly tokenType: 'Bearer' | 'DPoP';
}

export interface CacheEntry {
  readonly key: string;
  readonly audience: readonly string[];
  readonly scope: string;
  token: string | undefined;
  /** `Promise.resolve(token)`, kept so a cache hit allocates nothing. */
  settled: Promise<string> | undefined;
  /** The token with its type, for `fetch`, which must know how to present it. */
  issued: Promise<IssuedToken> | undefined;
  /** Epoch ms after which a caller starts a background renewal. */
  refreshAt: number;
  /** Epoch ms after which the token is no longer handed out. */
  expiresAt: number;
  /** The one request under way for this key, shared by every caller. */
  inflight: Promise<IssuedToken> | undefined;
  /** Background renewals that failed in a row, to space out the next ones. */
  refreshFailures: number;
  /** Second-chance bit for eviction: set on every hit, cleared when the evictor passes. */
  used: boolean;
}

/**
 * Tokens by audience + scope, bounded to `maxEntries`. Eviction is second
 * chance (CLOCK): a hit only sets a flag, so the hot path never reorders the
 * map, yet keys in use outlive keys that are not. An entry with a request
 * under way is never evicted, so single-flight holds.
 */
export class TokenCache {
  private readonly entries = new Map<string, CacheEntry>();

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): CacheEntry | undefined {
    return this.entries.get(key);
  }

  getOrCreate(target: NormalizedTarget): CacheEntry {
    const existing = this.entries.get(target.key);
    if (existing) return existing;
    if (this.entries.size >= this.maxEntries) this.evictOne();
    const entry: CacheEntry = {
      key: target.key,
      audience: target.audience,
      scope: target.scope,
      token: undefined,
      settled: undefined,
      issued: undefined,
      refreshAt: 0,
      expiresAt: 0,
      inflight: undefined,
      refreshFailures: 0,
      used: false,
    };
    this.entries.set(target.key, entry);
    return entry;
  }

  /** Removes `entry` unless another one has replaced it under the same key. */
  delete(entry: CacheEntry): void {
    if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
  }

  clear(): void {
    this.entries.clear();
  }

  private evictOne(): void {
    // An entry used since the last pass goes to the back with its bit cleared (second-chance FIFO).
    // Re-added entries are visited again by this same loop, so it ends even when all were used.
    for (const entry of this.entries.values()) {
      if (entry.inflight) continue;
      this.entries.delete(entry.key);
      if (!entry.used) return;
      entry.used = false;
      this.entries.set(entry.key, entry);
    }
  }
}
