import type { FastifyInstance, FastifyReply } from 'fastify';
import { DPOP_SIGNING_ALGS } from '../../binding/dpop-proof.js';
import { AUTH_SIGNING_ALGS as AUTH_ALGS, AUTH_METHOD_NAMES as AUTH_METHODS } from '../../client-auth/registry.js';
import { PATHS, type ServerContext } from '../../core/context.js';
import { GRANT_TYPES } from '../../grants/registry.js';

/**
 * RFC 8414 metadata, served at both well-known names, plus the JWKS. Every
 * endpoint is an absolute URL under the issuer: clients find them here.
 */
export async function discoveryRoutes(app: FastifyInstance, { ctx }: { ctx: ServerContext }): Promise<void> {
  const metadata = async () => ({
    issuer: ctx.issuer,
    token_endpoint: ctx.endpoints.token,
    jwks_uri: ctx.endpoints.jwks,
    introspection_endpoint: ctx.endpoints.introspection,
    revocation_endpoint: ctx.endpoints.revocation,
    grant_types_supported: GRANT_TYPES,
    response_types_supported: [],
    token_endpoint_auth_methods_supported: AUTH_METHODS,
    token_endpoint_auth_signing_alg_values_supported: AUTH_ALGS,
    introspection_endpoint_auth_methods_supported: AUTH_METHODS,
    introspection_endpoint_auth_signing_alg_values_supported: AUTH_ALGS,
    revocation_endpoint_auth_methods_supported: AUTH_METHODS,
    revocation_endpoint_auth_signing_alg_values_supported: AUTH_ALGS,
    scopes_supported: await ctx.clients.scopesSupported(),
    access_token_signing_alg_values_supported: [ctx.config.signingAlg],
    dpop_signing_alg_values_supported: DPOP_SIGNING_ALGS,
    // RFC 8705 §3.3: certificate-bound tokens, for clients registered for them.
    tls_client_certificate_bound_access_tokens: true,
    // A Tessera extension: Server-Sent Events naming each changed status list (docs/protocol.md).
    ...(ctx.statusLists ? { status_list_events_endpoint: ctx.statusLists.eventsUrl } : {}),
  });
  const send = async (_req: unknown, reply: FastifyReply) =>
    reply.header('cache-control', 'public, max-age=60').send(await metadata());

  // With an issuer path (https://host/tenant), RFC 8414 §3.1 inserts the
  // well-known segment before the path; OpenID Discovery appends it.
  const issuerPath = new URL(ctx.issuer).pathname.replace(/\/$/, '');
  const urls = new Set([
    '/.well-known/oauth-authorization-server',
    '/.well-known/openid-configuration',
    `/.well-known/oauth-authorization-server${issuerPath}`,
    `${issuerPath}/.well-known/openid-configuration`,
  ]);
  for (const url of urls) app.get(url, send);

  app.get(PATHS.jwks, async (_req, reply) =>
    reply.type('application/jwk-set+json').header('cache-control', 'public, max-age=60').send(ctx.keys.jwks()),
  );
}
