import type { ClientRegistry } from '../clients/client-registry.js';
import type { SecretHasher } from '../crypto/secret-hasher.js';
import type { Federation } from '../federation/federation.js';
import type { ClientCa } from './certificate-chain.js';
import type { AssertionContext } from './client-assertion.js';
import type { SecretRehasher } from './rehash-secret.js';

/** What client authentication needs: each method uses its slice of it. */
export interface ClientAuthDeps {
  clients: Pick<ClientRegistry, 'find'>;
  hasher: SecretHasher;
  assertion: Omit<AssertionContext, 'nowMs'>;
  now: () => number;
  /** Only while the encryption key is being rotated: re-hashes secrets hashed under a previous key. */
  rehash?: SecretRehasher | undefined;
  /** TESSERA_TLS_CLIENT_CA, when set: the CAs tls_client_auth certificates must chain to. */
  clientCa?: ClientCa | undefined;
  /** Trusted issuers and the clients that accept their workloads' identities (federated_jwt). */
  federation?: Federation | undefined;
  /** Hears each successful authentication, by method (the metrics). */
  onAuthenticated?: ((method: string) => void) | undefined;
}

/** A method whose dependency this server was built without: a bug, not a client's fault. */
export function wrongDeps(name: string): never {
  throw new Error(`client authentication was set up without ${name}`);
}
