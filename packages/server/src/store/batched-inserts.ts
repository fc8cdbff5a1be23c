import { isStoreUnavailable } from './store-errors.js';

interface Pending<T> {
  row: T;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Writes a row: synchronously (SQLite) or with a promise (PostgreSQL). */
type WriteOne<T> = (row: T) => void | Promise<void>;
/** Writes a batch, or answers WRITE_LATER having written nothing. */
type WriteAll<T> = (rows: readonly T[]) => void | Promise<void> | typeof WRITE_LATER;

/**
 * What a batch writer returns when the store is busy right now (another
 * process holds SQLite's write lock): the batch goes back to the front of
 * the queue and is written at a later turn, together with the rows that
 * arrive meanwhile, while the event loop serves other requests.
 */
export const WRITE_LATER = Symbol('write later');

/** WRITE_LATER answers retried at the very next turn before retries wait a millisecond. */
const IMMEDIATE_RETRIES = 16;

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
  /** Batches answered WRITE_LATER in a row. */
  #laterInARow = 0;
  /** Batches written asynchronously and not yet settled, for close() to wait on. */
  readonly #inFlight = new Set<Promise<void>>();
  readonly #insertOne: WriteOne<T>;
  readonly #insertAll: WriteAll<T>;

  /**
   * `insertAll` must insert every row or none (a transaction, or one
   * statement), and is given at most `maxBatch` rows at a time; it may
   * return WRITE_LATER, having written nothing.
   */
  constructor(
    insertOne: WriteOne<T>,
    insertAll: WriteAll<T>,
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
    while (this.#pending.length > 0) {
      let batch = this.#pending;
      if (batch.length > this.maxBatch) batch = batch.splice(0, this.maxBatch);
      else this.#pending = [];
      if (!this.#write(batch)) {
        this.#pending = batch.concat(this.#pending);
        // The next turn first; a lock held longer (another worker's fsync or
        // clean-up) is polled each millisecond rather than in a busy loop.
        if (++this.#laterInARow <= IMMEDIATE_RETRIES) setImmediate(() => this.flush());
        else setTimeout(() => this.flush(), 1);
        return;
      }
      this.#laterInARow = 0;
    }
  }

  /** Writes one batch; false if the writer answered WRITE_LATER. */
  #write(batch: Pending<T>[]): boolean {
    let written: void | Promise<void> | typeof WRITE_LATER;
    try {
      written = this.#insertAll(batch.map((p) => p.row));
    } catch (err) {
      this.#failed(batch, err);
      return true;
    }
    if (written === WRITE_LATER) return false;
    if (!(written instanceof Promise)) {
      for (const p of batch) p.resolve();
      return true;
    }
    const settled = written.then(
      () => {
        for (const p of batch) p.resolve();
      },
      (err: unknown) => this.#failed(batch, err),
    );
    this.#inFlight.add(settled);
    void settled.finally(() => this.#inFlight.delete(settled));
    return true;
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
