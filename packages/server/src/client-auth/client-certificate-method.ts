import { X509Certificate } from 'node:crypto';
import { BoundedCache } from '../clients/bounded-cache.js';
import { single } from '../core/params.js';
import { InvalidClient } from '../errors/index.js';
import type { AuthRequest } from './authenticated-client.js';
import type { Carrier } from './carriers.js';
import { type CertificateFields, certificateFields } from './certificate-der.js';
import type { Presentation } from './method.js';

/** What the two certificate methods (RFC 8705 §2) read: the certificate and any intermediates, DER. */
export interface CertificateProof {
  readonly der: Buffer;
  readonly chain: readonly Buffer[];
}

/**
 * The TLS client certificate belongs to the connection, not to the request:
 * it never conflicts with a credential in the request. A client that sends
 * a secret or an assertion over a connection with a certificate
 * authenticates with that credential, and the certificate may still bind
 * its token (RFC 8705 §3 binds tokens whatever the authentication method).
 * So this carrier never counts towards the one-method-per-request rule.
 */
export const CLIENT_CERTIFICATE: Carrier = {
  name: 'TLS client certificate',
  present: () => false,
};

/**
 * RFC 8705 §2: the client names itself with `client_id` in the body and
 * proves itself with the certificate. Only when no other credential is
 * presented: the other methods come first in the registry, and an
 * Authorization header of an unknown scheme is refused rather than ignored.
 */
export function readCertificate(req: AuthRequest): Presentation<CertificateProof> | undefined {
  const der = req.clientCertificate;
  if (der === undefined || req.authorization !== undefined) return undefined;
  const clientId = single(req.params, 'client_id');
  if (clientId === undefined) return undefined;
  return { clientId, proof: { der, chain: req.clientCertificateChain ?? [] } };
}

export interface ParsedCertificate {
  readonly cert: X509Certificate;
  readonly fields: CertificateFields;
}

/**
 * Certificates parsed lately, by their DER: a client sends the same one on
 * every request until it renews it, and parsing it (node:crypto's and ours)
 * cost more than the rest of a token request. Bounded; a certificate that
 * does not parse is never kept.
 */
const parsed = new BoundedCache<string, ParsedCertificate>(1000);

/** The presented certificate, parsed; anything that is not one is `invalid_client`, never a 500. */
export function parseCertificate(der: Buffer, clientId: string): ParsedCertificate {
  const key = der.toString('latin1');
  const known = parsed.get(key, 0);
  if (known) return known;
  let fresh: ParsedCertificate;
  try {
    fresh = { cert: new X509Certificate(der), fields: certificateFields(der) };
  } catch {
    throw new InvalidClient('the client certificate cannot be read', 'bad_certificate', clientId);
  }
  parsed.set(key, fresh);
  return fresh;
}
