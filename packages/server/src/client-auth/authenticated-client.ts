import type { AuthMethod, StoredClient } from '../clients/client.js';
import type { Params } from '../core/params.js';

/** What every client authentication method sees of a request. */
export interface AuthRequest {
  params: Params;
  /** The raw Authorization header, if any. */
  authorization: string | undefined;
}

export interface AuthenticatedClient {
  client: StoredClient;
  method: AuthMethod;
}
