import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './types.js';

export interface StoreLocation {
  store: Store;
  /** Where the encryption key file lives when none is configured; undefined for in-memory stores. */
  keyFile: string | undefined;
}

/** Opens the backend named by TESSERA_DATABASE_URL. */
export function openStore(databaseUrl: string): StoreLocation {
  if (databaseUrl.startsWith('sqlite:')) {
    const path = databaseUrl.slice('sqlite:'.length);
    if (path === ':memory:') return { store: new SqliteStore(':memory:'), keyFile: undefined };
    return { store: new SqliteStore(path), keyFile: `${path}.key` };
  }
  throw new Error('PostgreSQL support is not built yet: use sqlite:PATH');
}
