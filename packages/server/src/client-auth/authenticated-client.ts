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

/** Longest client_id we even look up; longer ones fail without a store read. */
export const MAX_CLIENT_ID_LENGTH = 128;
