import { createHash } from 'node:crypto';
import type { StoredClient } from '../clients/client.js';
import { InvalidRequest } from '../errors/index.js';
import type { GrantedToken } from '../tokens/granted-token.js';

/** RFC 8705 §3.1: the certificate's SHA-256 thumbprint, base64url, as `cnf["x5t#S256"]`. */
export function certificateThumbprint(der: Buffer): string {
  return createHash('sha256').update(der).digest('base64url');
}

/**
 * RFC 8705 §3: a client registered with
 * `tls_client_certificate_bound_access_tokens` gets tokens bound to the
 * certificate of the connection, whichever way it authenticated. Without a
 * certificate it gets none: a silently unbound token would be exactly the
 * bearer token it asked not to have. Clients not bound return at once, with
 * no allocation (the token endpoint's hot path).
 */
export function bindTokenToCertificate(
  client: StoredClient,
  certificate: Buffer | undefined,
  token: GrantedToken,
): void {
  if (client.metadata.tls_client_certificate_bound_access_tokens !== true) return;
  if (certificate === undefined) {
    throw new InvalidRequest('this client gets certificate-bound tokens: present its TLS client certificate');
  }
  token.cnf = { ...token.cnf, 'x5t#S256': certificateThumbprint(certificate) };
}
