export { ALLOWED_ALGORITHMS, type JwsAlgorithm } from './algorithms.js';
export {
  type BearerProblem,
  type BearerSource,
  extractAccessToken,
  extractBearer,
  type PresentedToken,
} from './bearer.js';
export { type AuthorizationServerMetadata, discover, discoveryUrls } from './discovery.js';
export { createDpopNonces, type DpopNonceSource, type HmacNonceOptions } from './dpop/nonce.js';
export { type DpopReplayStore, MemoryReplayStore } from './dpop/replay.js';
export { jwkThumbprint } from './dpop/thumbprint.js';
export {
  isVerifyError,
  VERIFY_ERROR_CODES,
  VerifyError,
  type VerifyErrorCode,
  type VerifyErrorKind,
} from './errors.js';
export type { FetchLike } from './fetch-json.js';
export type { IntrospectionOptions } from './introspection.js';
export { createAuthorizer, Denial, type RequestSource, type RequireTokenOptions } from './middleware/authorize.js';
export { nodeRequestSource } from './middleware/request-source.js';
export { parseClientCertHeader } from './mtls/client-cert-header.js';
export type { ProtectedResourceMetadata, ResourceMetadataInfo, ResourceOptions } from './resource-metadata.js';
export type { Presentation } from './sender-check.js';
export type { DpopOptions, MtlsOptions, TrustProxy } from './sender-constraints.js';
export type {
  AccessTokenClaims,
  ActorClaim,
  DpopConfirmation,
  TokenStatusReference,
  VerifiedToken,
} from './verified-token.js';
export {
  createVerifier,
  type StatusOptions,
  Verifier,
  type VerifierOptions,
  type VerifyOptions,
} from './verifier.js';
