import type { StoredClient } from '../clients/client.js';
import type { AuthRequest } from './authenticated-client.js';
import type { Carrier } from './carriers.js';
import type { ClientAuthDeps } from './deps.js';

/**
 * How a client keeps what proves it is who it says: nothing (keys, a
 * certificate, a platform identity), a keyed hash of a secret, or the
 * secret sealed so it can be recovered (the HMAC key of client_secret_jwt).
 */
export type SecretKeeping = 'none' | 'hashed' | 'sealed';

/** What one method read from a request, before any store access. */
export interface Presentation<Proof = unknown> {
  /** The client the request names; checked as a client id before any lookup. */
  clientId: string;
  proof: Proof;
}

/**
 * One client authentication method (RFC 6749 §2.3, RFC 7523, RFC 8705 …):
 * how it is presented, how it is verified, and what a client registered for
 * it must have. Each method is one file; `registry.ts` lists them, and
 * discovery, metadata validation and secret minting derive from that list.
 */
export interface AuthMethod<Proof = unknown, Name extends string = string> {
  readonly name: Name;
  readonly secret: SecretKeeping;
  /** Whether a client registered for it needs public keys (`jwks` or `jwks_uri`). */
  readonly keys: boolean;
  /** Where its credential travels: one carrier per request (RFC 6749 §2.3). */
  readonly carrier: Carrier;
  /**
   * Other methods a client registered for this one may use (the same proof
   * presented another way, e.g. a secret in the body or in Basic).
   */
  readonly alsoAccepts?: readonly string[];
  /** JWS algorithms its proofs may be signed with (discovery's `*_auth_signing_alg_values_supported`). */
  readonly signingAlgs?: readonly string[];
  /**
   * This method's credentials in the request, or undefined when it does not
   * present them. No store access; `deps` for what a method keeps in memory
   * (the trusted issuers of federated_jwt).
   */
  read(req: AuthRequest, deps: ClientAuthDeps): Presentation<Proof> | undefined;
  /** Checks the proof against the registered client; throws InvalidClient. */
  verify(deps: ClientAuthDeps, client: StoredClient, proof: Proof): void | Promise<void>;
}
