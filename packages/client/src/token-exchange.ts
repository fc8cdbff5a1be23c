import { createHash } from 'node:crypto';
import type { NormalizedTarget, TokenTarget } from './cache-key.js';

/** RFC 8693 §2.1 and §3. */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
export const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';

const NO_RESOURCES: readonly string[] = Object.freeze([]);

export type SubjectTokenType = typeof ACCESS_TOKEN_TYPE | typeof JWT_TOKEN_TYPE;

/** What `exchangeToken` trades, and for what. */
export interface ExchangeTokenOptions extends TokenTarget {
  /** The token this service received, whose `sub` the new token keeps. */
  subjectToken: string;
  /** Default `urn:ietf:params:oauth:token-type:access_token`. */
  subjectTokenType?: SubjectTokenType;
  /** RFC 8707 `resource` values, sent besides the audience. */
  resource?: string | readonly string[] | undefined;
  /** Stops this caller's wait; a request shared with other callers goes on. */
  signal?: AbortSignal;
}

/** The grant-specific part of a token request. */
export interface GrantParameters {
  grantType: string;
  parameters: readonly (readonly [string, string])[];
  /** `issued_token_type` the answer must carry, when it says one (RFC 8693 §2.2.1). */
  issuedTokenType?: string;
}

export function exchangeParameters(
  subjectToken: string,
  subjectTokenType: string,
  resource: readonly string[],
): GrantParameters {
  return {
    grantType: TOKEN_EXCHANGE_GRANT,
    parameters: [
      ['subject_token', subjectToken],
      ['subject_token_type', subjectTokenType],
      ...resource.map((r) => ['resource', r] as const),
    ],
    issuedTokenType: ACCESS_TOKEN_TYPE,
  };
}

/** Checks what a caller passed: a bad argument is a programming error, thrown before any request. */
export function checkExchangeOptions(options: ExchangeTokenOptions): {
  subjectTokenType: string;
  resource: readonly string[];
} {
  if (typeof options !== 'object' || options === null) throw new TypeError('exchangeToken needs options');
  const { subjectToken, subjectTokenType = ACCESS_TOKEN_TYPE } = options;
  if (typeof subjectToken !== 'string' || subjectToken === '') {
    throw new TypeError('subjectToken must be a non-empty string');
  }
  if (subjectTokenType !== ACCESS_TOKEN_TYPE && subjectTokenType !== JWT_TOKEN_TYPE) {
    throw new TypeError('subjectTokenType must be the access_token or jwt token type URI');
  }
  const { resource } = options;
  // The common call names no resource: nothing to allocate on a cache hit.
  if (resource === undefined) return { subjectTokenType, resource: NO_RESOURCES };
  const list = typeof resource === 'string' ? [resource] : [...resource];
  return { subjectTokenType, resource: [...new Set(list.filter(Boolean))].sort() };
}

/**
 * The cache key of an exchange: the binding, audience and scope of
 * `normalized`, plus a SHA-256 of the subject token, so the token itself is
 * never a key that a heap dump or a debug print of the cache would show.
 */
export function exchangeKey(
  normalized: NormalizedTarget,
  subjectToken: string,
  subjectTokenType: string,
  resource: readonly string[],
): NormalizedTarget {
  const digest = createHash('sha256').update(subjectToken).digest('base64url');
  const key = `exchange\u0003${digest}\u0003${subjectTokenType}\u0003${resource.join('\u0001')}\u0003${normalized.key}`;
  return { key, audience: normalized.audience, scope: normalized.scope };
}

/**
 * The subject token's `exp` in epoch ms when it is a JWT that says one, so a
 * token exchanged from it is never served past it; undefined for an opaque
 * token (its answer's `expires_in` is all there is). Read, not verified: it
 * only ever shortens how long we keep something.
 */
export function subjectExpiry(token: string): number | undefined {
  const first = token.indexOf('.');
  const second = first > 0 ? token.indexOf('.', first + 1) : -1;
  if (second === -1 || token.indexOf('.', second + 1) !== -1) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8'));
    const exp = (payload as { exp?: unknown } | null)?.exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
