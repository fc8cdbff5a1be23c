import type { Carrier } from './carriers.js';
import { clientSecretBasic } from './client-secret-basic.js';
import { clientSecretJwt } from './client-secret-jwt.js';
import { clientSecretPost } from './client-secret-post.js';
import { federatedJwt } from './federated-jwt.js';
import type { AuthMethod } from './method.js';
import { privateKeyJwt } from './private-key-jwt.js';
import { selfSignedTlsClientAuth } from './self-signed-tls-client-auth.js';
import { tlsClientAuth } from './tls-client-auth.js';

/**
 * Every client authentication method, one file each. Discovery, metadata
 * validation, the CLI and secret minting all derive from this list: a new
 * method is a new file and a line here.
 */
export const AUTH_METHODS = [
  clientSecretBasic,
  clientSecretPost,
  // Before the two RFC 7523 methods: it takes the jwt-bearer assertions whose iss is a trusted issuer.
  federatedJwt,
  privateKeyJwt,
  clientSecretJwt,
  // Last: a certificate authenticates only when the request carries no other credential.
  tlsClientAuth,
  selfSignedTlsClientAuth,
] as const;

export type AuthMethodName = (typeof AUTH_METHODS)[number]['name'];

export const AUTH_METHOD_NAMES: readonly AuthMethodName[] = AUTH_METHODS.map((m) => m.name);

const BY_NAME = new Map<string, AuthMethod>(AUTH_METHODS.map((m) => [m.name, m as AuthMethod]));

/** Every place a credential may travel, each once (methods presented alike share one). */
export const CARRIERS: readonly Carrier[] = [...new Set(AUTH_METHODS.map((m): Carrier => m.carrier))];

/** The method named `name`, if this server has it. */
export function authMethod(name: string): AuthMethod | undefined {
  return BY_NAME.get(name);
}

/** Every JWS algorithm some method accepts for its proofs (discovery). */
export const AUTH_SIGNING_ALGS: readonly string[] = [
  ...new Set(AUTH_METHODS.flatMap((m): readonly string[] => ('signingAlgs' in m ? m.signingAlgs : []))),
];
