import { createPublicKey, type JsonWebKey } from 'node:crypto';
import type { JWK } from 'jose';
import type { StoredClient } from '../clients/client.js';
import type { MaybePromise } from '../core/maybe-async.js';
import { InvalidClient } from '../errors/index.js';
import {
  type CertificateProof,
  CLIENT_CERTIFICATE,
  parseCertificate,
  readCertificate,
} from './client-certificate-method.js';
import type { ClientAuthDeps } from './deps.js';
import type { AuthMethod } from './method.js';

/** A key's SubjectPublicKeyInfo (DER), the form a certificate's key and a JWK are compared in. */
function spki(jwk: JWK): Buffer | undefined {
  try {
    return createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'der' });
  } catch {
    return undefined;
  }
}

function holds(keys: readonly JWK[] | undefined, presented: Buffer): boolean {
  return keys?.some((k) => spki(k)?.equals(presented) === true) === true;
}

/** The keys at a client's jwks_uri; refetched when none matches (a rotated key), at most once per cooldown as for private_key_jwt. */
async function remoteHolds(deps: ClientAuthDeps, uri: string, presented: Buffer): Promise<boolean> {
  const set = deps.assertion.remoteJwks.get(uri);
  try {
    if (!set.fresh) await set.reload();
    if (holds(set.jwks()?.keys, presented)) return true;
    if (set.coolingDown) return false;
    await set.reload();
    return holds(set.jwks()?.keys, presented);
  } catch {
    return false;
  }
}

function verify(deps: ClientAuthDeps, client: StoredClient, proof: CertificateProof): MaybePromise<void> {
  const id = client.clientId;
  const { cert } = parseCertificate(proof.der, id);
  const presented = cert.publicKey.export({ type: 'spki', format: 'der' });
  const refused = () =>
    new InvalidClient('the client certificate key is not in the client jwks', 'bad_certificate', id);
  const { jwks, jwks_uri: uri } = client.metadata;
  if (jwks || uri === undefined) {
    if (!holds(jwks?.keys, presented)) throw refused();
    return;
  }
  return remoteHolds(deps, uri, presented).then((ok) => {
    if (!ok) throw refused();
  });
}

/**
 * RFC 8705 §2.2: self-signed certificate mutual TLS. The certificate's
 * public key is one of the client's registered keys (`jwks` or `jwks_uri`);
 * no chain is checked, as the registration is what vouches for the key.
 */
export const selfSignedTlsClientAuth = {
  name: 'self_signed_tls_client_auth',
  secret: 'none',
  keys: true,
  carrier: CLIENT_CERTIFICATE,
  read: readCertificate,
  verify,
} as const satisfies AuthMethod<CertificateProof>;
