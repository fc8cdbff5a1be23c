/** Something cached in memory changed in the store. */
export type Change =
  | { kind: 'client'; clientId: string }
  | { kind: 'keys' }
  | { kind: 'trusted-issuers' }
  /** A status list changed (status/status-lists.ts): its token is read again, its subscribers told. */
  | { kind: 'status_list'; listId: string }
  | ConsoleSessionChange;

/**
 * A console session began, was used, or ended on another process
 * (console/console-sessions.ts). `hash` is the SHA-256 of the session id,
 * never the id; a start carries a MAC under a key derived from the
 * encryption key, so whoever can publish on the feed cannot make one.
 */
export type ConsoleSessionChange =
  | { kind: 'console-session'; event: 'start'; hash: string; actor: string; created: number; mac: string }
  | { kind: 'console-session'; event: 'seen'; hash: string; at: number }
  | { kind: 'console-session'; event: 'end'; hash: string };

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
