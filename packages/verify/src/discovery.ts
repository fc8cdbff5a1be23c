import { VerifyError } from './errors.js';
import { type FetchLike, fetchJson } from './fetch-json.js';

/** The fields of RFC 8414 authorization server metadata that a resource server uses. */
export interface AuthorizationServerMetadata {
  issuer: string;
  jwks_uri?: string;
  introspection_endpoint?: string;
  [field: string]: unknown;
}

/**
 * The metadata URLs to try, in order: RFC 8414 §3.1 (the well-known segment
 * goes before any issuer path), the same appended after the path, then
 * OpenID Connect Discovery, which issuers such as oidc-provider serve alone.
 */
export function discoveryUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/$/, '');
  const base = issuer.replace(/\/$/, '');
  return [
    ...new Set([
      `${url.origin}/.well-known/oauth-authorization-server${path}`,
      `${base}/.well-known/oauth-authorization-server`,
      `${base}/.well-known/openid-configuration`,
    ]),
  ];
}

/**
 * Fetches the issuer's metadata. The document must name the configured
 * issuer exactly (RFC 8414 §3.3), or an attacker who controls one URL could
 * point us at keys of their own.
 */
export async function discover(
  issuer: string,
  fetchImpl: FetchLike,
  timeoutMs: number,
): Promise<AuthorizationServerMetadata> {
  let lastError: unknown;
  for (const url of discoveryUrls(issuer)) {
    let document: Record<string, unknown>;
    try {
      document = await fetchJson(fetchImpl, url, timeoutMs);
    } catch (err) {
      lastError = err;
      continue;
    }
    if (document.issuer !== issuer) {
      throw new VerifyError('discovery_failed', { detail: `${url} names another issuer` });
    }
    for (const field of ['jwks_uri', 'introspection_endpoint'] as const) {
      const value = document[field];
      if (value !== undefined && !isHttpUrl(value)) {
        throw new VerifyError('discovery_failed', { detail: `${url} has an invalid ${field}` });
      }
    }
    return document as AuthorizationServerMetadata;
  }
  throw new VerifyError('discovery_failed', { detail: `no metadata found for ${issuer}`, cause: lastError });
}

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const { protocol } = new URL(value);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}
