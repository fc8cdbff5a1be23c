import type { Logger } from 'pino';
import type { ChangeFeed } from '../sync/change-feed.js';
import type { SigningKeys } from './signing-keys.js';

/**
 * How often a node re-reads the signing keys whatever the change feed said:
 * a notification lost with a dropped connection, or a node that rotated and
 * died before publishing, then costs at most this. Well inside the shortest
 * time a retired key stays published (now + the longest token lifetime).
 */
export const KEY_REFRESH_MS = 60_000;

export interface KeyRefresh {
  stop(): void;
}

/**
 * Keeps this node's signing keys in step with the store: reloads on a key
 * change or a feed reset, and every `everyMs`. A failed reload keeps the keys
 * loaded so far and is logged; the next change or tick tries again.
 */
export function refreshKeys(
  keys: Pick<SigningKeys, 'reload'>,
  feed: ChangeFeed,
  logger: Logger,
  everyMs = KEY_REFRESH_MS,
): KeyRefresh {
  const reload = (cause: 'change' | 'feed reset' | 'schedule') => {
    keys.reload().catch((err: unknown) => {
      logger.warn({ err, cause }, 'reloading the signing keys failed; signing with the keys loaded before');
    });
  };
  feed.subscribe(
    (change) => {
      if (change.kind === 'keys') reload('change');
    },
    () => reload('feed reset'),
  );
  const timer = setInterval(() => reload('schedule'), everyMs);
  // Never the reason the process stays up.
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
