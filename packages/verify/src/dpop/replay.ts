/**
 * Where the `jti` of each accepted DPoP proof is remembered until the proof
 * could no longer be accepted anyway (RFC 9449 §11.1). One process can use
 * the in-memory default; several instances behind one load balancer need a
 * shared store (Redis `SET key 1 NX PXAT expiresAtMs`, say), or a proof
 * refused by one could be replayed against another.
 */
export interface DpopReplayStore {
  /**
   * Records `key` until `expiresAtMs` (epoch ms). True the first time,
   * false when the key is already recorded and not yet expired. Must be
   * atomic: two concurrent calls with one key may not both get true.
   */
  useOnce(key: string, expiresAtMs: number): boolean | Promise<boolean>;
}

/**
 * The default store: a bounded map in memory, oldest first out. Proofs live
 * about a minute, so entries mostly leave by expiry; past `maxEntries` the
 * oldest is forgotten early, and only a proof older than every remembered one
 * could be replayed — size it above your DPoP requests per `iat` window.
 */
export class MemoryReplayStore implements DpopReplayStore {
  readonly #seen = new Map<string, number>();
  readonly #maxEntries: number;
  readonly #clock: () => number;

  constructor(maxEntries = 100_000, clock: () => number = Date.now) {
    if (!(maxEntries >= 1)) throw new TypeError('maxEntries must be at least 1');
    this.#maxEntries = Math.floor(maxEntries);
    this.#clock = clock;
  }

  get size(): number {
    return this.#seen.size;
  }

  useOnce(key: string, expiresAtMs: number): boolean {
    const now = this.#clock();
    const until = this.#seen.get(key);
    if (until !== undefined && until > now) return false;
    this.#seen.delete(key);
    this.#purge(now);
    this.#seen.set(key, expiresAtMs);
    return true;
  }

  /** Drops expired entries from the front (insertion order is nearly expiry order), then the oldest past the bound. */
  #purge(now: number): void {
    for (const [key, until] of this.#seen) {
      if (until > now && this.#seen.size < this.#maxEntries) break;
      this.#seen.delete(key);
    }
  }
}
