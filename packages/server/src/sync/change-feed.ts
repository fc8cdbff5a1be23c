/** Something cached in memory changed in the store. */
export type Change =
  | { kind: 'client'; clientId: string }
  | { kind: 'keys' }
  /** A status list changed (status/status-lists.ts): its token is read again, its subscribers told. */
  | { kind: 'status_list'; listId: string };

/**
 * How nodes and worker processes tell each other that cached state changed:
 * the token endpoint answers from memory, so every admin write is published
 * here and every other node drops what it cached. Implementations: none (one
 * process), cluster IPC (workers of one node), and later PostgreSQL
 * LISTEN/NOTIFY or Redis pub/sub (several nodes).
 */
export interface ChangeFeed {
  publish(change: Change): void;
  /** `onChange` runs for changes published elsewhere; `onReset` when changes may have been missed. */
  subscribe(onChange: (change: Change) => void, onReset?: () => void): void;
  close(): Promise<void>;
}

/** A single process: there is nobody to tell. */
export class LocalFeed implements ChangeFeed {
  publish(): void {}
  subscribe(): void {}
  async close(): Promise<void> {}
}
