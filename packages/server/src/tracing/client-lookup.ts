import type { StoredClient } from '../clients/client.js';
import type { ClientRegistry } from '../clients/client-registry.js';
import { ATTR } from './attributes.js';
import type { Tracing } from './tracing.js';

type ClientLookup = Pick<ClientRegistry, 'find'>;

/**
 * The client lookup of client authentication, noting on the request's span
 * the client the request named once the registry has found it: token,
 * introspection and revocation spans all carry `oauth.client_id`, also when
 * a later check refuses the request. An id no client has is never recorded:
 * whatever was sent there may be anything, a pasted secret included.
 */
export function annotatedClientLookup(clients: ClientLookup, tracing: Tracing): ClientLookup {
  const note = (client: StoredClient | undefined): StoredClient | undefined => {
    if (client !== undefined) tracing.annotate(ATTR.clientId, client.clientId);
    return client;
  };
  return {
    find(clientId) {
      const found = clients.find(clientId);
      return found instanceof Promise ? found.then(note) : note(found);
    },
  };
}
