import { BoundedCache } from '../clients/bounded-cache.js';
import type { ClientMetadata, StoredClient } from '../clients/client.js';
import { InvalidClient } from '../errors/index.js';
import { type Anchor, chainProblem, readAnchor } from './certificate-chain.js';
import type { CertificateFields } from './certificate-der.js';
import {
  type CertificateProof,
  CLIENT_CERTIFICATE,
  parseCertificate,
  readCertificate,
} from './client-certificate-method.js';
import type { ClientAuthDeps } from './deps.js';
import { dnMatches, type ParsedDn, parseDn } from './distinguished-name.js';
import type { AuthMethod } from './method.js';
import { type RegisteredSan, sanMatches } from './subject-alt-names.js';

/** The metadata that names a tls_client_auth client's certificate (RFC 8705 §2.1.2): exactly one is set. */
export const TLS_IDENTITY_FIELDS = [
  'tls_client_auth_subject_dn',
  'tls_client_auth_san_dns',
  'tls_client_auth_san_uri',
  'tls_client_auth_san_ip',
  'tls_client_auth_san_email',
] as const;

/** Whether the certificate is the one the client's metadata names. */
function identityMatches(m: ClientMetadata, fields: CertificateFields): boolean {
  if (m.tls_client_auth_subject_dn !== undefined) {
    const dn = registeredDn(m.tls_client_auth_subject_dn);
    return dn !== undefined && dnMatches(dn, fields.subject);
  }
  const san = registeredSan(m);
  return san !== undefined && sanMatches(san, fields.san);
}

/** Registered DNs, parsed once each (bounded). */
const dns = new BoundedCache<string, ParsedDn | null>(1000);

function registeredDn(text: string): ParsedDn | undefined {
  let dn = dns.get(text, 0);
  if (dn === undefined) {
    try {
      dn = parseDn(text);
    } catch {
      // Checked at registration; a DN stored some other way that does not parse matches nothing.
      dn = null;
    }
    dns.set(text, dn);
  }
  return dn ?? undefined;
}

function registeredSan(m: ClientMetadata): RegisteredSan | undefined {
  if (m.tls_client_auth_san_dns !== undefined) return { kind: 'dns', value: m.tls_client_auth_san_dns };
  if (m.tls_client_auth_san_uri !== undefined) return { kind: 'uri', value: m.tls_client_auth_san_uri };
  if (m.tls_client_auth_san_ip !== undefined) return { kind: 'ip', value: m.tls_client_auth_san_ip };
  if (m.tls_client_auth_san_email !== undefined) return { kind: 'email', value: m.tls_client_auth_san_email };
  return undefined;
}

/** The readable intermediates; an unreadable one links nothing, and the chain check fails on its own. */
function intermediates(chain: readonly Buffer[]): Anchor[] {
  return chain.slice(0, 8).flatMap((der) => readAnchor(der) ?? []);
}

function verify(deps: ClientAuthDeps, client: StoredClient, proof: CertificateProof): void {
  const id = client.clientId;
  if (!deps.clientCa) throw new InvalidClient('tls_client_auth needs TESSERA_TLS_CLIENT_CA', 'bad_certificate', id);
  const { cert, fields } = parseCertificate(proof.der, id);
  const leaf = { cert, notBefore: fields.notBefore, notAfter: fields.notAfter };
  const problem = chainProblem(leaf, deps.clientCa, intermediates(proof.chain), deps.now());
  if (problem) throw new InvalidClient(problem, 'bad_certificate', id);
  if (!identityMatches(client.metadata, fields)) {
    throw new InvalidClient('the client certificate is not the one registered', 'bad_certificate', id);
  }
}

/**
 * RFC 8705 §2.1: PKI mutual TLS. The certificate chains to a CA of
 * TESSERA_TLS_CLIENT_CA, and its subject DN or one SAN is the one the
 * client registered. No secret is kept.
 */
export const tlsClientAuth = {
  name: 'tls_client_auth',
  secret: 'none',
  keys: false,
  carrier: CLIENT_CERTIFICATE,
  read: readCertificate,
  verify,
} as const satisfies AuthMethod<CertificateProof>;
