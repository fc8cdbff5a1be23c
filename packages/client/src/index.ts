export type { TokenTarget } from './cache-key.js';
export type { CircuitBreakerOptions } from './circuit-breaker.js';
export type { ClientAssertionClaims, ClientAssertionSigner, PrivateKeyInput } from './client-assertion.js';
export type { ClientAuthMethod, ClientAuthOptions } from './client-auth.js';
export type { Clock, Timers } from './clock.js';
export type { AuthorizationServerMetadata } from './discovery.js';
export type { DpopAlgorithm, DpopKeyPair, DpopOption } from './dpop.js';
export {
  CircuitOpenError,
  ClientAssertionError,
  DiscoveryError,
  InvalidTokenResponseError,
  NetworkError,
  TimeoutError,
  TokenClientConfigError,
  TokenClientError,
  type TokenClientErrorCode,
  TokenEndpointError,
} from './errors.js';
export type {
  TokenClientHooks,
  TokenEventBase,
  TokenFailedEvent,
  TokenFetchedEvent,
  TokenGrant,
  TokenRequestReason,
  TokenRetryEvent,
} from './hooks.js';
export type { FetchLike } from './http-request.js';
export type { TlsClientOptions } from './mtls.js';
export type { TokenClientOptions } from './options.js';
export {
  type ClientAssertionProvider,
  type ClientAssertionType,
  JWT_BEARER_TYPE,
  JWT_SPIFFE_TYPE,
} from './platform-assertion.js';
export type { RetryOptions } from './retry.js';
export type { IssuedToken } from './token-cache.js';
export { createTokenClient, type GetTokenOptions, TokenClient } from './token-client.js';
export {
  ACCESS_TOKEN_TYPE,
  type ExchangeTokenOptions,
  JWT_TOKEN_TYPE,
  type SubjectTokenType,
  TOKEN_EXCHANGE_GRANT,
} from './token-exchange.js';
