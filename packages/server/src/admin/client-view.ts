import type { ClientRecord } from '../clients/client.js';

/**
 * The client as the admin API shows it: RFC 7591 names, an explicit list of
 * fields (so no secret or hash can ever be serialised by accident).
 */
export function clientView(c: ClientRecord, secret?: string): Record<string, unknown> {
  const m = c.metadata;
  return {
    client_id: c.clientId,
    ...(secret === undefined ? {} : { client_secret: secret, client_secret_expires_at: 0 }),
    ...(m.client_name === undefined ? {} : { client_name: m.client_name }),
    scope: m.scope,
    audience: m.audience,
    grant_types: m.grant_types,
    token_endpoint_auth_method: m.token_endpoint_auth_method,
    ...(m.jwks === undefined ? {} : { jwks: m.jwks }),
    ...(m.jwks_uri === undefined ? {} : { jwks_uri: m.jwks_uri }),
    access_token_ttl: m.access_token_ttl,
    access_token_format: m.access_token_format,
    claims: m.claims,
    ...(m.token_rate_limit === undefined ? {} : { token_rate_limit: m.token_rate_limit }),
    client_id_issued_at: Math.floor(c.createdAt / 1000),
    updated_at: Math.floor(c.updatedAt / 1000),
  };
}
