import type { Change, ChangeFeed } from './change-feed.js';

interface FeedMessage {
  tessera: 'change';
  change: Change;
}

export function isFeedMessage(m: unknown): m is FeedMessage {
  return typeof m === 'object' && m !== null && (m as FeedMessage).tessera === 'change';
}

/**
 * Workers of one node (TESSERA_WORKERS): a change goes to the primary over
 * the IPC channel, which relays it to every other worker (cluster/primary.ts).
 */
export class ClusterFeed implements ChangeFeed {
  readonly #listeners: ((m: unknown) => void)[] = [];

  publish(change: Change): void {
    process.send?.({ tessera: 'change', change } satisfies FeedMessage);
  }

  subscribe(onChange: (change: Change) => void): void {
    const listener = (m: unknown) => {
      if (isFeedMessage(m)) onChange(m.change);
    };
    this.#listeners.push(listener);
    process.on('message', listener);
  }

  async close(): Promise<void> {
    for (const l of this.#listeners.splice(0)) process.off('message', l);
  }
}
