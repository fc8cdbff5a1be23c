import { Pool, type PoolClient, type PoolConfig, TypeOverrides } from 'pg';
import { isStoreUnavailable } from '../store-errors.js';

export interface PostgresStoreOptions {
  /**
   * Schema holding Tessera's tables, put first on each connection's
   * search_path; default: the role's own search_path. It must exist.
   */
  schema?: string;
  /** Overrides of the pool settings below (tests shorten the timeouts). */
  pool?: Omit<PoolConfig, 'connectionString'>;
}

/**
 * Every wait is bounded, so a dead or unreachable database fails a request
 * (and /readyz) within seconds instead of hanging it. The URL may set
 * `statement_timeout` and `query_timeout` (milliseconds, node-postgres reads
 * them from it); the wait for a connection never exceeds the query timeout.
 */
const POOL_DEFAULTS: PoolConfig = {
  max: 10,
  /** Also bounds the wait for a free connection when all ten are busy. */
  connectionTimeoutMillis: 3000,
  /** Server side: the database cancels a statement running longer. */
  statement_timeout: 5000,
  /** Client side: covers a server that stops answering at all. */
  query_timeout: 6000,
  /** A transaction left open by a crashed caller must not hold its locks. */
  idle_in_transaction_session_timeout: 10_000,
  idleTimeoutMillis: 30_000,
  keepAlive: true,
  application_name: 'tessera',
};

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const INT8_OID = 20;

export function createPool(url: string, options: PostgresStoreOptions = {}): Pool {
  if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
    throw new Error(`schema "${options.schema}" is not a plain identifier`);
  }
  const config: PoolConfig = {
    ...POOL_DEFAULTS,
    ...(options.schema === undefined ? {} : { options: `-c search_path=${options.schema}` }),
    types: int8AsNumber(),
    ...options.pool,
    connectionString: url,
  };
  // A request that waits for a connection and then for its query would otherwise wait for both.
  const queryTimeout = queryTimeoutIn(url) ?? config.query_timeout;
  if (queryTimeout !== undefined && config.connectionTimeoutMillis !== undefined) {
    config.connectionTimeoutMillis = Math.min(config.connectionTimeoutMillis, queryTimeout);
  }
  const pool = new Pool(config);
  // An idle connection that dies (database restart, failover) is dropped by
  // the pool; without a listener the 'error' event would crash the process.
  // The next query opens a new connection and reports any lasting failure.
  pool.on('error', () => {});
  return pool;
}

/** `query_timeout` from the URL's query string, where node-postgres reads it with precedence over the pool's. */
function queryTimeoutIn(url: string): number | undefined {
  let value: string | null;
  try {
    value = new URL(url).searchParams.get('query_timeout');
  } catch {
    return undefined;
  }
  const ms = Number(value);
  return value !== null && Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/**
 * pg returns BIGINT as a string to avoid silent precision loss; our BIGINTs
 * are millisecond timestamps and counts, far inside the safe integer range.
 * Per pool, so other users of pg in the process keep the default.
 */
function int8AsNumber(): TypeOverrides {
  const types = new TypeOverrides();
  types.setTypeParser(INT8_OID, (text: string) => {
    const n = Number(text);
    if (!Number.isSafeInteger(n)) throw new RangeError(`BIGINT ${text} exceeds Number.MAX_SAFE_INTEGER`);
    return n;
  });
  return types;
}

/** Runs `fn` in a transaction on one connection; rolls back if it throws. */
export async function transaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    client.release();
    return result;
  } catch (err) {
    if (isStoreUnavailable(err)) {
      // The database timed out or the connection broke: a ROLLBACK would wait
      // out the query timeout a second time. Closing the connection ends the
      // transaction on the server all the same.
      client.release(true);
      throw err;
    }
    try {
      await client.query('ROLLBACK');
      client.release();
    } catch {
      // The connection is unusable: destroy it rather than return it to the pool.
      client.release(true);
    }
    throw err;
  }
}
