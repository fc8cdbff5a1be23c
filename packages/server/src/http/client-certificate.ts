import type { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TrustProxy } from './trust-proxy.js';

/** Where a request's client certificate may come from: the TLS socket, or a trusted proxy's header. */
export interface CertificateSource {
  /** TESSERA_CLIENT_CERT_HEADER, lower-cased; its intermediates in `<name>-chain` (RFC 9440 §2.3). */
  readonly header: string | undefined;
  readonly chainHeader: string | undefined;
  readonly trust: TrustProxy | false;
}

export interface PresentedCertificate {
  readonly certificate: Buffer | undefined;
  readonly chain: readonly Buffer[] | undefined;
}

const NONE: PresentedCertificate = { certificate: undefined, chain: undefined };
/** Longest header value read as a certificate (base64 of a DER certificate is a few KiB). */
export const MAX_CERTIFICATE_HEADER = 16 * 1024;
/** Intermediates read from a handshake or a chain header, at most. */
const MAX_CHAIN = 8;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function certificateSource(header: string | undefined, trust: TrustProxy | false): CertificateSource {
  return { header, chainHeader: header === undefined ? undefined : `${header}-chain`, trust };
}

/** Whether the immediate peer is a proxy TESSERA_TRUST_PROXY trusts (the rule Fastify applies to X-Forwarded-*). */
export function peerTrusted(req: FastifyRequest, trust: TrustProxy | false): boolean {
  const address = req.raw.socket?.remoteAddress;
  return trust !== false && address !== undefined && trust(address, 0);
}

/**
 * The client certificate of a request (DER), and any intermediates. Behind
 * a trusted proxy that passes certificates, the header is the only source:
 * the TLS socket there is the proxy's connection, not the client's. From
 * anyone else the header was stripped on arrival (stripUntrustedHeaders)
 * and is never read; the TLS socket is.
 */
export function presentedCertificate(req: FastifyRequest, source: CertificateSource): PresentedCertificate {
  if (source.header !== undefined && peerTrusted(req, source.trust)) return fromHeaders(req, source);
  return fromSocket(req);
}

function fromSocket(req: FastifyRequest): PresentedCertificate {
  const socket = req.raw.socket as Partial<TLSSocket>;
  if (socket.encrypted !== true || typeof socket.getPeerX509Certificate !== 'function') return NONE;
  // The X509Certificate, not getPeerCertificate(): that one computes fingerprints and
  // parses every field of the whole chain, on every request of the connection.
  const peer = socket.getPeerX509Certificate();
  if (!peer) return NONE;
  const chain: Buffer[] = [];
  // The handshake's chain links each certificate to its issuer; a self-signed root links to itself.
  for (let c = peer.issuerCertificate; c && chain.length < MAX_CHAIN; c = c.issuerCertificate) {
    const raw = c.raw;
    if (raw.equals(peer.raw) || chain.some((d) => d.equals(raw))) break;
    chain.push(raw);
  }
  return { certificate: peer.raw, chain };
}

function fromHeaders(req: FastifyRequest, source: CertificateSource): PresentedCertificate {
  const value = req.headers[source.header as string];
  if (typeof value !== 'string') return NONE;
  const certificate = parseByteSequence(value);
  if (certificate === undefined) {
    // The proxy is trusted, so this is worth an operator's attention; the request goes on without a certificate.
    req.log.warn({ header: source.header }, 'the client certificate header is not an RFC 9440 byte sequence: ignored');
    return NONE;
  }
  const chainValue = req.headers[source.chainHeader as string];
  const chain = typeof chainValue === 'string' ? parseByteSequenceList(chainValue) : undefined;
  return { certificate, chain };
}

/**
 * An RFC 8941 §3.3.5 byte sequence, `:<base64>:`, as RFC 9440 carries a
 * certificate; undefined for anything else (empty, oversized, not base64,
 * parameters). Whether the bytes are a certificate is checked where it is used.
 */
export function parseByteSequence(value: string): Buffer | undefined {
  if (value.length > MAX_CERTIFICATE_HEADER) return undefined;
  const v = value.trim();
  if (v.length < 3 || v[0] !== ':' || v[v.length - 1] !== ':') return undefined;
  const body = v.slice(1, -1);
  if (!BASE64.test(body)) return undefined;
  const bytes = Buffer.from(body, 'base64');
  return bytes.length > 0 ? bytes : undefined;
}

/** An RFC 8941 list of byte sequences (RFC 9440 `Client-Cert-Chain`); undefined if any member is not one. */
export function parseByteSequenceList(value: string): Buffer[] | undefined {
  if (value.length > MAX_CERTIFICATE_HEADER * 2) return undefined;
  const members = value.split(',');
  if (members.length > MAX_CHAIN) return undefined;
  const out: Buffer[] = [];
  for (const m of members) {
    const bytes = parseByteSequence(m);
    if (bytes === undefined) return undefined;
    out.push(bytes);
  }
  return out;
}

/**
 * Removes the certificate headers of requests from peers TESSERA_TRUST_PROXY
 * does not trust, before any route sees them: a client that talks to us
 * directly must not name its own certificate. Registered only when
 * TESSERA_CLIENT_CERT_HEADER is set, so without it no request pays for it.
 */
export function stripUntrustedHeaders(app: FastifyInstance, source: CertificateSource): void {
  const { header, chainHeader } = source;
  if (header === undefined || chainHeader === undefined) return;
  app.addHook('onRequest', (req, _reply, done) => {
    const headers = req.raw.headers;
    if ((headers[header] !== undefined || headers[chainHeader] !== undefined) && !peerTrusted(req, source.trust)) {
      delete headers[header];
      delete headers[chainHeader];
    }
    done();
  });
}
