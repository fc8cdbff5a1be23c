import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/load-config.js';
import { certificateFields } from './certificate-der.js';

/** A certificate with its validity, read once. */
export interface Anchor {
  readonly cert: X509Certificate;
  readonly notBefore: number;
  readonly notAfter: number;
}

/** The CAs of TESSERA_TLS_CLIENT_CA: the PEM for the TLS server's `ca`, parsed for our own chain checks. */
export interface ClientCa {
  readonly pem: Buffer;
  readonly certificates: readonly Anchor[];
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
/** RFC 5280 §4.2.1.12: id-kp-clientAuth, and anyExtendedKeyUsage. */
const CLIENT_AUTH_USAGES = ['1.3.6.1.5.5.7.3.2', '2.5.29.37.0'];
/** Intermediates between a client certificate and a configured CA, at most. */
const MAX_INTERMEDIATES = 4;

/**
 * The configured CA that signed a certificate directly, once checked: the
 * parsed certificates are cached (client-certificate-method.ts), so a
 * client's every request after the first skips the signature check.
 */
const directIssuer = new WeakMap<X509Certificate, { ca: ClientCa; anchor: Anchor }>();

/** Reads the CA file once at start; anything wrong stops start-up with the variable's name. */
export function loadClientCa(file: string): ClientCa {
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (err) {
    throw new ConfigError(
      `TESSERA_TLS_CLIENT_CA cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  const blocks = pem.toString('utf8').match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) throw new ConfigError('TESSERA_TLS_CLIENT_CA holds no PEM certificate');
  const certificates = blocks.map((block, i) => {
    const anchor = readAnchor(block);
    if (!anchor) throw new ConfigError(`TESSERA_TLS_CLIENT_CA: certificate ${i + 1} cannot be read`);
    return anchor;
  });
  return { pem, certificates };
}

/** A certificate and its validity, or undefined when it cannot be read. */
export function readAnchor(certificate: string | Buffer): Anchor | undefined {
  try {
    const cert = new X509Certificate(certificate);
    const { notBefore, notAfter } = certificateFields(cert.raw);
    return { cert, notBefore, notAfter };
  } catch {
    return undefined;
  }
}

/** `issuer` signed `cert`, is a CA, and is valid now. */
function issued(issuer: Anchor, cert: X509Certificate, nowMs: number): boolean {
  return (
    issuer.notBefore <= nowMs &&
    nowMs <= issuer.notAfter &&
    issuer.cert.ca &&
    cert.checkIssued(issuer.cert) &&
    cert.verify(issuer.cert.publicKey)
  );
}

/**
 * Why the client certificate does not chain to a configured CA, or
 * undefined when it does: the leaf is valid now, may be used for client
 * authentication, and is signed by a configured CA directly or through the
 * given intermediates (RFC 9440 `Client-Cert-Chain`), each a CA valid now.
 * Every configured certificate is a trust anchor, as the operator listed it.
 *
 * Done here even when TLS already checked it: a proxy that passes a
 * certificate on has not necessarily checked it against our CAs.
 */
export function chainProblem(
  leaf: Anchor,
  ca: ClientCa,
  intermediates: readonly Anchor[],
  nowMs: number,
): string | undefined {
  if (nowMs < leaf.notBefore || nowMs > leaf.notAfter) return 'the client certificate is expired or not yet valid';
  // A leaf this CA set signed directly, seen before: only the validity of both can have changed.
  const known = directIssuer.get(leaf.cert);
  if (known?.ca === ca && known.anchor.notBefore <= nowMs && nowMs <= known.anchor.notAfter) return undefined;
  const usages = leaf.cert.keyUsage as string[] | undefined;
  if (usages && usages.length > 0 && !usages.some((u) => CLIENT_AUTH_USAGES.includes(u))) {
    return 'the client certificate is not for client authentication';
  }
  let current = leaf.cert;
  for (let depth = 0; depth <= MAX_INTERMEDIATES; depth++) {
    const anchor = ca.certificates.find((a) => issued(a, current, nowMs));
    if (anchor) {
      if (depth === 0) directIssuer.set(leaf.cert, { ca, anchor });
      return undefined;
    }
    const next = intermediates.find((i) => i.cert !== current && issued(i, current, nowMs));
    if (!next) break;
    current = next.cert;
  }
  return 'the client certificate does not chain to TESSERA_TLS_CLIENT_CA';
}
