import type { ChangeFeed } from '../sync/change-feed.js';
import type { ClientRegistry } from './client-registry.js';

/**
 * Keeps this node's client cache in step with admin changes made on other
 * nodes: a changed client is forgotten (read again on its next request),
 * and a feed that reconnected, having maybe missed changes, empties the cache.
 */
export function followClientChanges(clients: Pick<ClientRegistry, 'forget' | 'forgetAll'>, feed: ChangeFeed): void {
  feed.subscribe(
    (change) => {
      if (change.kind === 'client') clients.forget(change.clientId);
    },
    () => clients.forgetAll(),
  );
}
