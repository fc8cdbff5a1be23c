import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { BatchedInserts, WRITE_LATER } from '../batched-inserts.js';
import { toExtColumn } from '../sql-rows.js';
import type { OpaqueTokenRecord } from '../types.js';
import { BackgroundCheckpointer } from './checkpointer.js';

const INSERT_TOKEN =
  'INSERT INTO opaque_tokens (id, hash, client_id, jti, scope, audience, iat, exp, ext) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)';

/**
 * This connection's page cache: 2,000 KiB, SQLite's own default (a negative
 * cache_size counts KiB), instead of better-sqlite3's 16,000. Inserts append
 * at the right edge of the table and of its exp index (time-ordered keys),
 * so the pages this connection touches again are a few dozen; a bigger cache
 * only fills with pages it never reads again, ~14 MB of RSS once a process
 * has issued a few hundred thousand opaque tokens, at no gain in throughput.
 */
const WRITER_CACHE_SIZE = -2000;

type InsertAll = Database.Transaction<(rows: readonly OpaqueTokenRecord[]) => void>;

/**
 * Writes opaque tokens, the rows of one event-loop turn in one transaction
 * (BatchedInserts), through a connection of their own that never waits for
 * the write lock (busy_timeout 0). When another worker holds the lock, a
 * blocking wait would be SQLite's busy handler sleeping in whole
 * milliseconds with the event loop stopped (two workers on one file idled a
 * third of a core so); instead the batch is tried again at a later turn,
 * grown by the tokens issued meanwhile, and fails as unavailable only after
 * the store's busy timeout of trying, as a blocking wait would have.
 *
 * A connection of its own, not busy_timeout toggled on the store's: SQLite
 * applies that pragma when it compiles it, so each toggle was a prepare
 * (2.6 % of the CPU at 20,000 opaque tokens/s).
 */
export class SqliteTokenWriter {
  /** This writer's connection; the store's own for `:memory:`, which no other process can lock. */
  readonly #db: Database.Database;
  readonly #ownConnection: boolean;
  readonly #tryAll: InsertAll;
  /** The same on the store's connection, which waits for the lock: for close(). */
  readonly #waitAll: InsertAll;
  readonly #batches: BatchedInserts<OpaqueTokenRecord>;
  readonly #busyTimeoutMs: number;
  /** WAL checkpoints in a worker thread, from the first batch on; none for `:memory:`. */
  readonly #checkpointer: BackgroundCheckpointer | undefined;
  /** When batches began finding the write lock taken (performance.now()), or 0. */
  #busySince = 0;
  #closing = false;

  /** `store` is the store's connection, migrated, with its busy timeout set. */
  constructor(store: Database.Database, path: string, busyTimeoutMs: number, logger?: Logger) {
    this.#busyTimeoutMs = busyTimeoutMs;
    this.#ownConnection = path !== ':memory:';
    this.#db = this.#ownConnection ? new Database(path, { timeout: 0 }) : store;
    this.#db.pragma('synchronous = NORMAL');
    this.#db.pragma('foreign_keys = ON');
    if (this.#ownConnection) this.#db.pragma(`cache_size = ${WRITER_CACHE_SIZE}`);
    const waiting = store.prepare(INSERT_TOKEN);
    this.#waitAll = insertAll(store, waiting);
    this.#tryAll = this.#ownConnection ? insertAll(this.#db, this.#db.prepare(INSERT_TOKEN)) : this.#waitAll;
    this.#checkpointer = this.#ownConnection ? new BackgroundCheckpointer(path, [store, this.#db], logger) : undefined;
    this.#batches = new BatchedInserts(
      // A batch that failed for one row's sake is retried row by row, waiting for the lock.
      (t) => insertRow(waiting, t),
      (rows) => this.#write(rows),
    );
  }

  add(token: OpaqueTokenRecord): Promise<void> {
    return this.#batches.add(token);
  }

  /** Writes what is pending, waiting for the lock: nothing comes later. */
  async close(): Promise<void> {
    this.#closing = true;
    this.#batches.flush();
    await this.#checkpointer?.stop();
    if (this.#ownConnection) this.#db.close();
  }

  /** The background checkpointer, for tests. */
  get checkpointer(): BackgroundCheckpointer | undefined {
    return this.#checkpointer;
  }

  #write(rows: readonly OpaqueTokenRecord[]): undefined | typeof WRITE_LATER {
    if (this.#closing) return void this.#waitAll.immediate(rows);
    try {
      this.#tryAll.immediate(rows);
      this.#busySince = 0;
      this.#checkpointer?.start();
    } catch (err) {
      if (!String((err as { code?: unknown }).code).startsWith('SQLITE_BUSY')) throw err;
      const now = performance.now();
      if (this.#busySince === 0) this.#busySince = now;
      if (now - this.#busySince < this.#busyTimeoutMs) return WRITE_LATER;
      this.#busySince = 0;
      throw err;
    }
  }
}

function insertAll(db: Database.Database, insert: Database.Statement): InsertAll {
  return db.transaction((rows: readonly OpaqueTokenRecord[]) => {
    for (const t of rows) insertRow(insert, t);
  });
}

function insertRow(insert: Database.Statement, t: OpaqueTokenRecord): void {
  // Positional binding: no object built per token on the opaque hot path.
  insert.run(
    t.id,
    t.hash,
    t.clientId,
    t.jti,
    t.scope,
    JSON.stringify(t.audience),
    t.iat,
    t.exp,
    toExtColumn(t.extension),
  );
}
