import { isStoreUnavailable } from './store-errors.js';

interface Pending<T> {
  row: T;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Writes rows: synchronously (SQLite) or with a promise (PostgreSQL). */
type Write<T> = (rows: T) => void | Promise<void>;

/**
 * Collects the rows inserted during one turn of the event loop and writes
 * them at the next (setImmediate) together: with many requests in flight, N
 * rows cost one commit (SQLite) or one round trip (PostgreSQL) instead of N.
 * With several workers on one SQLite file that is also one turn of its
 * single write lock instead of N. A caller's promise settles after the write
 * that holds its row, so nothing is handed out before it is stored. A batch
 * that fails for one row's sake is retried row by row, so a bad row fails
 * only its own caller.
 */
export class BatchedInserts<T> {
  #pending: Pending<T>[] = [];
  /** Batches written asynchronously and not yet settled, for close() to wait on. */
  readonly #inFlight = new Set<Promise<void>>();
  readonly #insertOne: Write<T>;
  readonly #insertAll: Write<readonly T[]>;

  /**
   * `insertAll` must insert every row or none (a transaction, or one
   * statement), and is given at most `maxBatch` rows at a time.
   */
  constructor(
    insertOne: Write<T>,
    insertAll: Write<readonly T[]>,
    private readonly maxBatch = Number.POSITIVE_INFINITY,
  ) {
    this.#insertOne = insertOne;
    this.#insertAll = insertAll;
  }

  add(row: T): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#pending.push({ row, resolve, reject }) === 1) setImmediate(() => this.flush());
    });
  }

  /**
   * Writes what is pending now: a synchronous writer has written it when
   * this returns. Also called before the database closes.
   */
  flush(): void {
    while (this.#pending.length > this.maxBatch) this.#write(this.#pending.splice(0, this.maxBatch));
    const batch = this.#pending;
    if (batch.length === 0) return;
    this.#pending = [];
    this.#write(batch);
  }

  #write(batch: Pending<T>[]): void {
    let written: void | Promise<void>;
    try {
      written = this.#insertAll(batch.map((p) => p.row));
    } catch (err) {
      this.#failed(batch, err);
      return;
    }
    if (!(written instanceof Promise)) {
      for (const p of batch) p.resolve();
      return;
    }
    const settled = written.then(
      () => {
        for (const p of batch) p.resolve();
      },
      (err: unknown) => this.#failed(batch, err),
    );
    this.#inFlight.add(settled);
    void settled.finally(() => this.#inFlight.delete(settled));
  }

  /** Writes what is pending and waits until every batch has settled: before an asynchronous store closes. */
  async drain(): Promise<void> {
    this.flush();
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight);
  }

  #failed(batch: Pending<T>[], err: unknown): void | Promise<void> {
    // A busy or broken database fails every row alike: retrying each would
    // wait out the busy timeout (or the connection timeout) once per row.
    if (isStoreUnavailable(err)) {
      for (const p of batch) p.reject(err);
      return;
    }
    const retries: Promise<void>[] = [];
    for (const p of batch) {
      try {
        const written = this.#insertOne(p.row);
        if (written instanceof Promise) retries.push(written.then(p.resolve, p.reject));
        else p.resolve();
      } catch (err) {
        p.reject(err);
      }
    }
    if (retries.length > 0) return Promise.all(retries).then(() => {});
  }
}
