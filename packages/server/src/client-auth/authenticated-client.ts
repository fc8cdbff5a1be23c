import type { StoredClient } from '../clients/client.js';
import type { TokenRequest } from '../core/token-request.js';

/** What every client authentication method sees of a request. */
export type AuthRequest = Pick<
  TokenRequest,
  'params' | 'authorization' | 'clientCertificate' | 'clientCertificateChain'
>;

export interface AuthenticatedClient {
  client: StoredClient;
  /** The method the request used (its registered one, or one that method also accepts). */
  method: string;
}
