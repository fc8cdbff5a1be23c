import { VerifyError } from './errors.js';
import { type FetchLike, fetchJson } from './fetch-json.js';
import { checkClaims, type JwtChecks } from './jwt-verify.js';
import type { VerifiedToken } from './verified-token.js';

export interface IntrospectionOptions {
  /** The resource server's own client credentials at the issuer. */
  clientId: string;
  clientSecret: string;
  /** How to authenticate (RFC 7662 §2.1 leaves it to RFC 6749 §2.3). Default `client_secret_basic`. */
  authMethod?: 'client_secret_basic' | 'client_secret_post';
  /** Overrides discovery's `introspection_endpoint`. */
  endpoint?: string;
  /**
   * `opaque` (default): only tokens that are not JWTs are introspected.
   * `always`: JWTs too, so a revoked JWT is refused (at one request per token per cache period).
   */
  mode?: 'opaque' | 'always';
  /** Longest time an active answer is reused, in ms (never past the token's `exp`); bounds how late a revocation is seen. Default 60 000. */
  cacheMaxAgeMs?: number;
  /** How long an inactive answer is reused, in ms, so a replayed bad token costs the issuer little. Default 5 000. */
  negativeCacheMaxAgeMs?: number;
}

/**
 * Asks the issuer about a token (RFC 7662 §2.1) and applies the same claim
 * checks as for a JWT: an active token for another audience is still refused.
 */
export async function introspect(
  token: string,
  endpoint: string,
  options: IntrospectionOptions,
  checks: JwtChecks,
  fetchImpl: FetchLike,
  timeoutMs: number,
  nowMs: () => number,
): Promise<VerifiedToken | VerifyError> {
  const body = new URLSearchParams({ token, token_type_hint: 'access_token' });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (options.authMethod === 'client_secret_post') {
    body.set('client_id', options.clientId);
    body.set('client_secret', options.clientSecret);
  } else {
    headers.authorization = basicAuthorization(options.clientId, options.clientSecret);
  }
  let answer: Record<string, unknown>;
  try {
    answer = await fetchJson(fetchImpl, endpoint, timeoutMs, { method: 'POST', headers, body });
  } catch (err) {
    return new VerifyError('introspection_unavailable', { cause: err });
  }
  if (answer.active !== true) return new VerifyError('token_inactive');
  const claims = { ...answer };
  // RFC 7662 makes these optional; the endpoint speaks for its own issuer, and for client credentials sub is the client.
  claims.iss ??= checks.issuer;
  claims.sub ??= claims.client_id;
  delete claims.active;
  return checkClaims(claims, checks, nowMs(), 'introspected');
}

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before base64. */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  const encode = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}
