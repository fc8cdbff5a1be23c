import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { BearerSource } from '../bearer.js';
import { parseClientCertHeader } from '../mtls/client-cert-header.js';
import type { ResolvedSenderConstraints } from '../sender-constraints.js';

/** Everything the middleware reads from a request; the URL and the certificate only when a check needs them. */
export interface RequestSource extends BearerSource {
  method?: string | undefined;
  /** The `DPoP` header as received. */
  dpop?: string | readonly string[] | undefined;
  /** The absolute URL the client called, for the proof's `htu`. */
  publicUrl?: () => string;
  /** The DER of the client's certificate, if any. */
  certificate?: () => Uint8Array | undefined;
}

/**
 * A node:http request (Express and Fastify have one underneath) as the
 * middleware sees it. `target` is the request target as the client sent it:
 * Express rewrites `req.url` inside routers, so it passes `originalUrl`.
 */
export function nodeRequestSource(
  req: IncomingMessage,
  target: string | undefined,
  options: ResolvedSenderConstraints,
): RequestSource {
  return {
    authorization: req.headers.authorization,
    rawHeaders: req.rawHeaders,
    url: target,
    method: req.method,
    dpop: req.headers.dpop,
    publicUrl: () => publicUrl(req, target ?? '/', options),
    certificate: () => clientCertificate(req, options),
  };
}

/**
 * scheme://host/path of the request as the client addressed it: the
 * configured `publicOrigin`, else the forwarded headers of a trusted proxy,
 * else the connection (TLS or not) and the `Host` header.
 */
export function publicUrl(req: IncomingMessage, target: string, options: ResolvedSenderConstraints): string {
  const path = target.startsWith('/') ? target : `/${target}`;
  if (options.publicOrigin) return options.publicOrigin + path;
  let proto = (req.socket as Partial<TLSSocket>).encrypted ? 'https' : 'http';
  let host = req.headers.host ?? (req.headers[':authority'] as string | undefined) ?? 'localhost';
  if (options.trustProxy(req.socket.remoteAddress)) {
    const fwdProto = firstValue(req.headers['x-forwarded-proto'])?.toLowerCase();
    const fwdHost = firstValue(req.headers['x-forwarded-host']);
    if (fwdProto === 'https' || fwdProto === 'http') proto = fwdProto;
    if (fwdHost && /^[A-Za-z0-9.\-[\]:]+$/.test(fwdHost)) host = fwdHost;
  }
  return `${proto}://${host}${path}`;
}

/** A proxy's certificate header from a trusted peer, else the TLS connection's certificate. */
export function clientCertificate(req: IncomingMessage, options: ResolvedSenderConstraints): Uint8Array | undefined {
  if (options.certificateHeader !== undefined && options.trustProxy(req.socket.remoteAddress)) {
    return parseClientCertHeader(req.headers[options.certificateHeader]);
  }
  const socket = req.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== 'function') return undefined;
  const raw = socket.getPeerCertificate(false)?.raw;
  return raw && raw.length > 0 ? raw : undefined;
}

function firstValue(value: string | string[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined) return undefined;
  const comma = first.indexOf(',');
  return (comma === -1 ? first : first.slice(0, comma)).trim() || undefined;
}
