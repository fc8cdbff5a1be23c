import { authenticateClient } from '../client-auth/authenticate.js';
import type { StoredClient } from '../clients/client.js';
import { InvalidRequest, UnsupportedGrantType } from '../errors/index.js';
import { clientCredentialsGrant } from '../grants/client-credentials.js';
import type { Grant, IssuedToken } from '../tokens/access-token.js';
import { issueJwt } from '../tokens/jwt-access-token.js';
import { issueOpaque } from '../tokens/opaque-access-token.js';
import type { ServerContext } from './context.js';
import { type Params, rejectRepeated, single } from './params.js';

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

/** One entry per grant this server knows; each grant in its own file. */
const GRANTS = { client_credentials: clientCredentialsGrant } as const;

export interface TokenResult {
  response: TokenResponse;
  clientId: string;
  format: 'jwt' | 'opaque';
  alg: string;
}

/**
 * The token endpoint as named steps: parameters → grant type → client
 * authentication → grant → issue. A JWT for a cached client with no rate
 * limit is answered synchronously, without a promise: the hot path. A store
 * read, a rate-limit counter or an opaque token's row make it a promise.
 */
export function handleTokenRequest(
  ctx: ServerContext,
  params: Params,
  authorization: string | undefined,
): TokenResult | Promise<TokenResult> {
  rejectRepeated(params);
  const grantType = single(params, 'grant_type');
  if (!grantType) throw new InvalidRequest('grant_type is required');
  if (!Object.hasOwn(GRANTS, grantType)) {
    throw new UnsupportedGrantType(`grant_type ${grantType.slice(0, 64)} is not supported`);
  }
  const grant = GRANTS[grantType as keyof typeof GRANTS];
  const authenticated = authenticateClient(ctx.auth, { params, authorization });
  return authenticated instanceof Promise
    ? authenticated.then(({ client }) => issue(ctx, client, grant(client, params)))
    : issue(ctx, authenticated.client, grant(authenticated.client, params));
}

function issue(ctx: ServerContext, client: StoredClient, grant: Grant): TokenResult | Promise<TokenResult> {
  const now = ctx.now();
  const limit = ctx.throttle.issuanceLimit(client.metadata.token_rate_limit);
  // Unlimited clients (the default) skip the counter and its promise.
  if (limit > 0) {
    return ctx.throttle.checkIssuance(client.clientId, limit, now).then(() => issueToken(ctx, client, grant, now));
  }
  return issueToken(ctx, client, grant, now);
}

function issueToken(
  ctx: ServerContext,
  client: StoredClient,
  grant: Grant,
  now: number,
): TokenResult | Promise<TokenResult> {
  if (client.metadata.access_token_format === 'opaque') {
    return issueOpaque(ctx.store, ctx.tokenHasher, grant, now).then((issued) => tokenResult(client, grant, issued));
  }
  return tokenResult(client, grant, issueJwt(ctx.keys, ctx.issuer, grant, now));
}

function tokenResult(client: StoredClient, grant: Grant, issued: IssuedToken): TokenResult {
  return {
    clientId: client.clientId,
    format: client.metadata.access_token_format,
    alg: issued.alg,
    response: {
      access_token: issued.accessToken,
      token_type: 'Bearer',
      expires_in: issued.expiresIn,
      scope: grant.scope,
    },
  };
}
