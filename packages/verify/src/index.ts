export { ALLOWED_ALGORITHMS, type JwsAlgorithm } from './algorithms.js';
export { type BearerProblem, type BearerSource, extractBearer } from './bearer.js';
export { type AuthorizationServerMetadata, discover, discoveryUrls } from './discovery.js';
export {
  isVerifyError,
  VERIFY_ERROR_CODES,
  VerifyError,
  type VerifyErrorCode,
  type VerifyErrorKind,
} from './errors.js';
export type { FetchLike } from './fetch-json.js';
export type { IntrospectionOptions } from './introspection.js';
export { createAuthorizer, Denial, type RequireTokenOptions } from './middleware/authorize.js';
export type { ProtectedResourceMetadata, ResourceMetadataInfo, ResourceOptions } from './resource-metadata.js';
export type { AccessTokenClaims, VerifiedToken } from './verified-token.js';
export { createVerifier, Verifier, type VerifierOptions, type VerifyOptions } from './verifier.js';
