/**
 * A bounded least-recently-used map (Map keeps insertion order: a hit is
 * moved to the end, the oldest entry is evicted first). Bounds memory for
 * registries of any size.
 */
export class LruCache<K, V> {
  readonly #map = new Map<K, V>();
  constructor(readonly maxSize: number) {}

  get(key: K): V | undefined {
    const value = this.#map.get(key);
    if (value !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, value);
    }
    return value;
  }

  set(key: K, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.maxSize) {
      this.#map.delete(this.#map.keys().next().value as K);
    }
  }

  delete(key: K): void {
    this.#map.delete(key);
  }

  clear(): void {
    this.#map.clear();
  }

  get size(): number {
    return this.#map.size;
  }
}
