/**
 * Tessera's own span attributes, beside the semantic conventions' HTTP and
 * database ones. Each holds a value from a small fixed set or a registered
 * client id: never a secret, a token, an assertion or a header value.
 */
export const ATTR = {
  /** The registered client the request named (set only once the registry found it). */
  clientId: 'oauth.client_id',
  /** A grant type this server knows; unknown ones are not recorded. */
  grantType: 'oauth.grant_type',
  /** The `error` code of an error response, as sent. */
  error: 'oauth.error',
  /** `success` (2xx, 3xx), `refused` (4xx), `failed` (5xx) or `aborted` (the client went away). */
  outcome: 'tessera.outcome',
  tokenAlg: 'tessera.token.alg',
  tokenFormat: 'tessera.token.format',
  /** Introspection: whether the token was active. */
  tokenActive: 'tessera.token.active',
} as const;
