import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import type { TokenRequest } from '../core/token-request.js';
import { authorizationHeader, oauthParams } from './oauth-body.js';

/**
 * Reads an OAuth endpoint's request once into the transport-free shape
 * `core/` works on. `url` is the endpoint's public URL under the issuer:
 * what a client was told in discovery, whatever proxy stands in between.
 */
export function readTokenRequest(req: FastifyRequest, url: string): TokenRequest {
  const dpop = req.headers.dpop;
  return {
    params: oauthParams(req),
    authorization: authorizationHeader(req),
    method: req.method,
    url,
    // Node joins a repeated DPoP header with ", " (a test injector may leave an array): either way the proof check refuses it.
    dpop: typeof dpop === 'string' || dpop === undefined ? dpop : dpop.join(', '),
    clientCertificate: tlsClientCertificate(req),
  };
}

/** The certificate the client presented on this TLS connection (DER), if any; plain HTTP has none. */
function tlsClientCertificate(req: FastifyRequest): Buffer | undefined {
  const socket = req.raw.socket as Partial<TLSSocket>;
  if (socket.encrypted !== true || typeof socket.getPeerCertificate !== 'function') return undefined;
  const raw = socket.getPeerCertificate().raw as Buffer | undefined;
  return raw && raw.length > 0 ? raw : undefined;
}
