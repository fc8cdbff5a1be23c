/**
 * A bounded map from a token string to what was learnt about it, each entry
 * valid until its own deadline (a JWT's `exp`, an introspection cache time).
 * Eviction is first-in first-out: a hit costs one Map lookup and no
 * reordering, and a busy token evicted early is simply verified again.
 *
 * An entry may be filed under a `slot` shorter than its key, because a Map
 * lookup hashes its whole key, about 1 µs for a JWT that V8 sees for the
 * first time (and each request's token is a new string). The slot only
 * finds the entry: the key must equal the one stored, so two keys sharing a
 * slot never answer for each other, the later one just replaces the earlier.
 */
export class ExpiringCache<V> {
  readonly #entries = new Map<string, { key: string; value: V; expiresAt: number }>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = Math.max(0, Math.floor(maxEntries));
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The value while `now` is before its deadline (both in milliseconds). */
  get(key: string, now: number, slot = key): V | undefined {
    // Disabled: not even a lookup, which would hash the slot.
    if (this.#maxEntries === 0) return undefined;
    const entry = this.#entries.get(slot);
    if (entry === undefined || entry.key !== key) return undefined;
    if (now < entry.expiresAt) return entry.value;
    this.#entries.delete(slot);
    return undefined;
  }

  /** Stores `value` for `key` until `expiresAt`, replacing whatever was filed under the same slot. */
  set(key: string, value: V, expiresAt: number, slot = key): void {
    if (this.#maxEntries === 0) return;
    this.#entries.delete(slot);
    while (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
    this.#entries.set(slot, { key, value, expiresAt });
  }

  delete(key: string, slot = key): void {
    if (this.#entries.get(slot)?.key === key) this.#entries.delete(slot);
  }

  clear(): void {
    this.#entries.clear();
  }
}
