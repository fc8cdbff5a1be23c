import type { FastifyRequest } from 'fastify';
import type { TokenRequest } from '../core/token-request.js';
import { type CertificateSource, presentedCertificate } from './client-certificate.js';
import { authorizationHeader, oauthParams } from './oauth-body.js';

/**
 * Reads an OAuth endpoint's request once into the transport-free shape
 * `core/` works on. `url` is the endpoint's public URL under the issuer:
 * what a client was told in discovery, whatever proxy stands in between.
 * `certificates` says where the client certificate comes from (http/client-certificate.ts).
 */
export function readTokenRequest(req: FastifyRequest, url: string, certificates: CertificateSource): TokenRequest {
  const dpop = req.headers.dpop;
  const { certificate, chain } = presentedCertificate(req, certificates);
  return {
    params: oauthParams(req),
    authorization: authorizationHeader(req),
    method: req.method,
    url,
    // Node joins a repeated DPoP header with ", " (a test injector may leave an array): either way the proof check refuses it.
    dpop: typeof dpop === 'string' || dpop === undefined ? dpop : dpop.join(', '),
    clientCertificate: certificate,
    clientCertificateChain: chain,
  };
}
