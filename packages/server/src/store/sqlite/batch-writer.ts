import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { BatchedInserts, WRITE_LATER } from '../batched-inserts.js';
import { JtiUse } from '../jti-use.js';
import { toExtColumn } from '../sql-rows.js';
import type { OpaqueTokenRecord } from '../types.js';
import { BackgroundCheckpointer } from './checkpointer.js';

const INSERT_TOKEN =
  'INSERT INTO opaque_tokens (id, hash, client_id, jti, scope, audience, iat, exp, ext) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)';
/** One statement, so atomic: an expired row is replaced, a live one wins and keeps its expiry. */
const USE_ONCE =
  'INSERT INTO used_jtis (key, expires_at) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET expires_at = excluded.expires_at WHERE used_jtis.expires_at <= ?';

/**
 * This connection's page cache: 2,000 KiB, SQLite's own default (a negative
 * cache_size counts KiB), instead of better-sqlite3's 16,000. Inserts append
 * at the right edge of the table and of its exp index (time-ordered keys),
 * so the pages this connection touches again are a few dozen; a bigger cache
 * only fills with pages it never reads again, ~14 MB of RSS once a process
 * has issued a few hundred thousand opaque tokens, at no gain in throughput.
 */
const WRITER_CACHE_SIZE = -2000;

/** What one turn's transaction writes: opaque tokens and spent jtis, in the order they came. */
type Row = OpaqueTokenRecord | JtiUse;

interface Statements {
  insertToken: Database.Statement;
  useOnce: Database.Statement;
}

type WriteAll = Database.Transaction<(rows: readonly Row[]) => void>;

/**
 * Writes opaque tokens and spent jtis, the rows of one event-loop turn in
 * one transaction (BatchedInserts), through a connection of its own that
 * never waits for the write lock (busy_timeout 0). When another worker holds
 * the lock, a blocking wait would be SQLite's busy handler sleeping in whole
 * milliseconds with the event loop stopped (two workers on one file idled a
 * third of a core so); instead the batch is tried again at a later turn,
 * grown by the rows added meanwhile, and fails as unavailable only after
 * the store's busy timeout of trying, as a blocking wait would have.
 *
 * A connection of its own, not busy_timeout toggled on the store's: SQLite
 * applies that pragma when it compiles it, so each toggle was a prepare
 * (2.6 % of the CPU at 20,000 opaque tokens/s).
 *
 * Spent jtis: each DPoP proof and client assertion spends one, and as a
 * commit of its own (the store's connection, one statement) that cost
 * 150–340 µs a request. In the turn's transaction the statement runs per
 * row, in order, so two uses of one key in a batch answer as they would one
 * after the other (the first wins), and the write lock makes the statement
 * atomic across the processes sharing the file. Durability is the opaque
 * tokens': synchronous=NORMAL in WAL keeps every commit through a process
 * crash; a power loss or OS crash may lose the last commits, so a proof
 * spent just before one could be accepted again within its lifetime (60 s).
 */
export class SqliteBatchWriter {
  /** This writer's connection; the store's own for `:memory:`, which no other process can lock. */
  readonly #db: Database.Database;
  readonly #ownConnection: boolean;
  readonly #tryAll: WriteAll;
  /** The same on the store's connection, which waits for the lock: for close() and row-by-row retries. */
  readonly #waitAll: WriteAll;
  readonly #batches: BatchedInserts<Row>;
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
    const waiting = statements(store);
    this.#waitAll = writeAll(store, waiting);
    this.#tryAll = this.#ownConnection ? writeAll(this.#db, statements(this.#db)) : this.#waitAll;
    this.#checkpointer = this.#ownConnection ? new BackgroundCheckpointer(path, [store, this.#db], logger) : undefined;
    this.#batches = new BatchedInserts<Row>(
      // A batch that failed for one row's sake is retried row by row, waiting for the lock.
      (row) => writeRow(waiting, row),
      (rows) => this.#write(rows),
    );
  }

  /** Settles once the token is committed. */
  add(token: OpaqueTokenRecord): Promise<void> {
    return this.#batches.add(token);
  }

  /** ReplayStore.useOnce, settled once the batch holding it is committed. */
  async useOnce(key: string, expiresAt: number, now: number): Promise<boolean> {
    const use = new JtiUse(key, expiresAt, now);
    await this.#batches.add(use);
    return use.firstUse;
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

  #write(rows: readonly Row[]): undefined | typeof WRITE_LATER {
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

function statements(db: Database.Database): Statements {
  return { insertToken: db.prepare(INSERT_TOKEN), useOnce: db.prepare(USE_ONCE) };
}

function writeAll(db: Database.Database, stmts: Statements): WriteAll {
  return db.transaction((rows: readonly Row[]) => {
    for (const row of rows) writeRow(stmts, row);
  });
}

function writeRow(stmts: Statements, row: Row): void {
  if (row instanceof JtiUse) {
    // Set on every attempt: a rolled-back batch's answers are overwritten by its retry's.
    row.firstUse = stmts.useOnce.run(row.key, row.expiresAt, row.now).changes === 1;
    return;
  }
  // Positional binding: no object built per token on the opaque hot path.
  stmts.insertToken.run(
    row.id,
    row.hash,
    row.clientId,
    row.jti,
    row.scope,
    JSON.stringify(row.audience),
    row.iat,
    row.exp,
    toExtColumn(row.extension),
  );
}
