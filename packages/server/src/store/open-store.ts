import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { tracedCalls } from '../tracing/traced-calls.js';
import { tracing } from '../tracing/tracing.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './types.js';

export interface StoreLocation {
  store: Store;
  /** Where the encryption key file lives when none is configured; undefined for in-memory stores. */
  keyFile: string | undefined;
}

/**
 * A PostgreSQL URL names no local path to keep the key beside, and the key
 * must not live in the database (a dump would carry it with what it
 * protects): it stays on this node's disk.
 */
const POSTGRES_KEY_FILE = './data/tessera.key';

/**
 * Opens the backend named by TESSERA_DATABASE_URL, migrating its schema.
 * `logger` hears of failures no request sees (SQLite's checkpoint thread).
 */
export async function openStore(databaseUrl: string, logger?: Logger): Promise<StoreLocation> {
  const location = await openBackend(databaseUrl, logger);
  if (tracing === null) return location;
  // Traced here, once, for every backend: none of them knows of tracing.
  const system = location.store.kind === 'postgres' ? 'postgresql' : location.store.kind;
  return { ...location, store: tracedCalls(location.store, system, tracing) };
}

async function openBackend(databaseUrl: string, logger: Logger | undefined): Promise<StoreLocation> {
  if (databaseUrl.startsWith('sqlite:')) {
    const path = databaseUrl.slice('sqlite:'.length);
    if (path === ':memory:') return { store: new SqliteStore(':memory:'), keyFile: undefined };
    return { store: new SqliteStore(path, { logger }), keyFile: `${path}.key` };
  }
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) {
    // Loaded only here: the pg driver is RSS an embedded-store process need not carry.
    const { PostgresStore } = await import('./postgres/postgres-store.js');
    return { store: await PostgresStore.open(databaseUrl), keyFile: resolve(POSTGRES_KEY_FILE) };
  }
  throw new Error('unsupported database URL: use sqlite:PATH or postgres://…');
}
