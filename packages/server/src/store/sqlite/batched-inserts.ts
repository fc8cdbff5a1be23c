import { isStoreUnavailable } from '../store-errors.js';

interface Pending<T> {
  row: T;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Collects the rows inserted during one turn of the event loop and writes
 * them at the next (setImmediate) in one transaction: with many requests in
 * flight, N rows cost one commit instead of N, and with several workers on
 * one file, one turn of SQLite's single write lock instead of N (each turn
 * a worker waits for blocks its event loop). A caller's promise settles
 * after the commit that holds its row, so nothing is handed out before it is
 * stored. A batch that fails for one row's sake is retried row by row, so
 * a bad row fails only its own caller.
 */
export class BatchedInserts<T> {
  #pending: Pending<T>[] = [];
  readonly #insertOne: (row: T) => void;
  readonly #insertAll: (rows: readonly T[]) => void;

  /** `insertAll` must insert every row or none (a transaction). */
  constructor(insertOne: (row: T) => void, insertAll: (rows: readonly T[]) => void) {
    this.#insertOne = insertOne;
    this.#insertAll = insertAll;
  }

  add(row: T): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#pending.push({ row, resolve, reject }) === 1) setImmediate(() => this.flush());
    });
  }

  /** Writes what is pending now; also called before the database closes. */
  flush(): void {
    const batch = this.#pending;
    if (batch.length === 0) return;
    this.#pending = [];
    try {
      this.#insertAll(batch.map((p) => p.row));
    } catch (err) {
      // A busy or broken database fails every row alike: retrying each would
      // wait out the busy timeout once per row.
      if (isStoreUnavailable(err)) {
        for (const p of batch) p.reject(err);
        return;
      }
      for (const p of batch) {
        try {
          this.#insertOne(p.row);
          p.resolve();
        } catch (err) {
          p.reject(err);
        }
      }
      return;
    }
    for (const p of batch) p.resolve();
  }
}
