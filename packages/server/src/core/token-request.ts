import type { Params } from './params.js';

/**
 * A request to one of the OAuth endpoints (token, introspection,
 * revocation), as `http/` reads it once: no framework type reaches `core/`.
 * It carries everything a step may need, so adding a step never means
 * reaching back into the transport.
 */
export interface TokenRequest {
  readonly params: Params;
  /** The one Authorization header, if any (two are refused before this is built). */
  readonly authorization: string | undefined;
  /** The HTTP method, as DPoP's `htm` is compared with it. */
  readonly method: string;
  /** The endpoint's public URL under the issuer, without query or fragment (DPoP's `htu`). */
  readonly url: string;
  /** The `DPoP` proof header (RFC 9449), if any. */
  readonly dpop: string | undefined;
  /** The client's certificate (DER): from the TLS connection, or from a trusted proxy's header. */
  readonly clientCertificate: Buffer | undefined;
  /** Intermediates sent beside it (DER), leaf first: from the TLS handshake or RFC 9440 `Client-Cert-Chain`. */
  readonly clientCertificateChain?: readonly Buffer[] | undefined;
}
